/* The executor's state machine with health checks, generalized checks and
 * hooks (Mesos src/launcher/executor.cpp, CommandExecutor::taskHealthUpdated
 * and taskCheckUpdated; the hook events of docs/hooks.md): health verdicts
 * as TASK_RUNNING updates, the kill on too many failures, AfterTaskHealthy
 * once, hook failures failing the task, and BeforeTerminate before SIGTERM
 * on every way out. */
#include "executor_harness.h"

#define HEALTH_CHECK ",\"health_check\":{\"type\":\"COMMAND\",\"command\":{\"value\":\"true\"}}"
#define CHECK        ",\"check\":{\"type\":\"COMMAND\",\"command\":{\"command\":{\"value\":\"true\"}}}"

static Mesos__V1__CheckStatusInfo *command_result(int exit_code)
{
	Mesos__V1__CheckStatusInfo *cs = malloc(sizeof(*cs));
	Mesos__V1__CheckStatusInfo__Command *cmd = malloc(sizeof(*cmd));
	assert_non_null(cs);
	assert_non_null(cmd);
	mesos__v1__check_status_info__init(cs);
	mesos__v1__check_status_info__command__init(cmd);
	cs->has_type = true;
	cs->type = MESOS__V1__CHECK_INFO__TYPE__COMMAND;
	cs->command = cmd;
	if (exit_code >= 0) {
		cmd->has_exit_code = true;
		cmd->exit_code = exit_code;
	}
	return cs;
}

static void free_result(Mesos__V1__CheckStatusInfo *cs)
{
	free(cs->command);
	free(cs);
}

static void check_result(struct fix *f, int exit_code)
{
	Mesos__V1__CheckStatusInfo *cs = command_result(exit_code);
	check_status(f, cs);
	free_result(cs);
}

/* ------------------------------------------------------------ health */

static void test_health_checking_starts_with_the_task(void **state)
{
	struct fix *f = *state;
	run_task(f, false, HEALTH_CHECK);
	assert_int_equal(f->r.health_starts, 1);
	assert_true(f->r.health_running);
	assert_before(f, "launch", "health:start");
}

static void test_healthy_verdict_sends_running_healthy_true(void **state)
{
	struct fix *f = *state;
	run_task(f, false, HEALTH_CHECK);
	health_verdict(f, HEALTH_HEALTHY, NULL);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(RUNNING));
	assert_true(st->has_healthy);
	assert_true(st->healthy);
	assert_true(st->has_reason);
	assert_int_equal(st->reason, REASON(TASK_HEALTH_CHECK_STATUS_UPDATED));
	assert_memory_not_equal(st->uuid.data, f->r.posted[1]->uuid.data, 16);
}

static void test_unhealthy_verdict_sends_running_healthy_false_with_the_reason(void **state)
{
	struct fix *f = *state;
	run_task(f, false, HEALTH_CHECK);
	health_verdict(f, HEALTH_UNHEALTHY, "command health check errored: exit status 1");

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(RUNNING));
	assert_true(st->has_healthy);
	assert_false(st->healthy);
	assert_int_equal(st->reason, REASON(TASK_HEALTH_CHECK_STATUS_UPDATED));
	assert_string_equal(st->message, "command health check errored: exit status 1");
	assert_int_equal(f->r.nsignals, 0);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
}

static void test_quiet_verdict_sends_nothing(void **state)
{
	struct fix *f = *state;
	run_task(f, false, HEALTH_CHECK);
	size_t before = f->r.nposted;
	health_verdict(f, HEALTH_QUIET, NULL);
	assert_int_equal(f->r.nposted, before);
}

static void test_unhealthy_kill_kills_the_task_and_reports_killed_healthy_false(void **state)
{
	struct fix *f = *state;
	run_task(f, true,
	         HEALTH_CHECK ",\"kill_policy\":{\"grace_period\":{\"nanoseconds\":"
	                      "6000000000}}");
	health_verdict(f, HEALTH_HEALTHY, NULL);
	hooks_settle(f);
	health_verdict(f, HEALTH_UNHEALTHY_KILL, "command health check errored: exit status 1");

	const Mesos__V1__TaskStatus *killing = posted_state(f, TASK_STATE(KILLING));
	assert_non_null(killing); /* with the capability */
	assert_false(killing->has_healthy);
	assert_false(f->r.health_running);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_int_equal(f->r.signals[0], SIGTERM);
	assert_int_equal(f->r.timer_delay[EX_TIMER_GRACE], 6 * SEC);
	task_gone(f, SIGTERM);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(KILLED));
	assert_true(st->has_healthy);
	assert_false(st->healthy);
	assert_before(f, "update:TASK_KILLING", "hooks:BeforeTerminate");
	/* The healthy=false RUNNING went out before the kill began. */
	int running = 0;
	for (size_t i = 0; i < f->r.nposted; i++)
		if (!f->r.resend[i] && f->r.posted[i]->state == TASK_STATE(RUNNING) &&
		    f->r.posted[i]->has_healthy && !f->r.posted[i]->healthy)
			running++;
	assert_int_equal(running, 1);
}

static void test_no_health_update_after_the_kill_started(void **state)
{
	struct fix *f = *state;
	run_task(f, false, HEALTH_CHECK);
	kill_task(f, "t1", -1);
	size_t before = f->r.nposted;
	health_verdict(f, HEALTH_HEALTHY, NULL);
	health_verdict(f, HEALTH_UNHEALTHY_KILL, "late");
	check_result(f, 1);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	health_verdict(f, HEALTH_UNHEALTHY, "later");
	assert_int_equal(f->r.nposted, before);
	assert_int_equal(count_hooks(f, HOOK_AFTER_TASK_HEALTHY), 0);
	task_gone(f, SIGTERM);
	assert_false(last_posted(f)->has_healthy); /* an ordinary kill */
}

/* ------------------------------------------------------------ AfterTaskHealthy */

static void test_first_healthy_runs_after_task_healthy_once(void **state)
{
	struct fix *f = *state;
	run_task(f, false, HEALTH_CHECK);
	assert_int_equal(count_hooks(f, HOOK_AFTER_TASK_HEALTHY), 0);
	health_verdict(f, HEALTH_HEALTHY, NULL);
	hooks_settle(f);
	health_verdict(f, HEALTH_UNHEALTHY, "down");
	health_verdict(f, HEALTH_HEALTHY, NULL);
	hooks_settle(f);

	assert_int_equal(count_hooks(f, HOOK_AFTER_TASK_HEALTHY), 1);
	int healthy = 0;
	for (size_t i = 0; i < f->r.nposted; i++)
		healthy += f->r.posted[i]->has_healthy && f->r.posted[i]->healthy;
	assert_int_equal(healthy, 2);
}

static void test_healthy_during_after_task_start_runs_after_task_healthy_next(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	launch_task(f, "t1", HEALTH_CHECK);
	hook_done(f, HOOK_BEFORE_TASK_START, NULL);
	assert_int_equal(f->r.pending, HOOK_AFTER_TASK_START);
	health_verdict(f, HEALTH_HEALTHY, NULL); /* one chain at a time */
	hook_done(f, HOOK_AFTER_TASK_START, NULL);
	assert_true(f->r.hook_pending);
	assert_int_equal(f->r.pending, HOOK_AFTER_TASK_HEALTHY);
	hook_done(f, HOOK_AFTER_TASK_HEALTHY, NULL);
}

static void
test_task_without_health_check_runs_after_task_healthy_after_after_task_start(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	launch_task(f, "t1", NULL);
	hook_done(f, HOOK_BEFORE_TASK_START, NULL);
	hook_done(f, HOOK_AFTER_TASK_START, NULL);
	hook_done(f, HOOK_AFTER_TASK_HEALTHY, NULL);

	assert_int_equal(f->r.nhooks, 3);
	assert_int_equal(f->r.hooks[0], HOOK_BEFORE_TASK_START);
	assert_int_equal(f->r.hooks[1], HOOK_AFTER_TASK_START);
	assert_int_equal(f->r.hooks[2], HOOK_AFTER_TASK_HEALTHY);
	assert_int_equal(f->r.health_starts, 0);
}

static void test_task_with_only_a_check_counts_as_healthy_at_once(void **state)
{
	struct fix *f = *state;
	run_task(f, false, CHECK);
	assert_int_equal(f->r.health_starts, 1); /* the check runs */
	assert_int_equal(count_hooks(f, HOOK_AFTER_TASK_HEALTHY), 1);
}

/* ------------------------------------------------------------ hook failures */

static void test_before_task_start_failure_fails_the_task_naming_the_hook(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	launch_task(f, "t1", NULL);
	hook_done(f, HOOK_BEFORE_TASK_START, "vaas: 503 Service Unavailable");
	assert_int_equal(f->r.launches, 0);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(FAILED));
	assert_non_null(strstr(st->message, "BeforeTaskStart"));
	assert_non_null(strstr(st->message, "vaas: 503 Service Unavailable"));
	assert_int_equal(count_state(f, TASK_STATE(RUNNING)), 0);
	assert_int_equal(f->r.nsignals, 0);
}

/* Runs t1 and fails the given start hook; BeforeTerminate must follow, then
 * SIGTERM, then TASK_FAILED naming the hook. */
static void fail_start_hook(struct fix *f, enum hook_event ev)
{
	subscribed(f, true);
	launch_task(f, "t1", NULL);
	hook_done(f, HOOK_BEFORE_TASK_START, NULL);
	hook_done(f, HOOK_AFTER_TASK_START, ev == HOOK_AFTER_TASK_START ? "consul: refused" : NULL);
	if (ev == HOOK_AFTER_TASK_HEALTHY)
		hook_done(f, HOOK_AFTER_TASK_HEALTHY, "consul: refused");
	assert_true(f->r.hook_pending);
	assert_int_equal(f->r.pending, HOOK_BEFORE_TERMINATE);
	assert_int_equal(f->r.nsignals, 0);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_false(f->r.hook_pending); /* AfterTaskHealthy no longer runs */
	assert_int_equal(f->r.signals[0], SIGTERM);
	task_gone(f, SIGTERM);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(FAILED));
	assert_non_null(strstr(st->message, hook_event_name(ev)));
	assert_non_null(strstr(st->message, "consul: refused"));
	assert_int_equal(count_state(f, TASK_STATE(KILLING)), 0);
	assert_before(f, "hooks:BeforeTerminate", "signal:TERM");
}

static void test_after_task_start_failure_fails_the_task_naming_the_hook(void **state)
{
	struct fix *f = *state;
	fail_start_hook(f, HOOK_AFTER_TASK_START);
	assert_int_equal(count_hooks(f, HOOK_AFTER_TASK_HEALTHY), 0);
}

static void test_after_task_healthy_failure_fails_the_task_naming_the_hook(void **state)
{
	struct fix *f = *state;
	fail_start_hook(f, HOOK_AFTER_TASK_HEALTHY);
}

static void test_before_terminate_failure_still_stops_the_task(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	kill_task(f, "t1", -1);
	hook_done(f, HOOK_BEFORE_TERMINATE, "consul: deregistration failed");
	assert_int_equal(f->r.signals[0], SIGTERM);
	task_gone(f, SIGTERM);
	assert_state(last_posted(f), TASK_STATE(KILLED));
}

/* ------------------------------------------------------------ every way out */

enum way_out {
	BY_KILL,
	BY_SHUTDOWN,
	BY_HEALTH,
	BY_EXIT,
	BY_AGENT_LOST,
	BY_RECOVERY_TIMEOUT,
	BY_SIGTERM,
	BY_MAX_COMPLETION,
	BY_HOOK_FAILURE,
	BY_EXPIRY
};

/* The last "terminating the task" log line. */
static char terminating[BY_EXPIRY + 1][512];
static int terminating_way;

static void keep_terminating_line(void *data, enum log_level lvl, const char *line)
{
	if (strstr(line, "msg=\"terminating the task"))
		snprintf(terminating[terminating_way], sizeof(terminating[0]), "%s", line);
}

static void test_before_terminate_runs_before_sigterm_on_every_way_out(void **state)
{
	const char *names[] = {
	    "kill",    "shutdown",       "health",       "exit",  "agent lost", "recovery timeout",
	    "sigterm", "max completion", "hook failure", "expiry"};
	memset(terminating, 0, sizeof(terminating));
	for (int w = BY_KILL; w <= BY_EXPIRY; w++) {
		void *st = NULL;
		assert_int_equal(fix_setup(&st), 0);
		struct fix *f = st;
		terminating_way = w;
		log_set_level(LOG_INFO);
		log_set_sink(LOG_INFO, keep_terminating_line, NULL);
		f->cfg.checkpoint = w == BY_RECOVERY_TIMEOUT;
		f->r.cert_delay_ns = w == BY_EXPIRY ? 600 * SEC : -1;
		subscribed(f, false);
		launch_task(f, "t1", ",\"max_completion_time\":{\"nanoseconds\":3600000000000}");
		hook_done(f, HOOK_BEFORE_TASK_START, NULL);
		hook_done(f, HOOK_AFTER_TASK_START, w == BY_HOOK_FAILURE ? "boom" : NULL);
		if (w != BY_HOOK_FAILURE)
			hook_done(f, HOOK_AFTER_TASK_HEALTHY, NULL);

		switch (w) {
		case BY_KILL:
			kill_task(f, "t1", -1);
			break;
		case BY_SHUTDOWN:
			shutdown_event(f);
			break;
		case BY_HEALTH:
			health_verdict(f, HEALTH_UNHEALTHY_KILL, "down");
			break;
		case BY_EXIT:
			task_exited(f, W_EXITCODE(1, 0));
			break;
		case BY_AGENT_LOST:
			agent_disconnected(f);
			break;
		case BY_RECOVERY_TIMEOUT:
			agent_disconnected(f);
			advance(f, f->cfg.recovery_timeout_ns);
			break;
		case BY_SIGTERM:
			sigterm(f);
			break;
		case BY_MAX_COMPLETION:
			advance(f, 3600 * SEC);
			break;
		case BY_HOOK_FAILURE:
			break; /* AfterTaskStart failed above */
		case BY_EXPIRY:
			advance(f, 600 * SEC);
			break;
		}
		if (!f->r.hook_pending || f->r.pending != HOOK_BEFORE_TERMINATE)
			fail_msg("%s: BeforeTerminate did not start", names[w]);
		if (f->r.nsignals != 0)
			fail_msg("%s: a signal went out before BeforeTerminate finished", names[w]);
		hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
		if (f->r.nsignals != 1 || f->r.signals[0] != SIGTERM)
			fail_msg("%s: no SIGTERM after BeforeTerminate", names[w]);
		assert_before(f, "hooks:BeforeTerminate", "signal:TERM");
		if (count_hooks(f, HOOK_BEFORE_TERMINATE) != 1)
			fail_msg("%s: BeforeTerminate ran %d times", names[w],
			         count_hooks(f, HOOK_BEFORE_TERMINATE));
		log_set_sink(LOG_INFO, NULL, NULL);
		assert_int_equal(fix_teardown(&st), 0);
	}
	/* Each way out is logged in its own words (the recovery timeout is the
	 * agent lost, as is a disconnection without checkpointing). */
	assert_non_null(strstr(terminating[BY_HEALTH], "(health checks failed)"));
	assert_non_null(strstr(terminating[BY_AGENT_LOST], "(agent lost)"));
	for (int a = BY_KILL; a <= BY_EXPIRY; a++) {
		if (!terminating[a][0])
			fail_msg("%s: no 'terminating the task' line", names[a]);
		const char *wa = strstr(terminating[a], "(");
		for (int b = a + 1; b <= BY_EXPIRY; b++) {
			const char *wb = strstr(terminating[b], "(");
			if (b != BY_RECOVERY_TIMEOUT && strncmp(wa, wb, 20) == 0)
				fail_msg("%s and %s are logged alike: %s", names[a], names[b], wa);
		}
	}
}

/* ------------------------------------------------------------ checks */

static void test_check_result_sends_an_update_only_when_it_changes(void **state)
{
	struct fix *f = *state;
	run_task(f, false, CHECK);
	size_t before = f->r.nposted;

	check_result(f, 0);
	assert_int_equal(f->r.nposted, before + 1);
	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(RUNNING));
	assert_int_equal(st->reason, REASON(TASK_CHECK_STATUS_UPDATED));
	assert_non_null(st->check_status);
	assert_true(st->check_status->command->has_exit_code);
	assert_int_equal(st->check_status->command->exit_code, 0);

	check_result(f, 0);
	assert_int_equal(f->r.nposted, before + 1);
	check_result(f, 2);
	assert_int_equal(f->r.nposted, before + 2);
	assert_int_equal(last_posted(f)->check_status->command->exit_code, 2);
	check_result(f, -1); /* error or timeout: an empty result, also a change */
	assert_int_equal(f->r.nposted, before + 3);
	assert_false(last_posted(f)->check_status->command->has_exit_code);
}

static void test_check_update_keeps_the_health_field(void **state)
{
	struct fix *f = *state;
	run_task(f, false, HEALTH_CHECK CHECK);
	health_verdict(f, HEALTH_HEALTHY, NULL);
	check_result(f, 0);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_int_equal(st->reason, REASON(TASK_CHECK_STATUS_UPDATED));
	assert_true(st->has_healthy);
	assert_true(st->healthy);
}

static void test_health_update_keeps_the_check_status(void **state)
{
	struct fix *f = *state;
	run_task(f, false, HEALTH_CHECK CHECK);
	check_result(f, 7);
	health_verdict(f, HEALTH_UNHEALTHY, "down");

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_int_equal(st->reason, REASON(TASK_HEALTH_CHECK_STATUS_UPDATED));
	assert_non_null(st->check_status);
	assert_int_equal(st->check_status->command->exit_code, 7);
	assert_false(st->healthy);
}

static void test_terminal_update_carries_the_last_check_result(void **state)
{
	struct fix *f = *state;
	run_task(f, false, CHECK);
	check_result(f, 4);
	task_gone(f, W_EXITCODE(0, 0));
	hooks_settle(f);
	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(FINISHED));
	assert_non_null(st->check_status);
	assert_int_equal(st->check_status->command->exit_code, 4);
}

static void test_certificate_expiry_kills_the_task_healthy_false(void **state)
{
	struct fix *f = *state;
	f->r.cert_delay_ns = 600 * SEC; /* the launch found a certificate good for 10 min */
	run_task(f, false, NULL);
	assert_int_equal(f->r.timer_delay[EX_TIMER_CERT], 600 * SEC);
	advance(f, 600 * SEC - 1);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
	size_t before = count_fresh(f);
	advance(f, 1);
	assert_int_equal(count_fresh(f), before + 1);
	assert_state(last_posted(f), TASK_STATE(RUNNING));
	assert_false(last_posted(f)->healthy);
	assert_string_equal(last_posted(f)->message, "Certificate expired");
	hooks_settle(f);
	task_gone(f, SIGTERM);
	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(KILLED));
	assert_true(st->has_healthy);
	assert_false(st->healthy);
	assert_string_equal(st->message, "Certificate expired");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_health_checking_starts_with_the_task),
	    T(test_healthy_verdict_sends_running_healthy_true),
	    T(test_unhealthy_verdict_sends_running_healthy_false_with_the_reason),
	    T(test_quiet_verdict_sends_nothing),
	    T(test_unhealthy_kill_kills_the_task_and_reports_killed_healthy_false),
	    T(test_no_health_update_after_the_kill_started),
	    T(test_first_healthy_runs_after_task_healthy_once),
	    T(test_healthy_during_after_task_start_runs_after_task_healthy_next),
	    T(test_task_without_health_check_runs_after_task_healthy_after_after_task_start),
	    T(test_task_with_only_a_check_counts_as_healthy_at_once),
	    T(test_before_task_start_failure_fails_the_task_naming_the_hook),
	    T(test_after_task_start_failure_fails_the_task_naming_the_hook),
	    T(test_after_task_healthy_failure_fails_the_task_naming_the_hook),
	    T(test_before_terminate_failure_still_stops_the_task),
	    cmocka_unit_test(test_before_terminate_runs_before_sigterm_on_every_way_out),
	    T(test_check_result_sends_an_update_only_when_it_changes),
	    T(test_check_update_keeps_the_health_field),
	    T(test_health_update_keeps_the_check_status),
	    T(test_terminal_update_carries_the_last_check_result),
	    T(test_certificate_expiry_kills_the_task_healthy_false),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
