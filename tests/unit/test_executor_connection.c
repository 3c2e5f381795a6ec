/* The executor's state machine and its agent, as the Mesos executor library
 * behaves (src/executor/executor.cpp; acknowledgements as the agent sends
 * them, src/slave/slave.cpp): what every re-SUBSCRIBE carries, resending
 * unacknowledged updates with growing delays, the terminal update across a
 * reconnection, losing the agent with and without checkpointing, and the
 * recovery timeout. */
#include "executor_harness.h"

struct sub {
	mesos_call *call; /* owned */
	const Mesos__V1__Executor__Call__Subscribe *s;
};

/* The body of the next SUBSCRIBE, decoded back; it must pass the agent's
 * validation. */
static struct sub subscribe_call(struct fix *f, enum mesos_encoding enc)
{
	struct sub out;
	size_t len = 0;
	char err[256];
	uint8_t *body = ex_subscribe_body(f->ex, enc, &len);
	assert_non_null(body);
	out.call = mesos_call_decode(enc, body, len, err, sizeof(err));
	if (!out.call)
		fail_msg("SUBSCRIBE body does not decode: %s", err);
	free(body);
	if (mesos_validate_call(out.call, err, sizeof(err)) < 0)
		fail_msg("the agent would reject the SUBSCRIBE: %s", err);
	assert_int_equal(out.call->type, MESOS__V1__EXECUTOR__CALL__TYPE__SUBSCRIBE);
	assert_string_equal(out.call->executor_id->value, "exec-1");
	assert_string_equal(out.call->framework_id->value, "fw-1");
	out.s = out.call->subscribe;
	assert_non_null(out.s);
	return out;
}

static void sub_free(struct sub *s)
{
	protobuf_c_message_free_unpacked(&s->call->base, NULL);
}

/* Whether the SUBSCRIBE carries this update, by uuid. */
static bool carries(const struct sub *s, const Mesos__V1__TaskStatus *st)
{
	for (size_t i = 0; i < s->s->n_unacknowledged_updates; i++) {
		const Mesos__V1__TaskStatus *u = s->s->unacknowledged_updates[i]->status;
		if (u->uuid.len == 16 && memcmp(u->uuid.data, st->uuid.data, 16) == 0 &&
		    u->state == st->state && strcmp(u->task_id->value, st->task_id->value) == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ SUBSCRIBE */

static void test_first_subscribe_is_an_empty_subscribe(void **state)
{
	struct fix *f = *state;
	for (int enc = MESOS_PROTOBUF; enc <= MESOS_JSON; enc++) {
		struct sub s = subscribe_call(f, enc);
		assert_int_equal(s.s->n_unacknowledged_updates, 0);
		assert_int_equal(s.s->n_unacknowledged_tasks, 0);
		sub_free(&s);
	}
}

static void test_subscribe_carries_every_unacknowledged_update_and_the_task(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	agent_disconnected(f);

	for (int enc = MESOS_PROTOBUF; enc <= MESOS_JSON; enc++) {
		struct sub s = subscribe_call(f, enc);
		assert_int_equal(s.s->n_unacknowledged_updates, 2);
		assert_true(carries(&s, f->r.posted[0])); /* STARTING, same uuid */
		assert_true(carries(&s, f->r.posted[1])); /* RUNNING, same uuid */
		assert_int_equal(s.s->n_unacknowledged_tasks, 1);
		assert_string_equal(s.s->unacknowledged_tasks[0]->task_id->value, "t1");
		assert_string_equal(s.s->unacknowledged_tasks[0]->command->value, "sleep 100");
		sub_free(&s);
	}
}

static void test_subscribe_omits_the_task_once_one_of_its_updates_was_acknowledged(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	ack(f, f->r.posted[0]);
	agent_disconnected(f);

	struct sub s = subscribe_call(f, MESOS_PROTOBUF);
	assert_int_equal(s.s->n_unacknowledged_updates, 1);
	assert_true(carries(&s, f->r.posted[1]));
	assert_false(carries(&s, f->r.posted[0]));
	assert_int_equal(s.s->n_unacknowledged_tasks, 0);
	sub_free(&s);
}

static void
test_subscribe_keeps_the_task_when_only_another_tasks_update_was_acknowledged(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	launch_task(f, "t2", NULL); /* refused: TASK_FAILED for t2 */
	ack(f, last_posted(f));
	agent_disconnected(f);

	/* Nothing of t1 was acknowledged: the agent must hear of it again. */
	struct sub s = subscribe_call(f, MESOS_PROTOBUF);
	assert_int_equal(s.s->n_unacknowledged_updates, 2);
	assert_int_equal(s.s->n_unacknowledged_tasks, 1);
	assert_string_equal(s.s->unacknowledged_tasks[0]->task_id->value, "t1");
	sub_free(&s);
}

static void test_acknowledgement_of_an_unknown_update_is_ignored(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	feed(f, "{\"type\":\"ACKNOWLEDGED\",\"acknowledged\":{\"task_id\":{\"value\":\"t1\"},"
	        "\"uuid\":\"q83vEjRWR5iqu8zd7v8AEQ==\"}}");
	assert_int_equal(ex_unacknowledged(f->ex), 2);
	assert_int_equal(f->r.nexits, 0);

	struct sub s = subscribe_call(f, MESOS_PROTOBUF);
	assert_int_equal(s.s->n_unacknowledged_tasks, 1);
	sub_free(&s);
}

static void test_acknowledgement_naming_another_task_does_not_remove_the_update(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	char *b = b64_encode(f->r.posted[1]->uuid.data, 16);
	feed(f,
	     "{\"type\":\"ACKNOWLEDGED\",\"acknowledged\":{\"task_id\":{\"value\":\"other\"},"
	     "\"uuid\":\"%s\"}}",
	     b);
	free(b);

	struct sub s = subscribe_call(f, MESOS_PROTOBUF);
	assert_true(carries(&s, f->r.posted[1]));
	assert_int_equal(s.s->n_unacknowledged_tasks, 1);
	sub_free(&s);
}

/* ------------------------------------------------------------ resending */

static void test_unacknowledged_updates_are_resent_with_growing_delays(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	ack(f, f->r.posted[0]); /* RUNNING stays unacknowledged */
	const int64_t want[] = {2, 4, 8, 16, 32, 60, 60};
	size_t n = sizeof(want) / sizeof(want[0]);

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(f->r.timer_delay[EX_TIMER_RESEND], want[i] * SEC);
		size_t before = f->r.nposted;
		advance(f, want[i] * SEC - 1);
		assert_int_equal(f->r.nposted, before);
		advance(f, 1);
		assert_int_equal(f->r.nposted, before + 1);
		const Mesos__V1__TaskStatus *again = f->r.posted[before];
		assert_true(f->r.resend[before]);
		assert_int_equal(again->state, TASK_STATE(RUNNING));
		assert_memory_equal(again->uuid.data, f->r.posted[1]->uuid.data, 16);
	}
}

static void test_acknowledged_updates_are_not_resent(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	ack(f, f->r.posted[0]);
	ack(f, f->r.posted[1]);
	assert_true(f->r.timer_due[EX_TIMER_RESEND] < 0);
	size_t before = f->r.nposted;
	advance(f, 600 * SEC);
	assert_int_equal(f->r.nposted, before);
}

static void test_resends_pause_while_disconnected_and_restart_after_resubscribe(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	advance(f, 1 * SEC);
	agent_disconnected(f);
	assert_true(f->r.timer_due[EX_TIMER_RESEND] < 0);
	size_t before = f->r.nposted;
	advance(f, 30 * SEC);
	assert_int_equal(f->r.nposted, before);

	subscribed(f, false);
	/* The SUBSCRIBE carried them; the next resend is a first one again. */
	assert_int_equal(f->r.timer_delay[EX_TIMER_RESEND], 2 * SEC);
	advance(f, 2 * SEC);
	assert_int_equal(f->r.nposted, before + 2);
}

/* ------------------------------------------------------------ the terminal update */

static void
test_terminal_update_lost_with_the_connection_is_acknowledged_after_resubscribe(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	task_gone(f, W_EXITCODE(0, 0));
	hooks_settle(f);
	const Mesos__V1__TaskStatus *fin = last_posted(f);
	assert_state(fin, TASK_STATE(FINISHED));
	agent_disconnected(f);
	assert_true(f->r.timer_due[EX_TIMER_ACK] < 0);
	advance(f, 2 * f->cfg.update_wait_ns); /* no exit while the agent is away */
	assert_int_equal(f->r.nexits, 0);

	struct sub s = subscribe_call(f, MESOS_JSON);
	assert_true(carries(&s, fin));
	sub_free(&s);
	subscribed(f, false);
	assert_int_equal(f->r.timer_delay[EX_TIMER_ACK], f->cfg.update_wait_ns);
	ack(f, fin);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_OK);
}

static void test_terminal_update_never_acknowledged_across_reconnects_exits_no_ack(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	task_gone(f, W_EXITCODE(0, 0));
	hooks_settle(f);
	agent_disconnected(f);
	subscribed(f, false);
	advance(f, f->cfg.update_wait_ns);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_NO_ACK);
}

/* ------------------------------------------------------------ losing the agent */

static void test_disconnect_without_checkpointing_stops_the_task_and_exits_agent_lost(void **state)
{
	struct fix *f = *state;
	run_task(f, true, NULL);
	agent_disconnected(f);

	assert_int_equal(f->r.stop_reconnecting, 1); /* the agent will not take it back */
	assert_true(f->r.hook_pending);
	assert_int_equal(f->r.pending, HOOK_BEFORE_TERMINATE);
	assert_int_equal(f->r.nsignals, 0);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_int_equal(f->r.signals[0], SIGTERM);
	assert_int_equal(f->r.nexits, 0);
	task_gone(f, SIGTERM);

	assert_state(last_posted(f), TASK_STATE(KILLED));
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
	assert_before(f, "hooks:BeforeTerminate", "signal:TERM");
}

/* As the executor library: losing the agent is a SHUTDOWN (SIGKILL by the
 * shutdown grace minus 2 s, 5 s here), not a kill with the task's own grace
 * (a minute here). */
static void test_disconnect_without_checkpointing_escalates_to_sigkill(void **state)
{
	struct fix *f = *state;
	run_task(f, false, ",\"kill_policy\":{\"grace_period\":{\"nanoseconds\":60000000000}}");
	agent_disconnected(f);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	advance(f, 5 * SEC);
	assert_int_equal(f->r.signals[1], SIGKILL);
	task_gone(f, SIGKILL);
	assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
}

/* ... and its own deadline: after the whole shutdown grace (7 s) the tree
 * is SIGKILLed and the executor exits 3, hooks hanging and processes that
 * will not die notwithstanding. */
static void test_agent_lost_ends_everything_after_the_whole_shutdown_grace(void **state)
{
	for (int checkpoint = 0; checkpoint <= 1; checkpoint++) {
		void *st = NULL;
		assert_int_equal(fix_setup(&st), 0);
		struct fix *f = st;
		f->cfg.checkpoint = checkpoint;
		run_task(f, false,
		         ",\"kill_policy\":{\"grace_period\":{\"nanoseconds\":"
		         "600000000000}}");
		agent_disconnected(f);
		if (checkpoint)
			advance(f, f->cfg.recovery_timeout_ns);
		assert_true(f->r.hook_pending); /* and it never ends */
		advance(f, f->cfg.shutdown_grace_ns - 1);
		assert_int_equal(f->r.nexits, 0);
		advance(f, 1);
		assert_int_equal(f->r.nexits, 1);
		assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
		assert_int_equal(f->r.signals[f->r.nsignals - 1], SIGKILL);
		assert_int_equal(fix_teardown(&st), 0);
	}
}

static void test_disconnect_without_checkpointing_and_no_task_exits_agent_lost(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	agent_disconnected(f);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
}

static void
test_disconnect_without_checkpointing_during_a_kill_exits_once_the_task_is_gone(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	kill_task(f, "t1", 10 * SEC);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	agent_disconnected(f); /* the agent will not take us back */
	advance(f, 1 * SEC);
	task_gone(f, SIGTERM);

	assert_state(last_posted(f), TASK_STATE(KILLED));
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
}

static void test_disconnect_without_checkpointing_after_the_terminal_update_exits(void **state)
{
	struct fix *f = *state;
	run_task(f, false, NULL);
	task_gone(f, W_EXITCODE(0, 0));
	hooks_settle(f);
	agent_disconnected(f);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
}

static void test_first_connection_failure_waits_for_the_agent(void **state)
{
	struct fix *f = *state;
	agent_disconnected(f); /* never subscribed: the agent may not be up yet */
	assert_int_equal(f->r.nexits, 0);
	assert_int_equal(f->r.stop_reconnecting, 0); /* so the shell keeps trying */
	assert_true(f->r.timer_due[EX_TIMER_RECOVERY] > 0);
	advance(f, f->r.timer_delay[EX_TIMER_RECOVERY]);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
}

static void
test_disconnect_with_checkpointing_keeps_the_task_and_arms_the_recovery_timer(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	agent_disconnected(f);

	assert_int_equal(f->r.stop_reconnecting, 0);
	assert_int_equal(f->r.timer_delay[EX_TIMER_RECOVERY], f->cfg.recovery_timeout_ns);
	assert_false(f->r.hook_pending);
	assert_int_equal(f->r.nsignals, 0);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);

	/* Failed reconnection attempts do not restart the outage's timer. */
	advance(f, 100 * SEC);
	agent_disconnected(f);
	assert_int_equal(f->r.timer_due[EX_TIMER_RECOVERY], f->cfg.recovery_timeout_ns);
}

static void test_reconnect_before_the_recovery_timeout_keeps_the_task(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	agent_disconnected(f);
	advance(f, f->cfg.recovery_timeout_ns - SEC);
	subscribed(f, false);
	assert_true(f->r.timer_due[EX_TIMER_RECOVERY] < 0);
	advance(f, 2 * f->cfg.recovery_timeout_ns);

	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
	assert_int_equal(f->r.nsignals, 0);
	assert_int_equal(count_hooks(f, HOOK_BEFORE_TERMINATE), 0);
	assert_int_equal(f->r.nexits, 0);

	/* A later outage gets a whole recovery timeout again. */
	agent_disconnected(f);
	assert_int_equal(f->r.timer_delay[EX_TIMER_RECOVERY], f->cfg.recovery_timeout_ns);
}

/* As the executor library: once the agent can be reached again (it answers
 * SUBSCRIBE, if only with 503 while it recovers) the recovery timer stops,
 * however long the recovery takes; it starts afresh when the agent cannot
 * be reached at all. */
static void test_agent_answering_503_stops_the_recovery_timer_until_it_is_unreachable(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	agent_disconnected(f); /* the stream is cut */
	advance(f, SEC);
	for (int i = 0; i < 10; i++) { /* 503 to every SUBSCRIBE */
		agent_connected(f);
		agent_disconnected(f);
		assert_true(f->r.timer_due[EX_TIMER_RECOVERY] < 0);
		advance(f, f->cfg.recovery_timeout_ns);
	}
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
	assert_int_equal(f->r.nsignals, 0);
	assert_int_equal(count_hooks(f, HOOK_BEFORE_TERMINATE), 0);

	/* Then nothing answers (connection refused): a whole timeout, from now. */
	agent_disconnected(f);
	assert_int_equal(f->r.timer_delay[EX_TIMER_RECOVERY], f->cfg.recovery_timeout_ns);
	advance(f, f->cfg.recovery_timeout_ns);
	assert_true(f->r.hook_pending);
	assert_int_equal(f->r.pending, HOOK_BEFORE_TERMINATE);
}

static void test_recovery_timeout_stops_the_task_and_exits_agent_lost(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	agent_disconnected(f);
	advance(f, f->cfg.recovery_timeout_ns);

	assert_true(f->r.hook_pending);
	assert_int_equal(f->r.pending, HOOK_BEFORE_TERMINATE);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	assert_int_equal(f->r.signals[0], SIGTERM);
	task_gone(f, SIGTERM);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
}

static void test_recovery_timeout_during_a_kill_exits_once_the_task_is_gone(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	kill_task(f, "t1", 3600 * SEC);
	hook_done(f, HOOK_BEFORE_TERMINATE, NULL);
	agent_disconnected(f);
	advance(f, f->cfg.recovery_timeout_ns);
	task_gone(f, SIGTERM);

	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
}

static void test_recovery_timeout_while_the_terminal_update_waits_exits_agent_lost(void **state)
{
	struct fix *f = *state;
	f->cfg.checkpoint = true;
	run_task(f, false, NULL);
	task_gone(f, W_EXITCODE(0, 0));
	hooks_settle(f);
	agent_disconnected(f);
	advance(f, f->cfg.recovery_timeout_ns);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.exit_code, EX_EXIT_AGENT_LOST);
}

static void test_events_after_exit_are_ignored(void **state)
{
	struct fix *f = *state;
	subscribed(f, false);
	shutdown_event(f);
	assert_int_equal(f->r.nexits, 1);
	launch_task(f, "t1", NULL);
	agent_disconnected(f);
	sigterm(f);
	assert_int_equal(f->r.nposted, 0);
	assert_int_equal(f->r.nexits, 1);
	assert_int_equal(f->r.launches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_first_subscribe_is_an_empty_subscribe),
	    T(test_subscribe_carries_every_unacknowledged_update_and_the_task),
	    T(test_subscribe_omits_the_task_once_one_of_its_updates_was_acknowledged),
	    T(test_subscribe_keeps_the_task_when_only_another_tasks_update_was_acknowledged),
	    T(test_acknowledgement_of_an_unknown_update_is_ignored),
	    T(test_acknowledgement_naming_another_task_does_not_remove_the_update),
	    T(test_unacknowledged_updates_are_resent_with_growing_delays),
	    T(test_acknowledged_updates_are_not_resent),
	    T(test_resends_pause_while_disconnected_and_restart_after_resubscribe),
	    T(test_terminal_update_lost_with_the_connection_is_acknowledged_after_resubscribe),
	    T(test_terminal_update_never_acknowledged_across_reconnects_exits_no_ack),
	    T(test_disconnect_without_checkpointing_stops_the_task_and_exits_agent_lost),
	    T(test_disconnect_without_checkpointing_escalates_to_sigkill),
	    cmocka_unit_test(test_agent_lost_ends_everything_after_the_whole_shutdown_grace),
	    T(test_disconnect_without_checkpointing_and_no_task_exits_agent_lost),
	    T(test_disconnect_without_checkpointing_during_a_kill_exits_once_the_task_is_gone),
	    T(test_disconnect_without_checkpointing_after_the_terminal_update_exits),
	    T(test_first_connection_failure_waits_for_the_agent),
	    T(test_disconnect_with_checkpointing_keeps_the_task_and_arms_the_recovery_timer),
	    T(test_reconnect_before_the_recovery_timeout_keeps_the_task),
	    T(test_agent_answering_503_stops_the_recovery_timer_until_it_is_unreachable),
	    T(test_recovery_timeout_stops_the_task_and_exits_agent_lost),
	    T(test_recovery_timeout_during_a_kill_exits_once_the_task_is_gone),
	    T(test_recovery_timeout_while_the_terminal_update_waits_exits_agent_lost),
	    T(test_events_after_exit_are_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
