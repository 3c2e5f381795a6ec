/* The executor's state machine through a task's life (Mesos
 * src/launcher/executor.cpp, CommandExecutor::launch and reaped;
 * docs/architecture.md): STARTING, RUNNING, then FINISHED or FAILED with
 * Mesos' messages; what every update carries; exit after the terminal ACK
 * or a bounded wait; launch failures, a second LAUNCH, LAUNCH_GROUP, events
 * to ignore. */
#include "executor_harness.h"

#include <math.h>

/* ------------------------------------------------------------ start */

static void test_launch_reports_starting_and_waits_for_before_task_start_hooks(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	launch_task(f, "t1", NULL);

	assert_int_equal(f->r.nposted, 1);
	assert_state(f->r.posted[0], TASK_STATE(STARTING));
	assert_string_equal(f->r.posted[0]->task_id->value, "t1");
	assert_true(f->r.hook_pending);
	assert_int_equal(f->r.pending, HOOK_BEFORE_TASK_START);
	assert_int_equal(f->r.launches, 0);
	assert_int_equal(ex_phase(f->ex), EX_STARTING);
}

static void test_command_starts_after_before_task_start_and_reports_running(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	launch_task(f, "t1", NULL);
	hook_done(f, HOOK_BEFORE_TASK_START, NULL);

	assert_int_equal(f->r.launches, 1);
	assert_int_equal(f->r.nposted, 2);
	assert_state(f->r.posted[1], TASK_STATE(RUNNING));
	assert_string_equal(f->r.posted[1]->task_id->value, "t1");
	assert_false(f->r.posted[1]->has_healthy);
	assert_before(f, "hooks:BeforeTaskStart", "launch");
	assert_before(f, "launch", "update:TASK_RUNNING");
	assert_before(f, "update:TASK_RUNNING", "hooks:AfterTaskStart");
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
}

static void test_before_task_start_environment_reaches_the_launch(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	launch_task(f, "t1", NULL);
	const char *env[] = {"CONSUL_SERVICE_ID=web-31000", "VAAS_BACKEND_ID=42", NULL};
	hook_done_env(f, HOOK_BEFORE_TASK_START, NULL, env);

	assert_int_equal(f->r.launches, 1);
	assert_int_equal(f->r.nlaunch_env, 2);
	assert_string_equal(f->r.launch_env[0], "CONSUL_SERVICE_ID=web-31000");
	assert_string_equal(f->r.launch_env[1], "VAAS_BACKEND_ID=42");
}

static void test_launch_failure_reports_failed_with_the_error(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	launch_task(f, "t1", NULL);
	f->r.launch_fails = true;
	hook_done(f, HOOK_BEFORE_TASK_START, NULL);
	/* Hooks that registered anything get to undo it. */
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(FAILED));
	assert_string_equal(st->task_id->value, "t1");
	assert_non_null(strstr(st->message, "exec /no/such/command: No such file or directory"));
	assert_int_equal(count_state(f, TASK_STATE(RUNNING)), 0);
	assert_int_equal(f->r.nsignals, 0);
	assert_int_equal(count_hooks(f, HOOK_AFTER_TASK_START), 0);
	assert_int_equal(ex_phase(f->ex), EX_DONE);
}

/* ------------------------------------------------------------ updates */

static void
test_every_update_has_a_fresh_v4_uuid_source_executor_id_and_subsecond_time(void **state)
{
	struct fix *f = *state;
	run_task(f, true,
	         ",\"health_check\":{\"type\":\"COMMAND\",\"command\":{\"value\":\"true\"}}");
	advance(f, SEC / 3);
	health_verdict(f, HEALTH_HEALTHY, NULL);
	kill_task(f, "t1", 1 * SEC);
	hooks_settle(f);
	advance(f, SEC / 10);
	task_gone(f, SIGTERM);

	assert_int_equal(f->r.nposted, 5); /* STARTING RUNNING RUNNING KILLING KILLED */
	for (size_t i = 0; i < f->r.nposted; i++) {
		const Mesos__V1__TaskStatus *st = f->r.posted[i];
		assert_true(st->has_uuid);
		assert_int_equal(st->uuid.len, 16);
		assert_true(mesos_uuid_valid(&st->uuid));
		assert_int_equal(st->uuid.data[6] >> 4, 4);
		for (size_t k = 0; k < i; k++)
			assert_memory_not_equal(st->uuid.data, f->r.posted[k]->uuid.data, 16);
		assert_true(st->has_source);
		assert_int_equal(st->source, MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR);
		assert_non_null(st->executor_id);
		assert_string_equal(st->executor_id->value, "exec-1");
		assert_null(st->agent_id);
		assert_true(st->has_timestamp);
		assert_true(st->timestamp > WALL_START - 1e-6);
		assert_true(st->timestamp != floor(st->timestamp));
	}
	/* The timestamp is taken when the update is built. */
	assert_true(fabs(f->r.posted[2]->timestamp - (WALL_START + 1.0 / 3)) < 1e-6);
}

static void test_update_body_is_a_call_the_agent_accepts(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	for (int enc = MESOS_PROTOBUF; enc <= MESOS_JSON; enc++) {
		size_t len = 0;
		char err[256];
		uint8_t *body = ex_update_body(f->ex, last_posted(f), enc, &len);
		assert_non_null(body);
		mesos_call *call = mesos_call_decode(enc, body, len, err, sizeof(err));
		if (!call)
			fail_msg("%s", err);
		if (mesos_validate_call(call, err, sizeof(err)) < 0)
			fail_msg("the agent would reject the UPDATE: %s", err);
		assert_int_equal(call->type, MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE);
		assert_string_equal(call->executor_id->value, "exec-1");
		assert_string_equal(call->framework_id->value, "fw-1");
		assert_memory_equal(call->update->status->uuid.data, last_posted(f)->uuid.data, 16);
		protobuf_c_message_free_unpacked(&call->base, NULL);
		free(body);
	}
}

static void test_statuses_of_a_task_with_a_check_carry_an_empty_check_status(void **state)
{
	struct fix *f = *state;
	run_task(
	    f, false,
	    ",\"check\":{\"type\":\"COMMAND\",\"command\":{\"command\":{\"value\":\"true\"}}}");
	for (size_t i = 0; i < f->r.nposted; i++) {
		const Mesos__V1__TaskStatus *st = f->r.posted[i];
		assert_non_null(st->check_status);
		assert_int_equal(st->check_status->type, MESOS__V1__CHECK_INFO__TYPE__COMMAND);
		assert_non_null(st->check_status->command);
		assert_false(st->check_status->command->has_exit_code);
	}
}

/* ------------------------------------------------------------ the end */

static void test_exit_zero_reports_finished(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	task_gone(f, W_EXITCODE(0, 0));
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(FINISHED));
	assert_string_equal(st->task_id->value, "t1");
	assert_string_equal(st->message, "Command exited with status 0");
	assert_int_equal(f->r.nsignals, 0);
	assert_before(f, "hooks:BeforeTerminate", "update:TASK_FINISHED");
}

static void test_nonzero_exit_reports_failed_with_the_status(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	task_gone(f, W_EXITCODE(3, 0));
	hooks_settle(f);

	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(FAILED));
	assert_string_equal(st->message, "Command exited with status 3");
	assert_false(st->has_reason && st->reason == REASON(MAX_COMPLETION_TIME_REACHED));
}

static void test_death_by_signal_reports_failed_naming_the_signal(void **state)
{
	struct fix *f = *state;
	char want[128];
	run_task(f, false, NULL);
	task_gone(f, W_EXITCODE(0, SIGSEGV));
	hooks_settle(f);

	snprintf(want, sizeof(want), "Command terminated with signal %s", strsignal(SIGSEGV));
	assert_state(last_posted(f), TASK_STATE(FAILED));
	assert_string_equal(last_posted(f)->message, want);
}

static void test_exit_descriptions_match_mesos(void **state)
{
	char buf[128], want[128];
	ex_describe_exit(W_EXITCODE(0, 0), buf, sizeof(buf));
	assert_string_equal(buf, "Command exited with status 0");
	ex_describe_exit(W_EXITCODE(255, 0), buf, sizeof(buf));
	assert_string_equal(buf, "Command exited with status 255");
	ex_describe_exit(SIGKILL, buf, sizeof(buf));
	snprintf(want, sizeof(want), "Command terminated with signal %s", strsignal(SIGKILL));
	assert_string_equal(buf, want);
	ex_describe_exit(SIGABRT | WCOREFLAG, buf, sizeof(buf));
	snprintf(want, sizeof(want), "Command terminated with signal %s (core dumped)",
	         strsignal(SIGABRT));
	assert_string_equal(buf, want);
}

static void
test_descendants_left_by_an_exited_command_get_sigterm_after_before_terminate(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	task_exited(f, W_EXITCODE(0, 0)); /* a daemon child is still alive */
	assert_int_equal(f->r.nsignals, 0);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);

	assert_int_equal(f->r.nsignals, 1);
	assert_int_equal(f->r.signals[0], SIGTERM);
	assert_int_equal(count_state(f, TASK_STATE(FINISHED)), 0);
	tree_gone(f);
	assert_state(last_posted(f), TASK_STATE(FINISHED));
}

static void test_executor_exits_zero_once_the_terminal_update_is_acknowledged(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	ack(f, f->r.posted[0]);
	ack(f, f->r.posted[1]);
	assert_int_equal(f->r.nexits, 0);
	task_gone(f, W_EXITCODE(0, 0));
	hooks_settle(f);
	assert_int_equal(f->r.nexits, 0);
	assert_true(f->r.timer_delay[EX_TIMER_ACK] == f->cfg.update_wait_ns);

	ack(f, last_posted(f));
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_OK);
	for (int t = 0; t < EX_TIMER_COUNT; t++)
		assert_true(f->r.timer_due[t] < 0);
}

static void test_executor_exits_non_zero_when_the_terminal_ack_never_comes(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	task_gone(f, W_EXITCODE(1, 0));
	hooks_settle(f);
	advance(f, f->cfg.update_wait_ns - 1);
	assert_int_equal(f->r.nexits, 0);
	advance(f, 1);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_NO_ACK);
}

static void test_acknowledgement_of_a_non_terminal_update_does_not_exit(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	ack(f, f->r.posted[1]);
	ack(f, f->r.posted[0]);
	assert_int_equal(f->r.nexits, 0);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
}

/* ------------------------------------------------------------ other launches */

static void test_second_launch_fails_only_the_new_task(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	size_t before = f->r.nposted;
	launch_task(f, "t2", NULL);

	assert_int_equal(f->r.nposted, before + 1);
	const Mesos__V1__TaskStatus *st = last_posted(f);
	assert_state(st, TASK_STATE(FAILED));
	assert_string_equal(st->task_id->value, "t2");
	assert_string_equal(st->message,
	                    "Attempted to run multiple tasks using a \"command\" executor");
	assert_int_equal(f->r.launches, 1);
	assert_int_equal(f->r.nsignals, 0);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
	assert_string_equal(ex_task(f->ex)->task_id->value, "t1");

	/* Its acknowledgement ends nothing either. */
	ack(f, st);
	assert_int_equal(f->r.nexits, 0);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
}

static void test_duplicate_launch_of_the_running_task_is_ignored(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	size_t before = f->r.nposted;
	launch_task(f, "t1", NULL);
	assert_int_equal(f->r.nposted, before);
	assert_int_equal(f->r.launches, 1);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
}

static void test_launch_group_is_refused_with_failed_for_each_task(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	feed(f,
	     "{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"task_group\":{\"tasks\":["
	     "{\"name\":\"a\",\"task_id\":{\"value\":\"g1\"},\"agent_id\":{\"value\":\"agent-1\"}},"
	     "{\"name\":\"b\",\"task_id\":{\"value\":\"g2\"},\"agent_id\":{\"value\":\"agent-1\"}}"
	     "]}}}");

	assert_int_equal(f->r.nposted, 2);
	assert_state(f->r.posted[0], TASK_STATE(FAILED));
	assert_string_equal(f->r.posted[0]->task_id->value, "g1");
	assert_state(f->r.posted[1], TASK_STATE(FAILED));
	assert_string_equal(f->r.posted[1]->task_id->value, "g2");
	assert_int_equal(f->r.launches, 0);
	assert_int_equal(f->r.nhooks, 0);

	/* Nothing left to do once the agent has both: exit. */
	ack(f, f->r.posted[0]);
	assert_int_equal(f->r.nexits, 0);
	ack(f, f->r.posted[1]);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_OK);
}

static void test_heartbeat_message_error_and_unknown_events_are_ignored(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	size_t posted = f->r.nposted, trace = f->r.ntrace;

	feed(f, "{\"type\":\"HEARTBEAT\"}");
	feed(f, "{\"type\":\"MESSAGE\",\"message\":{\"data\":\"aGVsbG8=\"}}");
	feed(f, "{\"type\":\"ERROR\",\"error\":{\"message\":\"something\"}}");
	feed(f, "{\"type\":\"UNKNOWN\"}");
	feed(f, "{\"type\":\"KILL\"}");   /* no payload */
	feed(f, "{\"type\":\"LAUNCH\"}"); /* no payload */

	assert_int_equal(f->r.nposted, posted);
	assert_int_equal(f->r.ntrace, trace);
	assert_int_equal(f->r.nexits, 0);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_launch_reports_starting_and_waits_for_before_task_start_hooks),
	    T(test_command_starts_after_before_task_start_and_reports_running),
	    T(test_before_task_start_environment_reaches_the_launch),
	    T(test_launch_failure_reports_failed_with_the_error),
	    T(test_every_update_has_a_fresh_v4_uuid_source_executor_id_and_subsecond_time),
	    T(test_update_body_is_a_call_the_agent_accepts),
	    T(test_statuses_of_a_task_with_a_check_carry_an_empty_check_status),
	    T(test_exit_zero_reports_finished),
	    T(test_nonzero_exit_reports_failed_with_the_status),
	    T(test_death_by_signal_reports_failed_naming_the_signal),
	    cmocka_unit_test(test_exit_descriptions_match_mesos),
	    T(test_descendants_left_by_an_exited_command_get_sigterm_after_before_terminate),
	    T(test_executor_exits_zero_once_the_terminal_update_is_acknowledged),
	    T(test_executor_exits_non_zero_when_the_terminal_ack_never_comes),
	    T(test_acknowledgement_of_a_non_terminal_update_does_not_exit),
	    T(test_second_launch_fails_only_the_new_task),
	    T(test_duplicate_launch_of_the_running_task_is_ignored),
	    T(test_launch_group_is_refused_with_failed_for_each_task),
	    T(test_heartbeat_message_error_and_unknown_events_are_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
