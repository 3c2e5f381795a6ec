/* Mesos health checks (TaskInfo.health_check) and generalized checks
 * (TaskInfo.check), run inside the executor's loop: HTTP(S) probes through
 * the shared libcurl multi handle, TCP probes through libuv, COMMAND probes
 * through proc_spawn in their own process group. Semantics follow Mesos'
 * src/checks/ (spec §11) exactly; the executor only sees results that need a
 * status update.
 *
 * The counting rules live in struct health_counter, which has no I/O, so
 * tests drive them with a fake clock. */
#ifndef HEALTH_H
#define HEALTH_H

#include "common/httpc.h"
#include "proto/mesos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* ---- the rules of §11.1, pure */

struct health_counter {
	int64_t start_ns;      /* when the checker was created */
	int64_t grace_ns;      /* grace_period_seconds */
	uint32_t max_failures; /* consecutive_failures */
	uint32_t failures;     /* consecutive counted failures */
	bool initializing;     /* no success yet */
};

enum health_verdict {
	HEALTH_QUIET,          /* nothing to report */
	HEALTH_HEALTHY,        /* send TASK_RUNNING healthy=true */
	HEALTH_UNHEALTHY,      /* send TASK_RUNNING healthy=false */
	HEALTH_UNHEALTHY_KILL, /* send healthy=false, then kill the task */
};

void health_counter_init(struct health_counter *c, const Mesos__V1__HealthCheck *hc,
                         int64_t now_ns);
enum health_verdict health_counter_result(struct health_counter *c, bool ok, int64_t now_ns);

/* When probes run (§11.1, §11.2), with Mesos' defaults for unset fields
 * (15/10/20 s). timeout_ns 0 means no timeout. Checks must be valid. */
struct health_timing {
	int64_t delay_ns;    /* start -> first probe */
	int64_t interval_ns; /* end of a probe -> start of the next */
	int64_t timeout_ns;  /* 0: none */
};
void health_timing_of(const Mesos__V1__HealthCheck *hc, struct health_timing *t);
void check_timing_of(const Mesos__V1__CheckInfo *ci, struct health_timing *t);

/* ---- validation (§11.1, §11.2): 0, or -1 with the reason */
int health_validate(const Mesos__V1__HealthCheck *hc, char *err, size_t errlen);
int check_validate(const Mesos__V1__CheckInfo *ci, char *err, size_t errlen);
/* The effective type: `type`, or the sub-message that is set when it is
 * absent (older Marathon); UNKNOWN when neither. */
Mesos__V1__HealthCheck__Type health_type(const Mesos__V1__HealthCheck *hc);

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
/* Whether the task has a valid health check (a task without one counts as
 * healthy as soon as it runs). */
bool health_has_check(const Mesos__V1__TaskInfo *task);
/* Stops every probe (killing COMMAND probes) and frees the checker once its
 * handles are closed. No callback runs after this. */
void health_stop(struct health *h);

#endif
