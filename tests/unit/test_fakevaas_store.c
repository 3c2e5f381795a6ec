/* fakevaas's pure parts: the seed loader and its errors, backend hydration
 * and validation (backend_form.c), resource URIs, decimals as VaaS prints
 * them, and tastypie's sorted keys. */
#include "testsupport.h"

#include "fakevaas/backend_form.h"
#include "fakevaas/seed.h"
#include "fakevaas/store.h"
#include "fakevaas/tastypie.h"

#include <stdlib.h>
#include <string.h>

extern const char fakevaas_dev_data[];
extern const size_t fakevaas_dev_data_len;

static int load_dev(void **state)
{
	struct vstore *s = calloc(1, sizeof(*s));
	char err[256];
	if (seed_load(s, fakevaas_dev_data, fakevaas_dev_data_len, "dev-data.json", err,
	              sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int free_dev(void **state)
{
	store_free(*state);
	free(*state);
	return 0;
}

static void test_dev_data_is_vaas_development_data(void **state)
{
	struct vstore *s = *state;
	const cJSON *dc1 = store_find_str(s->dcs, "symbol", "dc1");
	assert_non_null(dc1);
	assert_string_equal(cJSON_GetObjectItem(dc1, "name")->valuestring, "First datacenter");
	assert_int_equal(cJSON_GetObjectItem(dc1, "id")->valueint, 1);
	const cJSON *first = store_find_str(s->directors, "name", "first_service");
	assert_true(store_director_reloads(s, first));
	assert_non_null(store_find_str(s->directors, "name", "second_service"));
	const cJSON *admin = store_user(s, "admin", "vagrant_api_key");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(admin, "write")));
	assert_null(store_user(s, "admin", "vagrant"));
	assert_int_equal(s->next_backend_id, 7);
}

static void test_only_clusters_outside_the_mesh_reload_for_a_mesh_director(void **state)
{
	struct vstore s;
	char err[256];
	static const char seed[] =
	    "{\"clusters\":[{\"id\":1,\"name\":\"mesh\",\"service_mesh_routing\":true},"
	    "{\"id\":2,\"name\":\"plain\",\"service_mesh_routing\":false}],"
	    "\"probes\":[{\"id\":1}],\"time_profiles\":[{\"id\":1}],\"directors\":["
	    "{\"id\":1,\"name\":\"meshed\",\"probe\":1,\"time_profile\":1,"
	    "\"reachable_via_service_mesh\":true,\"cluster\":[1]},"
	    "{\"id\":2,\"name\":\"both\",\"probe\":1,\"time_profile\":1,"
	    "\"reachable_via_service_mesh\":true,\"cluster\":[1,2]},"
	    "{\"id\":3,\"name\":\"direct\",\"probe\":1,\"time_profile\":1,\"cluster\":[1]},"
	    "{\"id\":4,\"name\":\"none\",\"probe\":1,\"time_profile\":1}]}";
	assert_int_equal(seed_load(&s, seed, strlen(seed), "seed", err, sizeof(err)), 0);
	assert_false(store_director_reloads(&s, store_find(s.directors, 1)));
	assert_true(store_director_reloads(&s, store_find(s.directors, 2)));
	assert_true(store_director_reloads(&s, store_find(s.directors, 3)));
	assert_false(store_director_reloads(&s, store_find(s.directors, 4)));
	store_free(&s);
}

static int build(struct vstore *s, const char *json, cJSON **row, cJSON **error)
{
	cJSON *in = cJSON_Parse(json);
	assert_non_null(in);
	int rc = bform_build(s, in, NULL, 100, row, error);
	cJSON_Delete(in);
	return rc;
}

static void test_backend_form_accepts_the_go_hooks_body(void **state)
{
	struct vstore *s = *state;
	cJSON *row, *error;
	assert_int_equal(build(s,
	                       "{\"address\":\"10.1.2.3\",\"director\":\"/api/v0.1/director/2/\","
	                       "\"dc\":{\"id\":1,\"name\":\"First datacenter\",\"resource_uri\":"
	                       "\"/api/v0.1/dc/1/\",\"symbol\":\"dc1\"},\"port\":31000,"
	                       "\"inherit_time_profile\":true,\"weight\":50,\"tags\":\"a, b\"}",
	                       &row, &error),
	                 0);
	assert_int_equal(cJSON_GetObjectItem(row, "director")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(row, "dc")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(row, "id")->valueint, 100);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(row, "tags")), 2);
	cJSON *out = store_backend_json(s, row);
	assert_string_equal(cJSON_GetObjectItem(out, "resource_uri")->valuestring,
	                    "/api/v0.1/backend/100/");
	assert_string_equal(cJSON_GetObjectItem(out, "between_bytes_timeout")->valuestring, "1");
	cJSON_Delete(out);
	cJSON_Delete(row);
}

static void test_backend_form_collects_every_field_error(void **state)
{
	struct vstore *s = *state;
	cJSON *row, *error;
	assert_int_equal(
	    build(s,
	          "{\"address\":\"300.1.1.1\",\"port\":\"http\",\"max_connections\":0,"
	          "\"first_byte_timeout\":\"0.05\",\"between_bytes_timeout\":\"1.234\","
	          "\"director\":\"/api/v0.1/director/1/\",\"dc\":\"/api/v0.1/dc/1/\"}",
	          &row, &error),
	    400);
	cJSON *b = cJSON_GetObjectItem(error, "backend");
	struct {
		const char *field, *msg;
	} want[] = {
	    {"address", "Enter a valid IPv4 address."},
	    {"port", "Enter a whole number."},
	    {"max_connections", "Select a valid choice. 0 is not one of the available choices."},
	    {"first_byte_timeout", "Ensure this value is greater than or equal to 0.1."},
	    {"between_bytes_timeout", "Ensure that there are no more than 2 decimal places."},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cJSON *l = cJSON_GetObjectItem(b, want[i].field);
		assert_non_null(l);
		assert_string_equal(cJSON_GetArrayItem(l, 0)->valuestring, want[i].msg);
	}
	assert_null(cJSON_GetObjectItem(b, "__all__")); /* no uniqueness check on bad fields */
	cJSON_Delete(error);
}

static void test_backend_form_checks_relations_before_fields(void **state)
{
	struct vstore *s = *state;
	cJSON *row, *error;
	assert_int_equal(
	    build(s, "{\"address\":\"x\",\"director\":5,\"dc\":\"/api/v0.1/dc/1/\"}", &row, &error),
	    400);
	assert_string_equal(cJSON_GetObjectItem(error, "error")->valuestring,
	                    "The 'director' field was given data that was not a URI, not a "
	                    "dictionary-alike and does not have a 'pk' attribute: 5.");
	cJSON_Delete(error);
	assert_int_equal(build(s,
	                       "{\"address\":\"x\",\"director\":\"/api/v0.1/director/1/\",\"dc\":"
	                       "\"/api/v0.1/director/1/\"}",
	                       &row, &error),
	                 400);
	assert_string_equal(cJSON_GetObjectItem(error, "error")->valuestring,
	                    "Could not find the provided dc object via resource URI "
	                    "'/api/v0.1/director/1/'.");
	cJSON_Delete(error);
}

static void test_backend_form_takes_a_relation_from_a_resource_uri_only(void **state)
{
	struct vstore *s = *state;
	cJSON *row, *error;
	/* A PATCH too: the data replaces the dc the form would have had. */
	cJSON *in = cJSON_Parse("{\"dc\":{\"id\":1,\"symbol\":\"dc1\"}}");
	assert_int_equal(bform_build(s, in, store_find(s->backends, 4), 4, &row, &error), 400);
	assert_string_equal(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(error, "backend"), "dc"), 0)
	        ->valuestring,
	    "This field is required.");
	assert_null(cJSON_GetObjectItem(error, "dc")); /* dc1 was found: its form is fine */
	cJSON_Delete(error);
	cJSON_Delete(in);
	/* A director lookup on a key that matches nothing, then on its unique
	 * keys, which here are none (id cannot filter): every director, and
	 * tastypie does not catch MultipleObjectsReturned there. */
	assert_int_equal(build(s,
	                       "{\"address\":\"10.0.0.1\",\"dc\":\"/api/v0.1/dc/1/\","
	                       "\"director\":{\"service\":\"nope\",\"id\":1}}",
	                       &row, &error),
	                 500);
	assert_non_null(cJSON_GetObjectItem(error, "error_message"));
	cJSON_Delete(error);
}

static void test_patch_lays_changes_over_the_existing_row(void **state)
{
	struct vstore *s = *state;
	cJSON *row, *error, *in = cJSON_Parse("{\"weight\":7}");
	cJSON *existing = store_find(s->backends, 4);
	assert_int_equal(bform_build(s, in, existing, 4, &row, &error), 0);
	assert_int_equal(cJSON_GetObjectItem(row, "weight")->valueint, 7);
	assert_int_equal(cJSON_GetObjectItem(row, "director")->valueint, 2);
	assert_string_equal(cJSON_GetObjectItem(row, "address")->valuestring, "192.168.199.13");
	cJSON_Delete(row);
	cJSON_Delete(in);
	/* Moving backend 4 onto backend 5's address clashes. */
	in = cJSON_Parse("{\"address\":\"192.168.199.14\"}");
	assert_int_equal(bform_build(s, in, existing, 4, &row, &error), 400);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(error, "backend"), "__all__"));
	cJSON_Delete(error);
	cJSON_Delete(in);
}

static void test_seed_errors_name_the_file_and_field(void **state)
{
	struct {
		const char *json, *err;
	} cases[] = {
	    {"{", "seed.json: not valid JSON"},
	    {"{\"dcs\":{}}", "seed.json: dcs: must be an array"},
	    {"{\"dcs\":[{\"id\":1,\"name\":\"a\",\"symbol\":\"a\"},{\"id\":1,\"name\":\"b\","
	     "\"symbol\":\"b\"}]}",
	     "seed.json: dcs[1].id: duplicate id"},
	    {"{\"dcs\":[{\"id\":1,\"name\":\"a\"}]}", "seed.json: dcs[0].symbol: must be a string"},
	    {"{\"probes\":[{\"id\":1}],\"time_profiles\":[{\"id\":1}],\"directors\":[{\"id\":1,"
	     "\"name\":\"d\",\"probe\":1,\"time_profile\":1,\"cluster\":[9]}]}",
	     "seed.json: directors[0].cluster: no such cluster id"},
	    {"{\"backends\":[{\"address\":\"1.2.3.4\"}]}",
	     "seed.json: backends[0]: {\"error\":\"The 'dc' field has no data"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vstore s;
		char err[512] = "";
		assert_int_equal(seed_load(&s, cases[i].json, strlen(cases[i].json), "seed.json",
		                           err, sizeof(err)),
		                 -1);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("%s: got \"%s\"", cases[i].json, err);
	}
}

static void test_uris_decimals_and_sorted_keys(void **state)
{
	char buf[32];
	assert_int_equal(store_uri_id("/api/v0.1/director/12/", "director"), 12);
	assert_int_equal(store_uri_id("/api/v0.1/director/12", "director"), -1);
	assert_int_equal(store_uri_id("/api/v0.1/dc/12/", "director"), -1);
	assert_int_equal(store_uri_id("http://h/api/v0.1/director/12/", "director"), -1);
	store_decimal(0.30, buf, sizeof(buf));
	assert_string_equal(buf, "0.3");
	store_decimal(5.0, buf, sizeof(buf));
	assert_string_equal(buf, "5");
	store_decimal(80.25, buf, sizeof(buf));
	assert_string_equal(buf, "80.25");

	cJSON *j = cJSON_Parse("{\"b\":1,\"c\":{\"z\":1,\"a\":2},\"a\":[{\"y\":1,\"x\":2}]}");
	tp_sort_keys(j);
	char *s = cJSON_PrintUnformatted(j);
	assert_string_equal(s, "{\"a\":[{\"x\":2,\"y\":1}],\"b\":1,\"c\":{\"a\":2,\"z\":1}}");
	free(s);
	/* Still a well-formed object: members can be added and found. */
	cJSON_AddNumberToObject(j, "d", 4);
	assert_int_equal(cJSON_GetObjectItem(j, "d")->valueint, 4);
	assert_int_equal(cJSON_GetArraySize(j), 4);
	cJSON_Delete(j);
}

static void test_tasks_read_pending_until_their_polls_are_used(void **state)
{
	struct vstore *s = *state;
	char uuid[37];
	s->task_pending_polls = 1;
	store_task_new(s, uuid);
	cJSON *t = store_task_json(s, uuid);
	assert_string_equal(cJSON_GetObjectItem(t, "status")->valuestring, "PENDING");
	cJSON_Delete(t);
	t = store_task_json(s, uuid);
	assert_string_equal(cJSON_GetObjectItem(t, "status")->valuestring, "SUCCESS");
	cJSON_Delete(t);
	t = store_task_json(s, "not-a-task");
	assert_string_equal(cJSON_GetObjectItem(t, "status")->valuestring, "PENDING");
	assert_string_equal(cJSON_GetObjectItem(t, "info")->valuestring, "None");
	cJSON_Delete(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, load_dev, free_dev)
	    T(test_dev_data_is_vaas_development_data),
	    T(test_backend_form_accepts_the_go_hooks_body),
	    T(test_backend_form_collects_every_field_error),
	    T(test_backend_form_checks_relations_before_fields),
	    T(test_backend_form_takes_a_relation_from_a_resource_uri_only),
	    T(test_patch_lays_changes_over_the_existing_row),
	    cmocka_unit_test(test_seed_errors_name_the_file_and_field),
	    cmocka_unit_test(test_uris_decimals_and_sorted_keys),
	    cmocka_unit_test(test_only_clusters_outside_the_mesh_reload_for_a_mesh_director),
	    T(test_tasks_read_pending_until_their_polls_are_used),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
