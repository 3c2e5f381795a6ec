/* The logfmt logger (common/log.h): stderr is captured through a pipe
 * dup2'd over fd 2, and the lines are checked for their logfmt form,
 * quoting and escaping, levels, context fields, the error sink, and that a
 * registered secret never reaches a line, not even half of it. */
#include "testsupport.h"

#include "common/log.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char captured[1 << 16];
static int saved_stderr = -1, pipe_rd = -1;

static void capture_start(void)
{
	int fds[2];
	fflush(stderr);
	assert_int_equal(pipe(fds), 0);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
	close(fds[1]);
	pipe_rd = fds[0];
}

/* Restores stderr and returns what was written meanwhile. */
static const char *capture_end(void)
{
	size_t n = 0;
	ssize_t r;
	dup2(saved_stderr, STDERR_FILENO); /* closes the last write end */
	close(saved_stderr);
	while (n + 1 < sizeof(captured) &&
	       (r = read(pipe_rd, captured + n, sizeof(captured) - 1 - n)) > 0)
		n += (size_t)r;
	captured[n] = '\0';
	close(pipe_rd);
	return captured;
}

static int reset(void **state)
{
	log_shutdown();
	log_set_level(LOG_INFO);
	log_set_sink(LOG_ERROR, NULL, NULL);
	return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in: %s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("'%s' found in: %s", needle, hay);
}

static void test_line_is_logfmt_with_level_time_msg_and_fields(void **state)
{
	regex_t re;
	capture_start();
	log_fields(LOG_INFO, "task launched", "task_id", "t1", "pid", "4242", NULL);
	const char *out = capture_end();
	assert_int_equal(
	    regcomp(&re,
	            "^level=info time=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]"
	            "{2}\\.[0-9]{3}Z msg=\"task launched\" task_id=t1 pid=4242\n$",
	            REG_EXTENDED),
	    0);
	if (regexec(&re, out, 0, NULL, 0) != 0)
		fail_msg("not logfmt: %s", out);
	regfree(&re);
}

static void test_printf_style_formats_the_message(void **state)
{
	capture_start();
	log_warn("retrying in %d ms (%s)", 250, "agent unreachable");
	log_error("gave up");
	const char *out = capture_end();
	assert_contains(out, "level=warn ");
	assert_contains(out, " msg=\"retrying in 250 ms (agent unreachable)\"\n");
	assert_contains(out, "level=error ");
	assert_contains(out, " msg=\"gave up\"\n");
}

static void test_values_are_quoted_and_escaped_only_when_needed(void **state)
{
	capture_start();
	log_fields(LOG_INFO, "m", "plain", "abc-1.2/x:y", "space", "a b", "quote", "say \"hi\"",
	           "backslash", "C:\\dir", "newline", "a\nb", "equals", "a=b", "empty", "", "tab",
	           "\t", "ctrl", "\x01", "null", NULL, "utf8", "gr\xc3\xbc\xc3\x9f", NULL);
	const char *out = capture_end();
	assert_contains(out, " msg=m ");
	assert_contains(out, " plain=abc-1.2/x:y ");
	assert_contains(out, " space=\"a b\" ");
	assert_contains(out, " quote=\"say \\\"hi\\\"\" ");
	assert_contains(out, " backslash=\"C:\\\\dir\" ");
	assert_contains(out, " newline=\"a\\nb\" ");
	assert_contains(out, " equals=\"a=b\" ");
	assert_contains(out, " empty=\"\" ");
	assert_contains(out, " tab=\"\\t\" ");
	assert_contains(out, " ctrl=\"\\x01\" ");
	assert_contains(out, " null=\"\" ");
	assert_contains(out, " utf8=\"gr\xc3\xbc\xc3\x9f\"\n");
	/* One line: the only newline is the last byte. */
	assert_true(strchr(out, '\n') == out + strlen(out) - 1);
}

static void test_levels_below_the_minimum_are_dropped(void **state)
{
	capture_start();
	log_debug("hidden debug");
	log_info("shown info");
	log_set_level(LOG_WARN);
	assert_int_equal(log_get_level(), LOG_WARN);
	log_info("hidden info");
	log_fields(LOG_INFO, "hidden fields", NULL);
	log_warn("shown warn");
	log_set_level(LOG_DEBUG);
	log_debug("shown debug");
	const char *out = capture_end();
	assert_lacks(out, "hidden");
	assert_contains(out, "level=info time=");
	assert_contains(out, "msg=\"shown info\"");
	assert_contains(out, "msg=\"shown warn\"");
	assert_contains(out, "level=debug time=");
	assert_contains(out, "msg=\"shown debug\"");
}

static void test_context_fields_follow_every_line_until_removed(void **state)
{
	log_set_context("executor_id", "e1");
	log_set_context("task_id", "t1");
	log_set_context("task_id", "t2"); /* replaced, not repeated */
	capture_start();
	log_fields(LOG_INFO, "one", "k", "v", NULL);
	log_set_context("executor_id", NULL);
	log_info("two");
	const char *out = capture_end();
	assert_contains(out, "msg=one k=v executor_id=e1 task_id=t2\n");
	assert_contains(out, "msg=two task_id=t2\n");
	assert_lacks(out, "task_id=t1");
}

static void test_registered_secrets_never_appear_in_a_line(void **state)
{
	log_add_secret("s3cr3t-token");
	log_add_secret("pa\"ss\\word"); /* escaped when quoted: must still be found */
	log_add_secret("ab");           /* too short to redact safely: ignored */
	log_set_context("auth", "Bearer s3cr3t-token");
	capture_start();
	log_info("token is s3cr3t-token, again s3cr3t-token");
	log_fields(LOG_WARN, "consul", "header", "X-Consul-Token: s3cr3t-token", "pw",
	           "pa\"ss\\word!", NULL);
	const char *out = capture_end();
	assert_lacks(out, "s3cr3t");
	assert_lacks(out, "ss\\\\word");
	assert_contains(out, "msg=\"token is [redacted], again [redacted]\"");
	assert_contains(out, "header=\"X-Consul-Token: [redacted]\"");
	assert_contains(out, "pw=[redacted]!");
	assert_contains(out, "auth=\"Bearer [redacted]\"");
	assert_contains(out, "consul");
}

static void test_secret_cut_by_the_line_limit_leaves_no_fragment(void **state)
{
	static char msg[9000];
	log_add_secret("TOPSECRETVALUE1234");
	for (size_t fill = 8100; fill < 8200; fill += 7) {
		memset(msg, 'x', fill);
		strcpy(msg + fill, "TOPSECRETVALUE1234 and more");
		capture_start();
		log_info("%s", msg);
		log_fields(LOG_INFO, "m", "v", msg, NULL);
		const char *out = capture_end();
		assert_lacks(out, "TOPSEC");
		assert_true(strlen(out) > 8000);
	}
}

static void test_very_long_message_is_truncated_to_one_line(void **state)
{
	static char msg[20000];
	memset(msg, 'y', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	capture_start();
	log_info("%s", msg);
	const char *out = capture_end();
	assert_true(strlen(out) <= 8192);
	assert_true(strchr(out, '\n') == out + strlen(out) - 1);
}

struct sunk {
	int n;
	enum log_level lvl;
	char last[256];
};

static void sink(void *data, enum log_level lvl, const char *line)
{
	struct sunk *s = data;
	s->n++;
	s->lvl = lvl;
	snprintf(s->last, sizeof(s->last), "%s", line);
}

static void test_sink_receives_lines_at_or_above_its_level(void **state)
{
	struct sunk s = {0};
	log_add_secret("hunter22");
	log_set_sink(LOG_WARN, sink, &s);
	capture_start();
	log_info("not sunk");
	log_warn("sunk warn");
	log_error("sunk error hunter22");
	capture_end();
	assert_int_equal(s.n, 2);
	assert_int_equal(s.lvl, LOG_ERROR);
	assert_non_null(strstr(s.last, "level=error "));
	assert_non_null(strstr(s.last, "msg=\"sunk error [redacted]\""));
	assert_null(strchr(s.last, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_line_is_logfmt_with_level_time_msg_and_fields, reset),
	    cmocka_unit_test_teardown(test_printf_style_formats_the_message, reset),
	    cmocka_unit_test_teardown(test_values_are_quoted_and_escaped_only_when_needed, reset),
	    cmocka_unit_test_teardown(test_levels_below_the_minimum_are_dropped, reset),
	    cmocka_unit_test_teardown(test_context_fields_follow_every_line_until_removed, reset),
	    cmocka_unit_test_teardown(test_registered_secrets_never_appear_in_a_line, reset),
	    cmocka_unit_test_teardown(test_secret_cut_by_the_line_limit_leaves_no_fragment, reset),
	    cmocka_unit_test_teardown(test_very_long_message_is_truncated_to_one_line, reset),
	    cmocka_unit_test_teardown(test_sink_receives_lines_at_or_above_its_level, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
