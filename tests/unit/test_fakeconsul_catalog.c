/* fakeconsul's pure parts: decoding service definitions the way Consul's
 * agent does (svcdef.c), the catalog's check creation, replace semantics and
 * indexes (catalog.c), and ACL token rules (acl.c). */
#include "testsupport.h"

#include "fakeconsul/acl.h"
#include "fakeconsul/catalog.h"
#include "fakeconsul/svcdef.h"

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

static void test_svcdef_puts_check_first_and_drops_empty_checks(void **state)
{
	struct svcdef d;
	char err[512];
	assert_int_equal(parse("{\"Name\":\"a\",\"Checks\":[{\"TTL\":\"5s\"},{}],"
	                       "\"Check\":{\"TCP\":\"h:1\",\"Interval\":\"5s\"}}",
	                       &d, err),
	                 0);
	assert_int_equal(d.nchecks, 2);
	assert_string_equal(checkdef_type(&d.checks[0]), "tcp");
	assert_string_equal(checkdef_type(&d.checks[1]), "ttl");
	svcdef_free(&d);
	assert_int_equal(parse("{\"Name\":\"a\",\"Check\":{},\"Checks\":null}", &d, err), 0);
	assert_int_equal(d.nchecks, 0);
	svcdef_free(&d);
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
	c.hooks = (struct catalog_hooks){ev_changed, ev_added, ev_removed, &ev};

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
	    cmocka_unit_test(test_svcdef_puts_check_first_and_drops_empty_checks),
	    cmocka_unit_test(test_svcdef_reports_errors_in_consuls_order_and_words),
	    cmocka_unit_test(test_checkdef_register_defaults_id_to_name),
	    cmocka_unit_test(test_reregistration_keeps_check_state_and_other_checks),
	    cmocka_unit_test(test_name_index_moves_only_for_that_service),
	    cmocka_unit_test(test_script_checks_are_refused_like_a_default_agent),
	    cmocka_unit_test(test_passing_means_every_check_of_the_service_passes),
	    cmocka_unit_test(test_acl_token_order_and_rights),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
