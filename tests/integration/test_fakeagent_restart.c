/* The fake agent when an executor comes back or the agent goes away, over
 * raw HTTP as an executor sees it: a second SUBSCRIBE replaces the first
 * and replays what was not acknowledged, a task the executor never got is
 * dropped (Mesos src/slave/slave.cpp, Slave::subscribe), and the restart
 * simulation: streams cut, 503s, re-subscription within the timeout, and
 * without checkpointing a framework forgotten and its tasks reconciled.
 * Executors are registered with "spawn": false and the test speaks for
 * them. */
#include "fakeagent_wire.h"

/* ------------------------------------------------------------ resubscribe */

static void check_resubscribe(enum mesos_encoding enc)
{
	struct agent a;
	char json[4096], u1[32], upd[1024];
	start_agent(&a, NULL);
	launch_external(&a, "t1");
	struct fw_stream s1, s2;
	subscribe_json(json, sizeof(json), &a, "t1", NULL);
	assert_int_equal(
	    fw_subscribe(&s1, a.proc.addr, PATH, enc, json, mesos_content_type(enc), NULL), 0);
	mesos_event *ev = fw_expect(&s1, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	assert_non_null(ev);
	protobuf_c_message_free_unpacked(&ev->base, NULL);

	/* A second SUBSCRIBE with an unacknowledged update and the task. */
	new_uuid(u1);
	snprintf(upd, sizeof(upd),
	         "\"unacknowledged_updates\":[{\"status\":{\"task_id\":{\"value\":\"t1\"},"
	         "\"state\":\"TASK_RUNNING\",\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"%s\"}}],"
	         "\"unacknowledged_tasks\":[{\"name\":\"t1\",\"task_id\":{\"value\":\"t1\"},"
	         "\"agent_id\":{\"value\":\"x\"}}]",
	         u1);
	subscribe_json(json, sizeof(json), &a, "t1", upd);
	assert_int_equal(
	    fw_subscribe(&s2, a.proc.addr, PATH, enc, json, mesos_content_type(enc), NULL), 0);
	assert_int_equal(s2.status, 200);
	assert_true(fw_wait_eof(&s1, 10000)); /* the first stream is closed... */
	assert_true(s1.clean);                /* ...properly, with the zero chunk */

	ev = fw_next(&s2, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__SUBSCRIBED);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	ev = fw_next(&s2, 10000); /* the replayed update's ACK, after SUBSCRIBED; no LAUNCH */
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED);
	size_t ul;
	uint8_t *raw = b64_decode(u1, strlen(u1), &ul);
	assert_memory_equal(ev->acknowledged->uuid.data, raw, 16);
	free(raw);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	char *reason = wait_update(&a, "t1", "TASK_RUNNING", 5000);
	free(reason);
	fw_stream_close(&s1);
	fw_stream_close(&s2);
	stop_agent(&a);
}

static void test_second_subscribe_closes_the_first_and_replays_updates_json(void **state)
{
	check_resubscribe(MESOS_JSON);
}

static void test_second_subscribe_closes_the_first_and_replays_updates_protobuf(void **state)
{
	check_resubscribe(MESOS_PROTOBUF);
}

static void check_staging_dropped(const char *const *args, const char *want_state)
{
	struct agent a;
	char json[2048];
	start_agent(&a, args);
	launch_external(&a, "t1");
	struct fw_stream s1, s2;
	subscribe_json(json, sizeof(json), &a, "t1", NULL);
	assert_int_equal(fw_subscribe(&s1, a.proc.addr, PATH, MESOS_JSON, json, NULL, NULL), 0);
	mesos_event *ev = fw_expect(&s1, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	assert_non_null(ev);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	/* re-subscribe without listing the task: it never reached us */
	assert_int_equal(fw_subscribe(&s2, a.proc.addr, PATH, MESOS_JSON, json, NULL, NULL), 0);
	char *reason = wait_update(&a, "t1", want_state, 10000);
	assert_string_equal(reason, "REASON_AGENT_RESTARTED/SOURCE_AGENT");
	free(reason);
	fw_stream_close(&s1);
	fw_stream_close(&s2);
	stop_agent(&a);
}

static void test_staging_task_missing_from_resubscribe_is_dropped(void **state)
{
	check_staging_dropped(NULL, "TASK_DROPPED");
}

static void
test_staging_task_missing_from_resubscribe_is_lost_without_partition_awareness(void **state)
{
	const char *args[] = {"--capability", "-PARTITION_AWARE", NULL};
	check_staging_dropped(args, "TASK_LOST");
}

/* ------------------------------------------------------------ restart */

/* The message of the task's latest update in /state is `msg`. */
static void last_message_is(struct agent *a, const char *tid, const char *msg)
{
	cJSON *st = get_json(a, "/state");
	const cJSON *m = cJSON_GetObjectItem(last_update(st, tid), "message");
	assert_true(cJSON_IsString(m));
	assert_string_equal(m->valuestring, msg);
	cJSON_Delete(st);
}

static void test_restart_cuts_streams_answers_503_then_accepts_resubscribe(void **state)
{
	struct agent a;
	char json[2048], u[32], buf[32];
	const char *args[] = {"--checkpoint", "--reregistration-timeout", "3secs", NULL};
	start_agent(&a, args);
	launch_external(&a, "back");
	launch_external(&a, "late");
	struct fw_stream sb, sl, sb2;
	subscribe_json(json, sizeof(json), &a, "back", NULL);
	assert_int_equal(
	    fw_subscribe(&sb, a.proc.addr, PATH, MESOS_PROTOBUF, json, MESOS_CT_PROTOBUF, NULL), 0);
	mesos_event *ev = fw_expect(&sb, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	new_uuid(u);
	update_json(json, sizeof(json), a.fid, "back", "back", "TASK_RUNNING", u, NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_PROTOBUF, json, NULL, NULL, 0), 202);
	subscribe_json(json, sizeof(json), &a, "late", NULL);
	assert_int_equal(fw_subscribe(&sl, a.proc.addr, PATH, MESOS_JSON, json, NULL, NULL), 0);
	ev = fw_expect(&sl, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	new_uuid(u);
	update_json(json, sizeof(json), a.fid, "late", "late", "TASK_RUNNING", u, NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, NULL, 0), 202);

	post_fake(&a, "/_fake/restart", "{\"downtime\":\"1500ms\"}", 202);
	/* streams cut as by a crash: no zero chunk */
	assert_true(fw_wait_eof(&sb, 10000));
	assert_false(sb.clean);
	assert_true(fw_wait_eof(&sl, 10000));
	subscribe_json(json, sizeof(json), &a, "back", NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_PROTOBUF, json, NULL, NULL, 0), 503);

	int64_t end = ts_now_ms() + 10000;
	while (strcmp(phase(&a, buf, sizeof(buf)), "recovering") != 0 && ts_now_ms() < end)
		ts_sleep_ms(20);
	assert_string_equal(buf, "recovering");
	/* recovering: SUBSCRIBE accepted, other calls still 503 */
	char upd[1024];
	new_uuid(u);
	snprintf(upd, sizeof(upd),
	         "\"unacknowledged_updates\":[{\"status\":{\"task_id\":{\"value\":\"back\"},"
	         "\"state\":\"TASK_RUNNING\",\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"%s\"}}]",
	         u);
	subscribe_json(json, sizeof(json), &a, "back", upd);
	assert_int_equal(
	    fw_subscribe(&sb2, a.proc.addr, PATH, MESOS_PROTOBUF, json, MESOS_CT_PROTOBUF, NULL),
	    0);
	assert_int_equal(sb2.status, 200);
	ev = fw_next(&sb2, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__SUBSCRIBED);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	ev = fw_expect(&sb2, MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED, 10000);
	assert_non_null(ev);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	new_uuid(u);
	update_json(json, sizeof(json), a.fid, "back", "back", "TASK_RUNNING", u, NULL);
	if (strcmp(phase(&a, buf, sizeof(buf)), "recovering") == 0)
		assert_int_equal(call_status(&a, PATH, MESOS_PROTOBUF, json, NULL, NULL, 0), 503);

	/* the executor that stayed away is destroyed; its task is gone */
	char *reason = wait_update(&a, "late", "TASK_GONE", 20000);
	assert_string_equal(reason, "REASON_EXECUTOR_REREGISTRATION_TIMEOUT/SOURCE_AGENT");
	free(reason);
	last_message_is(&a, "late", "Executor did not reregister within 3secs");
	end = ts_now_ms() + 10000;
	while (strcmp(phase(&a, buf, sizeof(buf)), "running") != 0 && ts_now_ms() < end)
		ts_sleep_ms(20);
	assert_int_equal(call_status(&a, PATH, MESOS_PROTOBUF, json, NULL, NULL, 0), 202);
	cJSON *st = get_json(&a, "/state");
	const cJSON *u_back = last_update(st, "back");
	assert_string_equal(cJSON_GetObjectItem(u_back, "state")->valuestring, "TASK_RUNNING");
	cJSON_Delete(st);
	fw_stream_close(&sb);
	fw_stream_close(&sl);
	fw_stream_close(&sb2);
	stop_agent(&a);
}

static void check_restart_without_checkpointing(const char *capability, const char *want)
{
	struct agent a;
	char json[2048], body[256], buf[32], u[32];
	const char *args[] = {"--no-checkpoint", "--reregistration-timeout",
	                      "1secs",           "--capability",
	                      capability,        NULL};
	start_agent(&a, args);
	struct fw_stream s;
	subscribe_launched(&a, "nc", &s);
	posts_update_acked(&a, &s, "nc", "nc", "TASK_RUNNING");
	post_fake(&a, "/_fake/restart", "{\"downtime\":\"300ms\"}", 202);
	assert_true(fw_wait_eof(&s, 10000));
	int64_t end = ts_now_ms() + 10000;
	while (strcmp(phase(&a, buf, sizeof(buf)), "down") == 0 && ts_now_ms() < end)
		ts_sleep_ms(20);
	/* the restarted agent does not know the framework */
	subscribe_json(json, sizeof(json), &a, "nc", NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, body, sizeof(body)), 400);
	assert_string_equal(body, "Framework cannot be found");
	/* reconciliation ends the task it forgot */
	char *reason = wait_update(&a, "nc", want, 15000);
	assert_string_equal(reason, "REASON_RECONCILIATION/SOURCE_AGENT");
	free(reason);
	last_message_is(&a, "nc", "Reconciliation: task unknown to the agent");
	new_uuid(u);
	update_json(json, sizeof(json), a.fid, "nc", "nc", "TASK_FINISHED", u, NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, body, sizeof(body)), 400);
	assert_string_equal(body, "Framework cannot be found");
	/* a new task brings the framework back */
	struct fw_stream s2;
	subscribe_launched(&a, "nc2", &s2);
	fw_stream_close(&s);
	fw_stream_close(&s2);
	stop_agent(&a);
}

static void
test_restart_without_checkpointing_forgets_the_framework_and_drops_its_task(void **state)
{
	check_restart_without_checkpointing("PARTITION_AWARE", "TASK_DROPPED");
}

static void
test_restart_without_checkpointing_loses_the_task_of_a_framework_not_partition_aware(void **state)
{
	check_restart_without_checkpointing("-PARTITION_AWARE", "TASK_LOST");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_second_subscribe_closes_the_first_and_replays_updates_json),
	    cmocka_unit_test(test_second_subscribe_closes_the_first_and_replays_updates_protobuf),
	    cmocka_unit_test(test_staging_task_missing_from_resubscribe_is_dropped),
	    cmocka_unit_test(
	        test_staging_task_missing_from_resubscribe_is_lost_without_partition_awareness),
	    cmocka_unit_test(test_restart_cuts_streams_answers_503_then_accepts_resubscribe),
	    cmocka_unit_test(
	        test_restart_without_checkpointing_forgets_the_framework_and_drops_its_task),
	    cmocka_unit_test(
	        test_restart_without_checkpointing_loses_the_task_of_a_framework_not_partition_aware),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
