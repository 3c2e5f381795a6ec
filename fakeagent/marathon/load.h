/* What the agent runs, loaded from a Mesos v1 TaskInfo in JSON or from a
 * Marathon app definition: the TaskInfo, the ExecutorInfo that runs it (a
 * custom executor's own, or a command executor made the way the agent makes
 * one), and where the executor binary goes in the sandbox. Errors name the
 * file and the field. */
#ifndef FAKEAGENT_LOAD_H
#define FAKEAGENT_LOAD_H

#include "fakeagent/agent/agent.h"

#include <cjson/cJSON.h>

/* Ownership: everything here is owned until handed to fa_agent_launch
 * (load_to_launch moves it); load_free releases what is left. */
struct load_result {
	Mesos__V1__TaskInfo *task;
	Mesos__V1__ExecutorInfo *executor;
	char *place_as; /* relative path of the executor binary in the sandbox, or NULL */
};

/* `what` names the source in errors (a file name, "launch.task").
 * `executor_bin` is the executor binary (--executor); it must exist. */
int load_task_json(struct fa_agent *a, const cJSON *task, const char *what,
                   const char *executor_bin, struct load_result *out, char *err, size_t errlen);
int load_app_json(struct fa_agent *a, const cJSON *app, const char *what, const char *executor_bin,
                  struct load_result *out, char *err, size_t errlen);
/* Reads a whole file, NUL-terminated (its length in *len when len is not
 * NULL): malloc'd, or NULL with err naming the file. */
char *load_text_file(const char *path, size_t *len, char *err, size_t errlen);
/* Reads a JSON file: NULL with err ("task.json: line 3: ...") on failure. */
cJSON *load_json_file(const char *path, char *err, size_t errlen);
/* Fills a launch from a result (moves the messages; place_as stays owned). */
void load_to_launch(struct load_result *r, struct fa_launch *l, const char *executor_bin);
void load_free(struct load_result *r);

#endif
