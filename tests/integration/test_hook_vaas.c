/* The VaaS hook (hooks/vaas.c) against the real fakevaas with VaaS' own
 * development data (dc1; first_service with a cluster, second_service
 * without; admin / vagrant_api_key): the backend as VaaS lists it, its
 * deletion, the API key only in the Authorization header and never in logs,
 * the asynchronous 202 path, 500s that recover, VaaS down, a backend already
 * gone or already there, and missing settings. The hook is called directly,
 * as the manager would call it on a worker thread. */
#include "../support/testsupport.h"

#include "common/log.h"
#include "hooks/hook.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define USER "admin"
#define KEY  "vagrant_api_key"
#define AUTH "Authorization: ApiKey " USER ":" KEY

/* ---- the fake and the hook */

static struct ts_proc vaas;
static bool have_vaas;

static struct hook *hook(void)
{
	return ts_builtin_hook("vaas");
}

static int start_vaas(void **state)
{
	return ts_start_fake(&vaas, "FAKEVAAS_BIN", "fakevaas", NULL, &have_vaas);
}

static int stop_vaas(void **state)
{
	if (have_vaas)
		ts_stop(&vaas, SIGTERM, 5000);
	return 0;
}

/* One request to the fake (with the API key); the status, and the parsed
 * body in *json when json is set (caller deletes). */
static long fake(const char *method, const char *path, const char *body, cJSON **json)
{
	const char *hdr[] = {AUTH, "Content-Type: application/json", NULL};
	struct ts_http r;
	long status = ts_request(vaas.addr, method, path, body, hdr, &r);
	if (json)
		*json = cJSON_Parse(r.body);
	ts_http_free(&r);
	return status;
}

static int setup(void **state)
{
	ts_fakeenv_clear();
	log_set_level(LOG_DEBUG);
	ts_logs_capture();
	if (!have_vaas)
		return 0;
	char host[160];
	snprintf(host, sizeof(host), "http://%s/", vaas.addr); /* a trailing slash is fine */
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_HOST", host);
	ts_fakeenv_set("VAAS_USERNAME", USER);
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_TOKEN", KEY);
	ts_fakeenv_set("CLOUD_DC", "dc1");
	ts_fakeenv_set("CLOUD_PUBLIC_IP", "127.0.0.1");
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT", "20s");
	fake("DELETE", "/_fake/requests", NULL, NULL);
	fake("DELETE", "/_fake/faults", NULL, NULL);
	fake("POST", "/_fake/tasks",
	     "{\"status\":\"SUCCESS\",\"info\":\"None\",\"pending_polls\":0}", NULL);
	/* No backend left over from another test. */
	cJSON *list = NULL;
	fake("GET", "/api/v0.1/backend/?limit=0", NULL, &list);
	const cJSON *o;
	cJSON_ArrayForEach (o, cJSON_GetObjectItem(list, "objects")) {
		char path[128];
		snprintf(path, sizeof(path), "/api/v0.1/backend/%d/",
		         cJSON_GetObjectItem(o, "id")->valueint);
		fake("DELETE", path, NULL, NULL);
	}
	cJSON_Delete(list);
	fake("DELETE", "/_fake/requests", NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	ts_hook_teardown(hook());
	return 0;
}

#define NEED_VAAS()                                                                                \
	do {                                                                                       \
		if (!have_vaas)                                                                    \
			skip();                                                                    \
	} while (0)

static void init_hook(void)
{
	ts_hook_init(hook());
}

/* A task for `director` on ports 31000 and 31001 (the latter labelled
 * frontend-sync:<director>), weight:30=tag, canary. */
static Mesos__V1__TaskInfo *task_for(const char *director)
{
	char json[2048];
	snprintf(
	    json, sizeof(json),
	    "{\"name\":\"web\",\"task_id\":{\"value\":\"web.1\"},\"agent_id\":{\"value\":"
	    "\"agent-1\"},\"labels\":{\"labels\":[{\"key\":\"director\",\"value\":\"%s\"},"
	    "{\"key\":\"weight:30\",\"value\":\"tag\"},{\"key\":\"canary\",\"value\":\"on\"}]},"
	    "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":["
	    "{\"number\":31000},{\"number\":31001,\"labels\":{\"labels\":[{\"key\":"
	    "\"frontend-sync:%s\"}]}}]}}}",
	    director, director);
	return ts_task_from_json(json);
}

static void free_task(Mesos__V1__TaskInfo *t)
{
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static const struct hook_env env = {
    .executor_id = "exec-1", .framework_id = "fw-1", .agent_id = "agent-1", .sandbox = "/tmp"};

static int call(const Mesos__V1__TaskInfo *t, enum hook_event ev, struct hook_result *res)
{
	static char *task_env[] = {"PATH=/bin", "VAAS_INITIAL_WEIGHT=15", NULL};
	memset(res, 0, sizeof(*res));
	struct hook_call c = {.event = ev, .task = t, .env = &env, .task_env = task_env};
	return hook()->handle(hook(), &c, res);
}

/* The backends of a director as VaaS lists them (caller deletes). */
static cJSON *backends(const char *director)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v0.1/backend/?director__name=%s", director);
	cJSON *list = NULL;
	assert_int_equal(fake("GET", path, NULL, &list), 200);
	cJSON *objects = cJSON_DetachItemFromObject(list, "objects");
	cJSON_Delete(list);
	assert_non_null(objects);
	return objects;
}

static int count_requests(const char *method, const char *path_prefix)
{
	cJSON *log = NULL;
	fake("GET", "/_fake/requests", NULL, &log);
	int n = 0;
	const cJSON *e;
	cJSON_ArrayForEach (e, log) {
		if (strcmp(cJSON_GetObjectItem(e, "method")->valuestring, method) == 0 &&
		    strncmp(cJSON_GetObjectItem(e, "path")->valuestring, path_prefix,
		            strlen(path_prefix)) == 0)
			n++;
	}
	cJSON_Delete(log);
	return n;
}

static void assert_no_secret_in(const char *text)
{
	if (strstr(text, KEY))
		fail_msg("the API key appears in: %s", text);
	if (strstr(text, "[redacted]"))
		fail_msg("something tried to print the API key: %s", text);
}

/* ---- tests */

static void test_healthy_task_becomes_a_backend_and_is_deleted_on_terminate(void **state)
{
	NEED_VAAS();
	init_hook();
	Mesos__V1__TaskInfo *t = task_for("second_service");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_BEFORE_TASK_START, &res), 0);
	assert_int_equal(call(t, HOOK_AFTER_TASK_START, &res), 0);
	assert_int_equal(count_requests("POST", "/api/"), 0); /* only healthy registers */
	if (call(t, HOOK_AFTER_TASK_HEALTHY, &res) != 0)
		fail_msg("register: %s", res.error);

	cJSON *list = backends("second_service");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	const cJSON *b = cJSON_GetArrayItem(list, 0);
	assert_string_equal(cJSON_GetObjectItem(b, "address")->valuestring, "127.0.0.1");
	assert_int_equal(cJSON_GetObjectItem(b, "port")->valueint, 31001);
	assert_int_equal(cJSON_GetObjectItem(b, "weight")->valueint, 15); /* the env wins */
	char *tags = cJSON_PrintUnformatted(cJSON_GetObjectItem(b, "tags"));
	assert_string_equal(tags, "[\"canary\"]");
	free(tags);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(b, "inherit_time_profile")));
	const cJSON *dc = cJSON_GetObjectItem(b, "dc");
	assert_string_equal(cJSON_GetObjectItem(dc, "symbol")->valuestring, "dc1");
	cJSON_Delete(list);

	if (call(t, HOOK_BEFORE_TERMINATE, &res) != 0)
		fail_msg("deregister: %s", res.error);
	list = backends("second_service");
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);
	/* One DELETE (the Go hook sent two), and none on a second terminate. */
	assert_int_equal(count_requests("DELETE", "/api/v0.1/backend/"), 1);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	assert_int_equal(count_requests("DELETE", "/api/v0.1/backend/"), 1);
	free_task(t);
}

static void test_api_key_travels_only_in_the_authorization_header(void **state)
{
	NEED_VAAS();
	init_hook();
	Mesos__V1__TaskInfo *t = task_for("second_service");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), 0);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);

	cJSON *log = NULL;
	fake("GET", "/_fake/requests", NULL, &log);
	int seen = 0;
	const cJSON *e;
	cJSON_ArrayForEach (e, log) {
		seen++;
		const cJSON *h, *auth = NULL;
		cJSON_ArrayForEach (h, cJSON_GetObjectItem(e, "headers")) {
			if (strcasecmp(h->string, "Authorization") == 0)
				auth = h;
		}
		assert_non_null(auth);
		assert_string_equal(auth->valuestring, "ApiKey " USER ":" KEY);
		char *q = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "query"));
		assert_no_secret_in(q);
		assert_null(strstr(q, "api_key"));
		assert_null(strstr(q, "username"));
		free(q);
		assert_no_secret_in(cJSON_GetObjectItem(e, "path")->valuestring);
		assert_no_secret_in(cJSON_GetObjectItem(e, "body")->valuestring);
	}
	cJSON_Delete(log);
	assert_true(seen >= 4); /* dc, director, POST, DELETE */
	assert_non_null(strstr(ts_logs(), "registered backend in VaaS")); /* the capture works */
	assert_no_secret_in(ts_logs());
	free_task(t);
}

static void test_async_registration_waits_for_the_vaas_task(void **state)
{
	NEED_VAAS();
	init_hook();
	/* The reload task reads PENDING twice before SUCCESS. */
	fake("POST", "/_fake/tasks", "{\"status\":\"SUCCESS\",\"pending_polls\":2}", NULL);
	Mesos__V1__TaskInfo *t = task_for("first_service"); /* has a cluster: 202 */
	struct hook_result res;
	if (call(t, HOOK_AFTER_TASK_HEALTHY, &res) != 0)
		fail_msg("register: %s", res.error);
	assert_int_equal(count_requests("GET", "/api/v0.1/task/"), 3);
	cJSON *list = backends("first_service");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	cJSON_Delete(list);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	list = backends("first_service");
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);
	free_task(t);
}

static void test_async_failure_fails_registration_and_still_deletes_the_backend(void **state)
{
	NEED_VAAS();
	init_hook();
	fake("POST", "/_fake/tasks",
	     "{\"status\":\"FAILURE\",\"info\":\"VclLoadException: boom\",\"pending_polls\":1}",
	     NULL);
	Mesos__V1__TaskInfo *t = task_for("first_service");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), -1);
	assert_non_null(strstr(res.error, "VclLoadException: boom"));
	assert_non_null(strstr(res.error, "first_service"));
	/* The backend exists, so terminating removes it. */
	cJSON *list = backends("first_service");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	cJSON_Delete(list);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	list = backends("first_service");
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);
	free_task(t);
}

static void test_async_task_that_never_finishes_times_out(void **state)
{
	NEED_VAAS();
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT", "1s");
	init_hook();
	fake("POST", "/_fake/tasks", "{\"status\":\"SUCCESS\",\"pending_polls\":100000}", NULL);
	Mesos__V1__TaskInfo *t = task_for("first_service");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), -1);
	assert_non_null(strstr(res.error, "did not finish"));
	assert_non_null(strstr(res.error, "ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT"));
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	free_task(t);
}

static void test_datacenter_and_director_on_later_pages_are_found(void **state)
{
	NEED_VAAS();
	init_hook();
	/* The first page of each lookup (served by the fault injector) lacks the
	 * wanted object and points on to the real list. */
	fake("POST", "/_fake/fail",
	     "{\"status\":200,\"count\":1,\"method\":\"GET\",\"path\":\"/api/v0.1/dc/\","
	     "\"content_type\":\"application/json\",\"body\":\"{\\\"meta\\\":{\\\"next\\\":"
	     "\\\"/api/v0.1/dc/?symbol=dc1&limit=20\\\"},\\\"objects\\\":[{\\\"id\\\":7,"
	     "\\\"symbol\\\":\\\"dc7\\\"}]}\"}",
	     NULL);
	fake("POST", "/_fake/fail",
	     "{\"status\":200,\"count\":1,\"method\":\"GET\",\"path\":\"/api/v0.1/director/\","
	     "\"content_type\":\"application/json\",\"body\":\"{\\\"meta\\\":{\\\"next\\\":"
	     "\\\"/api/v0.1/director/?name=second_service&limit=20\\\"},\\\"objects\\\":[]}\"}",
	     NULL);
	Mesos__V1__TaskInfo *t = task_for("second_service");
	struct hook_result res;
	if (call(t, HOOK_AFTER_TASK_HEALTHY, &res) != 0)
		fail_msg("register: %s", res.error);
	assert_int_equal(count_requests("GET", "/api/v0.1/dc/"), 2);
	assert_int_equal(count_requests("GET", "/api/v0.1/director/"), 2);
	cJSON *list = backends("second_service");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	cJSON_Delete(list);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	free_task(t);
}

static void test_registration_retries_when_vaas_answers_500(void **state)
{
	NEED_VAAS();
	init_hook();
	fake("POST", "/_fake/fail",
	     "{\"status\":500,\"count\":2,\"method\":\"POST\",\"path\":\"/api/v0.1/backend/\"}",
	     NULL);
	Mesos__V1__TaskInfo *t = task_for("second_service");
	struct hook_result res;
	if (call(t, HOOK_AFTER_TASK_HEALTHY, &res) != 0)
		fail_msg("register: %s", res.error);
	assert_int_equal(count_requests("POST", "/api/v0.1/backend/"), 3);
	cJSON *list = backends("second_service");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	cJSON_Delete(list);

	fake("POST", "/_fake/fail",
	     "{\"status\":502,\"count\":1,\"method\":\"DELETE\",\"path\":\"/api/v0.1/backend/\"}",
	     NULL);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	assert_int_equal(count_requests("DELETE", "/api/v0.1/backend/"), 2);
	list = backends("second_service");
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);
	free_task(t);
}

static void test_persistent_500_on_delete_is_reported_with_the_backend_id(void **state)
{
	NEED_VAAS();
	init_hook();
	Mesos__V1__TaskInfo *t = task_for("second_service");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), 0);
	cJSON *list = backends("second_service");
	char id[32];
	snprintf(id, sizeof(id), "%d",
	         cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "id")->valueint);
	cJSON_Delete(list);
	fake("POST", "/_fake/fail",
	     "{\"status\":500,\"count\":-1,\"method\":\"DELETE\",\"body\":\"reload failed\"}",
	     NULL);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), -1);
	assert_non_null(strstr(res.error, id));
	assert_non_null(strstr(res.error, "HTTP 500"));
	assert_non_null(strstr(ts_logs(), "VaaS deregistration failed"));
	int tries = count_requests("DELETE", "/api/v0.1/backend/");
	assert_true(tries > 1 && tries <= 5);
	fake("DELETE", "/_fake/faults", NULL, NULL);
	free_task(t);
}

/* A port closed a moment ago: connecting is refused. */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void test_vaas_down_fails_registration_after_bounded_retries(void **state)
{
	NEED_VAAS();
	char host[64];
	snprintf(host, sizeof(host), "http://127.0.0.1:%d", closed_port());
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_HOST", host);
	init_hook();
	Mesos__V1__TaskInfo *t = task_for("second_service");
	struct hook_result res;
	int64_t start = ts_now_ms();
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), -1);
	assert_true(ts_now_ms() - start < 60000); /* bounded */
	assert_non_null(strstr(res.error, "/api/v0.1/dc/"));
	assert_non_null(strstr(res.error, "attempts"));
	assert_no_secret_in(res.error);
	assert_no_secret_in(ts_logs());
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0); /* nothing to delete */
	free_task(t);
}

static void test_backend_already_gone_counts_as_deleted(void **state)
{
	NEED_VAAS();
	init_hook();
	Mesos__V1__TaskInfo *t = task_for("second_service");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), 0);
	cJSON *list = backends("second_service");
	char path[128];
	snprintf(path, sizeof(path), "/api/v0.1/backend/%d/",
	         cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "id")->valueint);
	cJSON_Delete(list);
	assert_int_equal(fake("DELETE", path, NULL, NULL), 204);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	assert_non_null(strstr(ts_logs(), "already gone"));
	free_task(t);
}

static void test_existing_identical_backend_is_adopted(void **state)
{
	NEED_VAAS();
	/* Left by an earlier try whose answer was lost. */
	cJSON *dirs = NULL;
	fake("GET", "/api/v0.1/director/?name=second_service", NULL, &dirs);
	int dir =
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(dirs, "objects"), 0), "id")
	        ->valueint;
	cJSON_Delete(dirs);
	char body[256];
	snprintf(
	    body, sizeof(body),
	    "{\"address\":\"127.0.0.1\",\"port\":31001,\"director\":\"/api/v0.1/director/%d/\","
	    "\"dc\":\"/api/v0.1/dc/1/\"}",
	    dir);
	assert_int_equal(fake("POST", "/api/v0.1/backend/", body, NULL), 201);

	init_hook();
	Mesos__V1__TaskInfo *t = task_for("second_service");
	struct hook_result res;
	if (call(t, HOOK_AFTER_TASK_HEALTHY, &res) != 0)
		fail_msg("register: %s", res.error);
	assert_non_null(strstr(ts_logs(), "adopting it"));
	cJSON *list = backends("second_service");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	cJSON_Delete(list);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	list = backends("second_service");
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);
	free_task(t);
}

static void test_unknown_director_fails_with_its_name(void **state)
{
	NEED_VAAS();
	init_hook();
	Mesos__V1__TaskInfo *t = task_for("no_such_director");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), -1);
	assert_non_null(strstr(res.error, "no_such_director"));
	assert_int_equal(count_requests("POST", "/"), 0);
	free_task(t);
}

static void test_missing_settings_are_named_when_a_task_asks_for_vaas(void **state)
{
	/* Runs without fakevaas: nothing is sent. */
	ts_fakeenv_clear();
	ts_fakeenv_set("CLOUD_PUBLIC_IP", "127.0.0.1");
	init_hook();
	Mesos__V1__TaskInfo *t = task_for("second_service");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), -1);
	assert_non_null(strstr(res.error, "VAAS_HOST"));
	assert_non_null(strstr(res.error, "VAAS_USERNAME"));
	assert_non_null(strstr(res.error, "VAAS_TOKEN"));
	assert_non_null(strstr(res.error, "CLOUD_DC"));
	free_task(t);

	/* A task without a director needs none of them. */
	t = task_for("");
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), 0);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	free_task(t);
}

/* The settings a registration would lack are named when the executor
 * starts (the hook's init), not only as TASK_FAILED once a task with a
 * director is healthy; a configured or disabled hook says nothing. */
static void test_missing_settings_are_named_at_start_up(void **state)
{
	ts_fakeenv_clear();
	ts_fakeenv_set("VAAS_USERNAME", USER);
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_TOKEN", KEY);
	init_hook();
	const char *logs = ts_logs();
	const char *line = strstr(logs, "vaas hook: these are not set: ");
	assert_non_null(line);
	assert_non_null(strstr(line, "ALLEGRO_EXECUTOR_VAAS_HOST (or VAAS_HOST), CLOUD_DC;"));
	assert_null(strstr(logs, "VAAS_USERNAME"));
	assert_non_null(strstr(line, "ALLEGRO_EXECUTOR_VAAS_HOOK_ENABLED=false"));
	assert_non_null(strstr(logs, "level=warn"));
	ts_hook_teardown(hook());

	ts_logs_capture();
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_HOST", "http://127.0.0.1:1");
	ts_fakeenv_set("CLOUD_DC", "dc1");
	init_hook();
	assert_null(strstr(ts_logs(), "not set"));
	ts_hook_teardown(hook());

	ts_logs_capture();
	ts_fakeenv_clear();
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_HOOK_ENABLED", "false");
	struct envcfg off = {.lookup = ts_fakeenv_lookup};
	assert_int_equal(hook()->init(hook(), &off), 0);
	assert_null(strstr(ts_logs(), "not set"));
}

static void test_bad_settings_are_reported_by_name(void **state)
{
	ts_fakeenv_clear();
	ts_fakeenv_set("VAAS_HOST", "vaas.example:3030");
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT", "forever");
	struct envcfg cfg = {.lookup = ts_fakeenv_lookup};
	assert_int_equal(hook()->init(hook(), &cfg), 0);
	assert_null(hook()->state);
	assert_int_equal(cfg.nerrors, 2);
	assert_non_null(strstr(cfg.errors, "VAAS_HOST"));
	assert_non_null(strstr(cfg.errors, "ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT"));

	ts_fakeenv_clear();
	ts_fakeenv_set("ALLEGRO_EXECUTOR_VAAS_HOOK_ENABLED", "0");
	struct envcfg off = {.lookup = ts_fakeenv_lookup};
	assert_int_equal(hook()->init(hook(), &off), 0);
	assert_int_equal(off.nerrors, 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_healthy_task_becomes_a_backend_and_is_deleted_on_terminate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api_key_travels_only_in_the_authorization_header,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_async_registration_waits_for_the_vaas_task, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_async_failure_fails_registration_and_still_deletes_the_backend, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_async_task_that_never_finishes_times_out, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_datacenter_and_director_on_later_pages_are_found,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registration_retries_when_vaas_answers_500, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_persistent_500_on_delete_is_reported_with_the_backend_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vaas_down_fails_registration_after_bounded_retries,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backend_already_gone_counts_as_deleted, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_existing_identical_backend_is_adopted, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_director_fails_with_its_name, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_missing_settings_are_named_when_a_task_asks_for_vaas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_settings_are_named_at_start_up, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_settings_are_reported_by_name, setup,
	                                    teardown),
	};
	int rc = cmocka_run_group_tests(tests, start_vaas, stop_vaas);
	log_shutdown();
	return rc;
}
