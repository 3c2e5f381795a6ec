/* The exec hook (hooks/exec.c) with real shell commands: KEY=VALUE output,
 * the JSON on stdin, failures, signals and the timeout. The test supplies its
 * own hook_env.run (fork, exec, waitpid with a timeout; -1 with ETIMEDOUT
 * when the timeout killed the command, as hook.h says) in place of the
 * executor's proc_run_blocking. */
#include "../support/testsupport.h"

#include "common/str.h"
#include "hooks/hook.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- a minimal hook_env.run */

static int test_run(char *const argv[], char *const envp[], const char *input, char *output,
                    size_t out_len, int64_t timeout_ms)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (envp)
			execve(argv[0], argv, envp);
		else
			execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	size_t in_len = input ? strlen(input) : 0, in_off = 0, n = 0;
	if (in_len == 0)
		close(in[1]), in[1] = -1;
	int64_t deadline = ts_now_ms() + timeout_ms;
	int ws = 0;
	bool reaped = false, eof = false, timed_out = false;
	while (!reaped || !eof) {
		int64_t left = deadline - ts_now_ms();
		if (left <= 0) {
			kill(-pid, SIGKILL);
			timed_out = true;
			break;
		}
		struct pollfd p[2] = {{.fd = eof ? -1 : out[0], .events = POLLIN},
		                      {.fd = in[1], .events = POLLOUT}};
		poll(p, 2, left < 50 ? (int)left : 50);
		if (p[0].revents) {
			char buf[4096];
			ssize_t r = read(out[0], buf, sizeof(buf));
			if (r <= 0) {
				eof = true;
			} else {
				size_t take = (size_t)r;
				if (n + take > out_len - 1)
					take = out_len - 1 - n;
				memcpy(output + n, buf, take);
				n += take;
			}
		}
		if (p[1].revents) {
			ssize_t w = write(in[1], input + in_off, in_len - in_off);
			if (w > 0)
				in_off += (size_t)w;
			if (w < 0 || in_off == in_len)
				close(in[1]), in[1] = -1;
		}
		if (!reaped && waitpid(pid, &ws, WNOHANG) == pid)
			reaped = true;
	}
	if (!reaped)
		waitpid(pid, &ws, 0);
	if (output)
		output[n] = '\0';
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	if (timed_out) { /* as the executor's proc_run_blocking reports it */
		errno = ETIMEDOUT;
		return -1;
	}
	return ws;
}

/* ---- settings and calls */

static const char *settings[8][2];

static const char *lookup(const char *name, void *data)
{
	for (size_t i = 0; i < 8 && settings[i][0]; i++)
		if (strcmp(settings[i][0], name) == 0)
			return settings[i][1];
	return NULL;
}

static struct hook *exec_hook(void)
{
	for (struct hook *const *h = hook_builtin; *h; h++)
		if (strcmp((*h)->name, "exec") == 0)
			return *h;
	fail_msg("no built-in hook named exec");
	return NULL;
}

/* Initialises the exec hook with `command` and `timeout` (NULL: default). */
static int init_with(const char *command, const char *timeout, struct envcfg *cfg)
{
	memset(settings, 0, sizeof(settings));
	settings[0][0] = "ALLEGRO_EXECUTOR_EXEC_HOOK";
	settings[0][1] = command;
	settings[1][0] = timeout ? "ALLEGRO_EXECUTOR_EXEC_HOOK_TIMEOUT" : NULL;
	settings[1][1] = timeout;
	memset(cfg, 0, sizeof(*cfg));
	cfg->lookup = lookup;
	return exec_hook()->init(exec_hook(), cfg);
}

static Mesos__V1__TaskInfo *example_task(void)
{
	static Mesos__V1__TaskID id = MESOS__V1__TASK_ID__INIT;
	static Mesos__V1__AgentID agent = MESOS__V1__AGENT_ID__INIT;
	static Mesos__V1__TaskInfo t = MESOS__V1__TASK_INFO__INIT;
	id.value = "web.1";
	agent.value = "agent-1";
	t.name = "web";
	t.task_id = &id;
	t.agent_id = &agent;
	return &t;
}

static const struct hook_env env = {
    .executor_id = "exec-1",
    .framework_id = "fw-1",
    .agent_id = "agent-1",
    .agent_hostname = NULL,
    .sandbox = "/tmp",
    .run = test_run,
};

static int call(enum hook_event ev, struct hook_result *res)
{
	memset(res, 0, sizeof(*res));
	struct hook_call c = {.event = ev, .task = example_task(), .env = &env};
	return exec_hook()->handle(exec_hook(), &c, res);
}

static void result_free(struct hook_result *res)
{
	strv_free_n(res->setenv, res->nsetenv);
}

/* ---- tests */

static void test_disabled_without_a_command(void **state)
{
	struct envcfg cfg;
	assert_int_equal(init_with(NULL, NULL, &cfg), 0);
	assert_int_equal(cfg.nerrors, 0);
	assert_int_equal(init_with("", NULL, &cfg), 0);
	assert_int_equal(cfg.nerrors, 0);
}

static void test_bad_timeout_is_a_setting_error(void **state)
{
	struct envcfg cfg;
	assert_int_equal(init_with("true", "soon", &cfg), 0);
	assert_int_equal(cfg.nerrors, 1);
	assert_non_null(strstr(cfg.errors, "ALLEGRO_EXECUTOR_EXEC_HOOK_TIMEOUT"));
	assert_non_null(strstr(cfg.errors, "soon"));
}

static void test_before_task_start_output_lines_become_task_environment(void **state)
{
	struct envcfg cfg;
	assert_int_equal(init_with("echo FOO=bar; echo; echo 'GREETING=hello world=1'", NULL, &cfg),
	                 1);
	struct hook_result res;
	assert_int_equal(call(HOOK_BEFORE_TASK_START, &res), 0);
	assert_int_equal(res.nsetenv, 2);
	assert_string_equal(res.setenv[0], "FOO=bar");
	assert_string_equal(res.setenv[1], "GREETING=hello world=1");
	result_free(&res);
	exec_hook()->destroy(exec_hook());
}

static void test_command_reads_event_and_task_as_json_on_stdin(void **state)
{
	char *dir = ts_mkdtemp("exec-hook");
	char cmd[600], path[512];
	snprintf(path, sizeof(path), "%s/input.json", dir);
	snprintf(cmd, sizeof(cmd), "cat > '%s'", path);
	struct envcfg cfg;
	assert_int_equal(init_with(cmd, NULL, &cfg), 1);
	struct hook_result res;
	assert_int_equal(call(HOOK_AFTER_TASK_HEALTHY, &res), 0);
	result_free(&res);
	exec_hook()->destroy(exec_hook());

	char *text = ts_read_file(path, NULL);
	assert_non_null(text);
	cJSON *j = cJSON_Parse(text);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "event")->valuestring, "AfterTaskHealthy");
	const cJSON *task = cJSON_GetObjectItem(j, "task");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(task, "task_id"), "value")->valuestring,
	    "web.1");
	assert_string_equal(cJSON_GetObjectItem(j, "executor_id")->valuestring, "exec-1");
	assert_string_equal(cJSON_GetObjectItem(j, "framework_id")->valuestring, "fw-1");
	assert_string_equal(cJSON_GetObjectItem(j, "agent_id")->valuestring, "agent-1");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "agent_hostname")));
	assert_string_equal(cJSON_GetObjectItem(j, "sandbox")->valuestring, "/tmp");
	cJSON_Delete(j);
	free(text);
	ts_rmtree(dir);
	free(dir);
}

static void test_line_that_is_not_key_value_fails_before_task_start(void **state)
{
	struct envcfg cfg;
	assert_int_equal(init_with("echo OK=1; echo 'not an assignment'", NULL, &cfg), 1);
	struct hook_result res;
	assert_int_equal(call(HOOK_BEFORE_TASK_START, &res), -1);
	assert_non_null(strstr(res.error, "line 2"));
	assert_non_null(strstr(res.error, "not an assignment"));
	result_free(&res);
	/* Other events do not read stdout. */
	assert_int_equal(call(HOOK_AFTER_TASK_START, &res), 0);
	assert_int_equal(res.nsetenv, 0);
	result_free(&res);
	exec_hook()->destroy(exec_hook());
}

static void test_nonzero_exit_fails_with_status_and_first_line(void **state)
{
	struct envcfg cfg;
	assert_int_equal(init_with("echo 'registry said no'; echo more; exit 3", NULL, &cfg), 1);
	struct hook_result res;
	assert_int_equal(call(HOOK_BEFORE_TERMINATE, &res), -1);
	assert_non_null(strstr(res.error, "BeforeTerminate"));
	assert_non_null(strstr(res.error, "status 3"));
	assert_non_null(strstr(res.error, "registry said no"));
	assert_null(strstr(res.error, "more"));
	result_free(&res);
	exec_hook()->destroy(exec_hook());
}

static void test_command_killed_by_a_signal_fails(void **state)
{
	struct envcfg cfg;
	assert_int_equal(init_with("kill -TERM $$", NULL, &cfg), 1);
	struct hook_result res;
	assert_int_equal(call(HOOK_AFTER_TASK_START, &res), -1);
	assert_non_null(strstr(res.error, "signal 15"));
	result_free(&res);
	exec_hook()->destroy(exec_hook());
}

static void test_command_that_outlives_its_timeout_is_killed_and_fails(void **state)
{
	struct envcfg cfg;
	assert_int_equal(init_with("echo started; exec sleep 60", "300ms", &cfg), 1);
	struct hook_result res;
	int64_t start = ts_now_ms();
	assert_int_equal(call(HOOK_BEFORE_TASK_START, &res), -1);
	assert_true(ts_now_ms() - start < 30000); /* killed, not waited for */
	assert_non_null(strstr(res.error, "timed out after 300ms"));
	assert_non_null(strstr(res.error, "started"));
	assert_int_equal(res.nsetenv, 0);
	result_free(&res);
	exec_hook()->destroy(exec_hook());
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_disabled_without_a_command),
	    cmocka_unit_test(test_bad_timeout_is_a_setting_error),
	    cmocka_unit_test(test_before_task_start_output_lines_become_task_environment),
	    cmocka_unit_test(test_command_reads_event_and_task_as_json_on_stdin),
	    cmocka_unit_test(test_line_that_is_not_key_value_fails_before_task_start),
	    cmocka_unit_test(test_nonzero_exit_fails_with_status_and_first_line),
	    cmocka_unit_test(test_command_killed_by_a_signal_fails),
	    cmocka_unit_test(test_command_that_outlives_its_timeout_is_killed_and_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
