/* Certificate expiry (executor/cert.c): which tasks are checked, the
 * reasons a launch fails, and the kill time NotAfter minus a random margin
 * in [0, range), with certificates made here with mbedTLS. */
#include "../support/testsupport.h"

#include "executor/cert.h"
#include "proto/pbjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS 1000000000LL

/* A self-signed certificate valid until not_after, as PEM (malloc'd). */
static char *make_pem(time_t not_after)
{
	return ts_self_signed_pem(not_after, "task.example");
}

static Mesos__V1__TaskInfo *task(const char *label_value)
{
	char json[512], err[256] = "";
	if (label_value)
		snprintf(json, sizeof(json),
		         "{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":"
		         "\"a1\"},\"labels\":{\"labels\":[{\"key\":\"validate-certificate\","
		         "\"value\":\"%s\"}]}}",
		         label_value);
	else
		snprintf(json, sizeof(json),
		         "{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":"
		         "\"a1\"}}");
	ProtobufCMessage *m =
	    pbjson_decode(&mesos__v1__task_info__descriptor, json, strlen(json), err, sizeof(err));
	if (!m)
		fail_msg("bad test TaskInfo: %s", err);
	return (Mesos__V1__TaskInfo *)m;
}

static void task_free(Mesos__V1__TaskInfo *t)
{
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

/* "CERTIFICATE=<pem>" (malloc'd) */
static char *cert_var(const char *pem)
{
	char *v;
	if (asprintf(&v, "CERTIFICATE=%s", pem) < 0)
		fail();
	return v;
}

static double now(void)
{
	return (double)time(NULL);
}

static void test_a_task_without_the_label_is_not_checked(void **state)
{
	Mesos__V1__TaskInfo *t = task(NULL);
	char *env[] = {"PATH=/bin", NULL};
	double kill_at = -1;
	char err[256] = "";
	assert_int_equal(cert_check(t, env, NS, now(), &kill_at, err, sizeof(err)), 1);
	assert_true(kill_at == -1);
	task_free(t);
}

static void test_a_label_other_than_true_is_not_checked(void **state)
{
	Mesos__V1__TaskInfo *t = task("false");
	char *env[] = {NULL};
	double kill_at;
	char err[256] = "";
	assert_int_equal(cert_check(t, env, NS, now(), &kill_at, err, sizeof(err)), 1);
	task_free(t);
}

static void test_a_missing_certificate_fails_the_launch_saying_so(void **state)
{
	Mesos__V1__TaskInfo *t = task("true");
	char *env[] = {"PATH=/bin", "CERT=x", NULL};
	double kill_at;
	char err[256] = "";
	assert_int_equal(cert_check(t, env, NS, now(), &kill_at, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "problem with certificate: missing certificate"));
	assert_non_null(strstr(err, "CERTIFICATE"));
	task_free(t);
}

static void test_text_without_a_pem_block_is_missing_certificate_data(void **state)
{
	Mesos__V1__TaskInfo *t = task("true");
	char *env[] = {"CERTIFICATE=not a certificate", NULL};
	double kill_at;
	char err[256] = "";
	assert_int_equal(cert_check(t, env, NS, now(), &kill_at, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing certificate data"));
	task_free(t);
}

static void test_a_damaged_certificate_is_invalid(void **state)
{
	Mesos__V1__TaskInfo *t = task("true");
	char *env[] = {"CERTIFICATE=-----BEGIN CERTIFICATE-----\nTUlJQm9n\n-----END "
	               "CERTIFICATE-----\n",
	               NULL};
	double kill_at;
	char err[256] = "";
	assert_int_equal(cert_check(t, env, NS, now(), &kill_at, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "certificate is invalid"));
	task_free(t);
}

static void test_not_after_is_read_to_the_second(void **state)
{
	time_t na = time(NULL) + 12345;
	char *pem = make_pem(na);
	double got = 0;
	char err[256] = "";
	assert_int_equal(cert_not_after(pem, &got, err, sizeof(err)), 0);
	assert_true(got == (double)na);
	free(pem);
}

static void test_the_kill_time_is_not_after_minus_a_margin_within_the_range(void **state)
{
	time_t na = time(NULL) + 7200;
	char *pem = make_pem(na);
	char *env[] = {"A=1", cert_var(pem), NULL};
	Mesos__V1__TaskInfo *t = task("true");
	double lo = 1e18, hi = 0;
	for (int i = 0; i < 200; i++) {
		double kill_at;
		char err[256] = "";
		assert_int_equal(cert_check(t, env, 600 * NS, now(), &kill_at, err, sizeof(err)),
		                 0);
		assert_true(kill_at <= (double)na);
		assert_true(kill_at > (double)na - 600);
		lo = kill_at < lo ? kill_at : lo;
		hi = kill_at > hi ? kill_at : hi;
	}
	/* a random margin: 200 draws do not all land in one minute */
	assert_true(hi - lo > 60);
	task_free(t);
	free(env[1]);
	free(pem);
}

static void test_a_range_of_zero_or_less_means_three_hours(void **state)
{
	time_t na = time(NULL) + 4 * 3600;
	char *pem = make_pem(na);
	char *env[] = {cert_var(pem), NULL};
	Mesos__V1__TaskInfo *t = task("true");
	int64_t ranges[] = {0, -5 * NS};
	for (int r = 0; r < 2; r++) {
		double lo = 1e18;
		for (int i = 0; i < 200; i++) {
			double kill_at;
			char err[256] = "";
			assert_int_equal(
			    cert_check(t, env, ranges[r], now(), &kill_at, err, sizeof(err)), 0);
			assert_true(kill_at > (double)na - 3 * 3600);
			lo = kill_at < lo ? kill_at : lo;
		}
		/* margins reach past two hours (chance of not doing so: (2/3)^200) */
		assert_true(lo < (double)na - 2 * 3600);
	}
	task_free(t);
	free(env[0]);
	free(pem);
}

static void test_an_expired_certificate_fails_the_launch(void **state)
{
	time_t na = time(NULL) - 10;
	char *pem = make_pem(na);
	char *env[] = {cert_var(pem), NULL};
	Mesos__V1__TaskInfo *t = task("true");
	double kill_at;
	char err[256] = "";
	assert_int_equal(cert_check(t, env, NS, now(), &kill_at, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "valid period <= 0"));
	task_free(t);
	free(env[0]);
	free(pem);
}

static void test_a_kill_time_already_past_fails_the_launch(void **state)
{
	time_t na = time(NULL) + 30;
	char *pem = make_pem(na);
	char *env[] = {cert_var(pem), NULL};
	Mesos__V1__TaskInfo *t = task("true");
	double kill_at;
	char err[256] = "";
	/* a margin of nothing (range 1ns): good now, not a minute from now */
	assert_int_equal(cert_check(t, env, 1, now(), &kill_at, err, sizeof(err)), 0);
	assert_true(kill_at == (double)na);
	assert_int_equal(cert_check(t, env, 1, now() + 60, &kill_at, err, sizeof(err)), -1);
	task_free(t);
	free(env[0]);
	free(pem);
}

static void test_the_first_certificate_variable_counts(void **state)
{
	time_t a = time(NULL) + 1000, b = time(NULL) + 5000;
	char *pa = make_pem(a), *pb = make_pem(b);
	char *env[] = {cert_var(pa), cert_var(pb), NULL};
	Mesos__V1__TaskInfo *t = task("true");
	double kill_at;
	char err[256] = "";
	assert_int_equal(cert_check(t, env, 1, now(), &kill_at, err, sizeof(err)), 0);
	assert_true(kill_at == (double)a);
	task_free(t);
	free(env[0]);
	free(env[1]);
	free(pa);
	free(pb);
}

/* A CERTIFICATE holding a chain (leaf first, then its issuers): the leaf's
 * NotAfter counts, whatever the others say. */
static void test_the_first_certificate_of_a_chain_counts(void **state)
{
	time_t leaf = time(NULL) + 1000, issuer = time(NULL) + 9000;
	char *pl = make_pem(leaf), *pi = make_pem(issuer), *chain;
	assert_true(asprintf(&chain, "%s%s", pl, pi) > 0);
	double got = 0;
	char err[256] = "";
	assert_int_equal(cert_not_after(chain, &got, err, sizeof(err)), 0);
	assert_true(got == (double)leaf);
	free(chain);
	free(pl);
	free(pi);
}

static void test_the_timer_delay_is_rounded_up_and_never_negative(void **state)
{
	assert_int_equal(cert_delay_ms(100.0005, 100.0), 1);
	assert_int_equal(cert_delay_ms(102.5, 100.0), 2500);
	assert_int_equal(cert_delay_ms(99.0, 100.0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_task_without_the_label_is_not_checked),
	    cmocka_unit_test(test_a_label_other_than_true_is_not_checked),
	    cmocka_unit_test(test_a_missing_certificate_fails_the_launch_saying_so),
	    cmocka_unit_test(test_text_without_a_pem_block_is_missing_certificate_data),
	    cmocka_unit_test(test_a_damaged_certificate_is_invalid),
	    cmocka_unit_test(test_not_after_is_read_to_the_second),
	    cmocka_unit_test(test_the_kill_time_is_not_after_minus_a_margin_within_the_range),
	    cmocka_unit_test(test_a_range_of_zero_or_less_means_three_hours),
	    cmocka_unit_test(test_an_expired_certificate_fails_the_launch),
	    cmocka_unit_test(test_a_kill_time_already_past_fails_the_launch),
	    cmocka_unit_test(test_the_first_certificate_variable_counts),
	    cmocka_unit_test(test_the_first_certificate_of_a_chain_counts),
	    cmocka_unit_test(test_the_timer_delay_is_rounded_up_and_never_negative),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
