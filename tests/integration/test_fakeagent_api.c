/* The fake agent's executor API over raw HTTP, as an executor sees it: every
 * check of Mesos' Http::executor (src/slave/http.cpp) in both encodings, the
 * RecordIO stream in both encodings, acknowledgements (duplicates, foreign
 * agent_id, unknown task), executors that end, and the fault injector in
 * front of it all. Resubscribing and the restart simulation are
 * test_fakeagent_restart.c's. Executors are registered with "spawn": false
 * and the test speaks for them. */
#include "fakeagent_wire.h"

#include "common/base64.h"
#include "common/uuid4.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <sys/wait.h>

/* ------------------------------------------------------------ Http::executor's checks */

static void check_rows(enum mesos_encoding enc)
{
	struct agent a;
	char json[2048], uuid[32], body[1024];
	struct fw_resp r;
	start_agent(&a, NULL);
	launch_external(&a, "t1");

	/* 2: method */
	assert_int_equal(fw_call(a.proc.addr, "GET", PATH, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 405);
	char allow[64];
	assert_non_null(fw_header(r.head, "Allow", allow, sizeof(allow)));
	assert_string_equal(allow, "POST");
	assert_string_equal(
	    r.body, "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.");
	fw_resp_free(&r);

	/* 3: no Content-Type */
	const char *msg = "{\"type\":\"MESSAGE\"}";
	assert_int_equal(fw_call(a.proc.addr, "POST", PATH, NULL, msg, strlen(msg), &r), 0);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "Expecting 'Content-Type' to be present");
	fw_resp_free(&r);

	/* 4: a body that does not parse, in the encoding's own terms */
	char ct[64];
	snprintf(ct, sizeof(ct), "Content-Type: %s", mesos_content_type(enc));
	const char *cth[] = {ct, NULL};
	const char *bad = "MALFORMED_CONTENT";
	assert_int_equal(fw_call(a.proc.addr, "POST", PATH, cth, bad, strlen(bad), &r), 0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, enc == MESOS_JSON
	                                   ? "Failed to parse body into JSON"
	                                   : "Failed to parse body into Call protobuf"));
	fw_resp_free(&r);
	if (enc == MESOS_JSON) {
		const char *valid_json = "{\"string\":\"valid_json\"}";
		assert_int_equal(
		    fw_call(a.proc.addr, "POST", PATH, cth, valid_json, strlen(valid_json), &r), 0);
		assert_int_equal(r.status, 400);
		assert_non_null(strstr(r.body, "Failed to convert JSON into Call protobuf"));
		fw_resp_free(&r);
		/* JSON that is no object, or followed by more: stout's words */
		const char *array = "[1]";
		assert_int_equal(fw_call(a.proc.addr, "POST", PATH, cth, array, strlen(array), &r),
		                 0);
		assert_int_equal(r.status, 400);
		assert_string_equal(
		    r.body, "Failed to convert JSON into Call protobuf: Expecting a JSON object");
		fw_resp_free(&r);
		const char *two = "{\"type\":\"HEARTBEAT\"} {}";
		assert_int_equal(fw_call(a.proc.addr, "POST", PATH, cth, two, strlen(two), &r), 0);
		assert_int_equal(r.status, 400);
		assert_string_equal(r.body, "Failed to parse body into JSON: Parsed JSON included "
		                            "non-whitespace trailing characters: {}");
		fw_resp_free(&r);
		assert_int_equal(fw_call(a.proc.addr, "POST", PATH, cth, bad, strlen(bad), &r), 0);
		assert_string_equal(r.body,
		                    "Failed to parse body into JSON: syntax error at line 1 "
		                    "near: MALFORMED_CONTENT");
		fw_resp_free(&r);
	}

	/* 5: any other type, even one with parameters */
	subscribe_json(json, sizeof(json), &a, "t1", NULL);
	const char *odd[] = {"Content-Type: application/unknown-media-type", NULL};
	assert_int_equal(fw_call(a.proc.addr, "POST", PATH, odd, json, strlen(json), &r), 0);
	assert_int_equal(r.status, 415);
	fw_resp_free(&r);
	const char *charset[] = {"Content-Type: application/json; charset=utf-8", NULL};
	assert_int_equal(fw_call(a.proc.addr, "POST", PATH, charset, json, strlen(json), &r), 0);
	assert_int_equal(r.status, 415);
	fw_resp_free(&r);

	/* 6: validation, every UPDATE rule; before the framework lookup */
	char call[1024];
	snprintf(call, sizeof(call),
	         "{\"type\":\"SUBSCRIBE\",\"executor_id\":{\"value\":\"t1\"},"
	         "\"framework_id\":{\"value\":\"%s\"}}",
	         a.fid);
	assert_int_equal(call_status(&a, PATH, enc, call, NULL, body, sizeof(body)), 400);
	assert_string_equal(body, "Failed to validate Executor::Call: Expecting 'subscribe' to be "
	                          "present");
	snprintf(call, sizeof(call),
	         "{\"type\":\"UPDATE\",\"executor_id\":{\"value\":\"t1\"},"
	         "\"framework_id\":{\"value\":\"%s\"}}",
	         a.fid);
	assert_int_equal(call_status(&a, PATH, enc, call, NULL, NULL, 0), 400);
	snprintf(call, sizeof(call),
	         "{\"type\":\"MESSAGE\",\"executor_id\":{\"value\":\"t1\"},"
	         "\"framework_id\":{\"value\":\"%s\"}}",
	         a.fid);
	assert_int_equal(call_status(&a, PATH, enc, call, NULL, NULL, 0), 400);
	new_uuid(uuid);
	const char *bad_updates[][3] = {
	    {"t1", "TASK_RUNNING", ",\"executor_id\":{\"value\":\"other\"}"},
	    {"t1", "TASK_STAGING", ""},
	    {"t1", "TASK_RUNNING", ",\"check_status\":{}"},
	    {"t1", "TASK_RUNNING", ",\"check_status\":{\"type\":\"COMMAND\"}"},
	};
	for (size_t i = 0; i < sizeof(bad_updates) / sizeof(bad_updates[0]); i++) {
		update_json(json, sizeof(json), "no-such-framework", "t1", bad_updates[i][0],
		            bad_updates[i][1], uuid, bad_updates[i][2]);
		assert_int_equal(call_status(&a, PATH, enc, json, NULL, body, sizeof(body)), 400);
		assert_non_null(strstr(body, "Failed to validate Executor::Call"));
	}
	/* a uuid that is not 16 bytes, source unset or SOURCE_MASTER */
	const char *raw_updates[] = {
	    "{\"type\":\"UPDATE\",\"executor_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":"
	    "\"f\"},\"update\":{\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"TASK_"
	    "RUNNING\",\"source\":\"SOURCE_EXECUTOR\",\"uuid\":\"ZHVtbXlfdXVpZA==\"}}}",
	    "{\"type\":\"UPDATE\",\"executor_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":"
	    "\"f\"},\"update\":{\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"TASK_"
	    "RUNNING\",\"uuid\":\"q83vEjRWR5iqu8zd7v8AEQ==\"}}}",
	    "{\"type\":\"UPDATE\",\"executor_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":"
	    "\"f\"},\"update\":{\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"TASK_"
	    "RUNNING\",\"source\":\"SOURCE_MASTER\",\"uuid\":\"q83vEjRWR5iqu8zd7v8AEQ==\"}}}",
	    "{\"type\":\"UPDATE\",\"executor_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":"
	    "\"f\"},\"update\":{\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"TASK_"
	    "RUNNING\",\"source\":\"SOURCE_EXECUTOR\"}}}",
	};
	/* the agent's texts: stout's UUID error; the others name the framework */
	const char *raw_errors[] = {
	    "Failed to validate Executor::Call: Not a valid UUID",
	    "Failed to validate Executor::Call: Received Call from executor t1 of framework f with "
	    "invalid source, expecting 'SOURCE_EXECUTOR'",
	    "Failed to validate Executor::Call: Received Call from executor t1 of framework f with "
	    "invalid source, expecting 'SOURCE_EXECUTOR'",
	    "Failed to validate Executor::Call: Expecting 'uuid' to be present",
	};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(
		    call_status(&a, PATH, enc, raw_updates[i], NULL, body, sizeof(body)), 400);
		assert_string_equal(body, raw_errors[i]);
	}
	update_json(json, sizeof(json), "f", "t1", "t1", "TASK_STAGING", uuid, NULL);
	assert_int_equal(call_status(&a, PATH, enc, json, NULL, body, sizeof(body)), 400);
	assert_string_equal(body, "Failed to validate Executor::Call: Received TASK_STAGING from "
	                          "executor t1 of framework f which is not allowed");

	/* 7: SUBSCRIBE whose Accept allows neither type */
	struct fw_stream s;
	subscribe_json(json, sizeof(json), &a, "t1", NULL);
	assert_int_equal(fw_subscribe(&s, a.proc.addr, PATH, enc, json, "foo", NULL), 0);
	assert_int_equal(s.status, 406);
	fw_stream_close(&s);
	const char *acc[] = {ct, "Accept: text/html", NULL};
	size_t blen;
	uint8_t *sub = fw_body(enc, json, &blen);
	assert_int_equal(fw_call(a.proc.addr, "POST", PATH, acc, sub, blen, &r), 0);
	free(sub);
	assert_int_equal(r.status, 406);
	assert_string_equal(r.body, "Expecting 'Accept' to allow 'application/x-protobuf' or "
	                            "'application/json'");
	fw_resp_free(&r);
	assert_int_equal(
	    fw_subscribe(&s, a.proc.addr, PATH, enc, json, "application/recordio", NULL), 0);
	assert_int_equal(s.status, 406);
	fw_stream_close(&s);

	/* 8: HEARTBEAT with dummy ids */
	const char *hb = "{\"type\":\"HEARTBEAT\",\"executor_id\":{\"value\":\"unused\"},"
	                 "\"framework_id\":{\"value\":\"unused\"}}";
	assert_int_equal(call_status(&a, PATH, enc, hb, NULL, NULL, 0), 202);

	/* 10, 11: unknown framework, unknown executor */
	const char *unknown_fw = "{\"type\":\"MESSAGE\",\"executor_id\":{\"value\":\"t1\"},"
	                         "\"framework_id\":{\"value\":\"dummy\"},\"message\":{\"data\":"
	                         "\"aGk=\"}}";
	assert_int_equal(call_status(&a, PATH, enc, unknown_fw, NULL, body, sizeof(body)), 400);
	assert_string_equal(body, "Framework cannot be found");
	snprintf(call, sizeof(call),
	         "{\"type\":\"MESSAGE\",\"executor_id\":{\"value\":\"nobody\"},"
	         "\"framework_id\":{\"value\":\"%s\"},\"message\":{\"data\":\"aGk=\"}}",
	         a.fid);
	assert_int_equal(call_status(&a, PATH, enc, call, NULL, body, sizeof(body)), 400);
	assert_string_equal(body, "Executor cannot be found");

	/* 13: calls before SUBSCRIBE */
	update_json(json, sizeof(json), a.fid, "t1", "t1", "TASK_RUNNING", uuid, NULL);
	assert_int_equal(call_status(&a, PATH, enc, json, NULL, body, sizeof(body)), 403);
	assert_string_equal(body, "Executor is not subscribed");

	/* 14: SUBSCRIBE, on the prefixed path */
	subscribe_json(json, sizeof(json), &a, "t1", NULL);
	assert_int_equal(
	    fw_subscribe(&s, a.proc.addr, PREFIXED, enc, json, mesos_content_type(enc), NULL), 0);
	assert_int_equal(s.status, 200);
	mesos_event *ev = fw_expect(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	assert_non_null(ev);
	protobuf_c_message_free_unpacked(&ev->base, NULL);

	/* 15: UPDATE and MESSAGE */
	update_json(json, sizeof(json), a.fid, "t1", "t1", "TASK_RUNNING", uuid, NULL);
	assert_int_equal(call_status(&a, PATH, enc, json, NULL, NULL, 0), 202);
	assert_int_equal(call_status(&a, PATH, enc, call, NULL, NULL, 0), 400); /* "nobody" */
	snprintf(call, sizeof(call),
	         "{\"type\":\"MESSAGE\",\"executor_id\":{\"value\":\"t1\"},"
	         "\"framework_id\":{\"value\":\"%s\"},\"message\":{\"data\":\"aGk=\"}}",
	         a.fid);
	assert_int_equal(call_status(&a, PATH, enc, call, NULL, NULL, 0), 202);

	/* 16: UNKNOWN */
	snprintf(call, sizeof(call),
	         "{\"type\":\"UNKNOWN\",\"executor_id\":{\"value\":\"t1\"},"
	         "\"framework_id\":{\"value\":\"%s\"}}",
	         a.fid);
	assert_int_equal(call_status(&a, PATH, enc, call, NULL, body, sizeof(body)), 501);
	assert_string_equal(body, "501 Not Implemented.");

	/* 1 and 9: 503 for everything while the containerizer recovers (even a
	 * GET: before the method check), then for all but SUBSCRIBE. */
	post_fake(&a, "/_fake/restart", "{\"downtime\":\"2secs\"}", 202);
	assert_int_equal(fw_call(a.proc.addr, "GET", PATH, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "Agent has not finished recovery");
	fw_resp_free(&r);
	assert_int_equal(call_status(&a, PATH, enc, hb, NULL, NULL, 0), 503);
	fw_stream_close(&s);
	stop_agent(&a);
}

static void test_every_row_of_the_check_table_in_json(void **state)
{
	check_rows(MESOS_JSON);
}

static void test_every_row_of_the_check_table_in_protobuf(void **state)
{
	check_rows(MESOS_PROTOBUF);
}

/* ------------------------------------------------------------ streams */

static void subscribe_and_check(struct agent *a, const char *tid, enum mesos_encoding call_enc,
                                const char *accept, enum mesos_encoding want)
{
	char json[1024];
	struct fw_stream s;
	launch_external(a, tid);
	subscribe_json(json, sizeof(json), a, tid, NULL);
	assert_int_equal(fw_subscribe(&s, a->proc.addr, PATH, call_enc, json, accept, NULL), 0);
	assert_int_equal(s.status, 200);
	char v[128];
	assert_non_null(fw_header(s.head, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, mesos_content_type(want));
	assert_non_null(fw_header(s.head, "Transfer-Encoding", v, sizeof(v)));
	assert_string_equal(v, "chunked");
	assert_null(fw_header(s.head, "Content-Length", v, sizeof(v)));
	assert_int_equal(s.enc, want);

	mesos_event *ev = fw_next(&s, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__SUBSCRIBED);
	const Mesos__V1__Executor__Event__Subscribed *sub = ev->subscribed;
	assert_string_equal(sub->executor_info->executor_id->value, tid);
	assert_non_null(sub->framework_info->id);
	assert_string_equal(sub->framework_info->id->value, a->fid);
	assert_non_null(sub->agent_info->id);
	assert_true(strlen(sub->agent_info->hostname) > 0);
	assert_non_null(sub->container_id);
	protobuf_c_message_free_unpacked(&ev->base, NULL);

	ev = fw_next(&s, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH);
	assert_string_equal(ev->launch->task->task_id->value, tid);
	assert_non_null(ev->launch->task->agent_id);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	fw_stream_close(&s);
}

static void test_subscribe_streams_recordio_in_the_encoding_accept_chose(void **state)
{
	struct agent a;
	start_agent(&a, NULL);
	subscribe_and_check(&a, "no-accept", MESOS_PROTOBUF, NULL, MESOS_JSON);
	subscribe_and_check(&a, "star", MESOS_PROTOBUF, "*/*", MESOS_JSON);
	subscribe_and_check(&a, "pb", MESOS_JSON, "application/x-protobuf", MESOS_PROTOBUF);
	subscribe_and_check(&a, "json", MESOS_PROTOBUF, "application/json", MESOS_JSON);
	subscribe_and_check(&a, "q0", MESOS_JSON, "application/json;q=0, application/*",
	                    MESOS_PROTOBUF);
	stop_agent(&a);
}

static void test_the_raw_json_stream_is_length_prefixed_agent_style_json(void **state)
{
	struct agent a;
	char json[1024];
	const char *args[] = {"--no-checkpoint", NULL};
	start_agent(&a, args);
	launch_external(&a, "raw");
	subscribe_json(json, sizeof(json), &a, "raw", NULL);
	struct fw_stream s;
	assert_int_equal(fw_subscribe(&s, a.proc.addr, PATH, MESOS_JSON, json, NULL, NULL), 0);
	/* Read raw de-chunked bytes until the first record is complete. */
	int64_t end = ts_now_ms() + 10000;
	while (ts_now_ms() < end && (!s.data || !strstr(s.data, "LAUNCH"))) {
		char buf[8192];
		ssize_t n = fw_read(s.fd, buf, sizeof(buf), 1000);
		if (n > 0)
			fw_dechunk(&s.chunks, buf, (size_t)n, &s.data, &s.data_len);
	}
	assert_non_null(s.data);
	char *nl = strchr(s.data, '\n');
	assert_non_null(nl);
	size_t len = strtoul(s.data, NULL, 10);
	assert_true(len > 0);
	assert_memory_equal(nl + 1, "{\"type\":\"SUBSCRIBED\"", 20);
	assert_true(nl[len] == '}');                           /* exactly len bytes */
	assert_true(nl[len + 1] >= '1' && nl[len + 1] <= '9'); /* next length follows */
	/* Defaulted fields are written, as the agent does. */
	assert_non_null(strstr(s.data, "\"shell\":false"));
	assert_non_null(strstr(s.data, "\"checkpoint\":false"));
	fw_stream_close(&s);
	stop_agent(&a);
}

/* ------------------------------------------------------------ acknowledgements */

static void check_acks(enum mesos_encoding enc)
{
	struct agent a;
	char json[2048], u1[32], u2[32], u3[32], u4[32];
	start_agent(&a, NULL);
	launch_external(&a, "t1");
	struct fw_stream s;
	subscribe_json(json, sizeof(json), &a, "t1", NULL);
	assert_int_equal(
	    fw_subscribe(&s, a.proc.addr, PATH, enc, json, mesos_content_type(enc), NULL), 0);
	mesos_event *ev = fw_expect(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	assert_non_null(ev);
	protobuf_c_message_free_unpacked(&ev->base, NULL);

	/* ACKNOWLEDGED carries the same task id and uuid. */
	new_uuid(u1);
	update_json(json, sizeof(json), a.fid, "t1", "t1", "TASK_RUNNING", u1,
	            ",\"executor_id\":{\"value\":\"t1\"}");
	assert_int_equal(call_status(&a, PATH, enc, json, NULL, NULL, 0), 202);
	ev = fw_next(&s, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED);
	assert_string_equal(ev->acknowledged->task_id->value, "t1");
	size_t ul;
	uint8_t *raw = b64_decode(u1, strlen(u1), &ul);
	assert_int_equal(ev->acknowledged->uuid.len, 16);
	assert_memory_equal(ev->acknowledged->uuid.data, raw, 16);
	protobuf_c_message_free_unpacked(&ev->base, NULL);

	/* A duplicate is acknowledged again. */
	assert_int_equal(call_status(&a, PATH, enc, json, NULL, NULL, 0), 202);
	ev = fw_next(&s, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED);
	assert_memory_equal(ev->acknowledged->uuid.data, raw, 16);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	free(raw);

	/* A foreign agent_id and an unknown task: 202 and no ACK; the next
	 * event is the ACK of a later good update. */
	new_uuid(u2);
	update_json(json, sizeof(json), a.fid, "t1", "t1", "TASK_RUNNING", u2,
	            ",\"agent_id\":{\"value\":\"someone-else-S9\"}");
	assert_int_equal(call_status(&a, PATH, enc, json, NULL, NULL, 0), 202);
	new_uuid(u3);
	update_json(json, sizeof(json), a.fid, "t1", "made-up-task", "TASK_RUNNING", u3, NULL);
	assert_int_equal(call_status(&a, PATH, enc, json, NULL, NULL, 0), 202);
	new_uuid(u4);
	update_json(json, sizeof(json), a.fid, "t1", "t1", "TASK_FINISHED", u4, NULL);
	assert_int_equal(call_status(&a, PATH, enc, json, NULL, NULL, 0), 202);
	ev = fw_next(&s, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED);
	raw = b64_decode(u4, strlen(u4), &ul);
	assert_memory_equal(ev->acknowledged->uuid.data, raw, 16);
	free(raw);
	protobuf_c_message_free_unpacked(&ev->base, NULL);

	char *reason = wait_update(&a, "t1", "TASK_FINISHED", 10000);
	assert_string_equal(reason, "/SOURCE_EXECUTOR");
	free(reason);
	fw_stream_close(&s);
	stop_agent(&a);
}

static void test_updates_are_acknowledged_unless_the_agent_ignores_them_json(void **state)
{
	check_acks(MESOS_JSON);
}

static void test_updates_are_acknowledged_unless_the_agent_ignores_them_protobuf(void **state)
{
	check_acks(MESOS_PROTOBUF);
}

static void test_dropped_and_delayed_acks_come_back_on_a_resend(void **state)
{
	struct agent a;
	char json[2048], u1[32];
	const char *args[] = {"--drop-acks", "1", "--ack-delay", "300ms", NULL};
	start_agent(&a, args);
	struct fw_stream s;
	subscribe_launched(&a, "t1", &s);
	new_uuid(u1);
	update_json(json, sizeof(json), a.fid, "t1", "t1", "TASK_RUNNING", u1, NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, NULL, 0), 202);
	/* dropped: nothing within a generous wait past the delay */
	mesos_event *ev = fw_next(&s, 1500);
	assert_null(ev);
	assert_false(s.eof);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, NULL, 0), 202);
	ev = fw_next(&s, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	fw_stream_close(&s);
	stop_agent(&a);
}

/* The updates of a task in /state (a copy; caller deletes), and its state. */
static cJSON *task_updates(struct agent *a, const char *tid, char *state, size_t len)
{
	cJSON *st = get_json(a, "/state"), *ups = NULL;
	const cJSON *ex, *t;
	const cJSON *fw = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "frameworks"), 0);
	cJSON_ArrayForEach (ex, cJSON_GetObjectItem(fw, "executors"))
		cJSON_ArrayForEach (t, cJSON_GetObjectItem(ex, "tasks"))
			if (!strcmp(cJSON_GetObjectItem(t, "id")->valuestring, tid)) {
				snprintf(state, len, "%s",
				         cJSON_GetObjectItem(t, "state")->valuestring);
				ups = cJSON_Duplicate(cJSON_GetObjectItem(t, "updates"), true);
			}
	cJSON_Delete(st);
	assert_non_null(ups);
	return ups;
}

static const char *ignored_why(const cJSON *ups, int i)
{
	const cJSON *w = cJSON_GetObjectItem(cJSON_GetArrayItem(ups, i), "ignored");
	return cJSON_IsString(w) ? w->valuestring : NULL;
}

static void test_updates_after_a_terminal_one_are_acknowledged_but_change_nothing(void **state)
{
	struct agent a;
	char st[64];
	/* heartbeats: the agent notices a stream the executor closed when it writes */
	const char *args[] = {"--heartbeat-interval", "100ms", NULL};
	start_agent(&a, args);
	struct fw_stream s;
	subscribe_launched(&a, "t1", &s);
	posts_update_acked(&a, &s, "t1", "t1", "TASK_FINISHED");
	posts_update_acked(&a, &s, "t1", "t1", "TASK_RUNNING");
	posts_update_acked(&a, &s, "t1", "t1",
	                   "TASK_FAILED"); /* a second, different terminal one */
	cJSON *ups = task_updates(&a, "t1", st, sizeof(st));
	assert_string_equal(st, "TASK_FINISHED");
	assert_int_equal(cJSON_GetArraySize(ups), 3);
	assert_null(ignored_why(ups, 0));
	assert_string_equal(ignored_why(ups, 1),
	                    "Task is already terminated with state TASK_FINISHED");
	assert_string_equal(ignored_why(ups, 2),
	                    "Task is already terminated with state TASK_FINISHED");
	cJSON_Delete(ups);

	/* A task still queued at the agent (its executor's stream is gone) can
	 * only be ended. */
	fw_stream_close(&s);
	for (int64_t end = ts_now_ms() + 10000;; ts_sleep_ms(50)) { /* the agent saw it go */
		cJSON *stj = get_json(&a, "/state");
		const cJSON *ex = cJSON_GetArrayItem(
		    cJSON_GetObjectItem(
		        cJSON_GetArrayItem(cJSON_GetObjectItem(stj, "frameworks"), 0), "executors"),
		    0);
		bool connected = cJSON_IsTrue(cJSON_GetObjectItem(ex, "connected"));
		cJSON_Delete(stj);
		if (!connected)
			break;
		assert_true(ts_now_ms() < end);
	}
	char body[1024];
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"q2\",\"task_id\":{\"value\":\"q2\"},\"executor\":{"
	         "\"executor_id\":{\"value\":\"t1\"},\"command\":{\"value\":\"x\"}}},"
	         "\"executor\":\"/bin/true\",\"spawn\":false}");
	post_fake(&a, "/_fake/launch", body, 201);
	posts_update_acked(&a, NULL, "t1", "q2", "TASK_RUNNING");
	ups = task_updates(&a, "q2", st, sizeof(st));
	assert_string_equal(st, "TASK_STAGING");
	assert_string_equal(ignored_why(ups, 0), "Cannot send non-terminal update for queued task");
	cJSON_Delete(ups);
	posts_update_acked(&a, NULL, "t1", "q2", "TASK_FAILED");
	ups = task_updates(&a, "q2", st, sizeof(st));
	assert_string_equal(st, "TASK_FAILED");
	assert_null(ignored_why(ups, 1));
	cJSON_Delete(ups);
	stop_agent(&a);
}

/* ------------------------------------------------------------ ending executors */

/* The next event on s, which must be of `type`. */
static void next_is(struct fw_stream *s, int type)
{
	mesos_event *ev = fw_next(s, 10000);
	assert_non_null(ev);
	if ((int)ev->type != type)
		fail_msg("got %s, expected %s", mesos_event_type_name(ev->type),
		         mesos_event_type_name(type));
	protobuf_c_message_free_unpacked(&ev->base, NULL);
}

static void test_kill_for_a_task_whose_executor_is_terminating_is_ignored(void **state)
{
	struct agent a;
	const char *args[] = {"--shutdown-grace", "1mins", NULL};
	start_agent(&a, args);
	struct fw_stream s;
	subscribe_launched(&a, "k", &s);
	posts_update_acked(&a, &s, "k", "k", "TASK_RUNNING");
	post_fake(&a, "/_fake/shutdown", "{\"executor_id\":\"k\"}", 202);
	next_is(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN);
	post_fake(&a, "/_fake/kill", "{\"task_id\":\"k\"}", 202);
	/* events keep their order: a KILL would come before this MESSAGE */
	post_fake(&a, "/_fake/message", "{\"executor_id\":\"k\",\"data\":\"after\"}", 202);
	next_is(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__MESSAGE);
	char st[64];
	cJSON *ups = task_updates(&a, "k", st, sizeof(st));
	assert_string_equal(st, "TASK_RUNNING"); /* and no update of the agent's */
	cJSON_Delete(ups);
	fw_stream_close(&s);
	stop_agent(&a);
}

/* SUBSCRIBE that gets a stream with one SHUTDOWN, then its end. */
static void subscribe_gets_shutdown(struct agent *a, const char *eid, enum mesos_encoding enc)
{
	char json[1024];
	struct fw_stream s;
	subscribe_json(json, sizeof(json), a, eid, NULL);
	assert_int_equal(
	    fw_subscribe(&s, a->proc.addr, PATH, enc, json, mesos_content_type(enc), NULL), 0);
	assert_int_equal(s.status, 200);
	next_is(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN);
	assert_null(fw_next(&s, 10000));
	assert_true(s.eof && s.clean);
	fw_stream_close(&s);
}

static void wait_executor_state(struct agent *a, const char *want)
{
	for (int64_t end = ts_now_ms() + 10000;; ts_sleep_ms(20)) {
		cJSON *stj = get_json(a, "/state");
		const cJSON *ex = cJSON_GetArrayItem(
		    cJSON_GetObjectItem(
		        cJSON_GetArrayItem(cJSON_GetObjectItem(stj, "frameworks"), 0), "executors"),
		    0);
		bool there = !strcmp(cJSON_GetObjectItem(ex, "state")->valuestring, want);
		cJSON_Delete(stj);
		if (there)
			return;
		assert_true(ts_now_ms() < end);
	}
}

static void check_subscribe_of_an_ended_executor(enum mesos_encoding enc)
{
	struct agent a;
	const char *args[] = {"--shutdown-grace", "200ms", NULL};
	start_agent(&a, args);
	struct fw_stream s;
	subscribe_launched(&a, "z", &s);
	post_fake(&a, "/_fake/shutdown", "{\"executor_id\":\"z\"}", 202);
	next_is(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN);
	fw_stream_close(&s);
	/* no process to wait for: TERMINATED once the grace is over (as a
	 * forked child of an executor that exited would find it) */
	wait_executor_state(&a, "TERMINATED");
	subscribe_gets_shutdown(&a, "z", enc);
	stop_agent(&a);
}

static void test_subscribe_of_a_terminated_executor_gets_shutdown_json(void **state)
{
	check_subscribe_of_an_ended_executor(MESOS_JSON);
}

static void test_subscribe_of_a_terminated_executor_gets_shutdown_protobuf(void **state)
{
	check_subscribe_of_an_ended_executor(MESOS_PROTOBUF);
}

static void test_a_torn_down_framework_and_a_terminating_agent_shut_subscribers_down(void **state)
{
	struct agent a;
	char json[2048], body[256], u[32];
	const char *args[] = {"--shutdown-grace", "1mins", NULL};
	start_agent(&a, args);
	struct fw_stream s;
	subscribe_launched(&a, "f1", &s);
	posts_update_acked(&a, &s, "f1", "f1", "TASK_RUNNING");
	post_fake(&a, "/_fake/teardown", "", 202);
	next_is(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN);
	subscribe_gets_shutdown(&a, "f1", MESOS_JSON);
	/* a terminating framework cannot acknowledge: updates are dropped, not acked */
	new_uuid(u);
	update_json(json, sizeof(json), a.fid, "f1", "f1", "TASK_FINISHED", u, NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, NULL, 0), 202);
	char st[64];
	cJSON *ups = task_updates(&a, "f1", st, sizeof(st));
	assert_string_equal(st, "TASK_RUNNING");
	assert_int_equal(cJSON_GetArraySize(ups), 1);
	cJSON_Delete(ups);
	post_fake(&a, "/_fake/kill", "{\"task_id\":\"f1\"}", 202); /* ignored */
	post_fake(&a, "/_fake/launch",
	          "{\"task\":{\"name\":\"n\",\"task_id\":{\"value\":\"n\"},\"command\":"
	          "{\"value\":\"x\"}},\"executor\":\"/bin/true\",\"spawn\":false}",
	          400);
	fw_stream_close(&s);
	stop_agent(&a);

	/* the agent shutting down: the same for each framework */
	start_agent(&a, args);
	subscribe_launched(&a, "g1", &s);
	post_fake(&a, "/_fake/terminate", "", 202);
	next_is(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN);
	subscribe_gets_shutdown(&a, "g1", MESOS_PROTOBUF);
	fw_stream_close(&s);
	/* the framework goes with its last executor */
	args[1] = "200ms";
	stop_agent(&a);
	start_agent(&a, args);
	launch_external(&a, "h1");
	post_fake(&a, "/_fake/teardown", "", 202);
	wait_executor_state(&a, "TERMINATED");
	subscribe_json(json, sizeof(json), &a, "h1", NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, body, sizeof(body)), 400);
	assert_string_equal(body, "Framework cannot be found");
	stop_agent(&a);
}

/* ------------------------------------------------------------ fakectl */

/* The fault injector and request log every fake has (fakekit/fakectl.h)
 * stand in front of the executor API too; on the domain socket, which
 * serves the executor API only, they are not served. */
static void test_fault_rules_and_the_request_log_cover_the_executor_api(void **state)
{
	struct agent a;
	char json[2048], u[32], sock[512], addr[600], body[256];
	char *dir = ts_mkdtemp("fakeagent-fakectl");
	assert_non_null(dir);
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	const char *args[] = {"--domain-socket", sock, NULL};
	start_agent(&a, args);
	struct fw_stream s;
	subscribe_launched(&a, "f1", &s);

	post_fake(&a, "/_fake/fail",
	          "{\"status\":503,\"count\":1,\"method\":\"POST\",\"path\":\"" PATH "\","
	          "\"body\":\"injected\"}",
	          200);
	new_uuid(u);
	update_json(json, sizeof(json), a.fid, "f1", "f1", "TASK_RUNNING", u, NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, body, sizeof(body)), 503);
	assert_string_equal(body, "injected");
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, NULL, 0), 202);

	cJSON *log = get_json(&a, "/_fake/requests");
	int calls = 0;
	const cJSON *e;
	cJSON_ArrayForEach (e, log) {
		const cJSON *path = cJSON_GetObjectItem(e, "path");
		calls += cJSON_IsString(path) && strcmp(path->valuestring, PATH) == 0;
	}
	cJSON_Delete(log);
	assert_int_equal(calls, 3); /* SUBSCRIBE, the refused UPDATE, the accepted one */

	snprintf(addr, sizeof(addr), "unix:%s", sock);
	struct fw_resp r;
	const char *h[] = {"Content-Type: application/json", NULL};
	const char *rule = "{\"status\":500}";
	assert_int_equal(fw_call(addr, "POST", "/_fake/fail", h, rule, strlen(rule), &r), 0);
	assert_int_not_equal(r.status, 200);
	fw_resp_free(&r);
	cJSON *faults = get_json(&a, "/_fake/faults");
	assert_int_equal(cJSON_GetArraySize(faults), 0);
	cJSON_Delete(faults);
	fw_stream_close(&s);
	stop_agent(&a);
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fault_rules_and_the_request_log_cover_the_executor_api),
	    cmocka_unit_test(test_every_row_of_the_check_table_in_json),
	    cmocka_unit_test(test_every_row_of_the_check_table_in_protobuf),
	    cmocka_unit_test(test_subscribe_streams_recordio_in_the_encoding_accept_chose),
	    cmocka_unit_test(test_the_raw_json_stream_is_length_prefixed_agent_style_json),
	    cmocka_unit_test(test_updates_are_acknowledged_unless_the_agent_ignores_them_json),
	    cmocka_unit_test(test_updates_are_acknowledged_unless_the_agent_ignores_them_protobuf),
	    cmocka_unit_test(test_dropped_and_delayed_acks_come_back_on_a_resend),
	    cmocka_unit_test(test_updates_after_a_terminal_one_are_acknowledged_but_change_nothing),
	    cmocka_unit_test(test_kill_for_a_task_whose_executor_is_terminating_is_ignored),
	    cmocka_unit_test(test_subscribe_of_a_terminated_executor_gets_shutdown_json),
	    cmocka_unit_test(test_subscribe_of_a_terminated_executor_gets_shutdown_protobuf),
	    cmocka_unit_test(
	        test_a_torn_down_framework_and_a_terminating_agent_shut_subscribers_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
