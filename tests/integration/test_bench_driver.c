/* The benchmark driver (bench/driver.c) in its quickest form: one run, a
 * short idle window, a few probes, a scale run of 5. It must complete every
 * measurement and write every figure to its JSON document; the scale run
 * must lose no update and leave no process behind. No figure is compared
 * with a target here: machines are noisy, and the driver only reports. */
#include "testsupport.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char driver[4096], json_path[4200];
static char *dir;

static int run_driver(char *const extra[], size_t n_extra)
{
	char *argv[40] = {driver,   "--runs",  "1",        "--settle", "0.2",
	                  "--idle", "0.5",     "--probes", "5",        "--probe-interval",
	                  "0.05",   "--scale", "5",        "--json",   json_path};
	size_t n = 15;
	for (size_t i = 0; i < n_extra && n < 39; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	struct ts_proc p;
	if (ts_spawn(&p, argv, NULL, false) < 0)
		return -1;
	char out[65536];
	ts_read_stdout(&p, out, sizeof(out), 100);
	int st = ts_wait(&p, 280000);
	if (st == -1)
		st = ts_stop(&p, SIGKILL, 1000);
	return st;
}

static cJSON *read_json(void)
{
	char *s = ts_read_file(json_path, NULL);
	assert_non_null(s);
	cJSON *j = cJSON_Parse(s);
	free(s);
	assert_non_null(j);
	return j;
}

/* Every figure has one sample or more and a number as its median. */
static void assert_all_figures(const cJSON *exec)
{
	const cJSON *figs = cJSON_GetObjectItem(exec, "figures");
	const cJSON *f;
	int n = 0;
	cJSON_ArrayForEach (f, figs) {
		const cJSON *median = cJSON_GetObjectItem(f, "median");
		if (!cJSON_IsNumber(median) || isnan(median->valuedouble))
			fail_msg("figure %s has no median", f->string);
		assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(f, "samples")) >= 1);
		n++;
	}
	assert_true(n >= 12);
	assert_int_equal(cJSON_GetObjectItem(exec, "failures")->valueint, 0);
}

static void test_driver_measures_every_figure_and_loses_nothing_at_scale(void **state)
{
	char *extra[] = {"--probe-bench", ""};
	int st = run_driver(extra, 2);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	cJSON *j = read_json();
	const cJSON *execs = cJSON_GetObjectItem(j, "executors");
	assert_int_equal(cJSON_GetArraySize(execs), 1);
	assert_all_figures(cJSON_GetArrayItem(execs, 0));
	const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "scale"), 0);
	assert_non_null(s);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(s, "completed")));
	assert_int_equal(cJSON_GetObjectItem(s, "exited_zero")->valueint, 5);
	assert_int_equal(cJSON_GetObjectItem(s, "updates")->valueint, 15);
	assert_int_equal(cJSON_GetObjectItem(s, "updates_lost")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(s, "leftover_processes")->valueint, 0);
	cJSON_Delete(j);
}

static void test_driver_measures_another_executor_side_by_side_with_ratios(void **state)
{
	char other[4200];
	snprintf(other, sizeof(other), "BENCH_TEST_MARK=1 %s",
	         ts_env("EXECUTOR_BIN", "executor/executor"));
	char *extra[] = {"--executor", other, "--probe-bench", ""};
	int st = run_driver(extra, 4);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	cJSON *j = read_json();
	const cJSON *execs = cJSON_GetObjectItem(j, "executors");
	assert_int_equal(cJSON_GetArraySize(execs), 2);
	const cJSON *o = cJSON_GetArrayItem(execs, 1);
	assert_all_figures(o);
	assert_non_null(strstr(cJSON_GetObjectItem(o, "label")->valuestring, "BENCH_TEST_MARK=1"));
	const cJSON *env = cJSON_GetObjectItem(o, "environment");
	assert_string_equal(cJSON_GetArrayItem(env, 0)->valuestring, "BENCH_TEST_MARK=1");
	const cJSON *ratio =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(o, "ratio_to_reference"), "vmhwm_kib");
	assert_true(cJSON_IsNumber(ratio) && ratio->valuedouble > 0);
	cJSON_Delete(j);
}

/* Marathon's custom-executor form (the Go executor's only one): the command
 * in ExecutorInfo.command after `chmod ug+rx './executor' && exec
 * './executor'`, none in TaskInfo.command. Ours runs either way. */
static void test_driver_runs_an_executor_in_marathons_custom_executor_form(void **state)
{
	char other[4200];
	snprintf(other, sizeof(other), "marathon: %s", ts_env("EXECUTOR_BIN", "executor/executor"));
	char *extra[] = {"--executor", other, "--probe-bench", "", "--scale", "0"};
	int st = run_driver(extra, 6);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	cJSON *j = read_json();
	const cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "executors"), 1);
	assert_non_null(o);
	assert_all_figures(o);
	assert_non_null(strstr(cJSON_GetObjectItem(o, "label")->valuestring, "(marathon)"));
	cJSON_Delete(j);
}

/* The floor: probe_floor's CPU per HTTP and TCP probe, beside the executor's. */
static void test_driver_measures_the_probe_floor(void **state)
{
	char floor[4200];
	snprintf(floor, sizeof(floor), "%s/bench/probe_floor", ts_env("BUILD_DIR", "."));
	char *extra[] = {"--floor", floor, "--probe-bench", "", "--scale", "0"};
	int st = run_driver(extra, 6);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	cJSON *j = read_json();
	const cJSON *fl = cJSON_GetObjectItem(j, "probe_floor_us");
	const char *kinds[] = {"http", "tcp"};
	for (int i = 0; i < 2; i++) {
		const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(fl, kinds[i]), "median");
		if (!cJSON_IsNumber(m) || !(m->valuedouble > 0))
			fail_msg("no %s floor", kinds[i]);
	}
	cJSON_Delete(j);
}

static void test_driver_refuses_a_missing_executor(void **state)
{
	char *extra[] = {"--executor", "/nonexistent/executor"};
	int st = run_driver(extra, 2);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
}

static int setup(void **state)
{
	snprintf(driver, sizeof(driver), "%s/bench/bench_driver", ts_env("BUILD_DIR", "."));
	if (access(driver, X_OK) < 0) {
		fprintf(stderr, "%s is missing: build the bench_driver target\n", driver);
		return -1;
	}
	dir = ts_mkdtemp("bench-driver");
	snprintf(json_path, sizeof(json_path), "%s/bench.json", dir);
	return 0;
}

static int teardown(void **state)
{
	ts_rmtree(dir);
	free(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_driver_runs_an_executor_in_marathons_custom_executor_form),
	    cmocka_unit_test(test_driver_measures_the_probe_floor),
	    cmocka_unit_test(test_driver_measures_every_figure_and_loses_nothing_at_scale),
	    cmocka_unit_test(test_driver_measures_another_executor_side_by_side_with_ratios),
	    cmocka_unit_test(test_driver_refuses_a_missing_executor),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
