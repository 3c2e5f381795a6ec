/* The task's command line and environment (see task.h). */
#include "task.h"

#include "common/envlist.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static size_t key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* Sets "NAME=VALUE" in the task's environment unless, with `filter`, it is
 * one of the executor's settings or secrets, whichever source it comes from
 * (the executor's environment, a CommandInfo, a hook): Marathon puts the
 * app's `env` both in the executor's environment and in
 * ExecutorInfo.command.environment. An entry without a name (no '=', or
 * nothing before it) cannot be looked up in an environment and is left out.
 * -1 only when memory runs out. */
static int put(struct envlist *l, const char *kv, bool filter)
{
	if (filter && ex_config_is_secret_env(kv)) {
		log_debug("%.*s kept out of the task's environment", (int)key_len(kv), kv);
		return 0;
	}
	if (envlist_put(l, kv) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
	log_debug("an entry without a name left out of the task's environment");
	return 0;
}

/* put() of "k=v". */
static int put2(struct envlist *l, const char *k, const char *v, bool filter)
{
	char *kv;
	if (asprintf(&kv, "%s=%s", k, v) < 0)
		return -1;
	int rc = put(l, kv, filter);
	free(kv);
	return rc;
}

const Mesos__V1__CommandInfo *task_command(const Mesos__V1__TaskInfo *task, const char **value,
                                           bool *owned)
{
	*owned = false;
	*value = NULL;
	if (task->command) {
		*value = task->command->value;
		return task->command;
	}
	const Mesos__V1__CommandInfo *c = task->executor ? task->executor->command : NULL;
	if (!c || !c->value)
		return c;
	/* Marathon's custom-executor form: chmod ug+rx 'X' && exec 'X' <cmd> */
	const char *v = c->value, *p;
	*value = v;
	if (strncmp(v, "chmod ug+rx '", 13) != 0)
		return c;
	p = strchr(v + 13, '\'');
	if (!p)
		return c;
	size_t plen = (size_t)(p - (v + 13));
	char prefix[4200];
	if (plen > 4096)
		return c;
	snprintf(prefix, sizeof(prefix), "' && exec '%.*s' ", (int)plen, v + 13);
	if (strncmp(p, prefix, strlen(prefix)) == 0) {
		*value = strdup(p + strlen(prefix));
		*owned = *value != NULL;
	} else {
		/* "... && exec 'X'" with nothing after it: no command at all. */
		snprintf(prefix, sizeof(prefix), "' && exec '%.*s'", (int)plen, v + 13);
		if (strcmp(p, prefix) == 0) {
			*value = strdup("");
			*owned = *value != NULL;
		}
	}
	return c;
}

char **task_environment(const Mesos__V1__TaskInfo *task, char *const *extra)
{
	struct envlist l = {0};
	bool owned;
	const char *value;
	const Mesos__V1__CommandInfo *cmd = task_command(task, &value, &owned);

	if (owned)
		free((char *)value);
	for (char **e = environ; e && *e; e++)
		if (put(&l, *e, true) < 0)
			goto oom;
	/* The role the task's resources were allocated to, as Mesos sets it. */
	for (size_t i = 0; i < task->n_resources; i++) {
		const Mesos__V1__Resource *r = task->resources[i];
		if (r->allocation_info && r->allocation_info->role) {
			if (envlist_set(&l, "MESOS_ALLOCATION_ROLE", r->allocation_info->role) < 0)
				goto oom;
			break;
		}
	}
	if (envlist_set(&l, "MESOS_TASK_ID", task->task_id->value) < 0)
		goto oom;
	const Mesos__V1__Environment *env = cmd ? cmd->environment : NULL;
	for (size_t i = 0; env && i < env->n_variables; i++) {
		const Mesos__V1__Environment__Variable *v = env->variables[i];
		if (v->has_type && v->type == MESOS__V1__ENVIRONMENT__VARIABLE__TYPE__SECRET)
			continue; /* secrets are resolved by the agent, not by executors */
		if (put2(&l, v->name, v->value ? v->value : "", true) < 0)
			goto oom;
	}
	for (char *const *e = extra; e && *e; e++)
		if (put(&l, *e, true) < 0)
			goto oom;
	/* The agent defaults PATH for executors (Mesos
	 * src/slave/containerizer/mesos/launch.cpp, MesosContainerizerLaunch::execute:
	 * os::host_default_path()); do the same for the task. */
	if (!envlist_get(l.v, "PATH") &&
	    envlist_set(&l, "PATH", "/usr/local/bin:/usr/bin:/bin") < 0)
		goto oom;
	return envlist_take(&l);
oom:
	envlist_free(&l);
	return NULL;
}

pid_t task_spawn(const struct ex_config *cfg, const Mesos__V1__TaskInfo *task, char *const *env,
                 int stdout_fd, int stderr_fd, proc_exit_cb on_exit, void *data, char *err,
                 size_t errlen)
{
	bool owned;
	const char *value;
	const Mesos__V1__CommandInfo *cmd = task_command(task, &value, &owned);
	struct proc_spec spec = {.envp = env,
	                         .cwd = cfg->sandbox,
	                         .new_session = true,
	                         .stdin_fd = -1,
	                         .stdout_fd = stdout_fd,
	                         .stderr_fd = stderr_fd};
	char *shell_argv[] = {"/bin/sh", "-c", (char *)value, NULL};
	char *one[] = {(char *)value, NULL};
	char **args = NULL; /* protobuf-c arrays are not NULL-terminated */
	pid_t pid = -1;

	if (!cmd) {
		snprintf(err, errlen,
		         "the task has no command (neither TaskInfo.command nor "
		         "ExecutorInfo.command)");
		goto out;
	}
	spec.user = cmd->user;
	args = calloc(cmd->n_arguments + 1, sizeof(char *));
	if (!args) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (cmd->n_arguments)
		memcpy(args, cmd->arguments, cmd->n_arguments * sizeof(char *));
	if (cmd->shell) {
		if (!value) {
			snprintf(err, errlen, "shell command without a value");
			goto out;
		}
		spec.argv = shell_argv;
	} else if (owned && cmd->n_arguments > 0) {
		/* Marathon's `args` app as a custom executor: the arguments are the
		 * whole command; the value only carried the prefix. */
		spec.path = cmd->arguments[0];
		spec.argv = args;
	} else {
		if (!value || !*value) {
			snprintf(err, errlen, "command without a value");
			goto out;
		}
		spec.path = value;
		spec.argv = cmd->n_arguments ? args : one;
	}
	log_fields(LOG_INFO, "starting the command", "command", spec.path ? spec.path : value,
	           "shell", cmd->shell ? "true" : "false", "cwd", cfg->sandbox, "user", spec.user,
	           NULL);
	pid = proc_spawn(&spec, on_exit, data, err, errlen);
out:
	free(args);
	if (owned)
		free((char *)value);
	return pid;
}
