/* The fake agent's Accept negotiation for SUBSCRIBE streams, as libprocess
 * and the agent do it: no header or any wildcard gives JSON (tried first),
 * q=0 refuses a type, the most specific range decides its q, names compare
 * case-insensitively, and --only-encoding narrows the choice. */
#include "testsupport.h"

#include "fakeagent/agent/internal.h"

static void test_no_accept_or_wildcards_choose_json(void **state)
{
	assert_int_equal(fa_accept_negotiate(NULL, -1), MESOS_JSON);
	assert_int_equal(fa_accept_negotiate("*/*", -1), MESOS_JSON);
	assert_int_equal(fa_accept_negotiate("application/*", -1), MESOS_JSON);
	/* JSON is tried first whatever the q values say */
	assert_int_equal(
	    fa_accept_negotiate("application/x-protobuf;q=1, application/json;q=0.1", -1),
	    MESOS_JSON);
}

static void test_exact_types_and_case(void **state)
{
	assert_int_equal(fa_accept_negotiate("application/x-protobuf", -1), MESOS_PROTOBUF);
	assert_int_equal(fa_accept_negotiate("APPLICATION/JSON", -1), MESOS_JSON);
	assert_int_equal(fa_accept_negotiate(" text/html , application/x-protobuf ; q=0.5", -1),
	                 MESOS_PROTOBUF);
}

static void test_q_zero_refuses_and_the_most_specific_range_wins(void **state)
{
	assert_int_equal(fa_accept_negotiate("application/json;q=0, */*", -1), MESOS_PROTOBUF);
	assert_int_equal(fa_accept_negotiate("*/*;q=0, application/json", -1), MESOS_JSON);
	assert_int_equal(fa_accept_negotiate("application/*;q=0", -1), -1);
}

static void test_unservable_types_get_nothing(void **state)
{
	assert_int_equal(fa_accept_negotiate("foo", -1), -1);
	assert_int_equal(fa_accept_negotiate("application/recordio", -1), -1);
	assert_int_equal(fa_accept_negotiate("text/*", -1), -1);
}

static void test_only_encoding_narrows_the_choice(void **state)
{
	assert_int_equal(fa_accept_negotiate(NULL, MESOS_PROTOBUF), MESOS_PROTOBUF);
	assert_int_equal(fa_accept_negotiate("*/*", MESOS_PROTOBUF), MESOS_PROTOBUF);
	assert_int_equal(fa_accept_negotiate("application/json", MESOS_PROTOBUF), -1);
	assert_int_equal(fa_accept_negotiate("application/x-protobuf", MESOS_JSON), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_accept_or_wildcards_choose_json),
	    cmocka_unit_test(test_exact_types_and_case),
	    cmocka_unit_test(test_q_zero_refuses_and_the_most_specific_range_wins),
	    cmocka_unit_test(test_unservable_types_get_nothing),
	    cmocka_unit_test(test_only_encoding_narrows_the_choice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
