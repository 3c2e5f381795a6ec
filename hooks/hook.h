/* The interface a hook author implements.
 *
 * A hook is a name, its own state, and one function that handles an event.
 * The function is plain blocking C: it may do network I/O, run commands and
 * sleep. The hook manager calls it on libuv's thread pool, one hook and one
 * event at a time, so the executor keeps reading its agent stream meanwhile.
 *
 *   static int my_handle(struct hook *h, const struct hook_call *call,
 *                        struct hook_result *res)
 *   {
 *           if (call->event != HOOK_AFTER_TASK_HEALTHY)
 *                   return 0;
 *           ...
 *           return hook_fail(res, "could not reach %s", url);
 *   }
 *
 * Events, in the order a task lives them:
 *   HOOK_BEFORE_TASK_START   before the command is started; may add KEY=VALUE
 *                            strings to the task's environment (hook_setenv)
 *   HOOK_AFTER_TASK_START    right after TASK_RUNNING
 *   HOOK_AFTER_TASK_HEALTHY  once, on the first healthy result (or at once
 *                            for a task without a health check)
 *   HOOK_BEFORE_TERMINATE    before the task receives SIGTERM, on every way
 *                            out: kill, shutdown, failed health, the task's
 *                            own exit, lost agent, the executor's SIGTERM
 * A failure in the first three fails the task (TASK_FAILED naming the hook);
 * BeforeTerminate failures are logged and every hook still runs. */
#ifndef HOOKS_HOOK_H
#define HOOKS_HOOK_H

#include "common/envcfg.h"
#include "proto/mesos.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hook_event {
	HOOK_BEFORE_TASK_START,
	HOOK_AFTER_TASK_START,
	HOOK_AFTER_TASK_HEALTHY,
	HOOK_BEFORE_TERMINATE,
	HOOK_EVENT_COUNT
};

/* "BeforeTaskStart", ... as in the Go executor's logs and the exec hook's JSON. */
const char *hook_event_name(enum hook_event ev);

/* What a hook may know about the executor (read-only, owned by the executor,
 * valid for the executor's lifetime). */
struct hook_env {
	const char *executor_id;
	const char *framework_id;
	const char *agent_id;
	const char *agent_hostname; /* from SUBSCRIBED agent_info, or NULL */
	const char *sandbox;
	/* The executor's own environment (CLOUD_*, CONSUL_HTTP_ADDR, ...). */
	const char *(*getenv)(const char *name);
	/* Runs argv (argv[0] searched in PATH) with `envp` (NULL: the task's
	 * environment), `input` on stdin, in the sandbox, in its own process
	 * group; kills the group after timeout_ms. Returns the wait status, or
	 * -1 with errno set (ETIMEDOUT: the timeout killed it); output (if
	 * non-NULL) gets up to out_len-1 bytes of
	 * stdout. Safe to call from a hook (it cooperates with the executor's
	 * reaper). */
	int (*run)(char *const argv[], char *const envp[], const char *input, char *output,
	           size_t out_len, int64_t timeout_ms);
};

struct hook_call {
	enum hook_event event;
	const Mesos__V1__TaskInfo *task; /* the task, as LAUNCH delivered it */
	/* The environment the task runs with ("KEY=VALUE", NULL-terminated);
	 * NULL before HOOK_BEFORE_TASK_START has completed. */
	char *const *task_env;
	const struct hook_env *env;
	/* When the whole chain for this event must be done (CLOCK_MONOTONIC,
	 * milliseconds; 0: no deadline). Past it the event has failed and the
	 * result is ignored: a hook should stop waiting by then (the built-in
	 * ones cap every request and wait at it; hook_ms_left). */
	int64_t deadline_ms;
};

/* Milliseconds left until call->deadline_ms (at most `limit`; `limit` when
 * there is no deadline); 0 when it has passed. */
int64_t hook_ms_left(const struct hook_call *call, int64_t limit);

/* Filled by a hook; owned by the manager. */
struct hook_result {
	char error[512]; /* why the hook failed */
	char **setenv;   /* "KEY=VALUE" strings added with hook_setenv */
	size_t nsetenv;
};

struct hook {
	const char *name; /* "consul", "vaas", "exec" */
	/* Reads the hook's settings. Returns 1 when enabled, 0 when disabled,
	 * and adds to cfg's errors (returning 0) for bad settings. */
	int (*init)(struct hook *h, struct envcfg *cfg);
	/* Handles one event; 0 on success, -1 on failure (res->error says why). */
	int (*handle)(struct hook *h, const struct hook_call *call, struct hook_result *res);
	/* Optional, called on the executor's loop before a chain is queued:
	 * whether handle() has anything to do for this call. When no hook has,
	 * the event completes without a worker thread. NULL means always. Must
	 * be quick and must not block. */
	bool (*applies)(struct hook *h, const struct hook_call *call);
	/* Frees the hook's state. */
	void (*destroy)(struct hook *h);
	/* Longest a whole call may take; 0: no limit of its own (the chain's,
	 * ALLEGRO_EXECUTOR_HOOK_TIMEOUT, still applies). */
	int64_t timeout_ms;
	void *state; /* the hook's own */
};

/* Records a failure message; returns -1 so hooks can `return hook_fail(...)`. */
int hook_fail(struct hook_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds "KEY=VALUE" for the task (HOOK_BEFORE_TASK_START only). Returns -1 and
 * fails the result unless KEY is a valid identifier ([A-Za-z_][A-Za-z0-9_]*). */
int hook_setenv(struct hook_result *res, const char *kv);

/* Documentation of one setting, for `executor --help` and docs. */
struct hook_setting {
	const char *name;
	const char *def;
	const char *help;
};

/* The hooks compiled in, in the order they run: vaas, consul, exec (the
 * Go executor ran VaaS before Consul). NULL-terminated. */
extern struct hook *const hook_builtin[];
/* Settings of every built-in hook, ended by {NULL}. */
extern const struct hook_setting hook_settings[];
/* The default of a duration in hook_settings (the one table that --help and
 * the hooks share), in nanoseconds; 0 when the name is not there. */
int64_t hook_setting_duration(const char *name);

#endif
