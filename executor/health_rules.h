/* The pure rules of Mesos health checks (TaskInfo.health_check) and
 * generalized checks (TaskInfo.check): the counting of results into verdicts
 * (Mesos src/checks/health_checker.cpp, HealthChecker::failure and
 * HealthChecker::success), when probes run with Mesos' defaults for unset
 * fields, and the validation of HealthCheck and CheckInfo with Mesos' error
 * messages (src/common/validation.cpp: validateHealthCheck,
 * validateCheckInfo). No I/O here: the running checker is health.h, and the
 * state machine (executor.h) acts on the verdicts. */
#ifndef EXECUTOR_HEALTH_RULES_H
#define EXECUTOR_HEALTH_RULES_H

#include "proto/mesos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- counting results */

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

/* When probes run, with Mesos' defaults for unset fields (15/10/20 s).
 * timeout_ns 0 means no timeout. Checks must be valid. */
struct health_timing {
	int64_t delay_ns;    /* start -> first probe */
	int64_t interval_ns; /* end of a probe -> start of the next */
	int64_t timeout_ns;  /* 0: none */
};
void health_timing_of(const Mesos__V1__HealthCheck *hc, struct health_timing *t);
void check_timing_of(const Mesos__V1__CheckInfo *ci, struct health_timing *t);

/* ---- validation: 0, or -1 with the reason */
int health_validate(const Mesos__V1__HealthCheck *hc, char *err, size_t errlen);
int check_validate(const Mesos__V1__CheckInfo *ci, char *err, size_t errlen);
/* The effective type: `type`, or the sub-message that is set when it is
 * absent (older Marathon); UNKNOWN when neither. */
Mesos__V1__HealthCheck__Type health_type(const Mesos__V1__HealthCheck *hc);
/* Whether the task has a valid health check (a task without one counts as
 * healthy as soon as it runs). */
bool health_has_check(const Mesos__V1__TaskInfo *task);

#endif
