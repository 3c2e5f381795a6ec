/* Environment entries that hooks add for a task (hook_setenv, hooks/hook.h)
 * are validated: KEY=VALUE with KEY a shell identifier
 * ([A-Za-z_][A-Za-z0-9_]*); anything else fails the hook with a message
 * that quotes (a bounded part of) the entry, and is never added. The value
 * is free: '=', spaces, anything. */
#include "testsupport.h"

#include "common/str.h"
#include "hooks/hook.h"

#include <stdlib.h>
#include <string.h>

static void free_result(struct hook_result *r)
{
	strv_free_n(r->setenv, r->nsetenv);
	memset(r, 0, sizeof(*r));
}

static void test_key_value_entries_with_identifier_keys_are_added(void **state)
{
	const char *good[] = {"KEY=VALUE",       "_K=1",       "k9_x=", "A=b=c", "PATH=/x:/y z",
	                      "LONG_name_09=\t", "Z=;rm -rf /"};
	struct hook_result r = {0};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(hook_setenv(&r, good[i]), 0);
		assert_string_equal(r.setenv[i], good[i]);
	}
	assert_int_equal(r.nsetenv, sizeof(good) / sizeof(good[0]));
	assert_string_equal(r.error, "");
	free_result(&r);
}

static void test_entries_without_an_identifier_key_fail_and_are_not_added(void **state)
{
	const char *bad[] = {"",        "NOEQUALS", "=value", "1KEY=v", "K-EY=v", "K EY=v",
	                     "KEY\n=v", "K.EY=v",   "$KEY=v", "KÉY=v",  "\x01=v", " KEY=v"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hook_result r = {0};
		assert_int_equal(hook_setenv(&r, bad[i]), -1);
		assert_int_equal(r.nsetenv, 0);
		assert_non_null(strstr(r.error, "is not KEY=VALUE with KEY an identifier"));
		free_result(&r);
	}
	struct hook_result r = {0};
	assert_int_equal(hook_setenv(&r, NULL), -1);
	assert_int_equal(r.nsetenv, 0);
	free_result(&r);
}

static void test_a_huge_bad_entry_is_quoted_only_in_part(void **state)
{
	size_t n = 100000;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'x', n);
	big[0] = '-';
	big[n] = '\0';
	struct hook_result r = {0};
	assert_int_equal(hook_setenv(&r, big), -1);
	assert_true(strlen(r.error) < sizeof(r.error));
	assert_true(strlen(r.error) < 200);
	free_result(&r);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_value_entries_with_identifier_keys_are_added),
	    cmocka_unit_test(test_entries_without_an_identifier_key_fail_and_are_not_added),
	    cmocka_unit_test(test_a_huge_bad_entry_is_quoted_only_in_part),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
