/* The fake Consul agent's own /_fake/ paths (the fault injector and request
 * log are fakekit/fakectl.c's):
 *   GET  /_fake/state          node, index, services and checks as the agent
 *                              endpoints show them, held blocking queries
 *   POST /_fake/check/<id>     {"Status":"critical","Output":"..."}: sets any
 *                              check's state (no ACLs), as a probe would
 *   POST /_fake/reset          forgets every service and check */
#include "fakeconsul.h"

#include <string.h>

void fc_fake_state(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "node", fc->cat.node);
	cJSON_AddStringToObject(o, "datacenter", fc->cat.datacenter);
	cJSON_AddNumberToObject(o, "index", (double)fc->cat.index);
	cJSON_AddBoolToObject(o, "acl_enabled", fc->acl.ntokens > 0);
	cJSON_AddBoolToObject(o, "legacy_get", fc->opts.legacy_get);
	cJSON_AddNumberToObject(o, "blocking_queries",
	                        fc->blocking ? blocking_count(fc->blocking) : 0);
	cJSON *svcs = cJSON_AddObjectToObject(o, "services");
	for (size_t i = 0; i < fc->cat.nservices; i++)
		cJSON_AddItemToObject(svcs, fc->cat.services[i]->id,
		                      catalog_agent_service_json(&fc->cat, fc->cat.services[i]));
	cJSON *checks = cJSON_AddObjectToObject(o, "checks");
	for (size_t i = 0; i < fc->cat.nchecks; i++)
		cJSON_AddItemToObject(checks, fc->cat.checks[i]->id,
		                      catalog_check_json(&fc->cat, fc->cat.checks[i]));
	httpd_reply_json(r, 200, o, NULL);
}

void fc_fake_check(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	const char *id = fc_path_tail(r, "/_fake/check/");
	cJSON *j = httpd_body_json(r);
	if (!j)
		return;
	const cJSON *st = cJSON_GetObjectItem(j, "Status"), *out = cJSON_GetObjectItem(j, "Output");
	if (!cJSON_IsString(st) || !checkdef_valid_status(st->valuestring)) {
		httpd_reply_text(r, 400, "Status must be passing, warning or critical");
	} else if (catalog_update_check(&fc->cat, id, st->valuestring,
	                                cJSON_IsString(out) ? out->valuestring : NULL) < 0) {
		httpd_reply_text(r, 404, "no check %s", id);
	} else {
		fc_reply_ok(r);
	}
	cJSON_Delete(j);
}

void fc_fake_reset(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	catalog_reset(&fc->cat);
	fc_reply_ok(r);
}
