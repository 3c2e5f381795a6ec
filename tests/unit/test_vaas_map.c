/* The TaskInfo -> VaaS backend mapping and the reading of tastypie answers
 * (hooks/vaas_map.c), against the examples of allegro/mesos-executor's
 * hook/vaas/hook_test.go and client_test.go. */
#include "../support/testsupport.h"

#include "hooks/vaas_map.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DC_JSON                                                                                    \
	"{\"id\":1,\"name\":\"First datacenter\",\"resource_uri\":\"/api/v0.1/dc/1/\","            \
	"\"symbol\":\"dc1\",\"extra\":\"dropped\"}"

/* A task with the given labels and ports JSON (the inside of the arrays). */
static Mesos__V1__TaskInfo *task(const char *labels, const char *ports, const char *extra)
{
	char json[4096];
	snprintf(json, sizeof(json),
	         "{\"name\":\"x\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"ag\"},"
	         "\"labels\":{\"labels\":[%s]},\"discovery\":{\"visibility\":\"FRAMEWORK\","
	         "\"ports\":{\"ports\":[%s]}}%s}",
	         labels, ports, extra ? extra : "");
	return ts_task_from_json(json);
}

static void task_free(Mesos__V1__TaskInfo *t)
{
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

/* The backend JSON for t, or fails the test. */
static char *backend(Mesos__V1__TaskInfo *t, char *const *env)
{
	cJSON *dc = cJSON_Parse(DC_JSON);
	char err[256] = "";
	struct vaas_map_input in = {
	    .address = "10.1.2.3", .dc = dc, .director_id = 456, .task_env = env};
	char *b = vaas_map_backend(t, &in, err, sizeof(err));
	cJSON_Delete(dc);
	if (!b)
		fail_msg("vaas_map_backend: %s", err);
	return b;
}

static void test_director_label_must_be_present_and_non_empty(void **state)
{
	Mesos__V1__TaskInfo *t = task("{\"key\":\"director\",\"value\":\"\"}", "", NULL);
	assert_null(vaas_map_director(t));
	task_free(t);
	t = task("{\"key\":\"consul\",\"value\":\"x\"}", "", NULL);
	assert_null(vaas_map_director(t));
	task_free(t);
	t = task("{\"key\":\"director\",\"value\":\"first_service\"}", "", NULL);
	assert_string_equal(vaas_map_director(t), "first_service");
	task_free(t);
}

/* The Go executor's exact body (allegro/mesos-executor hook/vaas/hook.go):
 * labelled port,
 * weight:50=tag, canary. */
static void test_backend_matches_the_go_executor_body(void **state)
{
	Mesos__V1__TaskInfo *t = task(
	    "{\"key\":\"director\",\"value\":\"service\"},{\"key\":\"weight:50\",\"value\":\"tag\"}"
	    ","
	    "{\"key\":\"canary\",\"value\":\"yes\"}",
	    "{\"number\":30000},{\"number\":31000,\"labels\":{\"labels\":[{\"key\":\"frontend-sync:"
	    "service\"}]}}",
	    NULL);
	char *b = backend(t, NULL);
	assert_string_equal(
	    b,
	    "{\"address\":\"10.1.2.3\",\"director\":\"/api/v0.1/director/456/\",\"dc\":{\"id\":1,"
	    "\"name\":\"First datacenter\",\"resource_uri\":\"/api/v0.1/dc/1/\",\"symbol\":"
	    "\"dc1\"},\"port\":31000,\"inherit_time_profile\":true,\"weight\":50,\"tags\":["
	    "\"canary\"]}");
	free(b);
	task_free(t);
}

static void test_task_environment_weight_overrides_the_label(void **state)
{
	Mesos__V1__TaskInfo *t = task("{\"key\":\"director\",\"value\":\"d\"},"
	                              "{\"key\":\"weight:50\",\"value\":\"tag\"}",
	                              "{\"number\":1}", NULL);
	char *env[] = {"PATH=/bin", "VAAS_INITIAL_WEIGHT=15", NULL};
	char *b = backend(t, env);
	cJSON *j = cJSON_Parse(b);
	assert_int_equal(cJSON_GetObjectItem(j, "weight")->valueint, 15);
	cJSON_Delete(j);
	free(b);
	task_free(t);
}

static void test_weight_is_read_from_taskinfo_environment_without_task_env(void **state)
{
	Mesos__V1__TaskInfo *t =
	    task("{\"key\":\"director\",\"value\":\"d\"}", "{\"number\":1}",
	         ",\"command\":{\"environment\":{\"variables\":[{\"name\":\"VAAS_INITIAL_WEIGHT\","
	         "\"value\":\"7\"}]}}");
	char *b = backend(t, NULL);
	cJSON *j = cJSON_Parse(b);
	assert_int_equal(cJSON_GetObjectItem(j, "weight")->valueint, 7);
	cJSON_Delete(j);
	free(b);
	task_free(t);
}

static void test_first_port_without_weight_or_canary_omits_them(void **state)
{
	/* A frontend-sync label for another director does not count; an
	 * empty canary label is no canary; a weight label not valued `tag` is
	 * not a weight. */
	Mesos__V1__TaskInfo *t = task(
	    "{\"key\":\"director\",\"value\":\"mine\"},{\"key\":\"canary\",\"value\":\"\"},"
	    "{\"key\":\"weight:9\",\"value\":\"x\"}",
	    "{\"number\":4000},{\"number\":4001,\"labels\":{\"labels\":[{\"key\":\"frontend-sync:"
	    "other\"}]}}",
	    NULL);
	uint32_t port;
	bool labelled;
	char err[128];
	assert_int_equal(vaas_map_port(t, "mine", &port, &labelled, err, sizeof(err)), 0);
	assert_int_equal(port, 4000);
	assert_false(labelled);
	char *b = backend(t, NULL);
	assert_string_equal(
	    b,
	    "{\"address\":\"10.1.2.3\",\"director\":\"/api/v0.1/director/456/\",\"dc\":{\"id\":1,"
	    "\"name\":\"First datacenter\",\"resource_uri\":\"/api/v0.1/dc/1/\",\"symbol\":"
	    "\"dc1\"},\"port\":4000,\"inherit_time_profile\":true}");
	free(b);
	task_free(t);
}

static void test_bad_weights_and_missing_ports_are_errors(void **state)
{
	cJSON *dc = cJSON_Parse(DC_JSON);
	char err[256];
	struct vaas_map_input in = {.address = "10.1.2.3", .dc = dc, .director_id = 1};

	Mesos__V1__TaskInfo *t = task("{\"key\":\"director\",\"value\":\"d\"},"
	                              "{\"key\":\"weight:heavy\",\"value\":\"tag\"}",
	                              "{\"number\":1}", NULL);
	assert_null(vaas_map_backend(t, &in, err, sizeof(err)));
	assert_non_null(strstr(err, "weight:heavy"));
	task_free(t);

	t = task("{\"key\":\"director\",\"value\":\"d\"}", "{\"number\":1}", NULL);
	char *env[] = {"VAAS_INITIAL_WEIGHT=101", NULL};
	in.task_env = env;
	assert_null(vaas_map_backend(t, &in, err, sizeof(err)));
	assert_non_null(strstr(err, "VAAS_INITIAL_WEIGHT"));
	task_free(t);

	in.task_env = NULL;
	t = task("{\"key\":\"director\",\"value\":\"d\"}", "", NULL);
	assert_null(vaas_map_backend(t, &in, err, sizeof(err)));
	assert_non_null(strstr(err, "no ports"));
	task_free(t);
	cJSON_Delete(dc);
}

static void test_list_pages_are_searched_by_exact_field(void **state)
{
	cJSON *page = cJSON_Parse(
	    "{\"meta\":{\"limit\":2,\"next\":\"/api/v0.1/dc/?limit=2&offset=2\",\"offset\":0,"
	    "\"previous\":null,\"total_count\":3},\"objects\":[{\"id\":1,\"symbol\":\"dc1x\"},"
	    "{\"id\":2,\"symbol\":\"dc2\"}]}");
	assert_null(vaas_map_find(page, "symbol", "dc1"));
	const cJSON *o = vaas_map_find(page, "symbol", "dc2");
	assert_non_null(o);
	assert_int_equal(vaas_map_id(o), 2);
	assert_string_equal(vaas_map_next(page), "/api/v0.1/dc/?limit=2&offset=2");
	cJSON_Delete(page);

	page = cJSON_Parse("{\"meta\":{\"next\":null},\"objects\":[]}");
	assert_null(vaas_map_next(page));
	assert_null(vaas_map_find(page, "symbol", "dc1"));
	assert_int_equal(vaas_map_id(page), -1);
	cJSON_Delete(page);
}

static void test_async_task_states(void **state)
{
	static const struct {
		const char *json;
		enum vaas_task_state want;
	} cases[] = {
	    {"{\"status\":\"SUCCESS\"}", VAAS_TASK_SUCCESS},
	    {"{\"status\":\"FAILURE\",\"info\":\"boom\"}", VAAS_TASK_FAILURE},
	    {"{\"status\":\"PENDING\"}", VAAS_TASK_RUNNING},
	    {"{\"status\":\"STARTED\"}", VAAS_TASK_RUNNING},
	    {"{}", VAAS_TASK_RUNNING},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		cJSON *j = cJSON_Parse(cases[i].json);
		assert_int_equal(vaas_map_task_state(j), cases[i].want);
		cJSON_Delete(j);
	}
	assert_int_equal(vaas_map_task_state(NULL), VAAS_TASK_RUNNING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_director_label_must_be_present_and_non_empty),
	    cmocka_unit_test(test_backend_matches_the_go_executor_body),
	    cmocka_unit_test(test_task_environment_weight_overrides_the_label),
	    cmocka_unit_test(test_weight_is_read_from_taskinfo_environment_without_task_env),
	    cmocka_unit_test(test_first_port_without_weight_or_canary_omits_them),
	    cmocka_unit_test(test_bad_weights_and_missing_ports_are_errors),
	    cmocka_unit_test(test_list_pages_are_searched_by_exact_field),
	    cmocka_unit_test(test_async_task_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
