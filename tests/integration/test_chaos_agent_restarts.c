/* Chaos: the agent restarted 50 times during a task's life, with
 * checkpointing. Each restart cuts the executor's stream and answers every
 * call 503 for a moment (acknowledgements in flight are lost), then accepts
 * re-SUBSCRIBE for a short re-registration window. Meanwhile the task's
 * health check flips every 0.2 s, so updates are being sent across the
 * restarts. In the end every update the executor logged as sent was
 * recorded by the agent, in the executor's order, and acknowledged; exactly
 * one terminal update came, last; no restart killed the task (the agent
 * sent none of its own updates); and the executor exited 0.
 * Prints "chaos: restarts=... updates_sent=... acknowledged=... lost=..." for
 * docs/reliability.md. */
#include "chaos.h"

#define RESTARTS 50

/* Waits until the agent has finished recovering and the executor is back on
 * its stream; returns false at the deadline. */
static bool wait_recovered(struct agent *a, const struct chaos_task *t, int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		struct fw_resp r;
		if (fw_call(a->proc.addr, "GET", "/state", NULL, NULL, 0, &r) == 0 &&
		    r.status == 200) {
			cJSON *st = cJSON_Parse(r.body);
			const cJSON *e = chaos_executor(st, t->executor_id);
			bool up = strcmp(chaos_str(st, "phase"), "running") == 0 &&
			          cJSON_IsTrue(cJSON_GetObjectItem(e, "connected"));
			cJSON_Delete(st);
			fw_resp_free(&r);
			if (up)
				return true;
		} else if (r.body) {
			fw_resp_free(&r);
		}
		ts_sleep_ms(20);
	}
	return false;
}

static void test_fifty_agent_restarts_lose_no_update_and_never_kill_the_task(void **state)
{
	struct agent a;
	struct chaos_task t;
	const char *args[] = {"--checkpoint", "--reregistration-timeout", "800ms", NULL};
	chaos_start_agent(&a, args);
	/* MESOS_SUBSCRIPTION_BACKOFF_MAX reaches the executor through the
	 * command's environment (the command executor's ExecutorInfo has it). */
	chaos_launch(
	    &a,
	    "{\"task\":{\"name\":\"chaos\",\"task_id\":{\"value\":\"chaos\"},"
	    "\"command\":{\"shell\":true,\"value\":\"echo $$ > task.pid; "
	    "while [ ! -e finish ]; do sleep 0.05; done\","
	    "\"environment\":{\"variables\":[{\"name\":\"MESOS_SUBSCRIPTION_BACKOFF_MAX\","
	    "\"value\":\"100ms\"}]}},"
	    "\"health_check\":{\"type\":\"COMMAND\",\"command\":{\"value\":"
	    "\"if [ -e h ]; then rm h; exit 1; fi; touch h\"},\"interval_seconds\":0.2,"
	    "\"delay_seconds\":0,\"consecutive_failures\":1000000,\"timeout_seconds\":5}}}",
	    &t);
	chaos_wait_update(&a, &t, "TASK_RUNNING", 30000);
	chaos_wait_file_has(&t, "task.pid", "\n", 10000);
	char *pidtext = chaos_sandbox_file(&t, "task.pid");
	int task_pid = atoi(pidtext);
	free(pidtext);
	assert_true(task_pid > 0);

	int survived = 0;
	for (int i = 0; i < RESTARTS; i++) {
		post_fake(&a, "/_fake/restart", "{\"downtime\":\"20ms\"}", 202);
		if (!wait_recovered(&a, &t, 30000))
			fail_msg("restart %d: the executor did not come back", i + 1);
		assert_int_equal(kill(task_pid, 0), 0); /* the task lives on */
		assert_int_equal(kill(t.pid, 0), 0);    /* and so does its executor */
		survived++;
	}

	/* The task ends by itself: TASK_FINISHED, acknowledged, exit 0. */
	char path[1200];
	snprintf(path, sizeof(path), "%s/finish", t.sandbox);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chaos_wait_executor_exit(&a, &t, 60000), 0);

	struct chaos_counts c;
	chaos_count_updates(&a, &t, &c);
	printf("chaos: restarts=%d\n", survived);
	chaos_print_counts("agent-restarts", &c);
	cJSON *st = get_json(&a, "/state");
	const cJSON *task = chaos_task_of(st, t.executor_id, t.task_id);
	assert_string_equal(chaos_str(task, "state"), "TASK_FINISHED");
	cJSON_Delete(st);
	assert_true(c.sent > RESTARTS / 2); /* health updates crossed the restarts */
	assert_int_equal(c.from_agent, 0);  /* no restart lost or killed the task */
	assert_int_equal(c.unknown, 0);
	assert_int_equal(c.recorded, c.sent);
	assert_int_equal(c.acknowledged, c.sent);
	assert_int_equal(c.lost, 0);
	assert_int_equal(c.terminal, 1);
	assert_true(c.terminal_last);
	assert_int_equal(c.out_of_order, 0); /* the agent saw them in the order they were sent */
	stop_agent(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        test_fifty_agent_restarts_lose_no_update_and_never_kill_the_task, chaos_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
