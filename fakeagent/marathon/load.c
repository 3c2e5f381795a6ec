/* Loading TaskInfo files and Marathon apps into launches (see load.h). */
#include "load.h"

#include "marathon.h"

#include "common/file.h"
#include "proto/pbjson.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

cJSON *load_json_file(const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *buf = file_read(path, &len, err, errlen);
	if (!buf)
		return NULL;
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!j) {
		int line = 1;
		for (const char *p = buf; end && p < end; p++)
			line += *p == '\n';
		snprintf(err, errlen, "%s: not valid JSON (near line %d)", path, line);
	}
	free(buf);
	return j;
}

static int check_executor_bin(const char *bin, char *err, size_t errlen)
{
	if (!bin) {
		snprintf(err, errlen, "no executor binary given (--executor PATH)");
		return -1;
	}
	struct stat st;
	if (stat(bin, &st) < 0) {
		snprintf(err, errlen, "--executor %s: %s", bin, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(bin, X_OK) < 0) {
		snprintf(err, errlen, "--executor %s: not an executable file", bin);
		return -1;
	}
	return 0;
}

/* The agent's ExecutorInfo for a command task (getExecutorInfo): the task id
 * as executor id, the binary run with shell false, the task's command
 * environment, URIs and user, shutdown grace = kill grace + 2 s. */
static cJSON *command_executor_json(const Mesos__V1__TaskInfo *t, const char *bin)
{
	char name[256];
	const Mesos__V1__CommandInfo *cmd = t->command;
	if (cmd->shell) {
		if (!cmd->value)
			snprintf(name, sizeof(name),
			         "Command Executor (Task: %s) (Command: NO COMMAND)",
			         t->task_id->value);
		else if (strlen(cmd->value) > 15)
			snprintf(name, sizeof(name),
			         "Command Executor (Task: %s) (Command: sh -c '%.12s...')",
			         t->task_id->value, cmd->value);
		else
			snprintf(name, sizeof(name),
			         "Command Executor (Task: %s) (Command: sh -c '%s')",
			         t->task_id->value, cmd->value);
	} else {
		snprintf(name, sizeof(name), "Command Executor (Task: %s) (Command: [%s])",
		         t->task_id->value, cmd->value ? cmd->value : "");
	}
	cJSON *cmdj = pbjson_to_json(&cmd->base, 0);
	cJSON *ex = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(ex, "executor_id"), "value",
	                        t->task_id->value);
	cJSON_AddStringToObject(ex, "name", name);
	cJSON_AddStringToObject(ex, "source", t->task_id->value);
	cJSON *c = cJSON_AddObjectToObject(ex, "command");
	cJSON_AddBoolToObject(c, "shell", false);
	cJSON_AddStringToObject(c, "value", bin);
	cJSON *args = cJSON_AddArrayToObject(c, "arguments");
	const char *base = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin;
	cJSON_AddItemToArray(args, cJSON_CreateString(base));
	const char *keep[] = {"environment", "uris", "user"};
	for (size_t i = 0; i < 3; i++) {
		cJSON *v = cJSON_DetachItemFromObject(cmdj, keep[i]);
		if (v)
			cJSON_AddItemToObject(c, keep[i], v);
	}
	cJSON_Delete(cmdj);
	if (t->kill_policy && t->kill_policy->grace_period)
		cJSON_AddNumberToObject(
		    cJSON_AddObjectToObject(ex, "shutdown_grace_period"), "nanoseconds",
		    (double)(t->kill_policy->grace_period->nanoseconds + 2000000000LL));
	if (t->labels)
		cJSON_AddItemToObject(ex, "labels", pbjson_to_json(&t->labels->base, 0));
	if (t->discovery)
		cJSON_AddItemToObject(ex, "discovery", pbjson_to_json(&t->discovery->base, 0));
	return ex;
}

/* Where the fetcher would have put the executor: the path of the Marathon
 * `chmod ug+rx '<p>' && exec '<p>'` form, or the first word of the command
 * when it is relative ("./executor"). NULL: the command names its own path. */
static char *placement(const char *value)
{
	const char *prefix = "chmod ug+rx '";
	char path[1024] = "";
	bool chmod_form = value && strncmp(value, prefix, strlen(prefix)) == 0;
	const char *s = chmod_form ? value + strlen(prefix) : value;
	size_t n = !s ? 0 : chmod_form ? strcspn(s, "'") : strcspn(s, " \t;&|");
	if (!n || n >= sizeof(path))
		return NULL;
	memcpy(path, s, n);
	path[n] = '\0';
	if (path[0] == '/' || strstr(path, "..") || (!chmod_form && strncmp(path, "./", 2) != 0))
		return NULL;
	const char *p = path;
	while (strncmp(p, "./", 2) == 0)
		p += 2;
	return *p ? strdup(p) : NULL;
}

static Mesos__V1__ExecutorInfo *executor_from_json(cJSON *ex, const char *what, char *err,
                                                   size_t errlen)
{
	char e[400];
	Mesos__V1__ExecutorInfo *ei = (Mesos__V1__ExecutorInfo *)pbjson_from_json(
	    &mesos__v1__executor_info__descriptor, ex, e, sizeof(e));
	cJSON_Delete(ex);
	if (!ei)
		snprintf(err, errlen, "%s: executor: %s", what, e);
	return ei;
}

int load_task_json(const struct load_target *to, const cJSON *task, const char *what,
                   struct load_result *out, char *err, size_t errlen)
{
	const char *executor_bin = to->executor_bin;
	char e[400];
	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(task)) {
		snprintf(err, errlen, "%s: expected a JSON object (a Mesos v1 TaskInfo)", what);
		return -1;
	}
	cJSON *copy = cJSON_Duplicate(task, true);
	cJSON *aid = cJSON_CreateObject();
	cJSON_AddStringToObject(aid, "value", to->agent_id);
	if (cJSON_GetObjectItemCaseSensitive(copy, "agent_id"))
		cJSON_ReplaceItemInObjectCaseSensitive(copy, "agent_id", aid);
	else
		cJSON_AddItemToObject(copy, "agent_id", aid);
	out->task = (Mesos__V1__TaskInfo *)pbjson_from_json(&mesos__v1__task_info__descriptor, copy,
	                                                    e, sizeof(e));
	cJSON_Delete(copy);
	if (!out->task) {
		snprintf(err, errlen, "%s: %s", what, e);
		return -1;
	}
	Mesos__V1__TaskInfo *t = out->task;
	if (!t->command == !t->executor) {
		snprintf(err, errlen,
		         "%s: a TaskInfo needs exactly one of 'command' and 'executor'", what);
		goto fail;
	}
	if (check_executor_bin(executor_bin, err, errlen) < 0)
		goto fail;
	if (t->executor) {
		if (!t->executor->command || !t->executor->command->value) {
			snprintf(err, errlen, "%s: executor.command.value: required", what);
			goto fail;
		}
		out->executor =
		    executor_from_json(pbjson_to_json(&t->executor->base, 0), what, err, errlen);
		if (!out->executor)
			goto fail;
		out->place_as = placement(t->executor->command->value);
		return 0;
	}
	char abs[4096];
	if (!realpath(executor_bin, abs)) {
		snprintf(err, errlen, "--executor %s: %s", executor_bin, strerror(errno));
		goto fail;
	}
	out->executor = executor_from_json(command_executor_json(t, abs), what, err, errlen);
	if (!out->executor)
		goto fail;
	return 0;
fail:
	load_free(out);
	return -1;
}

/* A free host port: what the kernel gives a bind to 127.0.0.1:0, or the
 * declared one with requirePorts. */
static uint32_t pick_port(void *data, size_t index, uint32_t declared, bool require)
{
	if (require)
		return declared;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	uint32_t port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

int load_app_json(const struct load_target *to, const cJSON *app, const char *what,
                  struct load_result *out, char *err, size_t errlen)
{
	struct marathon_ctx ctx = {.file = what,
	                           .agent_id = to->agent_id,
	                           .hostname = to->hostname,
	                           .pick_port = pick_port};
	memset(out, 0, sizeof(*out));
	cJSON *task = marathon_task_json(app, &ctx, err, errlen);
	if (!task)
		return -1;
	int rc = load_task_json(to, task, what, out, err, errlen);
	cJSON_Delete(task);
	return rc;
}

void load_free(struct load_result *r)
{
	if (r->task)
		protobuf_c_message_free_unpacked(&r->task->base, NULL);
	if (r->executor)
		protobuf_c_message_free_unpacked(&r->executor->base, NULL);
	free(r->place_as);
	memset(r, 0, sizeof(*r));
}
