/* The TaskInfo -> Consul registration mapping (hooks/consul_map.c) against
 * the examples of allegro/mesos-executor's hook/consul/hook_test.go, and the
 * address fallback of hooks/http.c. */
#include "../support/testsupport.h"

#include "hooks/consul_map.h"
#include "hooks/http.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TID "cool-test-python-1.instance-6e2b1c3a-1111-11e9-915b-c610fee06dff._app.1"

static void task_free(Mesos__V1__TaskInfo *t)
{
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static const struct consul_map_settings defaults = {
    .global_tag = "marathon", .initial_status = "passing", .address = "10.1.2.3"};

/* Maps json and checks the count; the registrations stay in *regs. */
static void map(const char *json, const struct consul_map_settings *s, struct consul_regs *regs,
                size_t want)
{
	char err[256] = "";
	Mesos__V1__TaskInfo *t = ts_task_from_json(json);
	int rc = consul_map(t, s, regs, err, sizeof(err));
	task_free(t);
	if (rc != 0)
		fail_msg("consul_map failed: %s", err);
	assert_int_equal(regs->n, want);
}

static cJSON *body(const struct consul_reg *r)
{
	cJSON *j = cJSON_Parse(r->body);
	assert_non_null(j);
	return j;
}

/* The tags of a registration joined with '|'. */
static void tags_of(const struct consul_reg *r, char *buf, size_t len)
{
	cJSON *j = body(r);
	const cJSON *t;
	buf[0] = '\0';
	cJSON_ArrayForEach (t, cJSON_GetObjectItem(j, "Tags")) {
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, "%s%s", n ? "|" : "", t->valuestring);
	}
	cJSON_Delete(j);
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_task_without_consul_label_registers_nothing(void **state)
{
	struct consul_regs regs;
	map("{\"name\":\"a\",\"task_id\":{\"value\":\"a.1\"},\"agent_id\":{\"value\":\"ag\"},"
	    "\"labels\":{\"labels\":[{\"key\":\"vip\",\"value\":\"tag\"}]},"
	    "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":[{\"number\":"
	    "31000}]}}}",
	    &defaults, &regs, 0);
	consul_regs_free(&regs);
}

static void test_named_service_registers_first_port_with_id_address_and_tags(void **state)
{
	struct consul_regs regs;
	map("{\"name\":\"cool-test-python-1\",\"task_id\":{\"value\":\"" TID "\"},"
	    "\"agent_id\":{\"value\":\"ag\"},"
	    "\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"cool-test-python\"},"
	    "{\"key\":\"vip\",\"value\":\"tag\"},{\"key\":\"groupId\",\"value\":\"com.example\"}]},"
	    "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":["
	    "{\"number\":31000,\"protocol\":\"tcp\"},{\"number\":31001}]}}}",
	    &defaults, &regs, 1);
	assert_string_equal(regs.v[0].id, TID "_cool-test-python_31000");
	assert_string_equal(regs.v[0].name, "cool-test-python");
	assert_int_equal(regs.v[0].port, 31000);
	cJSON *j = body(&regs.v[0]);
	assert_string_equal(str(j, "ID"), TID "_cool-test-python_31000");
	assert_string_equal(str(j, "Name"), "cool-test-python");
	assert_string_equal(str(j, "Address"), "10.1.2.3");
	assert_int_equal(cJSON_GetObjectItem(j, "Port")->valueint, 31000);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "EnableTagOverride")));
	assert_null(cJSON_GetObjectItem(j, "Check")); /* no health check */
	cJSON_Delete(j);
	char tags[512];
	tags_of(&regs.v[0], tags, sizeof(tags));
	/* The fallback registration also carries marathon-task (the Go hook did not). */
	assert_string_equal(tags, "vip|marathon|marathon-task:" TID);
	consul_regs_free(&regs);
}

static void test_service_name_is_derived_from_marathon_task_ids(void **state)
{
	static const struct {
		const char *task_id, *name;
	} cases[] = {
	    {"group_app.instance-c0caec0a-863a-11e9-915b-c610fee06dff._app.1", "group.app"},
	    {"com.x_y-app.d10caa92-d91b-11e4-b351-56847afe9799", "com.x.y-app"},
	    {"/a/b/name", "a-b-name"},
	    {"  /a/b/name/ ", "a-b-name"},
	    {"app.marathon-d10caa92-d91b-11e4-b351-56847afe9799", "app"},
	    {"plain", "plain"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *n = consul_map_service_name(cases[i].task_id);
		assert_non_null(n);
		if (strcmp(n, cases[i].name) != 0)
			fail_msg("%s -> %s, want %s", cases[i].task_id, n, cases[i].name);
		free(n);
	}
}

static void test_empty_or_true_consul_label_uses_the_derived_name(void **state)
{
	const char *values[] = {"", "true"};
	for (size_t i = 0; i < 2; i++) {
		char json[1024];
		snprintf(json, sizeof(json),
		         "{\"name\":\"x\",\"task_id\":{\"value\":\"grp_web.instance-1234._app.1\"},"
		         "\"agent_id\":{\"value\":\"ag\"},\"labels\":{\"labels\":[{\"key\":"
		         "\"consul\",\"value\":\"%s\"}]},\"discovery\":{\"visibility\":"
		         "\"FRAMEWORK\",\"ports\":{\"ports\":[{\"number\":4000}]}}}",
		         values[i]);
		struct consul_regs regs;
		map(json, &defaults, &regs, 1);
		assert_string_equal(regs.v[0].name, "grp.web");
		assert_string_equal(regs.v[0].id, "grp_web.instance-1234._app.1_grp.web_4000");
		consul_regs_free(&regs);
	}
}

/* Port labels: one registration per comma name, `tag` and `tag:<service>`
 * selectors, task tags after port tags; unlabelled ports are skipped. */
static void test_labelled_ports_register_each_name_with_selected_tags(void **state)
{
	struct consul_regs regs;
	map("{\"name\":\"x\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"ag\"},"
	    "\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"svc\"},"
	    "{\"key\":\"team-a\",\"value\":\"tag\"}]},"
	    "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":["
	    "{\"number\":1000,\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"web, "
	    "admin\"},{\"key\":\"public\",\"value\":\"tag\"},{\"key\":\"secure\",\"value\":"
	    "\"tag:admin\"},{\"key\":\"frontend\",\"value\":\"tag:web\"}]}},"
	    "{\"number\":1001},"
	    "{\"number\":1002,\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"\"}]}}]}}}",
	    &defaults, &regs, 3);
	char tags[512];
	assert_string_equal(regs.v[0].id, "t1_web_1000");
	tags_of(&regs.v[0], tags, sizeof(tags));
	assert_string_equal(tags, "public|frontend|team-a|marathon|marathon-task:t1");
	assert_string_equal(regs.v[1].id, "t1_admin_1000");
	tags_of(&regs.v[1], tags, sizeof(tags));
	assert_string_equal(tags, "public|secure|team-a|marathon|marathon-task:t1");
	/* An empty port label means the task's service name. */
	assert_string_equal(regs.v[2].id, "t1_svc_1002");
	assert_string_equal(regs.v[2].name, "svc");
	assert_int_equal(regs.v[2].port, 1002);
	consul_regs_free(&regs);
}

static void test_port_placeholders_in_tags_are_replaced_by_named_port_numbers(void **state)
{
	struct consul_regs regs;
	map("{\"name\":\"x\",\"task_id\":{\"value\":\"t2\"},\"agent_id\":{\"value\":\"ag\"},"
	    "\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"svc\"},"
	    "{\"key\":\"service-port:{port:service}\",\"value\":\"tag\"},"
	    "{\"key\":\"both:{port:service}-{port:admin}\",\"value\":\"tag\"},"
	    "{\"key\":\"keep:{port:nope}\",\"value\":\"tag\"}]},"
	    "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":["
	    "{\"number\":877,\"name\":\"service\"},{\"number\":878,\"name\":\"admin\"}]}}}",
	    &defaults, &regs, 1);
	char tags[512];
	tags_of(&regs.v[0], tags, sizeof(tags));
	assert_string_equal(tags, "service-port:877|both:877-878|keep:{port:nope}|marathon|"
	                          "marathon-task:t2");
	consul_regs_free(&regs);
}

static void test_empty_global_tag_is_left_out_and_duplicates_collapse(void **state)
{
	struct consul_map_settings s = defaults;
	s.global_tag = "";
	struct consul_regs regs;
	map("{\"name\":\"x\",\"task_id\":{\"value\":\"t3\"},\"agent_id\":{\"value\":\"ag\"},"
	    "\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"svc\"},"
	    "{\"key\":\"a\",\"value\":\"tag\"}]},"
	    "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":["
	    "{\"number\":5,\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"svc,svc\"},"
	    "{\"key\":\"a\",\"value\":\"tag\"}]}}]}}}",
	    &s, &regs, 1);
	char tags[512];
	tags_of(&regs.v[0], tags, sizeof(tags));
	assert_string_equal(tags, "a|marathon-task:t3");
	consul_regs_free(&regs);
}

static cJSON *check_of(const char *health_check_json, const struct consul_map_settings *s)
{
	char json[2048];
	snprintf(json, sizeof(json),
	         "{\"name\":\"x\",\"task_id\":{\"value\":\"t4\"},\"agent_id\":{\"value\":\"ag\"},"
	         "\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"svc\"}]},"
	         "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":["
	         "{\"number\":31000}]}},\"health_check\":%s}",
	         health_check_json);
	struct consul_regs regs;
	map(json, s, &regs, 1);
	cJSON *j = body(&regs.v[0]);
	consul_regs_free(&regs);
	cJSON *c = cJSON_DetachItemFromObject(j, "Check");
	cJSON_Delete(j);
	return c;
}

static void test_http_check_targets_the_health_check_port_with_go_durations(void **state)
{
	/* Marathon's MESOS_HTTP for the example app: 60 s interval, 20 s timeout. */
	cJSON *c = check_of("{\"type\":\"HTTP\",\"http\":{\"scheme\":\"http\",\"port\":31005,"
	                    "\"path\":\"/health\"},\"interval_seconds\":60,\"timeout_seconds\":20,"
	                    "\"grace_period_seconds\":300}",
	                    &defaults);
	assert_non_null(c);
	assert_string_equal(str(c, "HTTP"), "http://10.1.2.3:31005/health");
	assert_string_equal(str(c, "Interval"), "1m0s");
	assert_string_equal(str(c, "Timeout"), "20s");
	assert_string_equal(str(c, "Status"), "passing");
	assert_null(cJSON_GetObjectItem(c, "TCP"));
	cJSON_Delete(c);
}

static void test_http_check_without_port_uses_the_service_port_and_slash_path(void **state)
{
	struct consul_map_settings s = defaults;
	s.initial_status = "critical";
	cJSON *c = check_of("{\"http\":{\"port\":0,\"path\":\"ping\",\"scheme\":\"https\"},"
	                    "\"interval_seconds\":1.5,\"timeout_seconds\":0.25}",
	                    &s);
	assert_non_null(c);
	assert_string_equal(str(c, "HTTP"), "https://10.1.2.3:31000/ping");
	assert_string_equal(str(c, "Interval"), "1.5s");
	assert_string_equal(str(c, "Timeout"), "250ms");
	assert_string_equal(str(c, "Status"), "critical");
	cJSON_Delete(c);
}

static void test_http_check_defaults_follow_mesos_proto_defaults(void **state)
{
	cJSON *c = check_of("{\"type\":\"HTTP\",\"http\":{\"port\":31000}}", &defaults);
	assert_non_null(c);
	assert_string_equal(str(c, "HTTP"), "http://10.1.2.3:31000/");
	assert_string_equal(str(c, "Interval"), "10s");
	assert_string_equal(str(c, "Timeout"), "20s");
	cJSON_Delete(c);
}

static void test_tcp_check_targets_the_service_address(void **state)
{
	cJSON *c = check_of("{\"type\":\"TCP\",\"tcp\":{\"port\":31000},\"interval_seconds\":5,"
	                    "\"timeout_seconds\":2}",
	                    &defaults);
	assert_non_null(c);
	assert_string_equal(str(c, "TCP"), "10.1.2.3:31000");
	assert_string_equal(str(c, "Interval"), "5s");
	assert_string_equal(str(c, "Timeout"), "2s");
	assert_null(cJSON_GetObjectItem(c, "HTTP"));
	cJSON_Delete(c);
}

static void test_ipv6_address_is_bracketed_in_checks(void **state)
{
	struct consul_map_settings s = defaults;
	s.address = "fd00::5";
	cJSON *c = check_of("{\"type\":\"TCP\",\"tcp\":{\"port\":31000}}", &s);
	assert_string_equal(str(c, "TCP"), "[fd00::5]:31000");
	cJSON_Delete(c);
}

static void test_command_check_gives_no_consul_check(void **state)
{
	assert_null(check_of("{\"type\":\"COMMAND\",\"command\":{\"value\":\"true\"}}", &defaults));
	/* Without `type` (older Marathon) the set field decides. */
	assert_null(check_of("{\"command\":{\"value\":\"true\"}}", &defaults));
}

static void test_consul_label_on_task_without_ports_is_an_error(void **state)
{
	Mesos__V1__TaskInfo *t = ts_task_from_json(
	    "{\"name\":\"x\",\"task_id\":{\"value\":\"t5\"},\"agent_id\":{\"value\":"
	    "\"ag\"},\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"s\"}]}}");
	struct consul_regs regs;
	char err[256] = "";
	assert_int_equal(consul_map(t, &defaults, &regs, err, sizeof(err)), -1);
	assert_int_equal(regs.n, 0);
	assert_non_null(strstr(err, "no ports"));
	assert_non_null(strstr(err, "t5"));
	task_free(t);
}

static void test_address_prefers_cloud_public_ip_even_loopback(void **state)
{
	char out[64], err[512];
	const char *src;
	assert_int_equal(hookhttp_local_address("10.9.8.7", 0, "localhost", "10.0.0.7:5051", out,
	                                        sizeof(out), &src, err, sizeof(err)),
	                 0);
	assert_string_equal(out, "10.9.8.7");
	assert_string_equal(src, "CLOUD_PUBLIC_IP");
	assert_int_equal(hookhttp_local_address("fd00::1", 1, NULL, NULL, out, sizeof(out), &src,
	                                        err, sizeof(err)),
	                 0);
	assert_string_equal(out, "fd00::1");
	/* Given explicitly, loopback is honoured (a one-machine setup). */
	assert_int_equal(hookhttp_local_address("127.0.0.1", 0, NULL, NULL, out, sizeof(out), &src,
	                                        err, sizeof(err)),
	                 0);
	assert_string_equal(out, "127.0.0.1");
	assert_string_equal(src, "CLOUD_PUBLIC_IP");
}

static int pick(const char *public_ip, const char *const *host_addrs, const char *endpoint,
                const char *route, char *out, const char **src, char *err)
{
	struct hookhttp_addr_facts f = {.public_ip = public_ip,
	                                .agent_hostname = "agent1",
	                                .hostname_ipv4 = host_addrs,
	                                .agent_endpoint = endpoint,
	                                .route_source = route};
	return hookhttp_pick_address(&f, out, 64, src, err, 512);
}

static void test_guessed_address_skips_loopback_hostname_then_endpoint_then_route(void **state)
{
	char out[64], err[512];
	const char *src;
	const char *debian[] = {"127.0.1.1", NULL}; /* Debian's /etc/hosts for the host name */
	const char *both[] = {"127.0.1.1", "10.1.2.3", NULL};
	/* The agent's hostname: its first address that is not loopback. */
	assert_int_equal(pick(NULL, both, "10.0.0.7:5051", "10.9.9.9", out, &src, err), 0);
	assert_string_equal(out, "10.1.2.3");
	assert_string_equal(src, "the agent's hostname");
	/* Only loopback there: MESOS_AGENT_ENDPOINT's address. */
	assert_int_equal(pick("", debian, "10.0.0.7:5051", "10.9.9.9", out, &src, err), 0);
	assert_string_equal(out, "10.0.0.7");
	assert_string_equal(src, "MESOS_AGENT_ENDPOINT");
	/* A loopback or wildcard endpoint: the default route's source address. */
	assert_int_equal(pick(NULL, debian, "127.0.0.1:5051", "10.9.9.9", out, &src, err), 0);
	assert_string_equal(out, "10.9.9.9");
	assert_string_equal(src, "the default route's source address");
	assert_int_equal(pick("not-an-ip", NULL, "0.0.0.0:5051", "10.9.9.9", out, &src, err), 0);
	assert_string_equal(out, "10.9.9.9");
	/* Nothing routable: an error naming CLOUD_PUBLIC_IP, never a loopback guess. */
	assert_int_equal(pick(NULL, debian, "127.0.0.1:5051", NULL, out, &src, err), -1);
	assert_non_null(strstr(err, "CLOUD_PUBLIC_IP"));
	assert_non_null(strstr(err, "agent1"));
	assert_null(src);
	assert_int_equal(pick(NULL, NULL, NULL, "127.0.0.1", out, &src, err), -1);
}

/* On this machine, whatever its network: a host name and an endpoint that
 * are loopback give a routable address or a clear error, never loopback. */
static void test_loopback_hostname_and_endpoint_never_give_a_loopback_address(void **state)
{
	char out[64] = "", err[512] = "";
	const char *src = NULL;
	int rc = hookhttp_local_address(NULL, 0, "localhost", "127.0.0.1:5051", out, sizeof(out),
	                                &src, err, sizeof(err));
	if (rc == 0) {
		assert_int_equal(hookhttp_ip_family(out), 4);
		if (strncmp(out, "127.", 4) == 0 || strcmp(out, "0.0.0.0") == 0)
			fail_msg("guessed %s (from %s)", out, src);
		printf("this host's address: %s (from %s)\n", out, src);
	} else {
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, "CLOUD_PUBLIC_IP"));
		printf("no routable address: %s\n", err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_task_without_consul_label_registers_nothing),
	    cmocka_unit_test(test_named_service_registers_first_port_with_id_address_and_tags),
	    cmocka_unit_test(test_service_name_is_derived_from_marathon_task_ids),
	    cmocka_unit_test(test_empty_or_true_consul_label_uses_the_derived_name),
	    cmocka_unit_test(test_labelled_ports_register_each_name_with_selected_tags),
	    cmocka_unit_test(test_port_placeholders_in_tags_are_replaced_by_named_port_numbers),
	    cmocka_unit_test(test_empty_global_tag_is_left_out_and_duplicates_collapse),
	    cmocka_unit_test(test_http_check_targets_the_health_check_port_with_go_durations),
	    cmocka_unit_test(test_http_check_without_port_uses_the_service_port_and_slash_path),
	    cmocka_unit_test(test_http_check_defaults_follow_mesos_proto_defaults),
	    cmocka_unit_test(test_tcp_check_targets_the_service_address),
	    cmocka_unit_test(test_ipv6_address_is_bracketed_in_checks),
	    cmocka_unit_test(test_command_check_gives_no_consul_check),
	    cmocka_unit_test(test_consul_label_on_task_without_ports_is_an_error),
	    cmocka_unit_test(test_address_prefers_cloud_public_ip_even_loopback),
	    cmocka_unit_test(test_guessed_address_skips_loopback_hostname_then_endpoint_then_route),
	    cmocka_unit_test(test_loopback_hostname_and_endpoint_never_give_a_loopback_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
