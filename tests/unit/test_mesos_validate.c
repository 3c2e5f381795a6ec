/* The agent's validateExecutorCall (proto/mesos.h; Mesos
 * src/common/validation.cpp): each rule for
 * UPDATE (uuid, executor id, source, TASK_STAGING, check_status) and the
 * payload that SUBSCRIBE, UPDATE and MESSAGE must carry. Calls are decoded
 * from JSON, as the fake agent receives them. */
#include "testsupport.h"

#include "proto/mesos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[512];

#define IDS       "\"executor_id\":{\"value\":\"e1\"},\"framework_id\":{\"value\":\"f1\"}"
#define GOOD_UUID "\"uuid\":\"q83vEjRWR5iqu8zd7v8AEQ==\""

/* An UPDATE whose status holds `status_fields` after task_id. */
static mesos_call *update_call(const char *status_fields)
{
	char json[2048];
	snprintf(json, sizeof(json),
	         "{\"type\":\"UPDATE\"," IDS ",\"update\":{\"status\":{\"task_id\":{\"value\":"
	         "\"t1\"}%s%s}}}",
	         *status_fields ? "," : "", status_fields);
	mesos_call *c =
	    mesos_call_decode(MESOS_JSON, (const uint8_t *)json, strlen(json), err, sizeof(err));
	if (!c)
		fail_msg("%s: %s", json, err);
	return c;
}

static mesos_call *call_json(const char *json)
{
	mesos_call *c =
	    mesos_call_decode(MESOS_JSON, (const uint8_t *)json, strlen(json), err, sizeof(err));
	if (!c)
		fail_msg("%s: %s", json, err);
	return c;
}

static void assert_valid(mesos_call *c)
{
	err[0] = '\0';
	if (mesos_validate_call(c, err, sizeof(err)) != 0)
		fail_msg("rejected: %s", err);
	protobuf_c_message_free_unpacked(&c->base, NULL);
}

static void assert_invalid(mesos_call *c, const char *want)
{
	err[0] = '\0';
	assert_int_equal(mesos_validate_call(c, err, sizeof(err)), -1);
	if (strcmp(err, want) != 0)
		fail_msg("error '%s', expected '%s'", err, want);
	protobuf_c_message_free_unpacked(&c->base, NULL);
}

#define RUNNING_FROM_EXECUTOR "\"state\":\"TASK_RUNNING\",\"source\":\"SOURCE_EXECUTOR\""

static void test_well_formed_update_is_valid(void **state)
{
	assert_valid(update_call(RUNNING_FROM_EXECUTOR "," GOOD_UUID));
	assert_valid(
	    update_call(RUNNING_FROM_EXECUTOR "," GOOD_UUID ",\"executor_id\":{\"value\":\"e1\"}"));
}

static void test_update_without_uuid_is_invalid(void **state)
{
	assert_invalid(update_call(RUNNING_FROM_EXECUTOR), "Expecting 'uuid' to be present");
}

/* stout's UUID::fromBytes says no more than this, whatever is wrong */
#define NOT_A_UUID "Not a valid UUID"

static void test_update_uuid_must_be_16_bytes(void **state)
{
	/* "dummy_uuid", as upstream's StatusUpdateCallFailedValidation sends */
	assert_invalid(update_call(RUNNING_FROM_EXECUTOR ",\"uuid\":\"ZHVtbXlfdXVpZA==\""),
	               NOT_A_UUID);
	assert_invalid(update_call(RUNNING_FROM_EXECUTOR ",\"uuid\":\"q83vEjRWR5iqu8zd7v8A\""),
	               NOT_A_UUID);
	assert_invalid(update_call(RUNNING_FROM_EXECUTOR ",\"uuid\":\"q83vEjRWR5iqu8zd7v8AEQA=\""),
	               NOT_A_UUID);
	assert_invalid(update_call(RUNNING_FROM_EXECUTOR ",\"uuid\":\"\""), NOT_A_UUID);
}

static void test_update_uuid_version_must_be_1_to_5(void **state)
{
	/* Byte 6 of q83vEjRWR5iqu8zd7v8AEQ== is 0x47; vary its high nibble. */
	static const struct {
		const char *b64;
		int version;
	} cases[] = {
	    {"q83vEjRWB5iqu8zd7v8AEQ==", 0}, {"q83vEjRWF5iqu8zd7v8AEQ==", 1},
	    {"q83vEjRWJ5iqu8zd7v8AEQ==", 2}, {"q83vEjRWN5iqu8zd7v8AEQ==", 3},
	    {"q83vEjRWR5iqu8zd7v8AEQ==", 4}, {"q83vEjRWV5iqu8zd7v8AEQ==", 5},
	    {"q83vEjRWZ5iqu8zd7v8AEQ==", 6}, {"q83vEjRW95iqu8zd7v8AEQ==", 15},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char fields[256];
		snprintf(fields, sizeof(fields), RUNNING_FROM_EXECUTOR ",\"uuid\":\"%s\"",
		         cases[i].b64);
		mesos_call *c = update_call(fields);
		assert_int_equal(c->update->status->uuid.data[6] >> 4, cases[i].version);
		assert_int_equal(mesos_uuid_valid(&c->update->status->uuid),
		                 cases[i].version >= 1 && cases[i].version <= 5);
		if (cases[i].version >= 1 && cases[i].version <= 5)
			assert_valid(c);
		else
			assert_invalid(c, NOT_A_UUID);
	}
}

static void test_update_executor_id_must_match_the_call(void **state)
{
	assert_invalid(
	    update_call(RUNNING_FROM_EXECUTOR "," GOOD_UUID ",\"executor_id\":{\"value\":\"e2\"}"),
	    "ExecutorID in Call: e1 does not match ExecutorID in TaskStatus: e2");
}

/* The agent's texts name the executor and the framework. */
#define BAD_SOURCE                                                                                 \
	"Received Call from executor e1 of framework f1 with invalid source, expecting "           \
	"'SOURCE_EXECUTOR'"

static void test_update_source_must_be_executor(void **state)
{
	assert_invalid(update_call("\"state\":\"TASK_RUNNING\"," GOOD_UUID), BAD_SOURCE);
	assert_invalid(
	    update_call("\"state\":\"TASK_RUNNING\",\"source\":\"SOURCE_MASTER\"," GOOD_UUID),
	    BAD_SOURCE);
	assert_invalid(
	    update_call("\"state\":\"TASK_RUNNING\",\"source\":\"SOURCE_AGENT\"," GOOD_UUID),
	    BAD_SOURCE);
	/* An unknown source name is dropped while decoding, so it counts as unset. */
	assert_invalid(update_call("\"state\":\"TASK_RUNNING\",\"source\":\"SOURCE_X\"," GOOD_UUID),
	               BAD_SOURCE);
}

static void test_update_may_not_report_task_staging(void **state)
{
	assert_invalid(
	    update_call("\"state\":\"TASK_STAGING\",\"source\":\"SOURCE_EXECUTOR\"," GOOD_UUID),
	    "Received TASK_STAGING from executor e1 of framework f1 which is not allowed");
	/* TASK_STARTING is 0, the value an unset state would also have. */
	assert_valid(
	    update_call("\"state\":\"TASK_STARTING\",\"source\":\"SOURCE_EXECUTOR\"," GOOD_UUID));
}

static void test_update_check_status_needs_a_type_and_its_result(void **state)
{
	static const struct {
		const char *check_status;
		const char *error; /* NULL: valid */
	} cases[] = {
	    {"{}", "CheckStatusInfo must specify a type other than UNKNOWN"},
	    {"{\"type\":\"UNKNOWN\"}", "CheckStatusInfo must specify a type other than UNKNOWN"},
	    {"{\"type\":\"COMMAND\"}", "Expecting 'command' to be set for COMMAND check's status"},
	    {"{\"type\":\"HTTP\",\"command\":{}}",
	     "Expecting 'http' to be set for HTTP check's status"},
	    {"{\"type\":\"TCP\",\"http\":{}}", "Expecting 'tcp' to be set for TCP check's status"},
	    {"{\"type\":\"COMMAND\",\"command\":{}}", NULL},
	    {"{\"type\":\"COMMAND\",\"command\":{\"exit_code\":1}}", NULL},
	    {"{\"type\":\"HTTP\",\"http\":{\"status_code\":200}}", NULL},
	    {"{\"type\":\"TCP\",\"tcp\":{\"succeeded\":true}}", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char fields[512];
		snprintf(fields, sizeof(fields),
		         RUNNING_FROM_EXECUTOR "," GOOD_UUID ",\"check_status\":%s",
		         cases[i].check_status);
		if (cases[i].error)
			assert_invalid(update_call(fields), cases[i].error);
		else
			assert_valid(update_call(fields));
	}
}

static void test_rules_are_checked_in_the_agents_order(void **state)
{
	/* Everything wrong at once: the uuid is reported first, as by the agent. */
	assert_invalid(update_call("\"state\":\"TASK_STAGING\",\"executor_id\":{\"value\":\"x\"}"),
	               "Expecting 'uuid' to be present");
	/* Then the executor id, before the source. */
	assert_invalid(update_call("\"state\":\"TASK_STAGING\"," GOOD_UUID
	                           ",\"executor_id\":{\"value\":\"x\"}"),
	               "ExecutorID in Call: e1 does not match ExecutorID in TaskStatus: x");
}

static void test_each_call_type_needs_its_payload(void **state)
{
	assert_invalid(call_json("{\"type\":\"SUBSCRIBE\"," IDS "}"),
	               "Expecting 'subscribe' to be present");
	assert_invalid(call_json("{\"type\":\"UPDATE\"," IDS "}"),
	               "Expecting 'update' to be present");
	assert_invalid(call_json("{\"type\":\"MESSAGE\"," IDS "}"),
	               "Expecting 'message' to be present");
	assert_invalid(call_json("{" IDS "}"), "Expecting 'type' to be present");
	assert_valid(call_json("{\"type\":\"SUBSCRIBE\"," IDS ",\"subscribe\":{}}"));
	assert_valid(call_json("{\"type\":\"MESSAGE\"," IDS ",\"message\":{\"data\":\"\"}}"));
}

static void test_heartbeat_and_unknown_calls_need_nothing_else(void **state)
{
	assert_valid(call_json("{\"type\":\"HEARTBEAT\",\"executor_id\":{\"value\":\"unused\"},"
	                       "\"framework_id\":{\"value\":\"unused\"}}"));
	assert_valid(call_json("{\"type\":\"UNKNOWN\"," IDS "}"));
}

static void test_hand_built_call_without_ids_is_invalid_not_a_crash(void **state)
{
	mesos_call c = MESOS__V1__EXECUTOR__CALL__INIT;
	Mesos__V1__Executor__Call__Update up = MESOS__V1__EXECUTOR__CALL__UPDATE__INIT;
	c.has_type = 1;
	c.type = MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE;
	c.update = &up;
	assert_int_equal(mesos_validate_call(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "Expecting 'executor_id' to be present");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_well_formed_update_is_valid),
	    cmocka_unit_test(test_update_without_uuid_is_invalid),
	    cmocka_unit_test(test_update_uuid_must_be_16_bytes),
	    cmocka_unit_test(test_update_uuid_version_must_be_1_to_5),
	    cmocka_unit_test(test_update_executor_id_must_match_the_call),
	    cmocka_unit_test(test_update_source_must_be_executor),
	    cmocka_unit_test(test_update_may_not_report_task_staging),
	    cmocka_unit_test(test_update_check_status_needs_a_type_and_its_result),
	    cmocka_unit_test(test_rules_are_checked_in_the_agents_order),
	    cmocka_unit_test(test_each_call_type_needs_its_payload),
	    cmocka_unit_test(test_heartbeat_and_unknown_calls_need_nothing_else),
	    cmocka_unit_test(test_hand_built_call_without_ids_is_invalid_not_a_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
