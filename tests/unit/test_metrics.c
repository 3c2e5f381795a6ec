/* The metrics registry and its report (executor/telemetry/metrics.c):
 * counters, gauges and timings, the Graphite plaintext text and path prefix
 * (allegro/mesos-executor metrics/graphite.go), settings refused with a
 * reason, sources, and the logged report when no Graphite is configured. */
#include "../support/testsupport.h"

#include "common/log.h"
#include "executor/telemetry/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct metrics *new_metrics(uv_loop_t *loop, const char *host)
{
	char err[256] = "";
	struct metrics *m = metrics_new(loop,
	                                &(struct metrics_config){.graphite_host = host,
	                                                         .hostname = "node-1.dc1",
	                                                         .executor_id = "app.exec.1"},
	                                err, sizeof(err));
	if (!m)
		fail_msg("metrics_new: %s", err);
	return m;
}

static void close_metrics(uv_loop_t *loop, struct metrics *m)
{
	metrics_close(m);
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(loop), 0);
}

static void test_counters_add_up_and_gauges_keep_the_last_value(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct metrics *m = new_metrics(&loop, NULL);
	metrics_add(m, "updates.sent", 1);
	metrics_add(m, "updates.sent", 2);
	metrics_set(m, "health.failing", 4);
	metrics_set(m, "health.failing", 1);
	assert_true(metrics_get(m, "updates.sent") == 3);
	assert_true(metrics_get(m, "health.failing") == 1);
	assert_true(metrics_get(m, "never.set") == 0);
	close_metrics(&loop, m);
}

static void test_the_report_is_graphite_plaintext_in_name_order(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct metrics *m = new_metrics(&loop, NULL);
	metrics_add(m, "updates.sent", 3);
	metrics_set(m, "a.gauge", 1.5);
	metrics_observe(m, "hooks.BeforeTaskStart.ms", 10);
	metrics_observe(m, "hooks.BeforeTaskStart.ms", 30);
	size_t len;
	char *text = metrics_render(m, "p.", 1700000000, false, &len);
	assert_string_equal(text, "p.a.gauge 1.500 1700000000\n"
	                          "p.hooks.BeforeTaskStart.ms.count 2 1700000000\n"
	                          "p.hooks.BeforeTaskStart.ms.mean 20 1700000000\n"
	                          "p.hooks.BeforeTaskStart.ms.max 30 1700000000\n"
	                          "p.updates.sent 3 1700000000\n");
	assert_int_equal(len, strlen(text));
	free(text);
	text = metrics_render(m, "", 0, true, NULL);
	assert_string_equal(text, "a.gauge=1.500 hooks.BeforeTaskStart.ms.count=2 "
	                          "hooks.BeforeTaskStart.ms.mean=20 "
	                          "hooks.BeforeTaskStart.ms.max=30 updates.sent=3");
	free(text);
	close_metrics(&loop, m);
}

static void test_the_path_prefix_replaces_dots_in_host_and_executor(void **state)
{
	char buf[256];
	metrics_path_prefix("allegro.executor", "node-1.dc1.example", "my.app exec", buf,
	                    sizeof(buf));
	assert_string_equal(buf, "allegro.executor.node-1_dc1_example.my_app_exec.");
}

static void test_a_missing_registry_ignores_everything(void **state)
{
	metrics_add(NULL, "x", 1);
	metrics_set(NULL, "x", 1);
	metrics_observe(NULL, "x", 1);
	metrics_flush(NULL);
	metrics_start(NULL);
	metrics_close(NULL);
	assert_true(metrics_get(NULL, "x") == 0);
}

static void test_bad_settings_are_refused_with_the_variable_named(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	char err[256] = "";
	assert_null(
	    metrics_new(&loop, &(struct metrics_config){.graphite_port = 70000}, err, sizeof(err)));
	assert_non_null(strstr(err, "ALLEGRO_EXECUTOR_GRAPHITE_PORT"));
	assert_null(
	    metrics_new(&loop, &(struct metrics_config){.prefix = "a b"}, err, sizeof(err)));
	assert_non_null(strstr(err, "ALLEGRO_EXECUTOR_GRAPHITE_PREFIX"));
	assert_null(metrics_new(&loop, &(struct metrics_config){.prefix = ""}, err, sizeof(err)));
	assert_int_equal(uv_loop_close(&loop), 0);
}

static int source_calls;
static void source(void *data, struct metrics *m)
{
	source_calls++;
	metrics_set(m, "from.source", *(int *)data);
}

static char logged[8192];
static void capture(void *data, enum log_level lvl, const char *line)
{
	if (strstr(line, "msg=\"metrics "))
		snprintf(logged, sizeof(logged), "%s", line);
}

static void test_without_graphite_the_report_is_logged_with_sources_and_process(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct metrics *m = new_metrics(&loop, NULL);
	int value = 42;
	metrics_add_source(m, source, &value);
	log_set_sink(LOG_INFO, capture, NULL);
	logged[0] = '\0';
	metrics_flush(m);
	assert_int_equal(source_calls, 1);
	assert_non_null(strstr(logged, "from.source=42"));
	assert_non_null(strstr(logged, "process.rss_bytes="));
	assert_true(metrics_get(m, "process.rss_bytes") > 0);
	assert_non_null(strstr(logged, "process.cpu_seconds="));
	metrics_remove_source(m, source, &value);
	metrics_flush(m);
	assert_int_equal(source_calls, 1);
	struct metrics_stats st;
	metrics_stats(m, &st);
	assert_int_equal(st.reports, 2);
	logged[0] = '\0';
	close_metrics(&loop, m); /* the last report */
	assert_non_null(strstr(logged, "from.source=42"));
	log_set_sink(LOG_ERROR, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counters_add_up_and_gauges_keep_the_last_value),
	    cmocka_unit_test(test_the_report_is_graphite_plaintext_in_name_order),
	    cmocka_unit_test(test_the_path_prefix_replaces_dots_in_host_and_executor),
	    cmocka_unit_test(test_a_missing_registry_ignores_everything),
	    cmocka_unit_test(test_bad_settings_are_refused_with_the_variable_named),
	    cmocka_unit_test(test_without_graphite_the_report_is_logged_with_sources_and_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
