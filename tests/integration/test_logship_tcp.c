/* Log shipping over TCP (executor/logship/logship.h) with a real loop, a real
 * "task" process writing to the pipes, and a Logstash-like TCP sink: the
 * fields of shipped lines (as allegro/mesos-executor's
 * servicelog/scraper/json.go and servicelog/appender/logstash.go make them), what reaches the
 * sandbox files, lines that are not JSON, the rate limit's drops, a line over 1 MiB, and the last
 * lines shipped by logship_stop. */
#include "logship_fixture.h"

struct fx {
	uv_loop_t loop;
	struct sink *sink;
	char *dir;
	int out_copy, err_copy; /* the sandbox files */
	char out_path[512], err_path[512];
	Mesos__V1__TaskInfo *task;
	struct logship *ls;
	int out_fd, err_fd; /* the task's ends */
};

static struct fx F;

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	uv_loop_init(&F.loop);
	F.sink = sink_start(SINK_TCP, 0, 0);
	assert_non_null(F.sink);
	F.dir = ts_mkdtemp("logship");
	snprintf(F.out_path, sizeof(F.out_path), "%s/stdout", F.dir);
	snprintf(F.err_path, sizeof(F.err_path), "%s/stderr", F.dir);
	F.out_copy = open(F.out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	F.err_copy = open(F.err_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	F.out_fd = F.err_fd = -1;
	return 0;
}

static void start(struct logship_config *c, const char *labels)
{
	char err[512] = "";
	F.task = lf_task(labels);
	int rc =
	    logship_start(&F.loop, c, F.task, NULL, &F.ls, &F.out_fd, &F.err_fd, err, sizeof(err));
	if (rc != 0)
		fail_msg("logship_start: %d %s", rc, err);
	assert_true(F.out_fd >= 0 && F.err_fd >= 0);
}

/* The task's side is done: close its ends, stop, and wait until all is closed. */
static void stop(void)
{
	if (F.out_fd >= 0)
		close(F.out_fd);
	if (F.err_fd >= 0)
		close(F.err_fd);
	F.out_fd = F.err_fd = -1;
	logship_stop(F.ls);
	F.ls = NULL;
	assert_true(lf_run_until_empty(&F.loop, LF_DEADLINE_MS));
}

static int teardown(void **state)
{
	if (F.ls)
		stop();
	assert_int_equal(uv_loop_close(&F.loop), 0);
	sink_stop(F.sink);
	if (F.task)
		lf_task_free(F.task);
	close(F.out_copy);
	close(F.err_copy);
	ts_rmtree(F.dir);
	free(F.dir);
	return 0;
}

struct stats_at_least {
	struct logship *ls;
	uint64_t lines;
};

static bool read_lines(void *data)
{
	struct stats_at_least *w = data;
	struct logship_stats s;
	logship_stats(w->ls, &s);
	return s.lines >= w->lines && s.queued == 0;
}

static void wait_lines(uint64_t n)
{
	struct stats_at_least w = {F.ls, n};
	assert_true(lf_run_until(&F.loop, read_lines, &w, LF_DEADLINE_MS));
}

struct sink_n {
	struct sink *s;
	size_t n;
};

static bool sink_has(void *data)
{
	struct sink_n *w = data;
	return sink_count(w->s) >= w->n;
}

static void wait_sink(size_t n)
{
	struct sink_n w = {F.sink, n};
	if (!lf_run_until(&F.loop, sink_has, &w, LF_DEADLINE_MS))
		fail_msg("the sink got %zu lines, expected %zu", sink_count(F.sink), n);
}

#define LABELS                                                                                     \
	"{\"key\":\"log-scraping\",\"value\":\"logstash\"},{\"key\":\"scId\",\"value\":\"77\"}"

static void write_mixed(int out, int err, void *arg)
{
	const char *o = "{\"time\":\"2024-01-01T00:00:00Z\",\"msg\":\"hello\",\"level\":\"info\","
	                "\"secret\":\"s3\"}\nnot json at all\n";
	const char *e = "{\"msg\":\"from stderr\"}\n";
	lf_write_all(out, o, strlen(o));
	lf_write_all(err, e, strlen(e));
}

static void test_json_lines_are_shipped_with_the_logstash_fields(void **state)
{
	struct logship_config c = lf_config(sink_addr(F.sink), F.out_copy, F.err_copy);
	c.ignore_keys = "secret";
	start(&c, LABELS);
	assert_true(lf_task_wait(&F.loop, lf_task_run(F.out_fd, F.err_fd, write_mixed, NULL),
	                         LF_DEADLINE_MS));
	wait_lines(3);
	wait_sink(2);

	cJSON *hello = NULL, *fromerr = NULL;
	for (size_t i = 0; i < 2; i++) {
		char *r = sink_record(F.sink, i);
		cJSON *j = lf_parse(r);
		free(r);
		if (strcmp(lf_str(j, "message"), "hello") == 0)
			hello = j;
		else
			fromerr = j;
	}
	assert_non_null(hello);
	assert_non_null(fromerr);
	assert_string_equal(lf_str(hello, "@timestamp"), "2024-01-01T00:00:00Z");
	assert_true(cJSON_GetObjectItem(hello, "@version")->valuedouble == 1);
	assert_string_equal(lf_str(hello, "level"), "info");
	assert_string_equal(lf_str(hello, "instance-id"), "exec-1");
	assert_true(cJSON_GetObjectItem(hello, "scid")->valuedouble == 77);
	assert_string_equal(lf_str(hello, "srchost"), "host-1-test.dc");
	assert_string_equal(lf_str(hello, "region"), "r1");
	assert_string_equal(lf_str(hello, "zone"), "z1");
	assert_null(cJSON_GetObjectItem(hello, "secret"));
	assert_string_equal(lf_str(fromerr, "message"), "from stderr");
	assert_non_null(lf_str(fromerr, "@timestamp")); /* the time it was read */
	cJSON_Delete(hello);
	cJSON_Delete(fromerr);

	struct logship_stats s;
	logship_stats(F.ls, &s);
	assert_int_equal(s.lines, 3);
	assert_int_equal(s.shipped, 2);
	assert_int_equal(s.not_json, 1);
	assert_int_equal(s.connects, 1);
	stop();
	assert_int_equal(sink_count(F.sink), 2); /* the plain line was not shipped */

	/* every byte reached the sandbox files, each stream its own */
	char *out = ts_read_file(F.out_path, NULL), *err = ts_read_file(F.err_path, NULL);
	assert_string_equal(out, "{\"time\":\"2024-01-01T00:00:00Z\",\"msg\":\"hello\",\"level\":"
	                         "\"info\",\"secret\":\"s3\"}\nnot json at all\n");
	assert_string_equal(err, "{\"msg\":\"from stderr\"}\n");
	free(out);
	free(err);
}

static void write_plain(int out, int err, void *arg)
{
	const char *text = "plain one\n{\"msg\":\"json\"}\n";
	lf_write_all(out, text, strlen(text));
}

static void test_with_log_scraping_all_plain_lines_are_shipped_wrapped(void **state)
{
	struct logship_config c = lf_config(sink_addr(F.sink), F.out_copy, F.err_copy);
	c.copy_output = false;
	start(&c, LABELS ",{\"key\":\"log-scraping-all\",\"value\":\"true\"}");
	assert_true(lf_task_wait(&F.loop, lf_task_run(F.out_fd, F.err_fd, write_plain, NULL),
	                         LF_DEADLINE_MS));
	wait_sink(2);
	char *r = sink_record(F.sink, 0);
	cJSON *j = lf_parse(r);
	assert_string_equal(lf_str(j, "message"), "plain one");
	assert_string_equal(lf_str(j, "logger"), "invalid-format");
	assert_string_equal(lf_str(j, "level"), "INFO");
	assert_string_equal(lf_str(j, "instance-id"), "exec-1");
	cJSON_Delete(j);
	free(r);
	stop();
	/* no copy: everything was shipped, so the sandbox got nothing */
	char *out = ts_read_file(F.out_path, NULL);
	assert_string_equal(out, "");
	free(out);
}

static void test_without_the_copy_only_unshipped_lines_reach_the_sandbox(void **state)
{
	struct logship_config c = lf_config(sink_addr(F.sink), F.out_copy, F.err_copy);
	c.copy_output = false;
	start(&c, LABELS);
	assert_true(lf_task_wait(&F.loop, lf_task_run(F.out_fd, F.err_fd, write_plain, NULL),
	                         LF_DEADLINE_MS));
	wait_sink(1);
	stop();
	size_t len = 0;
	char *out = ts_read_file(F.out_path, &len);
	assert_int_equal(len, 10);
	assert_string_equal(out, "plain one\n");
	free(out);
}

#define BURST 500

static void write_burst(int out, int err, void *arg)
{
	char line[128];
	for (int i = 0; i < BURST; i++) {
		int n = snprintf(line, sizeof(line), "{\"msg\":\"line %d\"}\n", i);
		lf_write_all(out, line, (size_t)n);
	}
}

static void test_lines_over_the_rate_limit_are_dropped_and_counted(void **state)
{
	struct logship_config c = lf_config(sink_addr(F.sink), F.out_copy, F.err_copy);
	c.rate_limit = 10;
	start(&c, LABELS);
	assert_true(lf_task_wait(&F.loop, lf_task_run(F.out_fd, F.err_fd, write_burst, NULL),
	                         LF_DEADLINE_MS));
	wait_lines(BURST);
	struct logship_stats s;
	logship_stats(F.ls, &s);
	assert_int_equal(s.shipped + s.dropped_rate, BURST);
	/* a burst of 10 plus 10 a second: a machine that took 40 s to read 500
	 * short lines would be needed to drop fewer than 90 */
	assert_true(s.dropped_rate >= 90);
	wait_sink((size_t)s.shipped);
	stop();
	assert_int_equal(sink_count(F.sink), s.shipped);
	/* and the sandbox has every line regardless */
	size_t len = 0;
	char *out = ts_read_file(F.out_path, &len);
	int nl = 0;
	for (size_t i = 0; i < len; i++)
		nl += out[i] == '\n';
	assert_int_equal(nl, BURST);
	free(out);
}

static void test_entries_over_the_size_limit_are_dropped_and_counted(void **state)
{
	struct logship_config c = lf_config(sink_addr(F.sink), F.out_copy, F.err_copy);
	c.size_limit = 200;
	start(&c, LABELS);
	static const char big[] = "{\"msg\":\"%0300d\"}\n";
	char line[512];
	snprintf(line, sizeof(line), big, 1);
	assert_true(lf_task_wait(&F.loop, lf_task_run(F.out_fd, F.err_fd, write_mixed, NULL),
	                         LF_DEADLINE_MS));
	wait_lines(3);
	struct logship_stats s;
	logship_stats(F.ls, &s);
	/* the hello entry is under 200 bytes with the executor's fields, so both ship */
	assert_int_equal(s.dropped_size, 0);
	lf_write_all(F.out_fd, line, strlen(line));
	wait_lines(4);
	logship_stats(F.ls, &s);
	assert_int_equal(s.dropped_size, 1);
	assert_int_equal(s.shipped, 2);
	stop();
}

static void write_huge(int out, int err, void *arg)
{
	size_t n = 2 * 1024 * 1024 + 1000;
	char *buf = malloc(n + 1);
	memset(buf, 'z', n);
	buf[n] = '\n';
	lf_write_all(out, buf, n + 1);
	lf_write_all(out, "{\"msg\":\"after\"}\n", 16);
	free(buf);
}

static void test_a_line_over_1mib_comes_out_in_pieces(void **state)
{
	struct logship_config c = lf_config(sink_addr(F.sink), F.out_copy, F.err_copy);
	start(&c, LABELS ",{\"key\":\"log-scraping-all\",\"value\":\"yes\"}");
	assert_true(lf_task_wait(&F.loop, lf_task_run(F.out_fd, F.err_fd, write_huge, NULL),
	                         LF_DEADLINE_MS));
	wait_lines(4);
	wait_sink(4);
	struct logship_stats s;
	logship_stats(F.ls, &s);
	assert_int_equal(s.cut, 3);
	size_t total = 0;
	for (size_t i = 0; i < 3; i++) {
		char *r = sink_record(F.sink, i);
		cJSON *j = lf_parse(r);
		size_t len = strlen(lf_str(j, "message"));
		assert_true(len <= LOGSHIP_LINE_MAX);
		total += len;
		cJSON_Delete(j);
		free(r);
	}
	assert_int_equal(total, 2 * 1024 * 1024 + 1000);
	char *r = sink_record(F.sink, 3);
	cJSON *j = lf_parse(r);
	assert_string_equal(lf_str(j, "message"), "after");
	cJSON_Delete(j);
	free(r);
	stop();
}

static void write_and_exit(int out, int err, void *arg)
{
	char line[64];
	for (int i = 0; i < 50; i++) {
		int n = snprintf(line, sizeof(line), "{\"msg\":\"last %d\"}\n", i);
		lf_write_all(out, line, (size_t)n);
	}
}

static void test_stop_ships_what_the_task_wrote_last(void **state)
{
	struct logship_config c = lf_config(sink_addr(F.sink), F.out_copy, F.err_copy);
	start(&c, LABELS);
	/* the task writes and exits while the loop does not run */
	pid_t pid = lf_task_run(F.out_fd, F.err_fd, write_and_exit, NULL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	stop();
	assert_int_equal(sink_wait(F.sink, 50, LF_DEADLINE_MS), 50);
	char *r = sink_record(F.sink, 49);
	assert_non_null(strstr(r, "\"last 49\""));
	free(r);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_json_lines_are_shipped_with_the_logstash_fields,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_with_log_scraping_all_plain_lines_are_shipped_wrapped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_without_the_copy_only_unshipped_lines_reach_the_sandbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lines_over_the_rate_limit_are_dropped_and_counted,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_entries_over_the_size_limit_are_dropped_and_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_line_over_1mib_comes_out_in_pieces, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_stop_ships_what_the_task_wrote_last, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
