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
 *   POST /_fake/teardown  the framework is torn down               -> 202
 *   POST /_fake/terminate the agent shuts down (as on SIGUSR1)     -> 202
 *   POST /_fake/event-of-size {"executor_id": ..., "size": N}       -> 202
 *        one RecordIO record of exactly N payload bytes on the executor's
 *        stream: a MESSAGE event that size (tests of the 16 MiB limit)
 *
 * The fault injector and request log (/_fake/fail, /_fake/delay,
 * /_fake/faults, /_fake/requests) are fakekit/fakectl.c's, as on the other
 * fakes: a rule can make the executor API answer 503, late or not at all.
 * Not served on the executor domain socket. */
#include "internal.h"

#include "common/base64.h"
#include "common/duration.h"
#include "common/envlist.h"
#include "faults.h"
#include "fakeagent/marathon/load.h"
#include "proto/recordio.h"

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

/* The JSON body of a control request, or NULL when the request was answered
 * already (it came over the domain socket, or its body is not JSON). With
 * `optional`, an empty body reads as {}. The caller deletes it. */
static cJSON *control_body(struct httpd_req *r, bool optional)
{
	if (refuse_unix(r))
		return NULL;
	size_t len;
	httpd_body(r, &len);
	return optional && !len ? cJSON_CreateObject() : httpd_body_json(r);
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
	cJSON *body = control_body(r, false);
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
	struct load_target to = {a->agent_id, a->hostname, bin};
	if (task)
		rc = load_task_json(&to, task, "launch.task", &lr, err, sizeof(err));
	else
		rc = load_app_json(&to, app, "launch.app", &lr, err, sizeof(err));
	if (rc < 0) {
		httpd_reply_text(r, 400, "%s", err);
		goto out;
	}
	struct envlist extra = {0};
	const cJSON *kv;
	cJSON_ArrayForEach (kv, env) {
		if (cJSON_IsString(kv))
			envlist_set(&extra, kv->string, kv->valuestring);
	}
	struct fa_launch l = {.extra_env = (const char *const *)extra.v,
	                      .no_spawn = cJSON_IsFalse(spawn)};
	fa_launch_from(&l, &lr, bin);
	struct fa_task *t = fa_agent_launch(a, &l, err, sizeof(err));
	load_free(&lr);
	envlist_free(&extra);
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
	cJSON *body = control_body(r, false);
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
	cJSON *body = control_body(r, true);
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
	cJSON *body = control_body(r, false);
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
	cJSON *body = control_body(r, true);
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

/* /_fake/teardown and /_fake/terminate: no body needed. */
static void teardown_or_terminate(struct httpd_req *r, struct fa_agent *a,
                                  int (*fn)(struct fa_agent *, char *, size_t), const char *what)
{
	char err[256];
	cJSON *body = control_body(r, true);
	if (!body)
		return;
	if (fn(a, err, sizeof(err)) < 0)
		httpd_reply_text(r, 409, "%s: %s", what, err);
	else
		httpd_reply(r, 202, NULL, "", 0, NULL);
	cJSON_Delete(body);
}

static void teardown(struct httpd_req *r, void *data)
{
	teardown_or_terminate(r, data, fa_agent_teardown, "teardown");
}

static void terminate(struct httpd_req *r, void *data)
{
	teardown_or_terminate(r, data, fa_agent_terminate, "terminate");
}

#define EVENT_SIZE_MAX (64u * 1024 * 1024)

/* A MESSAGE event whose encoding is exactly `size` bytes (malloc'd), or
 * NULL when no MESSAGE is that small. JSON carries as much base64 data as
 * fits and leading blanks for the rest; protobuf as many data bytes as make
 * the size (the length prefixes grow with the data, hence the search). */
static uint8_t *message_of_size(enum mesos_encoding enc, size_t size)
{
	Mesos__V1__Executor__Event__Message m = MESOS__V1__EXECUTOR__EVENT__MESSAGE__INIT;
	mesos_event ev = MESOS__V1__EXECUTOR__EVENT__INIT;
	ev.has_type = true;
	ev.type = MESOS__V1__EXECUTOR__EVENT__TYPE__MESSAGE;
	ev.message = &m;
	if (enc == MESOS_JSON) {
		static const char head[] = "{\"type\":\"MESSAGE\",\"message\":{\"data\":\"";
		static const char tail[] = "\"}}";
		size_t fixed = strlen(head) + strlen(tail);
		if (size < fixed)
			return NULL;
		size_t n = (size - fixed) / 4 * 3; /* data bytes whose base64 fits */
		uint8_t *raw = calloc(n ? n : 1, 1), *out = malloc(size);
		char *b64 = raw ? b64_encode(raw, n) : NULL;
		if (!out || !b64) {
			free(raw);
			free(b64);
			free(out);
			return NULL;
		}
		size_t pad = size - fixed - strlen(b64);
		memset(out, ' ', pad);
		memcpy(out + pad, head, strlen(head));
		memcpy(out + pad + strlen(head), b64, strlen(b64));
		memcpy(out + pad + strlen(head) + strlen(b64), tail, strlen(tail));
		free(raw);
		free(b64);
		return out;
	}
	size_t n = size;
	for (int i = 0; i < 8; i++) { /* converges in two or three steps */
		m.data.len = n;
		size_t got = protobuf_c_message_get_packed_size(&ev.base);
		if (got == size)
			break;
		if (got > size && got - size > n)
			return NULL;
		n = got > size ? n - (got - size) : n + (size - got);
	}
	m.data.len = n;
	if (protobuf_c_message_get_packed_size(&ev.base) != size)
		return NULL;
	uint8_t *data = calloc(n ? n : 1, 1), *out = malloc(size);
	if (!data || !out) {
		free(data);
		free(out);
		return NULL;
	}
	m.data.data = data;
	protobuf_c_message_pack(&ev.base, out);
	free(data);
	return out;
}

static void event_of_size(struct httpd_req *r, void *data)
{
	struct fa_agent *a = data;
	char err[256];
	cJSON *body = control_body(r, false);
	if (!body)
		return;
	const char *eid = str_field(body, "executor_id");
	const cJSON *sz = cJSON_GetObjectItemCaseSensitive(body, "size");
	struct fa_executor *e = eid ? fa_agent_executor(a, eid) : NULL;
	if (!eid || !cJSON_IsNumber(sz) || sz->valuedouble < 1 ||
	    sz->valuedouble > EVENT_SIZE_MAX) {
		httpd_reply_text(r, 400, "event-of-size: executor_id and size (1..%u): required",
		                 EVENT_SIZE_MAX);
	} else if (!e || !e->stream) {
		httpd_reply_text(r, 404, "event-of-size: executor '%s' has no open event stream",
		                 eid);
	} else {
		size_t size = (size_t)sz->valuedouble;
		uint8_t *payload = message_of_size(e->enc, size);
		char hdr[24];
		size_t hl = recordio_header(hdr, size);
		uint8_t *rec = payload ? malloc(hl + size) : NULL;
		if (!rec) {
			httpd_reply_text(r, 400, "event-of-size: no MESSAGE event is %zu bytes",
			                 size);
		} else {
			memcpy(rec, hdr, hl);
			memcpy(rec + hl, payload, size);
			if (fa_fault_raw(a, eid, rec, hl + size, err, sizeof(err)) < 0)
				httpd_reply_text(r, 404, "event-of-size: %s", err);
			else
				httpd_reply(r, 202, NULL, "", 0, NULL);
		}
		free(rec);
		free(payload);
	}
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
    {"POST", "/_fake/teardown", teardown},
    {"POST", "/_fake/terminate", terminate},
    {"POST", "/_fake/event-of-size", event_of_size},
    {NULL, NULL, NULL},
};
