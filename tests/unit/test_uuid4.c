/* UUIDs and random bytes from the kernel (common/uuid4.h): version 4 UUIDs
 * carry their version and variant bits, print in the canonical lower-case
 * form, and do not repeat; version 1 strings carry the current time. */
#include "testsupport.h"

#include "common/uuid4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void assert_canonical(const char *s)
{
	assert_int_equal(strlen(s), 36);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(s[i], '-');
		else if (!strchr("0123456789abcdef", s[i]))
			fail_msg("'%s': '%c' at %d", s, s[i], i);
	}
}

static void test_a_v4_uuid_has_its_version_and_variant_bits(void **state)
{
	for (int i = 0; i < 200; i++) {
		uint8_t u[16];
		char s[37];
		uuid4_new(u);
		assert_int_equal(u[6] >> 4, 4);
		assert_int_equal(u[8] >> 6, 2);
		uuid4_format(u, s);
		assert_canonical(s);
		assert_int_equal(s[14], '4');
		assert_non_null(strchr("89ab", s[19]));
	}
}

static void test_the_canonical_form_is_lower_case_hex_in_groups(void **state)
{
	const uint8_t u[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
	                       0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0xff};
	char s[37];
	uuid4_format(u, s);
	assert_string_equal(s, "123e4567-e89b-12d3-a456-4266141740ff");
}

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void test_ten_thousand_v4_uuids_are_all_different(void **state)
{
	enum { N = 10000 };
	uint8_t(*u)[16] = malloc(N * 16);
	assert_non_null(u);
	for (int i = 0; i < N; i++)
		uuid4_new(u[i]);
	qsort(u, N, 16, cmp16);
	for (int i = 1; i < N; i++)
		assert_true(memcmp(u[i - 1], u[i], 16) != 0);
	free(u);
}

static void test_random_bytes_fill_the_whole_buffer(void **state)
{
	/* 4096 bytes that all stay 0 (or any other one value) would be a bug */
	uint8_t b[4096];
	memset(b, 0, sizeof(b));
	uuid4_random(b, sizeof(b));
	int counts[256] = {0};
	for (size_t i = 0; i < sizeof(b); i++)
		counts[b[i]]++;
	for (int v = 0; v < 256; v++)
		assert_true(counts[v] < 200); /* expected 16 each */
	assert_true(counts[0] < 200);
	assert_true(b[sizeof(b) - 1] != 0 || b[sizeof(b) - 2] != 0 || b[sizeof(b) - 3] != 0);
}

/* 100 ns ticks since 1582-10-15 in a version 1 string, as seconds since 1970. */
static double v1_time(const char *s)
{
	char hex[16];
	/* time_hi (without the version) + time_mid + time_low */
	snprintf(hex, sizeof(hex), "%.3s%.4s%.8s", s + 15, s + 9, s);
	unsigned long long t = strtoull(hex, NULL, 16);
	return (double)(t - 0x01b21dd213814000ULL) / 1e7;
}

static void test_a_v1_uuid_carries_the_time_and_a_random_multicast_node(void **state)
{
	char a[37], b[37];
	double before = (double)time(NULL);
	uuid1_string(a);
	uuid1_string(b);
	double after = (double)time(NULL) + 1;
	assert_canonical(a);
	assert_int_equal(a[14], '1');
	assert_non_null(strchr("89ab", a[19]));
	assert_true(v1_time(a) >= before && v1_time(a) <= after);
	assert_true(v1_time(b) >= v1_time(a));
	/* the node's first octet has the multicast bit: not a MAC address */
	assert_true(strtoul((char[]){a[24], a[25], 0}, NULL, 16) & 1);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_v4_uuid_has_its_version_and_variant_bits),
	    cmocka_unit_test(test_the_canonical_form_is_lower_case_hex_in_groups),
	    cmocka_unit_test(test_ten_thousand_v4_uuids_are_all_different),
	    cmocka_unit_test(test_random_bytes_fill_the_whole_buffer),
	    cmocka_unit_test(test_a_v1_uuid_carries_the_time_and_a_random_multicast_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
