/* The Consul hook (hooks/consul.c) against the real fakeconsul: what the
 * agent shows after registration, deregistration, the ACL token on the wire
 * and never in logs, 500s that recover, a Consul that is down, and partial
 * registrations that are still cleaned up. The hook is called directly, as
 * the manager would call it on a worker thread. */
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

#define TOKEN "c0nsul-s3cret-token"
#define TID   "web_app.instance-0b4e2c1a-aa11-11e9-915b-c610fee06dff._app.1"

/* ---- the fake and the hook */

static struct ts_proc consul;
static bool have_consul;

static struct hook *hook(void)
{
	return ts_builtin_hook("consul");
}

/* Starts fakeconsul with ACLs: TOKEN may write every service, "webonly" only
 * `web`. */
static int start_consul(void **state)
{
	const char *acl[] = {"--acl-token", TOKEN, "--acl-token", "webonly=web", NULL};
	return ts_start_fake(&consul, "FAKECONSUL_BIN", "fakeconsul", acl, &have_consul);
}

static int stop_consul(void **state)
{
	if (have_consul)
		ts_stop(&consul, SIGTERM, 5000);
	return 0;
}

static int setup(void **state)
{
	ts_fakeenv_clear();
	log_set_level(LOG_DEBUG);
	ts_logs_capture();
	if (!have_consul)
		return 0;
	ts_fakeenv_set("CONSUL_HTTP_ADDR", consul.addr);
	ts_fakeenv_set("ALLEGRO_EXECUTOR_CONSUL_TOKEN", TOKEN);
	ts_fakeenv_set("CLOUD_PUBLIC_IP", "127.0.0.1");
	/* A clean agent for every test. */
	ts_request(consul.addr, "DELETE", "/_fake/requests", NULL, NULL, NULL);
	ts_request(consul.addr, "DELETE", "/_fake/faults", NULL, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	ts_hook_teardown(hook());
	return 0;
}

#define NEED_CONSUL()                                                                              \
	do {                                                                                       \
		if (!have_consul)                                                                  \
			skip();                                                                    \
	} while (0)

static void init_hook(void)
{
	ts_hook_init(hook());
}

/* A task named `web` (label consul=web) on ports 31000 and 31001, with an
 * HTTP health check against fakeconsul itself so that Consul's check passes;
 * `port_labels` go on the first port. */
static Mesos__V1__TaskInfo *web_task(const char *port_labels)
{
	const char *colon = strrchr(consul.addr, ':');
	char json[4096];
	snprintf(json, sizeof(json),
	         "{\"name\":\"web\",\"task_id\":{\"value\":\"" TID "\"},"
	         "\"agent_id\":{\"value\":\"agent-1\"},"
	         "\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"web\"},"
	         "{\"key\":\"team-a\",\"value\":\"tag\"}]},"
	         "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":["
	         "{\"number\":31000,\"name\":\"http\",\"labels\":{\"labels\":[%s]}},"
	         "{\"number\":31001,\"name\":\"admin\"}]}},"
	         "\"health_check\":{\"type\":\"HTTP\",\"http\":{\"port\":%s,\"path\":"
	         "\"/v1/status/leader\"},\"interval_seconds\":60,\"timeout_seconds\":20}}",
	         port_labels ? port_labels : "", colon ? colon + 1 : "0");
	return ts_task_from_json(json);
}

static const struct hook_env env = {
    .executor_id = "exec-1", .framework_id = "fw-1", .agent_id = "agent-1", .sandbox = "/tmp"};

static int call(const Mesos__V1__TaskInfo *t, enum hook_event ev, struct hook_result *res)
{
	memset(res, 0, sizeof(*res));
	struct hook_call c = {.event = ev, .task = t, .env = &env};
	return hook()->handle(hook(), &c, res);
}

/* GET on the fake; the parsed JSON (caller deletes). */
static cJSON *fake_get(const char *path)
{
	struct ts_http r;
	assert_int_equal(ts_request(consul.addr, "GET", path, NULL, NULL, &r), 200);
	cJSON *j = cJSON_Parse(r.body);
	ts_http_free(&r);
	assert_non_null(j);
	return j;
}

static void fake_post(const char *path, const char *body)
{
	assert_int_equal(ts_request(consul.addr, "POST", path, body, NULL, NULL), 200);
}

/* How many logged requests have this method and path. */
static int count_requests(const char *method, const char *path_prefix)
{
	cJSON *log = fake_get("/_fake/requests");
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

/* The services the agent has, as GET /v1/agent/services shows them. */
static cJSON *services(void)
{
	return fake_get("/v1/agent/services?token=" TOKEN);
}

static void assert_no_secret_in(const char *text)
{
	if (strstr(text, TOKEN))
		fail_msg("the token appears in: %s", text);
	if (strstr(text, "[redacted]"))
		fail_msg("something tried to print the token: %s", text);
}

static void free_task(Mesos__V1__TaskInfo *t)
{
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

/* ---- tests */

static void test_healthy_task_appears_in_consul_exactly_and_is_gone_after_terminate(void **state)
{
	NEED_CONSUL();
	init_hook();
	Mesos__V1__TaskInfo *t = web_task(NULL);
	struct hook_result res;
	assert_int_equal(call(t, HOOK_BEFORE_TASK_START, &res), 0);
	assert_int_equal(call(t, HOOK_AFTER_TASK_START, &res), 0);
	assert_int_equal(count_requests("PUT", "/v1/"), 0); /* only healthy registers */
	if (call(t, HOOK_AFTER_TASK_HEALTHY, &res) != 0)
		fail_msg("register: %s", res.error);

	cJSON *all = services();
	const cJSON *s = cJSON_GetObjectItem(all, TID "_web_31000");
	assert_non_null(s);
	assert_int_equal(cJSON_GetArraySize(all), 1);
	assert_string_equal(cJSON_GetObjectItem(s, "Service")->valuestring, "web");
	assert_string_equal(cJSON_GetObjectItem(s, "Address")->valuestring, "127.0.0.1");
	assert_int_equal(cJSON_GetObjectItem(s, "Port")->valueint, 31000);
	char *tags = cJSON_PrintUnformatted(cJSON_GetObjectItem(s, "Tags"));
	assert_string_equal(tags, "[\"team-a\",\"marathon\",\"marathon-task:" TID "\"]");
	free(tags);
	cJSON_Delete(all);

	/* The check: Consul's own id and the initial status. */
	cJSON *checks = fake_get("/v1/agent/checks?token=" TOKEN);
	const cJSON *c = cJSON_GetObjectItem(checks, "service:" TID "_web_31000");
	assert_non_null(c);
	assert_string_equal(cJSON_GetObjectItem(c, "ServiceID")->valuestring, TID "_web_31000");
	assert_string_equal(cJSON_GetObjectItem(c, "Status")->valuestring, "passing");
	assert_string_equal(cJSON_GetObjectItem(c, "Type")->valuestring, "http");
	cJSON_Delete(checks);
	/* ... targets the health check's port and path on the service address,
	 * and passes when the agent runs it. */
	cJSON *log = fake_get("/_fake/requests");
	const cJSON *e, *reg = NULL;
	cJSON_ArrayForEach (e, log)
		if (strcmp(cJSON_GetObjectItem(e, "path")->valuestring,
		           "/v1/agent/service/register") == 0)
			reg = e;
	assert_non_null(reg);
	cJSON *body = cJSON_Parse(cJSON_GetObjectItem(reg, "body")->valuestring);
	const cJSON *chk = cJSON_GetObjectItem(body, "Check");
	char want[256];
	snprintf(want, sizeof(want), "http://%s/v1/status/leader", consul.addr);
	assert_string_equal(cJSON_GetObjectItem(chk, "HTTP")->valuestring, want);
	assert_string_equal(cJSON_GetObjectItem(chk, "Interval")->valuestring, "1m0s");
	assert_string_equal(cJSON_GetObjectItem(chk, "Timeout")->valuestring, "20s");
	cJSON_Delete(body);
	cJSON_Delete(log);
	cJSON *healthy = fake_get("/v1/health/service/web?passing&token=" TOKEN);
	assert_int_equal(cJSON_GetArraySize(healthy), 1);
	cJSON_Delete(healthy);

	if (call(t, HOOK_BEFORE_TERMINATE, &res) != 0)
		fail_msg("deregister: %s", res.error);
	all = services();
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
	assert_int_equal(count_requests("PUT", "/v1/agent/service/deregister/"), 1);
	/* A second BeforeTerminate has nothing left to do. */
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	assert_int_equal(count_requests("PUT", "/v1/agent/service/deregister/"), 1);
	free_task(t);
}

static void test_token_travels_only_in_the_header_and_never_in_logs(void **state)
{
	NEED_CONSUL();
	init_hook();
	Mesos__V1__TaskInfo *t = web_task(NULL);
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), 0);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);

	cJSON *log = fake_get("/_fake/requests");
	int seen = 0;
	const cJSON *e;
	cJSON_ArrayForEach (e, log) {
		const char *path = cJSON_GetObjectItem(e, "path")->valuestring;
		if (strncmp(path, "/v1/agent/service/", 18) != 0)
			continue;
		seen++;
		const cJSON *h, *token = NULL;
		cJSON_ArrayForEach (h, cJSON_GetObjectItem(e, "headers")) {
			if (strcasecmp(h->string, "X-Consul-Token") == 0)
				token = h;
			else if (strcasecmp(h->string, "Authorization") == 0)
				fail_msg("unexpected Authorization header");
		}
		assert_non_null(token);
		assert_string_equal(token->valuestring, TOKEN);
		char *q = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "query"));
		assert_no_secret_in(q);
		assert_no_secret_in(path);
		assert_no_secret_in(cJSON_GetObjectItem(e, "body")->valuestring);
		free(q);
	}
	cJSON_Delete(log);
	assert_int_equal(seen, 2);
	assert_true(strstr(ts_logs(), "registered in Consul") != NULL); /* the capture works */
	assert_no_secret_in(ts_logs());
	free_task(t);
}

static void test_task_without_consul_label_talks_to_nobody(void **state)
{
	NEED_CONSUL();
	init_hook();
	Mesos__V1__TaskInfo *t = ts_task_from_json(
	    "{\"name\":\"q\",\"task_id\":{\"value\":\"q.1\"},\"agent_id\":{\"value\":\"a\"},"
	    "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":[{\"number\":1}]}}}");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), 0);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	assert_int_equal(count_requests("PUT", "/"), 0);
	free_task(t);
}

static void test_registration_retries_when_consul_answers_500(void **state)
{
	NEED_CONSUL();
	init_hook();
	fake_post("/_fake/fail", "{\"status\":500,\"count\":2,\"path\":\"/v1/agent/service/"
	                         "register\",\"body\":\"rpc error\"}");
	Mesos__V1__TaskInfo *t = web_task(NULL);
	struct hook_result res;
	if (call(t, HOOK_AFTER_TASK_HEALTHY, &res) != 0)
		fail_msg("register: %s", res.error);
	assert_int_equal(count_requests("PUT", "/v1/agent/service/register"), 3);
	cJSON *all = services();
	assert_non_null(cJSON_GetObjectItem(all, TID "_web_31000"));
	cJSON_Delete(all);

	/* Deregistration retries the same way. */
	fake_post("/_fake/fail", "{\"status\":503,\"count\":1,\"path\":\"/v1/agent/service/"
	                         "deregister/\"}");
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	assert_int_equal(count_requests("PUT", "/v1/agent/service/deregister/"), 2);
	all = services();
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
	free_task(t);
}

static void test_persistent_500_fails_registration_after_bounded_retries(void **state)
{
	NEED_CONSUL();
	init_hook();
	fake_post("/_fake/fail", "{\"status\":500,\"count\":-1,\"path\":\"/v1/agent/service/"
	                         "register\",\"body\":\"No cluster leader\"}");
	Mesos__V1__TaskInfo *t = web_task(NULL);
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), -1);
	assert_non_null(strstr(res.error, TID "_web_31000"));
	assert_non_null(strstr(res.error, "HTTP 500"));
	assert_non_null(strstr(res.error, "No cluster leader"));
	int tries = count_requests("PUT", "/v1/agent/service/register");
	assert_true(tries > 1 && tries <= 5);
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

static void test_consul_down_fails_registration_with_a_clear_message(void **state)
{
	NEED_CONSUL();
	char addr[64];
	snprintf(addr, sizeof(addr), "http://127.0.0.1:%d", closed_port());
	ts_fakeenv_set("CONSUL_HTTP_ADDR", addr);
	init_hook();
	Mesos__V1__TaskInfo *t = web_task(NULL);
	struct hook_result res;
	int64_t start = ts_now_ms();
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), -1);
	assert_true(ts_now_ms() - start < 60000); /* bounded */
	assert_non_null(strstr(res.error, TID "_web_31000"));
	assert_non_null(strstr(res.error, addr));
	assert_non_null(strstr(res.error, "attempts"));
	assert_non_null(strstr(ts_logs(), "service_id=" TID "_web_31000"));
	assert_no_secret_in(res.error);
	assert_no_secret_in(ts_logs());
	/* Nothing was registered, so nothing is deregistered. */
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	free_task(t);
}

static void test_failed_registration_still_deregisters_what_was_registered(void **state)
{
	NEED_CONSUL();
	/* This token may write `web` but not `admin`. */
	ts_fakeenv_set("ALLEGRO_EXECUTOR_CONSUL_TOKEN", "webonly");
	init_hook();
	Mesos__V1__TaskInfo *t = web_task("{\"key\":\"consul\",\"value\":\"web,admin\"}");
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), -1);
	assert_non_null(strstr(res.error, TID "_admin_31000"));
	assert_non_null(strstr(res.error, "403"));
	cJSON *all = services();
	assert_non_null(cJSON_GetObjectItem(all, TID "_web_31000"));
	cJSON_Delete(all);

	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	all = services();
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
	free_task(t);
}

static void test_failed_deregistration_is_reported_and_retried_next_time(void **state)
{
	NEED_CONSUL();
	init_hook();
	Mesos__V1__TaskInfo *t = web_task(NULL);
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), 0);
	fake_post("/_fake/fail", "{\"status\":500,\"count\":-1,\"path\":\"/v1/agent/service/"
	                         "deregister/\"}");
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), -1);
	assert_non_null(strstr(res.error, TID "_web_31000"));
	assert_non_null(strstr(ts_logs(), "Consul deregistration failed"));

	struct ts_http r;
	char url[256];
	snprintf(url, sizeof(url), "http://%s/_fake/faults", consul.addr);
	ts_http(&r, "DELETE", url, NULL, NULL, 0);
	ts_http_free(&r);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	cJSON *all = services();
	assert_int_equal(cJSON_GetArraySize(all), 0);
	cJSON_Delete(all);
	free_task(t);
}

static void test_service_already_gone_counts_as_deregistered(void **state)
{
	NEED_CONSUL();
	init_hook();
	Mesos__V1__TaskInfo *t = web_task(NULL);
	struct hook_result res;
	assert_int_equal(call(t, HOOK_AFTER_TASK_HEALTHY, &res), 0);
	/* Someone (marathon-consul's sync) removed it first. */
	char url[512];
	snprintf(url, sizeof(url), "http://%s/v1/agent/service/deregister/" TID "_web_31000",
	         consul.addr);
	const char *hdr[] = {"X-Consul-Token: " TOKEN, NULL};
	struct ts_http r;
	assert_int_equal(ts_http(&r, "PUT", url, hdr, NULL, 0), 0);
	assert_int_equal(r.status, 200);
	ts_http_free(&r);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	free_task(t);
}

/* Without CLOUD_PUBLIC_IP, an agent endpoint on loopback (as the host name
 * resolves on Debian, 127.0.1.1) is never what gets registered: a routable
 * address of this host, or a failure naming CLOUD_PUBLIC_IP. The task has no
 * health check, so fakeconsul runs no check against that address. */
static void test_address_without_cloud_public_ip_is_never_a_guessed_loopback(void **state)
{
	NEED_CONSUL();
	ts_fakeenv_set("CLOUD_PUBLIC_IP", "");
	ts_fakeenv_set("MESOS_AGENT_ENDPOINT", "127.0.0.3:5051");
	init_hook();
	Mesos__V1__TaskInfo *t =
	    ts_task_from_json("{\"name\":\"web\",\"task_id\":{\"value\":\"" TID "\"},"
	                      "\"agent_id\":{\"value\":\"agent-1\"},"
	                      "\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"web\"}]},"
	                      "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":["
	                      "{\"number\":31000,\"name\":\"http\"}]}}}");
	struct hook_result res;
	int rc = call(t, HOOK_AFTER_TASK_HEALTHY, &res);
	cJSON *all = services();
	const cJSON *s = cJSON_GetObjectItem(all, TID "_web_31000");
	if (rc == 0) {
		assert_non_null(s);
		const char *addr = cJSON_GetObjectItem(s, "Address")->valuestring;
		if (strncmp(addr, "127.", 4) == 0)
			fail_msg("registered at the guessed loopback address %s", addr);
		assert_non_null(strstr(ts_logs(), "address_from=\"the default route's source"));
	} else {
		assert_null(s);
		assert_non_null(strstr(res.error, "CLOUD_PUBLIC_IP"));
	}
	cJSON_Delete(all);
	assert_int_equal(call(t, HOOK_BEFORE_TERMINATE, &res), 0);
	free_task(t);
}

static void test_bad_settings_are_reported_by_name(void **state)
{
	ts_fakeenv_set("CONSUL_HTTP_ADDR", "tcp://127.0.0.1:8500"); /* api.go: unknown scheme */
	ts_fakeenv_set("ALLEGRO_EXECUTOR_INITIAL_HEALTH_CHECK_STATUS", "green");
	ts_fakeenv_set("CLOUD_PUBLIC_IP", "ten.one.two.three");
	struct envcfg cfg = {.lookup = ts_fakeenv_lookup};
	assert_int_equal(hook()->init(hook(), &cfg), 0);
	assert_null(hook()->state);
	assert_int_equal(cfg.nerrors, 3);
	assert_non_null(strstr(cfg.errors, "CONSUL_HTTP_ADDR"));
	assert_non_null(strstr(cfg.errors, "ALLEGRO_EXECUTOR_INITIAL_HEALTH_CHECK_STATUS"));
	assert_non_null(strstr(cfg.errors, "CLOUD_PUBLIC_IP"));

	ts_fakeenv_clear();
	ts_fakeenv_set("CONSUL_HOOK_ENABLED", "false");
	struct envcfg off = {.lookup = ts_fakeenv_lookup};
	assert_int_equal(hook()->init(hook(), &off), 0);
	assert_int_equal(off.nerrors, 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_healthy_task_appears_in_consul_exactly_and_is_gone_after_terminate, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_token_travels_only_in_the_header_and_never_in_logs,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_task_without_consul_label_talks_to_nobody, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_registration_retries_when_consul_answers_500,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_persistent_500_fails_registration_after_bounded_retries, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_consul_down_fails_registration_with_a_clear_message, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_failed_registration_still_deregisters_what_was_registered, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_failed_deregistration_is_reported_and_retried_next_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_service_already_gone_counts_as_deregistered, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_address_without_cloud_public_ip_is_never_a_guessed_loopback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_settings_are_reported_by_name, setup,
	                                    teardown),
	};
	int rc = cmocka_run_group_tests(tests, start_consul, stop_consul);
	log_shutdown();
	return rc;
}
