/* Fuzzes the VaaS hook's reading of VaaS's answers (hooks/vaas_map.h): the
 * tastypie list pages it searches for the datacenter and the director, the
 * `next` link it follows, object ids, the state of an asynchronous reload
 * task, and the backend it then builds from the datacenter object VaaS
 * listed. Properties: no crash, no leak; a `next` link is a string; a found
 * object has the field searched for; a backend built is JSON that parses. */
#include "fuzz.h"

#include "hooks/vaas_map.h"
#include "proto/pbjson.h"

#include <string.h>

static Mesos__V1__TaskInfo *task(void)
{
	static const char json[] =
	    "{\"name\":\"web\",\"task_id\":{\"value\":\"web.1\"},\"agent_id\":{\"value\":\"a\"},"
	    "\"labels\":{\"labels\":[{\"key\":\"director\",\"value\":\"service\"},"
	    "{\"key\":\"weight:30\",\"value\":\"tag\"},{\"key\":\"canary\",\"value\":\"1\"}]},"
	    "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":[{\"number\":31000},"
	    "{\"number\":31001,\"labels\":{\"labels\":[{\"key\":\"frontend-sync:service\"}]}}]}}}";
	char err[256];
	Mesos__V1__TaskInfo *t = (Mesos__V1__TaskInfo *)pbjson_decode(
	    &mesos__v1__task_info__descriptor, json, strlen(json), err, sizeof(err));
	CHECK(t != NULL);
	return t;
}

static void search(const cJSON *page, const char *field, const char *value)
{
	const cJSON *o = vaas_map_find(page, field, value);
	if (o) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, field);
		CHECK(cJSON_IsString(f) && strcmp(f->valuestring, value) == 0);
		vaas_map_id(o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Mesos__V1__TaskInfo *t;
	if (!t)
		t = task(); /* lives for the whole run */
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
	if (!doc)
		return 0;
	search(doc, "symbol", "dc1");
	search(doc, "name", "service");
	const char *next = vaas_map_next(doc);
	if (next)
		CHECK(strlen(next) < size);
	vaas_map_id(doc);
	enum vaas_task_state st = vaas_map_task_state(doc);
	CHECK(st == VAAS_TASK_RUNNING || st == VAAS_TASK_SUCCESS || st == VAAS_TASK_FAILURE);
	const cJSON *o;
	const cJSON *objects = cJSON_GetObjectItemCaseSensitive(doc, "objects");
	if (!cJSON_IsArray(objects))
		objects = NULL;
	cJSON_ArrayForEach (o, objects) {
		vaas_map_id(o);
		vaas_map_task_state(o);
		/* a dc object as VaaS listed it goes into the backend */
		char *const env[] = {"VAAS_INITIAL_WEIGHT=7", NULL};
		struct vaas_map_input in = {.address = "10.1.2.3",
		                            .dc = o,
		                            .director_id = vaas_map_id(o),
		                            .task_env = (o->child && o->child->next) ? env : NULL};
		char err[512] = "";
		char *b = vaas_map_backend(t, &in, err, sizeof(err));
		if (b) {
			cJSON *back = cJSON_Parse(b);
			CHECK(back != NULL);
			cJSON_Delete(back);
			free(b);
		} else {
			CHECK(err[0] != '\0');
		}
	}
	cJSON_Delete(doc);
	return 0;
}
