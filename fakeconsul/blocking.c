/* Held catalog/health queries of the fake Consul agent (see blocking.h).
 * Each held query has a timer for its wait; it leaves the list when it is
 * answered or when its client goes away, and is freed once its timer has
 * closed. */
#include "blocking.h"

#include "common/duration.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_DEFAULT_MS (5 * 60 * 1000)
#define WAIT_MAX_MS     (10 * 60 * 1000)

struct waiter {
	uv_timer_t timer;
	struct blocking *b;    /* NULL once out of the list */
	struct httpd_req *req; /* NULL once answered or gone */
	blocking_query_fn q;
	void *data;
	uint64_t min_index;
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

static void waiter_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Takes w out of the list and closes its timer. */
static void waiter_end(struct waiter *w)
{
	struct blocking *b = w->b;
	if (b) {
		if (w->prev)
			w->prev->next = w->next;
		else
			b->waiters = w->next;
		if (w->next)
			w->next->prev = w->prev;
		b->count--;
		w->b = NULL;
	}
	w->req = NULL;
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->timer, waiter_closed);
}

static void waiter_expired(uv_timer_t *t)
{
	struct waiter *w = t->data;
	struct blocking_result res = {0};
	struct httpd_req *r = w->req;
	w->q(r, w->data, &res);
	waiter_end(w);
	answer(r, &res);
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

void blocking_serve(struct blocking *b, struct httpd_req *r, blocking_query_fn q, void *data)
{
	uint64_t min_index = 0;
	int64_t wait_ns = (int64_t)WAIT_DEFAULT_MS * 1000000;
	const char *idx = httpd_query(r, "index"), *wait = httpd_query(r, "wait");

	if (idx && *idx && parse_index(idx, &min_index) < 0) {
		httpd_reply_text(r, 400, "Invalid index");
		return;
	}
	if (wait && *wait && duration_parse_go(wait, &wait_ns) < 0) {
		httpd_reply_text(r, 400, "Invalid wait time");
		return;
	}
	struct blocking_result res = {0};
	q(r, data, &res);
	if (min_index == 0 || res.index > min_index) {
		answer(r, &res);
		return;
	}
	cJSON_Delete(res.body);

	uint64_t wait_ms = (uint64_t)(wait_ns / 1000000);
	if (wait_ms > WAIT_MAX_MS)
		wait_ms = WAIT_MAX_MS;
	if (wait_ms >= 16)
		wait_ms += (uint64_t)rand() % (wait_ms / 16);
	struct waiter *w = calloc(1, sizeof(*w));
	if (!w) {
		httpd_reply_text(r, 500, "out of memory");
		return;
	}
	w->b = b;
	w->req = r;
	w->q = q;
	w->data = data;
	w->min_index = min_index;
	w->next = b->waiters;
	if (b->waiters)
		b->waiters->prev = w;
	b->waiters = w;
	b->count++;
	uv_timer_init(b->loop, &w->timer);
	w->timer.data = w;
	uv_timer_start(&w->timer, waiter_expired, wait_ms, 0);
	httpd_defer(r, waiter_gone, w);
}

void blocking_notify(struct blocking *b)
{
	struct waiter *w = b->waiters, *next;
	for (; w; w = next) {
		next = w->next;
		struct blocking_result res = {0};
		w->q(w->req, w->data, &res);
		if (res.index > w->min_index) {
			struct httpd_req *r = w->req;
			waiter_end(w);
			answer(r, &res);
		} else {
			cJSON_Delete(res.body);
		}
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
