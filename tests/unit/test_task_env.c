/* The task's environment (executor/task.h): the executor's environment
 * without its own settings and secrets, then CommandInfo.environment (SECRET
 * variables skipped), then what hooks added, plus MESOS_TASK_ID and
 * MESOS_ALLOCATION_ROLE, as Mesos' command executor builds it
 * (src/launcher/executor.cpp, CommandExecutor::launch); and the command it
 * runs: TaskInfo.command, or Marathon's custom-executor command line. */
#include "testsupport.h"

#include "common/envlist.h"
#include "common/str.h"
#include "executor/config.h"
#include "executor/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static Mesos__V1__TaskInfo *task_from_json(const char *task_json)
{
	char json[4096], err[256];
	snprintf(json, sizeof(json), "{\"type\":\"LAUNCH\",\"launch\":{\"task\":%s}}", task_json);
	mesos_event *ev =
	    mesos_event_decode(MESOS_JSON, (const uint8_t *)json, strlen(json), err, sizeof(err));
	if (!ev)
		fail_msg("%s", err);
	Mesos__V1__TaskInfo *t = ev->launch->task;
	ev->launch->task = NULL;
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	return t;
}

#define TASK_HEAD                                                                                  \
	"{\"name\":\"web\",\"task_id\":{\"value\":\"web.1\"},\"agent_id\":{\"value\":\"a\"},"

/* A shell task whose CommandInfo.environment is `vars` (a JSON array). */
static Mesos__V1__TaskInfo *task_with_env(const char *vars)
{
	char json[2048];
	snprintf(json, sizeof(json),
	         TASK_HEAD "\"command\":{\"value\":\"env\",\"shell\":true,"
	                   "\"environment\":{\"variables\":%s}}}",
	         vars);
	return task_from_json(json);
}

static int setup_env(void **state)
{
	setenv("ALLEGRO_EXECUTOR_CONSUL_TOKEN", "consul-secret", 1);
	setenv("ALLEGRO_EXECUTOR_DEBUG", "true", 1);
	setenv("CONSUL_TOKEN", "consul-secret", 1);
	setenv("CONSUL_HTTP_TOKEN", "consul-secret", 1);
	setenv("VAAS_TOKEN", "vaas-secret", 1);
	setenv("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", "jwt-secret", 1);
	setenv("MESOS_FRAMEWORK_ID", "fw-1", 1);
	setenv("MESOS_SANDBOX", "/sandbox", 1);
	setenv("CONSUL_HTTP_ADDR", "127.0.0.1:8500", 1);
	setenv("FROM_EXECUTOR", "executor", 1);
	return 0;
}

static void test_task_environment_excludes_the_executors_settings_and_secrets(void **state)
{
	Mesos__V1__TaskInfo *t = task_with_env("[]");
	char **env = task_environment(t, NULL);
	assert_non_null(env);
	for (char **e = env; *e; e++) {
		if (strncmp(*e, "ALLEGRO_EXECUTOR_", 17) == 0)
			fail_msg("executor setting reached the task: %s", *e);
		if (strstr(*e, "secret"))
			fail_msg("secret reached the task: %s", *e);
	}
	assert_null(envlist_get(env, "CONSUL_TOKEN"));
	assert_null(envlist_get(env, "CONSUL_HTTP_TOKEN"));
	assert_null(envlist_get(env, "VAAS_TOKEN"));
	assert_null(envlist_get(env, "MESOS_EXECUTOR_AUTHENTICATION_TOKEN"));
	/* The rest of the executor's environment is the task's. */
	assert_string_equal(envlist_get(env, "MESOS_FRAMEWORK_ID"), "fw-1");
	assert_string_equal(envlist_get(env, "MESOS_SANDBOX"), "/sandbox");
	assert_string_equal(envlist_get(env, "CONSUL_HTTP_ADDR"), "127.0.0.1:8500");
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_secret_entries_are_recognised_by_name(void **state)
{
	assert_true(ex_config_is_secret_env("ALLEGRO_EXECUTOR_VAAS_TOKEN=x"));
	assert_true(ex_config_is_secret_env("CONSUL_TOKEN=x"));
	assert_true(ex_config_is_secret_env("CONSUL_HTTP_TOKEN="));
	assert_true(ex_config_is_secret_env("VAAS_TOKEN=x"));
	assert_true(ex_config_is_secret_env("MESOS_EXECUTOR_AUTHENTICATION_TOKEN=x"));
	assert_false(ex_config_is_secret_env("CONSUL_TOKEN_FILE=x"));
	assert_false(ex_config_is_secret_env("MY_CONSUL_TOKEN=x"));
	assert_false(ex_config_is_secret_env("PATH=/bin"));
	assert_false(ex_config_is_secret_env("MESOS_TASK_ID=x"));
}

static void test_command_environment_overrides_the_executors(void **state)
{
	Mesos__V1__TaskInfo *t = task_with_env(
	    "[{\"name\":\"FROM_EXECUTOR\",\"value\":\"task\"},{\"name\":\"APP\",\"value\":\"1\"},"
	    "{\"name\":\"EMPTY\"}]");
	char **env = task_environment(t, NULL);
	assert_string_equal(envlist_get(env, "FROM_EXECUTOR"), "task");
	assert_string_equal(envlist_get(env, "APP"), "1");
	assert_string_equal(envlist_get(env, "EMPTY"), "");
	int n = 0;
	for (char **e = env; *e; e++)
		n += strncmp(*e, "FROM_EXECUTOR=", 14) == 0;
	assert_int_equal(n, 1);
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_hook_additions_override_both(void **state)
{
	Mesos__V1__TaskInfo *t = task_with_env("[{\"name\":\"APP\",\"value\":\"task\"}]");
	char *const extra[] = {"APP=hook", "FROM_EXECUTOR=hook", "VAAS_BACKEND_ID=7", NULL};
	char **env = task_environment(t, extra);
	assert_string_equal(envlist_get(env, "APP"), "hook");
	assert_string_equal(envlist_get(env, "FROM_EXECUTOR"), "hook");
	assert_string_equal(envlist_get(env, "VAAS_BACKEND_ID"), "7");
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_secret_typed_variables_are_skipped(void **state)
{
	Mesos__V1__TaskInfo *t = task_with_env(
	    "[{\"name\":\"DB_PASSWORD\",\"type\":\"SECRET\",\"secret\":{\"type\":\"REFERENCE\","
	    "\"reference\":{\"name\":\"/db/pw\"}}},{\"name\":\"PLAIN\",\"type\":\"VALUE\","
	    "\"value\":\"ok\"}]");
	char **env = task_environment(t, NULL);
	assert_null(envlist_get(env, "DB_PASSWORD"));
	assert_string_equal(envlist_get(env, "PLAIN"), "ok");
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

/* An entry no one can look up ("=x" from a variable named "", or from a
 * hook) is left out. */
static void test_variables_without_a_name_are_left_out(void **state)
{
	Mesos__V1__TaskInfo *t = task_with_env("[{\"name\":\"\",\"value\":\"x\"},"
	                                       "{\"name\":\"OK\",\"value\":\"1\"}]");
	char **env = task_environment(t, (char *const[]){"=from-hook", "HOOKED=1", NULL});
	for (char **e = env; *e; e++)
		if (**e == '=')
			fail_msg("an entry without a name: %s", *e);
	assert_string_equal(envlist_get(env, "OK"), "1");
	assert_string_equal(envlist_get(env, "HOOKED"), "1");
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_task_id_and_allocation_role_are_set(void **state)
{
	Mesos__V1__TaskInfo *t = task_from_json(
	    TASK_HEAD
	    "\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":"
	    "1},\"allocation_info\":{\"role\":\"web-role\"}},{\"name\":\"mem\",\"type\":"
	    "\"SCALAR\",\"scalar\":{\"value\":64},\"allocation_info\":{\"role\":\"other\"}}],"
	    "\"command\":{\"value\":\"env\"}}");
	char **env = task_environment(t, NULL);
	assert_string_equal(envlist_get(env, "MESOS_TASK_ID"), "web.1");
	assert_string_equal(envlist_get(env, "MESOS_ALLOCATION_ROLE"), "web-role");
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_task_without_allocation_info_gets_no_role(void **state)
{
	Mesos__V1__TaskInfo *t = task_with_env("[]");
	char **env = task_environment(t, NULL);
	assert_null(envlist_get(env, "MESOS_ALLOCATION_ROLE"));
	assert_string_equal(envlist_get(env, "MESOS_TASK_ID"), "web.1");
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_marathon_custom_executor_takes_the_executor_commands_environment(void **state)
{
	Mesos__V1__TaskInfo *t = task_from_json(
	    TASK_HEAD "\"executor\":{\"executor_id\":{\"value\":\"e\"},\"command\":{\"value\":"
	              "\"chmod ug+rx 'x' && exec 'x' env\",\"environment\":{\"variables\":[{"
	              "\"name\":\"PORT0\",\"value\":\"31000\"}]}}}}");
	char **env = task_environment(t, NULL);
	assert_string_equal(envlist_get(env, "PORT0"), "31000");
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

/* Marathon puts the app's `env` in ExecutorInfo.command.environment too: the
 * executor's settings and tokens there (or from a hook) stay out as well. */
static void test_secrets_from_the_command_environment_and_hooks_are_removed_too(void **state)
{
	Mesos__V1__TaskInfo *t = task_from_json(
	    TASK_HEAD "\"executor\":{\"executor_id\":{\"value\":\"e\"},\"command\":{\"value\":"
	              "\"chmod ug+rx 'x' && exec 'x' env\",\"environment\":{\"variables\":["
	              "{\"name\":\"CONSUL_HTTP_TOKEN\",\"value\":\"t1\"},"
	              "{\"name\":\"CONSUL_TOKEN\",\"value\":\"t2\"},"
	              "{\"name\":\"ALLEGRO_EXECUTOR_VAAS_TOKEN\",\"value\":\"t3\"},"
	              "{\"name\":\"APP\",\"value\":\"kept\"}]}}}}");
	char *const extra[] = {"VAAS_TOKEN=t4", "HOOKED=yes", NULL};
	char **env = task_environment(t, extra);
	assert_null(envlist_get(env, "CONSUL_HTTP_TOKEN"));
	assert_null(envlist_get(env, "CONSUL_TOKEN"));
	assert_null(envlist_get(env, "ALLEGRO_EXECUTOR_VAAS_TOKEN"));
	assert_null(envlist_get(env, "VAAS_TOKEN"));
	assert_string_equal(envlist_get(env, "APP"), "kept");
	assert_string_equal(envlist_get(env, "HOOKED"), "yes");
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_task_gets_a_path_even_when_the_executor_has_none(void **state)
{
	char *empty[] = {NULL};
	char **saved = environ;
	Mesos__V1__TaskInfo *t = task_with_env("[]");
	environ = empty;
	char **env = task_environment(t, NULL);
	environ = saved;
	assert_non_null(env);
	assert_non_null(envlist_get(env, "PATH"));
	assert_non_null(strstr(envlist_get(env, "PATH"), "/bin"));
	strv_free(env);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_env_get_matches_whole_names_only(void **state)
{
	char *const env[] = {"PATHX=1", "PATH=/bin", "A=", NULL};
	assert_string_equal(envlist_get(env, "PATH"), "/bin");
	assert_string_equal(envlist_get(env, "A"), "");
	assert_null(envlist_get(env, "PAT"));
	assert_null(envlist_get(NULL, "PATH"));
}

/* ------------------------------------------------------------ the command */

static Mesos__V1__TaskInfo *marathon_task(const char *executor_command)
{
	char json[2048];
	snprintf(json, sizeof(json),
	         "{\"name\":\"web\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"a\"},"
	         "\"executor\":{\"executor_id\":{\"value\":\"e\"},"
	         "\"command\":{\"value\":\"%s\",\"shell\":true}}}",
	         executor_command);
	return task_from_json(json);
}

static void test_task_command_comes_from_task_info(void **state)
{
	Mesos__V1__TaskInfo *t = task_from_json(
	    "{\"name\":\"web\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"a\"},"
	    "\"command\":{\"value\":\"echo hi\",\"shell\":true},"
	    "\"executor\":{\"executor_id\":{\"value\":\"e\"},\"command\":{\"value\":\"./x\"}}}");
	const char *value;
	bool owned;
	const Mesos__V1__CommandInfo *c = task_command(t, &value, &owned);
	assert_ptr_equal(c, t->command);
	assert_string_equal(value, "echo hi");
	assert_false(owned);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_marathon_prefix_is_stripped_from_the_executor_command(void **state)
{
	Mesos__V1__TaskInfo *t = marathon_task("chmod ug+rx 'allegro-executor' && exec "
	                                       "'allegro-executor' python3 -m http.server $PORT0");
	const char *value;
	bool owned;
	const Mesos__V1__CommandInfo *c = task_command(t, &value, &owned);
	assert_ptr_equal(c, t->executor->command);
	assert_string_equal(value, "python3 -m http.server $PORT0");
	assert_true(owned);
	free((char *)value);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_marathon_prefix_alone_leaves_an_empty_command(void **state)
{
	Mesos__V1__TaskInfo *t = marathon_task("chmod ug+rx 'exe' && exec 'exe'");
	const char *value;
	bool owned;
	task_command(t, &value, &owned);
	assert_string_equal(value, "");
	assert_true(owned);
	free((char *)value);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_executor_command_without_the_exact_prefix_is_kept_whole(void **state)
{
	const char *cases[] = {
	    "./run.sh --port 31000",
	    "chmod ug+rx 'a' && exec 'b' sleep 1", /* different names: not Marathon's */
	    "chmod ug+rx 'unterminated",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Mesos__V1__TaskInfo *t = marathon_task(cases[i]);
		const char *value;
		bool owned;
		task_command(t, &value, &owned);
		assert_string_equal(value, cases[i]);
		assert_false(owned);
		protobuf_c_message_free_unpacked(&t->base, NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_task_environment_excludes_the_executors_settings_and_secrets),
	    cmocka_unit_test(test_secret_entries_are_recognised_by_name),
	    cmocka_unit_test(test_command_environment_overrides_the_executors),
	    cmocka_unit_test(test_hook_additions_override_both),
	    cmocka_unit_test(test_secret_typed_variables_are_skipped),
	    cmocka_unit_test(test_variables_without_a_name_are_left_out),
	    cmocka_unit_test(test_task_id_and_allocation_role_are_set),
	    cmocka_unit_test(test_task_without_allocation_info_gets_no_role),
	    cmocka_unit_test(test_marathon_custom_executor_takes_the_executor_commands_environment),
	    cmocka_unit_test(test_secrets_from_the_command_environment_and_hooks_are_removed_too),
	    cmocka_unit_test(test_task_gets_a_path_even_when_the_executor_has_none),
	    cmocka_unit_test(test_env_get_matches_whole_names_only),
	    cmocka_unit_test(test_task_command_comes_from_task_info),
	    cmocka_unit_test(test_marathon_prefix_is_stripped_from_the_executor_command),
	    cmocka_unit_test(test_marathon_prefix_alone_leaves_an_empty_command),
	    cmocka_unit_test(test_executor_command_without_the_exact_prefix_is_kept_whole),
	};
	return cmocka_run_group_tests(tests, setup_env, NULL);
}
