/* What the demo relies on in `fakeagent scenario`, with the real executor,
 * fakeconsul and fakevaas: the demo scenario shows the Consul service with
 * its checks, the VaaS backend and the executor's log lines in a plain
 * (uncoloured) timeline with a summary; expect-call and expect-executor-log
 * pass and fail as they should; and SIGINT (followed at once by SIGTERM, as
 * scripts/demo's trap sends) ends a scenario with nothing left running: not
 * the executor, not its task in its own session, not the helper servers. */
#include "testsupport.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmp;

static int setup(void **state)
{
	tmp = ts_mkdtemp("fakeagent-demo");
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	ts_rmtree(tmp);
	free(tmp);
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

static void start_scenario(struct ts_proc *p, const char *file)
{
	char *argv[] = {(char *)ts_env("FAKEAGENT_BIN", "build/fakeagent/fakeagent"),
	                "scenario",
	                "--executor",
	                (char *)ts_env("EXECUTOR_BIN", "build/executor/executor"),
	                "--fakeconsul",
	                (char *)ts_env("FAKECONSUL_BIN", "build/fakeconsul/fakeconsul"),
	                "--fakevaas",
	                (char *)ts_env("FAKEVAAS_BIN", "build/fakevaas/fakevaas"),
	                (char *)file,
	                NULL};
	assert_int_equal(ts_spawn(p, argv, NULL, false), 0);
}

/* Reads stdout until `until` appears (NULL: until EOF) or 120 s pass. */
static void read_until(struct ts_proc *p, char *out, size_t len, size_t *got, const char *until)
{
	int64_t end = ts_now_ms() + 120000;
	while (*got + 1 < len && ts_now_ms() < end && !(until && strstr(out, until))) {
		ssize_t r = read(p->out_fd, out + *got, len - *got - 1);
		if (r <= 0)
			break;
		*got += (size_t)r;
		out[*got] = '\0';
	}
}

static int run_scenario(const char *file, char *out, size_t len)
{
	struct ts_proc p;
	size_t got = 0;
	out[0] = '\0';
	start_scenario(&p, file);
	read_until(&p, out, len, &got, NULL);
	int st = ts_wait(&p, 30000);
	assert_true(WIFEXITED(st));
	char *err = ts_read_file(p.log, NULL); /* stderr: errors in the file */
	if (err)
		snprintf(out + got, len - got, "%s", err);
	free(err);
	unlink(p.log);
	return WEXITSTATUS(st);
}

static void test_the_demo_scenario_shows_consul_vaas_and_the_executor_log(void **state)
{
	char file[4096], out[131072];
	snprintf(file, sizeof(file), "%s/examples/scenarios/demo.json", ts_env("SOURCE_DIR", "."));
	int rc = run_scenario(file, out, sizeof(out));
	if (rc != 0)
		fail_msg("the demo scenario failed:\n%s", out);
	const char *want[] = {
	    "call      SUBSCRIBE",
	    "update    TASK_STARTING from executor\n",
	    "consul    GET /v1/agent/services: \"${TASK_ID}_cool-test-python_",
	    "\"Service\": \"cool-test-python\"",
	    "consul    GET /v1/health/service/cool-test-python: 2 checks",
	    "(http) passing",
	    "vaas      GET /api/v0.1/backend/?director__name=first_service: backend ",
	    "\"address\": \"127.0.0.1\"",
	    "exec log  SIGTERM sent to ",
	    "update    TASK_KILLED from executor",
	    "consul    GET /v1/agent/services: no match; it lists {}",
	    "executor  executor process ",
	    "summary of \"demo:",
	    "  ok      13 no process of the task is left",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(out, want[i]))
			fail_msg("no \"%s\" in:\n%s", want[i], out);
	assert_null(strstr(out, "ACKNOWLEDGED")); /* the brief timeline */
	assert_null(strchr(out, '\033'));         /* no colour into a pipe */
	/* the log line comes before the update it causes */
	assert_true(strstr(out, "exec log  SIGTERM sent") < strstr(out, "update    TASK_KILLED"));
}

static void test_expect_call_and_expect_executor_log_pass_and_fail(void **state)
{
	char *sc = write_file(
	    "log.json",
	    "{\"name\":\"log steps\",\"task\":{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},"
	    "\"command\":{\"value\":\"sleep 30\"}},\"executor_log\":[\"subscribed\"],"
	    "\"steps\":["
	    "{\"step\":\"expect-call\",\"call\":\"SUBSCRIBE\"},"
	    "{\"step\":\"expect-executor-log\",\"message\":\"subscribed\"},"
	    "{\"step\":\"expect-call\",\"call\":\"UPDATE\"},"
	    "{\"step\":\"expect-executor-log\",\"message\":\"subscribed\",\"timeout\":\"1s\"}]}");
	char out[131072];
	assert_int_equal(run_scenario(sc, out, sizeof(out)), 1);
	if (!strstr(out, "PASS      step 3/4 03 expect-call UPDATE"))
		fail_msg("expect-call UPDATE did not pass:\n%s", out);
	assert_non_null(strstr(out, "exec log  subscribed"));
	/* the one "subscribed" line was consumed by step 2 */
	assert_non_null(strstr(out, "FAIL      step 4/4 04 expect-executor-log subscribed: timed "
	                            "out; no line of the executor's log after the previous match"));
	assert_non_null(strstr(out, "  FAILED  04 expect-executor-log subscribed"));
	free(sc);
}

static void test_a_bad_show_or_missing_message_names_the_field(void **state)
{
	char *sc =
	    write_file("bad.json", "{\"task\":{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},"
	                           "\"command\":{\"value\":\"true\"}},\"steps\":["
	                           "{\"step\":\"expect-executor-log\"}]}");
	char *sc2 = write_file(
	    "bad2.json", "{\"task\":{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},"
	                 "\"command\":{\"value\":\"true\"}},\"steps\":["
	                 "{\"step\":\"expect-vaas-backend\",\"director\":\"d\",\"show\":1}]}");
	char out[65536];
	assert_int_equal(run_scenario(sc, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "steps[0] (expect-executor-log).message: required"));
	assert_int_equal(run_scenario(sc2, out, sizeof(out)), 1);
	assert_non_null(
	    strstr(out, "steps[0] (expect-vaas-backend).show: 1: expected true or false"));
	free(sc);
	free(sc2);
}

/* The number after `key` in text ("pid 123"), or -1. */
static long number_after(const char *text, const char *key)
{
	const char *at = strstr(text, key);
	return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

/* A live (not zombie) process whose command line contains `what`. */
static bool process_alive_with(const char *what)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;
	while (d && !found && (de = readdir(d))) {
		char path[300], stat[512] = "", cmd[4096] = "";
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(stat, 1, sizeof(stat) - 1, f);
		fclose(f);
		stat[n] = '\0';
		const char *rp = strrchr(stat, ')');
		if (!rp || rp[2] == 'Z')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			cmd[i] = cmd[i] ? cmd[i] : ' ';
		cmd[n] = '\0';
		found = strstr(cmd, what) != NULL;
	}
	if (d)
		closedir(d);
	return found;
}

/* Gone, or a zombie waiting for whoever inherited it (fakeagent may exit
 * before its last child is reaped); allowed a few seconds. */
static bool pid_gone(long pid)
{
	for (int i = 0; pid > 0 && i < 100; i++) {
		char path[64], stat[512] = "";
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			return true;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		FILE *f = fopen(path, "r");
		if (f) {
			size_t n = fread(stat, 1, sizeof(stat) - 1, f);
			stat[n] = '\0';
			fclose(f);
		}
		const char *rp = strrchr(stat, ')');
		if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
			return true;
		ts_sleep_ms(50);
	}
	return false;
}

static void test_sigint_ends_the_scenario_and_leaves_nothing_running(void **state)
{
	/* The task's command line is unique to this test run. */
	char marker[64], doc[2048];
	snprintf(marker, sizeof(marker), "sleep 3600.%d", (int)getpid());
	snprintf(doc, sizeof(doc),
	         "{\"name\":\"interrupted\",\"app\":{\"id\":\"/int\",\"cmd\":\"%s\","
	         "\"executor\":\"./executor\"},\"services\":[\"consul\",\"vaas\"],"
	         "\"timeline\":\"brief\",\"steps\":["
	         "{\"step\":\"expect-update\",\"state\":\"TASK_RUNNING\"},"
	         "{\"step\":\"wait\",\"duration\":\"2mins\"}]}",
	         marker);
	char *sc = write_file("interrupt.json", doc);
	struct ts_proc p;
	char out[131072] = "";
	size_t got = 0;
	start_scenario(&p, sc);
	read_until(&p, out, sizeof(out), &got, "PASS      step 1/2");
	if (!strstr(out, "PASS      step 1/2"))
		fail_msg("the task did not start:\n%s", out);
	for (int i = 0; i < 100 && !process_alive_with(marker); i++)
		ts_sleep_ms(50);
	assert_true(process_alive_with(marker));
	long consul = number_after(strstr(out, "fakeconsul on"), "(pid ");
	long vaas = number_after(strstr(out, "fakevaas on"), "(pid ");
	long exec = number_after(out, "started: pid ");
	assert_true(consul > 0 && vaas > 0 && exec > 0);

	kill(p.pid, SIGINT);
	kill(p.pid, SIGTERM); /* a second signal must not cut the cleanup short */
	read_until(&p, out, sizeof(out), &got, NULL);
	int st = ts_wait(&p, 30000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 128 + SIGINT);
	assert_non_null(strstr(out, "FAIL      step 2/2 02 wait: interrupted by SIGINT"));
	assert_null(strstr(out, "work dir kept")); /* nothing worth a look */
	assert_true(pid_gone(consul));
	assert_true(pid_gone(vaas));
	assert_true(pid_gone(exec));
	assert_false(process_alive_with(marker)); /* the task had a session of its own */
	free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_the_demo_scenario_shows_consul_vaas_and_the_executor_log),
	    cmocka_unit_test(test_expect_call_and_expect_executor_log_pass_and_fail),
	    cmocka_unit_test(test_a_bad_show_or_missing_message_names_the_field),
	    cmocka_unit_test(test_sigint_ends_the_scenario_and_leaves_nothing_running),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
