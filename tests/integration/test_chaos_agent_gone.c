/* Chaos: the agent goes away (with checkpointing) for longer than
 * MESOS_RECOVERY_TIMEOUT: its streams are cut and then it answers nothing
 * (the process is stopped: connections are accepted, no answer comes). An
 * agent that answers, if only 503 while it recovers, does not count as gone
 * (scenario executor-recovery-503-outlasts-timeout). The executor waits out
 * the recovery timeout, then
 * stops the task the way every other way out does: the BeforeTerminate
 * hooks run (an exec hook, ALLEGRO_EXECUTOR_EXEC_HOOK, writes a line per
 * event), SIGTERM, the task is gone, and the executor exits 3 (the agent
 * went away for good) without waiting for an acknowledgement that cannot
 * come; the agent's /state shows that exit status. */
#include "chaos.h"

#include "executor/executor.h"

static char *tmp;

static int setup(void **state)
{
	tmp = ts_mkdtemp("chaos-gone");
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	ts_rmtree(tmp);
	free(tmp);
	return 0;
}

/* Gone, or a zombie nobody reaped yet. */
static bool pid_gone(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	return rp && rp[2] == 'Z';
}

static void
test_agent_gone_past_the_recovery_timeout_kills_the_task_with_hooks_and_exits_3(void **state)
{
	char hook[1024], body[4096];
	snprintf(hook, sizeof(hook), "%s/hook.sh", tmp);
	FILE *f = fopen(hook, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n# one line per event, in the sandbox (the hook's working directory)\n"
	      "event=$(sed -n 's/^{\"event\":\"\\([A-Za-z]*\\)\".*/\\1/p')\n"
	      "echo \"$event\" >> hook-events.txt\n",
	      f);
	fclose(f);
	chmod(hook, 0755);

	struct agent a;
	struct chaos_task t;
	const char *args[] = {"--checkpoint",
	                      "--recovery-timeout",
	                      "2secs",
	                      "--executor-env",
	                      "ALLEGRO_EXECUTOR_HTTP_TIMEOUT=1s",
	                      NULL};
	chaos_start_agent(&a, args);
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"gone\",\"task_id\":{\"value\":\"gone\"},"
	         "\"command\":{\"shell\":true,\"value\":\"echo $$ > task.pid; exec sleep 1000\","
	         "\"environment\":{\"variables\":[{\"name\":\"ALLEGRO_EXECUTOR_EXEC_HOOK\","
	         "\"value\":\"%s\"}]}},"
	         "\"kill_policy\":{\"grace_period\":{\"nanoseconds\":3000000000}}}}",
	         hook);
	chaos_launch(&a, body, &t);
	chaos_wait_update(&a, &t, "TASK_RUNNING", 30000);
	chaos_wait_file_has(&t, "hook-events.txt", "AfterTaskHealthy\n", 30000);
	char *pidtext = chaos_sandbox_file(&t, "task.pid");
	int task_pid = atoi(pidtext);
	free(pidtext);
	assert_true(task_pid > 0);

	/* Away: the stream cut, then no answer to anything (a SUBSCRIBE that
	 * slips in first may get a 503) until the executor is gone. */
	int64_t went = ts_now_ms();
	post_fake(&a, "/_fake/restart", "{\"downtime\":\"60s\"}", 202);
	chaos_wait_file_has(&t, "stderr", "msg=\"event stream ended", 10000);
	kill(a.proc.pid, SIGSTOP);
	int64_t end = went + 40000;
	while (!pid_gone(t.pid) && ts_now_ms() < end)
		ts_sleep_ms(50);
	kill(a.proc.pid, SIGCONT);
	assert_true(pid_gone(t.pid));
	int64_t executor_gone_ms = ts_now_ms() - went;
	assert_true(pid_gone(task_pid));

	char *events = chaos_sandbox_file(&t, "hook-events.txt");
	assert_string_equal(events, "BeforeTaskStart\nAfterTaskStart\nAfterTaskHealthy\n"
	                            "BeforeTerminate\n");
	free(events);
	char *log = chaos_sandbox_file(&t, "stderr");
	assert_non_null(strstr(log, "the agent did not come back in time: stopping the task"));
	assert_non_null(strstr(log, "msg=\"status update\" state=TASK_KILLED"));
	assert_non_null(strstr(log, "exiting without an acknowledgement: the agent is gone"));
	free(log);

	/* The agent saw how its executor ended. */
	assert_int_equal(chaos_wait_executor_exit(&a, &t, 60000), EX_EXIT_AGENT_LOST);
	printf("chaos: agent-gone recovery_timeout=2s silent_agent executor_exit=3 "
	       "executor_gone_after_ms=%lld hooks=BeforeTaskStart,AfterTaskStart,"
	       "AfterTaskHealthy,BeforeTerminate\n",
	       (long long)executor_gone_ms);
	stop_agent(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        test_agent_gone_past_the_recovery_timeout_kills_the_task_with_hooks_and_exits_3,
	        chaos_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
