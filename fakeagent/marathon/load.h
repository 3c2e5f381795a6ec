/* What the agent runs, loaded from a Mesos v1 TaskInfo in JSON or from a
 * Marathon app definition: the TaskInfo, the ExecutorInfo that runs it (a
 * custom executor's own, or a command executor made the way the agent makes
 * one), and where the executor binary goes in the sandbox. Errors name the
 * file and the field. It knows nothing of the agent that will run the task
 * (struct load_target says what it needs); fa_launch_from (agent.h) turns a
 * result into a launch. */
#ifndef FAKEAGENT_MARATHON_LOAD_H
#define FAKEAGENT_MARATHON_LOAD_H

#include "proto/mesos.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* The agent a task is loaded for, and the executor that runs it (borrowed). */
struct load_target {
	const char *agent_id;     /* TaskInfo.agent_id */
	const char *hostname;     /* the agent's host: Marathon's $HOST */
	const char *executor_bin; /* the executor binary (--executor); it must exist */
};

/* Ownership: everything here is owned until handed to fa_agent_launch
 * (fa_launch_from moves it); load_free releases what is left. */
struct load_result {
	Mesos__V1__TaskInfo *task;
	Mesos__V1__ExecutorInfo *executor;
	char *place_as; /* relative path of the executor binary in the sandbox, or NULL */
};

/* `what` names the source in errors (a file name, "launch.task"). */
int load_task_json(const struct load_target *to, const cJSON *task, const char *what,
                   struct load_result *out, char *err, size_t errlen);
int load_app_json(const struct load_target *to, const cJSON *app, const char *what,
                  struct load_result *out, char *err, size_t errlen);
/* Reads a JSON file: NULL with err ("task.json: line 3: ...") on failure. */
cJSON *load_json_file(const char *path, char *err, size_t errlen);
void load_free(struct load_result *r);

#endif
