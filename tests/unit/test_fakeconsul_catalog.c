/* fakeconsul's pure parts: decoding service definitions the way Consul's
 * agent does (svcdef.c), the catalog's check creation, replace semantics and
 * indexes (catalog.c), and ACL token rules (acl.c). */
#include "testsupport.h"

#include "fakeconsul/acl.h"
#include "fakeconsul/blocking.h"
#include "fakeconsul/catalog.h"
#include "fakeconsul/reaper.h"
#include "fakeconsul/svcdef.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *json, struct svcdef *d, char *err)
{
	return svcdef_parse(json, strlen(json), d, err, 512);
}

static void test_svcdef_matches_keys_ignoring_case_and_snake_case_aliases(void **state)
{
	struct svcdef d;
	char err[512];
	assert_int_equal(
	    parse("{\"nAmE\":\"web\",\"tags\":[\"x\"],\"enable_tag_override\":true,"
	          "\"check\":{\"http\":\"http://a/\",\"interval\":\"1m30s\","
	          "\"timeout\":2000000000,\"deregister_critical_service_after\":\"1m\","
	          "\"tls_skip_verify\":true}}",
	          &d, err),
	    0);
	assert_string_equal(d.name, "web");
	assert_string_equal(d.id, "web"); /* ID defaults to Name */
	assert_true(d.enable_tag_override);
	assert_int_equal(d.nchecks, 1);
	assert_string_equal(d.checks[0].http, "http://a/");
	assert_true(d.checks[0].interval_ns == 90LL * 1000000000);
	assert_true(d.checks[0].timeout_ns == 2000000000LL); /* a number is nanoseconds */
	assert_true(d.checks[0].deregister_after_ns == 60LL * 1000000000);
	assert_true(d.checks[0].tls_skip_verify);
	assert_string_equal(checkdef_type(&d.checks[0]), "http");
	svcdef_free(&d);
}

static void test_svcdef_drops_an_empty_check_but_validates_every_entry_of_checks(void **state)
{
	struct svcdef d;
	char err[512];
	assert_int_equal(parse("{\"Name\":\"a\",\"Checks\":[{\"TTL\":\"5s\"}],"
	                       "\"Check\":{\"TCP\":\"h:1\",\"Interval\":\"5s\"}}",
	                       &d, err),
	                 0);
	assert_int_equal(d.nchecks, 2);
	assert_string_equal(checkdef_type(&d.checks[0]), "tcp"); /* Check first */
	assert_string_equal(checkdef_type(&d.checks[1]), "ttl");
	svcdef_free(&d);
	/* An empty Check is dropped (CheckType.Empty), ServiceID aside... */
	assert_int_equal(parse("{\"Name\":\"a\",\"Check\":{},\"Checks\":null}", &d, err), 0);
	assert_int_equal(d.nchecks, 0);
	svcdef_free(&d);
	assert_int_equal(parse("{\"Name\":\"a\",\"Check\":{\"ServiceID\":\"x\"}}", &d, err), 0);
	assert_int_equal(d.nchecks, 0);
	svcdef_free(&d);
	/* ...but every entry of Checks is validated, an empty one too. */
	assert_int_equal(parse("{\"Name\":\"a\",\"Checks\":[{\"TTL\":\"5s\"},{}]}", &d, err), 400);
	assert_string_equal(err, "Invalid check: TTL must be > 0 for TTL checks");
	svcdef_free(&d);
}

static void expect_refusal(const char *body, const char *want)
{
	struct svcdef d;
	char err[512] = "";
	int rc = parse(body, &d, err);
	if (rc != 400 || strcmp(err, want) != 0)
		fail_msg("%s: got %d \"%s\", want \"%s\"", body, rc, err, want);
	svcdef_free(&d);
}

static void test_svcdef_refuses_a_key_no_consul_struct_has(void **state)
{
	static const char *const bodies[] = {
	    "{\"Name\":\"web\",\"Bogus\":1}",
	    ("{\"name\":\"web\",\"check\":{\"http\":\"http://a/\",\"interval\":\"5s\","
	     "\"Bogus\":1}}"),
	    "{\"Name\":\"web\",\"Checks\":[{\"TTL\":\"5s\"},{\"TTL\":\"5s\",\"Bogus\":1}]}",
	    "{\"Name\":\"web\",\"Weights\":{\"Passing\":1,\"Bogus\":1}}",
	    "{\"Name\":\"web\",\"Locality\":{\"Region\":\"r\",\"Bogus\":1}}",
	    "{\"Name\":\"web\",\"TaggedAddresses\":{\"lan\":{\"Address\":\"a\",\"Bogus\":1}}}",
	    /* a null does not make a key known */
	    "{\"Name\":\"web\",\"Bogus\":null}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		expect_refusal(bodies[i], "Request decode failed: json: unknown field \"Bogus\"");
	/* CheckType has CheckID and no check_id; the community edition has no
	 * Namespace; Script went with Consul 1.1. */
	expect_refusal("{\"Name\":\"a\",\"Check\":{\"check_id\":\"c\",\"TTL\":\"5s\"}}",
	               "Request decode failed: json: unknown field \"check_id\"");
	expect_refusal("{\"Name\":\"a\",\"Namespace\":\"ns\"}",
	               "Request decode failed: json: unknown field \"Namespace\"");
	expect_refusal("{\"Name\":\"a\",\"Check\":{\"Script\":\"true\",\"Interval\":\"5s\"}}",
	               "Request decode failed: json: unknown field \"Script\"");
}

static void test_svcdef_accepts_every_field_and_alias_consul_declares(void **state)
{
	struct svcdef d;
	char err[512];
	assert_int_equal(
	    parse("{\"kind\":\"\",\"ID\":\"w1\",\"Name\":\"web\",\"Tags\":[],\"Address\":\"\","
	          "\"tagged_addresses\":{\"lan\":{\"Address\":\"10.0.0.1\",\"Port\":80}},"
	          "\"Meta\":{},\"Port\":80,\"Ports\":null,\"SocketPath\":\"\",\"Token\":\"t\","
	          "\"Weights\":{\"Passing\":2,\"Warning\":1},\"ENABLETAGOVERRIDE\":false,"
	          "\"Locality\":{\"Region\":\"r\",\"Zone\":\"z\"},\"Proxy\":null,"
	          "\"Connect\":null,\"enable_tag_override\":true,"
	          "\"Check\":{\"CheckID\":\"c1\",\"Name\":\"n\",\"Notes\":\"\",\"ServiceID\":\"x\","
	          "\"service_id\":\"x\",\"HTTP\":\"http://a/\",\"Header\":{\"A\":[\"b\"]},"
	          "\"Method\":\"GET\",\"Body\":\"\",\"DisableRedirects\":true,"
	          "\"Interval\":\"5s\",\"Timeout\":\"1s\",\"tls_server_name\":\"a\","
	          "\"tls_skip_verify\":true,\"SuccessBeforePassing\":1,"
	          "\"FailuresBeforeWarning\":1,\"FailuresBeforeCritical\":2,\"OutputMaxSize\":10,"
	          "\"ProxyHTTP\":\"\",\"ProxyGRPC\":\"\","
	          "\"deregister_critical_service_after\":\"90s\"},"
	          "\"Checks\":[{\"args\":[\"true\"],\"docker_container_id\":\"c\",\"Shell\":\"sh\","
	          "\"Interval\":\"5s\"},{\"script_args\":[\"true\"],\"Interval\":\"5s\"},"
	          "{\"GRPC\":\"a:1\",\"grpc_use_tls\":true,\"Interval\":\"5s\"},"
	          "{\"H2PING\":\"a:1\",\"h2ping_use_tls\":false,\"Interval\":\"5s\"},"
	          "{\"OSService\":\"sshd\",\"Interval\":\"5s\"}]}",
	          &d, err),
	    0);
	assert_true(d.enable_tag_override);
	assert_int_equal(d.weight_passing, 2);
	assert_non_null(cJSON_GetObjectItem(d.extra, "TaggedAddresses"));
	assert_non_null(cJSON_GetObjectItem(d.extra, "Locality"));
	assert_int_equal(d.nchecks, 6);
	assert_true(d.checks[0].deregister_after_ns == 90LL * 1000000000);
	assert_string_equal(d.checks[0].tls_server_name, "a");
	assert_null(d.checks[0].service_id); /* CheckType reads ServiceID and ignores it */
	const char *types[] = {"http", "docker", "script", "grpc", "h2ping", "os_service"};
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(checkdef_type(&d.checks[i]), types[i]);
	assert_false(d.checks[4].h2ping_use_tls);
	svcdef_free(&d);
}

static void test_svcdef_reports_the_first_error_and_a_failing_check_before_any(void **state)
{
	/* Go records unknown keys and type mismatches and goes on: the first
	 * in the document is reported. */
	expect_refusal("{\"Bogus\":1,\"Port\":\"x\"}",
	               "Request decode failed: json: unknown field \"Bogus\"");
	expect_refusal("{\"Port\":\"x\",\"Bogus\":1}",
	               "Request decode failed: json: cannot unmarshal string into Go struct field "
	               "ServiceDefinition.Port of type int");
	/* A check's own UnmarshalJSON failing ends the decoding at once. */
	expect_refusal("{\"Bogus\":1,\"Check\":{\"TTL\":\"soon\"}}",
	               "Request decode failed: time: invalid duration \"soon\"");
	/* Inside a check, its members come before its durations. */
	expect_refusal("{\"Name\":\"a\",\"Check\":{\"TTL\":\"soon\",\"Bogus\":1}}",
	               "Request decode failed: json: unknown field \"Bogus\"");
	/* A decode error wins over a missing name. */
	expect_refusal("{\"Bogus\":1}", "Request decode failed: json: unknown field \"Bogus\"");
}

static void test_svcdef_reads_durations_as_go_does(void **state)
{
	struct svcdef d;
	char err[512];
	expect_refusal("{\"Name\":\"a\",\"Check\":{\"TTL\":\"soon\"}}",
	               "Request decode failed: time: invalid duration \"soon\"");
	expect_refusal("{\"Name\":\"a\",\"Check\":{\"TTL\":\"5\"}}",
	               "Request decode failed: time: missing unit in duration \"5\"");
	expect_refusal("{\"Name\":\"a\",\"Check\":{\"TTL\":\"5x\"}}",
	               "Request decode failed: time: unknown unit \"x\" in duration \"5x\"");
	/* A sign is Go syntax: a negative TTL decodes and fails validation. */
	expect_refusal("{\"Name\":\"a\",\"Check\":{\"TTL\":\"-5s\"}}",
	               "Invalid check: TTL must be > 0 for TTL checks");
	/* Durations are interface{}: other JSON types are read and ignored. */
	expect_refusal("{\"Name\":\"a\",\"Check\":{\"HTTP\":\"http://a/\",\"Interval\":true}}",
	               "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or "
	               "OSService checks");
	assert_int_equal(parse("{\"Name\":\"a\",\"Check\":{\"TTL\":\"+1.5s\"}}", &d, err), 0);
	assert_true(d.checks[0].ttl_ns == 1500000000LL);
	svcdef_free(&d);
}

static void test_svcdef_knows_udp_h2ping_and_alias_checks_with_consuls_texts(void **state)
{
	struct svcdef d;
	char err[512];
	assert_int_equal(parse("{\"Name\":\"a\",\"Checks\":[{\"UDP\":\"h:53\",\"Interval\":\"5s\"},"
	                       "{\"AliasService\":\"web\"},{\"AliasNode\":\"n1\"},"
	                       "{\"H2PING\":\"h:443\",\"Interval\":\"5s\"}]}",
	                       &d, err),
	                 0);
	assert_string_equal(checkdef_type(&d.checks[0]), "udp");
	assert_string_equal(checkdef_type(&d.checks[1]), "alias");
	assert_string_equal(checkdef_type(&d.checks[2]), "alias");
	assert_string_equal(checkdef_type(&d.checks[3]), "h2ping");
	assert_true(d.checks[3].h2ping_use_tls); /* the default for H2PING */
	svcdef_free(&d);
	const char *reg = "{\"Name\":\"a\",\"Check\":";
	struct {
		const char *check, *why;
	} cases[] = {
	    {"{\"UDP\":\"h:53\"}}",
	     "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks"},
	    {"{\"AliasService\":\"web\",\"TCP\":\"h:1\",\"Interval\":\"5s\"}}",
	     "Interval cannot be set for Alias checks"},
	    {"{\"AliasService\":\"web\",\"TTL\":\"5s\"}}",
	     "TTL must be not be set for Alias checks"},
	    {"{\"TTL\":\"5s\",\"OutputMaxSize\":-1}}", "MaxOutputMaxSize must be positive"},
	    {"{\"TTL\":\"5s\",\"FailuresBeforeWarning\":2,\"FailuresBeforeCritical\":1}}",
	     "FailuresBeforeWarning can't be higher than FailuresBeforeCritical"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[512], want[256];
		snprintf(body, sizeof(body), "%s%s", reg, cases[i].check);
		snprintf(want, sizeof(want), "Invalid check: %s", cases[i].why);
		expect_refusal(body, want);
	}
}

static void test_svcdef_a_null_entry_of_checks_is_what_crashes_consul(void **state)
{
	struct svcdef d;
	char err[512];
	assert_int_equal(parse("{\"Name\":\"a\",\"Checks\":[null]}", &d, err), SVCDEF_AGENT_PANICS);
	assert_non_null(strstr(err, "panics"));
	svcdef_free(&d);
	/* An invalid entry before it is reported first, as CheckTypes() does. */
	expect_refusal("{\"Name\":\"a\",\"Checks\":[{},null]}",
	               "Invalid check: TTL must be > 0 for TTL checks");
}

static void test_svcdef_decodes_before_and_validates_after_the_token(void **state)
{
	/* The agent resolves the token between the two: what svcdef_decode
	 * accepts may still be refused by svcdef_validate. */
	static const char *const bodies[] = {
	    "{\"Name\":\"a\",\"Weights\":{\"Passing\":0}}",
	    "{\"Name\":\"a\",\"Meta\":{\"consul-x\":\"y\"}}",
	    "{\"Name\":\"a\",\"Checks\":[{}]}",
	    "{\"Name\":\"a\",\"Check\":{\"TTL\":\"5s\",\"Status\":\"up\"}}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct svcdef d;
		char err[512];
		assert_int_equal(svcdef_decode(bodies[i], strlen(bodies[i]), &d, err, sizeof(err)),
		                 0);
		assert_int_equal(svcdef_validate(&d, err, sizeof(err)), 400);
		svcdef_free(&d);
	}
	struct checkdef k;
	char err[512];
	const char *body = "{\"Name\":\"mem\",\"HTTP\":\"http://a/\"}";
	assert_int_equal(checkdef_decode_register(body, strlen(body), &k, err, sizeof(err)), 0);
	assert_int_equal(checkdef_validate(&k, err, sizeof(err)), 400);
	checkdef_free(&k);
}

static void test_svcdef_reports_errors_in_consuls_order_and_words(void **state)
{
	struct {
		const char *body;
		const char *err;
	} cases[] = {
	    {"[1]", "Request decode failed: json: cannot unmarshal array into Go value of type "
	            "structs.ServiceDefinition"},
	    {"{\"Name\":5}", "Request decode failed: json: cannot unmarshal number into Go struct "
	                     "field ServiceDefinition.Name of type string"},
	    {"{\"Name\":\"a\",\"Port\":\"80\"}",
	     "Request decode failed: json: cannot unmarshal string into Go struct field "
	     "ServiceDefinition.Port of type int"},
	    {"{\"Name\":\"a\",\"Meta\":{\"k\":1}}",
	     "Request decode failed: json: cannot unmarshal number into Go struct field "
	     "ServiceDefinition.Meta of type string"},
	    {"{\"Name\":\"a\",\"Checks\":[1]}",
	     "Request decode failed: json: cannot unmarshal number into Go struct field "
	     "ServiceDefinition.Checks of type structs.CheckType"},
	    /* a decode error wins over a missing name */
	    {"{\"Tags\":\"x\"}", "Request decode failed: json: cannot unmarshal string into Go "
	                         "struct field ServiceDefinition.Tags of type []string"},
	    {"{\"Address\":\"0.0.0.0\"}", "Missing service name"},
	    {"{\"Name\":\"a\",\"Address\":\"::\"}", "Invalid service address"},
	    {"{\"Name\":\"a\",\"Weights\":{\"Passing\":0}}",
	     "Invalid Weights: Passing must be greater than 0"},
	    {"{\"Name\":\"a\",\"Meta\":{\"bad key\":\"v\"}}",
	     "Invalid Service Meta: Couldn't load metadata pair ('bad key', 'v'): Key contains "
	     "invalid characters"},
	    {"{\"Name\":\"a\",\"Check\":{\"Status\":\"passing\"}}",
	     "Invalid check: TTL must be > 0 for TTL checks"},
	    {"{\"Name\":\"a\",\"Checks\":[{\"TTL\":\"1s\"},{\"TTL\":\"1s\",\"Status\":\"up\"}]}",
	     "Status for checks must 'passing', 'warning', 'critical'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct svcdef d;
		char err[512] = "";
		assert_int_equal(parse(cases[i].body, &d, err), 400);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("%s: got \"%s\"", cases[i].body, err);
		svcdef_free(&d);
	}
}

static void test_checkdef_register_defaults_id_to_name(void **state)
{
	struct checkdef k;
	char err[256];
	const char *body = "{\"Name\":\"mem\",\"TTL\":\"10s\"}";
	assert_int_equal(checkdef_parse_register(body, strlen(body), &k, err, sizeof(err)), 0);
	assert_string_equal(k.check_id, "mem");
	checkdef_free(&k);
	body = "{\"TTL\":\"10s\"}";
	assert_int_equal(checkdef_parse_register(body, strlen(body), &k, err, sizeof(err)), 400);
	assert_string_equal(err, "Missing check name");
	checkdef_free(&k);
}

static void test_checkdef_register_takes_id_and_its_own_aliases_not_check_id(void **state)
{
	struct checkdef k;
	char err[256];
	const char *body = "{\"ID\":\"c\",\"Name\":\"mem\",\"Token\":\"t\",\"service_id\":\"s\","
	                   "\"disable_redirects\":true,\"HTTP\":\"http://a/\",\"Interval\":\"5s\"}";
	assert_int_equal(checkdef_parse_register(body, strlen(body), &k, err, sizeof(err)), 0);
	assert_string_equal(k.check_id, "c");
	assert_string_equal(k.service_id, "s");
	assert_true(k.disable_redirects);
	checkdef_free(&k);
	body = "{\"CheckID\":\"c\",\"Name\":\"mem\",\"TTL\":\"10s\"}";
	assert_int_equal(checkdef_parse_register(body, strlen(body), &k, err, sizeof(err)), 400);
	assert_string_equal(err, "Request decode failed: json: unknown field \"CheckID\"");
	checkdef_free(&k);
}

/* ------------------------------------------------------------ catalog */

struct events {
	int changed, added, removed;
};

static void ev_changed(void *d)
{
	((struct events *)d)->changed++;
}
static void ev_added(void *d, const struct cat_check *k)
{
	((struct events *)d)->added++;
}
static void ev_removed(void *d, const char *id)
{
	((struct events *)d)->removed++;
}

static void add(struct catalog *c, const char *json, bool replace)
{
	struct svcdef d;
	char err[512];
	assert_int_equal(parse(json, &d, err), 0);
	assert_int_equal(catalog_add_service(c, &d, replace, err, sizeof(err)), 0);
	svcdef_free(&d);
}

static void test_reregistration_keeps_check_state_and_other_checks(void **state)
{
	struct catalog c;
	struct events ev = {0};
	catalog_init(&c, "n1", "dc1");
	c.hooks = (struct catalog_hooks){.changed = ev_changed,
	                                 .check_added = ev_added,
	                                 .check_removed = ev_removed,
	                                 .data = &ev};

	add(&c, "{\"Name\":\"web\",\"ID\":\"w\",\"Checks\":[{\"TTL\":\"5s\"},{\"TTL\":\"5s\"}]}",
	    false);
	assert_non_null(catalog_check(&c, "service:w:1"));
	assert_int_equal(catalog_update_check(&c, "service:w:1", "passing", "ok"), 0);
	uint64_t before = c.index;

	/* One check now: it is "service:w", and the old two survive. */
	add(&c,
	    "{\"Name\":\"web\",\"ID\":\"w\",\"Tags\":[\"new\"],\"Check\":{\"TTL\":\"5s\","
	    "\"CheckID\":\"service:w:1\",\"Status\":\"critical\"}}",
	    false);
	assert_true(c.index > before);
	const struct cat_check *k = catalog_check(&c, "service:w:1");
	assert_string_equal(k->status, "passing"); /* the agent keeps a check's state */
	assert_string_equal(k->output, "ok");
	assert_non_null(catalog_check(&c, "service:w:2"));
	assert_string_equal(
	    cJSON_GetArrayItem(catalog_check(&c, "service:w:2")->service_tags, 0)->valuestring,
	    "new");

	/* ?replace-existing-checks drops the ones not given. */
	add(&c, "{\"Name\":\"web\",\"ID\":\"w\",\"Check\":{\"TTL\":\"5s\"}}", true);
	assert_non_null(catalog_check(&c, "service:w"));
	assert_null(catalog_check(&c, "service:w:1"));
	assert_null(catalog_check(&c, "service:w:2"));
	assert_int_equal(c.nchecks, 1);

	assert_int_equal(catalog_remove_service(&c, "w"), 0);
	assert_int_equal(c.nchecks, 0);
	assert_int_equal(catalog_remove_service(&c, "w"), -1);
	assert_int_equal(ev.added, ev.removed);
	assert_true(ev.changed >= 4);
	catalog_free(&c);
}

static void test_name_index_moves_only_for_that_service(void **state)
{
	struct catalog c;
	catalog_init(&c, "n1", "dc1");
	add(&c, "{\"Name\":\"a\"}", false);
	uint64_t a = catalog_name_index(&c, "a");
	add(&c, "{\"Name\":\"b\",\"Check\":{\"TTL\":\"1s\"}}", false);
	assert_true(catalog_name_index(&c, "a") == a);
	uint64_t b = catalog_name_index(&c, "b");
	catalog_update_check(&c, "service:b", "critical", "same status"); /* no change */
	assert_true(catalog_name_index(&c, "b") == b);
	catalog_update_check(&c, "service:b", "passing", NULL);
	assert_true(catalog_name_index(&c, "b") > b);
	assert_true(catalog_name_index(&c, "a") == a);
	/* A name never seen follows the global index. */
	assert_true(catalog_name_index(&c, "zzz") == c.index);
	catalog_free(&c);
}

static void test_script_checks_are_refused_like_a_default_agent(void **state)
{
	struct catalog c;
	struct svcdef d;
	char err[512];
	catalog_init(&c, "n1", "dc1");
	assert_int_equal(
	    parse("{\"Name\":\"s\",\"Check\":{\"Args\":[\"true\"],\"Interval\":\"5s\"}}", &d, err),
	    0);
	assert_int_equal(catalog_add_service(&c, &d, false, err, sizeof(err)), 500);
	assert_non_null(strstr(err, "Scripts are disabled on this agent"));
	assert_int_equal(c.nservices, 0);
	svcdef_free(&d);
	catalog_free(&c);
}

static void test_passing_means_every_check_of_the_service_passes(void **state)
{
	struct catalog c;
	catalog_init(&c, "n1", "dc1");
	add(&c,
	    "{\"Name\":\"a\",\"Checks\":[{\"TTL\":\"1s\",\"Status\":\"passing\"},{\"TTL\":\"1s\","
	    "\"Status\":\"warning\"}]}",
	    false);
	const struct cat_service *s = catalog_service(&c, "a");
	assert_false(catalog_service_passing(&c, s));
	catalog_update_check(&c, "service:a:2", "passing", NULL);
	assert_true(catalog_service_passing(&c, s));
	const char *tags[] = {"X"};
	assert_false(catalog_service_has_tags(s, tags, 1));
	catalog_free(&c);
}

/* ------------------------------------------------------------ reaper */

static uint64_t fake_now;

static uint64_t clock_now(void *data)
{
	return fake_now;
}

static void test_reaper_removes_a_service_whose_check_stays_critical_too_long(void **state)
{
	struct catalog c;
	catalog_init(&c, "n1", "dc1");
	c.hooks.now_ms = clock_now;
	add(&c,
	    "{\"Name\":\"web\",\"Check\":{\"TTL\":\"1h\",\"Status\":\"passing\","
	    "\"DeregisterCriticalServiceAfter\":\"90s\"}}",
	    false);
	add(&c, "{\"Name\":\"db\",\"Check\":{\"TTL\":\"1h\",\"Status\":\"passing\"}}", false);
	fake_now = 1000;
	catalog_update_check(&c, "service:web", "critical", "TTL expired");
	catalog_update_check(&c, "service:db", "critical", "TTL expired");
	fake_now = 50000;
	catalog_update_check(&c, "service:web", "critical", "still"); /* the clock keeps running */
	assert_int_equal(reaper_pass(&c, 1000 + 90000, REAPER_MIN_TIMEOUT_MS), 0);
	assert_int_equal(reaper_pass(&c, 1000 + 90001, REAPER_MIN_TIMEOUT_MS), 1);
	assert_null(catalog_service(&c, "web"));
	assert_null(catalog_check(&c, "service:web"));
	assert_non_null(catalog_service(&c, "db")); /* no deadline, never reaped */
	assert_int_equal(reaper_pass(&c, 1000000000, REAPER_MIN_TIMEOUT_MS), 0);
	catalog_free(&c);
}

static void test_reaper_restarts_the_clock_and_raises_short_deadlines_to_the_minimum(void **state)
{
	struct catalog c;
	catalog_init(&c, "n1", "dc1");
	c.hooks.now_ms = clock_now;
	/* Registered critical: the clock starts with the first critical result. */
	add(&c,
	    "{\"Name\":\"web\",\"Check\":{\"TTL\":\"1h\",\"deregister_critical_service_after\":"
	    "\"1s\"}}",
	    false);
	assert_int_equal(reaper_pass(&c, 10000000, 0), 0);
	fake_now = 10000;
	catalog_update_check(&c, "service:web", "critical", "TTL expired");
	/* 1s is raised to Consul's one minute. */
	assert_int_equal(reaper_pass(&c, 10000 + 2000, REAPER_MIN_TIMEOUT_MS), 0);
	/* A passing result stops the clock; the next critical one restarts it. */
	fake_now = 20000;
	catalog_update_check(&c, "service:web", "passing", "");
	assert_int_equal(reaper_pass(&c, 10000 + 60001, REAPER_MIN_TIMEOUT_MS), 0);
	fake_now = 30000;
	catalog_update_check(&c, "service:web", "critical", "");
	assert_int_equal(reaper_pass(&c, 30000 + 60000, REAPER_MIN_TIMEOUT_MS), 0);
	assert_int_equal(reaper_pass(&c, 30000 + 1001, 0), 1); /* with no minimum */
	catalog_free(&c);
}

static void test_blocking_wait_defaults_caps_and_jitters_as_consul(void **state)
{
	const int64_t s = 1000000000LL;
	/* absent, zero or negative: the default, 5 minutes (+ up to 1/16) */
	assert_int_equal(blocking_wait_ms(0, 0), BLOCKING_WAIT_DEFAULT_MS);
	assert_int_equal(blocking_wait_ms(-5 * s, 0), BLOCKING_WAIT_DEFAULT_MS);
	assert_true(blocking_wait_ms(0, 18749) == BLOCKING_WAIT_DEFAULT_MS + 18749);
	assert_true(blocking_wait_ms(0, 18750) == BLOCKING_WAIT_DEFAULT_MS);
	/* at most 10 minutes */
	assert_int_equal(blocking_wait_ms(20 * 60 * s, 0), BLOCKING_WAIT_MAX_MS);
	assert_int_equal(blocking_wait_ms(2 * s, 61), 2061);
	assert_int_equal(blocking_wait_ms(2 * s, 125), 2000);
}

/* ------------------------------------------------------------ acl */

static void test_acl_token_order_and_rights(void **state)
{
	struct acl a = {0};
	struct acl_rights r;
	char err[128], buf[64];
	assert_int_equal(acl_add(&a, "root", err, sizeof(err)), 0);
	assert_int_equal(acl_add(&a, "web=web,api", err, sizeof(err)), 0);
	assert_int_equal(acl_add(&a, "=x", err, sizeof(err)), -1);

	assert_string_equal(acl_request_token("q", "h", "Bearer b", buf, sizeof(buf)), "q");
	assert_string_equal(acl_request_token("", "h", "Bearer b", buf, sizeof(buf)), "h");
	assert_string_equal(acl_request_token(NULL, NULL, "bearer  b ", buf, sizeof(buf)), "b");
	assert_null(acl_request_token(NULL, NULL, "Basic x", buf, sizeof(buf)));

	assert_int_equal(acl_resolve(&a, "nope", &r), -1);
	assert_int_equal(acl_resolve(&a, NULL, &r), 0); /* anonymous: read only */
	assert_true(acl_can_read(&r, "db"));
	assert_false(acl_can_write(&r, "db"));
	assert_int_equal(acl_resolve(&a, "web", &r), 0);
	assert_true(acl_can_write(&r, "api"));
	assert_false(acl_can_write(&r, "db"));
	assert_false(acl_can_read(&r, "db"));
	assert_false(acl_can_write_node(&r));
	assert_int_equal(acl_resolve(&a, "root", &r), 0);
	assert_true(acl_can_write(&r, "db"));
	assert_true(acl_can_write_node(&r));
	acl_free(&a);

	struct acl off = {0}; /* no tokens: ACLs are off, any token goes */
	assert_int_equal(acl_resolve(&off, "whatever", &r), 0);
	assert_true(acl_can_write(&r, "db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_svcdef_matches_keys_ignoring_case_and_snake_case_aliases),
	    cmocka_unit_test(test_svcdef_drops_an_empty_check_but_validates_every_entry_of_checks),
	    cmocka_unit_test(test_svcdef_refuses_a_key_no_consul_struct_has),
	    cmocka_unit_test(test_svcdef_accepts_every_field_and_alias_consul_declares),
	    cmocka_unit_test(test_svcdef_reports_the_first_error_and_a_failing_check_before_any),
	    cmocka_unit_test(test_svcdef_reads_durations_as_go_does),
	    cmocka_unit_test(test_svcdef_knows_udp_h2ping_and_alias_checks_with_consuls_texts),
	    cmocka_unit_test(test_svcdef_a_null_entry_of_checks_is_what_crashes_consul),
	    cmocka_unit_test(test_svcdef_decodes_before_and_validates_after_the_token),
	    cmocka_unit_test(test_svcdef_reports_errors_in_consuls_order_and_words),
	    cmocka_unit_test(test_checkdef_register_defaults_id_to_name),
	    cmocka_unit_test(test_checkdef_register_takes_id_and_its_own_aliases_not_check_id),
	    cmocka_unit_test(test_reregistration_keeps_check_state_and_other_checks),
	    cmocka_unit_test(test_name_index_moves_only_for_that_service),
	    cmocka_unit_test(test_script_checks_are_refused_like_a_default_agent),
	    cmocka_unit_test(test_passing_means_every_check_of_the_service_passes),
	    cmocka_unit_test(test_reaper_removes_a_service_whose_check_stays_critical_too_long),
	    cmocka_unit_test(
	        test_reaper_restarts_the_clock_and_raises_short_deadlines_to_the_minimum),
	    cmocka_unit_test(test_blocking_wait_defaults_caps_and_jitters_as_consul),
	    cmocka_unit_test(test_acl_token_order_and_rights),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
