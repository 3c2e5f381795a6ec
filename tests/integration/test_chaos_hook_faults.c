/* Chaos: Consul and VaaS misbehave while the executor's hooks talk to them
 * (fakeconsul's and fakevaas's /_fake/fail): they answer 500, they hang past
 * the hook's timeout (ALLEGRO_EXECUTOR_CONSUL_TIMEOUT / _VAAS_TIMEOUT, 500ms
 * here) and then answer 503, or they close the connection without an
 * answer; at registration (AfterTaskHealthy) and at deregistration
 * (BeforeTerminate). Whatever they do, the executor neither crashes nor
 * hangs: a failed registration fails the task (TASK_FAILED naming the hook),
 * a failed deregistration is logged and the task is still killed
 * (TASK_KILLED); either way every update is acknowledged, the task's
 * process is gone and the executor exits 0. Prints one "chaos:" line per
 * case for docs/reliability.md. */
#include "chaos.h"

struct world {
	struct agent agent;
	struct ts_proc consul, vaas;
};
static struct world w;

static int setup(void **state)
{
	chaos_start_fake(&w.consul, "FAKECONSUL_BIN", "build/fakeconsul/fakeconsul");
	chaos_start_fake(&w.vaas, "FAKEVAAS_BIN", "build/fakevaas/fakevaas");
	chaos_start_agent(&w.agent, NULL);
	return 0;
}

static int teardown(void **state)
{
	stop_agent(&w.agent);
	chaos_stop_fake(&w.consul);
	chaos_stop_fake(&w.vaas);
	return 0;
}

struct fault {
	const char *service; /* "consul" or "vaas" */
	const char *kind;    /* "500", "hang", "close" */
	bool at_register;    /* else at deregistration */
};

/* The /_fake/fail rule for a fault. */
static void fault_rule(const struct fault *f, char *buf, size_t len)
{
	bool consul = !strcmp(f->service, "consul");
	const char *where =
	    consul ? (f->at_register ? "\"path\":\"/v1/agent/service/register\""
	                             : "\"path\":\"/v1/agent/service/deregister/\"")
	           : (f->at_register ? "\"method\":\"POST\",\"path\":\"/api/v0.1/backend/\""
	                             : "\"method\":\"DELETE\",\"path\":\"/api/v0.1/backend/\"");
	const char *what = !strcmp(f->kind, "500")    ? "\"status\":500,\"body\":\"boom\""
	                   : !strcmp(f->kind, "hang") ? "\"status\":503,\"delay_ms\":3000"
	                                              : "\"close\":true";
	snprintf(buf, len, "{%s,%s,\"count\":-1}", where, what);
}

/* How many requests the fake served on a path prefix (and method). */
static int requests_on(struct ts_proc *fake, const char *method, const char *prefix)
{
	char *body;
	assert_int_equal(chaos_fake(fake, "GET", "/_fake/requests", NULL, &body), 200);
	cJSON *j = cJSON_Parse(body);
	free(body);
	const cJSON *r;
	int n = 0;
	cJSON_ArrayForEach (r, j)
		n += (!method || !strcmp(chaos_str(r, "method"), method)) &&
		     !strncmp(chaos_str(r, "path"), prefix, strlen(prefix));
	cJSON_Delete(j);
	return n;
}

static void run_fault(const struct fault *f)
{
	static int seq;
	bool consul = !strcmp(f->service, "consul");
	struct ts_proc *fake = consul ? &w.consul : &w.vaas;
	char rule[512], body[4096], id[64];
	snprintf(id, sizeof(id), "/chaos-%s-%s-%s-%d", f->service, f->kind,
	         f->at_register ? "reg" : "dereg", ++seq);
	assert_int_equal(chaos_fake(&w.consul, "DELETE", "/_fake/faults", NULL, NULL), 200);
	assert_int_equal(chaos_fake(&w.vaas, "DELETE", "/_fake/faults", NULL, NULL), 200);
	assert_int_equal(chaos_fake(fake, "DELETE", "/_fake/requests", NULL, NULL), 200);
	fault_rule(f, rule, sizeof(rule));
	if (f->at_register)
		assert_int_equal(chaos_fake(fake, "POST", "/_fake/fail", rule, NULL), 200);

	snprintf(
	    body, sizeof(body),
	    "{\"app\":{\"id\":\"%s\",\"cmd\":\"echo $$ > task.pid; exec sleep 1000\","
	    "\"labels\":{%s},\"portDefinitions\":[{\"port\":0,\"name\":\"http\"}],"
	    "\"env\":{\"CONSUL_HTTP_ADDR\":\"%s\",\"ALLEGRO_EXECUTOR_CONSUL_TIMEOUT\":\"500ms\","
	    "\"ALLEGRO_EXECUTOR_VAAS_HOST\":\"http://%s\",\"ALLEGRO_EXECUTOR_VAAS_USERNAME\":"
	    "\"admin\",\"ALLEGRO_EXECUTOR_VAAS_TOKEN\":\"vagrant_api_key\","
	    "\"ALLEGRO_EXECUTOR_VAAS_TIMEOUT\":\"500ms\",\"CLOUD_DC\":\"dc1\","
	    "\"CLOUD_PUBLIC_IP\":\"127.0.0.1\"}}}",
	    id, consul ? "\"consul\":\"chaos-web\"" : "\"director\":\"first_service\"",
	    w.consul.addr, w.vaas.addr);
	struct chaos_task t;
	chaos_launch(&w.agent, body, &t);
	int64_t start = ts_now_ms();
	const char *final;
	if (f->at_register) {
		final = "TASK_FAILED";
	} else {
		/* Registered: then the fault, then the kill. */
		chaos_wait_file_has(&t, "stderr",
		                    consul ? "msg=\"registered in Consul\""
		                           : "msg=\"registered backend in VaaS\"",
		                    30000);
		assert_int_equal(chaos_fake(fake, "POST", "/_fake/fail", rule, NULL), 200);
		start = ts_now_ms();
		char kill[256];
		snprintf(kill, sizeof(kill), "{\"task_id\":\"%s\"}", t.task_id);
		post_fake(&w.agent, "/_fake/kill", kill, 202);
		final = "TASK_KILLED";
	}
	chaos_wait_update(&w.agent, &t, final, 60000);
	int64_t took = ts_now_ms() - start;
	assert_int_equal(chaos_wait_executor_exit(&w.agent, &t, 60000), 0);

	cJSON *st = get_json(&w.agent, "/state");
	const cJSON *task = chaos_task_of(st, t.executor_id, t.task_id);
	assert_string_equal(chaos_str(task, "state"), final);
	const cJSON *ups = cJSON_GetObjectItem(task, "updates");
	const cJSON *last = cJSON_GetArrayItem(ups, cJSON_GetArraySize(ups) - 1);
	if (f->at_register) { /* the failure names the hook and the service */
		assert_non_null(strstr(chaos_str(last, "message"), "AfterTaskHealthy hook failed"));
		assert_non_null(strstr(chaos_str(last, "message"), consul ? "Consul" : "VaaS"));
	}
	cJSON_Delete(st);
	if (!f->at_register)
		assert_true(chaos_file_has(&t, "stderr",
		                           consul ? "msg=\"Consul deregistration failed\""
		                                  : "msg=\"VaaS deregistration failed\""));
	char *pid = chaos_sandbox_file(&t, "task.pid");
	assert_int_equal(kill(atoi(pid), 0), -1); /* the task is gone */
	free(pid);

	struct chaos_counts c;
	chaos_count_updates(&w.agent, &t, &c);
	assert_int_equal(c.from_agent, 0);
	assert_int_equal(c.lost, 0);
	assert_int_equal(c.terminal, 1);
	assert_true(c.terminal_last);
	assert_int_equal(c.out_of_order, 0);
	int tries =
	    consul ? requests_on(fake, NULL,
	                         f->at_register ? "/v1/agent/service/register"
	                                        : "/v1/agent/service/deregister/")
	           : requests_on(fake, f->at_register ? "POST" : "DELETE", "/api/v0.1/backend/");
	assert_true(tries >= 1);
	char what[128];
	snprintf(what, sizeof(what), "%s-%s-at-%s requests=%d terminal=%s after_ms=%lld",
	         f->service, f->kind, f->at_register ? "registration" : "deregistration", tries,
	         final, (long long)took);
	chaos_print_counts(what, &c);
	assert_int_equal(chaos_fake(fake, "DELETE", "/_fake/faults", NULL, NULL), 200);
}

#define FAULT_TEST(name, svc, kind, reg)                                                           \
	static void name(void **state)                                                             \
	{                                                                                          \
		run_fault(&(struct fault){svc, kind, reg});                                        \
	}

FAULT_TEST(test_consul_answering_500_at_registration_fails_the_task, "consul", "500", true)
FAULT_TEST(test_consul_hanging_at_registration_fails_the_task_after_the_timeout, "consul", "hang",
           true)
FAULT_TEST(test_consul_closing_the_connection_at_registration_fails_the_task, "consul", "close",
           true)
FAULT_TEST(test_consul_answering_500_at_deregistration_still_kills_the_task, "consul", "500", false)
FAULT_TEST(test_consul_hanging_at_deregistration_still_kills_the_task, "consul", "hang", false)
FAULT_TEST(test_consul_closing_the_connection_at_deregistration_still_kills_the_task, "consul",
           "close", false)
FAULT_TEST(test_vaas_answering_500_at_registration_fails_the_task, "vaas", "500", true)
FAULT_TEST(test_vaas_hanging_at_registration_fails_the_task_after_the_timeout, "vaas", "hang", true)
FAULT_TEST(test_vaas_closing_the_connection_at_registration_fails_the_task, "vaas", "close", true)
FAULT_TEST(test_vaas_answering_500_at_deregistration_still_kills_the_task, "vaas", "500", false)
FAULT_TEST(test_vaas_hanging_at_deregistration_still_kills_the_task, "vaas", "hang", false)
FAULT_TEST(test_vaas_closing_the_connection_at_deregistration_still_kills_the_task, "vaas", "close",
           false)

/* The fault itself: a "close" rule answers nothing at all. */
static void test_a_close_rule_closes_the_connection_without_an_answer(void **state)
{
	char url[256];
	struct ts_http r;
	assert_int_equal(chaos_fake(&w.consul, "POST", "/_fake/fail",
	                            "{\"close\":true,\"path\":\"/v1/\"}", NULL),
	                 200);
	snprintf(url, sizeof(url), "http://%s/v1/agent/services", w.consul.addr);
	assert_int_equal(ts_http(&r, "GET", url, NULL, NULL, 0), -1); /* no response */
	assert_int_equal(r.status, 0);
	ts_http_free(&r);
	assert_int_equal(ts_http(&r, "GET", url, NULL, NULL, 0), 0); /* count 1: used up */
	assert_int_equal(r.status, 200);
	ts_http_free(&r);
	assert_int_equal(chaos_fake(&w.consul, "POST", "/_fake/fail", "{\"close\":1}", NULL), 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_close_rule_closes_the_connection_without_an_answer),
	    cmocka_unit_test(test_consul_answering_500_at_registration_fails_the_task),
	    cmocka_unit_test(test_consul_hanging_at_registration_fails_the_task_after_the_timeout),
	    cmocka_unit_test(test_consul_closing_the_connection_at_registration_fails_the_task),
	    cmocka_unit_test(test_consul_answering_500_at_deregistration_still_kills_the_task),
	    cmocka_unit_test(test_consul_hanging_at_deregistration_still_kills_the_task),
	    cmocka_unit_test(
	        test_consul_closing_the_connection_at_deregistration_still_kills_the_task),
	    cmocka_unit_test(test_vaas_answering_500_at_registration_fails_the_task),
	    cmocka_unit_test(test_vaas_hanging_at_registration_fails_the_task_after_the_timeout),
	    cmocka_unit_test(test_vaas_closing_the_connection_at_registration_fails_the_task),
	    cmocka_unit_test(test_vaas_answering_500_at_deregistration_still_kills_the_task),
	    cmocka_unit_test(test_vaas_hanging_at_deregistration_still_kills_the_task),
	    cmocka_unit_test(
	        test_vaas_closing_the_connection_at_deregistration_still_kills_the_task),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	chaos_teardown(NULL); /* whatever a failure left running */
	return rc;
}
