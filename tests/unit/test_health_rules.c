/* The pure rules of health checking (executor/health_rules.h), driven with a
 * fake clock: Mesos' HealthChecker counting (src/checks/health_checker.cpp,
 * HealthChecker::failure and success), the upstream HealthCheckTest
 * scenarios at the level of verdicts (src/tests/health_check_tests.cpp), the
 * probe timing with its defaults, and the validation of HealthCheck and
 * CheckInfo (HealthCheckProtobufValidation, CheckInfoValidation); and that
 * the checker (executor/health.h) starts nothing when nothing is valid. */
#include "testsupport.h"

#include "executor/health.h"
#include "executor/health_rules.h"

#include <math.h>
#include <string.h>

#define SEC 1000000000LL

static Mesos__V1__HealthCheck command_check(double grace, uint32_t failures)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	hc.has_grace_period_seconds = true;
	hc.grace_period_seconds = grace;
	hc.has_consecutive_failures = true;
	hc.consecutive_failures = failures;
	return hc;
}

static struct health_counter counter(double grace, uint32_t failures)
{
	Mesos__V1__HealthCheck hc = command_check(grace, failures);
	struct health_counter c;
	health_counter_init(&c, &hc, 100 * SEC);
	return c;
}

/* ---- HealthChecker's counting, one rule per test */

static void test_first_success_reports_healthy(void **state)
{
	struct health_counter c = counter(0, 3);
	assert_int_equal(health_counter_result(&c, true, 101 * SEC), HEALTH_HEALTHY);
}

static void test_successes_after_the_first_are_quiet(void **state)
{
	struct health_counter c = counter(0, 3);
	health_counter_result(&c, true, 101 * SEC);
	assert_int_equal(health_counter_result(&c, true, 102 * SEC), HEALTH_QUIET);
	assert_int_equal(health_counter_result(&c, true, 103 * SEC), HEALTH_QUIET);
}

static void test_failure_inside_grace_period_is_ignored_and_not_counted(void **state)
{
	struct health_counter c = counter(10, 3);
	assert_int_equal(health_counter_result(&c, false, 101 * SEC), HEALTH_QUIET);
	assert_int_equal(health_counter_result(&c, false, 109 * SEC), HEALTH_QUIET);
	assert_int_equal(c.failures, 0);
	/* Past the grace period the first counted failure is number one. */
	assert_int_equal(health_counter_result(&c, false, 111 * SEC), HEALTH_UNHEALTHY);
	assert_int_equal(c.failures, 1);
}

static void test_failure_exactly_at_the_end_of_grace_is_still_ignored(void **state)
{
	struct health_counter c = counter(10, 1);
	assert_int_equal(health_counter_result(&c, false, 110 * SEC), HEALTH_QUIET);
	assert_int_equal(health_counter_result(&c, false, 110 * SEC + 1), HEALTH_UNHEALTHY_KILL);
}

static void test_zero_grace_period_counts_the_first_failure(void **state)
{
	struct health_counter c = counter(0, 3);
	assert_int_equal(health_counter_result(&c, false, 100 * SEC), HEALTH_UNHEALTHY);
	assert_int_equal(c.failures, 1);
}

static void test_grace_period_ends_with_the_first_success(void **state)
{
	struct health_counter c = counter(9999, 3);
	assert_int_equal(health_counter_result(&c, true, 101 * SEC), HEALTH_HEALTHY);
	assert_int_equal(health_counter_result(&c, false, 102 * SEC), HEALTH_UNHEALTHY);
}

static void test_every_counted_failure_reports_unhealthy(void **state)
{
	struct health_counter c = counter(0, 5);
	for (uint32_t i = 1; i <= 4; i++) {
		assert_int_equal(health_counter_result(&c, false, 101 * SEC), HEALTH_UNHEALTHY);
		assert_int_equal(c.failures, i);
	}
}

static void test_reaching_consecutive_failures_asks_for_a_kill(void **state)
{
	struct health_counter c = counter(0, 2);
	assert_int_equal(health_counter_result(&c, false, 101 * SEC), HEALTH_UNHEALTHY);
	assert_int_equal(health_counter_result(&c, false, 102 * SEC), HEALTH_UNHEALTHY_KILL);
}

static void test_zero_consecutive_failures_kills_on_the_first_counted_failure(void **state)
{
	struct health_counter c = counter(0, 0);
	assert_int_equal(health_counter_result(&c, false, 101 * SEC), HEALTH_UNHEALTHY_KILL);
}

static void test_success_after_failures_reports_healthy_and_resets_the_count(void **state)
{
	struct health_counter c = counter(0, 3);
	health_counter_result(&c, true, 101 * SEC);
	health_counter_result(&c, false, 102 * SEC);
	health_counter_result(&c, false, 103 * SEC);
	assert_int_equal(health_counter_result(&c, true, 104 * SEC), HEALTH_HEALTHY);
	assert_int_equal(c.failures, 0);
	/* Two more failures are not three in a row. */
	assert_int_equal(health_counter_result(&c, false, 105 * SEC), HEALTH_UNHEALTHY);
	assert_int_equal(health_counter_result(&c, false, 106 * SEC), HEALTH_UNHEALTHY);
}

static void test_unset_fields_mean_grace_10s_and_3_failures(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	struct health_counter c;
	hc.has_grace_period_seconds = hc.has_consecutive_failures = false;
	hc.grace_period_seconds = 0; /* a stale value without has_ is not used */
	hc.consecutive_failures = 0;
	health_counter_init(&c, &hc, 0);
	assert_int_equal(c.grace_ns, 10 * SEC);
	assert_int_equal(c.max_failures, 3);
	assert_int_equal(health_counter_result(&c, false, 10 * SEC), HEALTH_QUIET);
	assert_int_equal(health_counter_result(&c, false, 11 * SEC), HEALTH_UNHEALTHY);
	assert_int_equal(health_counter_result(&c, false, 12 * SEC), HEALTH_UNHEALTHY);
	assert_int_equal(health_counter_result(&c, false, 13 * SEC), HEALTH_UNHEALTHY_KILL);
}

/* ---- upstream HealthCheckTest scenarios, as verdict sequences */

static void test_scenario_healthy_task(void **state)
{
	struct health_counter c = counter(0, 3);
	assert_int_equal(health_counter_result(&c, true, 100 * SEC), HEALTH_HEALTHY);
}

static void test_scenario_health_status_change(void **state)
{
	struct health_counter c = counter(0, 3);
	assert_int_equal(health_counter_result(&c, true, 100 * SEC), HEALTH_HEALTHY);
	assert_int_equal(health_counter_result(&c, false, 100 * SEC), HEALTH_UNHEALTHY);
	assert_int_equal(health_counter_result(&c, true, 100 * SEC), HEALTH_HEALTHY);
}

static void test_scenario_consecutive_failures(void **state)
{
	struct health_counter c = counter(0, 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(health_counter_result(&c, false, 100 * SEC), HEALTH_UNHEALTHY);
	assert_int_equal(health_counter_result(&c, false, 100 * SEC), HEALTH_UNHEALTHY_KILL);
}

static void test_scenario_grace_period(void **state)
{
	struct health_counter c = counter(9999, 3);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(health_counter_result(&c, false, (100 + i) * SEC), HEALTH_QUIET);
}

static void test_scenario_check_command_timeout(void **state)
{
	/* A timeout is a failure; with consecutive_failures 1 it kills. */
	struct health_counter c = counter(0, 1);
	assert_int_equal(health_counter_result(&c, false, 101 * SEC), HEALTH_UNHEALTHY_KILL);
}

static void test_scenario_healthy_to_unhealthy_transition_within_grace_period(void **state)
{
	struct health_counter c = counter(9999, 0);
	assert_int_equal(health_counter_result(&c, true, 101 * SEC), HEALTH_HEALTHY);
	assert_int_equal(health_counter_result(&c, false, 102 * SEC), HEALTH_UNHEALTHY_KILL);
}

/* ---- timing */

static void test_health_timing_defaults_are_15_10_20(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	struct health_timing t;
	hc.delay_seconds = hc.interval_seconds = hc.timeout_seconds = 1; /* without has_ */
	health_timing_of(&hc, &t);
	assert_int_equal(t.delay_ns, 15 * SEC);
	assert_int_equal(t.interval_ns, 10 * SEC);
	assert_int_equal(t.timeout_ns, 20 * SEC);
}

static void test_check_timing_defaults_are_15_10_20(void **state)
{
	Mesos__V1__CheckInfo ci = MESOS__V1__CHECK_INFO__INIT;
	struct health_timing t;
	check_timing_of(&ci, &t);
	assert_int_equal(t.delay_ns, 15 * SEC);
	assert_int_equal(t.interval_ns, 10 * SEC);
	assert_int_equal(t.timeout_ns, 20 * SEC);
}

static void test_timing_takes_set_fields_and_zero_timeout_means_none(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	struct health_timing t;
	hc.has_delay_seconds = hc.has_interval_seconds = hc.has_timeout_seconds = true;
	hc.delay_seconds = 0;
	hc.interval_seconds = 0.25;
	hc.timeout_seconds = 0;
	health_timing_of(&hc, &t);
	assert_int_equal(t.delay_ns, 0);
	assert_int_equal(t.interval_ns, SEC / 4);
	assert_int_equal(t.timeout_ns, 0);
}

/* ---- HealthCheck validation */

static void assert_invalid(const Mesos__V1__HealthCheck *hc, const char *want)
{
	char err[256] = "";
	assert_int_equal(health_validate(hc, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

static void assert_valid(const Mesos__V1__HealthCheck *hc)
{
	char err[256] = "";
	if (health_validate(hc, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
}

static void test_health_check_without_type_or_sub_message_is_invalid(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	assert_invalid(&hc, "HealthCheck must specify 'type'");
	assert_int_equal(health_type(&hc), MESOS__V1__HEALTH_CHECK__TYPE__UNKNOWN);
}

static void test_health_check_of_type_unknown_is_invalid(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__HealthCheck__TCPCheckInfo tcp = MESOS__V1__HEALTH_CHECK__TCPCHECK_INFO__INIT;
	hc.has_type = true;
	hc.type = MESOS__V1__HEALTH_CHECK__TYPE__UNKNOWN;
	hc.tcp = &tcp; /* a sub-message does not rescue an explicit UNKNOWN */
	assert_invalid(&hc, "'UNKNOWN' is not a valid health check type");
}

static void test_type_is_inferred_from_the_only_sub_message(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__HealthCheck__HTTPCheckInfo http = MESOS__V1__HEALTH_CHECK__HTTPCHECK_INFO__INIT;
	Mesos__V1__HealthCheck__TCPCheckInfo tcp = MESOS__V1__HEALTH_CHECK__TCPCHECK_INFO__INIT;
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	cmd.value = "true";

	hc.http = &http;
	assert_int_equal(health_type(&hc), MESOS__V1__HEALTH_CHECK__TYPE__HTTP);
	assert_valid(&hc);
	hc.http = NULL;
	hc.tcp = &tcp;
	assert_int_equal(health_type(&hc), MESOS__V1__HEALTH_CHECK__TYPE__TCP);
	assert_valid(&hc);
	hc.tcp = NULL;
	hc.command = &cmd;
	assert_int_equal(health_type(&hc), MESOS__V1__HEALTH_CHECK__TYPE__COMMAND);
	assert_valid(&hc);
}

static void test_type_is_not_inferred_from_two_sub_messages(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__HealthCheck__HTTPCheckInfo http = MESOS__V1__HEALTH_CHECK__HTTPCHECK_INFO__INIT;
	Mesos__V1__HealthCheck__TCPCheckInfo tcp = MESOS__V1__HEALTH_CHECK__TCPCHECK_INFO__INIT;
	hc.http = &http;
	hc.tcp = &tcp;
	assert_int_equal(health_type(&hc), MESOS__V1__HEALTH_CHECK__TYPE__UNKNOWN);
	assert_invalid(&hc, "must specify 'type'");
	/* An explicit type picks one. */
	hc.has_type = true;
	hc.type = MESOS__V1__HEALTH_CHECK__TYPE__TCP;
	assert_valid(&hc);
}

static void test_explicit_type_needs_its_own_sub_message(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__HealthCheck__TCPCheckInfo tcp = MESOS__V1__HEALTH_CHECK__TCPCHECK_INFO__INIT;
	hc.has_type = true;
	hc.tcp = &tcp;
	hc.type = MESOS__V1__HEALTH_CHECK__TYPE__HTTP;
	assert_invalid(&hc, "Expecting 'http' to be set for HTTP health check");
	hc.type = MESOS__V1__HEALTH_CHECK__TYPE__COMMAND;
	assert_invalid(&hc, "Expecting 'command' to be set for COMMAND health check");
	hc.tcp = NULL;
	hc.type = MESOS__V1__HEALTH_CHECK__TYPE__TCP;
	assert_invalid(&hc, "Expecting 'tcp' to be set for TCP health check");
}

static void test_command_health_check_needs_a_command_value(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	hc.has_type = true;
	hc.type = MESOS__V1__HEALTH_CHECK__TYPE__COMMAND;
	hc.command = &cmd;
	assert_invalid(&hc, "Command health check must contain 'shell command'");
	cmd.has_shell = true;
	cmd.shell = false;
	assert_invalid(&hc, "Command health check must contain 'executable path'");
	cmd.value = "/bin/true";
	assert_valid(&hc);
}

static void test_environment_variable_without_value_is_invalid(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	Mesos__V1__Environment env = MESOS__V1__ENVIRONMENT__INIT;
	Mesos__V1__Environment__Variable var = MESOS__V1__ENVIRONMENT__VARIABLE__INIT;
	Mesos__V1__Environment__Variable *vars[] = {&var};
	var.name = "STATUS";
	env.n_variables = 1;
	env.variables = vars;
	cmd.value = "exit $STATUS";
	cmd.environment = &env;
	hc.command = &cmd;
	assert_invalid(&hc, "Environment variable 'STATUS' of type 'VALUE' must have a value set");
	var.value = "0";
	assert_valid(&hc);
}

static void test_http_scheme_must_be_http_or_https(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__HealthCheck__HTTPCheckInfo http = MESOS__V1__HEALTH_CHECK__HTTPCHECK_INFO__INIT;
	hc.has_type = true;
	hc.type = MESOS__V1__HEALTH_CHECK__TYPE__HTTP;
	hc.http = &http;
	http.scheme = "ftp";
	assert_invalid(&hc, "Unsupported HTTP health check scheme: 'ftp'");
	http.scheme = "https";
	assert_valid(&hc);
	http.scheme = "http";
	assert_valid(&hc);
}

static void test_http_path_must_start_with_a_slash(void **state)
{
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__HealthCheck__HTTPCheckInfo http = MESOS__V1__HEALTH_CHECK__HTTPCHECK_INFO__INIT;
	hc.http = &http;
	http.path = "healthz";
	assert_invalid(&hc, "The path 'healthz' of HTTP health check must start with '/'");
	http.path = "";
	assert_invalid(&hc, "must start with '/'");
	http.path = "/healthz";
	assert_valid(&hc);
}

static void test_negative_durations_are_invalid_and_zero_timeout_is_fine(void **state)
{
	Mesos__V1__HealthCheck__TCPCheckInfo tcp = MESOS__V1__HEALTH_CHECK__TCPCHECK_INFO__INIT;
	const char *fields[] = {"delay_seconds", "interval_seconds", "timeout_seconds",
	                        "grace_period_seconds"};
	for (int i = 0; i < 4; i++) {
		Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
		double *v[] = {&hc.delay_seconds, &hc.interval_seconds, &hc.timeout_seconds,
		               &hc.grace_period_seconds};
		hc.tcp = &tcp;
		hc.has_delay_seconds = hc.has_interval_seconds = hc.has_timeout_seconds =
		    hc.has_grace_period_seconds = true;
		hc.delay_seconds = hc.interval_seconds = hc.timeout_seconds =
		    hc.grace_period_seconds = 0;
		assert_valid(&hc);
		*v[i] = -1;
		char want[64];
		snprintf(want, sizeof(want), "Expecting '%s' to be non-negative", fields[i]);
		assert_invalid(&hc, want);
		*v[i] = NAN;
		assert_invalid(&hc, want);
		*v[i] = 1e300;
		assert_invalid(&hc, fields[i]);
	}
}

static void test_task_has_a_health_check_only_when_it_is_valid(void **state)
{
	Mesos__V1__TaskInfo task = MESOS__V1__TASK_INFO__INIT;
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__HealthCheck__TCPCheckInfo tcp = MESOS__V1__HEALTH_CHECK__TCPCHECK_INFO__INIT;
	assert_false(health_has_check(&task));
	task.health_check = &hc;
	assert_false(health_has_check(&task));
	hc.tcp = &tcp;
	assert_true(health_has_check(&task));
}

/* ---- CheckInfo validation */

static void assert_check_invalid(const Mesos__V1__CheckInfo *ci, const char *want)
{
	char err[256] = "";
	assert_int_equal(check_validate(ci, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

static void test_check_must_set_its_type_even_with_a_sub_message(void **state)
{
	Mesos__V1__CheckInfo ci = MESOS__V1__CHECK_INFO__INIT;
	Mesos__V1__CheckInfo__Tcp tcp = MESOS__V1__CHECK_INFO__TCP__INIT;
	ci.tcp = &tcp;
	assert_check_invalid(&ci, "CheckInfo must specify 'type'");
	ci.has_type = true;
	ci.type = MESOS__V1__CHECK_INFO__TYPE__UNKNOWN;
	assert_check_invalid(&ci, "'UNKNOWN' is not a valid check type");
	ci.type = MESOS__V1__CHECK_INFO__TYPE__TCP;
	assert_int_equal(check_validate(&ci, NULL, 0), 0);
}

static void test_check_needs_the_sub_message_of_its_type(void **state)
{
	Mesos__V1__CheckInfo ci = MESOS__V1__CHECK_INFO__INIT;
	ci.has_type = true;
	ci.type = MESOS__V1__CHECK_INFO__TYPE__COMMAND;
	assert_check_invalid(&ci, "Expecting 'command' to be set for COMMAND check");
	ci.type = MESOS__V1__CHECK_INFO__TYPE__HTTP;
	assert_check_invalid(&ci, "Expecting 'http' to be set for HTTP check");
	ci.type = MESOS__V1__CHECK_INFO__TYPE__TCP;
	assert_check_invalid(&ci, "Expecting 'tcp' to be set for TCP check");
}

static void test_command_check_needs_a_value_and_valued_variables(void **state)
{
	Mesos__V1__CheckInfo ci = MESOS__V1__CHECK_INFO__INIT;
	Mesos__V1__CheckInfo__Command cc = MESOS__V1__CHECK_INFO__COMMAND__INIT;
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	Mesos__V1__Environment env = MESOS__V1__ENVIRONMENT__INIT;
	Mesos__V1__Environment__Variable var = MESOS__V1__ENVIRONMENT__VARIABLE__INIT;
	Mesos__V1__Environment__Variable *vars[] = {&var};
	ci.has_type = true;
	ci.type = MESOS__V1__CHECK_INFO__TYPE__COMMAND;
	ci.command = &cc;
	cc.command = &cmd;
	assert_check_invalid(&ci, "Command check must contain 'shell command'");
	cmd.value = "exit 1";
	var.name = "X";
	env.n_variables = 1;
	env.variables = vars;
	cmd.environment = &env;
	assert_check_invalid(&ci, "Check's `CommandInfo` is invalid: Environment variable 'X'");
	var.value = "1";
	assert_int_equal(check_validate(&ci, NULL, 0), 0);
}

static void test_http_check_path_must_start_with_a_slash(void **state)
{
	Mesos__V1__CheckInfo ci = MESOS__V1__CHECK_INFO__INIT;
	Mesos__V1__CheckInfo__Http http = MESOS__V1__CHECK_INFO__HTTP__INIT;
	ci.has_type = true;
	ci.type = MESOS__V1__CHECK_INFO__TYPE__HTTP;
	ci.http = &http;
	http.path = "x";
	assert_check_invalid(&ci, "The path 'x' of HTTP check must start with '/'");
	http.path = "/x";
	assert_int_equal(check_validate(&ci, NULL, 0), 0);
}

static void test_check_durations_must_be_non_negative(void **state)
{
	Mesos__V1__CheckInfo ci = MESOS__V1__CHECK_INFO__INIT;
	Mesos__V1__CheckInfo__Tcp tcp = MESOS__V1__CHECK_INFO__TCP__INIT;
	ci.has_type = true;
	ci.type = MESOS__V1__CHECK_INFO__TYPE__TCP;
	ci.tcp = &tcp;
	ci.has_timeout_seconds = true;
	ci.timeout_seconds = 0;
	assert_int_equal(check_validate(&ci, NULL, 0), 0);
	ci.has_interval_seconds = true;
	ci.interval_seconds = -0.5;
	assert_check_invalid(&ci, "Expecting 'interval_seconds' to be non-negative");
	ci.interval_seconds = 1;
	ci.has_delay_seconds = true;
	ci.delay_seconds = -1;
	assert_check_invalid(&ci, "Expecting 'delay_seconds' to be non-negative");
	ci.delay_seconds = 1;
	ci.timeout_seconds = -1;
	assert_check_invalid(&ci, "Expecting 'timeout_seconds' to be non-negative");
}

static void test_start_returns_null_when_there_is_nothing_valid_to_run(void **state)
{
	uv_loop_t loop;
	Mesos__V1__TaskInfo task = MESOS__V1__TASK_INFO__INIT;
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT; /* no type */
	Mesos__V1__CheckInfo ci = MESOS__V1__CHECK_INFO__INIT;     /* no type */
	assert_int_equal(uv_loop_init(&loop), 0);
	struct health_opts o = {.loop = &loop, .task = &task};
	assert_null(health_start(&o));
	task.health_check = &hc;
	task.check = &ci;
	assert_null(health_start(&o));
	health_stop(NULL); /* harmless */
	assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_success_reports_healthy),
	    cmocka_unit_test(test_successes_after_the_first_are_quiet),
	    cmocka_unit_test(test_failure_inside_grace_period_is_ignored_and_not_counted),
	    cmocka_unit_test(test_failure_exactly_at_the_end_of_grace_is_still_ignored),
	    cmocka_unit_test(test_zero_grace_period_counts_the_first_failure),
	    cmocka_unit_test(test_grace_period_ends_with_the_first_success),
	    cmocka_unit_test(test_every_counted_failure_reports_unhealthy),
	    cmocka_unit_test(test_reaching_consecutive_failures_asks_for_a_kill),
	    cmocka_unit_test(test_zero_consecutive_failures_kills_on_the_first_counted_failure),
	    cmocka_unit_test(test_success_after_failures_reports_healthy_and_resets_the_count),
	    cmocka_unit_test(test_unset_fields_mean_grace_10s_and_3_failures),
	    cmocka_unit_test(test_scenario_healthy_task),
	    cmocka_unit_test(test_scenario_health_status_change),
	    cmocka_unit_test(test_scenario_consecutive_failures),
	    cmocka_unit_test(test_scenario_grace_period),
	    cmocka_unit_test(test_scenario_check_command_timeout),
	    cmocka_unit_test(test_scenario_healthy_to_unhealthy_transition_within_grace_period),
	    cmocka_unit_test(test_health_timing_defaults_are_15_10_20),
	    cmocka_unit_test(test_check_timing_defaults_are_15_10_20),
	    cmocka_unit_test(test_timing_takes_set_fields_and_zero_timeout_means_none),
	    cmocka_unit_test(test_health_check_without_type_or_sub_message_is_invalid),
	    cmocka_unit_test(test_health_check_of_type_unknown_is_invalid),
	    cmocka_unit_test(test_type_is_inferred_from_the_only_sub_message),
	    cmocka_unit_test(test_type_is_not_inferred_from_two_sub_messages),
	    cmocka_unit_test(test_explicit_type_needs_its_own_sub_message),
	    cmocka_unit_test(test_command_health_check_needs_a_command_value),
	    cmocka_unit_test(test_environment_variable_without_value_is_invalid),
	    cmocka_unit_test(test_http_scheme_must_be_http_or_https),
	    cmocka_unit_test(test_http_path_must_start_with_a_slash),
	    cmocka_unit_test(test_negative_durations_are_invalid_and_zero_timeout_is_fine),
	    cmocka_unit_test(test_task_has_a_health_check_only_when_it_is_valid),
	    cmocka_unit_test(test_check_must_set_its_type_even_with_a_sub_message),
	    cmocka_unit_test(test_check_needs_the_sub_message_of_its_type),
	    cmocka_unit_test(test_command_check_needs_a_value_and_valued_variables),
	    cmocka_unit_test(test_http_check_path_must_start_with_a_slash),
	    cmocka_unit_test(test_check_durations_must_be_non_negative),
	    cmocka_unit_test(test_start_returns_null_when_there_is_nothing_valid_to_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
