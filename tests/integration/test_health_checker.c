/* The running health checker (executor/health.h) on a real libuv loop, with
 * real sockets on 127.0.0.1 and real processes: HTTP probes against a small
 * server run by the test (fakekit/httpd.h), TCP probes against open and closed
 * ports, COMMAND probes that pass, fail, read their environment and hang past
 * their timeout (the whole process group is killed), and health_stop with a
 * probe in flight. The upstream HealthCheckTest scenarios (Mesos
 * src/tests/health_check_tests.cpp) are replayed here at the level this
 * module controls: what reaches on_health. Generalized checks are
 * test_health_checks_generalized.c's. A fake clock drives the grace period;
 * nothing asserts how long anything took, except lower bounds that noise can
 * only make longer. The fixture is health_fixture.h. */
#include "health_fixture.h"

/* ================================================================ HTTP */

static void test_http_health_check_reports_healthy_for_200(void **state)
{
	struct spec s;
	char want[128];
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/help", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_string_equal(F.path[0], "/help");
	snprintf(want, sizeof(want), "got status 200 from http://127.0.0.1:%u/help", F.port);
	assert_contains(F.msg[0], want);
}

static void test_http_health_check_without_type_is_run_as_http(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/help", false);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_true(F.hits >= 1);
}

static void test_http_health_check_follows_redirects(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/redirect", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_string_equal(F.path[0], "/redirect");
	assert_string_equal(F.path[1], "/ok");
}

static void test_http_5xx_is_unhealthy_with_the_status_in_the_message(void **state)
{
	struct spec s;
	char want[160];
	F.health_status = 503;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/health", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	snprintf(want, sizeof(want),
	         "HTTP health check failed: got status 503 from http://127.0.0.1:%u/health",
	         F.port);
	assert_string_equal(F.msg[0], want);
}

static void test_http_399_is_still_healthy(void **state)
{
	struct spec s;
	F.health_status = 399;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/health", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_contains(F.msg[0], "got status 399");
}

static void test_http_400_is_unhealthy(void **state)
{
	struct spec s;
	F.health_status = 400;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/health", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	assert_contains(F.msg[0], "got status 400");
}

static void test_http_connection_refused_is_unhealthy(void **state)
{
	struct spec s;
	char want[96];
	unsigned port = ts_free_port();
	spec_health(&s, 0, 3, 20);
	spec_http(&s, port, "/x", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	snprintf(want, sizeof(want), "HTTP health check failed: http://127.0.0.1:%u/x: ", port);
	assert_contains(F.msg[0], want);
}

static void test_http_probe_that_outlives_its_timeout_fails(void **state)
{
	struct spec s;
	spec_health(&s, 0, 1, 0.3);
	spec_http(&s, F.port, "/hang", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY_KILL);
	assert_contains(F.msg[0], "HTTP health check timed out after 300ms");
}

/* ---- HTTPS: Mesos probes with `curl -k`, so a self-signed server is fine */

static void test_https_health_check_accepts_a_self_signed_certificate(void **state)
{
	if (!ts_have_openssl())
		skip(); /* scripts/deps.sh installs it */
	struct ts_proc tls;
	unsigned port;
	assert_int_equal(ts_make_cert(F.sandbox, "server"), 0);
	assert_int_equal(ts_tls_server(&tls, F.sandbox, "server", NULL, &port), 0);
	struct spec s;
	char want[128];
	spec_health(&s, 0, 3, 20);
	spec_http(&s, port, "/", true);
	s.http.scheme = "https";
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	ts_stop(&tls, SIGTERM, 5000);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	snprintf(want, sizeof(want), "got status 200 from https://127.0.0.1:%u/", port);
	assert_contains(F.msg[0], want);
}

static void test_https_health_check_against_a_plain_http_server_is_unhealthy(void **state)
{
	struct spec s;
	char want[128];
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/help", true);
	s.http.scheme = "https";
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	snprintf(want, sizeof(want),
	         "HTTP health check failed: https://127.0.0.1:%u/help: ", F.port);
	assert_contains(F.msg[0], want);
}

/* The first probe waits delay_seconds; the next one starts interval_seconds
 * after the previous one finished (a slow answer pushes it back). */
static bool until_three_hits(struct fx *f)
{
	return f->hits >= 3;
}

static void test_probes_wait_the_delay_then_the_interval_after_each_finishes(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/slow", true);
	s.hc.delay_seconds = 0.2;
	s.hc.interval_seconds = 0.1;
	F.slow_ms = 300;
	fx_run(&F, &s.task, NULL, until_three_hits);
	/* Lower bounds only (a fixed-rate schedule would give ~100 ms); some
	 * slack for millisecond timer rounding. */
	assert_true(F.hit_ns[0] - F.started_ns >= 200 * MS - 10 * MS);
	assert_true(F.hit_ns[1] - F.hit_ns[0] >= (300 + 100) * MS - 10 * MS);
	assert_true(F.hit_ns[2] - F.hit_ns[1] >= (300 + 100) * MS - 10 * MS);
}

/* ================================================================ TCP */

static void test_tcp_health_check_on_an_open_port_is_healthy(void **state)
{
	struct spec s;
	char want[96];
	spec_health(&s, 0, 3, 20);
	spec_tcp(&s, F.port, false);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	snprintf(want, sizeof(want), "TCP health check passed: connected to 127.0.0.1:%u", F.port);
	assert_string_equal(F.msg[0], want);
}

static void test_tcp_health_check_on_a_closed_port_is_unhealthy(void **state)
{
	struct spec s;
	char want[96];
	unsigned port = ts_free_port();
	spec_health(&s, 0, 3, 20);
	spec_tcp(&s, port, false);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	snprintf(want, sizeof(want), "TCP health check failed: connection refused to 127.0.0.1:%u",
	         port);
	assert_string_equal(F.msg[0], want);
}

static uv_tcp_t v6_server; /* static: teardown's loop run may close it */

static void on_v6_connection(uv_stream_t *server, int status)
{
	uv_tcp_t *c = malloc(sizeof(*c));
	assert_non_null(c);
	uv_tcp_init(server->loop, c);
	uv_accept(server, (uv_stream_t *)c);
	uv_close((uv_handle_t *)c, (uv_close_cb)free);
}

static bool v6_step(struct fx *f)
{
	if (f->nv < 1)
		return false;
	uv_close((uv_handle_t *)&v6_server, NULL); /* or the loop never ends */
	return true;
}

static void test_tcp_health_check_with_ipv6_connects_to_the_ipv6_loopback(void **state)
{
	struct sockaddr_in6 a;
	int len = sizeof(a);
	struct spec s;
	char want[96];

	uv_tcp_init(&F.loop, &v6_server);
	uv_ip6_addr("::1", 0, &a);
	if (uv_tcp_bind(&v6_server, (struct sockaddr *)&a, 0) < 0 ||
	    uv_listen((uv_stream_t *)&v6_server, 8, on_v6_connection) < 0) {
		uv_close((uv_handle_t *)&v6_server, NULL);
		skip(); /* no IPv6 loopback here */
	}
	uv_tcp_getsockname(&v6_server, (struct sockaddr *)&a, &len);
	unsigned port = ntohs(a.sin6_port);
	spec_health(&s, 0, 3, 20);
	spec_tcp(&s, port, true);
	fx_run(&F, &s.task, NULL, v6_step);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	snprintf(want, sizeof(want), "connected to [::1]:%u", port);
	assert_contains(F.msg[0], want);
}

/* ================================================================ COMMAND */

static void test_command_health_check_exiting_0_is_healthy(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "exit 0");
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_string_equal(F.msg[0], "COMMAND health check passed");
}

static void test_command_health_check_in_exec_form_is_healthy(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "true");
	s.cmd.has_shell = true;
	s.cmd.shell = false;
	s.args[0] = "true";
	s.cmd.n_arguments = 1;
	s.cmd.arguments = s.args;
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
}

static void test_command_health_check_exec_form_that_fails_to_exec_is_unhealthy(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "/nonexistent/probe");
	s.cmd.has_shell = true;
	s.cmd.shell = false;
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	assert_contains(F.msg[0],
	                "COMMAND health check failed: exec /nonexistent/probe: No such file");
}

static void test_command_health_check_failing_says_its_exit_status(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "exit 1");
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	assert_string_equal(F.msg[0], "COMMAND health check failed: exited with status 1");
}

static void test_command_health_check_sees_its_environment_over_the_tasks(void **state)
{
	/* EnvironmentSetup: `exit $STATUS` with STATUS=0 from the check, over
	 * STATUS=1 from the task; TASK_ONLY comes from the task. */
	struct spec s;
	char *env[] = {"STATUS=1", "TASK_ONLY=7", "PATH=/usr/bin:/bin", NULL};
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "[ \"$TASK_ONLY\" = 7 ] || exit 9; exit $STATUS");
	spec_env(&s, &s.cmd, "STATUS", "0");
	fx_run(&F, &s.task, env, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
}

static void test_command_health_check_without_override_sees_the_task_environment(void **state)
{
	struct spec s;
	char *env[] = {"STATUS=4", "PATH=/usr/bin:/bin", NULL};
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "exit $STATUS");
	fx_run(&F, &s.task, env, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	assert_contains(F.msg[0], "exited with status 4");
}

static void test_command_health_check_runs_in_the_sandbox(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "pwd > where");
	s.hc.interval_seconds = 3600; /* one probe: no rewrite while we read */
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	char *where = ts_read_file(sandbox_file("where"), NULL);
	assert_non_null(where);
	char *real = realpath(F.sandbox, NULL);
	assert_true(strncmp(where, real, strlen(real)) == 0);
	free(real);
	free(where);
}

/* ---- the upstream scenarios on the running checker */

static void test_scenario_health_status_change(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, scripted("0100"));
	fx_run(&F, &s.task, NULL, until_verdicts_3);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_int_equal(F.v[1], HEALTH_UNHEALTHY);
	assert_int_equal(F.v[2], HEALTH_HEALTHY);
}

static void test_scenario_consecutive_failures(void **state)
{
	struct spec s;
	spec_health(&s, 0, 4, 20);
	spec_command(&s, "exit 1");
	fx_run(&F, &s.task, NULL, until_verdicts_4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(F.v[i], HEALTH_UNHEALTHY);
	assert_int_equal(F.v[3], HEALTH_UNHEALTHY_KILL);
}

/* GracePeriod: failures inside the grace period send nothing. After a
 * number of real failing probes the fake clock jumps past the grace period
 * and the next failure is the first one counted. */
static bool grace_step(struct fx *f)
{
	if (f->phase == 0 && f->hits >= 5) {
		assert_int_equal(f->nv, 0);
		clock_skew_ns = 10000LL * 1000000000LL;
		f->phase = 1;
	}
	return f->nv >= 1;
}

static void test_scenario_grace_period(void **state)
{
	struct spec s;
	F.health_status = 500;
	spec_health(&s, 9999, 1, 20);
	spec_http(&s, F.port, "/health", true);
	fx_run(&F, &s.task, NULL, grace_step);
	assert_int_equal(F.phase, 1);
	assert_true(F.hits >= 6);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY_KILL); /* first counted failure, limit 1 */
}

static void test_scenario_healthy_to_unhealthy_transition_within_grace_period(void **state)
{
	struct spec s;
	spec_health(&s, 9999, 0, 20);
	spec_command(&s, scripted("01"));
	fx_run(&F, &s.task, NULL, until_verdicts_2);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_int_equal(F.v[1], HEALTH_UNHEALTHY_KILL);
}

/* CheckCommandTimeout: a hanging command (and its child) is killed as a
 * group at the timeout and the failure kills the task (failures 1). */
static bool hung_group_dead(struct fx *f)
{
	if (f->nv < 1)
		return false;
	pid_t sh = read_pid("sh.pid"), child = read_pid("child.pid");
	assert_true(sh > 0 && child > 0);
	return process_dead(sh) && process_dead(child);
}

static void test_scenario_check_command_timeout_kills_the_whole_group(void **state)
{
	struct spec s;
	spec_health(&s, 0, 1, 1);
	s.hc.interval_seconds = 3600; /* one probe */
	spec_command(&s, "echo $$ > sh.pid; sleep 120 & echo $! > child.pid; wait");
	fx_run(&F, &s.task, NULL, hung_group_dead);
	assert_int_equal(F.nv, 1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY_KILL);
	assert_string_equal(F.msg[0], "COMMAND health check timed out after 1secs");
}

/* ================================================================ stop */

static bool stop_when_probe_runs(struct fx *f)
{
	if (f->phase == 0) {
		if (read_pid("child.pid") <= 0)
			return false;
		fx_stop_checker(f); /* a COMMAND probe is in flight */
		f->phase = 1;
		return false;
	}
	return process_dead(read_pid("sh.pid")) && process_dead(read_pid("child.pid"));
}

static void test_stop_kills_a_command_probe_in_flight_and_reports_nothing(void **state)
{
	struct spec s;
	spec_health(&s, 0, 1, 0); /* no timeout */
	spec_command(&s, "echo $$ > sh.pid; sleep 120 & echo $! > child.pid; wait");
	fx_run(&F, &s.task, NULL, stop_when_probe_runs);
	assert_int_equal(F.nv, 0);
}

static bool stop_when_request_hangs(struct fx *f)
{
	if (f->phase == 0 && f->pending) {
		fx_stop_checker(f);  /* the HTTP request is in flight */
		f->phase = f->ticks; /* when it stopped */
		f->hits = 0;
		return false;
	}
	/* Give a cancelled probe time to (wrongly) report or retry. */
	return f->phase > 0 && f->ticks > f->phase + 20;
}

static void test_stop_cancels_an_http_probe_in_flight_and_reports_nothing(void **state)
{
	struct spec s;
	spec_health(&s, 0, 1, 0);
	spec_http(&s, F.port, "/hang", true);
	fx_run(&F, &s.task, NULL, stop_when_request_hangs);
	assert_int_equal(F.nv, 0);
	assert_int_equal(F.hits, 0); /* no probe after the stop */
}

static void stop_soon(uv_timer_t *t)
{
	fx_stop_checker(t->data);
}

static void test_stop_with_a_tcp_connect_in_flight_reports_nothing(void **state)
{
	struct spec s;
	uv_timer_t t;
	spec_health(&s, 0, 1, 0);
	spec_tcp(&s, ts_free_port(), false);
	/* Same due time as the first probe and started after it: runs right
	 * after the connect was issued, before its result can arrive. */
	uv_timer_init(&F.loop, &t);
	t.data = &F;
	struct health_opts o = {.loop = &F.loop,
	                        .http = F.http,
	                        .task = &s.task,
	                        .cbs = {.on_health = on_health_cb, .data = &F}};
	F.h = health_start(&o);
	assert_non_null(F.h);
	uv_timer_start(&t, stop_soon, 0, 0);
	F.step = after_a_while;
	uv_timer_start(&F.tick, on_tick, 10, 10);
	uv_timer_start(&F.deadline, on_deadline, 60000, 0);
	uv_run(&F.loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&F.loop, UV_RUN_DEFAULT); /* t lives on this stack */
	assert_false(F.timed_out);
	assert_int_equal(F.nv, 0);
	assert_int_equal(F.health_events_after_stop, 0);
}

static bool stop_inside_callback(struct fx *f)
{
	return f->nv >= 1;
}

static void on_health_stop_inside(void *data, enum health_verdict v, const char *message)
{
	struct fx *f = data;
	on_health_cb(data, v, message);
	fx_stop_checker(f); /* as the executor does when it starts a kill */
}

static void test_stop_from_inside_the_verdict_callback_is_safe(void **state)
{
	struct spec s;
	spec_health(&s, 0, 0, 20);
	spec_command(&s, "exit 1");
	struct health_opts o = {.loop = &F.loop,
	                        .task = &s.task,
	                        .sandbox = F.sandbox,
	                        .cbs = {.on_health = on_health_stop_inside, .data = &F}};
	F.h = health_start(&o);
	assert_non_null(F.h);
	F.step = stop_inside_callback;
	uv_timer_start(&F.tick, on_tick, 10, 10);
	uv_timer_start(&F.deadline, on_deadline, 60000, 0);
	uv_run(&F.loop, UV_RUN_DEFAULT);
	assert_false(F.timed_out);
	assert_int_equal(F.nv, 1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY_KILL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_ERROR); /* probes with interval 0 log every failure */
	const struct CMUnitTest tests[] = {
	    T(test_http_health_check_reports_healthy_for_200),
	    T(test_http_health_check_without_type_is_run_as_http),
	    T(test_http_health_check_follows_redirects),
	    T(test_http_5xx_is_unhealthy_with_the_status_in_the_message),
	    T(test_http_399_is_still_healthy),
	    T(test_http_400_is_unhealthy),
	    T(test_http_connection_refused_is_unhealthy),
	    T(test_http_probe_that_outlives_its_timeout_fails),
	    T(test_https_health_check_accepts_a_self_signed_certificate),
	    T(test_https_health_check_against_a_plain_http_server_is_unhealthy),
	    T(test_probes_wait_the_delay_then_the_interval_after_each_finishes),
	    T(test_tcp_health_check_on_an_open_port_is_healthy),
	    T(test_tcp_health_check_on_a_closed_port_is_unhealthy),
	    T(test_tcp_health_check_with_ipv6_connects_to_the_ipv6_loopback),
	    T(test_command_health_check_exiting_0_is_healthy),
	    T(test_command_health_check_in_exec_form_is_healthy),
	    T(test_command_health_check_exec_form_that_fails_to_exec_is_unhealthy),
	    T(test_command_health_check_failing_says_its_exit_status),
	    T(test_command_health_check_sees_its_environment_over_the_tasks),
	    T(test_command_health_check_without_override_sees_the_task_environment),
	    T(test_command_health_check_runs_in_the_sandbox),
	    T(test_scenario_health_status_change),
	    T(test_scenario_consecutive_failures),
	    T(test_scenario_grace_period),
	    T(test_scenario_healthy_to_unhealthy_transition_within_grace_period),
	    T(test_scenario_check_command_timeout_kills_the_whole_group),
	    T(test_stop_kills_a_command_probe_in_flight_and_reports_nothing),
	    T(test_stop_cancels_an_http_probe_in_flight_and_reports_nothing),
	    T(test_stop_with_a_tcp_connect_in_flight_reports_nothing),
	    T(test_stop_from_inside_the_verdict_callback_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
