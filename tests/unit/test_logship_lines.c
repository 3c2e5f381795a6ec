/* Cutting the task's output into lines (executor/logship/logship_lines.c): lines
 * across reads, the 1 MiB limit, pieces cut at UTF-8 character boundaries,
 * and the unfinished last line at the end of the stream. */
#include "../support/testsupport.h"

#include "executor/logship/logship_parts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXL 64

struct got {
	int n;
	char line[64][256];
	size_t len[64];
	bool cut[64];
	size_t total; /* bytes handed over */
};

static void on_line(void *data, const char *line, size_t len, bool cut)
{
	struct got *g = data;
	if (g->n < 64) {
		snprintf(g->line[g->n], sizeof(g->line[0]), "%.*s", (int)len, line);
		g->len[g->n] = len;
		g->cut[g->n] = cut;
	}
	g->n++;
	g->total += len;
}

static void feed(struct logship_lines *l, const char *s)
{
	logship_lines_feed(l, s, strlen(s));
}

static void test_lines_are_split_on_newlines_across_reads(void **state)
{
	struct got g = {0};
	struct logship_lines l;
	logship_lines_init(&l, MAXL, on_line, &g);
	feed(&l, "one\ntw");
	feed(&l, "o\n\nthr");
	feed(&l, "ee");
	assert_int_equal(g.n, 3);
	feed(&l, "\n");
	assert_int_equal(g.n, 4);
	assert_string_equal(g.line[0], "one");
	assert_string_equal(g.line[1], "two");
	assert_string_equal(g.line[2], "");
	assert_string_equal(g.line[3], "three");
	for (int i = 0; i < 4; i++)
		assert_false(g.cut[i]);
	logship_lines_free(&l);
}

static void test_the_unfinished_last_line_comes_out_at_the_end(void **state)
{
	struct got g = {0};
	struct logship_lines l;
	logship_lines_init(&l, MAXL, on_line, &g);
	feed(&l, "a\nlast words");
	assert_int_equal(g.n, 1);
	logship_lines_finish(&l);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.line[1], "last words");
	logship_lines_finish(&l); /* nothing more */
	assert_int_equal(g.n, 2);
	logship_lines_free(&l);
}

static void test_a_line_of_exactly_the_limit_is_not_cut(void **state)
{
	char buf[MAXL + 2];
	memset(buf, 'x', MAXL);
	buf[MAXL] = '\n';
	buf[MAXL + 1] = '\0';
	struct got g = {0};
	struct logship_lines l;
	logship_lines_init(&l, MAXL, on_line, &g);
	feed(&l, buf);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], MAXL);
	assert_false(g.cut[0]);
	/* the same, arriving a byte at a time */
	for (int i = 0; i < MAXL + 1; i++)
		logship_lines_feed(&l, buf + i, 1);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.len[1], MAXL);
	assert_false(g.cut[1]);
	logship_lines_free(&l);
}

/* A line of n 'x' plus a newline, fed in reads of `chunk` bytes. */
static void long_line(struct got *g, size_t n, size_t chunk)
{
	char *buf = malloc(n + 1);
	memset(buf, 'x', n);
	buf[n] = '\n';
	struct logship_lines l;
	logship_lines_init(&l, MAXL, on_line, g);
	for (size_t i = 0; i < n + 1; i += chunk)
		logship_lines_feed(&l, buf + i, i + chunk > n + 1 ? n + 1 - i : chunk);
	feed(&l, "next\n");
	logship_lines_free(&l);
	free(buf);
}

static void test_a_longer_line_comes_out_in_pieces_marked_cut(void **state)
{
	size_t chunks[] = {1, 7, 64, 65, 1000};
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct got g = {0};
		long_line(&g, 3 * MAXL + 10, chunks[c]);
		assert_int_equal(g.n, 5); /* 64, 64, 64, 10, "next" */
		assert_int_equal(g.len[0], MAXL);
		assert_int_equal(g.len[1], MAXL);
		assert_int_equal(g.len[2], MAXL);
		assert_int_equal(g.len[3], 10);
		for (int i = 0; i < 4; i++)
			assert_true(g.cut[i]);
		assert_string_equal(g.line[4], "next");
		assert_false(g.cut[4]);
		assert_int_equal(g.total, 3 * MAXL + 10 + 4); /* nothing lost */
	}
}

static void test_pieces_are_cut_between_utf8_characters(void **state)
{
	/* 62 ASCII bytes, then "ż" (2 bytes) crossing the 64-byte limit at 63..64,
	 * then "€" (3 bytes) */
	char buf[256];
	memset(buf, 'a', 63);
	strcpy(buf + 63, "\xc5\xbc\xe2\x82\xac tail\n");
	size_t chunks[] = {1, 5, 200};
	for (size_t c = 0; c < 3; c++) {
		struct got g = {0};
		struct logship_lines l;
		logship_lines_init(&l, MAXL, on_line, &g);
		size_t n = strlen(buf);
		for (size_t i = 0; i < n; i += chunks[c])
			logship_lines_feed(&l, buf + i, i + chunks[c] > n ? n - i : chunks[c]);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.len[0], 63); /* "ż" moved to the next piece whole */
		assert_string_equal(g.line[1], "\xc5\xbc\xe2\x82\xac tail");
		logship_lines_free(&l);
	}
}

static void test_the_cut_point_backs_up_only_over_a_real_character(void **state)
{
	/* next byte is ASCII: cut where asked */
	assert_int_equal(logship_utf8_cut("abc", 3, 'd'), 3);
	/* "€" = e2 82 ac; cutting after e2 82 moves back to e2 */
	assert_int_equal(logship_utf8_cut("ab\xe2\x82", 4, 0xac), 2);
	/* continuation bytes without a lead byte: not UTF-8, cut at the limit */
	assert_int_equal(logship_utf8_cut("\x82\x82\x82\x82", 4, 0x82), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines_are_split_on_newlines_across_reads),
	    cmocka_unit_test(test_the_unfinished_last_line_comes_out_at_the_end),
	    cmocka_unit_test(test_a_line_of_exactly_the_limit_is_not_cut),
	    cmocka_unit_test(test_a_longer_line_comes_out_in_pieces_marked_cut),
	    cmocka_unit_test(test_pieces_are_cut_between_utf8_characters),
	    cmocka_unit_test(test_the_cut_point_backs_up_only_over_a_real_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
