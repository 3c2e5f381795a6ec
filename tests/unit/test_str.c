/* Strings and string vectors (common/str.h): an empty setting copied as
 * unset, a NULL-ended vector copied whole and apart from the original, NULL
 * taken as the empty vector, and the two kinds of vector freed with what
 * they hold (ASan's leak check watches). */
#include "testsupport.h"

#include "common/str.h"

#include <stdlib.h>
#include <string.h>

static void test_an_empty_string_is_copied_as_unset(void **state)
{
	assert_null(str_dup_nonempty(NULL));
	assert_null(str_dup_nonempty(""));
	char s[] = "x";
	char *c = str_dup_nonempty(s);
	assert_non_null(c);
	assert_ptr_not_equal(c, s);
	assert_string_equal(c, "x");
	free(c);
}

static void test_a_copied_vector_holds_copies_of_every_string(void **state)
{
	char a[] = "A=1", b[] = "B=2";
	const char *v[] = {a, b, NULL};
	char **c = strv_dup(v);
	assert_non_null(c);
	assert_int_equal(strv_len((const char *const *)c), 2);
	a[0] = 'X'; /* the copy does not share the strings */
	assert_string_equal(c[0], "A=1");
	assert_string_equal(c[1], "B=2");
	assert_null(c[2]);
	strv_free(c);
}

static void test_null_is_the_empty_vector(void **state)
{
	assert_int_equal(strv_len(NULL), 0);
	char **c = strv_dup(NULL);
	assert_non_null(c);
	assert_null(c[0]);
	strv_free(c);
	strv_free(NULL);
	strv_free_n(NULL, 3);
}

static void test_a_counted_vector_is_freed_with_its_strings_and_holes(void **state)
{
	char **v = calloc(3, sizeof(*v));
	v[0] = strdup("one");
	v[2] = strdup("three"); /* v[1] never set */
	strv_free_n(v, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_an_empty_string_is_copied_as_unset),
	    cmocka_unit_test(test_a_copied_vector_holds_copies_of_every_string),
	    cmocka_unit_test(test_null_is_the_empty_vector),
	    cmocka_unit_test(test_a_counted_vector_is_freed_with_its_strings_and_holes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
