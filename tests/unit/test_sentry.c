/* Error reports (executor/telemetry/sentry.c) and host facts (executor/telemetry/runenv.c):
 * DSN parsing and its errors (which never show the keys), the auth header,
 * the event built from a logfmt log line, the environment from the host
 * name (allegro/mesos-executor runenv/runenv.go, Environment), and when reports are off. */
#include "../support/testsupport.h"

#include "executor/telemetry/runenv.h"
#include "executor/telemetry/sentry.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_a_dsn_gives_the_store_url_and_keys(void **state)
{
	struct sentry_dsn d;
	char err[256] = "";
	assert_int_equal(
	    sentry_parse_dsn("https://pub123:sec456@sentry.example.com/42", &d, err, sizeof(err)),
	    0);
	assert_string_equal(d.store_url, "https://sentry.example.com/api/42/store/");
	assert_string_equal(d.public_key, "pub123");
	assert_string_equal(d.secret_key, "sec456");
	assert_string_equal(d.project, "42");

	assert_int_equal(
	    sentry_parse_dsn("http://pub@127.0.0.1:9000/prefix/sub/7", &d, err, sizeof(err)), 0);
	assert_string_equal(d.store_url, "http://127.0.0.1:9000/prefix/sub/api/7/store/");
	assert_string_equal(d.secret_key, "");
}

static void test_bad_dsns_are_refused_without_showing_the_keys(void **state)
{
	const char *bad[] = {"not a url", "ftp://pub:sec9x@host/1", "https://sentry.example.com/1",
	                     "https://pub:sec9x@sentry.example.com/", "https://pub:sec9x@host"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sentry_dsn d;
		char err[256] = "";
		assert_int_equal(sentry_parse_dsn(bad[i], &d, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "ALLEGRO_EXECUTOR_SENTRY_DSN"));
		assert_null(strstr(err, "sec9x"));
		assert_null(strstr(err, "pub:"));
	}
}

static void test_the_auth_header_is_sentry_version_7(void **state)
{
	struct sentry_dsn d;
	char err[256], h[512];
	sentry_parse_dsn("https://pub:sec@s.example/1", &d, err, sizeof(err));
	sentry_auth_header(&d, "c/1.0", 1700000000, h, sizeof(h));
	assert_string_equal(h, "X-Sentry-Auth: Sentry sentry_version=7, sentry_client=c/1.0, "
	                       "sentry_timestamp=1700000000, sentry_key=pub, sentry_secret=sec");
	sentry_parse_dsn("https://pub@s.example/1", &d, err, sizeof(err));
	sentry_auth_header(&d, "c/1.0", 1, h, sizeof(h));
	assert_null(strstr(h, "sentry_secret"));
}

static const char *str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_an_event_carries_the_log_line(void **state)
{
	struct sentry_config ctx = {.release = "v1.2.3",
	                            .hostname = "node-7-prod.dc1",
	                            .environment = "prod",
	                            .executor_id = "exec-9"};
	const char *line = "level=error time=2024-05-01T10:00:00.123Z msg=\"hook \\\"consul\\\" "
	                   "failed:\\nboom\" hook=consul status=503 task_id=t1";
	char *json = sentry_event_json(&ctx, line, LOG_ERROR);
	cJSON *ev = cJSON_Parse(json);
	assert_non_null(ev);
	assert_string_equal(str(ev, "message"), "hook \"consul\" failed:\nboom");
	assert_string_equal(str(ev, "level"), "error");
	assert_string_equal(str(ev, "timestamp"), "2024-05-01T10:00:00.123Z");
	assert_string_equal(str(ev, "release"), "v1.2.3");
	assert_string_equal(str(ev, "environment"), "prod");
	assert_string_equal(str(ev, "server_name"), "node-7-prod.dc1");
	assert_string_equal(str(ev, "platform"), "c");
	const char *id = str(ev, "event_id");
	assert_int_equal(strlen(id), 32);
	for (const char *p = id; *p; p++)
		assert_true(isxdigit((unsigned char)*p) && !isupper((unsigned char)*p));
	cJSON *tags = cJSON_GetObjectItem(ev, "tags");
	assert_string_equal(str(tags, "hook"), "consul");
	assert_string_equal(str(tags, "task_id"), "t1");
	assert_string_equal(str(tags, "executor_id"), "exec-9");
	cJSON *extra = cJSON_GetObjectItem(ev, "extra");
	assert_string_equal(str(extra, "status"), "503");
	assert_null(cJSON_GetObjectItem(extra, "level"));
	assert_null(cJSON_GetObjectItem(extra, "msg"));
	cJSON_Delete(ev);
	free(json);
}

static void test_a_line_that_is_not_logfmt_is_the_message(void **state)
{
	struct sentry_config ctx = {.hostname = "h", .environment = "dev"};
	char *json = sentry_event_json(&ctx, "something odd happened", LOG_ERROR);
	cJSON *ev = cJSON_Parse(json);
	assert_string_equal(str(ev, "message"), "something odd happened");
	assert_non_null(str(ev, "timestamp"));
	cJSON_Delete(ev);
	free(json);
}

static void test_the_environment_comes_from_the_host_name(void **state)
{
	assert_string_equal(runenv_environment("app-12-prod.dc1.example"), "prod");
	assert_string_equal(runenv_environment("app-test.dc"), "test");
	assert_string_equal(runenv_environment("x-dev.y"), "dev");
	assert_string_equal(runenv_environment("a-prod-test.b"), "test"); /* the last one */
	assert_string_equal(runenv_environment("app-prod"), "local");     /* needs a dot */
	assert_string_equal(runenv_environment("prod.example"), "local"); /* and a dash */
	assert_string_equal(runenv_environment("app-production.example"), "local");
	assert_string_equal(runenv_environment("laptop"), "local");
	assert_string_equal(runenv_environment(NULL), "local");
}

static const char *fake_env(const char *name)
{
	if (strcmp(name, "CLOUD_HOSTNAME") == 0)
		return "cloud-1-test.dc";
	return NULL;
}

static const char *mesos_env(const char *name)
{
	if (strcmp(name, "MESOS_HOSTNAME") == 0)
		return "mesos-1-prod.dc";
	return fake_env(name);
}

static const char *no_env(const char *name)
{
	return "";
}

static void test_the_host_name_is_mesos_then_cloud_then_the_system(void **state)
{
	char buf[256];
	runenv_hostname(mesos_env, buf, sizeof(buf));
	assert_string_equal(buf, "mesos-1-prod.dc");
	runenv_hostname(fake_env, buf, sizeof(buf));
	assert_string_equal(buf, "cloud-1-test.dc");
	runenv_hostname(no_env, buf, sizeof(buf)); /* empty counts as unset */
	char sys[256];
	gethostname(sys, sizeof(sys));
	assert_string_equal(buf, sys);
}

static void test_reports_are_off_without_a_dsn_or_in_the_local_environment(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct sentry *s = (struct sentry *)1;
	char err[256] = "";
	assert_int_equal(
	    sentry_start(&loop, &(struct sentry_config){.dsn = ""}, &s, err, sizeof(err)), 0);
	assert_null(s);
	assert_int_equal(sentry_start(&loop,
	                              &(struct sentry_config){.dsn = "https://k@s.example/1",
	                                                      .hostname = "laptop"},
	                              &s, err, sizeof(err)),
	                 0);
	assert_null(s);
	assert_int_equal(sentry_start(&loop,
	                              &(struct sentry_config){.dsn = "https://s.example/1",
	                                                      .hostname = "a-prod.b"},
	                              &s, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "public key"));
	assert_null(s);
	sentry_close(NULL);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_dsn_gives_the_store_url_and_keys),
	    cmocka_unit_test(test_bad_dsns_are_refused_without_showing_the_keys),
	    cmocka_unit_test(test_the_auth_header_is_sentry_version_7),
	    cmocka_unit_test(test_an_event_carries_the_log_line),
	    cmocka_unit_test(test_a_line_that_is_not_logfmt_is_the_message),
	    cmocka_unit_test(test_the_environment_comes_from_the_host_name),
	    cmocka_unit_test(test_the_host_name_is_mesos_then_cloud_then_the_system),
	    cmocka_unit_test(test_reports_are_off_without_a_dsn_or_in_the_local_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
