/* Marathon's conversion of an app definition into the TaskInfo it hands to
 * Mesos (Marathon 1.10/1.11, src/main/scala/mesosphere/mesos/TaskBuilder.scala):
 * ids and names, resources, the command (or a custom executor with the
 * `chmod ug+rx '<path>' && exec '<path>' <cmd>` command), the environment
 * (MESOS_TASK_ID, MARATHON_APP_*, PORT*, HOST, then the app's env), labels,
 * discovery ports, the Mesos health check, the kill policy and fetch URIs.
 * Pure: host ports come from the caller, nothing is read or bound here. */
#ifndef FAKEAGENT_MARATHON_MARATHON_H
#define FAKEAGENT_MARATHON_MARATHON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct marathon_ctx {
	const char *file;          /* names the app in error messages */
	const char *agent_id;      /* TaskInfo.agent_id */
	const char *hostname;      /* HOST */
	const char *instance_uuid; /* v1 uuid of the instance id; NULL: a fresh one */
	const char *version;       /* MARATHON_APP_VERSION; NULL: the app's or now */
	const char *role;          /* resources' role; NULL: "*" */
	/* The host port for port definition `index` whose declared (service)
	 * port is `declared`; `require` is the app's requirePorts. 0: none. */
	uint32_t (*pick_port)(void *data, size_t index, uint32_t declared, bool require);
	void *pick_data;
};

/* A Mesos v1 TaskInfo in JSON (caller deletes), or NULL with err naming the
 * file and the field ("app.json: cpus: expected a number"). */
cJSON *marathon_task_json(const cJSON *app, const struct marathon_ctx *ctx, char *err,
                          size_t errlen);

/* The app's custom executor path, or NULL for "", "//cmd" or none. */
const char *marathon_executor_path(const cJSON *app);

/* Java's Double.toString, as Marathon prints resources: 0.1, 128.0, 1.0E7. */
void marathon_java_double(double v, char *buf, size_t len);

/* The env var name of a label key: runs outside [a-zA-Z0-9_] become one '_',
 * then upper case ("my.key-x" -> "MY_KEY_X"). */
void marathon_label_env_name(const char *key, char *buf, size_t len);

#endif
