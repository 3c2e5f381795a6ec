/* Stand-ins for the services the executor reports to, for integration
 * tests and the benchmark: a Logstash-like line sink over TCP or UDP (also
 * a Graphite plaintext sink: Graphite's protocol is lines over TCP), and a
 * tiny HTTP endpoint that records requests (Sentry's store API) and gives
 * canned answers (Consul's health API).
 *
 * Each sink runs on its own thread (the HTTP one on libmicrohttpd's), binds
 * 127.0.0.1 on a port the kernel picks, and records what it receives under
 * a lock; the test reads the records and waits on them with deadlines. A
 * line sink can go down (listener and connections closed) and come back on
 * the same port, or stop reading while keeping its connections (a stalled
 * Logstash). Sinks are thread-based; a test that forks should start them in
 * the process that reads them. */
#ifndef TESTS_SUPPORT_SINKS_H
#define TESTS_SUPPORT_SINKS_H

#include <stdbool.h>
#include <stddef.h>

enum sink_kind { SINK_TCP, SINK_UDP };
enum { SINK_COUNT_ONLY = 1 }; /* count lines and bytes, keep no records */

struct sink;

/* Starts a sink on 127.0.0.1:port (0: any free port). NULL on failure. */
struct sink *sink_start(enum sink_kind kind, unsigned port, int flags);
/* Stops the thread, closes everything and frees the sink. */
void sink_stop(struct sink *s);
unsigned sink_port(const struct sink *s);
/* "127.0.0.1:PORT" */
const char *sink_addr(const struct sink *s);

/* Closes the listener and every connection (records are kept). */
void sink_down(struct sink *s);
/* Listens again on the same port. Returns 0, or -1 if it is taken. */
int sink_up(struct sink *s);
/* Stops or resumes reading from the connections (they stay open). */
void sink_set_reading(struct sink *s, bool reading);

/* Records so far: lines (TCP, without the newline) or datagrams (UDP, a
 * trailing newline removed). */
size_t sink_count(struct sink *s);
size_t sink_bytes(struct sink *s);
/* Connections accepted so far (TCP). */
size_t sink_connections(struct sink *s);
/* A malloc'd copy of record i, or NULL. */
char *sink_record(struct sink *s, size_t i);
/* Waits up to timeout_ms for at least n records; returns the count. */
size_t sink_wait(struct sink *s, size_t n, int timeout_ms);
/* Graphite: the value of the last line "<path> <value> <timestamp>" with
 * this path. Returns true when there is one. */
bool sink_graphite(struct sink *s, const char *path, double *value, long *ts);
/* Waits up to timeout_ms for a Graphite line with this path. */
bool sink_graphite_wait(struct sink *s, const char *path, double *value, int timeout_ms);

/* ------------------------------------------------------------ HTTP */

struct http_sink;

struct http_sink_req {
	char method[16];
	char path[256];
	char query[512]; /* "k=v&k2" as received, decoded */
	char *headers;   /* "Name: value\n" lines, malloc'd */
	char *body;      /* malloc'd, NUL-terminated */
	size_t body_len;
};

struct http_sink *http_sink_start(void);
void http_sink_stop(struct http_sink *h);
/* "127.0.0.1:PORT" */
const char *http_sink_addr(const struct http_sink *h);
/* What a path answers (exact match; copied); others get 200 "{}". */
void http_sink_reply(struct http_sink *h, const char *path, int status, const char *body);
/* Every answer waits this long first (a slow server). */
void http_sink_delay(struct http_sink *h, int ms);
size_t http_sink_count(struct http_sink *h);
/* Copies request i; false if there is none. Free with http_sink_req_free. */
bool http_sink_get(struct http_sink *h, size_t i, struct http_sink_req *out);
void http_sink_req_free(struct http_sink_req *r);
/* A header's value in a recorded request (case-insensitive name), copied
 * into buf; false if absent. */
bool http_sink_header(const struct http_sink_req *r, const char *name, char *buf, size_t len);
/* Waits up to timeout_ms for at least n requests; returns the count. */
size_t http_sink_wait(struct http_sink *h, size_t n, int timeout_ms);

#endif
