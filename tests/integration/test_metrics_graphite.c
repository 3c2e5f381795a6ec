/* Metrics reaching a Graphite plaintext sink (executor/telemetry/metrics.h):
 * the path prefix of allegro/mesos-executor's metrics/graphite.go
 * (PREFIX.host.executor) with the values set by the executor and the
 * process gauges, a Graphite outage counted and survived, and the last
 * report sent on close. */
#include "sinks.h"
#include "testsupport.h"

#include "executor/telemetry/metrics.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEADLINE_MS 30000
#define PREFIX      "allegro.executor.node-1_dc1.app_exec_1."

struct fx {
	uv_loop_t loop;
	uv_timer_t alive; /* the executor's loop always has work; so does this one */
	struct sink *graphite;
	struct metrics *m;
};

static struct fx F;

static void keep_alive(uv_timer_t *t) {}

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	uv_loop_init(&F.loop);
	uv_timer_init(&F.loop, &F.alive);
	uv_timer_start(&F.alive, keep_alive, 1000, 1000);
	F.graphite = sink_start(SINK_TCP, 0, 0);
	assert_non_null(F.graphite);
	return 0;
}

static void start(int64_t interval_ns)
{
	char err[256] = "";
	F.m = metrics_new(&F.loop,
	                  &(struct metrics_config){.graphite_host = "127.0.0.1",
	                                           .graphite_port = (int)sink_port(F.graphite),
	                                           .hostname = "node-1.dc1",
	                                           .executor_id = "app.exec.1",
	                                           .interval_ns = interval_ns},
	                  err, sizeof(err));
	if (!F.m)
		fail_msg("metrics_new: %s", err);
	metrics_start(F.m);
}

static bool loop_empty(void)
{
	int64_t end = ts_now_ms() + DEADLINE_MS;
	while (uv_loop_alive(&F.loop) && ts_now_ms() < end) {
		uv_run(&F.loop, UV_RUN_NOWAIT);
		ts_sleep_ms(1);
	}
	return !uv_loop_alive(&F.loop);
}

static int teardown(void **state)
{
	metrics_close(F.m);
	if (!uv_is_closing((uv_handle_t *)&F.alive))
		uv_close((uv_handle_t *)&F.alive, NULL);
	assert_true(loop_empty());
	assert_int_equal(uv_loop_close(&F.loop), 0);
	sink_stop(F.graphite);
	return 0;
}

/* Turns the loop until Graphite has `path` with value `want` (any value
 * when want < 0). */
static bool wait_value(const char *name, double want, double *got)
{
	char path[256];
	snprintf(path, sizeof(path), PREFIX "%s", name);
	int64_t end = ts_now_ms() + DEADLINE_MS;
	while (ts_now_ms() < end) {
		double v;
		if (sink_graphite(F.graphite, path, &v, NULL) && (want < 0 || v == want)) {
			if (got)
				*got = v;
			return true;
		}
		uv_run(&F.loop, UV_RUN_NOWAIT);
		ts_sleep_ms(1);
	}
	return false;
}

static void test_metrics_arrive_with_the_host_and_executor_prefix(void **state)
{
	start(100000000);
	metrics_add(F.m, "updates.sent", 3);
	metrics_observe(F.m, "hooks.BeforeTaskStart.ms", 12);
	assert_true(wait_value("updates.sent", 3, NULL));
	assert_true(wait_value("hooks.BeforeTaskStart.ms.count", 1, NULL));
	double rss = 0;
	assert_true(wait_value("process.rss_bytes", -1, &rss));
	assert_true(rss > 1024 * 1024);
	long ts = 0;
	assert_true(sink_graphite(F.graphite, PREFIX "updates.sent", NULL, &ts));
	long now = (long)time(NULL);
	assert_true(ts > now - 3600 && ts <= now + 1);
	/* one line per value: "<path> <value> <timestamp>" */
	char *first = sink_record(F.graphite, 0);
	assert_int_equal(strncmp(first, PREFIX, strlen(PREFIX)), 0);
	free(first);
}

static bool failed_once(void)
{
	int64_t end = ts_now_ms() + DEADLINE_MS;
	struct metrics_stats st;
	do {
		uv_run(&F.loop, UV_RUN_NOWAIT);
		ts_sleep_ms(1);
		metrics_stats(F.m, &st);
	} while (st.failed == 0 && ts_now_ms() < end);
	return st.failed > 0;
}

static void test_a_graphite_outage_is_counted_and_reports_resume(void **state)
{
	start(100000000);
	metrics_add(F.m, "updates.sent", 1);
	assert_true(wait_value("updates.sent", 1, NULL));
	sink_down(F.graphite);
	assert_true(failed_once());
	metrics_add(F.m, "updates.sent", 1);
	assert_int_equal(sink_up(F.graphite), 0);
	assert_true(wait_value("updates.sent", 2, NULL));
	struct metrics_stats st;
	metrics_stats(F.m, &st);
	assert_true(st.sent >= 2);
	assert_true(st.reports >= st.sent + st.failed);
}

static void test_close_sends_a_last_report(void **state)
{
	start(3600LL * 1000000000); /* the timer will not fire */
	metrics_add(F.m, "updates.acknowledged", 7);
	metrics_close(F.m);
	F.m = NULL;
	uv_close((uv_handle_t *)&F.alive, NULL);
	assert_true(loop_empty());
	double v = 0;
	assert_true(sink_graphite_wait(F.graphite, PREFIX "updates.acknowledged", &v, DEADLINE_MS));
	assert_true(v == 7);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_metrics_arrive_with_the_host_and_executor_prefix,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_graphite_outage_is_counted_and_reports_resume,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_sends_a_last_report, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
