/* The pure rules of health checking (see health_rules.h): Mesos' counting
 * of health check results (src/checks/health_checker.cpp,
 * HealthChecker::failure/success) and the validation of HealthCheck and
 * CheckInfo (src/common/validation.cpp, validateHealthCheck,
 * validateCheckInfo), with Mesos' error messages. No I/O here; the running
 * checker is health.c and the probes health_probe.c. */
#include "health_rules.h"

#include "common/duration.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Mesos' defaults (the proto defaults), for fields that are not set. */
#define DEFAULT_DELAY_SECS           15.0
#define DEFAULT_INTERVAL_SECS        10.0
#define DEFAULT_TIMEOUT_SECS         20.0
#define DEFAULT_GRACE_SECS           10.0
#define DEFAULT_CONSECUTIVE_FAILURES 3u
/* Durations must fit int64 nanoseconds; anything above ~31 years is a typo. */
#define MAX_SECS 1e9

static int64_t secs_to_ns(double s)
{
	if (!(s > 0))
		return 0;
	return duration_from_secs(s > MAX_SECS ? MAX_SECS : s);
}

/* ---- timing */

static void timing(bool has_delay, double delay, bool has_interval, double interval,
                   bool has_timeout, double timeout, struct health_timing *t)
{
	t->delay_ns = secs_to_ns(has_delay ? delay : DEFAULT_DELAY_SECS);
	t->interval_ns = secs_to_ns(has_interval ? interval : DEFAULT_INTERVAL_SECS);
	t->timeout_ns = secs_to_ns(has_timeout ? timeout : DEFAULT_TIMEOUT_SECS);
}

void health_timing_of(const Mesos__V1__HealthCheck *hc, struct health_timing *t)
{
	timing(hc->has_delay_seconds, hc->delay_seconds, hc->has_interval_seconds,
	       hc->interval_seconds, hc->has_timeout_seconds, hc->timeout_seconds, t);
}

void check_timing_of(const Mesos__V1__CheckInfo *ci, struct health_timing *t)
{
	timing(ci->has_delay_seconds, ci->delay_seconds, ci->has_interval_seconds,
	       ci->interval_seconds, ci->has_timeout_seconds, ci->timeout_seconds, t);
}

/* ---- counting results */

void health_counter_init(struct health_counter *c, const Mesos__V1__HealthCheck *hc, int64_t now_ns)
{
	c->start_ns = now_ns;
	c->grace_ns = secs_to_ns(hc->has_grace_period_seconds ? hc->grace_period_seconds
	                                                      : DEFAULT_GRACE_SECS);
	c->max_failures =
	    hc->has_consecutive_failures ? hc->consecutive_failures : DEFAULT_CONSECUTIVE_FAILURES;
	c->failures = 0;
	c->initializing = true;
}

enum health_verdict health_counter_result(struct health_counter *c, bool ok, int64_t now_ns)
{
	if (ok) {
		/* Healthy on the first success, and on the first success after
		 * failures; the grace period ends with the first success. */
		bool report = c->initializing || c->failures > 0;
		c->initializing = false;
		c->failures = 0;
		return report ? HEALTH_HEALTHY : HEALTH_QUIET;
	}
	if (c->initializing && c->grace_ns > 0 && now_ns - c->start_ns <= c->grace_ns)
		return HEALTH_QUIET; /* ignored entirely: no update, no count */
	if (c->failures < UINT32_MAX)
		c->failures++;
	return c->failures >= c->max_failures ? HEALTH_UNHEALTHY_KILL : HEALTH_UNHEALTHY;
}

/* ---- validation */

Mesos__V1__HealthCheck__Type health_type(const Mesos__V1__HealthCheck *hc)
{
	if (hc->has_type)
		return hc->type;
	/* Older Marathon tasks set only the sub-message. */
	int n = (hc->http != NULL) + (hc->tcp != NULL) + (hc->command != NULL);
	if (n != 1)
		return MESOS__V1__HEALTH_CHECK__TYPE__UNKNOWN;
	if (hc->http)
		return MESOS__V1__HEALTH_CHECK__TYPE__HTTP;
	if (hc->tcp)
		return MESOS__V1__HEALTH_CHECK__TYPE__TCP;
	return MESOS__V1__HEALTH_CHECK__TYPE__COMMAND;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t len)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	if (v)
		return v->name;
	snprintf(buf, len, "%d", value);
	return buf;
}

/* validateCommandInfo and the command part of both validators. `what` is
 * "health check" or "check"; `What` the same, capitalised. */
static int validate_command(const Mesos__V1__CommandInfo *cmd, const char *what, const char *What,
                            char *err, size_t errlen)
{
	bool shell = cmd->has_shell ? cmd->shell : true;
	if (!cmd->value)
		return fail(err, errlen, "Command %s must contain %s", what,
		            shell ? "'shell command'" : "'executable path'");
	if (!cmd->environment)
		return 0;
	for (size_t i = 0; i < cmd->environment->n_variables; i++) {
		const Mesos__V1__Environment__Variable *v = cmd->environment->variables[i];
		int type =
		    v->has_type ? (int)v->type : MESOS__V1__ENVIRONMENT__VARIABLE__TYPE__VALUE;
		const char *name = v->name ? v->name : "";
		switch (type) {
		case MESOS__V1__ENVIRONMENT__VARIABLE__TYPE__VALUE:
			if (!v->value)
				return fail(
				    err, errlen,
				    "%s's `CommandInfo` is invalid: Environment variable '%s' "
				    "of type 'VALUE' must have a value set",
				    What, name);
			break;
		case MESOS__V1__ENVIRONMENT__VARIABLE__TYPE__SECRET:
			if (v->value)
				return fail(
				    err, errlen,
				    "%s's `CommandInfo` is invalid: Environment variable '%s' "
				    "of type 'SECRET' must not have a value set",
				    What, name);
			break;
		default:
			return fail(err, errlen,
			            "%s's `CommandInfo` is invalid: Environment variable of type "
			            "'UNKNOWN' is not allowed",
			            What);
		}
	}
	return 0;
}

/* Non-negative and representable; NaN fails the first test. */
static int validate_secs(bool has, double v, const char *field, char *err, size_t errlen)
{
	if (!has)
		return 0;
	if (!(v >= 0))
		return fail(err, errlen, "Expecting '%s' to be non-negative", field);
	if (v > MAX_SECS)
		return fail(err, errlen, "Expecting '%s' to be at most %.0f", field, MAX_SECS);
	return 0;
}

int health_validate(const Mesos__V1__HealthCheck *hc, char *err, size_t errlen)
{
	char num[16];
	Mesos__V1__HealthCheck__Type type = health_type(hc);

	if (!hc->has_type && type == MESOS__V1__HEALTH_CHECK__TYPE__UNKNOWN)
		return fail(err, errlen, "HealthCheck must specify 'type'");
	switch (type) {
	case MESOS__V1__HEALTH_CHECK__TYPE__COMMAND:
		if (!hc->command)
			return fail(err, errlen,
			            "Expecting 'command' to be set for COMMAND health check");
		if (validate_command(hc->command, "health check", "Health check", err, errlen) < 0)
			return -1;
		break;
	case MESOS__V1__HEALTH_CHECK__TYPE__HTTP: {
		const Mesos__V1__HealthCheck__HTTPCheckInfo *http = hc->http;
		if (!http)
			return fail(err, errlen,
			            "Expecting 'http' to be set for HTTP health check");
		if (http->scheme && strcmp(http->scheme, "http") != 0 &&
		    strcmp(http->scheme, "https") != 0)
			return fail(err, errlen, "Unsupported HTTP health check scheme: '%s'",
			            http->scheme);
		if (http->path && http->path[0] != '/')
			return fail(err, errlen,
			            "The path '%s' of HTTP health check must start with '/'",
			            http->path);
		break;
	}
	case MESOS__V1__HEALTH_CHECK__TYPE__TCP:
		if (!hc->tcp)
			return fail(err, errlen, "Expecting 'tcp' to be set for TCP health check");
		break;
	default:
		return fail(err, errlen, "'%s' is not a valid health check type",
		            enum_name(&mesos__v1__health_check__type__descriptor, (int)type, num,
		                      sizeof(num)));
	}
	if (validate_secs(hc->has_delay_seconds, hc->delay_seconds, "delay_seconds", err, errlen) <
	        0 ||
	    validate_secs(hc->has_interval_seconds, hc->interval_seconds, "interval_seconds", err,
	                  errlen) < 0 ||
	    validate_secs(hc->has_timeout_seconds, hc->timeout_seconds, "timeout_seconds", err,
	                  errlen) < 0 ||
	    validate_secs(hc->has_grace_period_seconds, hc->grace_period_seconds,
	                  "grace_period_seconds", err, errlen) < 0)
		return -1;
	return 0;
}

int check_validate(const Mesos__V1__CheckInfo *ci, char *err, size_t errlen)
{
	char num[16];

	if (!ci->has_type)
		return fail(err, errlen, "CheckInfo must specify 'type'");
	switch (ci->type) {
	case MESOS__V1__CHECK_INFO__TYPE__COMMAND:
		if (!ci->command || !ci->command->command)
			return fail(err, errlen, "Expecting 'command' to be set for COMMAND check");
		if (validate_command(ci->command->command, "check", "Check", err, errlen) < 0)
			return -1;
		break;
	case MESOS__V1__CHECK_INFO__TYPE__HTTP:
		if (!ci->http)
			return fail(err, errlen, "Expecting 'http' to be set for HTTP check");
		if (ci->http->path && ci->http->path[0] != '/')
			return fail(err, errlen, "The path '%s' of HTTP check must start with '/'",
			            ci->http->path);
		break;
	case MESOS__V1__CHECK_INFO__TYPE__TCP:
		if (!ci->tcp)
			return fail(err, errlen, "Expecting 'tcp' to be set for TCP check");
		break;
	default:
		return fail(err, errlen, "'%s' is not a valid check type",
		            enum_name(&mesos__v1__check_info__type__descriptor, (int)ci->type, num,
		                      sizeof(num)));
	}
	if (validate_secs(ci->has_delay_seconds, ci->delay_seconds, "delay_seconds", err, errlen) <
	        0 ||
	    validate_secs(ci->has_interval_seconds, ci->interval_seconds, "interval_seconds", err,
	                  errlen) < 0 ||
	    validate_secs(ci->has_timeout_seconds, ci->timeout_seconds, "timeout_seconds", err,
	                  errlen) < 0)
		return -1;
	return 0;
}

bool health_has_check(const Mesos__V1__TaskInfo *task)
{
	return task && task->health_check && health_validate(task->health_check, NULL, 0) == 0;
}
