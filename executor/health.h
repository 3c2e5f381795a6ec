/* The running checker of Mesos health checks (TaskInfo.health_check) and
 * generalized checks (TaskInfo.check), inside the executor's loop: HTTP(S)
 * probes through the shared libcurl multi handle, TCP probes through libuv,
 * COMMAND probes through proc_spawn in their own process group
 * (health_probe.h). Results are counted by the pure rules (health_rules.h)
 * as Mesos' src/checks/ does; the shell hears only of results that need a
 * status update and hands them to the state machine. */
#ifndef EXECUTOR_HEALTH_H
#define EXECUTOR_HEALTH_H

#include "common/httpc.h"
#include "executor/health_rules.h"
#include "proto/mesos.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* ---- the running checker */

struct health_cbs {
	/* A health verdict that needs an update; `message` says why. */
	void (*on_health)(void *data, enum health_verdict v, const char *message);
	/* A generalized check result that differs from the previous one. The
	 * status is valid during the call only. */
	void (*on_check)(void *data, const Mesos__V1__CheckStatusInfo *status);
	void *data;
};

struct health_opts {
	uv_loop_t *loop;
	struct httpc *http;
	const Mesos__V1__TaskInfo *task; /* health_check and/or check; borrowed */
	char *const *task_env;           /* for COMMAND probes; borrowed */
	const char *sandbox;             /* working directory of COMMAND probes */
	struct health_cbs cbs;
	/* Clock, for tests: nanoseconds, monotonic. NULL: uv_hrtime. */
	int64_t (*now)(void);
};

struct health;

/* Starts whatever the task defines. Invalid checks are logged and skipped,
 * as Mesos does. Returns NULL when there is nothing to run. */
struct health *health_start(const struct health_opts *o);
/* Stops every probe (killing COMMAND probes) and frees the checker once its
 * handles are closed. No callback runs after this. */
void health_stop(struct health *h);

#endif
