/* The hook examples users copy (docs/hooks.md) still work: the C example
 * (examples/hooks/example_hook.c, compiled into this test) through its own
 * init/handle/destroy, and the shell example (examples/hooks/exec-hook.sh)
 * through the real exec hook with the JSON the executor sends. */
#include "../support/testsupport.h"

#include "common/str.h"
#include "examples/hooks/example_hook.c"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- settings through envcfg's lookup */

static const char *settings[4][2];

static const char *lookup(const char *name, void *data)
{
	for (size_t i = 0; i < 4 && settings[i][0]; i++)
		if (strcmp(settings[i][0], name) == 0)
			return settings[i][1];
	return NULL;
}

static void set_one(const char *name, const char *value, struct envcfg *cfg)
{
	memset(settings, 0, sizeof(settings));
	settings[0][0] = name;
	settings[0][1] = value;
	memset(cfg, 0, sizeof(*cfg));
	cfg->lookup = lookup;
}

/* ---- a blocking hook_env.run: input on stdin, stdout captured */

static int run_blocking(char *const argv[], char *const envp[], const char *input, char *output,
                        size_t out_len, int64_t timeout_ms)
{
	int in[2], out[2];
	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/* Test inputs are far below a pipe's capacity, so this cannot block. */
	if (input && write(in[1], input, strlen(input)) < 0)
		fail_msg("writing the hook's stdin failed");
	close(in[1]);
	size_t n = 0;
	ssize_t r;
	while (n + 1 < out_len && (r = read(out[0], output + n, out_len - 1 - n)) > 0)
		n += (size_t)r;
	output[n] = '\0';
	close(out[0]);
	int ws;
	waitpid(pid, &ws, 0);
	return ws;
}

static Mesos__V1__TaskInfo *example_task(void)
{
	static Mesos__V1__TaskID id = MESOS__V1__TASK_ID__INIT;
	static Mesos__V1__AgentID agent = MESOS__V1__AGENT_ID__INIT;
	static Mesos__V1__TaskInfo t = MESOS__V1__TASK_INFO__INIT;
	id.value = "web.instance-1._app.1";
	agent.value = "agent-1";
	t.name = "web";
	t.task_id = &id;
	t.agent_id = &agent;
	return &t;
}

static const struct hook_env env = {
    .executor_id = "marathon-web.instance-1._app.1",
    .framework_id = "fw-1",
    .agent_id = "agent-1",
    .agent_hostname = "agent1.example",
    .sandbox = "/var/lib/mesos/sandbox",
    .run = run_blocking,
};

static int call(struct hook *h, enum hook_event ev, struct hook_result *res)
{
	memset(res, 0, sizeof(*res));
	struct hook_call c = {.event = ev, .task = example_task(), .env = &env};
	return h->handle(h, &c, res);
}

static void result_free(struct hook_result *res)
{
	strv_free_n(res->setenv, res->nsetenv);
	res->setenv = NULL;
	res->nsetenv = 0;
}

/* ---- the C example */

static void test_example_hook_stays_disabled_without_its_file_setting(void **state)
{
	struct envcfg cfg;
	set_one("UNRELATED", "x", &cfg);
	assert_int_equal(hook_example.init(&hook_example, &cfg), 0);
	assert_int_equal(cfg.nerrors, 0);
}

static void test_example_hook_refuses_a_relative_file(void **state)
{
	struct envcfg cfg;
	set_one(EXAMPLE_FILE_SETTING, "tasks.log", &cfg);
	assert_int_equal(hook_example.init(&hook_example, &cfg), 0);
	assert_int_equal(cfg.nerrors, 1);
	assert_non_null(strstr(cfg.errors, EXAMPLE_FILE_SETTING));
	assert_non_null(strstr(cfg.errors, "tasks.log"));
}

static void test_example_hook_records_the_task_life_in_its_file(void **state)
{
	char *dir = ts_mkdtemp("example-hook");
	char path[512];
	snprintf(path, sizeof(path), "%s/tasks.log", dir);
	struct envcfg cfg;
	set_one(EXAMPLE_FILE_SETTING, path, &cfg);
	assert_int_equal(hook_example.init(&hook_example, &cfg), 1);

	struct hook_result res;
	assert_int_equal(call(&hook_example, HOOK_BEFORE_TASK_START, &res), 0);
	assert_int_equal(res.nsetenv, 1);
	char want[600];
	snprintf(want, sizeof(want), "EXAMPLE_HOOK_FILE=%s", path);
	assert_string_equal(res.setenv[0], want);
	result_free(&res);
	assert_int_equal(call(&hook_example, HOOK_AFTER_TASK_START, &res), 0);
	assert_int_equal(call(&hook_example, HOOK_AFTER_TASK_HEALTHY, &res), 0);
	assert_int_equal(call(&hook_example, HOOK_BEFORE_TERMINATE, &res), 0);

	char *text = ts_read_file(path, NULL);
	assert_non_null(text);
	assert_string_equal(text, "healthy web.instance-1._app.1 agent1.example\n"
	                          "terminating web.instance-1._app.1\n");
	free(text);
	hook_example.destroy(&hook_example);
	assert_null(hook_example.state);
	ts_rmtree(dir);
	free(dir);
}

static void test_example_hook_fails_the_event_when_its_file_cannot_be_written(void **state)
{
	char *dir = ts_mkdtemp("example-hook");
	char path[512];
	snprintf(path, sizeof(path), "%s/missing-dir/tasks.log", dir);
	struct envcfg cfg;
	set_one(EXAMPLE_FILE_SETTING, path, &cfg);
	assert_int_equal(hook_example.init(&hook_example, &cfg), 1);

	struct hook_result res;
	assert_int_equal(call(&hook_example, HOOK_AFTER_TASK_HEALTHY, &res), -1);
	assert_non_null(strstr(res.error, "cannot open"));
	assert_non_null(strstr(res.error, path));
	hook_example.destroy(&hook_example);
	ts_rmtree(dir);
	free(dir);
}

/* ---- the shell example, through the built-in exec hook */

static struct hook *exec_hook_with_example(void)
{
	static char command[1024];
	snprintf(command, sizeof(command), "%s/examples/hooks/exec-hook.sh",
	         ts_env("SOURCE_DIR", "."));
	struct hook *exec = NULL;
	for (struct hook *const *h = hook_builtin; *h; h++)
		if (strcmp((*h)->name, "exec") == 0)
			exec = *h;
	assert_non_null(exec);
	struct envcfg cfg;
	set_one("ALLEGRO_EXECUTOR_EXEC_HOOK", command, &cfg);
	assert_int_equal(exec->init(exec, &cfg), 1);
	return exec;
}

static void test_exec_hook_example_gives_the_task_its_id_and_sandbox(void **state)
{
	struct hook *exec = exec_hook_with_example();
	struct hook_result res;
	assert_int_equal(call(exec, HOOK_BEFORE_TASK_START, &res), 0);
	assert_int_equal(res.nsetenv, 2);
	assert_string_equal(res.setenv[0], "HOOK_TASK_ID=web.instance-1._app.1");
	assert_string_equal(res.setenv[1], "HOOK_SANDBOX=/var/lib/mesos/sandbox");
	result_free(&res);
	exec->destroy(exec);
}

static void test_exec_hook_example_succeeds_quietly_on_the_other_events(void **state)
{
	struct hook *exec = exec_hook_with_example();
	enum hook_event evs[] = {HOOK_AFTER_TASK_START, HOOK_AFTER_TASK_HEALTHY,
	                         HOOK_BEFORE_TERMINATE};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		struct hook_result res;
		assert_int_equal(call(exec, evs[i], &res), 0);
		assert_int_equal(res.nsetenv, 0);
	}
	exec->destroy(exec);
}

static void test_exec_hook_example_rejects_input_that_is_not_the_event_json(void **state)
{
	char out[256];
	char script[1024];
	snprintf(script, sizeof(script), "%s/examples/hooks/exec-hook.sh",
	         ts_env("SOURCE_DIR", "."));
	char *const argv[] = {"/bin/sh", script, NULL};
	int ws = run_blocking(argv, NULL, "{\"hello\":\"world\"}", out, sizeof(out), 10000);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example_hook_stays_disabled_without_its_file_setting),
	    cmocka_unit_test(test_example_hook_refuses_a_relative_file),
	    cmocka_unit_test(test_example_hook_records_the_task_life_in_its_file),
	    cmocka_unit_test(test_example_hook_fails_the_event_when_its_file_cannot_be_written),
	    cmocka_unit_test(test_exec_hook_example_gives_the_task_its_id_and_sandbox),
	    cmocka_unit_test(test_exec_hook_example_succeeds_quietly_on_the_other_events),
	    cmocka_unit_test(test_exec_hook_example_rejects_input_that_is_not_the_event_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
