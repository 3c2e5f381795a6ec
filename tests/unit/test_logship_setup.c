/* What the log shipper decides before any line flows: whether a task asks
 * for it, the launch errors for bad labels and settings, Logstash
 * addresses, the rate limiter, the Consul health answer, and the settings
 * taken from the executor's configuration and environment. */
#include "../support/testsupport.h"

#include "common/str.h"
#include "executor/logship/logship.h"
#include "executor/logship/logship_parts.h"
#include "proto/pbjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Mesos__V1__TaskInfo *task(const char *labels)
{
	char json[1024], err[256] = "";
	snprintf(json, sizeof(json),
	         "{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"a1\"},"
	         "\"labels\":{\"labels\":[%s]}}",
	         labels);
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

#define LOGSTASH "{\"key\":\"log-scraping\",\"value\":\"logstash\"}"

/* logship_start on a loop that must stay empty (every case fails or skips
 * before opening anything). */
static int start(const char *labels, const struct logship_config *cfg, char *err, size_t n)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	Mesos__V1__TaskInfo *t = task(labels);
	struct logship *ls = NULL;
	int out = 99, errfd = 99;
	int rc = logship_start(&loop, cfg, t, NULL, &ls, &out, &errfd, err, n);
	assert_null(ls);
	assert_int_equal(out, -1);
	assert_int_equal(errfd, -1);
	task_free(t);
	assert_int_equal(uv_loop_alive(&loop), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	return rc;
}

static void test_only_log_scraping_logstash_asks_for_shipping(void **state)
{
	struct logship_config c = {.address = "127.0.0.1:5000"};
	char err[256] = "";
	assert_int_equal(start("", &c, err, sizeof(err)), 1);
	assert_int_equal(
	    start("{\"key\":\"log-scraping\",\"value\":\"logfmt\"}", &c, err, sizeof(err)), 1);
	assert_int_equal(
	    start("{\"key\":\"log-scraping\",\"value\":\"stdout\"}", &c, err, sizeof(err)), 1);
}

static void test_shipping_without_scid_fails_the_launch(void **state)
{
	struct logship_config c = {.address = "127.0.0.1:5000"};
	char err[256] = "";
	assert_int_equal(start(LOGSTASH, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "scId"));
	assert_int_equal(
	    start(LOGSTASH ",{\"key\":\"scId\",\"value\":\"abc\"}", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot parse scid"));
}

static void test_shipping_needs_an_address_or_a_service(void **state)
{
	struct logship_config c = {0};
	char err[512] = "";
	const char *labels = LOGSTASH ",{\"key\":\"scId\",\"value\":\"1\"}";
	assert_int_equal(start(labels, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_ADDRESS"));
	assert_non_null(strstr(err, "DISCOVERY_SERVICE_NAME"));
	c.address = "logstash.example";
	assert_int_equal(start(labels, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected host:port, got 'logstash.example'"));
	c.address = "127.0.0.1:5000";
	c.protocol = "sctp";
	assert_int_equal(start(labels, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected tcp or udp, got 'sctp'"));
}

/* Discovery asks Consul as the Consul hook does; settings it cannot use
 * fail the launch of a task that asks for it, naming the variable. */
static void test_discovery_with_unusable_consul_settings_fails_naming_the_variable(void **state)
{
	struct ex_config cfg = {.executor_id = "exec-7", .logstash_service = "logstash"};
	setenv("CONSUL_HTTP_ADDR", "tcp://127.0.0.1:8500", 1);
	struct logship_config lc;
	logship_config_init(&lc, &cfg);
	char err[512] = "";
	const char *labels = LOGSTASH ",{\"key\":\"scId\",\"value\":\"1\"}";
	assert_int_equal(start(labels, &lc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CONSUL_HTTP_ADDR"));
	logship_config_free(&lc);

	setenv("CONSUL_HTTP_ADDR", "unix:///run/consul/http.sock", 1);
	setenv("CONSUL_HTTP_AUTH", "mesos:pw", 1);
	logship_config_init(&lc, &cfg);
	assert_string_equal(lc.consul_error, "");
	assert_string_equal(lc.consul.unix_socket, "/run/consul/http.sock");
	assert_string_equal(lc.consul.userpwd, "mesos:pw");
	logship_config_free(&lc);
	unsetenv("CONSUL_HTTP_ADDR");
	unsetenv("CONSUL_HTTP_AUTH");
}

static void test_addresses_split_into_host_and_port(void **state)
{
	char host[64], port[8];
	assert_int_equal(logship_split_addr("logstash.example:5044", host, 64, port, 8), 0);
	assert_string_equal(host, "logstash.example");
	assert_string_equal(port, "5044");
	assert_int_equal(logship_split_addr("[::1]:5000", host, 64, port, 8), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "5000");
	const char *bad[] = {"host",    "host:",    ":5000",     "host:0", "host:65536",
	                     "host:5x", "::1:5000", "[::1]5000", "host:+5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(logship_split_addr(bad[i], host, 64, port, 8), -1);
}

static void test_the_rate_limit_allows_a_burst_then_the_rate(void **state)
{
	struct logship_bucket b;
	logship_bucket_init(&b, 10, 1000);
	int ok = 0;
	for (int i = 0; i < 50; i++)
		ok += logship_bucket_take(&b, 1000);
	assert_int_equal(ok, 10); /* the burst */
	ok = 0;
	for (uint64_t t = 1001; t <= 2000; t++) /* one second, one try per ms */
		ok += logship_bucket_take(&b, t);
	assert_int_equal(ok, 10);
	/* idle time does not save more than one burst */
	ok = 0;
	for (int i = 0; i < 50; i++)
		ok += logship_bucket_take(&b, 100000);
	assert_int_equal(ok, 10);
	/* no limit */
	logship_bucket_init(&b, 0, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(logship_bucket_take(&b, 0));
}

static void test_consul_answers_give_the_passing_instances_sorted(void **state)
{
	const char *json =
	    "["
	    "{\"Node\":{\"Address\":\"10.0.0.2\"},\"Service\":{\"Address\":\"\",\"Port\":5000},"
	    "\"Checks\":[{\"Status\":\"passing\"},{\"Status\":\"passing\"}]},"
	    "{\"Node\":{\"Address\":\"10.0.0.9\"},\"Service\":{\"Address\":\"10.0.0.1\",\"Port\":"
	    "5001},\"Checks\":[]},"
	    "{\"Node\":{\"Address\":\"10.0.0.3\"},\"Service\":{\"Port\":5000},"
	    "\"Checks\":[{\"Status\":\"passing\"},{\"Status\":\"critical\"}]},"
	    "{\"Node\":{\"Address\":\"fd00::1\"},\"Service\":{\"Port\":6000}},"
	    "{\"Node\":{\"Address\":\"10.0.0.2\"},\"Service\":{\"Port\":5000}},"
	    "{\"Node\":{},\"Service\":{\"Port\":5000}},"
	    "{\"Node\":{\"Address\":\"10.0.0.4\"},\"Service\":{\"Port\":0}}"
	    "]";
	char **addrs;
	char err[128];
	int n = logship_consul_parse(json, strlen(json), &addrs, err, sizeof(err));
	assert_int_equal(n, 3);
	assert_string_equal(addrs[0], "10.0.0.1:5001");
	assert_string_equal(addrs[1], "10.0.0.2:5000");
	assert_string_equal(addrs[2], "[fd00::1]:6000");
	strv_free_n(addrs, (size_t)n);

	n = logship_consul_parse("[]", 2, &addrs, err, sizeof(err));
	assert_int_equal(n, 0);
	strv_free_n(addrs, 0);
	assert_int_equal(logship_consul_parse("{\"x\":1}", 7, &addrs, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "array"));
}

static void test_settings_come_from_the_config_and_the_environment(void **state)
{
	struct ex_config cfg = {.executor_id = "exec-7",
	                        .logstash_protocol = "udp",
	                        .logstash_address = "",
	                        .logstash_service = "logstash",
	                        .logstash_rate_limit = 5,
	                        .servicelog_buffer = 100,
	                        .servicelog_copy_output = true};
	setenv("MESOS_HOSTNAME", "agent-3-test.dc2", 1);
	setenv("CLOUD_REGION", "eu-west", 1);
	unsetenv("CLOUD_AVAILABILITY_ZONE");
	setenv("CONSUL_HTTP_ADDR", "127.0.0.1:8600/", 1);
	setenv("CONSUL_HTTP_SSL", "true", 1);
	unsetenv("ALLEGRO_EXECUTOR_CONSUL_TOKEN");
	setenv("CONSUL_TOKEN", "", 1);
	setenv("CONSUL_HTTP_TOKEN", "tok-123", 1);
	struct logship_config lc;
	logship_config_init(&lc, &cfg);
	assert_string_equal(lc.protocol, "udp");
	assert_null(lc.address); /* empty is unset */
	assert_string_equal(lc.service, "logstash");
	assert_int_equal(lc.rate_limit, 5);
	assert_int_equal(lc.buffer_lines, 100);
	assert_true(lc.copy_output);
	assert_string_equal(lc.executor_id, "exec-7");
	assert_string_equal(lc.hostname, "agent-3-test.dc2");
	assert_string_equal(lc.region, "eu-west");
	assert_null(lc.zone);
	assert_string_equal(lc.consul.base, "https://127.0.0.1:8600");
	assert_string_equal(lc.consul.token_header, "X-Consul-Token: tok-123");
	assert_int_equal(lc.stdout_copy_fd, 1);
	assert_int_equal(lc.stderr_copy_fd, 2);
	logship_config_free(&lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_only_log_scraping_logstash_asks_for_shipping),
	    cmocka_unit_test(test_shipping_without_scid_fails_the_launch),
	    cmocka_unit_test(test_shipping_needs_an_address_or_a_service),
	    cmocka_unit_test(
	        test_discovery_with_unusable_consul_settings_fails_naming_the_variable),
	    cmocka_unit_test(test_addresses_split_into_host_and_port),
	    cmocka_unit_test(test_the_rate_limit_allows_a_burst_then_the_rate),
	    cmocka_unit_test(test_consul_answers_give_the_passing_instances_sorted),
	    cmocka_unit_test(test_settings_come_from_the_config_and_the_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
