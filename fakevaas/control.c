/* The fake VaaS's own /_fake/ paths (the fault injector and request log are
 * fakekit/fakectl.c's):
 *   GET  /_fake/state           dcs, directors, backends (as the API shows
 *                               them), tasks, users (without keys), settings
 *   POST /_fake/tasks           {"status":"FAILURE","info":"...","pending_polls":2}
 *                               how new reload tasks read (default SUCCESS,
 *                               info "None", 0 polls PENDING first); with
 *                               "uuid", sets that one task instead
 *   POST /_fake/reload-failure  {"count":1,"message":"VclLoadException: boom"}
 *                               the next synchronous writes to a director with
 *                               clusters are saved but answered 500 <message> */
#include "fakevaas.h"

#include <stdlib.h>
#include <string.h>

static const char *const task_states[] = {"PENDING", "STARTED", "RETRY",
                                          "FAILURE", "SUCCESS", NULL};

void fv_fake_state(struct httpd_req *r, void *data)
{
	struct fakevaas *fv = data;
	struct vstore *s = &fv->store;
	cJSON *o = cJSON_CreateObject(), *row;
	cJSON *dcs = cJSON_AddArrayToObject(o, "dcs");
	cJSON_ArrayForEach (row, s->dcs) {
		cJSON_AddItemToArray(dcs, store_dc_json(s, row));
	}
	cJSON *dirs = cJSON_AddArrayToObject(o, "directors");
	cJSON_ArrayForEach (row, s->directors) {
		cJSON_AddItemToArray(dirs, store_director_json(s, row));
	}
	cJSON *backends = cJSON_AddArrayToObject(o, "backends");
	cJSON_ArrayForEach (row, s->backends) {
		cJSON_AddItemToArray(backends, store_backend_json(s, row));
	}
	cJSON *users = cJSON_AddArrayToObject(o, "users");
	cJSON_ArrayForEach (row, s->users) {
		cJSON *u = cJSON_CreateObject();
		cJSON_AddItemToObject(u, "username",
		                      cJSON_Duplicate(cJSON_GetObjectItem(row, "username"), 1));
		cJSON_AddBoolToObject(u, "write", cJSON_IsTrue(cJSON_GetObjectItem(row, "write")));
		cJSON_AddItemToArray(users, u);
	}
	cJSON_AddItemToObject(o, "tasks", cJSON_Duplicate(s->tasks, 1));
	cJSON_AddStringToObject(o, "task_status", s->task_status ? s->task_status : "SUCCESS");
	cJSON_AddNumberToObject(o, "task_pending_polls", s->task_pending_polls);
	cJSON_AddNumberToObject(o, "reload_failures", s->reload_failures);
	httpd_reply_json(r, 200, o, NULL);
}

static bool valid_state(const char *s)
{
	for (const char *const *t = task_states; *t; t++)
		if (strcmp(*t, s) == 0)
			return true;
	return false;
}

void fv_fake_tasks(struct httpd_req *r, void *data)
{
	struct fakevaas *fv = data;
	struct vstore *s = &fv->store;
	cJSON *j = httpd_body_json(r);
	if (!j)
		return;
	const cJSON *st = cJSON_GetObjectItem(j, "status"), *info = cJSON_GetObjectItem(j, "info");
	const cJSON *polls = cJSON_GetObjectItem(j, "pending_polls"),
	            *uuid = cJSON_GetObjectItem(j, "uuid");
	if (st && (!cJSON_IsString(st) || !valid_state(st->valuestring))) {
		httpd_reply_text(r, 400,
		                 "status must be PENDING, STARTED, RETRY, FAILURE or SUCCESS");
	} else if ((info && !cJSON_IsString(info)) ||
	           (polls && (!cJSON_IsNumber(polls) || polls->valueint < 0)) ||
	           (uuid && !cJSON_IsString(uuid))) {
		httpd_reply_text(r, 400,
		                 "info and uuid must be strings, pending_polls a number >= 0");
	} else if (uuid) {
		cJSON *t = cJSON_GetObjectItemCaseSensitive(s->tasks, uuid->valuestring);
		if (!t) {
			t = cJSON_AddObjectToObject(s->tasks, uuid->valuestring);
			cJSON_AddStringToObject(t, "status", "PENDING");
			cJSON_AddStringToObject(t, "info", "None");
			cJSON_AddNumberToObject(t, "pending_polls", 0);
			cJSON_AddNumberToObject(t, "polls", 0);
		}
		if (st)
			cJSON_ReplaceItemInObject(t, "status", cJSON_CreateString(st->valuestring));
		if (info)
			cJSON_ReplaceItemInObject(t, "info", cJSON_CreateString(info->valuestring));
		if (polls)
			cJSON_ReplaceItemInObject(t, "pending_polls",
			                          cJSON_CreateNumber(polls->valueint));
		httpd_reply(r, 200, NULL, "", 0, NULL);
	} else {
		if (st) {
			free(s->task_status);
			s->task_status = strdup(st->valuestring);
		}
		if (info) {
			free(s->task_info);
			s->task_info = strdup(info->valuestring);
		}
		if (polls)
			s->task_pending_polls = polls->valueint;
		httpd_reply(r, 200, NULL, "", 0, NULL);
	}
	cJSON_Delete(j);
}

void fv_fake_reload_failure(struct httpd_req *r, void *data)
{
	struct fakevaas *fv = data;
	cJSON *j = httpd_body_json(r);
	if (!j)
		return;
	const cJSON *count = cJSON_GetObjectItem(j, "count"),
	            *msg = cJSON_GetObjectItem(j, "message");
	if ((count && (!cJSON_IsNumber(count) || count->valueint < 0)) ||
	    (msg && !cJSON_IsString(msg))) {
		httpd_reply_text(r, 400, "count must be a number >= 0, message a string");
	} else {
		fv->store.reload_failures = count ? count->valueint : 1;
		if (msg) {
			free(fv->store.reload_failure_message);
			fv->store.reload_failure_message = strdup(msg->valuestring);
		}
		httpd_reply(r, 200, NULL, "", 0, NULL);
	}
	cJSON_Delete(j);
}
