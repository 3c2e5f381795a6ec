/* Held queries of the fake Consul agent (see blocking.h). Each held query
 * has a timer for its wait; it leaves the list when it is answered or when
 * its client goes away, and is freed once its timer has closed. */
#include "blocking.h"

#include "godur.h"

#include "common/dlist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct waiter {
	uv_timer_t timer;
	struct blocking *b;    /* NULL once out of the list */
	struct httpd_req *req; /* NULL once answered or gone */
	blocking_query_fn q;   /* by index, or */
	blocking_hash_fn hq;   /* by hash */
	void *data;
	uint64_t min_index;
	char hash[64];
	struct waiter *prev, *next;
};

struct blocking {
	uv_loop_t *loop;
	struct waiter *waiters;
	int count;
};

struct blocking *blocking_new(uv_loop_t *loop)
{
	struct blocking *b = calloc(1, sizeof(*b));
	if (b)
		b->loop = loop;
	return b;
}

static void answer(struct httpd_req *r, struct blocking_result *res)
{
	char idx[64];
	snprintf(idx, sizeof(idx), "X-Consul-Index: %" PRIu64, res->index ? res->index : 1);
	const char *headers[] = {idx, "X-Consul-KnownLeader: true", "X-Consul-LastContact: 0",
	                         res->filtered ? "X-Consul-Results-Filtered-By-ACLs: true" : NULL,
	                         NULL};
	httpd_reply_json(r, 200, res->body, headers);
	res->body = NULL;
}

static void answer_hashed(struct httpd_req *r, struct blocking_hashed *res)
{
	if (res->status != 200) {
		httpd_reply_text(r, res->status, "%s", res->error);
		return;
	}
	char hdr[96];
	snprintf(hdr, sizeof(hdr), "X-Consul-ContentHash: %s", res->hash);
	const char *headers[] = {hdr, NULL};
	httpd_reply_json(r, 200, res->body, headers);
	res->body = NULL;
}

static void waiter_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Takes w out of the list and closes its timer. */
static void waiter_end(struct waiter *w)
{
	struct blocking *b = w->b;
	if (b) {
		DLIST_DEL(b->waiters, w);
		b->count--;
		w->b = NULL;
	}
	w->req = NULL;
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->timer, waiter_closed);
}

/* Runs w's query; answers (and ends w) when the result moved, or anyway
 * when `last`. Returns whether it answered. */
static bool waiter_try(struct waiter *w, bool last)
{
	struct httpd_req *r = w->req;
	if (w->q) {
		struct blocking_result res = {0};
		w->q(r, w->data, &res);
		if (!last && res.index <= w->min_index) {
			cJSON_Delete(res.body);
			return false;
		}
		waiter_end(w);
		answer(r, &res);
		return true;
	}
	struct blocking_hashed res = {0};
	w->hq(r, w->data, &res);
	if (!last && res.status == 200 && strcmp(res.hash, w->hash) == 0) {
		cJSON_Delete(res.body);
		return false;
	}
	waiter_end(w);
	answer_hashed(r, &res);
	return true;
}

static void waiter_expired(uv_timer_t *t)
{
	waiter_try(t->data, true);
}

static void waiter_gone(struct httpd_req *r, void *data)
{
	struct waiter *w = data;
	if (w->req)
		waiter_end(w);
}

static int parse_index(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int blocking_parse(struct httpd_req *r, uint64_t *index, int64_t *wait_ns)
{
	const char *idx = httpd_query(r, "index"), *wait = httpd_query(r, "wait");
	char err[256];
	*index = 0;
	*wait_ns = 0;
	if (wait && *wait && godur_parse(wait, wait_ns, err, sizeof(err)) < 0) {
		httpd_reply_text(r, 400, "Invalid wait time");
		return -1;
	}
	if (idx && *idx && parse_index(idx, index) < 0) {
		httpd_reply_text(r, 400, "Invalid index");
		return -1;
	}
	return 0;
}

uint64_t blocking_wait_ms(int64_t wait_ns, unsigned jitter)
{
	/* RPCQueryTimeout: a zero or negative wait is the default. */
	uint64_t ms = wait_ns <= 0 ? BLOCKING_WAIT_DEFAULT_MS : (uint64_t)(wait_ns / 1000000);
	if (ms > BLOCKING_WAIT_MAX_MS)
		ms = BLOCKING_WAIT_MAX_MS;
	if (ms >= 16) /* lib.RandomStagger(wait / 16) */
		ms += jitter % (ms / 16);
	return ms;
}

/* Holds r: w is set up but for its kind's fields. */
static struct waiter *hold(struct blocking *b, struct httpd_req *r, int64_t wait_ns)
{
	struct waiter *w = calloc(1, sizeof(*w));
	if (!w) {
		httpd_reply_text(r, 500, "out of memory");
		return NULL;
	}
	w->b = b;
	w->req = r;
	DLIST_ADD(b->waiters, w);
	b->count++;
	uv_timer_init(b->loop, &w->timer);
	w->timer.data = w;
	uv_timer_start(&w->timer, waiter_expired, blocking_wait_ms(wait_ns, (unsigned)rand()), 0);
	httpd_defer(r, waiter_gone, w);
	return w;
}

void blocking_serve(struct blocking *b, struct httpd_req *r, blocking_query_fn q, void *data)
{
	uint64_t min_index;
	int64_t wait_ns;
	if (blocking_parse(r, &min_index, &wait_ns) < 0)
		return;
	struct blocking_result res = {0};
	q(r, data, &res);
	if (min_index == 0 || res.index > min_index) {
		answer(r, &res);
		return;
	}
	cJSON_Delete(res.body);
	struct waiter *w = hold(b, r, wait_ns);
	if (w) {
		w->q = q;
		w->data = data;
		w->min_index = min_index;
	}
}

void blocking_serve_hash(struct blocking *b, struct httpd_req *r, const char *hash, int64_t wait_ns,
                         blocking_hash_fn q, void *data)
{
	struct blocking_hashed res = {0};
	q(r, data, &res);
	if (!hash || !*hash || res.status != 200 || strcmp(res.hash, hash) != 0) {
		answer_hashed(r, &res);
		return;
	}
	cJSON_Delete(res.body);
	struct waiter *w = hold(b, r, wait_ns);
	if (w) {
		w->hq = q;
		w->data = data;
		snprintf(w->hash, sizeof(w->hash), "%s", hash);
	}
}

void blocking_notify(struct blocking *b)
{
	struct waiter *w = b->waiters, *next;
	for (; w; w = next) {
		next = w->next;
		waiter_try(w, false);
	}
}

int blocking_count(const struct blocking *b)
{
	return b->count;
}

void blocking_free(struct blocking *b)
{
	if (!b)
		return;
	while (b->waiters)
		waiter_end(b->waiters);
	free(b);
}
