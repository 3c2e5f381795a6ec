/* Error reports reaching a Sentry-like HTTP endpoint (executor/telemetry/sentry.h):
 * error log lines become events POSTed to the store API with the auth
 * header, from the loop thread and from other threads; a slow Sentry
 * costs dropped events, never a blocked logger; failures are counted; the
 * DSN's secret never appears in a log line or an event. */
#include "sinks.h"
#include "testsupport.h"

#include "common/log.h"
#include "executor/telemetry/sentry.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEADLINE_MS 30000

struct fx {
	uv_loop_t loop;
	uv_timer_t alive; /* the executor's loop always has work; so does this one */
	struct http_sink *sentry;
	struct sentry *s;
	char dsn[128];
};

static struct fx F;

static void keep_alive(uv_timer_t *t) {}

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	uv_loop_init(&F.loop);
	uv_timer_init(&F.loop, &F.alive);
	uv_timer_start(&F.alive, keep_alive, 1000, 1000);
	F.sentry = http_sink_start();
	assert_non_null(F.sentry);
	snprintf(F.dsn, sizeof(F.dsn), "http://pubkey:seckey-9f8e@%s/42", http_sink_addr(F.sentry));
	return 0;
}

static void start(size_t queue_max)
{
	char err[256] = "";
	int rc = sentry_start(&F.loop,
	                      &(struct sentry_config){.dsn = F.dsn,
	                                              .release = "v9.9.9",
	                                              .hostname = "node-1-test.dc",
	                                              .executor_id = "exec-1",
	                                              .queue_max = queue_max,
	                                              .timeout_ms = 10000},
	                      &F.s, err, sizeof(err));
	if (rc != 1)
		fail_msg("sentry_start: %d %s", rc, err);
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
	sentry_close(F.s);
	uv_close((uv_handle_t *)&F.alive, NULL);
	assert_true(loop_empty());
	assert_int_equal(uv_loop_close(&F.loop), 0);
	http_sink_stop(F.sentry);
	return 0;
}

static struct sentry_stats stats(void)
{
	struct sentry_stats st;
	sentry_stats(F.s, &st);
	return st;
}

/* Turns the loop until the endpoint got n requests and they are answered. */
static bool wait_events(size_t n)
{
	int64_t end = ts_now_ms() + DEADLINE_MS;
	while (ts_now_ms() < end) {
		struct sentry_stats st = stats();
		if (http_sink_count(F.sentry) >= n && st.sent + st.failed >= n)
			return true;
		uv_run(&F.loop, UV_RUN_NOWAIT);
		ts_sleep_ms(1);
	}
	return false;
}

static cJSON *event(size_t i, struct http_sink_req *r)
{
	assert_true(http_sink_get(F.sentry, i, r));
	cJSON *j = cJSON_Parse(r->body);
	assert_non_null(j);
	return j;
}

static const char *str(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_error_lines_arrive_as_events_with_the_auth_header(void **state)
{
	start(0);
	log_error("hook %s failed: %s", "consul", "HTTP 503");
	log_warn("a warning is not reported");
	log_info("neither is this");
	log_error("second error");
	assert_true(wait_events(2));
	assert_int_equal(http_sink_count(F.sentry), 2);

	/* Two posts may be in flight at once: the events arrive in either order. */
	struct http_sink_req r;
	cJSON *ev = event(0, &r);
	size_t first = 0;
	if (strcmp(str(ev, "message"), "hook consul failed: HTTP 503") != 0) {
		cJSON_Delete(ev);
		http_sink_req_free(&r);
		first = 1;
		ev = event(first, &r);
	}
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.path, "/api/42/store/");
	char auth[512];
	assert_true(http_sink_header(&r, "X-Sentry-Auth", auth, sizeof(auth)));
	assert_int_equal(strncmp(auth, "Sentry sentry_version=7, ", 25), 0);
	assert_non_null(strstr(auth, "sentry_key=pubkey"));
	assert_non_null(strstr(auth, "sentry_secret=seckey-9f8e"));
	assert_non_null(strstr(auth, "sentry_client=allegro-mesos-executor-c/v9.9.9"));
	char ct[128];
	assert_true(http_sink_header(&r, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "application/json");
	assert_string_equal(str(ev, "message"), "hook consul failed: HTTP 503");
	assert_string_equal(str(ev, "level"), "error");
	assert_string_equal(str(ev, "environment"), "test");
	assert_string_equal(str(ev, "release"), "v9.9.9");
	assert_string_equal(str(ev, "server_name"), "node-1-test.dc");
	assert_string_equal(str(cJSON_GetObjectItem(ev, "tags"), "executor_id"), "exec-1");
	cJSON_Delete(ev);
	http_sink_req_free(&r);
	ev = event(1 - first, &r);
	assert_string_equal(str(ev, "message"), "second error");
	cJSON_Delete(ev);
	http_sink_req_free(&r);
	assert_int_equal(stats().sent, 2);
}

#define THREADS    4
#define PER_THREAD 10

static void *log_errors(void *arg)
{
	for (int i = 0; i < PER_THREAD; i++)
		log_error("thread %d error %d", (int)(intptr_t)arg, i);
	return NULL;
}

static void test_errors_logged_on_other_threads_arrive_too(void **state)
{
	start(THREADS * PER_THREAD);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, log_errors, (void *)(intptr_t)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	assert_true(wait_events(THREADS * PER_THREAD));
	struct sentry_stats st = stats();
	assert_int_equal(st.sent, THREADS * PER_THREAD);
	assert_int_equal(st.dropped, 0);
	/* every message once */
	int seen[THREADS][PER_THREAD] = {{0}};
	for (size_t i = 0; i < THREADS * PER_THREAD; i++) {
		struct http_sink_req r;
		cJSON *ev = event(i, &r);
		int t, k;
		assert_int_equal(sscanf(str(ev, "message"), "thread %d error %d", &t, &k), 2);
		seen[t][k]++;
		cJSON_Delete(ev);
		http_sink_req_free(&r);
	}
	for (int t = 0; t < THREADS; t++)
		for (int k = 0; k < PER_THREAD; k++)
			assert_int_equal(seen[t][k], 1);
}

static void test_a_slow_sentry_costs_dropped_events_not_a_blocked_logger(void **state)
{
	http_sink_delay(F.sentry, 1500);
	start(8);
	for (int i = 0; i < 100; i++) /* returns at once: only a queue and a wake-up */
		log_error("flood %d", i);
	struct sentry_stats st = stats();
	assert_int_equal(st.queued + st.dropped, 100);
	assert_true(st.dropped >= 92);
	assert_true(wait_events(1));
}

static void test_a_failing_sentry_is_counted(void **state)
{
	http_sink_reply(F.sentry, "/api/42/store/", 500, "{\"error\":\"down\"}");
	start(0);
	log_error("lost report");
	assert_true(wait_events(1));
	struct sentry_stats st = stats();
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.sent, 0);
}

static void test_the_dsn_secret_never_reaches_a_log_line_or_an_event(void **state)
{
	char path[] = "/tmp/sentry-log-XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(2);
	dup2(fd, 2);
	start(0);
	log_error("configured with %s", F.dsn);
	dup2(saved, 2);
	close(saved);
	assert_true(wait_events(1));
	char *logged = ts_read_file(path, NULL);
	unlink(path);
	close(fd);
	assert_null(strstr(logged, "seckey-9f8e"));
	assert_non_null(strstr(logged, "[redacted]"));
	free(logged);
	struct http_sink_req r;
	cJSON *ev = event(0, &r);
	assert_null(strstr(r.body, "seckey-9f8e"));
	assert_non_null(strstr(str(ev, "message"), "[redacted]"));
	cJSON_Delete(ev);
	http_sink_req_free(&r);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_error_lines_arrive_as_events_with_the_auth_header,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors_logged_on_other_threads_arrive_too, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_a_slow_sentry_costs_dropped_events_not_a_blocked_logger, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_failing_sentry_is_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_the_dsn_secret_never_reaches_a_log_line_or_an_event, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
