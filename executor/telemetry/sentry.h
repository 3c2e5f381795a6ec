/* Error reports to Sentry (ALLEGRO_EXECUTOR_SENTRY_DSN, as the Go executor's
 * cmd/executor/main.go, initSentry, sends them through logrus_sentry): every
 * error-level log line becomes an event POSTed to Sentry's store API,
 *   POST {scheme}://{host}[:port]{path}/api/{project}/store/
 *   X-Sentry-Auth: Sentry sentry_version=7, sentry_client=..., sentry_key=<public key>[,
 * sentry_secret=...] with message, level, timestamp, release, environment (from the host name:
 * .*-(prod|test|dev)\..*; reports are off in the `local` environment),
 * server_name, tags (executor_id, task_id, framework_id when the line has
 * them) and the line's other fields as extra.
 *
 * The log sink runs on whatever thread logged (hooks log from the thread
 * pool): it copies the line into a bounded queue under a mutex and wakes the
 * loop with a uv_async_t. The loop posts through its own httpc client, two
 * requests at a time, each with a timeout; a full queue drops the line and
 * counts it. Nothing waits on Sentry. The DSN and its secret are registered
 * with the logger as secrets and never logged. The uv_async_t is unref'd:
 * the reporter never keeps the loop alive by itself (posts in flight and
 * sentry_close's flush do).
 *
 * Wiring (runtime.c), after the loop exists and before anything can fail:
 *     struct sentry *sentry = NULL;
 *     if (sentry_start(loop, &(struct sentry_config){.dsn = cfg->sentry_dsn,
 *             .release = EXECUTOR_VERSION, .executor_id = cfg->executor_id,
 *             .framework_id = cfg->framework_id}, &sentry, err, sizeof(err)) < 0)
 *             exit with EX_EXIT_CONFIG and err;
 * and in teardown, sentry_close(sentry) (NULL is fine): it unhooks the log
 * sink, gives queued events up to a second, then frees everything. */
#ifndef EXECUTOR_TELEMETRY_SENTRY_H
#define EXECUTOR_TELEMETRY_SENTRY_H

#include "common/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SENTRY_DEFAULT_QUEUE      64
#define SENTRY_DEFAULT_TIMEOUT_MS 5000

struct sentry_config {
	const char *dsn;         /* NULL or "": reports are off */
	const char *release;     /* the executor's version */
	const char *hostname;    /* NULL: runenv_hostname() */
	const char *environment; /* NULL: runenv_environment(hostname) */
	const char *executor_id; /* tags; may be NULL */
	const char *framework_id;
	size_t queue_max; /* 0: SENTRY_DEFAULT_QUEUE events */
	long timeout_ms;  /* 0: SENTRY_DEFAULT_TIMEOUT_MS per POST */
	long flush_ms;    /* how long sentry_close waits; 0: 1000 */
};

struct sentry;

/* Parses the DSN and, unless reports are off (no DSN, or the `local`
 * environment: *out stays NULL, returns 0), starts the reporter and installs
 * it as the logger's sink for LOG_ERROR: returns 1 with *out. A malformed
 * DSN returns -1 with err (which never contains the DSN's keys). */
int sentry_start(uv_loop_t *loop, const struct sentry_config *cfg, struct sentry **out, char *err,
                 size_t errlen);
/* Removes the log sink, waits up to flush_ms for queued events, then frees
 * s once its handles are closed. NULL is fine. On the loop thread. */
void sentry_close(struct sentry *s);

struct sentry_stats {
	uint64_t queued;  /* lines accepted by the sink */
	uint64_t sent;    /* events Sentry answered 2xx */
	uint64_t failed;  /* events that got an error or no answer */
	uint64_t dropped; /* lines dropped because the queue was full */
};
/* Thread-safe. */
void sentry_stats(struct sentry *s, struct sentry_stats *out);

/* --- pieces, exposed for tests */

struct sentry_dsn {
	char store_url[512]; /* .../api/<project>/store/ */
	char public_key[128];
	char secret_key[128]; /* "" when the DSN has none */
	char project[64];
};
/* Returns 0, or -1 with err naming what is wrong (never the keys). */
int sentry_parse_dsn(const char *dsn, struct sentry_dsn *out, char *err, size_t errlen);
/* The X-Sentry-Auth header line ("X-Sentry-Auth: Sentry ..."). */
void sentry_auth_header(const struct sentry_dsn *d, const char *client, long now, char *buf,
                        size_t len);
/* The event JSON for one logfmt log line; malloc'd, caller frees. Uses
 * ctx's release, hostname (server_name), environment and ids, which must
 * be resolved (not NULL) except the ids. */
char *sentry_event_json(const struct sentry_config *ctx, const char *line, enum log_level lvl);

#endif
