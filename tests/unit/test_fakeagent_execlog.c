/* The scenario runner's readers and printers: logfmt fields of the
 * executor's log, following its stderr across partial writes, and the
 * timeline's compact wrapped JSON and aliases. */
#include "testsupport.h"

#include "fakeagent/output/execlog.h"
#include "fakeagent/output/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_logfmt_fields_are_unquoted_and_unescaped(void **state)
{
	const char *line = "level=info time=2026-11-30T08:00:00.123Z msg=\"SIGTERM sent to "
	                   "\\\"1\\\" process\\nof the task\" bare=yes empty=\"\" n=1";
	char v[128];
	assert_true(execlog_field(line, "level", v, sizeof(v)));
	assert_string_equal(v, "info");
	assert_true(execlog_field(line, "msg", v, sizeof(v)));
	assert_string_equal(v, "SIGTERM sent to \"1\" process\nof the task");
	assert_true(execlog_field(line, "bare", v, sizeof(v)));
	assert_string_equal(v, "yes");
	assert_true(execlog_field(line, "empty", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_false(execlog_field(line, "missing", v, sizeof(v)));
	assert_false(execlog_field(line, "ms", v, sizeof(v))); /* no prefix matches */
	assert_true(execlog_field(line, "msg", v, 8));         /* truncated, ended */
	assert_string_equal(v, "SIGTERM");
}

static char *seen[16];
static size_t n_seen;

static void on_line(void *data, const struct execlog_line *l)
{
	if (n_seen < 16)
		seen[n_seen++] = strdup(l->msg);
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_the_log_is_followed_line_by_line_across_partial_writes(void **state)
{
	char *dir = ts_mkdtemp("execlog");
	char path[512];
	snprintf(path, sizeof(path), "%s/stderr", dir);
	struct execlog x;
	execlog_init(&x, on_line, NULL);
	execlog_open(&x, path);
	execlog_poll(&x); /* no file yet: nothing, no error */
	assert_int_equal(x.n, 0);

	append(path, "level=info msg=\"executor starting\" version=1\n"
	             "127.0.0.1 - - \"GET / HTTP/1.1\" 200 -\n" /* the task's own output */
	             "level=debug msg=\"half a li");
	execlog_poll(&x);
	assert_int_equal(x.n, 1);
	append(path, "ne\" k=v\nlevel=warn msg=registered\n");
	execlog_poll(&x);
	assert_int_equal(x.n, 3);
	assert_int_equal(n_seen, 3);
	assert_string_equal(seen[0], "executor starting");
	assert_string_equal(seen[1], "half a line");
	assert_string_equal(x.lines[2].level, "warn");

	assert_int_equal(execlog_find(&x, 0, "registered"), 2);
	assert_int_equal(execlog_find(&x, 3, "registered"), -1); /* after the cursor only */
	assert_int_equal(execlog_find(&x, 0, "deregistered"), -1);

	execlog_free(&x);
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i]);
	ts_rmtree(dir);
	free(dir);
}

/* The lines timeline_json printed, with the indentation removed, joined. */
static char *json_printed(const char *doc, size_t *max_width, size_t *lines)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct timeline tl;
	timeline_init(&tl, out);
	cJSON *j = cJSON_Parse(doc);
	assert_non_null(j);
	timeline_json(&tl, j);
	cJSON_Delete(j);
	fclose(out);
	char *joined = calloc(1, len + 1);
	*max_width = 0;
	*lines = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		size_t w = strlen(l);
		*max_width = w > *max_width ? w : *max_width;
		(*lines)++;
		strcat(joined, l + strspn(l, " "));
	}
	free(buf);
	return joined;
}

static void test_json_is_shown_compact_wrapped_and_still_json(void **state)
{
	const char *backend =
	    "{\"address\":\"127.0.0.1\",\"between_bytes_timeout\":\"1\",\"connect_timeout\":"
	    "\"0.3\",\"dc\":{\"id\":1,\"name\":\"First datacenter\",\"resource_uri\":"
	    "\"/api/v0.1/dc/1/\",\"symbol\":\"dc1\"},\"director\":\"/api/v0.1/director/1/\","
	    "\"enabled\":true,\"id\":7,\"port\":40000,\"tags\":[],\"time_profile\":{"
	    "\"between_bytes_timeout\":\"1\",\"connect_timeout\":\"0.3\",\"first_byte_timeout\":"
	    "\"5\",\"max_connections\":5},\"weight\":1}";
	size_t width, lines;
	char *joined = json_printed(backend, &width, &lines);
	assert_true(lines > 3);
	assert_true(width <= 100);
	assert_non_null(strstr(joined, "\"dc\": {\"id\": 1,")); /* spaced like a person writes */
	cJSON *back = cJSON_Parse(joined), *want = cJSON_Parse(backend);
	assert_non_null(back);
	assert_true(cJSON_Compare(back, want, true));
	cJSON_Delete(back);
	cJSON_Delete(want);
	free(joined);

	joined = json_printed("{}", &width, &lines);
	assert_string_equal(joined, "{}");
	assert_int_equal(lines, 1);
	free(joined);
}

static void test_aliases_shorten_ids_in_every_line(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct timeline tl;
	timeline_init(&tl, out);
	timeline_alias(&tl, "app.instance-1", "${TASK_ID}");
	timeline_alias(&tl, "marathon-app.instance-1", "${EXECUTOR_ID}");
	timeline_printf(&tl, "agent",
	                "task app.instance-1 queued for executor "
	                "marathon-app.instance-1");
	timeline_more(&tl, "{\"ID\": \"app.instance-1_svc_80\"}");
	timeline_free(&tl);
	fclose(out);
	assert_non_null(
	    strstr(buf, "agent     task ${TASK_ID} queued for executor ${EXECUTOR_ID}\n"));
	assert_non_null(strstr(buf, "{\"ID\": \"${TASK_ID}_svc_80\"}"));
	assert_null(strchr(buf, '\033')); /* not a terminal: no colour */
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_logfmt_fields_are_unquoted_and_unescaped),
	    cmocka_unit_test(test_the_log_is_followed_line_by_line_across_partial_writes),
	    cmocka_unit_test(test_json_is_shown_compact_wrapped_and_still_json),
	    cmocka_unit_test(test_aliases_shorten_ids_in_every_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
