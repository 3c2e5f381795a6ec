/* Generalized checks (TaskInfo.check) on the running checker
 * (executor/health.h), with a real loop, sockets and processes: a COMMAND
 * check reports each new exit code once, an empty result on timeout, its
 * environment and sandbox; HTTP and TCP checks report the status code or
 * whether they connected; a check runs beside a health check, and survives
 * an invalid one. The upstream CommandExecutorCheckTest scenarios (Mesos
 * src/tests/check_tests.cpp) at the level of what reaches on_check. The
 * fixture is health_fixture.h. */
#include "health_fixture.h"

static void test_command_check_reports_each_new_exit_code(void **state)
{
	/* CommandCheckDeliveredAndReconciled + CommandCheckStatusChange */
	struct spec s;
	spec_init(&s);
	spec_check_command(&s, scripted("1103"), 20);
	fx_run(&F, &s.task, NULL, until_checks_3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(F.c[i].type, MESOS__V1__CHECK_INFO__TYPE__COMMAND);
		assert_true(F.c[i].has_command && !F.c[i].has_http && !F.c[i].has_tcp);
		assert_true(F.c[i].has_value);
	}
	assert_int_equal(F.c[0].value, 1); /* the repeated 1 was not reported */
	assert_int_equal(F.c[1].value, 0);
	assert_int_equal(F.c[2].value, 3);
	assert_int_equal(F.nv, 0); /* a check never speaks for health */
}

static bool until_five_runs(struct fx *f)
{
	char *s = ts_read_file(sandbox_file("count"), NULL);
	int n = s ? atoi(s) : 0;
	free(s);
	return n >= 5;
}

static void test_command_check_repeating_a_result_reports_it_once(void **state)
{
	struct spec s;
	spec_init(&s);
	spec_check_command(&s, scripted("3"), 20);
	fx_run(&F, &s.task, NULL, until_five_runs);
	assert_int_equal(F.nc, 1);
	assert_int_equal(F.c[0].value, 3);
}

static void test_command_check_timeout_reports_an_empty_result(void **state)
{
	/* CommandCheckTimeout: after a result, a timeout gives `command` with
	 * no exit_code. */
	struct spec s;
	spec_init(&s);
	spec_check_command(&s,
	                   "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; "
	                   "[ $n -eq 0 ] && exit 0; exec sleep 120",
	                   0.5);
	fx_run(&F, &s.task, NULL, until_checks_2);
	assert_true(F.c[0].has_command && F.c[0].has_value);
	assert_int_equal(F.c[0].value, 0);
	assert_true(F.c[1].has_command);
	assert_false(F.c[1].has_value);
}

static void test_command_check_sees_the_tasks_environment_and_its_own(void **state)
{
	/* CommandCheckSeesParentsEnv */
	struct spec s;
	char *env[] = {"PARENT=42", "PATH=/usr/bin:/bin", NULL};
	spec_init(&s);
	spec_check_command(&s, "exit $((PARENT - OWN))", 20);
	spec_env(&s, &s.check_cmd, "OWN", "40");
	fx_run(&F, &s.task, env, until_checks_1);
	assert_true(F.c[0].has_value);
	assert_int_equal(F.c[0].value, 2);
}

static void test_command_check_shares_the_sandbox_with_the_task(void **state)
{
	struct spec s;
	FILE *fp = fopen(sandbox_file("task-file"), "w");
	assert_non_null(fp);
	fputs("x", fp);
	fclose(fp);
	spec_init(&s);
	spec_check_command(&s, "[ -f task-file ] && exit 5; exit 6", 20);
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_int_equal(F.c[0].value, 5);
}

static void test_http_check_reports_the_status_code_whatever_it_is(void **state)
{
	/* HTTPCheckDelivered; a 503 is a result, not an error */
	struct spec s;
	F.health_status = 503;
	spec_init(&s);
	spec_check(&s, MESOS__V1__CHECK_INFO__TYPE__HTTP, 20);
	Mesos__V1__CheckInfo__Http http = MESOS__V1__CHECK_INFO__HTTP__INIT;
	s.chttp = http;
	s.chttp.port = F.port;
	s.chttp.path = "/health";
	s.ci.http = &s.chttp;
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_int_equal(F.c[0].type, MESOS__V1__CHECK_INFO__TYPE__HTTP);
	assert_true(F.c[0].has_http && F.c[0].has_value);
	assert_int_equal(F.c[0].value, 503);
}

static void test_http_check_that_cannot_connect_reports_nothing_new(void **state)
{
	/* An error is the empty result, which is where a check starts: no
	 * update until something else happens. */
	struct spec s;
	spec_init(&s);
	spec_check(&s, MESOS__V1__CHECK_INFO__TYPE__HTTP, 20);
	Mesos__V1__CheckInfo__Http http = MESOS__V1__CHECK_INFO__HTTP__INIT;
	s.chttp = http;
	s.chttp.port = ts_free_port();
	s.ci.http = &s.chttp;
	fx_run(&F, &s.task, NULL, after_a_while);
	assert_int_equal(F.nc, 0);
}

static void test_tcp_check_reports_whether_it_connected(void **state)
{
	/* TCPCheckDelivered; a refused connection is succeeded=false */
	struct spec s;
	spec_init(&s);
	spec_check(&s, MESOS__V1__CHECK_INFO__TYPE__TCP, 20);
	Mesos__V1__CheckInfo__Tcp tcp = MESOS__V1__CHECK_INFO__TCP__INIT;
	s.ctcp = tcp;
	s.ctcp.port = F.port;
	s.ci.tcp = &s.ctcp;
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_true(F.c[0].has_tcp && F.c[0].has_value);
	assert_true(F.c[0].value);
}

static void test_tcp_check_on_a_closed_port_reports_not_succeeded(void **state)
{
	struct spec s;
	spec_init(&s);
	spec_check(&s, MESOS__V1__CHECK_INFO__TYPE__TCP, 20);
	Mesos__V1__CheckInfo__Tcp tcp = MESOS__V1__CHECK_INFO__TCP__INIT;
	s.ctcp = tcp;
	s.ctcp.port = ts_free_port();
	s.ci.tcp = &s.ctcp;
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_true(F.c[0].has_tcp && F.c[0].has_value);
	assert_false(F.c[0].value);
}

static bool until_both(struct fx *f)
{
	return f->nv >= 2 && f->nc >= 1;
}

static void test_check_and_health_check_run_independently(void **state)
{
	/* CommandCheckAndHealthCheckNoShadowing, at this level: each result
	 * goes to its own callback only. */
	struct spec s;
	spec_health(&s, 0, 5, 20);
	spec_command(&s, "[ -f hc ] && exit 1; touch hc; exit 0");
	spec_check_command(&s, "exit 7", 20);
	fx_run(&F, &s.task, NULL, until_both);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_int_equal(F.v[1], HEALTH_UNHEALTHY);
	assert_int_equal(F.nc, 1);
	assert_int_equal(F.c[0].value, 7);
}

static void test_invalid_health_check_leaves_the_check_running(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "exit 0");
	s.hc.type = MESOS__V1__HEALTH_CHECK__TYPE__HTTP; /* without `http` */
	spec_check_command(&s, "exit 2", 20);
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_int_equal(F.c[0].value, 2);
	assert_int_equal(F.nv, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_ERROR); /* probes with interval 0 log every failure */
	const struct CMUnitTest tests[] = {
	    T(test_command_check_reports_each_new_exit_code),
	    T(test_command_check_repeating_a_result_reports_it_once),
	    T(test_command_check_timeout_reports_an_empty_result),
	    T(test_command_check_sees_the_tasks_environment_and_its_own),
	    T(test_command_check_shares_the_sandbox_with_the_task),
	    T(test_http_check_reports_the_status_code_whatever_it_is),
	    T(test_http_check_that_cannot_connect_reports_nothing_new),
	    T(test_tcp_check_reports_whether_it_connected),
	    T(test_tcp_check_on_a_closed_port_reports_not_succeeded),
	    T(test_check_and_health_check_run_independently),
	    T(test_invalid_health_check_leaves_the_check_running),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
