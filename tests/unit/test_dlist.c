/* Intrusive lists (common/dlist.h): elements come out from the front, the
 * middle and the end with the others still linked in order, and taking out
 * an element that is in no list leaves the list alone. */
#include "testsupport.h"

#include "common/dlist.h"

#include <stdio.h>

struct item {
	int id;
	struct item *prev, *next;
};

/* The ids from head to tail, as "3 2 1"; checks the back links too. */
static void assert_list(struct item *head, const char *want)
{
	char got[64] = "";
	size_t n = 0;
	struct item *prev = NULL;
	for (struct item *i = head; i; prev = i, i = i->next) {
		assert_ptr_equal(i->prev, prev);
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%d", n ? " " : "", i->id);
	}
	assert_string_equal(got, want);
}

static void test_elements_leave_from_anywhere_and_the_rest_stay_linked(void **state)
{
	struct item a = {.id = 1}, b = {.id = 2}, c = {.id = 3}, d = {.id = 4};
	struct item *head = NULL;
	DLIST_ADD(head, &a);
	DLIST_ADD(head, &b);
	DLIST_ADD(head, &c);
	DLIST_ADD(head, &d);
	assert_list(head, "4 3 2 1");
	DLIST_DEL(head, &c); /* the middle */
	assert_list(head, "4 2 1");
	assert_null(c.prev);
	assert_null(c.next);
	DLIST_DEL(head, &d); /* the front */
	assert_list(head, "2 1");
	DLIST_DEL(head, &a); /* the end */
	assert_list(head, "2");
	DLIST_DEL(head, &b);
	assert_null(head);
}

static void test_taking_out_an_element_in_no_list_changes_nothing(void **state)
{
	struct item a = {.id = 1}, b = {.id = 2}, loose = {.id = 9};
	struct item *head = NULL;
	DLIST_ADD(head, &a);
	DLIST_ADD(head, &b);
	DLIST_DEL(head, &loose);
	assert_list(head, "2 1");
	DLIST_DEL(head, &b);
	DLIST_DEL(head, &b); /* twice */
	assert_list(head, "1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_elements_leave_from_anywhere_and_the_rest_stay_linked),
	    cmocka_unit_test(test_taking_out_an_element_in_no_list_changes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
