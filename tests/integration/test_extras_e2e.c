/* The executor's integrations end to end, through `fakeagent scenario` and
 * the real executor: a task with a certificate made here that expires in a
 * few seconds is killed (TASK_RUNNING healthy=false "Certificate expired",
 * then TASK_KILLED); a task labelled log-scraping=logstash has its JSON
 * lines shipped to a TCP sink; metrics reach a Graphite sink; a launch
 * error reaches a Sentry endpoint. Needs runtime.c to wire cert.h,
 * logship.h, metrics.h and sentry.h in. */
#include "sinks.h"
#include "testsupport.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *make_pem(time_t not_after)
{
	return ts_self_signed_pem(not_after, "e2e.example");
}

/* Writes the scenario and runs fakeagent on it; returns its exit status. */
static int run_scenario(cJSON *sc)
{
	char *dir = ts_mkdtemp("e2e");
	char path[512];
	snprintf(path, sizeof(path), "%s/scenario.json", dir);
	char *text = cJSON_Print(sc);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	free(text);
	char *argv[] = {(char *)ts_env("FAKEAGENT_BIN", "fakeagent"), "scenario", "--executor",
	                (char *)ts_env("EXECUTOR_BIN", "executor"),   path,       NULL};
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	ts_rmtree(dir);
	free(dir);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static cJSON *scenario(const char *name, const char *cmd)
{
	cJSON *sc = cJSON_CreateObject();
	cJSON_AddStringToObject(sc, "name", name);
	cJSON *app = cJSON_AddObjectToObject(sc, "app");
	cJSON_AddStringToObject(app, "id", "/e2e/extras");
	cJSON_AddStringToObject(app, "cmd", cmd);
	cJSON_AddNumberToObject(app, "cpus", 0.1);
	cJSON_AddNumberToObject(app, "mem", 32);
	cJSON_AddStringToObject(app, "executor", "./executor");
	cJSON_AddObjectToObject(app, "labels");
	cJSON_AddObjectToObject(app, "env");
	cJSON *agent = cJSON_AddObjectToObject(sc, "agent");
	cJSON_AddObjectToObject(agent, "executor_env");
	cJSON_AddArrayToObject(sc, "steps");
	return sc;
}

static void label(cJSON *sc, const char *k, const char *v)
{
	cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(sc, "app"), "labels"), k,
	                        v);
}

static void app_env(cJSON *sc, const char *k, const char *v)
{
	cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(sc, "app"), "env"), k, v);
}

static void executor_env(cJSON *sc, const char *k, const char *v)
{
	cJSON_AddStringToObject(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(sc, "agent"), "executor_env"), k, v);
}

static void step(cJSON *sc, const char *json)
{
	cJSON_AddItemToArray(cJSON_GetObjectItem(sc, "steps"), cJSON_Parse(json));
}

static void test_a_certificate_expiring_in_seconds_kills_the_task(void **state)
{
	char *pem = make_pem(time(NULL) + 6);
	cJSON *sc = scenario("certificate expiry", "sleep 100");
	label(sc, "validate-certificate", "true");
	app_env(sc, "CERTIFICATE", pem);
	executor_env(sc, "ALLEGRO_EXECUTOR_RANDOM_EXPIRATION_RANGE", "1ns");
	step(sc, "{\"step\":\"expect-update\",\"state\":\"TASK_RUNNING\"}");
	step(sc, "{\"step\":\"expect-update\",\"state\":\"TASK_RUNNING\",\"healthy\":false,"
	         "\"message\":\"Certificate expired\",\"timeout\":\"60s\"}");
	step(sc, "{\"step\":\"expect-update\",\"state\":\"TASK_KILLED\"}");
	step(sc, "{\"step\":\"expect-process-gone\",\"cmdline\":\"sleep 100\"}");
	assert_int_equal(run_scenario(sc), 0);
	cJSON_Delete(sc);
	free(pem);
}

static void test_a_missing_certificate_fails_the_launch(void **state)
{
	cJSON *sc = scenario("certificate missing", "sleep 100");
	label(sc, "validate-certificate", "true");
	step(sc, "{\"step\":\"expect-update\",\"state\":\"TASK_FAILED\",\"message\":\"problem "
	         "with certificate: missing certificate\"}");
	assert_int_equal(run_scenario(sc), 0);
	cJSON_Delete(sc);
}

static void test_json_lines_reach_logstash_and_metrics_reach_graphite(void **state)
{
	struct sink *logstash = sink_start(SINK_TCP, 0, 0);
	struct sink *graphite = sink_start(SINK_TCP, 0, 0);
	char port[16];
	cJSON *sc = scenario("log shipping and metrics",
	                     "echo '{\"msg\":\"hello from the task\",\"level\":\"info\"}'; echo "
	                     "plain; sleep 100");
	label(sc, "log-scraping", "logstash");
	label(sc, "scId", "42");
	executor_env(sc, "ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_ADDRESS", sink_addr(logstash));
	executor_env(sc, "ALLEGRO_EXECUTOR_GRAPHITE_HOST", "127.0.0.1");
	snprintf(port, sizeof(port), "%u", sink_port(graphite));
	executor_env(sc, "ALLEGRO_EXECUTOR_GRAPHITE_PORT", port);
	executor_env(sc, "ALLEGRO_EXECUTOR_METRICS_INTERVAL", "200ms");
	step(sc, "{\"step\":\"expect-update\",\"state\":\"TASK_RUNNING\"}");
	step(sc, "{\"step\":\"wait\",\"duration\":\"1s\"}");
	step(sc, "{\"step\":\"kill\"}");
	step(sc, "{\"step\":\"expect-update\",\"state\":\"TASK_KILLED\"}");
	step(sc, "{\"step\":\"expect-executor-exit\",\"status\":0}");
	assert_int_equal(run_scenario(sc), 0);

	assert_true(sink_wait(logstash, 1, 10000) >= 1);
	char *r = sink_record(logstash, 0);
	cJSON *j = cJSON_Parse(r);
	assert_string_equal(cJSON_GetObjectItem(j, "message")->valuestring, "hello from the task");
	assert_true(cJSON_GetObjectItem(j, "scid")->valuedouble == 42);
	assert_non_null(cJSON_GetObjectItem(j, "instance-id"));
	cJSON_Delete(j);
	free(r);
	assert_int_equal(sink_count(logstash), 1); /* "plain" stayed in the sandbox */

	bool seen = false;
	for (size_t i = 0; i < sink_count(graphite) && !seen; i++) {
		char *g = sink_record(graphite, i);
		seen = strncmp(g, "allegro.executor.", 17) == 0 && strstr(g, ".updates.sent ");
		free(g);
	}
	assert_true(seen);
	sink_stop(logstash);
	sink_stop(graphite);
	cJSON_Delete(sc);
}

static void test_a_launch_error_reaches_sentry(void **state)
{
	struct http_sink *sentry = http_sink_start();
	char dsn[128];
	snprintf(dsn, sizeof(dsn), "http://key@%s/7", http_sink_addr(sentry));
	cJSON *sc = scenario("error report", "sleep 100");
	label(sc, "validate-certificate", "true");
	executor_env(sc, "ALLEGRO_EXECUTOR_SENTRY_DSN", dsn);
	executor_env(sc, "MESOS_HOSTNAME", "agent-1-test.example");
	step(sc, "{\"step\":\"expect-update\",\"state\":\"TASK_FAILED\"}");
	step(sc, "{\"step\":\"expect-executor-exit\",\"status\":0}");
	assert_int_equal(run_scenario(sc), 0);
	assert_true(http_sink_wait(sentry, 1, 10000) >= 1);
	struct http_sink_req r;
	assert_true(http_sink_get(sentry, 0, &r));
	assert_string_equal(r.path, "/api/7/store/");
	assert_non_null(strstr(r.body, "problem with certificate"));
	assert_non_null(strstr(r.body, "\"environment\":\"test\""));
	http_sink_req_free(&r);
	http_sink_stop(sentry);
	cJSON_Delete(sc);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_certificate_expiring_in_seconds_kills_the_task),
	    cmocka_unit_test(test_a_missing_certificate_fails_the_launch),
	    cmocka_unit_test(test_json_lines_reach_logstash_and_metrics_reach_graphite),
	    cmocka_unit_test(test_a_launch_error_reaches_sentry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
