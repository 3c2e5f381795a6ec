/* RecordIO framing (proto/recordio.h): the decoder must yield the same
 * records however the stream is cut into pieces, reject malformed lengths
 * with a message that says what was wrong, refuse oversized records before
 * allocating for them, and report a stream that ends inside a record. */
#include "testsupport.h"

#include "proto/recordio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECS 16

/* What the callback saw: copies of every record, in order. */
struct seen {
	int n;
	size_t len[MAX_RECS];
	uint8_t *rec[MAX_RECS]; /* owned */
	int stop_after;         /* callback returns 7 after this many records (0: never) */
};

static int on_record(void *data, const uint8_t *rec, size_t len)
{
	struct seen *s = data;
	assert_true(s->n < MAX_RECS);
	s->rec[s->n] = malloc(len ? len : 1);
	assert_non_null(s->rec[s->n]);
	memcpy(s->rec[s->n], rec, len);
	s->len[s->n] = len;
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? 7 : 0;
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->rec[i]);
	memset(s, 0, sizeof(*s));
}

static void assert_same_records(const struct seen *a, const struct seen *b)
{
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		assert_int_equal(a->len[i], b->len[i]);
		assert_memory_equal(a->rec[i], b->rec[i], a->len[i]);
	}
}

/* A stream of records of awkward sizes and contents: payloads that hold
 * newlines and digits, a one-byte record, and one longer than 100 bytes so
 * its length has three digits. */
struct stream {
	uint8_t bytes[1024];
	size_t len;
	struct seen expect;
};

static void stream_add(struct stream *s, const void *payload, size_t len)
{
	size_t n;
	uint8_t *rec = recordio_encode(payload, len, &n);
	assert_non_null(rec);
	assert_true(s->len + n <= sizeof(s->bytes));
	memcpy(s->bytes + s->len, rec, n);
	s->len += n;
	free(rec);
	on_record(&s->expect, payload, len);
}

static void stream_build(struct stream *s)
{
	char big[130];
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('0' + i % 10);
	big[50] = '\n';
	stream_add(s, "{\"type\":\"HEARTBEAT\"}", 20);
	stream_add(s, "12\n34", 5);
	stream_add(s, "x", 1);
	stream_add(s, big, sizeof(big));
	stream_add(s, "\n\n\n", 3);
	stream_add(s, "{\"type\":\"SHUTDOWN\"}", 19);
}

/* Feeds the stream cut at the given offsets (ascending, may repeat). */
static void feed_split(const struct stream *s, const size_t *cuts, int ncuts, struct seen *got)
{
	struct recordio_decoder d;
	size_t from = 0;
	recordio_decoder_init(&d, 0);
	for (int i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : s->len;
		int rc = recordio_decoder_feed(&d, s->bytes + from, to - from, on_record, got);
		assert_int_equal(rc, 0);
		from = to;
	}
	assert_int_equal(recordio_decoder_finish(&d), 0);
	recordio_decoder_free(&d);
}

static void test_whole_stream_in_one_piece_yields_every_record(void **state)
{
	struct stream s;
	struct seen got = {0};
	stream_build(&s);
	feed_split(&s, NULL, 0, &got);
	assert_same_records(&got, &s.expect);
	assert_int_equal(got.n, 6);
	assert_int_equal(got.len[3], 130);
	seen_free(&got);
	seen_free(&s.expect);
}

static void test_every_two_way_split_yields_the_same_records(void **state)
{
	struct stream s;
	stream_build(&s);
	for (size_t k = 0; k <= s.len; k++) {
		struct seen got = {0};
		feed_split(&s, &k, 1, &got);
		assert_same_records(&got, &s.expect);
		seen_free(&got);
	}
	seen_free(&s.expect);
}

static void test_every_three_way_split_yields_the_same_records(void **state)
{
	struct stream s;
	stream_build(&s);
	for (size_t i = 0; i <= s.len; i++) {
		for (size_t j = i; j <= s.len; j++) {
			size_t cuts[2] = {i, j};
			struct seen got = {0};
			feed_split(&s, cuts, 2, &got);
			assert_same_records(&got, &s.expect);
			seen_free(&got);
		}
	}
	seen_free(&s.expect);
}

static void test_one_byte_at_a_time_yields_the_same_records(void **state)
{
	struct stream s;
	struct seen got = {0};
	size_t cuts[1024];
	stream_build(&s);
	for (size_t i = 0; i < s.len; i++)
		cuts[i] = i;
	feed_split(&s, cuts, (int)s.len, &got);
	assert_same_records(&got, &s.expect);
	seen_free(&got);
	seen_free(&s.expect);
}

/* Feeds text and expects the decoder to fail with `want` in its message. */
static void assert_feed_fails(const char *text, size_t max, const char *want)
{
	struct recordio_decoder d;
	struct seen got = {0};
	recordio_decoder_init(&d, max);
	int rc = recordio_decoder_feed(&d, text, strlen(text), on_record, &got);
	if (rc == 0)
		rc = recordio_decoder_finish(&d);
	assert_int_equal(rc, -1);
	if (!strstr(d.err, want))
		fail_msg("feeding '%s': error '%s' does not mention '%s'", text, d.err, want);
	assert_null(d.buf); /* nothing allocated for a rejected record */
	/* The failure is sticky: more input does not resync mid-stream. */
	assert_int_equal(recordio_decoder_feed(&d, "1\nx", 3, on_record, &got), -1);
	assert_int_equal(got.n, 0);
	recordio_decoder_free(&d);
}

static void test_non_digit_in_length_is_an_error_naming_the_byte(void **state)
{
	assert_feed_fails("12a\nxxxxxxxxxxxx", 0, "invalid byte 0x61 in record length");
	assert_feed_fails("-5\nxxxxx", 0, "invalid byte 0x2d");
	assert_feed_fails("+5\nxxxxx", 0, "invalid byte 0x2b");
	assert_feed_fails(" 5\nxxxxx", 0, "invalid byte 0x20");
	assert_feed_fails("5\r\nxxxxx", 0, "invalid byte 0x0d");
}

static void test_empty_length_line_is_an_error(void **state)
{
	assert_feed_fails("\n{}", 0, "empty record length");
}

static void test_length_that_overflows_64_bits_is_an_error(void **state)
{
	assert_feed_fails("18446744073709551616\n", 0, "overflows");
	assert_feed_fails("99999999999999999999\n", 0, "overflows");
	assert_feed_fails("123456789012345678901\n", 0, "more than 20 digits");
}

static void test_record_longer_than_the_maximum_fails_before_allocation(void **state)
{
	assert_feed_fails("101\nshort", 100, "record of 101 bytes exceeds the maximum");
	/* Under ASan an attempt to allocate 2^64-1 bytes would abort the test. */
	assert_feed_fails("18446744073709551615\nx", 0, "exceeds the maximum");
	char hdr[32];
	snprintf(hdr, sizeof(hdr), "%u\n", RECORDIO_DEFAULT_MAX + 1);
	assert_feed_fails(hdr, 0, "exceeds the maximum");
}

static void test_record_of_exactly_the_maximum_is_accepted_in_pieces(void **state)
{
	struct recordio_decoder d;
	struct seen got = {0};
	recordio_decoder_init(&d, 100);
	assert_int_equal(recordio_decoder_feed(&d, "100\n", 4, on_record, &got), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(recordio_decoder_feed(&d, "0123456789", 10, on_record, &got), 0);
	assert_int_equal(recordio_decoder_finish(&d), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.len[0], 100);
	assert_memory_equal(got.rec[0] + 90, "0123456789", 10);
	seen_free(&got);
	recordio_decoder_free(&d);
}

static void test_stream_ending_inside_a_payload_is_reported_at_finish(void **state)
{
	struct recordio_decoder d;
	struct seen got = {0};
	recordio_decoder_init(&d, 0);
	assert_int_equal(recordio_decoder_feed(&d, "5\nhello10\nabc", 13, on_record, &got), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(recordio_decoder_finish(&d), -1);
	assert_string_equal(d.err, "stream ended inside a record (7 bytes missing)");
	seen_free(&got);
	recordio_decoder_free(&d); /* the buffered partial record is freed */
}

static void test_stream_ending_inside_a_length_is_reported_at_finish(void **state)
{
	assert_feed_fails("12", 0, "stream ended inside a record length");
}

static void test_zero_length_record_is_delivered_empty_like_upstream(void **state)
{
	/* The agent never sends one; stout's decoder yields an empty record, and
	 * so does ours (the Event decoder then rejects or ignores it). */
	struct recordio_decoder d;
	struct seen got = {0};
	recordio_decoder_init(&d, 0);
	assert_int_equal(recordio_decoder_feed(&d, "0\n2\nok", 6, on_record, &got), 0);
	assert_int_equal(recordio_decoder_finish(&d), 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.len[0], 0);
	assert_int_equal(got.len[1], 2);
	seen_free(&got);
	recordio_decoder_free(&d);
}

static void test_callback_can_stop_decoding_with_its_own_code(void **state)
{
	struct recordio_decoder d;
	struct seen got = {.stop_after = 1};
	recordio_decoder_init(&d, 0);
	assert_int_equal(recordio_decoder_feed(&d, "1\na1\nb", 6, on_record, &got), 7);
	assert_int_equal(got.n, 1);
	assert_memory_equal(got.rec[0], "a", 1);
	seen_free(&got);
	recordio_decoder_free(&d);
}

static void test_reset_recovers_a_failed_decoder_for_a_new_stream(void **state)
{
	struct recordio_decoder d;
	struct seen got = {0};
	recordio_decoder_init(&d, 50);
	assert_int_equal(recordio_decoder_feed(&d, "4\nab", 4, on_record, &got), 0);
	assert_int_equal(recordio_decoder_feed(&d, "x", 1, on_record, &got), 0);
	recordio_decoder_reset(&d); /* drops the half record and its buffer */
	assert_int_equal(d.max, 50);
	assert_int_equal(recordio_decoder_feed(&d, "zz\n", 3, on_record, &got), -1);
	recordio_decoder_reset(&d);
	assert_int_equal(recordio_decoder_feed(&d, "3\nnew", 5, on_record, &got), 0);
	assert_int_equal(recordio_decoder_finish(&d), 0);
	assert_int_equal(got.n, 1);
	assert_memory_equal(got.rec[0], "new", 3);
	seen_free(&got);
	recordio_decoder_free(&d);
}

static void test_encoder_writes_decimal_length_newline_payload(void **state)
{
	size_t n;
	uint8_t *rec = recordio_encode("{\"type\":\"HEARTBEAT\"}", 20, &n);
	assert_int_equal(n, 23);
	assert_memory_equal(rec, "20\n{\"type\":\"HEARTBEAT\"}", 23);
	free(rec);
	rec = recordio_encode(NULL, 0, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(rec, "0\n", 2);
	free(rec);
	char hdr[24];
	assert_int_equal(recordio_header(hdr, 1234567), 8);
	assert_string_equal(hdr, "1234567\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole_stream_in_one_piece_yields_every_record),
	    cmocka_unit_test(test_every_two_way_split_yields_the_same_records),
	    cmocka_unit_test(test_every_three_way_split_yields_the_same_records),
	    cmocka_unit_test(test_one_byte_at_a_time_yields_the_same_records),
	    cmocka_unit_test(test_non_digit_in_length_is_an_error_naming_the_byte),
	    cmocka_unit_test(test_empty_length_line_is_an_error),
	    cmocka_unit_test(test_length_that_overflows_64_bits_is_an_error),
	    cmocka_unit_test(test_record_longer_than_the_maximum_fails_before_allocation),
	    cmocka_unit_test(test_record_of_exactly_the_maximum_is_accepted_in_pieces),
	    cmocka_unit_test(test_stream_ending_inside_a_payload_is_reported_at_finish),
	    cmocka_unit_test(test_stream_ending_inside_a_length_is_reported_at_finish),
	    cmocka_unit_test(test_zero_length_record_is_delivered_empty_like_upstream),
	    cmocka_unit_test(test_callback_can_stop_decoding_with_its_own_code),
	    cmocka_unit_test(test_reset_recovers_a_failed_decoder_for_a_new_stream),
	    cmocka_unit_test(test_encoder_writes_decimal_length_newline_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
