/* Marathon app -> TaskInfo (Marathon src/main/scala/mesosphere/mesos/
 * TaskBuilder.scala), against examples/marathon-test-app.json and the
 * field-by-field rules: ids and names, environment (PORT*, MARATHON_APP_*,
 * HOST, app env winning), resources, discovery ports with labels, the health
 * check mapping (legacy HTTP/TCP dropped), kill policy, the custom executor
 * command, and that the result is a valid Mesos TaskInfo. */
#include "testsupport.h"

#include "fakeagent/marathon/marathon.h"
#include "proto/mesos.h"
#include "proto/pbjson.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UUID "c0caec0a-863a-11e9-915b-c610fee06dff"

static uint32_t ports_from_31000(void *data, size_t index, uint32_t declared, bool require)
{
	return require ? declared : 31000 + (uint32_t)index * 5;
}

static uint32_t consecutive_ports(void *data, size_t index, uint32_t declared, bool require)
{
	return 32000 + (uint32_t)index;
}

static const struct marathon_ctx ctx = {.file = "app.json",
                                        .agent_id = "agent-S0",
                                        .hostname = "host1",
                                        .instance_uuid = UUID,
                                        .version = "2019-06-03T10:00:00.000Z",
                                        .pick_port = ports_from_31000};

/* The allegro example, with the MESOS_HTTP check that makes it useful. */
static const char *example =
    "{\"id\": \"/cool-test-python-1\", \"cmd\": \"python -m SimpleHTTPServer $PORT0\","
    " \"cpus\": 0.1, \"mem\": 128, \"disk\": 0, \"instances\": 1, \"executor\": \"./executor\","
    " \"env\": {\"ALLEGRO_EXECUTOR_HTTP_TIMEOUT\": \"3s\", \"ALLEGRO_EXECUTOR_DEBUG\": \"true\"},"
    " \"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/\", \"portIndex\": 0,"
    "   \"gracePeriodSeconds\": 300, \"intervalSeconds\": 60, \"timeoutSeconds\": 20,"
    "   \"maxConsecutiveFailures\": 3}],"
    " \"labels\": {\"artifactId\": \"cool-test-python\", \"groupId\": \"com.example\","
    "   \"version\": \"1.0.0\", \"consul\": \"cool-test-python\", \"vip\": \"cool-test-python\","
    "   \"serviceId\": \"com.example.cool-test-python\"},"
    " \"portDefinitions\": [{\"port\": 10000, \"protocol\": \"tcp\", \"labels\": {}}],"
    " \"fetch\": [{\"uri\": \"http://localhost/executor\", \"extract\": true,"
    "   \"executable\": false, \"cache\": false}]}";

static cJSON *convert(const char *app_text, const struct marathon_ctx *c, char *err, size_t len)
{
	cJSON *app = cJSON_Parse(app_text);
	assert_non_null(app);
	cJSON *t = marathon_task_json(app, c, err, len);
	cJSON_Delete(app);
	return t;
}

static const char *env_of(const cJSON *command, const char *name)
{
	const cJSON *v;
	cJSON_ArrayForEach (
	    v, cJSON_GetObjectItem(cJSON_GetObjectItem(command, "environment"), "variables")) {
		if (strcmp(cJSON_GetObjectItem(v, "name")->valuestring, name) == 0)
			return cJSON_GetObjectItem(v, "value")->valuestring;
	}
	return NULL;
}

static int env_count(const cJSON *command)
{
	return cJSON_GetArraySize(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(command, "environment"), "variables"));
}

static const char *str_at(const cJSON *j, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItem(j, a);
	if (b)
		x = cJSON_GetObjectItem(x, b);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static void test_worked_example_ids_and_names(void **state)
{
	char err[256];
	cJSON *t = convert(example, &ctx, err, sizeof(err));
	assert_non_null(t);
	assert_string_equal(str_at(t, "name", NULL), "cool-test-python-1");
	assert_string_equal(str_at(t, "task_id", "value"),
	                    "cool-test-python-1.instance-" UUID "._app.1");
	assert_string_equal(str_at(t, "agent_id", "value"), "agent-S0");
	const cJSON *ex = cJSON_GetObjectItem(t, "executor");
	assert_string_equal(str_at(ex, "executor_id", "value"),
	                    "marathon-cool-test-python-1.instance-" UUID "._app.1");
	assert_null(cJSON_GetObjectItem(ex, "name"));
	assert_null(cJSON_GetObjectItem(ex, "resources"));
	assert_null(cJSON_GetObjectItem(t, "command"));
	assert_null(cJSON_GetObjectItem(t, "data"));
	cJSON_Delete(t);
}

static void test_nested_app_id_is_reversed_for_the_name_and_joined_for_the_task_id(void **state)
{
	char err[256];
	cJSON *t =
	    convert("{\"id\": \"/group/sub/app\", \"cmd\": \"true\"}", &ctx, err, sizeof(err));
	assert_non_null(t);
	assert_string_equal(str_at(t, "name", NULL), "app.sub.group");
	assert_string_equal(str_at(t, "task_id", "value"),
	                    "group_sub_app.instance-" UUID "._app.1");
	assert_string_equal(env_of(cJSON_GetObjectItem(t, "command"), "MARATHON_APP_ID"),
	                    "/group/sub/app");
	cJSON_Delete(t);
}

static void test_worked_example_custom_executor_command(void **state)
{
	char err[256];
	cJSON *t = convert(example, &ctx, err, sizeof(err));
	const cJSON *cmd = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "executor"), "command");
	assert_string_equal(str_at(cmd, "value", NULL),
	                    "chmod ug+rx './executor' && exec './executor' python -m "
	                    "SimpleHTTPServer $PORT0");
	assert_null(cJSON_GetObjectItem(cmd, "shell")); /* unset: the proto default true */
	assert_null(cJSON_GetObjectItem(cmd, "arguments"));
	assert_null(cJSON_GetObjectItem(cmd, "user"));
	const cJSON *uri = cJSON_GetArrayItem(cJSON_GetObjectItem(cmd, "uris"), 0);
	assert_string_equal(str_at(uri, "value", NULL), "http://localhost/executor");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(uri, "executable")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(uri, "extract")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(uri, "cache")));
	assert_null(cJSON_GetObjectItem(uri, "output_file"));
	cJSON_Delete(t);
}

static void test_worked_example_environment_has_the_22_variables(void **state)
{
	char err[256];
	cJSON *t = convert(example, &ctx, err, sizeof(err));
	const cJSON *cmd = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "executor"), "command");
	assert_int_equal(env_count(cmd), 22);
	assert_string_equal(env_of(cmd, "MESOS_TASK_ID"),
	                    "cool-test-python-1.instance-" UUID "._app.1");
	assert_string_equal(env_of(cmd, "MARATHON_APP_ID"), "/cool-test-python-1");
	assert_string_equal(env_of(cmd, "MARATHON_APP_VERSION"), "2019-06-03T10:00:00.000Z");
	assert_string_equal(env_of(cmd, "MARATHON_APP_RESOURCE_CPUS"), "0.1");
	assert_string_equal(env_of(cmd, "MARATHON_APP_RESOURCE_MEM"), "128.0");
	assert_string_equal(env_of(cmd, "MARATHON_APP_RESOURCE_DISK"), "0.0");
	assert_string_equal(env_of(cmd, "MARATHON_APP_RESOURCE_GPUS"), "0");
	assert_string_equal(env_of(cmd, "MARATHON_APP_ENFORCE_GROUP_ROLE"), "FALSE");
	assert_string_equal(env_of(cmd, "MARATHON_APP_LABELS"),
	                    "ARTIFACTID GROUPID VERSION CONSUL VIP SERVICEID");
	assert_string_equal(env_of(cmd, "MARATHON_APP_LABEL_SERVICEID"),
	                    "com.example.cool-test-python");
	assert_string_equal(env_of(cmd, "MARATHON_APP_LABEL_CONSUL"), "cool-test-python");
	assert_string_equal(env_of(cmd, "PORT0"), "31000");
	assert_string_equal(env_of(cmd, "PORT"), "31000");
	assert_string_equal(env_of(cmd, "PORTS"), "31000");
	assert_string_equal(env_of(cmd, "PORT_10000"), "31000");
	assert_string_equal(env_of(cmd, "HOST"), "host1");
	assert_string_equal(env_of(cmd, "ALLEGRO_EXECUTOR_HTTP_TIMEOUT"), "3s");
	assert_string_equal(env_of(cmd, "ALLEGRO_EXECUTOR_DEBUG"), "true");
	assert_null(env_of(cmd, "MARATHON_APP_DOCKER_IMAGE"));
	cJSON_Delete(t);
}

static void test_worked_example_resources_discovery_labels_and_no_health_check(void **state)
{
	char err[256];
	cJSON *t = convert(example, &ctx, err, sizeof(err));
	const cJSON *res = cJSON_GetObjectItem(t, "resources");
	assert_int_equal(cJSON_GetArraySize(res), 3); /* no disk, no gpus */
	assert_string_equal(str_at(cJSON_GetArrayItem(res, 0), "name", NULL), "cpus");
	assert_string_equal(str_at(cJSON_GetArrayItem(res, 1), "name", NULL), "mem");
	const cJSON *ports = cJSON_GetArrayItem(res, 2);
	assert_string_equal(str_at(ports, "name", NULL), "ports");
	assert_string_equal(str_at(ports, "type", NULL), "RANGES");
	assert_string_equal(str_at(ports, "role", NULL), "*");
	assert_string_equal(str_at(ports, "allocation_info", "role"), "*");
	const cJSON *range = cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(ports, "ranges"), "range"), 0);
	assert_int_equal(cJSON_GetObjectItem(range, "begin")->valueint, 31000);
	assert_int_equal(cJSON_GetObjectItem(range, "end")->valueint, 31000);

	const cJSON *d = cJSON_GetObjectItem(t, "discovery");
	assert_string_equal(str_at(d, "visibility", NULL), "FRAMEWORK");
	assert_string_equal(str_at(d, "name", NULL), "cool-test-python-1");
	const cJSON *p =
	    cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "ports"), "ports"), 0);
	assert_int_equal(cJSON_GetObjectItem(p, "number")->valueint, 31000);
	assert_string_equal(str_at(p, "protocol", NULL), "tcp");
	assert_null(cJSON_GetObjectItem(p, "name"));
	assert_null(cJSON_GetObjectItem(p, "labels")); /* empty labels omitted */

	assert_int_equal(
	    cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "labels"), "labels")), 6);
	/* the legacy HTTP check runs in Marathon; no kill policy without the field */
	assert_null(cJSON_GetObjectItem(t, "health_check"));
	assert_null(cJSON_GetObjectItem(t, "kill_policy"));
	cJSON_Delete(t);
}

static void test_the_result_is_a_valid_mesos_task_info(void **state)
{
	char err[256];
	cJSON *t = convert(example, &ctx, err, sizeof(err));
	Mesos__V1__TaskInfo *ti = (Mesos__V1__TaskInfo *)pbjson_from_json(
	    &mesos__v1__task_info__descriptor, t, err, sizeof(err));
	assert_non_null(ti);
	assert_non_null(ti->executor);
	assert_true(ti->executor->command->shell); /* default */
	assert_string_equal(mesos_label(ti->labels, "consul"), "cool-test-python");
	protobuf_c_message_free_unpacked(&ti->base, NULL);
	cJSON_Delete(t);
}

static const char *ported =
    "{\"id\": \"/web\", \"cmd\": \"serve\", \"cpus\": 0.5, \"mem\": 64, \"disk\": 10,"
    " \"gpus\": 1, \"taskKillGracePeriodSeconds\": 3, \"labels\": {\"my.key-x\": \"v\"},"
    " \"env\": {\"PORT0\": \"overridden\", \"SECRET\": {\"secret\": \"s1\"}},"
    " \"portDefinitions\": [{\"port\": 0, \"name\": \"http-api\", \"protocol\": \"tcp\","
    "   \"labels\": {\"consul\": \"web\"}},"
    "  {\"port\": 0, \"protocol\": \"udp,tcp\"}],"
    " \"healthChecks\": [{\"protocol\": \"TCP\"},"
    "  {\"protocol\": \"MESOS_HTTP\", \"path\": \"/health\", \"portIndex\": 1,"
    "   \"delaySeconds\": 0, \"intervalSeconds\": 1, \"gracePeriodSeconds\": 10,"
    "   \"timeoutSeconds\": 2, \"maxConsecutiveFailures\": 3}]}";

static void test_ports_env_names_service_ports_and_the_app_env_wins(void **state)
{
	char err[256];
	cJSON *t = convert(ported, &ctx, err, sizeof(err));
	assert_non_null(t);
	const cJSON *cmd = cJSON_GetObjectItem(t, "command");
	assert_string_equal(env_of(cmd, "PORT0"), "overridden");
	assert_string_equal(env_of(cmd, "PORT1"), "31005");
	assert_string_equal(env_of(cmd, "PORT_10000"), "31000");
	assert_string_equal(env_of(cmd, "PORT_10001"), "31005");
	assert_string_equal(env_of(cmd, "PORT_HTTP-API"), "31000"); /* upper-cased only */
	assert_string_equal(env_of(cmd, "PORT"), "31000");
	assert_string_equal(env_of(cmd, "PORTS"), "31000,31005");
	assert_string_equal(env_of(cmd, "MARATHON_APP_LABEL_MY_KEY_X"), "v");
	assert_string_equal(env_of(cmd, "MARATHON_APP_LABELS"), "MY_KEY_X");
	assert_string_equal(env_of(cmd, "MARATHON_APP_RESOURCE_GPUS"), "1");
	assert_null(env_of(cmd, "SECRET"));
	assert_string_equal(str_at(cmd, "value", NULL), "serve");
	cJSON_Delete(t);
}

static void test_discovery_has_one_port_per_protocol_with_name_and_labels(void **state)
{
	char err[256];
	cJSON *t = convert(ported, &ctx, err, sizeof(err));
	const cJSON *ps = cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(t, "discovery"), "ports"), "ports");
	assert_int_equal(cJSON_GetArraySize(ps), 3);
	const cJSON *p0 = cJSON_GetArrayItem(ps, 0);
	assert_string_equal(str_at(p0, "name", NULL), "http-api");
	const cJSON *l =
	    cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(p0, "labels"), "labels"), 0);
	assert_string_equal(str_at(l, "key", NULL), "consul");
	assert_string_equal(str_at(l, "value", NULL), "web");
	assert_string_equal(str_at(cJSON_GetArrayItem(ps, 1), "protocol", NULL), "udp");
	assert_string_equal(str_at(cJSON_GetArrayItem(ps, 2), "protocol", NULL), "tcp");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ps, 2), "number")->valueint, 31005);
	cJSON_Delete(t);
}

static void test_resources_in_order_with_gpus_and_disk_and_merged_port_ranges(void **state)
{
	char err[256];
	struct marathon_ctx c = ctx;
	c.pick_port = consecutive_ports;
	cJSON *t = convert(ported, &c, err, sizeof(err));
	const cJSON *res = cJSON_GetObjectItem(t, "resources");
	const char *names[] = {"cpus", "mem", "gpus", "disk", "ports"};
	assert_int_equal(cJSON_GetArraySize(res), 5);
	for (int i = 0; i < 5; i++)
		assert_string_equal(str_at(cJSON_GetArrayItem(res, i), "name", NULL), names[i]);
	const cJSON *ranges =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 4), "ranges"), "range");
	assert_int_equal(cJSON_GetArraySize(ranges), 1); /* 32000-32001 merged */
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ranges, 0), "end")->valueint,
	                 32001);
	cJSON_Delete(t);
}

static void test_mesos_http_check_maps_and_legacy_tcp_is_dropped(void **state)
{
	char err[256];
	cJSON *t = convert(ported, &ctx, err, sizeof(err));
	const cJSON *h = cJSON_GetObjectItem(t, "health_check");
	assert_non_null(h);
	assert_string_equal(str_at(h, "type", NULL), "HTTP");
	const cJSON *http = cJSON_GetObjectItem(h, "http");
	assert_string_equal(str_at(http, "scheme", NULL), "http");
	assert_int_equal(cJSON_GetObjectItem(http, "port")->valueint, 31005); /* portIndex 1 */
	assert_string_equal(str_at(http, "path", NULL), "/health");
	assert_string_equal(str_at(http, "protocol", NULL), "IPv4");
	assert_true(cJSON_GetObjectItem(h, "delay_seconds")->valuedouble == 0);
	assert_true(cJSON_GetObjectItem(h, "interval_seconds")->valuedouble == 1);
	assert_true(cJSON_GetObjectItem(h, "timeout_seconds")->valuedouble == 2);
	assert_true(cJSON_GetObjectItem(h, "grace_period_seconds")->valuedouble == 10);
	assert_int_equal(cJSON_GetObjectItem(h, "consecutive_failures")->valueint, 3);
	const cJSON *kp =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(t, "kill_policy"), "grace_period");
	assert_true(cJSON_GetObjectItem(kp, "nanoseconds")->valuedouble == 3e9);
	cJSON_Delete(t);
}

static void test_other_mesos_checks_https_tcp_command_with_defaults(void **state)
{
	char err[256];
	const char *apps[] = {
	    "{\"id\":\"/a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"MESOS_HTTPS\"}]}",
	    "{\"id\":\"/a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"MESOS_TCP\","
	    "\"port\":8080,\"ipProtocol\":\"IPv6\"}]}",
	    "{\"id\":\"/a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"COMMAND\","
	    "\"command\":{\"value\":\"exit 0\"}}]}",
	    "{\"id\":\"/a\",\"cmd\":\"x\",\"portDefinitions\":[],"
	    "\"healthChecks\":[{\"protocol\":\"MESOS_HTTP\"}]}",
	};
	cJSON *t = convert(apps[0], &ctx, err, sizeof(err));
	const cJSON *h = cJSON_GetObjectItem(t, "health_check");
	assert_string_equal(str_at(h, "type", NULL), "HTTP");
	assert_string_equal(str_at(cJSON_GetObjectItem(h, "http"), "scheme", NULL), "https");
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(h, "http"), "path"));
	assert_true(cJSON_GetObjectItem(h, "grace_period_seconds")->valuedouble == 300);
	assert_true(cJSON_GetObjectItem(h, "interval_seconds")->valuedouble == 60);
	assert_true(cJSON_GetObjectItem(h, "delay_seconds")->valuedouble == 15);
	/* the default port definition is named "default" */
	assert_string_equal(env_of(cJSON_GetObjectItem(t, "command"), "PORT_DEFAULT"), "31000");
	cJSON_Delete(t);

	t = convert(apps[1], &ctx, err, sizeof(err));
	h = cJSON_GetObjectItem(t, "health_check");
	assert_string_equal(str_at(h, "type", NULL), "TCP");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(h, "tcp"), "port")->valueint,
	                 8080);
	assert_string_equal(str_at(cJSON_GetObjectItem(h, "tcp"), "protocol", NULL), "IPv6");
	cJSON_Delete(t);

	t = convert(apps[2], &ctx, err, sizeof(err));
	h = cJSON_GetObjectItem(t, "health_check");
	assert_string_equal(str_at(h, "type", NULL), "COMMAND");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(h, "command"), "shell")));
	assert_string_equal(str_at(cJSON_GetObjectItem(h, "command"), "value", NULL), "exit 0");
	cJSON_Delete(t);

	/* no ports: nothing to resolve, the check is dropped, no PORT vars */
	t = convert(apps[3], &ctx, err, sizeof(err));
	assert_null(cJSON_GetObjectItem(t, "health_check"));
	assert_null(env_of(cJSON_GetObjectItem(t, "command"), "PORT"));
	assert_null(env_of(cJSON_GetObjectItem(t, "command"), "PORT0"));
	cJSON_Delete(t);
}

static void test_args_give_a_non_shell_command_and_the_executor_quirk(void **state)
{
	char err[256];
	cJSON *t =
	    convert("{\"id\":\"/a\",\"args\":[\"/bin/echo\",\"hi\"]}", &ctx, err, sizeof(err));
	const cJSON *cmd = cJSON_GetObjectItem(t, "command");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cmd, "shell")));
	assert_string_equal(str_at(cmd, "value", NULL), "/bin/echo");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cmd, "arguments")), 2);
	cJSON_Delete(t);

	t = convert("{\"id\":\"/a\",\"args\":[\"a\",\"b\"],\"executor\":\"/opt/ex\"}", &ctx, err,
	            sizeof(err));
	cmd = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "executor"), "command");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cmd, "shell")));
	assert_string_equal(str_at(cmd, "value", NULL),
	                    "chmod ug+rx '/opt/ex' && exec '/opt/ex' a b");
	cJSON_Delete(t);

	t = convert("{\"id\":\"/a\",\"executor\":\"./ex\"}", &ctx, err, sizeof(err));
	cmd = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "executor"), "command");
	assert_string_equal(str_at(cmd, "value", NULL), "chmod ug+rx './ex' && exec './ex' ");
	cJSON_Delete(t);

	t = convert("{\"id\":\"/a\",\"cmd\":\"x\",\"executor\":\"//cmd\"}", &ctx, err, sizeof(err));
	assert_null(cJSON_GetObjectItem(t, "executor"));
	assert_non_null(cJSON_GetObjectItem(t, "command"));
	cJSON_Delete(t);
}

static void test_executor_resources_and_require_ports(void **state)
{
	char err[256];
	cJSON *t =
	    convert("{\"id\":\"/a\",\"cmd\":\"x\",\"executor\":\"./e\",\"requirePorts\":true,"
	            "\"ports\":[8081],\"executorResources\":{\"mem\":64}}",
	            &ctx, err, sizeof(err));
	const cJSON *res = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "executor"), "resources");
	assert_int_equal(cJSON_GetArraySize(res), 3);
	assert_true(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 1), "scalar"), "value")
	        ->valuedouble == 64);
	const cJSON *cmd = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "executor"), "command");
	assert_string_equal(env_of(cmd, "PORT0"), "8081");
	assert_string_equal(env_of(cmd, "PORT_8081"), "8081");
	cJSON_Delete(t);
}

static void test_bad_input_names_the_file_and_the_field(void **state)
{
	char err[256];
	struct {
		const char *app, *want;
	} cases[] = {
	    {"{\"cmd\":\"x\"}", "app.json: id: required"},
	    {"{\"id\":\"/a\",\"cpus\":\"1\"}", "app.json: cpus: expected a number, got a string"},
	    {"{\"id\":\"/a\",\"env\":{\"A\":1}}", "app.json: env.A: expected a string"},
	    {"{\"id\":\"/a\",\"labels\":{\"A\":true}}", "app.json: labels.A: expected a string"},
	    {"{\"id\":\"/a\",\"cmd\":\"x\",\"args\":[\"y\"]}", "app.json: cmd and args"},
	    {"{\"id\":\"/a\",\"healthChecks\":[{\"protocol\":\"SMTP\"}]}",
	     "app.json: healthChecks[0].protocol: unknown protocol 'SMTP'"},
	    {"{\"id\":\"/a\",\"portDefinitions\":[{\"port\":\"80\"}]}",
	     "app.json: portDefinitions[0].port: expected a number"},
	    {"[1]", "app.json: expected a JSON object"},
	    {"{\"id\":\"/Bad_Id\"}", "app.json: id:"},
	    /* Marathon's taskKillGracePeriodSeconds is an int32 from 0 */
	    {"{\"id\":\"/a\",\"cmd\":\"x\",\"taskKillGracePeriodSeconds\":2.05}",
	     "app.json: taskKillGracePeriodSeconds: expected a whole number of seconds from 0 to "
	     "2147483647, got 2.0499999999999998 (Marathon refuses it with 422: "
	     "error.expected.int)"},
	    {"{\"id\":\"/a\",\"cmd\":\"x\",\"taskKillGracePeriodSeconds\":-1}",
	     "app.json: taskKillGracePeriodSeconds: expected a whole number"},
	    {"{\"id\":\"/a\",\"cmd\":\"x\",\"taskKillGracePeriodSeconds\":2147483648}",
	     "app.json: taskKillGracePeriodSeconds: expected a whole number"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *t = convert(cases[i].app, &ctx, err, sizeof(err));
		assert_null(t);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got '%s', want prefix '%s'", i, err, cases[i].want);
	}
}

static void test_java_double_formatting(void **state)
{
	char buf[32];
	struct {
		double v;
		const char *s;
	} cases[] = {{0.1, "0.1"},  {128, "128.0"}, {0, "0.0"},
	             {1.5, "1.5"},  {1e7, "1.0E7"}, {12345678, "1.2345678E7"},
	             {0.25, "0.25"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		marathon_java_double(cases[i].v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
	}
	marathon_label_env_name("a..b--c_d", buf, sizeof(buf));
	assert_string_equal(buf, "A_B_C_D");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_worked_example_ids_and_names),
	    cmocka_unit_test(
	        test_nested_app_id_is_reversed_for_the_name_and_joined_for_the_task_id),
	    cmocka_unit_test(test_worked_example_custom_executor_command),
	    cmocka_unit_test(test_worked_example_environment_has_the_22_variables),
	    cmocka_unit_test(test_worked_example_resources_discovery_labels_and_no_health_check),
	    cmocka_unit_test(test_the_result_is_a_valid_mesos_task_info),
	    cmocka_unit_test(test_ports_env_names_service_ports_and_the_app_env_wins),
	    cmocka_unit_test(test_discovery_has_one_port_per_protocol_with_name_and_labels),
	    cmocka_unit_test(test_resources_in_order_with_gpus_and_disk_and_merged_port_ranges),
	    cmocka_unit_test(test_mesos_http_check_maps_and_legacy_tcp_is_dropped),
	    cmocka_unit_test(test_other_mesos_checks_https_tcp_command_with_defaults),
	    cmocka_unit_test(test_args_give_a_non_shell_command_and_the_executor_quirk),
	    cmocka_unit_test(test_executor_resources_and_require_ports),
	    cmocka_unit_test(test_bad_input_names_the_file_and_the_field),
	    cmocka_unit_test(test_java_double_formatting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
