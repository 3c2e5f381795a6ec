/* What the task runs and with which environment, from its TaskInfo: the
 * command (shell or exec form, Marathon's custom-executor prefix removed),
 * the environment (the executor's, then CommandInfo.environment, then what
 * BeforeTaskStart hooks added, each without the executor's own settings and
 * secrets: ex_config_is_secret_env), the
 * sandbox as working directory, and CommandInfo.user. */
#ifndef EXECUTOR_TASK_H
#define EXECUTOR_TASK_H

#include "executor/config.h"
#include "executor/proc.h"
#include "proto/mesos.h"

#include <sys/types.h>

/* The command a TaskInfo runs: TaskInfo.command, or ExecutorInfo.command with
 * Marathon's "chmod ug+rx '<x>' && exec '<x>' " prefix removed. Returns a
 * CommandInfo borrowed from the task, and in *value the command line to
 * run (malloc'd when the prefix was stripped, else borrowed; see *owned). */
const Mesos__V1__CommandInfo *task_command(const Mesos__V1__TaskInfo *task, const char **value,
                                           bool *owned);

/* The task's environment: a malloc'd NULL-terminated array of malloc'd
 * "KEY=VALUE" strings (common/envlist.h: envlist_get reads it; free it with
 * strv_free, common/str.h). `extra` may be NULL. NULL when memory runs out. */
char **task_environment(const Mesos__V1__TaskInfo *task, char *const *extra);

/* Starts the task's command in its own session. `env` is borrowed until
 * the call returns. stdout_fd/stderr_fd: where the task writes (-1: the
 * executor's own, i.e. the sandbox files). Returns the pid or -1 with err. */
pid_t task_spawn(const struct ex_config *cfg, const Mesos__V1__TaskInfo *task, char *const *env,
                 int stdout_fd, int stderr_fd, proc_exit_cb on_exit, void *data, char *err,
                 size_t errlen);

#endif
