/* Log shipping (task label log-scraping=logstash, docs/labels.md; the Go
 * executor's servicelog/ package does the same): the task's
 * stdout and stderr go to pipes that the executor reads on its loop; every
 * line is still written to the executor's own stdout/stderr (the sandbox
 * files) unless ALLEGRO_EXECUTOR_SERVICELOG_COPY_OUTPUT=false, and every
 * JSON object line is reshaped for Logstash (@timestamp, @version, message,
 * instance-id, scid, srchost, region, zone; ignored keys removed) and sent
 * over TCP (reconnecting with backoff) or UDP, to a fixed address or to the
 * passing instances of a Consul service, round-robin. Other lines are left
 * in the sandbox, or wrapped as {"logger":"invalid-format",...} entries
 * when the label log-scraping-all is non-empty.
 *
 * The task is never slowed down: the executor always reads, and when the
 * shipper is behind (Logstash slow or down) lines are dropped and counted,
 * never buffered beyond ALLEGRO_EXECUTOR_SERVICELOG_BUFFER_SIZE lines (and
 * 16 MiB). Lines longer than 1 MiB are cut into 1 MiB pieces at a UTF-8
 * character boundary. RATE_LIMIT (lines/s) and SIZE_LIMIT (bytes per
 * entry) drop and count too.
 *
 * Wiring (runtime.c):
 *   at startup      struct logship_config lc;
 *                   logship_config_init(&lc, cfg);  lc.metrics = metrics;
 *   launching the task (start_task), after its environment is built, before spawning:
 *                   int out_fd = -1, err_fd = -1;
 *                   rc = logship_start(loop, &lc, task, env, &rt->logship,
 *                                      &out_fd, &err_fd, err, errlen);
 *                   rc < 0: fail the launch with err
 *                   rc == 0: spawn with proc_spec.stdout_fd = out_fd,
 *                            .stderr_fd = err_fd, then close both fds
 *                   rc == 1: no shipping; spawn as before
 *   in teardown, before metrics_close:  logship_stop(rt->logship);
 * logship_stop reads what the task left in the pipes and sends what it
 * can for up to ALLEGRO_EXECUTOR_SERVICELOG_FLUSH_TIMEOUT (1s), then frees
 * everything; the loop runs until it is done. */
#ifndef EXECUTOR_LOGSHIP_LOGSHIP_H
#define EXECUTOR_LOGSHIP_LOGSHIP_H

#include "executor/config.h"
#include "hooks/consul_client.h"
#include "executor/telemetry/metrics.h"
#include "proto/mesos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define LOGSHIP_LINE_MAX     (1024 * 1024)
#define LOGSHIP_BUFFER_BYTES (16 * 1024 * 1024)

struct logship_config {
	/* ALLEGRO_EXECUTOR_SERVICELOG_* (strings borrowed until logship_start
	 * returns) */
	const char *protocol;       /* "tcp" (NULL) or "udp" */
	const char *address;        /* LOGSTASH_ADDRESS host:port */
	const char *service;        /* LOGSTASH_DISCOVERY_SERVICE_NAME */
	int64_t refresh_ns;         /* LOGSTASH_DISCOVERY_REFRESH_INTERVAL; 0: 1s */
	long rate_limit;            /* lines per second, 0: none */
	long size_limit;            /* bytes per entry, 0: none */
	long buffer_lines;          /* BUFFER_SIZE; 0: 2000 */
	size_t buffer_bytes;        /* 0: LOGSHIP_BUFFER_BYTES */
	int64_t connect_timeout_ns; /* LOGSTASH_TCP_TIMEOUT; 0: 2s */
	int64_t keepalive_ns;       /* LOGSTASH_TCP_KEEP_ALIVE; 0: 5s */
	int64_t flush_ns;           /* FLUSH_TIMEOUT; 0: 1s */
	const char *ignore_keys;    /* IGNORE_KEYS, comma-separated */
	bool copy_output;           /* COPY_OUTPUT: raw lines to the sandbox too */
	/* the host */
	const char *executor_id;   /* instance-id */
	const char *hostname;      /* srchost; NULL: runenv_hostname() */
	const char *region, *zone; /* CLOUD_REGION, CLOUD_AVAILABILITY_ZONE */
	/* The Consul agent for discovery, as the Consul hook reaches it
	 * (hooks/consul_client.h; owned by logship_config_init's caller, who
	 * frees it with logship_config_free). */
	struct consul_client consul;
	char consul_error[512];  /* why the Consul settings are unusable, or "" */
	int stdout_copy_fd;      /* where the sandbox copy goes: 1 */
	int stderr_copy_fd;      /* 2 */
	struct metrics *metrics; /* optional: counters published as logship.* */
	/* storage for logship_config_init */
	char hostname_buf[256];
};

/* Fills lc from the executor's configuration and environment (CLOUD_*,
 * MESOS_HOSTNAME, Consul's client settings). lc borrows cfg's strings and
 * the environment's; free it with logship_config_free. */
void logship_config_init(struct logship_config *lc, const struct ex_config *cfg);
void logship_config_free(struct logship_config *lc);

struct logship;

/* Starts shipping when the task has log-scraping=logstash: creates the
 * pipes, returns their write ends (close-on-exec; the caller hands them to
 * the task and closes them) and starts reading. Returns 0 with *out and the
 * fds, 1 when the task did not ask for shipping (fds -1), or -1 with err
 * (no or bad scId label, no Logstash address or service, bad address, no
 * pipes). `task_env` is unused today (kept for variables a task may set). */
int logship_start(uv_loop_t *loop, const struct logship_config *cfg,
                  const Mesos__V1__TaskInfo *task, char *const *task_env, struct logship **out,
                  int *stdout_fd, int *stderr_fd, char *err, size_t errlen);
/* Reads what is left, flushes for up to flush_ns, closes, frees. NULL is
 * fine. Call before metrics_close (it publishes its last numbers there). */
void logship_stop(struct logship *ls);

struct logship_stats {
	uint64_t lines;          /* lines read from the task */
	uint64_t cut;            /* of which pieces of a line over 1 MiB */
	uint64_t not_json;       /* left in the sandbox, not shipped */
	uint64_t shipped;        /* entries written to Logstash */
	uint64_t dropped_buffer; /* shipper behind: buffer full */
	uint64_t dropped_rate;   /* over RATE_LIMIT */
	uint64_t dropped_size;   /* over SIZE_LIMIT (or a UDP datagram) */
	uint64_t dropped_send;   /* lost with a broken connection */
	uint64_t dropped_stop;   /* still queued when the flush time ran out */
	uint64_t copy_failed;    /* sandbox copies that could not be written */
	uint64_t connects;       /* connections made (TCP) */
	uint64_t connect_failures;
	uint64_t queued;  /* entries waiting now */
	uint64_t targets; /* Logstash instances known now */
};
void logship_stats(const struct logship *ls, struct logship_stats *out);

#endif
