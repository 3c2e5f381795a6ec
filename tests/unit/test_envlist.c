/* Building a process environment (common/envlist.h): one entry per name,
 * a later value taking the earlier one's place, names matched whole, and
 * strings that name nothing refused without touching the list. */
#include "testsupport.h"

#include "common/envlist.h"
#include "common/str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The entries joined by spaces. */
static void assert_env(char *const *v, const char *want)
{
	char got[256] = "";
	for (char *const *e = v; e && *e; e++) {
		if (*got)
			strcat(got, " ");
		strcat(got, *e);
	}
	assert_string_equal(got, want);
}

static void test_a_later_value_takes_the_earlier_ones_place(void **state)
{
	struct envlist l = {0};
	assert_int_equal(envlist_set(&l, "A", "1"), 0);
	assert_int_equal(envlist_put(&l, "B=2"), 0);
	assert_int_equal(envlist_set(&l, "C", NULL), 0);
	assert_int_equal(envlist_put(&l, "A=x=y"), 0);
	assert_env(l.v, "A=x=y B=2 C=");
	assert_int_equal(l.n, 3);
	assert_string_equal(envlist_get(l.v, "A"), "x=y");
	envlist_free(&l);
	assert_null(l.v);
}

static void test_names_are_matched_whole_not_by_prefix(void **state)
{
	struct envlist l = {0};
	envlist_set(&l, "PATHX", "1");
	assert_null(envlist_get(l.v, "PATH"));
	envlist_set(&l, "PATH", "2");
	assert_env(l.v, "PATHX=1 PATH=2");
	assert_string_equal(envlist_get(l.v, "PATHX"), "1");
	envlist_free(&l);
}

static void test_strings_that_name_nothing_are_refused(void **state)
{
	struct envlist l = {0};
	envlist_set(&l, "A", "1");
	const char *bad[] = {"NOEQUALS", "=value"};
	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		assert_int_equal(envlist_put(&l, bad[i]), -1);
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_int_equal(envlist_set(&l, "", "v"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(envlist_set(&l, "A=B", "v"), -1);
	assert_env(l.v, "A=1");
	envlist_free(&l);
}

static void test_the_vector_is_handed_over_even_when_empty(void **state)
{
	struct envlist l = {0};
	char **v = envlist_take(&l);
	assert_non_null(v);
	assert_null(v[0]);
	strv_free(v);
	envlist_set(&l, "K", "V");
	v = envlist_take(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	assert_env(v, "K=V");
	strv_free(v);
	assert_null(envlist_get(NULL, "K"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_later_value_takes_the_earlier_ones_place),
	    cmocka_unit_test(test_names_are_matched_whole_not_by_prefix),
	    cmocka_unit_test(test_strings_that_name_nothing_are_refused),
	    cmocka_unit_test(test_the_vector_is_handed_over_even_when_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
