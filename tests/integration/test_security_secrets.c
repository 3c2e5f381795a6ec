/* Tokens and keys never show up where they should not. The executor gets
 * its secrets as the agent gives them (the agent's executor environment, not
 * the TaskInfo): the agent's executor token (MESOS_EXECUTOR_AUTHENTICATION_
 * TOKEN, --executor-auth), a Consul ACL token (CONSUL_HTTP_TOKEN), the VaaS
 * API key (ALLEGRO_EXECUTOR_VAAS_TOKEN) and a Sentry DSN with its key
 * (ALLEGRO_EXECUTOR_SENTRY_DSN). With debug logging on, a task with Consul
 * and VaaS labels lives and is killed; then:
 *   - the executor's log (sandbox stderr) holds none of them;
 *   - the task's environment (`env`, run by the task) holds none of them;
 *   - fakeconsul and fakevaas saw each token only in its header
 *     (X-Consul-Token, Authorization), never in a path, a query or a body. */
#include "chaos.h"

#define CONSUL_TOKEN "c0n5ul-acl-70k3n-5ecret"
#define VAAS_KEY     "vagrant_api_key"
#define SENTRY_KEY   "53n7ry-pub1ic-k3y"

struct world {
	struct agent agent;
	struct ts_proc consul, vaas;
};

/* Whether `secret` appears in any request the fake served outside the one
 * header it belongs in; counts those headers in *in_header. */
static bool leaked_in_requests(struct ts_proc *fake, const char *secret, const char *header,
                               int *in_header)
{
	char *body;
	assert_int_equal(chaos_fake(fake, "GET", "/_fake/requests", NULL, &body), 200);
	cJSON *reqs = cJSON_Parse(body);
	free(body);
	assert_non_null(reqs);
	bool leaked = false;
	const cJSON *r;
	*in_header = 0;
	cJSON_ArrayForEach (r, reqs) {
		leaked |= strstr(chaos_str(r, "path"), secret) != NULL;
		leaked |= strstr(chaos_str(r, "body"), secret) != NULL;
		char *q = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "query"));
		leaked |= q && strstr(q, secret);
		free(q);
		const cJSON *h;
		cJSON_ArrayForEach (h, cJSON_GetObjectItem(r, "headers")) {
			bool has = cJSON_IsString(h) && strstr(h->valuestring, secret);
			if (has && !strcasecmp(h->string, header))
				(*in_header)++;
			else
				leaked |= has;
		}
	}
	cJSON_Delete(reqs);
	return leaked;
}

static void test_tokens_and_keys_stay_out_of_logs_urls_and_the_task_environment(void **state)
{
	struct world w;
	chaos_start_fake(&w.consul, "FAKECONSUL_BIN", "build/fakeconsul/fakeconsul");
	chaos_start_fake(&w.vaas, "FAKEVAAS_BIN", "build/fakevaas/fakevaas");
	char consul_addr[200], vaas_host[200], dsn[300];
	snprintf(consul_addr, sizeof(consul_addr), "CONSUL_HTTP_ADDR=%s", w.consul.addr);
	snprintf(vaas_host, sizeof(vaas_host), "ALLEGRO_EXECUTOR_VAAS_HOST=http://%s", w.vaas.addr);
	/* A Sentry that is not there: reports fail, the key must not leak. */
	snprintf(dsn, sizeof(dsn), "ALLEGRO_EXECUTOR_SENTRY_DSN=http://%s@127.0.0.1:9/1",
	         SENTRY_KEY);
	const char *args[] = {"--executor-auth",
	                      "--executor-env",
	                      consul_addr,
	                      "--executor-env",
	                      "CONSUL_HTTP_TOKEN=" CONSUL_TOKEN,
	                      "--executor-env",
	                      vaas_host,
	                      "--executor-env",
	                      "ALLEGRO_EXECUTOR_VAAS_USERNAME=admin",
	                      "--executor-env",
	                      "ALLEGRO_EXECUTOR_VAAS_TOKEN=" VAAS_KEY,
	                      "--executor-env",
	                      dsn,
	                      "--executor-env",
	                      "ALLEGRO_EXECUTOR_DEBUG=true",
	                      "--executor-env",
	                      "CLOUD_DC=dc1",
	                      "--executor-env",
	                      "CLOUD_PUBLIC_IP=127.0.0.1",
	                      NULL};
	chaos_start_agent(&w.agent, args);
	struct chaos_task t;
	chaos_launch(
	    &w.agent,
	    "{\"app\":{\"id\":\"/secrets\",\"cmd\":\"env > task-env.txt; exec sleep 1000\","
	    "\"labels\":{\"consul\":\"secret-web\",\"director\":\"first_service\"},"
	    "\"portDefinitions\":[{\"port\":0,\"name\":\"http\"}]}}",
	    &t);
	chaos_wait_file_has(&t, "stderr", "msg=\"registered in Consul\"", 30000);
	chaos_wait_file_has(&t, "stderr", "msg=\"registered backend in VaaS\"", 30000);
	chaos_wait_file_has(&t, "task-env.txt", "MESOS_TASK_ID=", 30000);
	char kill[256];
	snprintf(kill, sizeof(kill), "{\"task_id\":\"%s\"}", t.task_id);
	post_fake(&w.agent, "/_fake/kill", kill, 202);
	assert_int_equal(chaos_wait_executor_exit(&w.agent, &t, 60000), 0);

	char *env = chaos_sandbox_file(&t, "task-env.txt");
	char *log = chaos_sandbox_file(&t, "stderr");
	assert_true(strlen(t.token) > 16); /* the agent's token for this executor */
	const char *secrets[] = {CONSUL_TOKEN, VAAS_KEY, SENTRY_KEY, t.token};
	for (size_t i = 0; i < 4; i++) {
		if (strstr(log, secrets[i]))
			fail_msg("the executor's log holds %s", secrets[i]);
		if (strstr(env, secrets[i]))
			fail_msg("the task's environment holds %s", secrets[i]);
	}
	assert_null(strstr(env, "MESOS_EXECUTOR_AUTHENTICATION_TOKEN"));
	assert_null(strstr(env, "ALLEGRO_EXECUTOR_"));
	assert_null(strstr(env, "CONSUL_HTTP_TOKEN"));
	assert_non_null(strstr(log, "level=debug")); /* debug logging was on */
	free(env);
	free(log);

	int in_header = 0;
	assert_false(leaked_in_requests(&w.consul, CONSUL_TOKEN, "X-Consul-Token", &in_header));
	assert_true(in_header >= 2); /* registration and deregistration */
	int consul_headers = in_header;
	assert_false(leaked_in_requests(&w.vaas, VAAS_KEY, "Authorization", &in_header));
	assert_true(in_header >= 3); /* dc, director, backend, ... */
	printf("security: secrets=consul-token,vaas-key,sentry-key,executor-token "
	       "in_executor_log=0 in_task_env=0 consul_requests_with_token_header=%d "
	       "vaas_requests_with_key_header=%d token_elsewhere=0\n",
	       consul_headers, in_header);
	stop_agent(&w.agent);
	chaos_stop_fake(&w.consul);
	chaos_stop_fake(&w.vaas);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        test_tokens_and_keys_stay_out_of_logs_urls_and_the_task_environment,
	        chaos_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
