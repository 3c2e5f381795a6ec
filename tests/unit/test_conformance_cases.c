/* fakeagent conformance's cases before anything runs: every case file is
 * compiled in, and every case becomes, in each encoding and task form, a
 * scenario the engine accepts, with its settings stated, the task where
 * the form puts it and its placeholders filled; and a failure's details are
 * the executor's last calls and updates from the run's timeline. */
#include "testsupport.h"

#include "fakeagent/conformance/conformance.h"
#include "fakeagent/scenario/scenario.h"
#include "proto/pbjson.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct cf_case *cases;
static size_t n_cases;

static int load(void **state)
{
	char err[512] = "";
	if (cf_cases_load(&cases, &n_cases, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int unload(void **state)
{
	cf_cases_free(cases, n_cases);
	return 0;
}

static const struct cf_case *find(const char *name)
{
	for (size_t i = 0; i < n_cases; i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	fail_msg("no case %s", name);
	return NULL;
}

static cJSON *scenario_of(const char *name, enum mesos_encoding enc, const struct cf_opts *o)
{
	char err[512] = "";
	cJSON *doc = cf_case_scenario(find(name), enc, o, err, sizeof(err));
	if (!doc)
		fail_msg("%s", err);
	return doc;
}

static const cJSON *at(const cJSON *j, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok(buf, "."); k && j; k = strtok(NULL, "."))
		j = cJSON_GetObjectItemCaseSensitive(j, k);
	return j;
}

static void test_every_case_file_is_compiled_in_and_nothing_else(void **state)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/fakeagent/conformance/cases", getenv("SOURCE_DIR"));
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t files = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		files++;
		bool found = false;
		for (size_t i = 0; i < n_cases; i++)
			found |= strlen(cases[i].name) == l - 5 &&
			         !strncmp(cases[i].name, e->d_name, l - 5);
		if (!found)
			fail_msg("%s is not in fakeagent/conformance/conformance.cmake", e->d_name);
	}
	closedir(d);
	assert_int_equal(files, n_cases);
	assert_true(n_cases >= 25);
	assert_string_equal(cases[0].name, "subscribe"); /* the gate goes first */
}

static void test_every_case_is_a_valid_scenario_in_each_encoding_and_form(void **state)
{
	const char *env[] = {"A=1"}, *json_env[] = {"ENCODING=json"};
	for (int form = CF_FORM_COMMAND; form <= CF_FORM_MARATHON; form++)
		for (size_t i = 0; i < n_cases; i++) {
			if (!cases[i].form[form])
				continue;
			for (int enc = MESOS_PROTOBUF; enc <= MESOS_JSON; enc++) {
				struct cf_opts o = {.executor = "/bin/true",
				                    .env = env,
				                    .n_env = 1,
				                    .json_env = json_env,
				                    .n_json_env = 1,
				                    .form = (enum cf_form)form,
				                    .timeout_scale = 1};
				cJSON *doc =
				    scenario_of(cases[i].name, (enum mesos_encoding)enc, &o);
				char err[1024] = "";
				struct scenario sc = {.file = cases[i].name, .doc = doc};
				if (scenario_load(&sc, err, sizeof(err)) < 0)
					fail_msg("%s", err);
				struct fa_config cfg;
				fa_config_defaults(&cfg);
				if (scenario_agent_settings(&sc, &cfg, err, sizeof(err)) < 0)
					fail_msg("%s", err);
				assert_int_equal(cfg.only_encoding, enc);
				assert_int_equal(
				    cfg.checkpoint,
				    cJSON_IsTrue(at(cases[i].doc, "agent.checkpoint")));
				cJSON *task = cJSON_Duplicate(at(doc, "task"), true);
				cJSON_AddStringToObject(cJSON_AddObjectToObject(task, "agent_id"),
				                        "value",
				                        "agent"); /* the agent fills it in */
				Mesos__V1__TaskInfo *t = (Mesos__V1__TaskInfo *)pbjson_from_json(
				    &mesos__v1__task_info__descriptor, task, err, sizeof(err));
				cJSON_Delete(task);
				if (!t)
					fail_msg("%s: task: %s", cases[i].name, err);
				assert_true(form == CF_FORM_MARATHON ? t->executor && !t->command
				                                     : t->command && !t->executor);
				protobuf_c_message_free_unpacked(&t->base, NULL);
				envlist_free(&sc.env);
				free(sc.steps);
				cJSON_Delete(doc);
			}
		}
}

static void test_every_setting_is_stated_and_json_env_goes_to_json_runs_only(void **state)
{
	const char *env[] = {"A=1"}, *json_env[] = {"ENCODING=json"};
	struct cf_opts o = {.executor = "/bin/true",
	                    .env = env,
	                    .n_env = 1,
	                    .json_env = json_env,
	                    .n_json_env = 1,
	                    .timeout_scale = 1};
	cJSON *pb = scenario_of("kill-tree", MESOS_PROTOBUF, &o);
	cJSON *js = scenario_of("kill-tree", MESOS_JSON, &o);
	const char *keys[] = {
	    "checkpoint",       "capabilities",   "registration_timeout", "reregistration_timeout",
	    "recovery_timeout", "shutdown_grace", "heartbeat_interval",   "ack_delay",
	    "drop_acks",        "only_encoding"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(at(pb, "agent") ? cJSON_GetObjectItem(at(pb, "agent"), keys[i])
		                                : NULL);
	assert_string_equal(at(pb, "agent.ack_delay")->valuestring, "3s"); /* the case's own */
	assert_string_equal(at(pb, "agent.executor_env.A")->valuestring, "1");
	assert_null(at(pb, "agent.executor_env.ENCODING"));
	assert_string_equal(at(js, "agent.executor_env.ENCODING")->valuestring, "json");
	assert_string_equal(at(js, "agent.only_encoding")->valuestring, "json");
	cJSON_Delete(pb);
	cJSON_Delete(js);
}

static void test_the_marathon_form_puts_the_command_behind_the_chmod_prefix(void **state)
{
	struct cf_opts o = {.executor = "/bin/true", .form = CF_FORM_MARATHON, .timeout_scale = 1};
	cJSON *doc = scenario_of("exit-zero-finished", MESOS_PROTOBUF, &o);
	assert_null(at(doc, "task.command"));
	assert_string_equal(at(doc, "task.executor.command.value")->valuestring,
	                    "chmod ug+rx './executor' && exec './executor' exit 0");
	assert_string_equal(at(doc, "task.executor.executor_id.value")->valuestring,
	                    "conformance-exit-zero-finished");
	cJSON_Delete(doc);
	o.form = CF_FORM_COMMAND;
	doc = scenario_of("exit-zero-finished", MESOS_PROTOBUF, &o);
	assert_string_equal(at(doc, "task.command.value")->valuestring, "exit 0");
	assert_true(cJSON_IsTrue(at(doc, "task.command.shell")));
	cJSON_Delete(doc);
	char err[256];
	assert_null(cf_case_scenario(find("exec-form"), MESOS_PROTOBUF,
	                             &(struct cf_opts){.form = CF_FORM_MARATHON}, err,
	                             sizeof(err)));
}

static void test_a_port_placeholder_is_one_free_port_everywhere(void **state)
{
	struct cf_opts o = {.executor = "/bin/true", .timeout_scale = 1};
	cJSON *doc = scenario_of("health-http", MESOS_JSON, &o);
	const cJSON *port = at(doc, "task.health_check.http.port");
	assert_true(cJSON_IsNumber(port));
	assert_true(port->valueint > 0 && port->valueint < 65536);
	char want[64];
	snprintf(want, sizeof(want), "http.server %d ", port->valueint);
	assert_non_null(strstr(at(doc, "task.command.value")->valuestring, want));
	const cJSON *res = at(doc, "task.resources"), *r, *ports = NULL;
	cJSON_ArrayForEach (r, res)
		if (!strcmp(at(r, "name")->valuestring, "ports"))
			ports = r;
	assert_non_null(ports);
	assert_int_equal(cJSON_GetArrayItem(at(ports, "ranges.range"), 0)->child->valueint,
	                 port->valueint);
	cJSON_Delete(doc);
}

static void test_steps_get_the_run_encoding_and_scaled_timeouts(void **state)
{
	struct cf_opts o = {.executor = "/bin/true", .timeout_scale = 2};
	cJSON *doc = scenario_of("unknown-event", MESOS_JSON, &o);
	const cJSON *steps = at(doc, "steps");
	const cJSON *inject = cJSON_GetArrayItem(steps, 2);
	assert_string_equal(at(inject, "event.type")->valuestring, "SOME_FUTURE_EVENT");
	assert_null(at(inject, "by_encoding"));
	assert_string_equal(at(cJSON_GetArrayItem(steps, 0), "timeout")->valuestring, "20s");
	assert_string_equal(at(doc, "agent.registration_timeout")->valuestring, "30s");
	cJSON_Delete(doc);
	o.timeout_scale = 1;
	doc = scenario_of("subscribe", MESOS_JSON, &o);
	assert_string_equal(at(cJSON_GetArrayItem(at(doc, "steps"), 0), "encoding")->valuestring,
	                    "json");
	cJSON_Delete(doc);
}

static void test_a_failure_shows_the_last_calls_and_updates_before_it(void **state)
{
	char *dir = ts_mkdtemp("cf-tail");
	char path[512];
	snprintf(path, sizeof(path), "%s/timeline.log", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("11:00:00.000    +0.001s  scenario  kill-tree (protobuf)\n"
	      "11:00:00.010    +0.010s  executor  executor e started: pid 7, sandbox /s\n"
	      "11:00:00.050    +0.050s  call      SUBSCRIBE (protobuf stream, 0 unacknowledged "
	      "updates, 0 unacknowledged tasks)\n"
	      "11:00:00.051    +0.051s  event     SUBSCRIBED\n"
	      "11:00:00.060    +0.060s  call      UPDATE TASK_RUNNING\n"
	      "11:00:00.061    +0.061s  update    TASK_RUNNING from executor\n"
	      "                                   {\"a\": 1}\n"
	      "11:00:01.000    +1.000s  update    TASK_KILLED from executor\n"
	      "11:00:02.000    +2.000s  FAIL      step 4/4 gone: still running\n"
	      "11:00:02.100    +2.100s  update    TASK_FAILED from agent\n",
	      f);
	fclose(f);
	char *tail = cf_timeline_tail(path, 3, 2);
	assert_string_equal(tail, "     +0.050s  call      SUBSCRIBE (protobuf stream, 0 "
	                          "unacknowledged updates, 0 unacknowledged tasks)\n"
	                          "     +0.061s  update    TASK_RUNNING from executor\n"
	                          "     +1.000s  update    TASK_KILLED from executor\n");
	free(tail);
	tail = cf_timeline_tail("/nonexistent/timeline.log", 3, 2);
	assert_string_equal(tail, "");
	free(tail);
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_case_file_is_compiled_in_and_nothing_else),
	    cmocka_unit_test(test_every_case_is_a_valid_scenario_in_each_encoding_and_form),
	    cmocka_unit_test(test_every_setting_is_stated_and_json_env_goes_to_json_runs_only),
	    cmocka_unit_test(test_the_marathon_form_puts_the_command_behind_the_chmod_prefix),
	    cmocka_unit_test(test_a_port_placeholder_is_one_free_port_everywhere),
	    cmocka_unit_test(test_steps_get_the_run_encoding_and_scaled_timeouts),
	    cmocka_unit_test(test_a_failure_shows_the_last_calls_and_updates_before_it),
	};
	return cmocka_run_group_tests(tests, load, unload);
}
