/* Typed environment variables (common/envcfg.h): every malformed value is
 * reported with the variable's name and the value, errors are collected so
 * one line can name them all, and ALLEGRO_EXECUTOR_<X> falls back to <X>. */
#include "testsupport.h"

#include "common/duration.h"
#include "common/envcfg.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fake environment: NULL-terminated name/value pairs. */
static const char *lookup(const char *name, void *data)
{
	const char *const *kv = data;
	for (; kv[0]; kv += 2)
		if (strcmp(kv[0], name) == 0)
			return kv[1];
	return NULL;
}

static struct envcfg env(const char *const *kv)
{
	struct envcfg e = {.lookup = lookup, .lookup_data = (void *)kv};
	return e;
}

static void test_booleans_take_go_spellings(void **state)
{
	static const char *yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *no[] = {"0", "f", "F", "false", "FALSE", "False"};
	struct envcfg e = {0};
	for (size_t i = 0; i < 6; i++) {
		assert_true(envcfg_bool(&e, "B", yes[i], false));
		assert_false(envcfg_bool(&e, "B", no[i], true));
	}
	assert_true(envcfg_bool(&e, "B", NULL, true));
	assert_false(envcfg_bool(&e, "B", NULL, false));
	assert_int_equal(e.nerrors, 0);
	assert_string_equal(e.errors, "");
}

static void test_bad_boolean_names_the_variable_and_keeps_the_default(void **state)
{
	struct envcfg e = {0};
	assert_true(envcfg_bool(&e, "ALLEGRO_EXECUTOR_DEBUG", "yes", true));
	assert_int_equal(e.nerrors, 1);
	assert_string_equal(e.errors, "ALLEGRO_EXECUTOR_DEBUG: expected true or false, got 'yes'");
}

static void test_durations_take_go_or_mesos_spellings(void **state)
{
	struct envcfg e = {0};
	assert_true(envcfg_duration(&e, "D", "5s", 0) == 5 * DURATION_NS_PER_SEC);
	assert_true(envcfg_duration(&e, "D", "1m30s", 0) == 90 * DURATION_NS_PER_SEC);
	assert_true(envcfg_duration(&e, "D", "250ms", 0) == 250 * DURATION_NS_PER_MS);
	assert_true(envcfg_duration(&e, "D", "5secs", 0) == 5 * DURATION_NS_PER_SEC);
	assert_true(envcfg_duration(&e, "D", NULL, 77) == 77);
	assert_int_equal(e.nerrors, 0);
}

static void test_bad_duration_names_the_variable(void **state)
{
	struct envcfg e = {0};
	assert_true(envcfg_duration(&e, "ALLEGRO_EXECUTOR_KILL_GRACE", "5 parsecs", 9) == 9);
	assert_true(envcfg_duration(&e, "X", "-5s", 9) == 9);
	assert_int_equal(e.nerrors, 2);
	assert_string_equal(e.errors, "ALLEGRO_EXECUTOR_KILL_GRACE: expected a duration like 5s, "
	                              "1m30s or 5secs, got '5 parsecs'; X: expected a duration "
	                              "like 5s, 1m30s or 5secs, got '-5s'");
}

static void test_mesos_durations_refuse_go_spelling(void **state)
{
	struct envcfg e = {0};
	assert_true(envcfg_mesos_duration(&e, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs", 0) ==
	            5 * DURATION_NS_PER_SEC);
	assert_true(envcfg_mesos_duration(&e, "MESOS_RECOVERY_TIMEOUT", "15mins", 0) ==
	            15 * 60 * DURATION_NS_PER_SEC);
	assert_int_equal(e.nerrors, 0);
	assert_true(envcfg_mesos_duration(&e, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5s", 3) ==
	            3);
	assert_int_equal(e.nerrors, 1);
	assert_string_equal(e.errors, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: expected a Mesos "
	                              "duration like 5secs, 250ms or 15mins, got '5s'");
}

static void test_integers_are_checked_for_form_and_range(void **state)
{
	struct envcfg e = {0};
	assert_int_equal(envcfg_long(&e, "N", "42", 0, 1, 100), 42);
	assert_int_equal(envcfg_long(&e, "N", "-3", 0, -5, 5), -3);
	assert_int_equal(envcfg_long(&e, "N", "+7", 0, 0, 10), 7);
	assert_int_equal(envcfg_long(&e, "N", NULL, 9, 0, 10), 9);
	assert_int_equal(e.nerrors, 0);

	static const char *bad[] = {
	    "", "abc", "12x", " 5", "5 ", "0x10", "101", "0", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct envcfg e2 = {0};
		char want[128];
		assert_int_equal(envcfg_long(&e2, "ALLEGRO_EXECUTOR_PORT", bad[i], 8, 1, 100), 8);
		snprintf(want, sizeof(want),
		         "ALLEGRO_EXECUTOR_PORT: expected an integer from 1 to 100, got '%s'",
		         bad[i]);
		assert_string_equal(e2.errors, want);
	}
	/* strtol saturates at LONG_MAX: that is an error, not the maximum. */
	struct envcfg e3 = {0};
	assert_int_equal(envcfg_long(&e3, "N", "99999999999999999999999", 1, 0, LONG_MAX), 1);
	assert_int_equal(e3.nerrors, 1);
}

static void test_many_errors_are_all_counted_and_never_overflow(void **state)
{
	struct envcfg e = {0};
	char name[64];
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "ALLEGRO_EXECUTOR_SOME_LONG_VARIABLE_NAME_%d", i);
		envcfg_bool(&e, name, "maybe", false);
	}
	assert_int_equal(e.nerrors, 200);
	assert_true(strlen(e.errors) < sizeof(e.errors));
	assert_non_null(strstr(e.errors, "ALLEGRO_EXECUTOR_SOME_LONG_VARIABLE_NAME_0: expected"));
}

static void test_allegro_prefix_wins_over_the_bare_name(void **state)
{
	static const char *kv[] = {"ALLEGRO_EXECUTOR_CONSUL_TOKEN",
	                           "prefixed",
	                           "CONSUL_TOKEN",
	                           "bare",
	                           "VAAS_URL",
	                           "http://vaas",
	                           NULL};
	struct envcfg e = env(kv);
	const char *used = NULL;
	assert_string_equal(envcfg_allegro(&e, "CONSUL_TOKEN", &used), "prefixed");
	assert_string_equal(used, "ALLEGRO_EXECUTOR_CONSUL_TOKEN");
	assert_string_equal(envcfg_allegro(&e, "VAAS_URL", &used), "http://vaas");
	assert_string_equal(used, "VAAS_URL");
	/* Unset: NULL, and the name to mention is the prefixed one. */
	assert_null(envcfg_allegro(&e, "MISSING", &used));
	assert_string_equal(used, "ALLEGRO_EXECUTOR_MISSING");
	assert_null(envcfg_allegro(&e, "MISSING", NULL));
}

static void test_without_a_lookup_the_process_environment_is_read(void **state)
{
	struct envcfg e = {0};
	setenv("WIRE_ENVCFG_TEST", "t", 1);
	assert_string_equal(envcfg_get(&e, "WIRE_ENVCFG_TEST"), "t");
	assert_true(envcfg_bool(&e, "WIRE_ENVCFG_TEST", envcfg_get(&e, "WIRE_ENVCFG_TEST"), false));
	unsetenv("WIRE_ENVCFG_TEST");
	assert_null(envcfg_get(&e, "WIRE_ENVCFG_TEST"));
}

static void test_callers_can_add_their_own_errors(void **state)
{
	struct envcfg e = {0};
	envcfg_fail(&e, "%s: must be set", "MESOS_FRAMEWORK_ID");
	envcfg_fail(&e, "%s: must be set", "MESOS_EXECUTOR_ID");
	assert_int_equal(e.nerrors, 2);
	assert_string_equal(e.errors,
	                    "MESOS_FRAMEWORK_ID: must be set; MESOS_EXECUTOR_ID: must be set");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_booleans_take_go_spellings),
	    cmocka_unit_test(test_bad_boolean_names_the_variable_and_keeps_the_default),
	    cmocka_unit_test(test_durations_take_go_or_mesos_spellings),
	    cmocka_unit_test(test_bad_duration_names_the_variable),
	    cmocka_unit_test(test_mesos_durations_refuse_go_spelling),
	    cmocka_unit_test(test_integers_are_checked_for_form_and_range),
	    cmocka_unit_test(test_many_errors_are_all_counted_and_never_overflow),
	    cmocka_unit_test(test_allegro_prefix_wins_over_the_bare_name),
	    cmocka_unit_test(test_without_a_lookup_the_process_environment_is_read),
	    cmocka_unit_test(test_callers_can_add_their_own_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
