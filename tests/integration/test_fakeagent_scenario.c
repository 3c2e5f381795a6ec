/* `fakeagent scenario` with a tiny executor written in shell (curl speaks
 * the executor API): passing and failing steps, the JUnit report, the
 * placeholders, and the clear failure of a scenario whose helper server is
 * missing. */
#include "testsupport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmp, *executor;

/* Writes its environment to env.txt, subscribes, waits for LAUNCH, reports STARTING, RUNNING, then
 * the state in $FINAL_STATE (TASK_FINISHED), and leaves a `sleep` behind in its session. */
static const char *shell_executor =
    "#!/bin/sh\n"
    "env > env.txt\n"
    "A=\"http://$MESOS_AGENT_ENDPOINT/api/v1/executor\"\n"
    "E=$MESOS_EXECUTOR_ID F=$MESOS_FRAMEWORK_ID T=${MESOS_TASK_ID:-$MESOS_EXECUTOR_ID}\n"
    "curl -sN -XPOST \"$A\" -H 'Content-Type: application/json' -d "
    "\"{\\\"type\\\":\\\"SUBSCRIBE\\\",\\\"executor_id\\\":{\\\"value\\\":\\\"$E\\\"},"
    "\\\"framework_id\\\":{\\\"value\\\":\\\"$F\\\"},\\\"subscribe\\\":{}}\" > events &\n"
    "CURL=$!\n"
    "while ! grep -q LAUNCH events 2>/dev/null; do sleep 0.05; done\n"
    "upd() { curl -s -XPOST \"$A\" -H 'Content-Type: application/json' -d "
    "\"{\\\"type\\\":\\\"UPDATE\\\",\\\"executor_id\\\":{\\\"value\\\":\\\"$E\\\"},"
    "\\\"framework_id\\\":{\\\"value\\\":\\\"$F\\\"},\\\"update\\\":{\\\"status\\\":{"
    "\\\"task_id\\\":{\\\"value\\\":\\\"$T\\\"},\\\"state\\\":\\\"$1\\\","
    "\\\"source\\\":\\\"SOURCE_EXECUTOR\\\",\\\"uuid\\\":\\\"$2\\\"$3}}}\"; }\n"
    "sleep 300 &\n"
    "upd TASK_STARTING q83vEjRWR5iqu8zd7v8AEQ==\n"
    "upd TASK_RUNNING q83vEjRWR5iqu8zd7v8AEg== ',\"healthy\":true'\n"
    "sleep 0.5\n"
    "upd ${FINAL_STATE:-TASK_FINISHED} q83vEjRWR5iqu8zd7v8AEw== ',\"message\":\"done here\"'\n"
    "if [ -n \"$AFTER_FINAL\" ]; then upd $AFTER_FINAL q83vEjRWR5iqu8zd7v8AFA==; fi\n"
    "if [ \"$FINAL_STATE\" = TASK_RUNNING ]; then wait $CURL; fi\n"
    "sleep 0.5\n"
    "kill $CURL\n"
    "exit 0\n";

static int setup(void **state)
{
	tmp = ts_mkdtemp("fakeagent-scenario");
	if (!tmp || asprintf(&executor, "%s/executor.sh", tmp) < 0)
		return -1;
	FILE *f = fopen(executor, "w");
	fputs(shell_executor, f);
	fclose(f);
	chmod(executor, 0755);
	return 0;
}

static int teardown(void **state)
{
	ts_rmtree(tmp);
	free(tmp);
	free(executor);
	return 0;
}

static char *write_file(const char *name, const char *text)
{
	char *path;
	assert_true(asprintf(&path, "%s/%s", tmp, name) > 0);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Reads a fakeagent's stdout to its end, then waits for it: its exit
 * status; stdout, then stderr, in out. */
static int finish_run(struct ts_proc *p, char *out, size_t len)
{
	size_t got = 0;
	int64_t end = ts_now_ms() + 120000;
	while (got + 1 < len && ts_now_ms() < end) {
		ssize_t r = read(p->out_fd, out + got, len - got - 1);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	out[got] = '\0';
	int st = ts_wait(p, 30000);
	assert_true(WIFEXITED(st));
	char *err = ts_read_file(p->log, NULL);
	if (err && got + 1 < len)
		snprintf(out + got, len - got, "%s", err);
	free(err);
	return WEXITSTATUS(st);
}

/* Runs `fakeagent scenario` and returns its exit status; stdout, then
 * stderr, in out. */
static int scenario(char *const *files, const char *junit, const char *extra, char *out, size_t len)
{
	char *argv[16] = {(char *)ts_env("FAKEAGENT_BIN", "build/fakeagent/fakeagent"), "scenario",
	                  "--executor", executor};
	int n = 4;
	if (junit) {
		argv[n++] = "--junit";
		argv[n++] = (char *)junit;
	}
	if (extra)
		argv[n++] = (char *)extra;
	for (char *const *f = files; *f; f++)
		argv[n++] = *f;
	argv[n] = NULL;
	struct ts_proc p;
	assert_int_equal(ts_spawn(&p, argv, NULL, false), 0);
	return finish_run(&p, out, len);
}

/* Runs `fakeagent scenario` and fails the test, showing its output, unless
 * every scenario passed. */
static void scenario_passes(char *const *files, const char *junit, char *out, size_t len)
{
	if (scenario(files, junit, NULL, out, len) != 0)
		fail_msg("scenario failed:\n%s", out);
}

static const char *task =
    "{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"command\":{\"value\":\"true\"}}";

static void test_a_passing_scenario_reports_every_step_and_writes_junit(void **state)
{
	char *tf = write_file("task.json", task);
	char *sc = write_file(
	    "pass.json",
	    "{\"name\":\"shell executor finishes\",\"task\":\"task.json\",\"steps\":["
	    "{\"step\":\"expect-update\",\"state\":\"TASK_STARTING\"},"
	    "{\"step\":\"expect-update\",\"state\":\"TASK_RUNNING\",\"healthy\":true},"
	    "{\"step\":\"expect-update\",\"state\":\"TASK_FINISHED\",\"message\":\"done\","
	    "\"source\":\"SOURCE_EXECUTOR\"},"
	    "{\"step\":\"expect-no-update\",\"state\":\"TASK_KILLING\"},"
	    "{\"step\":\"expect-executor-exit\",\"status\":0},"
	    "{\"step\":\"expect-process-gone\"},"
	    "{\"step\":\"expect-process-gone\",\"cmdline\":\"sleep 300\"}]}");
	char junit[600], out[65536];
	snprintf(junit, sizeof(junit), "%s/junit.xml", tmp);
	char *files[] = {sc, NULL};
	scenario_passes(files, junit, out, sizeof(out));
	assert_non_null(strstr(out, "PASS      step 7/7 07 expect-process-gone"));
	assert_non_null(strstr(out, "scenarios: 1 passed, 0 failed"));
	char *xml = ts_read_file(junit, NULL);
	assert_non_null(xml);
	assert_non_null(strstr(xml, "<testsuite name=\"shell executor finishes\" tests=\"7\" "
	                            "failures=\"0\" skipped=\"0\""));
	assert_non_null(strstr(xml, "name=\"02 expect-update TASK_RUNNING healthy=true\""));
	assert_null(strstr(xml, "<failure"));
	free(xml);
	free(tf);
	free(sc);
}

static void test_a_failing_step_fails_the_scenario_and_skips_the_rest(void **state)
{
	char *tf = write_file("task.json", task);
	char *sc = write_file("fail.json",
	                      "{\"name\":\"wrong expectation\",\"task\":\"task.json\",\"steps\":["
	                      "{\"step\":\"expect-update\",\"state\":\"TASK_RUNNING\"},"
	                      "{\"step\":\"expect-update\",\"state\":\"TASK_KILLED\",\"timeout\":"
	                      "\"20s\"},"
	                      "{\"step\":\"kill\"}]}");
	char junit[600], out[65536];
	snprintf(junit, sizeof(junit), "%s/junit-fail.xml", tmp);
	char *files[] = {sc, NULL};
	assert_int_equal(scenario(files, junit, NULL, out, sizeof(out)), 1);
	/* the executor ended with TASK_FINISHED: no waiting for the timeout */
	assert_non_null(strstr(out, "the executor is gone and no update matched"));
	assert_non_null(strstr(out, "TASK_FINISHED"));
	assert_non_null(strstr(out, "scenarios: 0 passed, 1 failed"));
	char *xml = ts_read_file(junit, NULL);
	assert_non_null(strstr(xml, "failures=\"1\" skipped=\"1\""));
	assert_non_null(strstr(xml, "<failure message="));
	assert_non_null(strstr(xml, "<skipped/>"));
	free(xml);
	free(tf);
	free(sc);
}

static void test_inline_app_placeholders_and_kill(void **state)
{
	/* The app's executor is the shell executor under its Marathon name; it
	 * ignores KILL, so the scenario shuts it down; its sleep must go. */
	char *sc = write_file(
	    "app.json",
	    "{\"name\":\"inline app\",\"app\":{\"id\":\"/demo\",\"cmd\":\"true\","
	    "\"executor\":\"./executor.sh\",\"env\":{\"FINAL_STATE\":\"TASK_RUNNING\"}},"
	    "\"agent\":{\"shutdown_grace\":\"1secs\",\"capabilities\":[\"TASK_KILLING_STATE\"]},"
	    "\"steps\":["
	    "{\"step\":\"expect-update\",\"state\":\"TASK_RUNNING\"},"
	    "{\"step\":\"kill\",\"grace\":\"1s\"},"
	    "{\"step\":\"shutdown\"},"
	    "{\"step\":\"expect-update\",\"state\":\"TASK_FAILED\",\"source\":\"SOURCE_AGENT\","
	    "\"reason\":\"REASON_EXECUTOR_TERMINATED\"},"
	    "{\"step\":\"expect-process-gone\",\"cmdline\":\"sleep 300\"}]}");
	char out[65536];
	char *files[] = {sc, NULL};
	scenario_passes(files, NULL, out, sizeof(out));
	assert_non_null(strstr(out, "KILL task demo.instance-"));
	free(sc);
}

static void test_missing_helper_server_fails_clearly(void **state)
{
	char *tf = write_file("task.json", task);
	char *sc = write_file("consul.json",
	                      "{\"name\":\"needs consul\",\"task\":\"task.json\",\"services\":"
	                      "[\"consul\"],\"steps\":[{\"step\":\"expect-consul-service\","
	                      "\"name\":\"x\"}]}");
	char out[65536];
	char *files[] = {sc, NULL};
	assert_int_equal(
	    scenario(files, NULL, "--fakeconsul=/nonexistent/fakeconsul", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "needs fakeconsul, but /nonexistent/fakeconsul is not an "
	                            "executable"));
	free(tf);
	free(sc);
}

static void test_bad_scenario_file_names_the_field(void **state)
{
	char *sc =
	    write_file("bad.json", "{\"task\":\"task.json\",\"steps\":[{\"step\":\"dance\"}]}");
	char *sc2 = write_file("bad2.json",
	                       "{\"task\":\"task.json\",\"agent\":{\"shutdown_grace\":\"soon\"},"
	                       "\"steps\":[{\"step\":\"wait\"}]}");
	char out[65536];
	char *files[] = {sc, sc2, NULL};
	assert_int_equal(scenario(files, NULL, NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "scenarios: 0 passed, 2 failed"));
	assert_non_null(strstr(out, "bad.json: steps[0].step: expected one of expect-update"));
	assert_non_null(strstr(out, "bad2.json: agent.shutdown_grace: expected a duration"));
	free(sc);
	free(sc2);
}

static void test_scenarios_checkpoint_unless_they_say_otherwise(void **state)
{
	char *tf = write_file("task.json", task);
	char *on = write_file(
	    "cp-default.json",
	    "{\"name\":\"checkpointing by default\",\"task\":\"task.json\",\"steps\":["
	    "{\"step\":\"expect-update\",\"state\":\"TASK_FINISHED\"},"
	    "{\"step\":\"expect-file\",\"path\":\"env.txt\",\"contains\":[\"MESOS_CHECKPOINT=1\","
	    "\"MESOS_RECOVERY_TIMEOUT=15mins\",\"MESOS_SUBSCRIPTION_BACKOFF_MAX=2secs\"]}]}");
	char *off = write_file(
	    "cp-off.json",
	    "{\"name\":\"no checkpointing\",\"task\":\"task.json\","
	    "\"agent\":{\"checkpoint\":false},\"steps\":["
	    "{\"step\":\"expect-update\",\"state\":\"TASK_FINISHED\"},"
	    "{\"step\":\"expect-file\",\"path\":\"env.txt\",\"contains\":\"MESOS_CHECKPOINT=0\","
	    "\"absent\":[\"MESOS_RECOVERY_TIMEOUT\",\"MESOS_SUBSCRIPTION_BACKOFF_MAX\"]}]}");
	char out[65536];
	char *files[] = {on, off, NULL};
	scenario_passes(files, NULL, out, sizeof(out));
	assert_non_null(strstr(out, "scenarios: 2 passed, 0 failed"));
	free(tf);
	free(on);
	free(off);
}

static void test_a_typo_fails_the_file_when_it_is_read_before_anything_starts(void **state)
{
	char *tf = write_file("task.json", task);
	char *good =
	    write_file("good.json", "{\"task\":\"task.json\",\"steps\":["
	                            "{\"step\":\"expect-update\",\"state\":\"TASK_FINISHED\"}]}");
	/* each would start fakeconsul first, and fail there, were it run */
	const char *bad[][2] = {
	    {"typo-key.json", "{\"task\":\"task.json\",\"services\":[\"consul\"],\"timout\":\"1m\","
	                      "\"steps\":[{\"step\":\"wait\"}]}"},
	    {"typo-field.json", "{\"task\":\"task.json\",\"services\":[\"consul\"],\"steps\":["
	                        "{\"step\":\"wait\"},{\"step\":\"expect-update\",\"stat\":"
	                        "\"TASK_RUNNING\"}]}"},
	    {"typo-state.json", "{\"task\":\"task.json\",\"services\":[\"consul\"],\"steps\":["
	                        "{\"step\":\"expect-update\",\"state\":\"TASK_FINISHD\"}]}"},
	    {"typo-reason.json", "{\"task\":\"task.json\",\"services\":[\"consul\"],\"steps\":["
	                         "{\"step\":\"expect-no-update\",\"state\":\"TASK_FAILED\","
	                         "\"reason\":\"REASON_EXECUTOR_TERMINATD\"}]}"},
	    {"typo-setting.json",
	     "{\"task\":\"task.json\",\"services\":[\"consul\"],"
	     "\"agent\":{\"chekpoint\":false},\"steps\":[{\"step\":\"wait\"}]}"},
	};
	char *paths[6];
	for (size_t i = 0; i < 5; i++)
		paths[i] = write_file(bad[i][0], bad[i][1]);
	char *files[] = {good, paths[0], paths[1], paths[2], paths[3], paths[4], NULL};
	char out[65536];
	assert_int_equal(
	    scenario(files, NULL, "--fakeconsul=/nonexistent/fakeconsul", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "scenarios: 1 passed, 5 failed"));
	assert_non_null(strstr(out, "typo-key.json: timout: unknown key"));
	assert_non_null(
	    strstr(out, "typo-field.json: steps[1] (expect-update).stat: unknown field"));
	assert_non_null(strstr(out,
	                       "typo-state.json: steps[0] (expect-update).state: "
	                       "\"TASK_FINISHD\": expected one of TASK_STARTING, TASK_RUNNING, "));
	assert_non_null(strstr(out, "typo-reason.json: steps[0] (expect-no-update).reason: "
	                            "\"REASON_EXECUTOR_TERMINATD\": expected one of "));
	assert_non_null(strstr(out, "typo-setting.json: agent.chekpoint: unknown setting"));
	assert_null(strstr(out, "needs fakeconsul")); /* none of them was started */
	for (size_t i = 0; i < 5; i++)
		free(paths[i]);
	free(good);
	free(tf);
}

/* Copies a built binary into dir (an install puts them side by side). */
static void install(const char *bin_env, const char *fallback, const char *dir, const char *name)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s/%s'", dir,
	         ts_env(bin_env, fallback), dir, name);
	assert_int_equal(system(cmd), 0);
}

/* Runs an installed fakeagent (no --fakeconsul) with PATH set to `path`
 * on a scenario that needs fakeconsul; returns its exit status. */
static int run_installed(const char *fakeagent, const char *path, const char *file, char *out,
                         size_t len)
{
	char env_path[4200];
	snprintf(env_path, sizeof(env_path), "PATH=%s", path);
	char *envp[] = {env_path, NULL};
	char *argv[] = {(char *)fakeagent, "scenario", "--executor", executor, (char *)file, NULL};
	struct ts_proc p;
	assert_int_equal(ts_spawn(&p, argv, envp, false), 0);
	return finish_run(&p, out, len);
}

static void test_helpers_are_found_beside_fakeagent_then_on_path(void **state)
{
	char *tf = write_file("task.json", task);
	char *sc = write_file("needs-consul.json",
	                      "{\"task\":\"task.json\",\"services\":[\"consul\"],\"steps\":["
	                      "{\"step\":\"fake\",\"service\":\"consul\",\"path\":"
	                      "\"/v1/agent/services\"}]}");
	char usr_bin[600], alone[600], tools[600], fa[700], out[65536];
	snprintf(usr_bin, sizeof(usr_bin), "%s/usr/bin", tmp);
	snprintf(alone, sizeof(alone), "%s/alone", tmp);
	snprintf(tools, sizeof(tools), "%s/tools", tmp);
	/* /usr/bin as the package lays it out: fakeagent and fakeconsul together */
	install("FAKEAGENT_BIN", "build/fakeagent/fakeagent", usr_bin, "fakeagent");
	install("FAKECONSUL_BIN", "build/fakeconsul/fakeconsul", usr_bin, "fakeconsul");
	snprintf(fa, sizeof(fa), "%s/fakeagent", usr_bin);
	if (run_installed(fa, "/usr/bin:/bin", sc, out, sizeof(out)) != 0)
		fail_msg("fakeconsul beside fakeagent not found:\n%s", out);
	/* fakeagent alone, fakeconsul somewhere on PATH */
	install("FAKEAGENT_BIN", "build/fakeagent/fakeagent", alone, "fakeagent");
	install("FAKECONSUL_BIN", "build/fakeconsul/fakeconsul", tools, "fakeconsul");
	snprintf(fa, sizeof(fa), "%s/fakeagent", alone);
	char path[2000];
	snprintf(path, sizeof(path), "/usr/bin:%s:/bin", tools);
	if (run_installed(fa, path, sc, out, sizeof(out)) != 0)
		fail_msg("fakeconsul on PATH not found:\n%s", out);
	/* nowhere: a clear failure */
	assert_int_equal(run_installed(fa, "/usr/bin:/bin", sc, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "needs fakeconsul, but there is none beside fakeagent, in the "
	                            "build tree or on PATH"));
	free(tf);
	free(sc);
}

static void test_an_update_after_the_terminal_one_is_shown_ignored(void **state)
{
	char *sc = write_file(
	    "after-final.json",
	    "{\"name\":\"after the end\",\"app\":{\"id\":\"/after\",\"cmd\":\"true\","
	    "\"executor\":\"./executor.sh\",\"env\":{\"AFTER_FINAL\":\"TASK_RUNNING\"}},"
	    "\"steps\":["
	    "{\"step\":\"expect-update\",\"state\":\"TASK_FINISHED\"},"
	    "{\"step\":\"expect-update\",\"state\":\"TASK_RUNNING\",\"ignored\":true},"
	    "{\"step\":\"expect-no-update\",\"state\":\"TASK_RUNNING\",\"after_match\":true},"
	    "{\"step\":\"expect-executor-exit\"}]}");
	char out[65536];
	char *files[] = {sc, NULL};
	scenario_passes(files, NULL, out, sizeof(out));
	assert_non_null(strstr(out, "TASK_RUNNING from executor -- acknowledged, not forwarded: "
	                            "Task is already terminated with state TASK_FINISHED"));
	free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_passing_scenario_reports_every_step_and_writes_junit),
	    cmocka_unit_test(test_a_failing_step_fails_the_scenario_and_skips_the_rest),
	    cmocka_unit_test(test_inline_app_placeholders_and_kill),
	    cmocka_unit_test(test_missing_helper_server_fails_clearly),
	    cmocka_unit_test(test_bad_scenario_file_names_the_field),
	    cmocka_unit_test(test_scenarios_checkpoint_unless_they_say_otherwise),
	    cmocka_unit_test(test_a_typo_fails_the_file_when_it_is_read_before_anything_starts),
	    cmocka_unit_test(test_helpers_are_found_beside_fakeagent_then_on_path),
	    cmocka_unit_test(test_an_update_after_the_terminal_one_is_shown_ignored),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
