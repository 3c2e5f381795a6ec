/* Certificate expiry on a real loop (executor/cert.h): a certificate made
 * here with mbedTLS that expires in a few seconds gives a kill time of
 * NotAfter minus a margin within the range, and a uv timer armed with
 * cert_delay_ms (the delay runtime.c reports for EX_TIMER_CERT) fires no
 * earlier than that time. Only lower bounds on time are asserted. */
#include "testsupport.h"

#include "executor/cert.h"
#include "proto/pbjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

static char *make_cert_var(time_t not_after)
{
	char *pem = ts_self_signed_pem(not_after, "short-lived.example"), *var;
	if (asprintf(&var, "CERTIFICATE=%s", pem) < 0)
		fail();
	free(pem);
	return var;
}

static double wallclock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static Mesos__V1__TaskInfo *task(void)
{
	const char *json = "{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":"
	                   "\"a1\"},\"labels\":{\"labels\":[{\"key\":\"validate-certificate\","
	                   "\"value\":\"true\"}]}}";
	char err[256];
	return (Mesos__V1__TaskInfo *)pbjson_decode(&mesos__v1__task_info__descriptor, json,
	                                            strlen(json), err, sizeof(err));
}

static double fired_at;
static void on_expired(uv_timer_t *t)
{
	fired_at = wallclock();
}

/* Arms the timer as runtime.c would and runs the loop until it fires. */
static void expire(double kill_at)
{
	uv_loop_t loop;
	uv_timer_t timer;
	uv_loop_init(&loop);
	uv_timer_init(&loop, &timer);
	fired_at = 0;
	uv_timer_start(&timer, on_expired, cert_delay_ms(kill_at, wallclock()), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_a_certificate_expiring_in_seconds_is_acted_on_at_not_after(void **state)
{
	time_t na = time(NULL) + 2;
	char *env[] = {"HOME=/", make_cert_var(na), NULL};
	Mesos__V1__TaskInfo *t = task();
	double kill_at = 0;
	char err[256] = "";
	/* a range of 1ns: no margin */
	assert_int_equal(cert_check(t, env, 1, wallclock(), &kill_at, err, sizeof(err)), 0);
	assert_true(kill_at == (double)na);
	expire(kill_at);
	assert_true(fired_at >= kill_at - 0.001);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	free(env[1]);
}

static void test_the_random_margin_brings_the_kill_forward_within_the_range(void **state)
{
	time_t na = time(NULL) + 4;
	char *env[] = {make_cert_var(na), NULL};
	Mesos__V1__TaskInfo *t = task();
	double kill_at = 0;
	char err[256] = "";
	if (cert_check(t, env, 2000000000LL, wallclock(), &kill_at, err, sizeof(err)) != 0)
		fail_msg("cert_check: %s", err);
	assert_true(kill_at <= (double)na);
	assert_true(kill_at > (double)na - 2);
	expire(kill_at);
	assert_true(fired_at >= kill_at - 0.001);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	free(env[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_certificate_expiring_in_seconds_is_acted_on_at_not_after),
	    cmocka_unit_test(test_the_random_margin_brings_the_kill_forward_within_the_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
