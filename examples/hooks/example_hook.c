/* An example hook, the starting point for your own (docs/hooks.md walks
 * through it). It keeps a small "task ledger" file on the agent: one line when
 * the task becomes healthy and one when it is about to be terminated, the
 * kind of file a local sidecar or a cron job could read. It also tells the
 * task where that file is.
 *
 *   ALLEGRO_EXECUTOR_EXAMPLE_HOOK_FILE=/var/lib/tasks.log   enables the hook
 *
 * Events:
 *   BeforeTaskStart   adds EXAMPLE_HOOK_FILE=<path> to the task's environment
 *   AfterTaskHealthy  appends "healthy <task id> <agent hostname>"; a file that
 *                     cannot be written fails the task (TASK_FAILED names
 *                     this hook and the reason)
 *   BeforeTerminate   appends "terminating <task id>"; a failure is only
 *                     logged by the executor, the task is stopped anyway
 *
 * It is built in every build (cmake/release.cmake) and driven by
 * tests/unit/test_example_hooks.c, so it cannot drift from hooks/hook.h. To
 * compile it into the executor, see "Adding a C hook" in docs/hooks.md. */
#include "hooks/hook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXAMPLE_FILE_SETTING "ALLEGRO_EXECUTOR_EXAMPLE_HOOK_FILE"

struct example_state {
	char *path; /* the ledger file (owned) */
};

/* Reads the settings. 1: enabled, 0: disabled (or a bad setting, reported
 * in cfg). Runs once, on the executor's main thread, before any event. */
static int example_init(struct hook *h, struct envcfg *cfg)
{
	const char *path = envcfg_get(cfg, EXAMPLE_FILE_SETTING);
	if (!path || !*path)
		return 0; /* not configured: the hook stays out of the chain */
	if (path[0] != '/') {
		envcfg_fail(cfg, "%s: expected an absolute path, got '%s'", EXAMPLE_FILE_SETTING,
		            path);
		return 0;
	}
	struct example_state *st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		free(st);
		envcfg_fail(cfg, "example hook: out of memory");
		return 0;
	}
	h->state = st;
	h->timeout_ms = 5000; /* a local file: anything slower is a stuck disk */
	return 1;
}

static const char *task_id(const struct hook_call *call)
{
	const Mesos__V1__TaskInfo *t = call->task;
	return t && t->task_id && t->task_id->value ? t->task_id->value : "(unknown)";
}

/* Appends one line to the ledger; -1 with res->error set on failure. */
static int append_line(const struct example_state *st, struct hook_result *res, const char *what,
                       const char *id, const char *host)
{
	FILE *f = fopen(st->path, "a");
	if (!f)
		return hook_fail(res, "example hook: cannot open %s: %s", st->path,
		                 strerror(errno));
	int n = host ? fprintf(f, "%s %s %s\n", what, id, host) : fprintf(f, "%s %s\n", what, id);
	if (fclose(f) != 0 || n < 0)
		return hook_fail(res, "example hook: cannot write %s: %s", st->path,
		                 strerror(errno));
	return 0;
}

/* One event. Plain blocking code: the manager runs it off the executor's
 * loop, one hook and one event at a time. */
static int example_handle(struct hook *h, const struct hook_call *call, struct hook_result *res)
{
	const struct example_state *st = h->state;
	const char *host = call->env && call->env->agent_hostname ? call->env->agent_hostname : "-";

	switch (call->event) {
	case HOOK_BEFORE_TASK_START: {
		char kv[4096];
		snprintf(kv, sizeof(kv), "EXAMPLE_HOOK_FILE=%s", st->path);
		return hook_setenv(res, kv); /* -1 and res->error when it fails */
	}
	case HOOK_AFTER_TASK_HEALTHY:
		return append_line(st, res, "healthy", task_id(call), host);
	case HOOK_BEFORE_TERMINATE:
		return append_line(st, res, "terminating", task_id(call), NULL);
	default:
		return 0; /* events this hook does not care about succeed */
	}
}

static void example_destroy(struct hook *h)
{
	struct example_state *st = h->state;
	if (!st)
		return;
	free(st->path);
	free(st);
	h->state = NULL;
}

struct hook hook_example = {
    .name = "example",
    .init = example_init,
    .handle = example_handle,
    .destroy = example_destroy,
};
