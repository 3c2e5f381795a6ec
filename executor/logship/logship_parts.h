/* The pieces of the log shipper (executor/logship/logship.h), one file each:
 *   logship_lines.c   a byte stream cut into lines of at most 1 MiB
 *   logship_shape.c   a task's line turned into a Logstash entry
 *   logship_out.c     the bounded queue, the limits, TCP and UDP senders
 *   logship_consul.c  Logstash instances from Consul's health API
 * logship.c ties them to the task's pipes. Only logship.c and the tests
 * include this header. */
#ifndef EXECUTOR_LOGSHIP_LOGSHIP_PARTS_H
#define EXECUTOR_LOGSHIP_LOGSHIP_PARTS_H

#include "hooks/consul_client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

/* ------------------------------------------------------------ lines */

/* One line without its newline; `cut` when it is a piece of a longer one. */
typedef void (*logship_line_fn)(void *data, const char *line, size_t len, bool cut);

struct logship_lines {
	char *buf; /* the unfinished line, owned */
	size_t len, cap, max;
	bool cutting; /* the current line was cut before: its rest is a piece too */
	logship_line_fn fn;
	void *data;
};

void logship_lines_init(struct logship_lines *l, size_t max, logship_line_fn fn, void *data);
/* Calls fn for every complete line in p (and what was carried over). */
void logship_lines_feed(struct logship_lines *l, const char *p, size_t n);
/* End of stream: an unfinished line is delivered as a line. */
void logship_lines_finish(struct logship_lines *l);
void logship_lines_free(struct logship_lines *l);
/* Where to cut a line that goes on past p[n - 1] with the byte `next`: at
 * n, or back at the start of the UTF-8 character that `next` continues. */
size_t logship_utf8_cut(const char *p, size_t n, unsigned char next);

/* ------------------------------------------------------------ shape */

struct logship_shaper {
	char **ignore; /* owned keys to remove */
	size_t nignore;
	char *instance_id, *srchost, *region, *zone; /* owned; NULL: omitted */
	long long scid;
	char scid_text[24]; /* printed once: numbers are costly to print */
	bool wrap_invalid;  /* label log-scraping-all is non-empty */
	char *out;          /* the last entry, owned, reused */
	size_t cap;
};

struct logship_shape_opts {
	const char *ignore_keys; /* comma-separated */
	const char *instance_id;
	long long scid;
	const char *srchost, *region, *zone;
	bool wrap_invalid;
};

int logship_shaper_init(struct logship_shaper *s, const struct logship_shape_opts *o);
void logship_shaper_free(struct logship_shaper *s);
/* The Logstash entry for a line, newline-terminated, in s->out (valid until
 * the next call), or NULL when the line is not a JSON object and is not to
 * be wrapped. `now` is used for wrapped lines and lines without "time". */
const char *logship_shape(struct logship_shaper *s, const char *line, size_t len,
                          const struct timespec *now, size_t *out_len);
/* The scId label as an integer. Returns 0, or -1 with err. */
int logship_parse_scid(const char *label, long long *out, char *err, size_t errlen);
/* Go's time.RFC3339Nano in UTC: 2024-05-01T10:00:00.123456789Z. */
void logship_rfc3339nano(const struct timespec *t, char *buf, size_t len);

/* ------------------------------------------------------------ out */

struct logship_out_config {
	bool udp;
	long buffer_lines;          /* most entries held */
	size_t buffer_bytes;        /* most bytes held */
	long rate_limit;            /* entries per second, burst the same; 0: none */
	long size_limit;            /* bytes per entry (newline included); 0: none */
	int64_t connect_timeout_ns; /* TCP connect */
	int64_t keepalive_ns;       /* TCP keep-alive idle time */
};

struct logship_out_stats {
	uint64_t shipped, dropped_buffer, dropped_rate, dropped_size, dropped_send, dropped_stop;
	uint64_t connects, connect_failures;
	uint64_t queued, targets;
};

struct logship_out;

struct logship_out *logship_out_new(uv_loop_t *loop, const struct logship_out_config *cfg);
/* The Logstash instances ("host:port", "[v6]:port"); connections to the
 * ones that left are closed once their write is done. */
void logship_out_set_targets(struct logship_out *o, const char *const *addrs, size_t n);
/* Takes an entry (copied), or drops and counts it. */
void logship_out_send(struct logship_out *o, const char *entry, size_t len);
/* Starts writing what is queued (after a batch of logship_out_send). */
void logship_out_kick(struct logship_out *o);
void logship_out_stats(const struct logship_out *o, struct logship_out_stats *out);
/* Sends what it can within flush_ms, then closes everything, frees o and
 * calls cb with the final numbers. */
void logship_out_close(struct logship_out *o, uint64_t flush_ms,
                       void (*cb)(void *data, const struct logship_out_stats *final), void *data);
/* "host:port" or "[v6]:port" split into host and port; 0 or -1. */
int logship_split_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen);

/* Token bucket: `rate` per second, burst `rate`; now in milliseconds. */
struct logship_bucket {
	double tokens;
	uint64_t last_ms;
	long rate;
};
void logship_bucket_init(struct logship_bucket *b, long rate, uint64_t now_ms);
bool logship_bucket_take(struct logship_bucket *b, uint64_t now_ms);

/* ------------------------------------------------------------ consul */

typedef void (*logship_targets_fn)(void *data, const char *const *addrs, size_t n);

struct logship_consul;

/* Asks the Consul agent `cc` (copied) for
 * /v1/health/service/<service>?passing at once and every refresh_ns after
 * each answer; fn gets every non-empty list that differs from the last one. */
struct logship_consul *logship_consul_start(uv_loop_t *loop, const struct consul_client *cc,
                                            const char *service, int64_t refresh_ns,
                                            logship_targets_fn fn, void *data);
void logship_consul_stop(struct logship_consul *c);
/* The "host:port" of every instance whose checks all pass, sorted, no
 * duplicates; *addrs and its strings malloc'd (free with
 * strv_free_n, common/str.h). Returns the count, or -1 with err. */
int logship_consul_parse(const char *json, size_t len, char ***addrs, char *err, size_t errlen);

#endif
