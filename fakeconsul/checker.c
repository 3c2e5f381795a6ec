/* HTTP, TCP and TTL check runners of the fake Consul agent (see checker.h).
 *
 * Lifecycle: a checker owns one timer. A TCP attempt is its own allocation
 * (resolver request, socket, timeout timer) so that a stopped checker can
 * detach from an attempt in flight; the attempt frees itself when its last
 * handle closes. An HTTP attempt is an httpc request, cancelled on stop. */
#include "checker.h"

#include "common/duration.h"
#include "common/httpc.h"
#include "common/log.h"
#include "common/str.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHECK_DEFAULT_TIMEOUT_MS 10000
#define CHECK_OUTPUT_MAX         4096

enum kind { KIND_HTTP, KIND_TCP, KIND_TTL };

struct tcp_attempt;

struct checker {
	uv_loop_t *loop;
	struct httpc *http;
	uv_timer_t timer; /* interval, or TTL expiry */
	enum kind kind;
	char *id;            /* check ID (owned) */
	char *target;        /* URL or host:port (owned) */
	char *method, *body; /* HTTP (owned) */
	char **headers;      /* HTTP "Name: value", NULL-ended (owned) */
	bool insecure;
	uint64_t interval_ms, timeout_ms, ttl_ms;
	struct httpc_req *inflight; /* HTTP attempt */
	struct tcp_attempt *tcp;    /* TCP attempt */
	checker_result_fn fn;
	void *data;
};

struct tcp_attempt {
	struct checker *c; /* NULL once detached */
	uv_getaddrinfo_t gai;
	uv_tcp_t sock;
	uv_connect_t conn;
	uv_timer_t timeout;
	int open;         /* handles and requests not yet over */
	bool sock_open;   /* sock was initialised */
	bool gai_pending; /* the resolver has not called back */
	bool done;        /* reported (or detached); closing */
};

static uint64_t ms_of(int64_t ns, uint64_t dflt)
{
	return ns > 0 ? (uint64_t)((ns + 999999) / 1000000) : dflt;
}

static void report(struct checker *c, const char *status, const char *output)
{
	c->fn(c->data, c->id, status, output);
}

/* ------------------------------------------------------------ HTTP */

static void http_done(void *data, const struct httpc_result *res)
{
	struct checker *c = data;
	char out[CHECK_OUTPUT_MAX + 512];
	c->inflight = NULL;
	if (res->status == 0) {
		snprintf(out, sizeof(out), "%s \"%s\": %s", c->method, c->target,
		         res->error ? res->error : "request failed");
		report(c, "critical", out);
		return;
	}
	const char *reason = MHD_get_reason_phrase_for((unsigned)res->status);
	int blen = res->body_len > CHECK_OUTPUT_MAX ? CHECK_OUTPUT_MAX : (int)res->body_len;
	snprintf(out, sizeof(out), "HTTP %s %s: %ld %s Output: %.*s", c->method, c->target,
	         res->status, reason ? reason : "", blen, res->body ? res->body : "");
	const char *status = res->status >= 200 && res->status < 300 ? "passing"
	                     : res->status == 429                    ? "warning"
	                                                             : "critical";
	report(c, status, out);
}

static void http_probe(struct checker *c)
{
	if (c->inflight)
		return;
	c->inflight = httpc_start(c->http, &(struct httpc_opts){
	                                       .method = c->method,
	                                       .url = c->target,
	                                       .headers = (const char *const *)c->headers,
	                                       .body = c->body,
	                                       .body_len = c->body ? strlen(c->body) : 0,
	                                       .timeout_ms = (long)c->timeout_ms,
	                                       .insecure = c->insecure,
	                                       .fresh_connect = true,
	                                       .forbid_reuse = true,
	                                       .on_done = http_done,
	                                       .data = c,
	                                   });
	if (!c->inflight)
		report(c, "critical", "cannot start the HTTP request");
}

/* ------------------------------------------------------------ TCP */

static void tcp_closed(uv_handle_t *h)
{
	struct tcp_attempt *a = h->data;
	if (--a->open == 0)
		free(a);
}

/* Reports once (unless detached) and closes what is open. */
static void tcp_finish(struct tcp_attempt *a, const char *status, const char *output)
{
	if (a->done)
		return;
	a->done = true;
	if (a->c) {
		struct checker *c = a->c;
		c->tcp = NULL;
		a->c = NULL;
		report(c, status, output);
	}
	uv_timer_stop(&a->timeout);
	uv_close((uv_handle_t *)&a->timeout, tcp_closed);
	if (a->sock_open)
		uv_close((uv_handle_t *)&a->sock, tcp_closed);
	if (a->gai_pending)
		uv_cancel((uv_req_t *)&a->gai);
}

static void tcp_connected(uv_connect_t *req, int status)
{
	struct tcp_attempt *a = req->data;
	char out[512];
	if (a->done)
		return;
	if (status == 0)
		snprintf(out, sizeof(out), "TCP connect %s: Success", a->c->target);
	else
		snprintf(out, sizeof(out), "dial tcp %s: connect: %s", a->c->target,
		         uv_strerror(status));
	tcp_finish(a, status == 0 ? "passing" : "critical", out);
}

static void tcp_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct tcp_attempt *a = req->data;
	char out[512];
	a->gai_pending = false;
	if (a->done) {
		uv_freeaddrinfo(res);
		if (--a->open == 0)
			free(a);
		return;
	}
	a->open--;
	if (status != 0 || !res) {
		snprintf(out, sizeof(out), "dial tcp %s: lookup: %s", a->c->target,
		         uv_strerror(status));
		uv_freeaddrinfo(res);
		tcp_finish(a, "critical", out);
		return;
	}
	uv_tcp_init(a->c->loop, &a->sock);
	a->sock.data = a;
	a->sock_open = true;
	a->open++;
	a->conn.data = a;
	int rc = uv_tcp_connect(&a->conn, &a->sock, res->ai_addr, tcp_connected);
	uv_freeaddrinfo(res);
	if (rc != 0) {
		snprintf(out, sizeof(out), "dial tcp %s: connect: %s", a->c->target,
		         uv_strerror(rc));
		tcp_finish(a, "critical", out);
	}
}

static void tcp_timed_out(uv_timer_t *t)
{
	struct tcp_attempt *a = t->data;
	char out[512];
	snprintf(out, sizeof(out), "dial tcp %s: i/o timeout", a->c->target);
	tcp_finish(a, "critical", out);
}

static void tcp_probe(struct checker *c)
{
	char host[256], port[16], out[512];
	if (c->tcp)
		return;
	const char *colon = strrchr(c->target, ':');
	size_t hl = colon ? (size_t)(colon - c->target) : 0;
	if (!colon || !hl || hl >= sizeof(host) || strlen(colon + 1) >= sizeof(port)) {
		snprintf(out, sizeof(out), "dial tcp %s: missing port in address", c->target);
		report(c, "critical", out);
		return;
	}
	memcpy(host, c->target, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') { /* [::1]:80 */
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	snprintf(port, sizeof(port), "%s", colon + 1);

	struct tcp_attempt *a = calloc(1, sizeof(*a));
	if (!a)
		return;
	a->c = c;
	c->tcp = a;
	uv_timer_init(c->loop, &a->timeout);
	a->timeout.data = a;
	a->open = 1;
	uv_timer_start(&a->timeout, tcp_timed_out, c->timeout_ms, 0);
	a->gai.data = a;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	int rc = uv_getaddrinfo(c->loop, &a->gai, tcp_resolved, host, port, &hints);
	if (rc != 0) {
		snprintf(out, sizeof(out), "dial tcp %s: lookup: %s", c->target, uv_strerror(rc));
		tcp_finish(a, "critical", out);
		return;
	}
	a->gai_pending = true;
	a->open++;
}

/* ------------------------------------------------------------ timers */

static void on_tick(uv_timer_t *t)
{
	struct checker *c = t->data;
	if (c->kind == KIND_HTTP)
		http_probe(c);
	else if (c->kind == KIND_TCP)
		tcp_probe(c);
	else
		report(c, "critical", "TTL expired");
}

static char **http_headers(const cJSON *header)
{
	size_t n = 2;
	const cJSON *h, *v;
	cJSON_ArrayForEach (h, header) {
		n += (size_t)cJSON_GetArraySize(h);
	}
	char **out = calloc(n + 1, sizeof(*out));
	size_t i = 0;
	bool ua = false, accept = false;
	cJSON_ArrayForEach (h, header) {
		cJSON_ArrayForEach (v, h) {
			if (asprintf(&out[i], "%s: %s", h->string, v->valuestring) >= 0)
				i++;
		}
		ua |= strcasecmp(h->string, "User-Agent") == 0;
		accept |= strcasecmp(h->string, "Accept") == 0;
	}
	if (!ua)
		out[i++] = strdup("User-Agent: Consul Health Check");
	if (!accept)
		out[i++] = strdup("Accept: text/plain, text/*, */*");
	return out;
}

struct checker *checker_start(uv_loop_t *loop, struct httpc *http, const struct cat_check *k,
                              checker_result_fn fn, void *data)
{
	const struct checkdef *d = &k->def;
	enum kind kind;
	if (strcmp(k->type, "http") == 0)
		kind = KIND_HTTP;
	else if (strcmp(k->type, "tcp") == 0)
		kind = KIND_TCP;
	else if (strcmp(k->type, "ttl") == 0)
		kind = KIND_TTL;
	else
		return NULL;

	struct checker *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = loop;
	c->http = http;
	c->kind = kind;
	c->id = strdup(k->id);
	c->fn = fn;
	c->data = data;
	c->interval_ms = ms_of(d->interval_ns, 10000);
	c->timeout_ms = ms_of(d->timeout_ns, CHECK_DEFAULT_TIMEOUT_MS);
	c->ttl_ms = ms_of(d->ttl_ns, 0);
	if (kind == KIND_HTTP) {
		c->target = strdup(d->http);
		c->method = strdup(d->method && *d->method ? d->method : "GET");
		c->body = d->body ? strdup(d->body) : NULL;
		c->headers = http_headers(d->header);
		c->insecure = d->tls_skip_verify;
	} else if (kind == KIND_TCP) {
		c->target = strdup(d->tcp);
	}
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	if (kind == KIND_TTL) {
		uv_timer_start(&c->timer, on_tick, c->ttl_ms, 0);
	} else {
		/* Like the agent, stagger the first run, here within a second. */
		uint64_t cap = c->interval_ms < 1000 ? c->interval_ms : 1000;
		uint64_t stagger = cap ? (uint64_t)rand() % cap : 0;
		uv_timer_start(&c->timer, on_tick, stagger, c->interval_ms);
	}
	log_debug("fakeconsul: running %s check %s every %llu ms", k->type, k->id,
	          (unsigned long long)c->interval_ms);
	return c;
}

void checker_ttl_reset(struct checker *c)
{
	if (c && c->kind == KIND_TTL)
		uv_timer_start(&c->timer, on_tick, c->ttl_ms, 0);
}

static void checker_closed(uv_handle_t *h)
{
	struct checker *c = h->data;
	free(c->id);
	free(c->target);
	free(c->method);
	free(c->body);
	strv_free(c->headers);
	free(c);
}

void checker_stop(struct checker *c)
{
	if (!c)
		return;
	if (c->inflight)
		httpc_cancel(c->inflight);
	c->inflight = NULL;
	if (c->tcp) {
		struct tcp_attempt *a = c->tcp;
		c->tcp = NULL;
		a->c = NULL; /* detached: tcp_finish reports nothing */
		tcp_finish(a, NULL, NULL);
	}
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, checker_closed);
}
