/* Chaos: a task that forks 500 processes which all ignore SIGTERM (as does
 * the task itself). A KILL with a 2 s grace: SIGTERM changes nothing, the
 * grace runs out, SIGKILL takes every one of them, TASK_KILLED is sent and
 * acknowledged and the executor exits 0, with no process of the task left
 * anywhere. Prints a "chaos:" line for docs/reliability.md. */
#include "chaos.h"

#define CHILDREN 500

static void test_five_hundred_processes_ignoring_sigterm_are_all_gone_after_the_grace(void **state)
{
	struct agent a;
	struct chaos_task t;
	char body[2048], marker[64];
	/* A command line unique to this run, to find its processes in /proc. */
	snprintf(marker, sizeof(marker), "sleep 1000.%d", (int)getpid());
	chaos_start_agent(&a, NULL);
	/* The shell's own command line says "$t", not the marker. */
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"storm\",\"task_id\":{\"value\":\"storm\"},"
	         "\"command\":{\"shell\":true,\"value\":\"trap '' TERM; t=1000.%d; i=0; "
	         "while [ $i -lt %d ]; do sleep $t & i=$((i+1)); done; echo started > started; "
	         "wait\"}}}",
	         (int)getpid(), CHILDREN);
	chaos_launch(&a, body, &t);
	chaos_wait_update(&a, &t, "TASK_RUNNING", 30000);
	chaos_wait_file_has(&t, "started", "started", 60000);
	int alive = 0;
	for (int i = 0; i < 200 && (alive = chaos_count_processes(marker)) < CHILDREN; i++)
		ts_sleep_ms(50);
	assert_int_equal(alive, CHILDREN);

	int64_t start = ts_now_ms();
	post_fake(&a, "/_fake/kill", "{\"task_id\":\"storm\",\"grace\":\"2secs\"}", 202);
	ts_sleep_ms(1000); /* within the grace, SIGTERM has changed nothing */
	int during_grace = chaos_count_processes(marker);
	chaos_wait_update(&a, &t, "TASK_KILLED", 60000);
	int64_t took = ts_now_ms() - start;
	assert_int_equal(chaos_wait_executor_exit(&a, &t, 60000), 0);
	int left = chaos_count_processes(marker);
	assert_int_equal(during_grace, CHILDREN);
	assert_int_equal(left, 0);
	assert_true(chaos_file_has(&t, "stderr", "SIGKILL sent to "));
	struct chaos_counts c;
	chaos_count_updates(&a, &t, &c);
	assert_int_equal(c.lost, 0);
	assert_int_equal(c.terminal, 1);
	printf("chaos: fork-storm processes=%d ignoring_sigterm=yes alive_during_grace=%d "
	       "left_after_kill=%d killed_after_ms=%lld executor_exit=0\n",
	       alive, during_grace, left, (long long)took);
	stop_agent(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        test_five_hundred_processes_ignoring_sigterm_are_all_gone_after_the_grace,
	        chaos_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
