/* base64 (common/base64.h) as Mesos writes bytes fields in JSON: RFC 4648
 * standard alphabet with padding on output; on input padding is optional,
 * whitespace is skipped and anything else is rejected. */
#include "testsupport.h"

#include "common/base64.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *raw, *b64;
} rfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void assert_decodes(const char *b64, const void *raw, size_t len)
{
	size_t n = 12345;
	uint8_t *out = b64_decode(b64, strlen(b64), &n);
	if (!out)
		fail_msg("'%s' rejected", b64);
	if (n != len || memcmp(out, raw, len) != 0)
		fail_msg("'%s' decoded to %zu bytes, want %zu", b64, n, len);
	free(out);
}

static void assert_rejected(const char *b64)
{
	size_t n = 12345;
	uint8_t *out = b64_decode(b64, strlen(b64), &n);
	if (out) {
		free(out);
		fail_msg("'%s' accepted", b64);
	}
}

static void test_rfc4648_vectors_encode_with_padding(void **state)
{
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		char *s = b64_encode((const uint8_t *)rfc4648[i].raw, strlen(rfc4648[i].raw));
		assert_non_null(s);
		assert_string_equal(s, rfc4648[i].b64);
		free(s);
	}
}

static void test_rfc4648_vectors_decode(void **state)
{
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++)
		assert_decodes(rfc4648[i].b64, rfc4648[i].raw, strlen(rfc4648[i].raw));
}

static void test_missing_padding_is_accepted(void **state)
{
	assert_decodes("Zg", "f", 1);
	assert_decodes("Zm8", "fo", 2);
	assert_decodes("Zm9vYg", "foob", 4);
	assert_decodes("q83vEjRWR5iqu8zd7v8AEQ",
	               "\xab\xcd\xef\x12\x34\x56\x47\x98\xaa\xbb\xcc\xdd\xee\xff\x00\x11", 16);
}

static void test_whitespace_is_skipped(void **state)
{
	assert_decodes(" Zm9v\nYmFy\r\n", "foobar", 6);
	assert_decodes("Zm9v\tYg = =", "foob", 4);
}

static void test_empty_input_decodes_to_zero_bytes_not_null(void **state)
{
	assert_decodes("", "", 0);
	assert_decodes("  \n", "", 0);
}

static void test_characters_outside_the_alphabet_are_rejected(void **state)
{
	assert_rejected("Zm9v!");
	assert_rejected("Zm9-"); /* URL-safe alphabet is not Mesos' */
	assert_rejected("Zm9_");
	assert_rejected("Zm9v\x80");
	size_t n;
	assert_null(b64_decode("Zm\0v", 4, &n)); /* an embedded NUL */
}

static void test_misplaced_or_excess_padding_is_rejected(void **state)
{
	assert_rejected("Zg==Zg==");
	assert_rejected("Z=g=");
	assert_rejected("Zg===");
	assert_rejected("=");
}

static void test_impossible_lengths_are_rejected(void **state)
{
	assert_rejected("Z");
	assert_rejected("Zm9vY");
	assert_rejected("Z===");
}

static void test_every_byte_value_and_length_round_trips(void **state)
{
	uint8_t raw[256];
	for (int i = 0; i < 256; i++)
		raw[i] = (uint8_t)(255 - i);
	for (size_t len = 0; len <= sizeof(raw); len++) {
		char *s = b64_encode(raw, len);
		assert_non_null(s);
		assert_int_equal(strlen(s), 4 * ((len + 2) / 3));
		assert_decodes(s, raw, len);
		/* and without its padding */
		size_t l = strlen(s);
		while (l && s[l - 1] == '=')
			s[--l] = '\0';
		assert_decodes(s, raw, len);
		free(s);
	}
}

static void test_decode_reads_only_the_given_length(void **state)
{
	size_t n;
	uint8_t *out = b64_decode("Zm9vYmFy", 4, &n);
	assert_non_null(out);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "foo", 3);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc4648_vectors_encode_with_padding),
	    cmocka_unit_test(test_rfc4648_vectors_decode),
	    cmocka_unit_test(test_missing_padding_is_accepted),
	    cmocka_unit_test(test_whitespace_is_skipped),
	    cmocka_unit_test(test_empty_input_decodes_to_zero_bytes_not_null),
	    cmocka_unit_test(test_characters_outside_the_alphabet_are_rejected),
	    cmocka_unit_test(test_misplaced_or_excess_padding_is_rejected),
	    cmocka_unit_test(test_impossible_lengths_are_rejected),
	    cmocka_unit_test(test_every_byte_value_and_length_round_trips),
	    cmocka_unit_test(test_decode_reads_only_the_given_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
