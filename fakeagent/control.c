/* The operator side of the fake agent over HTTP: /state (and /_fake/state)
 * with frameworks, executors, tasks and their updates, and /_fake/ actions
 * standing in for a scheduler and an operator:
 *
 *   POST /_fake/launch   {"task": TaskInfo | "app": Marathon app, "executor"?: path,
 *                         "env"?: {K: V}, "spawn"?: bool}        -> 201 ids, sandbox, env
 *   POST /_fake/kill     {"task_id": ..., "grace"?: "3secs"}      -> 202
 *   POST /_fake/shutdown {"executor_id"?: ...}  (none: all)       -> 202
 *   POST /_fake/message  {"executor_id": ..., "data": text}       -> 202
 *   POST /_fake/restart  {"downtime"?: "1secs"}                   -> 202
 *
 * Not served on the executor domain socket. */
#include "internal.h"

#include "common/duration.h"
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool refuse_unix(struct httpd_req *r)
{
	if (!httpd_via_unix_socket(r))
		return false;
	httpd_reply_text(r, 403, "Only the executor API is served on the executor domain socket");
	return true;
}

static void state(struct httpd_req *r, void *data)
{
	struct fa_agent *a = data;
	if (refuse_unix(r))
		return;
	fa_streams_reap(a);
	httpd_reply_json(r, 200, fa_agent_state_json(a), NULL);
}

static const char *str_field(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Reads an optional duration field; -1 when absent, -2 when malformed. */
static int64_t duration_field(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	int64_t ns;
	if (!v || cJSON_IsNull(v))
		return -1;
	if (cJSON_IsNumber(v))
		return duration_from_secs(v->valuedouble);
	if (!cJSON_IsString(v) || duration_parse(v->valuestring, &ns) < 0)
		return -2;
	return ns;
}

static void launch(struct httpd_req *r, void *data)
{
	struct fa_agent *a = data;
	char err[1024];
	if (refuse_unix(r))
		return;
	cJSON *body = httpd_body_json(r);
	if (!body)
		return;
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(body, "task");
	const cJSON *app = cJSON_GetObjectItemCaseSensitive(body, "app");
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(body, "env");
	const cJSON *spawn = cJSON_GetObjectItemCaseSensitive(body, "spawn");
	const char *bin = str_field(body, "executor");
	if (!bin)
		bin = a->cfg.executor_bin;
	struct load_result lr;
	int rc;
	if (!task == !app) {
		httpd_reply_text(r, 400, "launch: give exactly one of 'task' and 'app'");
		goto out;
	}
	if (env && !cJSON_IsObject(env)) {
		httpd_reply_text(r, 400, "launch: env: expected an object of strings");
		goto out;
	}
	if (task)
		rc = load_task_json(a, task, "launch.task", bin, &lr, err, sizeof(err));
	else
		rc = load_app_json(a, app, "launch.app", bin, &lr, err, sizeof(err));
	if (rc < 0) {
		httpd_reply_text(r, 400, "%s", err);
		goto out;
	}
	char *extra[65] = {0};
	size_t n = 0;
	const cJSON *kv;
	cJSON_ArrayForEach (kv, env) {
		if (n < 64 && cJSON_IsString(kv) &&
		    asprintf(&extra[n], "%s=%s", kv->string, kv->valuestring) >= 0)
			n++;
	}
	struct fa_launch l = {.extra_env = (const char *const *)extra,
	                      .no_spawn = cJSON_IsFalse(spawn)};
	load_to_launch(&lr, &l, bin);
	struct fa_task *t = fa_agent_launch(a, &l, err, sizeof(err));
	load_free(&lr);
	for (size_t i = 0; i < n; i++)
		free(extra[i]);
	if (!t) {
		httpd_reply_text(r, 400, "launch: %s", err);
		goto out;
	}
	struct fa_executor *e = fa_task_executor(t);
	cJSON *res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "task_id", fa_task_id(t));
	cJSON_AddStringToObject(res, "executor_id", fa_executor_id(e));
	cJSON_AddStringToObject(res, "framework_id", a->framework_id);
	cJSON_AddStringToObject(res, "agent_id", a->agent_id);
	cJSON_AddStringToObject(res, "container_id", e->container_id);
	cJSON_AddStringToObject(res, "sandbox", e->sandbox ? e->sandbox : "");
	if (e->spawned)
		cJSON_AddNumberToObject(res, "pid", e->pid);
	cJSON *envj = cJSON_AddObjectToObject(res, "env");
	for (char **p = e->env; p && *p; p++) {
		char *eq = strchr(*p, '=');
		if (!eq)
			continue;
		*eq = '\0';
		cJSON_AddStringToObject(envj, *p, eq + 1);
		*eq = '=';
	}
	httpd_reply_json(r, 201, res, NULL);
out:
	cJSON_Delete(body);
}

static void kill_task(struct httpd_req *r, void *data)
{
	struct fa_agent *a = data;
	char err[256];
	if (refuse_unix(r))
		return;
	cJSON *body = httpd_body_json(r);
	if (!body)
		return;
	const char *tid = str_field(body, "task_id");
	int64_t grace = duration_field(body, "grace");
	if (!tid)
		httpd_reply_text(r, 400, "kill: task_id: required");
	else if (grace == -2)
		httpd_reply_text(r, 400, "kill: grace: expected a duration (\"3secs\", \"3s\")");
	else if (fa_agent_kill(a, tid, grace, err, sizeof(err)) < 0)
		httpd_reply_text(r, 404, "kill: %s", err);
	else
		httpd_reply(r, 202, NULL, "", 0, NULL);
	cJSON_Delete(body);
}

static void shutdown_executor(struct httpd_req *r, void *data)
{
	struct fa_agent *a = data;
	char err[256];
	if (refuse_unix(r))
		return;
	size_t len;
	httpd_body(r, &len);
	cJSON *body = len ? httpd_body_json(r) : cJSON_CreateObject();
	if (!body)
		return;
	if (fa_agent_shutdown(a, str_field(body, "executor_id"), err, sizeof(err)) < 0)
		httpd_reply_text(r, 404, "shutdown: %s", err);
	else
		httpd_reply(r, 202, NULL, "", 0, NULL);
	cJSON_Delete(body);
}

static void message(struct httpd_req *r, void *data)
{
	struct fa_agent *a = data;
	char err[256];
	if (refuse_unix(r))
		return;
	cJSON *body = httpd_body_json(r);
	if (!body)
		return;
	const char *eid = str_field(body, "executor_id"), *text = str_field(body, "data");
	if (!eid || !text)
		httpd_reply_text(r, 400, "message: executor_id and data: required");
	else if (fa_agent_message(a, eid, text, strlen(text), err, sizeof(err)) < 0)
		httpd_reply_text(r, 404, "message: %s", err);
	else
		httpd_reply(r, 202, NULL, "", 0, NULL);
	cJSON_Delete(body);
}

static void restart(struct httpd_req *r, void *data)
{
	struct fa_agent *a = data;
	char err[256];
	if (refuse_unix(r))
		return;
	size_t len;
	httpd_body(r, &len);
	cJSON *body = len ? httpd_body_json(r) : cJSON_CreateObject();
	if (!body)
		return;
	int64_t down = duration_field(body, "downtime");
	if (down == -2)
		httpd_reply_text(r, 400,
		                 "restart: downtime: expected a duration (\"1secs\", \"1s\")");
	else if (fa_agent_restart(a, down < 0 ? 1000000000LL : down, err, sizeof(err)) < 0)
		httpd_reply_text(r, 409, "restart: %s", err);
	else
		httpd_reply(r, 202, NULL, "", 0, NULL);
	cJSON_Delete(body);
}

const struct httpd_route fa_control_routes[] = {
    {"GET", "/state", state},
    {"GET", "/_fake/state", state},
    {"POST", "/_fake/launch", launch},
    {"POST", "/_fake/kill", kill_task},
    {"POST", "/_fake/shutdown", shutdown_executor},
    {"POST", "/_fake/message", message},
    {"POST", "/_fake/restart", restart},
    {NULL, NULL, NULL},
};
