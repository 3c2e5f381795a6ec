/* Helpers for hook authors (see hook.h). */
#include "hook.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *hook_event_name(enum hook_event ev)
{
	static const char *names[] = {"BeforeTaskStart", "AfterTaskStart", "AfterTaskHealthy",
	                              "BeforeTerminate"};
	return ev < HOOK_EVENT_COUNT ? names[ev] : "Unknown";
}

int hook_fail(struct hook_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	return -1;
}

static int valid_key(const char *s, size_t n)
{
	if (n == 0 ||
	    !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

int hook_setenv(struct hook_result *res, const char *kv)
{
	const char *eq = kv ? strchr(kv, '=') : NULL;
	if (!eq || !valid_key(kv, (size_t)(eq - kv)))
		return hook_fail(
		    res, "environment entry '%.64s' is not KEY=VALUE with KEY an identifier",
		    kv ? kv : "(null)");
	char **n = realloc(res->setenv, (res->nsetenv + 1) * sizeof(*n));
	if (!n)
		return hook_fail(res, "out of memory");
	res->setenv = n;
	if (!(n[res->nsetenv] = strdup(kv)))
		return hook_fail(res, "out of memory");
	res->nsetenv++;
	return 0;
}

int64_t hook_ms_left(const struct hook_call *call, int64_t limit)
{
	if (!call || call->deadline_ms <= 0)
		return limit;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t left = call->deadline_ms - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if (left < 0)
		left = 0;
	return left < limit ? left : limit;
}
