/* A task's log line as a Logstash entry (executor/logship/logship_shape.c),
 * the Go executor's JSON scraper and Logstash appender (allegro/mesos-executor
 * servicelog/scraper/json.go, servicelog/appender/logstash.go): the fields
 * added and renamed, ignored keys, lines that are not JSON objects, the
 * scId label, and Go's RFC3339Nano timestamps. */
#include "../support/testsupport.h"

#include "executor/logship/logship_parts.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct timespec NOW = {1714557600, 123456000}; /* 2024-05-01T10:00:00.123456Z */

static struct logship_shaper shaper(const char *ignore, bool wrap)
{
	struct logship_shaper s;
	struct logship_shape_opts o = {.ignore_keys = ignore,
	                               .instance_id = "exec-1",
	                               .scid = 4242,
	                               .srchost = "node-1-prod.dc1",
	                               .region = "eu",
	                               .zone = "eu-1a",
	                               .wrap_invalid = wrap};
	assert_int_equal(logship_shaper_init(&s, &o), 0);
	return s;
}

/* Shapes a line and parses the entry (which must end in one newline). */
static cJSON *shape(struct logship_shaper *s, const char *line)
{
	size_t n = 0;
	const char *out = logship_shape(s, line, strlen(line), &NOW, &n);
	if (!out)
		return NULL;
	assert_int_equal(strlen(out), n);
	assert_true(n > 1 && out[n - 1] == '\n');
	assert_null(memchr(out, '\n', n - 1));
	cJSON *j = cJSON_ParseWithLength(out, n);
	assert_non_null(j);
	return j;
}

static const char *str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static int count_keys(const cJSON *j)
{
	int n = 0;
	const cJSON *c;
	cJSON_ArrayForEach (c, j)
		n++;
	return n;
}

static void test_a_json_line_gets_the_logstash_fields(void **state)
{
	struct logship_shaper s = shaper(NULL, false);
	cJSON *j = shape(&s, "{\"time\":\"2024-05-01T09:59:59Z\",\"msg\":\"hello\",\"level\":"
	                     "\"info\",\"user\":{\"id\":7}}");
	assert_string_equal(str(j, "@timestamp"), "2024-05-01T09:59:59Z");
	assert_true(num(j, "@version") == 1);
	assert_string_equal(str(j, "message"), "hello");
	assert_string_equal(str(j, "level"), "info");
	assert_string_equal(str(j, "instance-id"), "exec-1");
	assert_true(num(j, "scid") == 4242);
	assert_string_equal(str(j, "srchost"), "node-1-prod.dc1");
	assert_string_equal(str(j, "region"), "eu");
	assert_string_equal(str(j, "zone"), "eu-1a");
	assert_true(num(cJSON_GetObjectItem(j, "user"), "id") == 7);
	assert_null(cJSON_GetObjectItem(j, "time"));
	assert_null(cJSON_GetObjectItem(j, "msg"));
	assert_int_equal(count_keys(j), 10);
	cJSON_Delete(j);
	logship_shaper_free(&s);
}

static void test_ignored_keys_are_removed_everywhere_at_the_top(void **state)
{
	struct logship_shaper s = shaper("secret,,password", false);
	cJSON *j = shape(&s, "{\"msg\":\"m\",\"secret\":1,\"password\":\"x\",\"secret\":2,\"keep\":"
	                     "{\"secret\":3}}");
	assert_null(cJSON_GetObjectItem(j, "secret"));
	assert_null(cJSON_GetObjectItem(j, "password"));
	/* only top-level keys, as in Go */
	assert_true(num(cJSON_GetObjectItem(j, "keep"), "secret") == 3);
	cJSON_Delete(j);
	logship_shaper_free(&s);
}

static void test_a_line_without_time_gets_the_time_it_was_read(void **state)
{
	struct logship_shaper s = shaper(NULL, false);
	cJSON *j = shape(&s, "{\"msg\":\"m\"}");
	assert_string_equal(str(j, "@timestamp"), "2024-05-01T10:00:00.123456Z");
	cJSON_Delete(j);
	/* its own @timestamp is kept, as is its own message without msg */
	j = shape(&s, "{\"@timestamp\":\"2020-01-01T00:00:00Z\",\"message\":\"own\"}");
	assert_string_equal(str(j, "@timestamp"), "2020-01-01T00:00:00Z");
	assert_string_equal(str(j, "message"), "own");
	cJSON_Delete(j);
	/* but time and msg win over them */
	j = shape(&s,
	          "{\"@timestamp\":\"old\",\"time\":\"new\",\"message\":\"old\",\"msg\":\"new\"}");
	assert_string_equal(str(j, "@timestamp"), "new");
	assert_string_equal(str(j, "message"), "new");
	assert_int_equal(count_keys(j), 8);
	cJSON_Delete(j);
	logship_shaper_free(&s);
}

static void test_the_executor_fields_win_over_the_line(void **state)
{
	struct logship_shaper s = shaper(NULL, false);
	cJSON *j = shape(&s, "{\"msg\":\"m\",\"instance-id\":\"fake\",\"scid\":\"1\",\"@version\":"
	                     "9,\"srchost\":\"elsewhere\"}");
	assert_string_equal(str(j, "instance-id"), "exec-1");
	assert_true(num(j, "scid") == 4242);
	assert_true(num(j, "@version") == 1);
	assert_string_equal(str(j, "srchost"), "node-1-prod.dc1");
	assert_int_equal(count_keys(j), 8);
	cJSON_Delete(j);
	logship_shaper_free(&s);
}

static void test_unknown_host_facts_are_left_out(void **state)
{
	struct logship_shaper s;
	struct logship_shape_opts o = {.instance_id = "e", .scid = 1};
	assert_int_equal(logship_shaper_init(&s, &o), 0);
	cJSON *j = shape(&s, "{\"msg\":\"m\"}");
	assert_null(cJSON_GetObjectItem(j, "region"));
	assert_null(cJSON_GetObjectItem(j, "zone"));
	assert_null(cJSON_GetObjectItem(j, "srchost"));
	cJSON_Delete(j);
	logship_shaper_free(&s);
}

static void test_lines_that_are_not_json_objects_are_not_shipped(void **state)
{
	struct logship_shaper s = shaper(NULL, false);
	const char *lines[] = {"plain text",         "[1,2]",   "\"str\"", "42",
	                       "{\"a\":1} trailing", "{\"a\":", "",        "{broken}"};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_null(shape(&s, lines[i]));
	/* blanks and a CR around an object are fine */
	cJSON *j = shape(&s, "  {\"msg\":\"m\"}\r");
	assert_string_equal(str(j, "message"), "m");
	cJSON_Delete(j);
	logship_shaper_free(&s);
}

static void test_with_log_scraping_all_other_lines_are_wrapped(void **state)
{
	struct logship_shaper s = shaper("level", true);
	cJSON *j = shape(&s, "plain \"quoted\" text\twith tab");
	assert_string_equal(str(j, "message"), "plain \"quoted\" text\twith tab");
	assert_string_equal(str(j, "level"), "INFO"); /* not filtered, as in Go */
	assert_string_equal(str(j, "logger"), "invalid-format");
	assert_string_equal(str(j, "@timestamp"), "2024-05-01T10:00:00.123456Z");
	assert_string_equal(str(j, "instance-id"), "exec-1");
	assert_true(num(j, "scid") == 4242);
	cJSON_Delete(j);
	logship_shaper_free(&s);
}

static void test_a_large_entry_is_printed_whole(void **state)
{
	struct logship_shaper s = shaper(NULL, false);
	size_t n = 300000;
	char *line = malloc(n + 32);
	strcpy(line, "{\"msg\":\"");
	memset(line + 8, 'y', n);
	strcpy(line + 8 + n, "\"}");
	cJSON *j = shape(&s, line);
	assert_int_equal(strlen(str(j, "message")), n);
	cJSON_Delete(j);
	free(line);
	logship_shaper_free(&s);
}

static void test_scid_must_be_an_integer_label(void **state)
{
	long long v = 0;
	char err[256];
	assert_int_equal(logship_parse_scid("123", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 123);
	assert_int_equal(logship_parse_scid("-7", &v, err, sizeof(err)), 0);
	assert_int_equal(v, -7);
	assert_int_equal(logship_parse_scid(NULL, &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "scId"));
	const char *bad[] = {"", "abc", "12x", " 12", "+5", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(logship_parse_scid(bad[i], &v, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "cannot parse scid"));
	}
}

static void test_timestamps_are_go_rfc3339nano_in_utc(void **state)
{
	char buf[64];
	logship_rfc3339nano(&(struct timespec){0, 0}, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	logship_rfc3339nano(&(struct timespec){1714557600, 500000000}, buf, sizeof(buf));
	assert_string_equal(buf, "2024-05-01T10:00:00.5Z");
	logship_rfc3339nano(&(struct timespec){1714557600, 1}, buf, sizeof(buf));
	assert_string_equal(buf, "2024-05-01T10:00:00.000000001Z");
	logship_rfc3339nano(&(struct timespec){1714557600, 120000000}, buf, sizeof(buf));
	assert_string_equal(buf, "2024-05-01T10:00:00.12Z");
}

static void test_a_short_timestamp_buffer_is_truncated_never_overrun(void **state)
{
	/* The date fits, its fraction does not: nothing is written past len. */
	struct {
		char buf[20];
		char guard[16];
	} b;
	for (size_t len = 1; len <= sizeof(b.buf); len++) {
		memset(&b, '#', sizeof(b));
		logship_rfc3339nano(&(struct timespec){1714557600, 123456789}, b.buf, len);
		assert_int_equal(strlen(b.buf), len - 1);
		assert_memory_equal(b.buf, "2024-05-01T10:00:00.123", len - 1);
		for (size_t i = len; i < sizeof(b); i++)
			if (((char *)&b)[i] != '#')
				fail_msg("len %zu: byte %zu written", len, i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_json_line_gets_the_logstash_fields),
	    cmocka_unit_test(test_ignored_keys_are_removed_everywhere_at_the_top),
	    cmocka_unit_test(test_a_line_without_time_gets_the_time_it_was_read),
	    cmocka_unit_test(test_the_executor_fields_win_over_the_line),
	    cmocka_unit_test(test_unknown_host_facts_are_left_out),
	    cmocka_unit_test(test_lines_that_are_not_json_objects_are_not_shipped),
	    cmocka_unit_test(test_with_log_scraping_all_other_lines_are_wrapped),
	    cmocka_unit_test(test_a_large_entry_is_printed_whole),
	    cmocka_unit_test(test_scid_must_be_an_integer_label),
	    cmocka_unit_test(test_timestamps_are_go_rfc3339nano_in_utc),
	    cmocka_unit_test(test_a_short_timestamp_buffer_is_truncated_never_overrun),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
