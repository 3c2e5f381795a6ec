/* Log shipping when Logstash is away (executor/logship/logship.h): the task keeps
 * writing at full speed while Logstash is down or stalled (lines are
 * dropped and counted, the task never waits), the connection comes back
 * by itself once Logstash does, and every line read is accounted for:
 * shipped, left in the sandbox, dropped for a reason, or still queued. */
#include "logship_fixture.h"

struct fx {
	uv_loop_t loop;
	struct sink *sink;
	int devnull;
	Mesos__V1__TaskInfo *task;
	struct logship *ls;
	int out_fd, err_fd;
};

static struct fx F;

#define LABELS                                                                                     \
	"{\"key\":\"log-scraping\",\"value\":\"logstash\"},{\"key\":\"scId\",\"value\":\"5\"}"

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	uv_loop_init(&F.loop);
	F.sink = sink_start(SINK_TCP, 0, 0);
	assert_non_null(F.sink);
	F.devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	F.task = lf_task(LABELS);
	return 0;
}

static void start(long buffer_lines)
{
	struct logship_config c = lf_config(sink_addr(F.sink), F.devnull, F.devnull);
	c.buffer_lines = buffer_lines;
	char err[512] = "";
	int rc =
	    logship_start(&F.loop, &c, F.task, NULL, &F.ls, &F.out_fd, &F.err_fd, err, sizeof(err));
	if (rc != 0)
		fail_msg("logship_start: %s", err);
}

static int teardown(void **state)
{
	close(F.out_fd);
	close(F.err_fd);
	logship_stop(F.ls);
	assert_true(lf_run_until_empty(&F.loop, LF_DEADLINE_MS));
	assert_int_equal(uv_loop_close(&F.loop), 0);
	sink_stop(F.sink);
	lf_task_free(F.task);
	close(F.devnull);
	return 0;
}

static struct logship_stats stats(void)
{
	struct logship_stats s;
	logship_stats(F.ls, &s);
	return s;
}

/* Every line read is somewhere. */
static void assert_accounted(void)
{
	struct logship_stats s = stats();
	uint64_t sum = s.shipped + s.not_json + s.dropped_buffer + s.dropped_rate + s.dropped_size +
	               s.dropped_send + s.dropped_stop + s.queued;
	if (sum != s.lines)
		fail_msg("%llu lines read but %llu accounted for", (unsigned long long)s.lines,
		         (unsigned long long)sum);
}

struct lines_read {
	uint64_t n;
};

static bool have_read(void *data)
{
	return stats().lines >= ((struct lines_read *)data)->n;
}

static bool queue_empty(void *data)
{
	return stats().queued == 0;
}

static bool failed_to_connect(void *data)
{
	return stats().connect_failures >= 1;
}

struct marker {
	const char *text;
};

/* Whether the sink got a line containing the marker. */
static bool sink_saw(void *data)
{
	const char *text = ((struct marker *)data)->text;
	size_t n = sink_count(F.sink);
	for (size_t i = n; i-- > 0;) {
		char *r = sink_record(F.sink, i);
		bool hit = r && strstr(r, text);
		free(r);
		if (hit)
			return true;
	}
	return false;
}

struct burst {
	const char *tag;
	int lines;
	int pad; /* bytes of padding per line */
};

static void write_burst(int out, int err, void *arg)
{
	const struct burst *b = arg;
	char *line = malloc((size_t)b->pad + 128);
	for (int i = 0; i < b->lines; i++) {
		int n = snprintf(line, (size_t)b->pad + 128,
		                 "{\"msg\":\"%s %d\",\"pad\":\"%*s\"}\n", b->tag, i, b->pad, "");
		lf_write_all(out, line, (size_t)n);
	}
	free(line);
}

static void run_task(const char *tag, int lines, int pad)
{
	struct burst b = {tag, lines, pad};
	pid_t pid = lf_task_run(F.out_fd, F.err_fd, write_burst, &b);
	/* the task finishes: nothing made it wait for Logstash */
	if (!lf_task_wait(&F.loop, pid, LF_DEADLINE_MS))
		fail_msg("the task writing %d lines did not finish", lines);
	struct lines_read w = {stats().lines};
	(void)w;
}

static void wait_read(uint64_t n)
{
	struct lines_read w = {n};
	assert_true(lf_run_until(&F.loop, have_read, &w, LF_DEADLINE_MS));
}

static void test_the_task_never_waits_while_logstash_is_down_and_lines_flow_after(void **state)
{
	start(100);
	run_task("before", 5, 10);
	struct marker m = {"\"before 4\""};
	assert_true(lf_run_until(&F.loop, sink_saw, &m, LF_DEADLINE_MS));

	sink_down(F.sink);
	run_task("during", 20000, 100); /* 2.5 MB, more than the pipe holds */
	wait_read(20005);
	struct logship_stats s = stats();
	assert_true(s.dropped_buffer > 0);
	assert_true(s.queued <= 100);
	assert_accounted();

	/* back: what waited in the buffer goes first, then new lines flow */
	assert_int_equal(sink_up(F.sink), 0);
	assert_true(lf_run_until(&F.loop, queue_empty, NULL, LF_DEADLINE_MS));
	run_task("after", 5, 10);
	struct marker after = {"\"after 4\""};
	assert_true(lf_run_until(&F.loop, sink_saw, &after, LF_DEADLINE_MS));
	assert_true(lf_run_until(&F.loop, queue_empty, NULL, LF_DEADLINE_MS));
	s = stats();
	assert_true(s.connects >= 2);
	assert_true(sink_connections(F.sink) >= 2);
	assert_accounted();
}

static void test_logstash_away_at_start_is_retried_with_the_lines_kept(void **state)
{
	sink_down(F.sink);
	start(100);
	run_task("early", 10, 10);
	wait_read(10);
	assert_true(lf_run_until(&F.loop, failed_to_connect, NULL, LF_DEADLINE_MS));
	struct logship_stats s = stats();
	assert_int_equal(s.shipped, 0);
	assert_int_equal(s.queued, 10);
	assert_accounted();

	assert_int_equal(sink_up(F.sink), 0);
	assert_int_equal(sink_wait(F.sink, 0, 0), 0);
	struct marker m = {"\"early 9\""};
	assert_true(lf_run_until(&F.loop, sink_saw, &m, LF_DEADLINE_MS));
	assert_true(lf_run_until(&F.loop, queue_empty, NULL, LF_DEADLINE_MS));
	assert_int_equal(stats().shipped, 10);
	assert_int_equal(sink_count(F.sink), 10);
	assert_accounted();
}

static void test_a_stalled_logstash_costs_drops_not_a_blocked_task(void **state)
{
	start(100);
	run_task("warmup", 1, 10);
	struct marker m = {"\"warmup 0\""};
	assert_true(lf_run_until(&F.loop, sink_saw, &m, LF_DEADLINE_MS));

	sink_set_reading(F.sink, false);  /* connected, but reads nothing */
	run_task("stalled", 100000, 200); /* 25 MB, more than the sockets hold */
	wait_read(100001);
	struct logship_stats s = stats();
	assert_true(s.dropped_buffer > 0);
	assert_accounted();

	sink_set_reading(F.sink, true);
	assert_true(lf_run_until(&F.loop, queue_empty, NULL, LF_DEADLINE_MS));
	s = stats();
	assert_accounted();
	assert_int_equal(sink_wait(F.sink, (size_t)s.shipped, LF_DEADLINE_MS), s.shipped);
	assert_int_equal(s.connects, 1); /* the connection survived the stall */
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_the_task_never_waits_while_logstash_is_down_and_lines_flow_after, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_logstash_away_at_start_is_retried_with_the_lines_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_stalled_logstash_costs_drops_not_a_blocked_task,
	                                    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
