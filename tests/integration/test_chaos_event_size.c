/* Chaos: events of the largest size the executor accepts (a 16 MiB RecordIO
 * record, RECORDIO_DEFAULT_MAX) and one byte more, injected into its stream
 * with fakeagent's POST /_fake/event-of-size, in both encodings. The
 * largest is read like any event (a framework message, logged and ignored)
 * on the same stream; the one over is refused before anything is allocated
 * for it: the stream counts as broken, the executor subscribes again (the
 * framework checkpoints), the task never notices, and it finishes with
 * every update acknowledged. Prints a "chaos:" line per encoding. */
#include "chaos.h"

#include "proto/recordio.h"

static int count_lines(const char *text, const char *what)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void inject(struct agent *a, const struct chaos_task *t, size_t size)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"executor_id\":\"%s\",\"size\":%zu}", t->executor_id, size);
	post_fake(a, "/_fake/event-of-size", body, 202);
}

static void run(const char *encoding)
{
	struct agent a;
	struct chaos_task t;
	char body[2048], msg[128];
	const char *args[] = {"--checkpoint", NULL};
	chaos_start_agent(&a, args);
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"big\",\"task_id\":{\"value\":\"big\"},"
	         "\"command\":{\"shell\":true,\"value\":\"while [ ! -e finish ]; do sleep 0.05; "
	         "done\",\"environment\":{\"variables\":["
	         "{\"name\":\"ALLEGRO_EXECUTOR_ENCODING\",\"value\":\"%s\"},"
	         "{\"name\":\"ALLEGRO_EXECUTOR_DEBUG\",\"value\":\"true\"},"
	         "{\"name\":\"MESOS_SUBSCRIPTION_BACKOFF_MAX\",\"value\":\"200ms\"}]}}}}",
	         encoding);
	chaos_launch(&a, body, &t);
	chaos_wait_update(&a, &t, "TASK_RUNNING", 30000);

	/* The largest record: one event, read on the same stream. */
	inject(&a, &t, RECORDIO_DEFAULT_MAX);
	snprintf(msg, sizeof(msg), "msg=\"framework message of ");
	chaos_wait_file_has(&t, "stderr", msg, 30000);
	char *log = chaos_sandbox_file(&t, "stderr");
	assert_int_equal(count_lines(log, "msg=subscribed "), 1);
	assert_null(strstr(log, "event stream ended"));
	free(log);

	/* One byte more: a broken stream, then a new subscription. */
	inject(&a, &t, RECORDIO_DEFAULT_MAX + 1);
	chaos_wait_file_has(&t, "stderr", "event stream ended: bad RecordIO framing", 30000);
	int64_t end = ts_now_ms() + 30000;
	for (;;) {
		log = chaos_sandbox_file(&t, "stderr");
		int subs = count_lines(log, "msg=subscribed ");
		free(log);
		if (subs == 2)
			break;
		if (ts_now_ms() > end)
			fail_msg("the executor did not subscribe again");
		ts_sleep_ms(50);
	}
	long hwm = chaos_proc_kb(t.pid, "VmHWM");
	assert_int_equal(kill(t.pid, 0), 0);

	char path[1200];
	snprintf(path, sizeof(path), "%s/finish", t.sandbox);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chaos_wait_executor_exit(&a, &t, 60000), 0);
	struct chaos_counts c;
	chaos_count_updates(&a, &t, &c);
	assert_int_equal(c.from_agent, 0);
	assert_int_equal(c.lost, 0);
	assert_int_equal(c.terminal, 1);
	assert_true(c.terminal_last);
	assert_int_equal(c.out_of_order, 0);
	log = chaos_sandbox_file(&t, "stderr");
	const char *why = strstr(log, "event stream ended: ");
	char reason[160] = "";
	if (why)
		snprintf(reason, sizeof(reason), "%.*s", (int)strcspn(why + 20, "\"\n"), why + 20);
	free(log);
	printf("chaos: event-size encoding=%s accepted=%u refused=%u refusal=\"%s\" "
	       "resubscribed=yes executor_vmhwm_kb=%ld updates_sent=%d acknowledged=%d lost=%d\n",
	       encoding, RECORDIO_DEFAULT_MAX, RECORDIO_DEFAULT_MAX + 1, reason, hwm, c.sent,
	       c.acknowledged, c.lost);
	stop_agent(&a);
}

static void
test_a_16_mib_event_is_read_and_one_byte_more_breaks_only_the_stream_protobuf(void **state)
{
	run("protobuf");
}

static void test_a_16_mib_event_is_read_and_one_byte_more_breaks_only_the_stream_json(void **state)
{
	run("json");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        test_a_16_mib_event_is_read_and_one_byte_more_breaks_only_the_stream_protobuf,
	        chaos_teardown),
	    cmocka_unit_test_teardown(
	        test_a_16_mib_event_is_read_and_one_byte_more_breaks_only_the_stream_json,
	        chaos_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
