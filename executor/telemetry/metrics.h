/* The executor's metrics: a small registry of counters, gauges and timings,
 * reported every interval (1 minute) as Graphite plaintext
 * ("<path> <value> <unix time>\n" over TCP, ALLEGRO_EXECUTOR_GRAPHITE_*) or,
 * without a Graphite host, as one log line. Paths are
 * <PREFIX>.<host name, '.' -> '_'>.<executor id, '.' -> '_'>.<name> (the Go
 * executor's metrics/graphite.go, buildUniquePrefix). One uv timer, no thread; a report that cannot
 * be delivered is counted and logged, never retried, never blocking. The timer is unref'd: metrics
 * never keep the loop alive by themselves (a report in flight and the last one made by
 * metrics_close do).
 *
 *   struct metrics *m = metrics_new(loop, &(struct metrics_config){...}, err, n);
 *   metrics_start(m);
 *   metrics_add(m, "updates.sent", 1);       counter
 *   metrics_set(m, "health.failing", 1);     gauge
 *   metrics_observe(m, "hooks.BeforeTaskStart.ms", 12.5);  timing
 *   metrics_close(m);                        last report, then frees
 *
 * Every function accepts m == NULL and then does nothing, so callers need
 * no "is it on" checks. Every report also carries process.rss_bytes,
 * process.cpu_seconds, process.cpu_percent and process.uptime_seconds, and
 * the values of the registered sources (e.g. the log shipper's counters). */
#ifndef EXECUTOR_TELEMETRY_METRICS_H
#define EXECUTOR_TELEMETRY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define METRICS_DEFAULT_PORT        2003
#define METRICS_DEFAULT_PREFIX      "allegro.executor"
#define METRICS_DEFAULT_INTERVAL_NS (60LL * 1000000000)

struct metrics_config {
	const char *graphite_host; /* NULL or "": log the metrics instead */
	int graphite_port;         /* 0: 2003 */
	const char *prefix;        /* NULL: allegro.executor */
	const char *hostname;      /* NULL: runenv_hostname() */
	const char *executor_id;   /* NULL: "unknown" */
	int64_t interval_ns;       /* 0: one minute */
};

struct metrics;

/* Validates the configuration (port range, non-empty prefix); the strings
 * are copied. Returns NULL with err. */
struct metrics *metrics_new(uv_loop_t *loop, const struct metrics_config *cfg, char *err,
                            size_t errlen);
/* Starts reporting every interval. */
void metrics_start(struct metrics *m);
/* One last report (given up to a second to reach Graphite), then closes
 * the handles and frees m. The loop keeps running until that is done. */
void metrics_close(struct metrics *m);

/* Adds to a counter (created at 0). */
void metrics_add(struct metrics *m, const char *name, int64_t delta);
/* Sets a gauge. */
void metrics_set(struct metrics *m, const char *name, double value);
/* Records one timing or size; reported as <name>.count, <name>.mean and
 * <name>.max over the executor's life. */
void metrics_observe(struct metrics *m, const char *name, double value);
/* The current value of a counter or gauge (a timing's count); 0 if unknown. */
double metrics_get(const struct metrics *m, const char *name);

/* Sources are called right before every report to set their values (with
 * metrics_set); a module registers itself while it runs. */
typedef void (*metrics_source_fn)(void *data, struct metrics *m);
void metrics_add_source(struct metrics *m, metrics_source_fn fn, void *data);
void metrics_remove_source(struct metrics *m, metrics_source_fn fn, void *data);

/* Reports now (tests; the timer keeps its schedule). */
void metrics_flush(struct metrics *m);

/* What the reporter did, for tests and for the metrics themselves. */
struct metrics_stats {
	uint64_t reports;    /* reports made (sent or logged) */
	uint64_t sent;       /* reports Graphite accepted (written and closed) */
	uint64_t failed;     /* reports that could not be delivered */
	uint64_t superseded; /* reports abandoned because the next one was due */
};
void metrics_stats(const struct metrics *m, struct metrics_stats *out);

/* The report text: one "<prefix><name> <value> <ts>\n" line per value, in
 * name order; malloc'd (caller frees), NULL when out of memory. For the log
 * form, sep is " " and no timestamps ("name=value name=value"). */
char *metrics_render(struct metrics *m, const char *prefix, long ts, bool logfmt, size_t *len);
/* "<PREFIX>.<host>.<executor>." as Graphite wants it (see the top). */
void metrics_path_prefix(const char *prefix, const char *hostname, const char *executor_id,
                         char *buf, size_t len);

#endif
