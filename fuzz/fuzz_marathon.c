/* Fuzzes fakeagent's conversion of a Marathon app definition into a TaskInfo
 * (fakeagent/marathon/marathon.h), the way `--app`, scenario files and
 * POST /_fake/launch {"app": ...} read it. Properties: a refused app gets an
 * error that names the file; an accepted one converts to JSON that decodes
 * as a Mesos TaskInfo (what the agent then launches) whose task id, name
 * and agent id are set; the helpers never overrun their buffers. */
#include "fuzz.h"

#include "fakeagent/marathon/marathon.h"
#include "proto/mesos.h"
#include "proto/pbjson.h"

#include <string.h>

static uint32_t pick_port(void *data, size_t index, uint32_t declared, bool require)
{
	return require ? declared : 31000 + (uint32_t)index;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *app = cJSON_ParseWithLength((const char *)data, size);
	if (!app)
		return 0;
	struct marathon_ctx ctx = {.file = "app.json",
	                           .agent_id = "agent-1",
	                           .hostname = "localhost",
	                           .instance_uuid = "6a4b6c1e-1f2a-11ee-be56-0242ac120002",
	                           .version = "2023-07-01T00:00:00.000Z",
	                           .pick_port = pick_port};
	char err[1024] = "";
	cJSON *task = marathon_task_json(app, &ctx, err, sizeof(err));
	if (!task) {
		CHECK(strncmp(err, "app.json", 8) == 0 || strcmp(err, "out of memory") == 0);
	} else {
		char perr[512] = "";
		Mesos__V1__TaskInfo *ti = (Mesos__V1__TaskInfo *)pbjson_from_json(
		    &mesos__v1__task_info__descriptor, task, perr, sizeof(perr));
		if (!ti) {
			char *text = cJSON_PrintUnformatted(task);
			fprintf(stderr, "not a TaskInfo (%s): %s\n", perr, text ? text : "?");
			free(text);
			CHECK(!"an accepted app converts to a valid TaskInfo");
		}
		CHECK(ti->task_id->value[0] != '\0');
		CHECK(ti->agent_id && strcmp(ti->agent_id->value, "agent-1") == 0);
		protobuf_c_message_free_unpacked(&ti->base, NULL);
		cJSON_Delete(task);
	}
	marathon_executor_path(app);
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(app, "labels"), *kv;
	if (!cJSON_IsObject(labels))
		labels = NULL;
	cJSON_ArrayForEach (kv, labels) {
		char name[16];
		marathon_label_env_name(kv->string, name, sizeof(name));
		CHECK(strlen(name) < sizeof(name));
	}
	const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(app, "cpus");
	if (cJSON_IsNumber(cpus)) {
		char d[8];
		marathon_java_double(cpus->valuedouble, d, sizeof(d));
		CHECK(strlen(d) < sizeof(d));
	}
	cJSON_Delete(app);
	return 0;
}
