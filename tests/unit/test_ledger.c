/* The status-update ledger (executor/ledger.h): acknowledgements by uuid and
 * task id, the resend schedule (first after 2 s, doubling up to 60 s),
 * rescheduling after a resubscribe, and its bound. */
#include "testsupport.h"

#include "executor/ledger.h"

#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL

/* A heap TaskStatus (as the executor builds them) with uuid byte `n`. */
static Mesos__V1__TaskStatus *status(const char *task, int state, uint8_t n)
{
	Mesos__V1__TaskStatus st = MESOS__V1__TASK_STATUS__INIT;
	Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
	uint8_t uuid[16];
	memset(uuid, n, sizeof(uuid));
	uuid[6] = 0x40;
	uuid[8] = 0x80;
	tid.value = (char *)task;
	st.task_id = &tid;
	st.state = state;
	st.has_uuid = true;
	st.uuid.data = uuid;
	st.uuid.len = 16;
	size_t len = protobuf_c_message_get_packed_size(&st.base);
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	protobuf_c_message_pack(&st.base, buf);
	Mesos__V1__TaskStatus *out = (Mesos__V1__TaskStatus *)protobuf_c_message_unpack(
	    &mesos__v1__task_status__descriptor, NULL, len, buf);
	free(buf);
	assert_non_null(out);
	return out;
}

static ProtobufCBinaryData uuid_of(const Mesos__V1__TaskStatus *st)
{
	return st->uuid;
}

static void add(struct ledger *l, const char *task, int state, uint8_t n, int64_t now)
{
	assert_int_equal(ledger_add(l, status(task, state, n), now), 0);
}

#define RUNNING  MESOS__V1__TASK_STATE__TASK_RUNNING
#define STARTING MESOS__V1__TASK_STATE__TASK_STARTING
#define FINISHED MESOS__V1__TASK_STATE__TASK_FINISHED

/* ------------------------------------------------------------ ACK */

static void test_ack_removes_the_update_and_returns_its_state(void **state)
{
	struct ledger l;
	int64_t st = -1;
	ledger_init(&l, 0);
	add(&l, "t1", STARTING, 1, 0);
	add(&l, "t1", RUNNING, 2, 0);
	ProtobufCBinaryData u = uuid_of(l.e[1].status);
	uint8_t copy[16];
	memcpy(copy, u.data, 16);
	u.data = copy;

	assert_int_equal(ledger_ack(&l, &u, "t1", &st), 0);
	assert_int_equal(st, RUNNING);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.e[0].status->state, STARTING);
	assert_int_equal(l.acked, 1);
	/* The same uuid again is unknown now. */
	assert_int_equal(ledger_ack(&l, &u, "t1", &st), -1);
	ledger_free(&l);
}

static void test_ack_of_an_unknown_uuid_fails_and_keeps_everything(void **state)
{
	struct ledger l;
	int64_t st = -1;
	uint8_t other[16] = {9, 9, 9, 9, 9, 9, 0x49, 9, 0x89, 9, 9, 9, 9, 9, 9, 9};
	ProtobufCBinaryData u = {16, other};
	ProtobufCBinaryData short_uuid = {4, other};
	ledger_init(&l, 0);
	add(&l, "t1", RUNNING, 1, 0);

	assert_int_equal(ledger_ack(&l, &u, "t1", &st), -1);
	assert_int_equal(ledger_ack(&l, &short_uuid, "t1", &st), -1);
	assert_int_equal(l.n, 1);
	assert_false(l.task_acked);
	ledger_free(&l);
}

static void test_ack_with_another_task_id_fails_and_keeps_the_update(void **state)
{
	struct ledger l;
	int64_t st = -1;
	ledger_init(&l, 0);
	add(&l, "t1", RUNNING, 1, 0);
	ProtobufCBinaryData u = uuid_of(l.e[0].status);

	assert_int_equal(ledger_ack(&l, &u, "t2", &st), -1);
	assert_int_equal(l.n, 1);
	assert_false(l.task_acked);
	assert_int_equal(ledger_ack(&l, &u, "t1", &st), 0);
	assert_int_equal(l.n, 0);
	ledger_free(&l);
}

static void test_first_ack_marks_the_task_acknowledged(void **state)
{
	struct ledger l;
	int64_t st;
	ledger_init(&l, 0);
	add(&l, "t1", STARTING, 1, 0);
	add(&l, "t1", RUNNING, 2, 0);
	assert_false(l.task_acked);
	ProtobufCBinaryData u = uuid_of(l.e[0].status);
	assert_int_equal(ledger_ack(&l, &u, "t1", &st), 0);
	assert_true(l.task_acked);
	ledger_free(&l);
}

/* ------------------------------------------------------------ resending */

static void test_new_update_is_due_after_the_first_backoff(void **state)
{
	struct ledger l;
	const Mesos__V1__TaskStatus *out[4];
	ledger_init(&l, 0);
	add(&l, "t1", RUNNING, 1, 100 * SEC);

	assert_int_equal(ledger_next_due(&l), 100 * SEC + LEDGER_RESEND_FIRST_NS);
	assert_int_equal(ledger_due(&l, 100 * SEC + LEDGER_RESEND_FIRST_NS - 1, out, 4), 0);
	assert_int_equal(ledger_due(&l, 100 * SEC + LEDGER_RESEND_FIRST_NS, out, 4), 1);
	assert_ptr_equal(out[0], l.e[0].status);
	assert_int_equal(l.resent, 1);
	ledger_free(&l);
}

static void test_backoff_doubles_up_to_the_max(void **state)
{
	struct ledger l;
	const Mesos__V1__TaskStatus *out[4];
	int64_t now = 0;
	int64_t prev = LEDGER_RESEND_FIRST_NS;
	ledger_init(&l, 0);
	add(&l, "t1", RUNNING, 1, now);

	now = ledger_next_due(&l);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(ledger_due(&l, now, out, 4), 1);
		int64_t want = prev * 2 > LEDGER_RESEND_MAX_NS ? LEDGER_RESEND_MAX_NS : prev * 2;
		assert_int_equal(ledger_next_due(&l) - now, want);
		prev = want;
		now = ledger_next_due(&l);
	}
	assert_int_equal(prev, LEDGER_RESEND_MAX_NS);
	assert_int_equal(LEDGER_RESEND_MAX_NS, 60 * SEC);
	ledger_free(&l);
}

static void test_due_returns_only_due_entries_oldest_first_within_the_bound(void **state)
{
	struct ledger l;
	const Mesos__V1__TaskStatus *out[4];
	ledger_init(&l, 0);
	add(&l, "t1", STARTING, 1, 0);
	add(&l, "t1", RUNNING, 2, 1 * SEC);
	add(&l, "t1", RUNNING, 3, 5 * SEC);

	/* At 3 s the first two are due, the third is not. */
	assert_int_equal(ledger_due(&l, 3 * SEC, out, 4), 2);
	assert_int_equal(out[0]->uuid.data[0], 1);
	assert_int_equal(out[1]->uuid.data[0], 2);
	/* Everything due, but room for one only: the others stay due. */
	assert_int_equal(ledger_due(&l, 3600 * SEC, out, 1), 1);
	assert_int_equal(out[0]->uuid.data[0], 1);
	assert_int_equal(ledger_due(&l, 3600 * SEC, out, 4), 2);
	assert_int_equal(out[0]->uuid.data[0], 2);
	assert_int_equal(out[1]->uuid.data[0], 3);
	ledger_free(&l);
}

static void test_next_due_is_the_earliest_entry_or_minus_one_when_empty(void **state)
{
	struct ledger l;
	int64_t st;
	ledger_init(&l, 0);
	assert_int_equal(ledger_next_due(&l), -1);
	add(&l, "t1", STARTING, 1, 10 * SEC);
	add(&l, "t1", RUNNING, 2, 4 * SEC); /* clocks only go forward; order by time anyway */
	assert_int_equal(ledger_next_due(&l), 4 * SEC + LEDGER_RESEND_FIRST_NS);
	ProtobufCBinaryData u = uuid_of(l.e[1].status);
	ledger_ack(&l, &u, "t1", &st);
	assert_int_equal(ledger_next_due(&l), 10 * SEC + LEDGER_RESEND_FIRST_NS);
	u = uuid_of(l.e[0].status);
	ledger_ack(&l, &u, "t1", &st);
	assert_int_equal(ledger_next_due(&l), -1);
	ledger_free(&l);
}

static void test_reschedule_restarts_every_backoff_from_now(void **state)
{
	struct ledger l;
	const Mesos__V1__TaskStatus *out[4];
	ledger_init(&l, 0);
	add(&l, "t1", STARTING, 1, 0);
	add(&l, "t1", RUNNING, 2, 0);
	for (int64_t t = 2 * SEC; t < 200 * SEC; t += 2 * SEC)
		ledger_due(&l, t, out, 4);
	assert_int_equal(l.e[0].backoff_ns, LEDGER_RESEND_MAX_NS);

	ledger_reschedule(&l, 500 * SEC);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.e[i].next_resend_ns, 500 * SEC + LEDGER_RESEND_FIRST_NS);
		assert_int_equal(l.e[i].backoff_ns, LEDGER_RESEND_FIRST_NS);
	}
	assert_int_equal(ledger_due(&l, 500 * SEC + LEDGER_RESEND_FIRST_NS, out, 4), 2);
	assert_int_equal(ledger_next_due(&l), 500 * SEC + 3 * LEDGER_RESEND_FIRST_NS);
	ledger_free(&l);
}

/* ------------------------------------------------------------ bound */

static void test_ledger_refuses_updates_beyond_its_bound(void **state)
{
	struct ledger l;
	int64_t st;
	ledger_init(&l, 3);
	for (uint8_t i = 1; i <= 3; i++)
		add(&l, "t1", RUNNING, i, 0);
	Mesos__V1__TaskStatus *extra = status("t1", RUNNING, 4);
	assert_int_equal(ledger_add(&l, extra, 0), -1);
	assert_int_equal(l.n, 3);
	/* Still the caller's after a refusal. */
	protobuf_c_message_free_unpacked(&extra->base, NULL);

	ProtobufCBinaryData u = uuid_of(l.e[0].status);
	assert_int_equal(ledger_ack(&l, &u, "t1", &st), 0);
	add(&l, "t1", RUNNING, 5, 0);
	assert_int_equal(l.n, 3);
	ledger_free(&l);
}

static void test_ledger_without_a_bound_takes_the_default_and_grows(void **state)
{
	struct ledger l;
	ledger_init(&l, 0);
	assert_int_equal(l.max, 1024);
	for (int i = 0; i < 100; i++)
		add(&l, "t1", RUNNING, (uint8_t)i, 0);
	assert_int_equal(l.n, 100);
	assert_int_equal(l.sent, 100);
	ledger_free(&l);
	assert_int_equal(l.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ack_removes_the_update_and_returns_its_state),
	    cmocka_unit_test(test_ack_of_an_unknown_uuid_fails_and_keeps_everything),
	    cmocka_unit_test(test_ack_with_another_task_id_fails_and_keeps_the_update),
	    cmocka_unit_test(test_first_ack_marks_the_task_acknowledged),
	    cmocka_unit_test(test_new_update_is_due_after_the_first_backoff),
	    cmocka_unit_test(test_backoff_doubles_up_to_the_max),
	    cmocka_unit_test(test_due_returns_only_due_entries_oldest_first_within_the_bound),
	    cmocka_unit_test(test_next_due_is_the_earliest_entry_or_minus_one_when_empty),
	    cmocka_unit_test(test_reschedule_restarts_every_backoff_from_now),
	    cmocka_unit_test(test_ledger_refuses_updates_beyond_its_bound),
	    cmocka_unit_test(test_ledger_without_a_bound_takes_the_default_and_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
