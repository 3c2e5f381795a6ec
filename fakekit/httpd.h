/* The scaffold every fake server stands on: libmicrohttpd in external-epoll
 * mode driven by a libuv loop (one uv_poll_t on MHD's epoll fd, one timer),
 * a route table with 405 + Allow for known paths, whole request bodies handed
 * to handlers, replies now or later (suspended connections: blocking queries,
 * slow answers), chunked streams that are written to as events happen, JSON
 * helpers, a loopback-only default, and clean shutdown on SIGINT/SIGTERM.
 *
 * Ownership: a request (struct httpd_req) belongs to the scaffold; a handler
 * must answer it exactly once, now or later (after httpd_defer), with
 * httpd_reply* or httpd_stream_open. A stream belongs to its opener until
 * httpd_stream_release. */
#ifndef FAKEKIT_HTTPD_H
#define FAKEKIT_HTTPD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct httpd;
struct httpd_req;
struct httpd_stream;

typedef void (*httpd_handler)(struct httpd_req *req, void *data);

struct httpd_route {
	const char *method; /* "GET", "PUT", ... */
	const char *path;   /* exact path, or a prefix when it ends in '/' or '*' */
	httpd_handler fn;
};

struct httpd_config {
	const char *name;                 /* for logs */
	const char *listen;               /* "HOST:PORT"; port 0 picks a free port */
	const char *unix_socket;          /* also serve on this Unix socket path */
	bool allow_non_loopback;          /* bind a non-loopback address */
	const char *tls_cert, *tls_key;   /* PEM text: serve HTTPS on `listen` (copied) */
	size_t max_body;                  /* largest request body (default 64 MiB) */
	unsigned connection_limit;        /* default 4096 */
	const struct httpd_route *routes; /* ended by an entry with path NULL */
	/* Called for requests no route matches; NULL gives 404. */
	httpd_handler fallback;
	void *data; /* passed to every handler */
	/* Called for every request before routing (fault injection, request
	 * logs: fakekit/fakectl.h). Returns true when it took the request: it
	 * answered it, or deferred it and will answer or httpd_route it later. */
	bool (*intercept)(struct httpd_req *req, void *intercept_data);
	void *intercept_data;
};

/* Binds and starts serving on the loop. Returns NULL with err filled. */
struct httpd *httpd_start(uv_loop_t *loop, const struct httpd_config *cfg, char *err,
                          size_t errlen);
/* The bound address ("127.0.0.1:41234"). */
const char *httpd_address(const struct httpd *d);
/* Prints "listening on http://HOST:PORT" (https with TLS) as a line on
 * stdout and flushes. */
void httpd_announce(const struct httpd *d);
/* Stops serving: closes streams, answers deferred requests with 503, closes
 * the listener. The struct is freed once its handles are closed. */
void httpd_stop(struct httpd *d);

/* Whether a "HOST:PORT" names a loopback host (127.0.0.0/8, ::1, localhost). */
bool httpd_is_loopback(const char *listen);

/* --- requests */
const char *httpd_method(const struct httpd_req *r);
const char *httpd_path(const struct httpd_req *r); /* percent-decoded */
const char *httpd_header(const struct httpd_req *r, const char *name);
const char *httpd_query(const struct httpd_req *r, const char *name); /* NULL if absent */
bool httpd_has_query(const struct httpd_req *r, const char *name);
/* Calls fn for every query parameter in order, repeated names included
 * (value NULL for "?flag"), or for every request header. */
typedef void (*httpd_kv_fn)(void *data, const char *key, const char *value);
void httpd_query_each(const struct httpd_req *r, httpd_kv_fn fn, void *data);
void httpd_header_each(const struct httpd_req *r, httpd_kv_fn fn, void *data);
const char *httpd_body(const struct httpd_req *r, size_t *len); /* NUL-terminated */
bool httpd_via_unix_socket(const struct httpd_req *r);
/* Parses the body as JSON; NULL (and a 400 already sent, text in err) if not. */
cJSON *httpd_body_json(struct httpd_req *r);
/* The server's handler data. */
void *httpd_data(const struct httpd_req *r);

/* --- replies. `headers` are "Name: value" strings ended by NULL (or NULL). */
void httpd_reply(struct httpd_req *r, unsigned status, const char *content_type, const void *body,
                 size_t len, const char *const *headers);
void httpd_reply_text(struct httpd_req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Takes ownership of json. */
void httpd_reply_json(struct httpd_req *r, unsigned status, cJSON *json,
                      const char *const *headers);
/* Keeps the request open: answer later (on the loop) with any httpd_reply*.
 * Called from inside the handler. `on_abort` runs instead if the server
 * stops first (the request is then answered with 503 by the scaffold). */
void httpd_defer(struct httpd_req *r, void (*on_abort)(struct httpd_req *, void *), void *data);
/* Routes a request that the intercept hook deferred, as if it had just
 * arrived (the hook is not called again). */
void httpd_route(struct httpd_req *r);
/* Answers nothing: the connection is closed, as a crashing server would
 * leave it (fault injection). Instead of a reply, now or after httpd_defer. */
void httpd_drop(struct httpd_req *r);

/* --- streams: 200 (or any status) with a chunked body written over time */
typedef void (*httpd_stream_closed_cb)(struct httpd_stream *s, void *data);
struct httpd_stream *httpd_stream_open(struct httpd_req *r, unsigned status,
                                       const char *content_type, const char *const *headers,
                                       httpd_stream_closed_cb on_closed, void *data);
/* Queues bytes (copied). Returns -1 when the stream is already closed. */
int httpd_stream_write(struct httpd_stream *s, const void *bytes, size_t len);
/* Ends the stream: with `abort`, the connection is cut without the final
 * chunk, as a crashing server would; otherwise the zero chunk is sent. */
void httpd_stream_end(struct httpd_stream *s, bool abort);
bool httpd_stream_closed(const struct httpd_stream *s);
/* The opener lets go; no on_closed callback after this. */
void httpd_stream_release(struct httpd_stream *s);

/* --- running a fake: SIGINT/SIGTERM stop the server(s) and the loop ends. */
void httpd_stop_on_signals(uv_loop_t *loop, void (*on_signal)(void *data), void *data);

#endif
