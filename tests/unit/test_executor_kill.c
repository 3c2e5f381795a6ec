/* The executor's state machine when the task is stopped from outside (as
 * Mesos src/launcher/executor.cpp, CommandExecutor::kill and escalated,
 * does it): TASK_KILLING only with the capability, the grace
 * period's sources, SIGTERM then SIGKILL, the terminal update as soon as the
 * tree is gone, repeated kills, max_completion_time, KILL before LAUNCH or
 * for an unknown task, SHUTDOWN, and the executor's own SIGTERM. */
#include "executor_harness.h"

#define TASK_GRACE ",\"kill_policy\":{\"grace_period\":{\"nanoseconds\":5000000000}}"

/* Runs t1 (with `extra`), kills it with a KILL of this grace (-1: none) and
 * completes BeforeTerminate: SIGTERM is out. */
static void killed_task(struct fix *f, const char *extra, int64_t kill_grace)
{
	run_task(f, false, extra);
	kill_task(f, "t1", kill_grace);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_int_equal(f->r.nsignals, 1);
	assert_int_equal(f->r.signals[0], SIGTERM);
}

/* ------------------------------------------------------------ KILL */

static void test_kill_without_the_capability_sends_no_task_killing(void **state)
{
	struct fix *f = *state;
	killed_task(f, NULL, -1);
	task_gone(f, SIGTERM);
	assert_int_equal(count_state(f, TASK_STATE(KILLING)), 0);
	assert_state(last_posted(f), TASK_STATE(KILLED));
}

static void test_kill_with_the_capability_sends_task_killing_first(void **state)
{
	struct fix *f = *state;
	run_task(f, true, NULL);
	kill_task(f, "t1", -1);

	assert_state(last_posted(f), TASK_STATE(KILLING));
	assert_string_equal(last_posted(f)->task_id->value, "t1");
	assert_before(f, "update:TASK_KILLING", "hooks:BeforeTerminate");
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_before(f, "update:TASK_KILLING", "signal:TERM");
	task_gone(f, SIGTERM);
	assert_int_equal(count_state(f, TASK_STATE(KILLING)), 1);
	assert_state(last_posted(f), TASK_STATE(KILLED));
}

static void test_kill_runs_before_terminate_before_sigterm_and_stops_health(void **state)
{
	struct fix *f = *state;
	run_task(f, false,
	         ",\"health_check\":{\"type\":\"COMMAND\",\"command\":{\"value\":\"true\"}}");
	assert_true(f->r.health_running);
	kill_task(f, "t1", -1);

	assert_false(f->r.health_running);
	assert_int_equal(f->r.nsignals, 0); /* not before the hooks are done */
	assert_int_equal(ex_phase(f->ex), EX_STOPPING);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_before(f, "health:stop", "signal:TERM");
	assert_before(f, "hooks:BeforeTerminate", "signal:TERM");
	assert_int_equal(ex_phase(f->ex), EX_SIGNALLED);
}

static void test_kill_grace_comes_from_the_kill_event_first(void **state)
{
	struct fix *f = *state;
	killed_task(f, TASK_GRACE, 30 * SEC);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 30 * SEC);
}

static void test_kill_grace_comes_from_the_task_without_one_in_the_event(void **state)
{
	struct fix *f = *state;
	killed_task(f, TASK_GRACE, -1);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 5 * SEC);
}

static void test_kill_grace_defaults_to_the_configured_grace(void **state)
{
	struct fix *f = *state;
	killed_task(f, NULL, -1);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], f->cfg.kill_grace_ns);
}

static void test_kill_event_grace_of_zero_is_honoured(void **state)
{
	struct fix *f = *state;
	killed_task(f, TASK_GRACE, 0);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 0);
	advance(f, 0);
	assert_int_equal(f->r.nsignals, 2);
	assert_int_equal(f->r.signals[1], SIGKILL);
}

static void test_kill_escalates_to_sigkill_after_grace(void **state)
{
	struct fix *f = *state;
	killed_task(f, TASK_GRACE, -1);
	advance(f, 5 * SEC - 1);
	assert_int_equal(f->r.nsignals, 1);
	advance(f, 1);
	assert_int_equal(f->r.nsignals, 2);
	assert_int_equal(f->r.signals[1], SIGKILL);
	assert_int_equal(count_state(f, TASK_STATE(KILLED)), 0);

	task_gone(f, SIGKILL);
	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(KILLED));
	char want[128];
	snprintf(want, sizeof(want), "Command terminated with signal %s", strsignal(SIGKILL));
	assert_string_equal(st->message, want);
	assert_true(f->r.timer_due[EX_TIMER_GRACE] < 0);
}

static void test_kill_reports_killed_at_once_when_the_tree_is_gone_early(void **state)
{
	struct fix *f = *state;
	killed_task(f, NULL, 60 * SEC);
	advance(f, SEC / 2);
	task_gone(f, SIGTERM);

	assert_state(last_posted(f), TASK_STATE(KILLED));
	assert_true(f->r.timer_due[EX_TIMER_GRACE] < 0); /* no sleeping out the grace */
	advance(f, 120 * SEC);
	assert_int_equal(f->r.nsignals, 1); /* and no SIGKILL for nothing */
}

static void test_killed_task_that_exits_zero_is_still_killed(void **state)
{
	struct fix *f = *state;
	killed_task(f, NULL, -1);
	task_gone(f, W_EXITCODE(0, 0));
	assert_state(last_posted(f), TASK_STATE(KILLED));
}

static void test_kill_waits_for_the_whole_tree_not_just_the_main_process(void **state)
{
	struct fix *f = *state;
	killed_task(f, NULL, 10 * SEC);
	task_exited(f, SIGTERM);
	assert_int_equal(count_state(f, TASK_STATE(KILLED)), 0);
	advance(f, 10 * SEC);
	assert_int_equal(f->r.signals[1], SIGKILL); /* for the ones that are left */
	tree_gone(f);
	assert_state(last_posted(f), TASK_STATE(KILLED));
}

static void test_second_kill_can_only_shorten_the_deadline(void **state)
{
	struct fix *f = *state;
	killed_task(f, NULL, 30 * SEC);
	advance(f, 4 * SEC);
	kill_task(f, "t1", 60 * SEC); /* later: ignored */
	assert_int_equal(f->r.timer_due[EX_TIMER_GRACE], 30 * SEC);
	kill_task(f, "t1", 10 * SEC); /* earlier: deadline at start + 10 s */
	assert_int_equal(f->r.timer_due[EX_TIMER_GRACE], 10 * SEC);
	kill_task(f, "t1", 2 * SEC); /* already past: at once */
	assert_int_equal(f->r.timer_due[EX_TIMER_GRACE], 4 * SEC);
	advance(f, 0);
	assert_int_equal(f->r.nsignals, 2);
	assert_int_equal(f->r.signals[1], SIGKILL);
	assert_int_equal(count_hooks(f, HOOK_BEFORE_TERMINATE), 1);
}

static void test_second_kill_during_before_terminate_shortens_the_coming_grace(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	kill_task(f, "t1", 30 * SEC);
	kill_task(f, "t1", 45 * SEC);
	kill_task(f, "t1", 8 * SEC);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 8 * SEC);
	assert_int_equal(count_hooks(f, HOOK_BEFORE_TERMINATE), 1);
}

static void test_second_kill_sends_no_second_task_killing(void **state)
{
	struct fix *f = *state;
	run_task(f, true, NULL);
	kill_task(f, "t1", 30 * SEC);
	kill_task(f, "t1", 10 * SEC);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	kill_task(f, "t1", 5 * SEC);
	assert_int_equal(count_state(f, TASK_STATE(KILLING)), 1);
}

static void test_kill_after_the_task_ended_is_ignored(void **state)
{
	struct fix *f = *state;
	run_task(f, true, NULL);
	task_gone(f, W_EXITCODE(0, 0));
	hooks_settle(f);
	size_t posted = f->r.nposted;
	kill_task(f, "t1", 0);
	assert_int_equal(f->r.nposted, posted);
	assert_int_equal(f->r.nsignals, 0);
	assert_state(last_posted(f), TASK_STATE(FINISHED));
}

static void test_kill_for_an_unknown_task_is_ignored(void **state)
{
	struct fix *f = *state;
	run_task(f, true, NULL);
	size_t posted = f->r.nposted;
	kill_task(f, "someone-else", 0);
	assert_int_equal(f->r.nposted, posted);
	assert_int_equal(f->r.nsignals, 0);
	assert_int_equal(count_hooks(f, HOOK_BEFORE_TERMINATE), 0);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
}

static void test_kill_before_launch_reports_killed_and_the_launch_never_runs(void **state)
{
	struct fix *f = *state;
	subscribed(f, true);
	kill_task(f, "t1", -1);

	assert_int_equal(f->r.nposted, 1);
	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(KILLED));
	assert_string_equal(st->task_id->value, "t1"); /* the kill's id, not "" */
	assert_int_equal(f->r.nsignals, 0);

	launch_task(f, "t1", NULL);
	assert_int_equal(f->r.nposted, 1); /* no STARTING for a killed task */
	assert_int_equal(f->r.launches, 0);
	assert_int_equal(f->r.nhooks, 0);

	kill_task(f, "t1", -1); /* again: nothing new */
	assert_int_equal(f->r.nposted, 1);

	ack(f, st);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_OK);
}

static void test_kill_before_launch_does_not_stop_another_task(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	kill_task(f, "t0", -1);
	launch_task(f, "t1", NULL);
	hooks_settle(f);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
	ack(f, f->r.posted[0]);
	advance(f, 3600 * SEC);
	assert_int_equal(f->r.nexits, 0);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
}

static void test_kill_during_before_task_start_never_starts_the_command(void **state)
{
	struct fix *f = *state;
	subscribed(f, true);
	launch_task(f, "t1", NULL);
	kill_task(f, "t1", -1);
	hook_done(f, HOOK_BEFORE_TASK_START, NULL);
	assert_int_equal(f->r.launches, 0);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);

	assert_int_equal(f->r.launches, 0);
	assert_int_equal(f->r.nsignals, 0);
	assert_int_equal(count_state(f, TASK_STATE(RUNNING)), 0);
	assert_state(last_posted(f), TASK_STATE(KILLED));
	assert_string_equal(last_posted(f)->task_id->value, "t1");
}

static void test_tree_that_survives_sigkill_is_reported_after_a_bounded_wait(void **state)
{
	struct fix *f = *state;
	killed_task(f, NULL, 1 * SEC);
	advance(f, 1 * SEC);
	assert_int_equal(f->r.signals[1], SIGKILL);
	assert_int_equal(count_state(f, TASK_STATE(KILLED)), 0);
	advance(f, 60 * SEC); /* a process in uninterruptible sleep, say */
	assert_int_equal(count_state(f, TASK_STATE(KILLED)), 1);
	assert_int_equal(ex_phase(f->ex), EX_DONE);
}

/* ------------------------------------------------------------ max_completion_time */

static void test_max_completion_time_fails_the_task_without_task_killing(void **state)
{
	struct fix *f = *state;
	run_task(f, true, ",\"max_completion_time\":{\"nanoseconds\":60000000000}" TASK_GRACE);
	assert_int_equal(f->r.timer_delay[EX_TIMER_MAX_COMPLETION], 60 * SEC);
	advance(f, 60 * SEC);
	assert_int_equal(count_state(f, TASK_STATE(KILLING)), 0);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);

	/* Grace 0: SIGTERM, then SIGKILL right after. */
	assert_int_equal(f->r.signals[0], SIGTERM);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 0);
	advance(f, 0);
	assert_int_equal(f->r.signals[1], SIGKILL);
	task_gone(f, SIGKILL);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(FAILED));
	assert_true(st->has_reason);
	assert_int_equal(st->reason, REASON(MAX_COMPLETION_TIME_REACHED));
	assert_int_equal(count_state(f, TASK_STATE(KILLING)), 0);
}

static void test_kill_cancels_the_max_completion_timer(void **state)
{
	struct fix *f = *state;
	run_task(f, false, ",\"max_completion_time\":{\"nanoseconds\":60000000000}");
	kill_task(f, "t1", 120 * SEC);
	assert_true(f->r.timer_due[EX_TIMER_MAX_COMPLETION] < 0);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	advance(f, 90 * SEC);
	task_gone(f, SIGTERM);
	assert_state(last_posted(f), TASK_STATE(KILLED));
	assert_false(last_posted(f)->has_reason &&
	             last_posted(f)->reason == REASON(MAX_COMPLETION_TIME_REACHED));
}

/* ------------------------------------------------------------ SHUTDOWN */

static void test_shutdown_kills_with_the_shutdown_grace_minus_two_seconds(void **state)
{
	struct fix *f = *state;
	run_task(f, true, TASK_GRACE);
	shutdown_event(f);
	assert_state(last_posted(f), TASK_STATE(KILLING));
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_int_equal(f->r.signals[0], SIGTERM);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], f->cfg.shutdown_grace_ns - 2 * SEC);
}

static void test_shutdown_reports_killed_with_the_real_task_id_and_exits_after_the_ack(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	shutdown_event(f);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	task_gone(f, SIGTERM);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(KILLED));
	assert_string_equal(st->task_id->value, "t1");
	assert_int_equal(f->r.nexits, 0);
	ack(f, st);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_OK);
}

static void test_shutdown_with_a_short_grace_kills_at_once(void **state)
{
	struct fix *f = *state;
	f->cfg.shutdown_grace_ns = 1 * SEC;
	run_task(f, false, TASK_GRACE);
	shutdown_event(f);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 0);
}

static void test_shutdown_without_a_task_exits_at_once(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	shutdown_event(f);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_OK);
	assert_int_equal(f->r.nposted, 0);
	assert_int_equal(f->r.nhooks, 0);
}

static void test_shutdown_during_a_kill_only_shortens_it(void **state)
{
	struct fix *f = *state;
	killed_task(f, NULL, 60 * SEC);
	shutdown_event(f);
	assert_int_equal(f->r.timer_due[EX_TIMER_GRACE], f->cfg.shutdown_grace_ns - 2 * SEC);
	assert_int_equal(count_hooks(f, HOOK_BEFORE_TERMINATE), 1);
	assert_int_equal(f->r.nexits, 0);
}

/* The agent destroys the container MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD
 * (7 s here) after SHUTDOWN: BeforeTerminate hooks that hang are cut short at
 * their share (W = 7 - 2 s; W minus the task's 5 s grace, at least half of W:
 * 2.5 s), SIGTERM follows, SIGKILL by W, and the terminal update goes out
 * before the agent's deadline. */
static void test_shutdown_cuts_hanging_hooks_short_so_the_update_beats_the_agent(void **state)
{
	struct fix *f = *state;
	run_task(f, true, TASK_GRACE);
	shutdown_event(f);
	assert_true(f->r.hook_pending);
	assert_int_equal(f->r.pending, HOOK_BEFORE_TERMINATE);
	advance(f, 2500 * 1000000LL - 1);
	assert_int_equal(f->r.nsignals, 0); /* the hooks' share is not over yet */
	advance(f, 1);
	assert_int_equal(f->r.nsignals, 1);
	assert_int_equal(f->r.signals[0], SIGTERM);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 2500 * 1000000LL); /* SIGKILL by 5 s */
	advance(f, 2500 * 1000000LL);
	assert_int_equal(f->r.signals[1], SIGKILL);
	task_gone(f, SIGKILL);
	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(KILLED));
	assert_true(f->r.now_ns < f->cfg.shutdown_grace_ns); /* before the agent destroys it */
	/* The hooks were not stopped: they end later, and that is all. */
	assert_true(f->r.hook_pending);
	hook_done(f, HOOK_BEFORE_TERMINATE, "consul: deregistering ...: timed out");
	assert_int_equal(f->r.nsignals, 2);
	assert_int_equal(count_state(f, TASK_STATE(KILLED)), 1);
	ack(f, st);
	assert_int_equal(f->r.exit_code, EX_EXIT_OK);
}

static void test_shutdown_gives_the_task_the_time_its_hooks_left(void **state)
{
	struct fix *f = *state;
	run_task(f, false, ",\"kill_policy\":{\"grace_period\":{\"nanoseconds\":1000000000}}");
	shutdown_event(f);
	advance(f, 1 * SEC);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL); /* the hooks took 1 s of their 4 */
	assert_int_equal(f->r.signals[0], SIGTERM);
	/* SIGKILL still by 5 s from SHUTDOWN: the task gets the other 4 s. */
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 4 * SEC);
}

static void test_shutdown_while_kill_hooks_hang_cuts_them_short_too(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	kill_task(f, "t1", 60 * SEC);
	advance(f, 100 * SEC); /* KILL: the hooks may take their time */
	assert_int_equal(f->r.nsignals, 0);
	shutdown_event(f);
	advance(f, 5 * SEC); /* at the latest: W */
	assert_int_equal(f->r.signals[0], SIGTERM);
	assert_true(f->r.timer_delay[EX_TIMER_GRACE] <= 5 * SEC);
}

static void test_kill_waits_for_hanging_hooks_as_before(void **state)
{
	struct fix *f = *state;
	run_task(f, false, TASK_GRACE);
	kill_task(f, "t1", -1);
	advance(f, 3600 * SEC);
	assert_int_equal(f->r.nsignals, 0);
	assert_true(f->r.hook_pending);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_int_equal(f->r.signals[0], SIGTERM);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 5 * SEC);
}

/* ------------------------------------------------------------ the executor's SIGTERM */

static void test_executor_sigterm_stops_the_task_like_a_kill(void **state)
{
	struct fix *f = *state;
	run_task(f, true, TASK_GRACE);
	sigterm(f);
	assert_state(last_posted(f), TASK_STATE(KILLING));
	assert_int_equal(f->r.nsignals, 0);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_int_equal(f->r.signals[0], SIGTERM);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 5 * SEC);
	task_gone(f, SIGTERM);
	assert_state(last_posted(f), TASK_STATE(KILLED));
	assert_int_equal(f->r.nexits, 0);
	ack(f, last_posted(f));
	assert_int_equal(f->r.exit_code, EX_EXIT_OK);
}

static void test_second_executor_sigterm_removes_the_remaining_grace(void **state)
{
	struct fix *f = *state;
	run_task(f, false, TASK_GRACE);
	sigterm(f);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	advance(f, 1 * SEC);
	sigterm(f);
	assert_int_equal(f->r.timer_due[EX_TIMER_GRACE], 1 * SEC);
	advance(f, 0);
	assert_int_equal(f->r.signals[1], SIGKILL);
}

static void test_executor_sigterm_without_a_task_exits_at_once(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	sigterm(f);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_kill_without_the_capability_sends_no_task_killing),
	    T(test_kill_with_the_capability_sends_task_killing_first),
	    T(test_kill_runs_before_terminate_before_sigterm_and_stops_health),
	    T(test_kill_grace_comes_from_the_kill_event_first),
	    T(test_kill_grace_comes_from_the_task_without_one_in_the_event),
	    T(test_kill_grace_defaults_to_the_configured_grace),
	    T(test_kill_event_grace_of_zero_is_honoured),
	    T(test_kill_escalates_to_sigkill_after_grace),
	    T(test_kill_reports_killed_at_once_when_the_tree_is_gone_early),
	    T(test_killed_task_that_exits_zero_is_still_killed),
	    T(test_kill_waits_for_the_whole_tree_not_just_the_main_process),
	    T(test_second_kill_can_only_shorten_the_deadline),
	    T(test_second_kill_during_before_terminate_shortens_the_coming_grace),
	    T(test_second_kill_sends_no_second_task_killing),
	    T(test_kill_after_the_task_ended_is_ignored),
	    T(test_kill_for_an_unknown_task_is_ignored),
	    T(test_kill_before_launch_reports_killed_and_the_launch_never_runs),
	    T(test_kill_before_launch_does_not_stop_another_task),
	    T(test_kill_during_before_task_start_never_starts_the_command),
	    T(test_tree_that_survives_sigkill_is_reported_after_a_bounded_wait),
	    T(test_max_completion_time_fails_the_task_without_task_killing),
	    T(test_kill_cancels_the_max_completion_timer),
	    T(test_shutdown_kills_with_the_shutdown_grace_minus_two_seconds),
	    T(test_shutdown_reports_killed_with_the_real_task_id_and_exits_after_the_ack),
	    T(test_shutdown_with_a_short_grace_kills_at_once),
	    T(test_shutdown_without_a_task_exits_at_once),
	    T(test_shutdown_during_a_kill_only_shortens_it),
	    T(test_shutdown_cuts_hanging_hooks_short_so_the_update_beats_the_agent),
	    T(test_shutdown_gives_the_task_the_time_its_hooks_left),
	    T(test_shutdown_while_kill_hooks_hang_cuts_them_short_too),
	    T(test_kill_waits_for_hanging_hooks_as_before),
	    T(test_executor_sigterm_stops_the_task_like_a_kill),
	    T(test_second_executor_sigterm_removes_the_remaining_grace),
	    T(test_executor_sigterm_without_a_task_exits_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
