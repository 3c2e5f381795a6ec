/* Runs the chain of enabled hooks for one event on libuv's thread pool and
 * reports back on the loop. Hooks run in order, one at a time; for
 * BeforeTaskStart, AfterTaskStart and AfterTaskHealthy the chain stops at
 * the first failure; for BeforeTerminate every hook runs and failures are
 * only logged. A chain that outlives its time (ALLEGRO_EXECUTOR_HOOK_TIMEOUT
 * for the whole chain, or the hooks' own limits added up when every hook has
 * one and they come to less) is reported as failed and its late result
 * ignored; the next chain waits for it to end. When no enabled hook applies to an event (see
 * struct hook's `applies`), it completes on the next loop iteration without
 * touching the thread pool, so a task no hook cares about runs with one
 * thread. */
#ifndef HOOKS_MANAGER_H
#define HOOKS_MANAGER_H

#include "hooks/hook.h"

#include <uv.h>

/* error: NULL on success. env: "KEY=VALUE" strings (ownership passes to the
 * callee, free each and the array), only from BeforeTaskStart. */
typedef void (*hooks_done_cb)(void *data, enum hook_event ev, const char *error, char **env,
                              size_t nenv);

struct hook_manager;

#define HOOKS_DEFAULT_CAP_MS (10 * 60 * 1000) /* ALLEGRO_EXECUTOR_HOOK_TIMEOUT's default */

/* `env` is borrowed for the manager's lifetime. cap_ms: the longest the
 * whole chain of one event may take (<= 0: HOOKS_DEFAULT_CAP_MS). */
struct hook_manager *hooks_new(uv_loop_t *loop, const struct hook_env *env, int64_t cap_ms);
/* Initialises the given hooks (NULL-terminated) and keeps the enabled ones;
 * their settings' errors land in cfg. */
void hooks_load(struct hook_manager *m, struct hook *const *hooks, struct envcfg *cfg);
size_t hooks_enabled(const struct hook_manager *m, const char **names, size_t max);
/* One chain at a time: the caller serialises events. task and task_env are
 * borrowed until cb runs. */
void hooks_run(struct hook_manager *m, enum hook_event ev, const Mesos__V1__TaskInfo *task,
               char *const *task_env, hooks_done_cb cb, void *data);
/* Destroys the hooks and frees the manager once nothing runs any more. */
void hooks_close(struct hook_manager *m);

#endif
