/* fakevaas as a client sees it: the real binary on 127.0.0.1:0 with VaaS's
 * development data. The executor hook's request sequence, authentication,
 * tastypie envelopes and paging, backend validation, the async task path,
 * the trailing-slash rule, list filters, the /_fake/ controls and --data. */
#include "testsupport.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define AUTH_Q "api_key=vagrant_api_key&username=admin"
#define AUTH_H "Authorization: ApiKey admin:vagrant_api_key"
#define DC_OBJ                                                                                     \
	"{\"id\":1,\"name\":\"First datacenter\",\"resource_uri\":\"/api/v0.1/dc/1/\","            \
	"\"symbol\":\"dc1\"}"

struct fv {
	struct ts_proc proc;
};

static int start(struct fv *f, const char *data_file)
{
	char *argv[] = {(char *)ts_env("FAKEVAAS_BIN", "fakevaas"),
	                "--listen",
	                "127.0.0.1:0",
	                data_file ? "--data" : NULL,
	                (char *)data_file,
	                NULL};
	return ts_spawn(&f->proc, argv, NULL, true);
}

static int setup(void **state)
{
	struct fv *f = calloc(1, sizeof(*f));
	if (start(f, NULL) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fv *f = *state;
	int st = ts_stop(&f->proc, SIGTERM, 10000);
	free(f);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static long req(struct fv *f, const char *method, const char *path, const char *body,
                const char *const *headers, struct ts_http *out)
{
	return ts_request(f->proc.addr, method, path, body, headers, out);
}

/* A request that must answer `status` with a JSON body; returns it. */
static cJSON *req_json(struct fv *f, const char *method, const char *path, const char *body,
                       const char *const *headers, long status)
{
	struct ts_http r;
	assert_int_equal(req(f, method, path, body, headers, &r), status);
	cJSON *j = cJSON_Parse(r.body);
	if (!j)
		fail_msg("not JSON: %s", r.body);
	ts_http_free(&r);
	return j;
}

static cJSON *meta(cJSON *list)
{
	return cJSON_GetObjectItem(list, "meta");
}
static cJSON *objects(cJSON *list)
{
	return cJSON_GetObjectItem(list, "objects");
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k)->valueint;
}

static const char *const json_headers[] = {"Accept: application/json",
                                           "Content-Type: application/json", NULL};

/* ------------------------------------------------------------ hook sequence */

static void test_the_executor_hooks_sequence_registers_and_deletes_a_backend(void **state)
{
	struct fv *f = *state;
	const char *h[] = {AUTH_H, "Accept: application/json", "Content-Type: application/json",
	                   NULL};
	/* GET with the Go client's "null" body. */
	cJSON *dcs = req_json(f, "GET", "/api/v0.1/dc/?symbol=dc1", "null", h, 200);
	assert_int_equal(num(meta(dcs), "total_count"), 1);
	assert_string_equal(str(cJSON_GetArrayItem(objects(dcs), 0), "resource_uri"),
	                    "/api/v0.1/dc/1/");
	cJSON_Delete(dcs);
	cJSON *dirs = req_json(f, "GET", "/api/v0.1/director/?name=first_service", "null", h, 200);
	assert_int_equal(num(meta(dirs), "total_count"), 1);
	cJSON *dir = cJSON_GetArrayItem(objects(dirs), 0);
	assert_int_equal(num(dir, "id"), 1);
	assert_string_equal(str(dir, "name"), "first_service");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(dir, "cluster")), 1);
	cJSON_Delete(dirs);

	struct ts_http r;
	char loc[256];
	const char *body =
	    "{\"address\":\"10.1.2.3\",\"director\":\"/api/v0.1/director/1/\",\"dc\":" DC_OBJ
	    ",\"port\":31000,\"inherit_time_profile\":true,\"weight\":50,\"tags\":["
	    "\"canary\"]}";
	assert_int_equal(req(f, "POST", "/api/v0.1/backend/", body, h, &r), 201);
	cJSON *b = cJSON_Parse(r.body);
	int id = num(b, "id");
	char expect[64];
	snprintf(expect, sizeof(expect), "/api/v0.1/backend/%d/", id);
	assert_string_equal(ts_http_header(&r, "Location", loc, sizeof(loc)), expect);
	assert_string_equal(str(b, "resource_uri"), expect);
	assert_string_equal(str(b, "address"), "10.1.2.3");
	assert_int_equal(num(b, "port"), 31000);
	assert_int_equal(num(b, "weight"), 50);
	assert_string_equal(str(b, "director"), "/api/v0.1/director/1/");
	assert_string_equal(str(cJSON_GetObjectItem(b, "dc"), "symbol"), "dc1");
	assert_string_equal(str(b, "connect_timeout"), "0.3");
	assert_string_equal(str(b, "status"), "Unknown");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "tags"), 0)->valuestring,
	                    "canary");
	assert_int_equal(num(cJSON_GetObjectItem(b, "time_profile"), "max_connections"), 5);
	cJSON_Delete(b);
	ts_http_free(&r);

	char path[128];
	snprintf(path, sizeof(path), "/api/v0.1/backend/%d/?" AUTH_Q, id);
	cJSON *got = req_json(f, "GET", path, NULL, NULL, 200);
	assert_string_equal(str(got, "address"), "10.1.2.3");
	cJSON_Delete(got);
	assert_int_equal(req(f, "DELETE", path, "null", json_headers, &r), 204);
	assert_int_equal(r.body_len, 0);
	ts_http_free(&r);
	assert_int_equal(req(f, "DELETE", path, "null", json_headers, &r), 404);
	assert_int_equal(r.body_len, 0);
	ts_http_free(&r);
	assert_int_equal(req(f, "GET", path, NULL, NULL, NULL), 404);
}

/* ------------------------------------------------------------ auth */

static void test_bad_or_missing_credentials_get_401_with_an_empty_body(void **state)
{
	struct fv *f = *state;
	struct ts_http r;
	const char *bad_key[] = {"Authorization: ApiKey admin:wrong", NULL};
	const char *apikey_lower[] = {"Authorization: apikey admin:vagrant_api_key", NULL};
	const char *basic[] = {"Authorization: Basic YWRtaW46eA==", NULL};

	assert_int_equal(req(f, "GET", "/api/v0.1/dc/", NULL, NULL, &r), 401);
	assert_int_equal(r.body_len, 0);
	ts_http_free(&r);
	assert_int_equal(
	    req(f, "GET", "/api/v0.1/dc/?api_key=nope&username=admin", NULL, NULL, NULL), 401);
	assert_int_equal(req(f, "GET", "/api/v0.1/dc/", NULL, bad_key, NULL), 401);
	/* The header wins over good query parameters... */
	assert_int_equal(req(f, "GET", "/api/v0.1/dc/?" AUTH_Q, NULL, bad_key, NULL), 401);
	/* ...unless it is not an ApiKey header. */
	assert_int_equal(req(f, "GET", "/api/v0.1/dc/?" AUTH_Q, NULL, basic, NULL), 200);
	assert_int_equal(req(f, "GET", "/api/v0.1/dc/", NULL, apikey_lower, NULL), 200);
	assert_int_equal(req(f, "GET", "/api/v0.1/task/abc/", NULL, NULL, NULL), 401);
}

/* Starts fakevaas with `seed` as its --data; *dir is the temporary
 * directory to remove (ts_rmtree, free). */
static void start_seeded(struct fv *f, const char *seed, char **dir)
{
	char path[512];
	*dir = ts_mkdtemp("fakevaas-data");
	snprintf(path, sizeof(path), "%s/seed.json", *dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(seed, fp);
	fclose(fp);
	assert_int_equal(start(f, path), 0);
}

static void stop_seeded(struct fv *f, char *dir)
{
	ts_stop(&f->proc, SIGTERM, 10000);
	ts_rmtree(dir);
	free(dir);
}

#define SEED_COMMON                                                                                \
	"\"dcs\":[{\"id\":1,\"name\":\"One\",\"symbol\":\"dc1\"}],"                                \
	"\"probes\":[{\"id\":1,\"name\":\"p\"}],\"time_profiles\":[{\"id\":1,\"name\":\"t\","      \
	"\"max_connections\":5,\"connect_timeout\":\"0.30\",\"first_byte_timeout\":\"5\","         \
	"\"between_bytes_timeout\":\"1\"}],"

static void test_a_user_without_write_permission_is_refused_after_the_checks(void **state)
{
	struct fv f;
	char *dir;
	start_seeded(
	    &f,
	    "{\"users\":[{\"username\":\"ro\",\"api_key\":\"k\"}]," SEED_COMMON
	    "\"directors\":[{\"id\":3,\"name\":\"lonely\",\"probe\":1,\"time_profile\":1}],"
	    "\"backends\":[{\"id\":1,\"address\":\"10.0.0.9\",\"dc\":1,\"director\":3}]}",
	    &dir);
	cJSON *dirs =
	    req_json(&f, "GET", "/api/v0.1/director/?api_key=k&username=ro", NULL, NULL, 200);
	assert_string_equal(str(cJSON_GetArrayItem(objects(dirs), 0), "name"), "lonely");
	cJSON_Delete(dirs);
	/* DjangoAuthorization comes after hydration, validation and lookup. */
	const char *add = "/api/v0.1/backend/?api_key=k&username=ro";
	assert_int_equal(req(&f, "POST", add,
	                     "{\"address\":\"10.0.0.1\",\"director\":\"/api/v0.1/director/3/\","
	                     "\"dc\":\"/api/v0.1/dc/1/\"}",
	                     NULL, NULL),
	                 401);
	assert_int_equal(req(&f, "POST", add,
	                     "{\"address\":\"<nil>\",\"director\":\"/api/v0.1/director/3/\",\"dc\":"
	                     "\"/api/v0.1/dc/1/\"}",
	                     NULL, NULL),
	                 400);
	assert_int_equal(
	    req(&f, "DELETE", "/api/v0.1/backend/77/?api_key=k&username=ro", NULL, NULL, NULL),
	    404);
	assert_int_equal(
	    req(&f, "DELETE", "/api/v0.1/backend/1/?api_key=k&username=ro", NULL, NULL, NULL), 401);
	/* A list DELETE deletes what the user may delete: nothing. */
	assert_int_equal(req(&f, "DELETE", add, NULL, NULL, NULL), 204);
	cJSON *l = req_json(&f, "GET", add, NULL, NULL, 200);
	assert_int_equal(num(meta(l), "total_count"), 1);
	cJSON_Delete(l);
	stop_seeded(&f, dir);
}

static void test_a_bad_seed_file_is_refused_with_the_field_named(void **state)
{
	char *dir = ts_mkdtemp("fakevaas-data"), path[512];
	snprintf(path, sizeof(path), "%s/bad.json", dir);
	FILE *fp = fopen(path, "w");
	fputs("{\"probes\":[{\"id\":1}],\"time_profiles\":[{\"id\":1}],"
	      "\"directors\":[{\"id\":1,\"name\":\"d\",\"probe\":7,\"time_profile\":1}]}",
	      fp);
	fclose(fp);
	struct ts_proc p;
	char *argv[] = {(char *)ts_env("FAKEVAAS_BIN", "fakevaas"),
	                "--listen",
	                "127.0.0.1:0",
	                "--data",
	                path,
	                NULL};
	assert_int_equal(ts_spawn(&p, argv, NULL, false), 0);
	int st = ts_wait(&p, 10000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	char *log = ts_read_file(p.log, NULL);
	assert_non_null(strstr(log, "directors[0].probe"));
	assert_non_null(strstr(log, "bad.json"));
	free(log);
	ts_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------ lists */

static void test_lists_page_with_next_and_previous_links(void **state)
{
	struct fv *f = *state;
	/* dev data: backends 1-3 on first_service, 4-6 on second_service. */
	cJSON *p1 = req_json(f, "GET", "/api/v0.1/backend/?" AUTH_Q "&limit=2", NULL, NULL, 200);
	assert_int_equal(num(meta(p1), "total_count"), 6);
	assert_int_equal(num(meta(p1), "limit"), 2);
	assert_int_equal(cJSON_GetArraySize(objects(p1)), 2);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(meta(p1), "previous")));
	const char *next = str(meta(p1), "next");
	assert_string_equal(next, "/api/v0.1/backend/?" AUTH_Q "&limit=2&offset=2");
	cJSON *p2 = req_json(f, "GET", next, NULL, NULL, 200);
	assert_int_equal(num(meta(p2), "offset"), 2);
	assert_string_equal(str(meta(p2), "previous"),
	                    "/api/v0.1/backend/?" AUTH_Q "&limit=2&offset=0");
	assert_int_equal(num(cJSON_GetArrayItem(objects(p2), 0), "id"), 3);
	cJSON_Delete(p1);
	cJSON_Delete(p2);

	cJSON *all = req_json(f, "GET", "/api/v0.1/backend/?" AUTH_Q "&limit=0", NULL, NULL, 200);
	assert_int_equal(cJSON_GetArraySize(objects(all)), 6);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(meta(all), "next")));
	cJSON_Delete(all);
	cJSON *err = req_json(f, "GET", "/api/v0.1/backend/?" AUTH_Q "&limit=x", NULL, NULL, 400);
	assert_string_equal(str(err, "error"),
	                    "Invalid limit 'x' provided. Please provide a positive integer.");
	cJSON_Delete(err);
}

static void test_default_page_holds_twenty_objects(void **state)
{
	struct fv *f = *state;
	char body[256];
	const char *h[] = {AUTH_H, NULL};
	for (int i = 0; i < 20; i++) {
		snprintf(body, sizeof(body),
		         "{\"address\":\"10.9.0.%d\",\"director\":\"/api/v0.1/director/2/\",\"dc\":"
		         "\"/api/v0.1/dc/2/\"}",
		         i + 1);
		assert_int_equal(req(f, "POST", "/api/v0.1/backend/", body, h, NULL), 201);
	}
	cJSON *p = req_json(f, "GET", "/api/v0.1/backend/", NULL, h, 200);
	assert_int_equal(num(meta(p), "limit"), 20);
	assert_int_equal(num(meta(p), "total_count"), 26);
	assert_int_equal(cJSON_GetArraySize(objects(p)), 20);
	assert_non_null(str(meta(p), "next"));
	cJSON_Delete(p);
}

struct count_case {
	const char *query;
	int count;
};

/* Each query of the backend list holds that many backends. */
static void expect_counts(struct fv *f, const struct count_case *cases, size_t n)
{
	const char *h[] = {AUTH_H, NULL};
	char path[256];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/api/v0.1/backend/?%s", cases[i].query);
		cJSON *l = req_json(f, "GET", path, NULL, h, 200);
		if (num(meta(l), "total_count") != cases[i].count)
			fail_msg("%s: %d backends, expected %d", cases[i].query,
			         num(meta(l), "total_count"), cases[i].count);
		cJSON_Delete(l);
	}
}

static void test_backend_list_filters_by_director_dc_address_port_and_tag(void **state)
{
	struct fv *f = *state;
	const char *h[] = {AUTH_H, NULL};
	assert_int_equal(req(f, "POST", "/api/v0.1/backend/",
	                     "{\"address\":\"10.1.1.1\",\"port\":8080,\"director\":\"/api/v0.1/"
	                     "director/2/\",\"dc\":\"/api/v0.1/dc/2/\",\"tags\":[\"canary\"]}",
	                     h, NULL),
	                 201);
	const struct count_case cases[] = {
	    {"director__name=second_service", 4},
	    {"director__name=second_service&dc__symbol=dc2", 1},
	    {"dc__symbol=dc1", 6},
	    {"address=10.1.1.1&port=8080", 1},
	    {"address=10.1.1.1&port=80", 0},
	    {"tag=canary,other", 1},
	    {"tag=other", 0},
	    {"director=2", 4},
	    {"unknown_param=1", 7},
	};
	expect_counts(f, cases, sizeof(cases) / sizeof(cases[0]));
	cJSON *err = req_json(f, "GET", "/api/v0.1/backend/?weight=1", NULL, h, 400);
	assert_string_equal(str(err, "error"), "The 'weight' field does not allow filtering.");
	cJSON_Delete(err);
	cJSON *none = req_json(f, "GET", "/api/v0.1/dc/?symbol=dc9", NULL, h, 200);
	assert_int_equal(num(meta(none), "total_count"), 0);
	cJSON_Delete(none);
}

/* ------------------------------------------------------------ validation */

static void expect_error(struct fv *f, const char *body, const char *field, const char *msg)
{
	const char *h[] = {AUTH_H, NULL};
	cJSON *e = req_json(f, "POST", "/api/v0.1/backend/", body, h, 400);
	const cJSON *where = field ? cJSON_GetObjectItem(cJSON_GetObjectItem(e, "backend"), field)
	                           : cJSON_GetObjectItem(e, "error");
	const char *got = cJSON_IsArray(where)    ? cJSON_GetArrayItem(where, 0)->valuestring
	                  : cJSON_IsString(where) ? where->valuestring
	                                          : NULL;
	if (!got || strcmp(got, msg) != 0) {
		char *s = cJSON_PrintUnformatted(e);
		fail_msg("for %s expected \"%s\", got %s", body, msg, s);
	}
	cJSON_Delete(e);
}

#define OK_REFS "\"director\":\"/api/v0.1/director/1/\",\"dc\":\"/api/v0.1/dc/1/\""

static void test_backend_create_rejects_what_vaas_rejects(void **state)
{
	struct fv *f = *state;
	expect_error(f, "{\"address\":\"<nil>\"," OK_REFS "}", "address",
	             "Enter a valid IPv4 address.");
	expect_error(f, "{\"address\":\"::1\"," OK_REFS "}", "address",
	             "Enter a valid IPv4 address.");
	expect_error(f, "{" OK_REFS "}", "address", "This field is required.");
	expect_error(f, "{\"address\":\"10.0.0.1\",\"port\":70000," OK_REFS "}", "port",
	             "Ensure this value is less than or equal to 65535.");
	expect_error(f, "{\"address\":\"10.0.0.1\",\"port\":0," OK_REFS "}", "port",
	             "Ensure this value is greater than or equal to 1.");
	expect_error(f, "{\"address\":\"10.0.0.1\",\"weight\":101," OK_REFS "}", "weight",
	             "Select a valid choice. 101 is not one of the available choices.");
	expect_error(f, "{\"address\":\"10.0.0.1\",\"connect_timeout\":2," OK_REFS "}",
	             "connect_timeout", "Ensure this value is less than or equal to 1.0.");
	expect_error(f, "{\"address\":\"10.0.0.1\",\"dc\":\"/api/v0.1/dc/1/\"}", NULL,
	             "The 'director' field has no data and doesn't allow a default or null value.");
	expect_error(f, "{\"address\":\"10.0.0.1\",\"director\":\"/api/v0.1/director/1/\"}", NULL,
	             "The 'dc' field has no data and doesn't allow a default or null value.");
	expect_error(f,
	             "{\"address\":\"10.0.0.1\",\"director\":\"/api/v0.1/director/99/\",\"dc\":"
	             "\"/api/v0.1/dc/1/\"}",
	             NULL,
	             "Could not find the provided director object via resource URI "
	             "'/api/v0.1/director/99/'.");
	/* Seeded backend 1 is 192.168.199.10:80 on director 1. */
	expect_error(f, "{\"address\":\"192.168.199.10\",\"port\":80," OK_REFS "}", "__all__",
	             "Backend with this Address, Port and Director already exists.");
	/* The same triple on another director is fine; defaults are VaaS's. */
	const char *h[] = {AUTH_H, NULL};
	cJSON *b = req_json(f, "POST", "/api/v0.1/backend/",
	                    "{\"address\":\"192.168.199.10\",\"director\":\"/api/v0.1/director/2/"
	                    "\",\"dc\":{\"resource_uri\":\"/api/v0.1/dc/1/\"}}",
	                    h, 201);
	assert_int_equal(num(b, "port"), 80);
	assert_int_equal(num(b, "weight"), 1);
	assert_int_equal(num(b, "max_connections"), 5);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(b, "enabled")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(b, "inherit_time_profile")));
	assert_string_equal(str(b, "first_byte_timeout"), "5");
	cJSON_Delete(b);
}

static void test_patch_changes_a_backend_and_answers_202(void **state)
{
	struct fv *f = *state;
	const char *h[] = {AUTH_H, NULL};
	cJSON *b = req_json(f, "PATCH", "/api/v0.1/backend/1/", "{\"weight\":0,\"enabled\":false}",
	                    h, 202);
	assert_int_equal(num(b, "weight"), 0);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(b, "enabled")));
	assert_string_equal(str(b, "address"), "192.168.199.10");
	cJSON_Delete(b);
	cJSON *e = req_json(f, "PATCH", "/api/v0.1/backend/1/", "{\"port\":-1}", h, 400);
	cJSON_Delete(e);
	assert_int_equal(req(f, "PATCH", "/api/v0.1/backend/999/", "{\"weight\":0}", h, NULL), 404);
}

/* ------------------------------------------------------------ async */

static void test_respond_async_gives_202_and_a_task_that_can_be_polled(void **state)
{
	struct fv *f = *state;
	struct ts_http r;
	char loc[256];
	const char *h[] = {AUTH_H, "Prefer: respond-async", NULL};
	const char *plain[] = {AUTH_H, NULL};

	/* Tasks read PENDING twice, then FAILURE. */
	assert_int_equal(req(f, "POST", "/_fake/tasks",
	                     "{\"status\":\"FAILURE\",\"info\":\"VclLoadException: boom\","
	                     "\"pending_polls\":2}",
	                     NULL, NULL),
	                 200);
	assert_int_equal(req(f, "POST", "/api/v0.1/backend/",
	                     "{\"address\":\"10.1.2.3\",\"port\":31000," OK_REFS "}", h, &r),
	                 202);
	assert_non_null(ts_http_header(&r, "Location", loc, sizeof(loc)));
	assert_true(strncmp(loc, "/api/v0.1/task/", 15) == 0);
	cJSON *b = cJSON_Parse(r.body); /* the body is unchanged */
	int id = num(b, "id");
	cJSON_Delete(b);
	ts_http_free(&r);

	const char *expect[] = {"PENDING", "PENDING", "FAILURE"};
	for (int i = 0; i < 3; i++) {
		cJSON *t = req_json(f, "GET", loc, NULL, plain, 200);
		assert_string_equal(str(t, "status"), expect[i]);
		assert_string_equal(str(t, "resource_uri"), loc);
		if (i == 2)
			assert_string_equal(str(t, "info"), "VclLoadException: boom");
		cJSON_Delete(t);
	}
	cJSON *unknown = req_json(f, "GET", "/api/v0.1/task/0b5c3f2e-0000-4000-8000-000000000000/",
	                          NULL, plain, 200);
	assert_string_equal(str(unknown, "status"), "PENDING");
	cJSON_Delete(unknown);

	char path[64];
	snprintf(path, sizeof(path), "/api/v0.1/backend/%d/", id);
	assert_int_equal(req(f, "DELETE", path, NULL, h, &r), 202);
	assert_non_null(ts_http_header(&r, "Location", loc, sizeof(loc)));
	assert_int_equal(r.body_len, 0);
	ts_http_free(&r);
	assert_int_equal(req(f, "GET", path, NULL, plain, NULL), 404);
}

static void test_a_synchronous_reload_failure_answers_500_text(void **state)
{
	struct fv *f = *state;
	struct ts_http r;
	const char *h[] = {AUTH_H, NULL};
	assert_int_equal(req(f, "POST", "/_fake/reload-failure",
	                     "{\"count\":1,\"message\":\"VclLoadException: compile error\"}", NULL,
	                     NULL),
	                 200);
	assert_int_equal(
	    req(f, "POST", "/api/v0.1/backend/", "{\"address\":\"10.7.7.7\"," OK_REFS "}", h, &r),
	    500);
	assert_string_equal(r.body, "VclLoadException: compile error");
	ts_http_free(&r);
	assert_int_equal(req(f, "DELETE", "/api/v0.1/backend/1/", NULL, h, NULL), 204);
}

/* ------------------------------------------------------------ HTTP rules */

static void test_paths_without_trailing_slash_redirect_and_wrong_methods_get_405(void **state)
{
	struct fv *f = *state;
	struct ts_http r;
	char v[256];
	assert_int_equal(req(f, "GET", "/api/v0.1/dc?" AUTH_Q, NULL, NULL, &r), 301);
	assert_string_equal(ts_http_header(&r, "Location", v, sizeof(v)), "/api/v0.1/dc/?" AUTH_Q);
	ts_http_free(&r);
	assert_int_equal(req(f, "GET", "/api/v0.1/backend/1", NULL, NULL, &r), 301);
	assert_string_equal(ts_http_header(&r, "Location", v, sizeof(v)), "/api/v0.1/backend/1/");
	ts_http_free(&r);
	assert_int_equal(req(f, "DELETE", "/api/v0.1/task/?" AUTH_Q, NULL, NULL, &r), 405);
	assert_string_equal(ts_http_header(&r, "Allow", v, sizeof(v)), "GET");
	ts_http_free(&r);
	assert_int_equal(req(f, "GET", "/api/v0.1/nothing/?" AUTH_Q, NULL, NULL, NULL), 404);
	assert_int_equal(req(f, "GET", "/api/v0.1/dc/77/?" AUTH_Q, NULL, NULL, NULL), 404);
}

static void test_resources_take_tastypies_default_methods(void **state)
{
	struct fv *f = *state;
	struct ts_http r;
	char v[256];
	const char *h[] = {AUTH_H, NULL};
	/* OPTIONS lists them, before authentication */
	const char *paths[] = {"/api/v0.1/dc/", "/api/v0.1/director/1/", "/api/v0.1/backend/",
	                       "/api/v0.1/backend/1/", "/api/v0.1/task/x/"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(req(f, "OPTIONS", paths[i], NULL, NULL, &r), 200);
		assert_string_equal(ts_http_header(&r, "Allow", v, sizeof(v)),
		                    "GET,POST,PUT,DELETE,PATCH");
		assert_string_equal(r.body, "GET,POST,PUT,DELETE,PATCH");
		ts_http_free(&r);
	}
	assert_int_equal(req(f, "OPTIONS", "/api/v0.1/task/", NULL, NULL, &r), 200);
	assert_string_equal(ts_http_header(&r, "Allow", v, sizeof(v)), "GET");
	ts_http_free(&r);
	/* allowed methods are authenticated first... */
	assert_int_equal(req(f, "DELETE", "/api/v0.1/dc/1/", NULL, NULL, NULL), 401);
	assert_int_equal(req(f, "PUT", "/api/v0.1/director/1/", "{}", NULL, NULL), 401);
	/* ...then answered as tastypie's Resource does */
	assert_int_equal(req(f, "POST", "/api/v0.1/backend/1/", "{}", h, &r), 501);
	assert_int_equal(r.body_len, 0); /* post_detail: HttpNotImplemented */
	ts_http_free(&r);
	cJSON *e = req_json(f, "GET", "/api/v0.1/task/", NULL, h, 500);
	assert_string_equal(str(e, "error_message"),
	                    "Sorry, this request could not be processed. Please try again later.");
	cJSON_Delete(e);
	e = req_json(f, "DELETE", "/api/v0.1/task/x/", NULL, h, 500);
	cJSON_Delete(e);
	/* writes fakevaas does not model say so */
	e = req_json(f, "DELETE", "/api/v0.1/dc/1/", NULL, h, 501);
	assert_string_equal(str(e, "error"), "fakevaas does not model DELETE on a dc detail");
	cJSON_Delete(e);
	/* X-HTTP-Method-Override is honoured */
	const char *override[] = {AUTH_H, "X-HTTP-Method-Override: DELETE", NULL};
	assert_int_equal(req(f, "POST", "/api/v0.1/backend/1/", NULL, override, NULL), 204);
	assert_int_equal(req(f, "GET", "/api/v0.1/backend/1/", NULL, h, NULL), 404);
}

static void test_delete_of_the_backend_list_deletes_what_the_filters_keep(void **state)
{
	struct fv *f = *state;
	const char *h[] = {AUTH_H, NULL};
	assert_int_equal(
	    req(f, "DELETE", "/api/v0.1/backend/?director__name=first_service", NULL, h, NULL),
	    204);
	cJSON *l = req_json(f, "GET", "/api/v0.1/backend/", NULL, h, 200);
	assert_int_equal(num(meta(l), "total_count"), 3);
	cJSON_Delete(l);
	cJSON *e = req_json(f, "DELETE", "/api/v0.1/backend/?port=x", NULL, h, 400);
	cJSON_Delete(e);
}

static void test_a_relation_given_as_data_without_a_resource_uri_is_refused(void **state)
{
	struct fv *f = *state;
	const char *h[] = {AUTH_H, NULL};
	/* The form reads dc only from a resource_uri: {"id": 1} is no dc. Two
	 * dcs and no filterable key: tastypie finds none, and the dc form
	 * complains too. */
	cJSON *e = req_json(f, "POST", "/api/v0.1/backend/",
	                    "{\"address\":\"10.0.0.1\",\"director\":\"/api/v0.1/director/1/\","
	                    "\"dc\":{\"id\":1}}",
	                    h, 400);
	char *got = cJSON_PrintUnformatted(e);
	assert_string_equal(got,
	                    "{\"backend\":{\"dc\":[\"This field is required.\"]},\"dc\":{\"name\":"
	                    "[\"This field is required.\"],\"symbol\":[\"This field is "
	                    "required.\"]}}");
	free(got);
	cJSON_Delete(e);
	/* A symbol finds the dc; the form still sees none. */
	expect_error(
	    f,
	    "{\"address\":\"10.0.0.1\",\"director\":\"/api/v0.1/director/1/\",\"dc\":{\"id\":1,"
	    "\"symbol\":\"dc1\"}}",
	    "dc", "This field is required.");
	expect_error(f,
	             "{\"address\":\"10.0.0.1\",\"dc\":\"/api/v0.1/dc/1/\",\"director\":{\"name\":"
	             "\"first_service\"}}",
	             "director", "This field is required.");
	/* A director it cannot find is hydrated anew and stops at its probe. */
	expect_error(
	    f, "{\"address\":\"10.0.0.1\",\"dc\":\"/api/v0.1/dc/1/\",\"director\":{\"id\":1}}",
	    NULL, "The 'probe' field has no data and doesn't allow a default or null value.");
	/* With a resource_uri, as the executor's hook sends it, it is fine. */
	cJSON *b = req_json(f, "POST", "/api/v0.1/backend/",
	                    "{\"address\":\"10.0.0.1\",\"director\":\"/api/v0.1/director/1/\","
	                    "\"dc\":" DC_OBJ "}",
	                    h, 201);
	cJSON_Delete(b);
}

static void test_filters_tastypie_does_not_know_are_ignored_and_values_must_parse(void **state)
{
	struct fv *f = *state;
	const char *h[] = {AUTH_H, NULL};
	assert_int_equal(req(f, "POST", "/api/v0.1/backend/",
	                     "{\"address\":\"10.1.1.1\",\"director\":\"/api/v0.1/director/2/\","
	                     "\"dc\":\"/api/v0.1/dc/2/\",\"tags\":[\"a\",\"b\"]}",
	                     h, NULL),
	                 201);
	const struct count_case cases[] = {
	    /* status and time_profile are added when rendering: no fields */
	    {"status=Healthy", 7},
	    {"time_profile=9", 7},
	    {"port=%2080%20", 7}, /* Python's int() */
	    {"port=8_0", 7},
	    {"dc__in=1,2", 7},
	    {"director__cluster__name__icontains=SITEB", 4},
	    /* only the last tag= counts, and a backend comes once per tag */
	    {"tag=a&tag=zzz", 0},
	    {"tag=a,b", 2},
	};
	expect_counts(f, cases, sizeof(cases) / sizeof(cases[0]));
	char path[256];
	struct {
		const char *query, *error;
	} errors[] = {
	    {"port=abc", "Invalid resource lookup data provided (mismatched type)."},
	    {"dc=/api/v0.1/dc/1/", "Invalid resource lookup data provided (mismatched type)."},
	    {"dc__name=x", "The 'name' field does not allow filtering."},
	    {"address__x=1", "The 'address' field does not support relations."},
	    {"port__gt=1", "'gt' is not an allowed filter on the 'port' field."},
	    {"tags=a", "The 'tags' field is not a valid field name"},
	    /* every filter is checked before any value is */
	    {"port=abc&weight=1", "The 'weight' field does not allow filtering."},
	};
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		snprintf(path, sizeof(path), "/api/v0.1/backend/?%s", errors[i].query);
		cJSON *e = req_json(f, "GET", path, NULL, h, 400);
		if (!str(e, "error") || strcmp(str(e, "error"), errors[i].error) != 0)
			fail_msg("%s: got %s", errors[i].query, str(e, "error"));
		cJSON_Delete(e);
	}
}

static void test_only_clusters_outside_the_mesh_make_a_reload(void **state)
{
	struct fv f;
	char *dir;
	struct ts_http r;
	start_seeded(
	    &f,
	    "{\"users\":[{\"username\":\"u\",\"api_key\":\"k\",\"write\":true}]," SEED_COMMON
	    "\"clusters\":[{\"id\":1,\"name\":\"mesh\",\"service_mesh_routing\":true},"
	    "{\"id\":2,\"name\":\"plain\",\"service_mesh_routing\":false}],"
	    "\"directors\":[{\"id\":1,\"name\":\"meshed\",\"probe\":1,\"time_profile\":1,"
	    "\"reachable_via_service_mesh\":true,\"cluster\":[1]},"
	    "{\"id\":2,\"name\":\"mixed\",\"probe\":1,\"time_profile\":1,"
	    "\"reachable_via_service_mesh\":true,\"cluster\":[1,2]}]}",
	    &dir);
	const char *h[] = {"Authorization: ApiKey u:k", "Prefer: respond-async", NULL};
	/* Only mesh-routed clusters: no reload, so no task and the usual 201. */
	assert_int_equal(req(&f, "POST", "/api/v0.1/backend/",
	                     "{\"address\":\"10.0.0.1\",\"director\":\"/api/v0.1/director/1/\","
	                     "\"dc\":\"/api/v0.1/dc/1/\"}",
	                     h, &r),
	                 201);
	ts_http_free(&r);
	assert_int_equal(req(&f, "POST", "/api/v0.1/backend/",
	                     "{\"address\":\"10.0.0.1\",\"director\":\"/api/v0.1/director/2/\","
	                     "\"dc\":\"/api/v0.1/dc/1/\"}",
	                     h, &r),
	                 202);
	ts_http_free(&r);
	stop_seeded(&f, dir);
}

/* The scaffold's 405 text names the client's method: a long one is cut to
 * the text's buffer, never sent with bytes read past it. */
static void test_a_long_unknown_method_gets_a_405_cut_to_its_buffer(void **state)
{
	struct fv *f = *state;
	char method[201];
	memset(method, 'X', sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	struct ts_http r;
	assert_int_equal(req(f, method, "/_fake/state", NULL, NULL, &r), 405);
	assert_int_equal(r.body_len, strlen(r.body));
	assert_true(r.body_len < 64);
	assert_memory_equal(r.body, "method XXXX", 11);
	ts_http_free(&r);
}

static void test_fault_injection_and_state_dump(void **state)
{
	struct fv *f = *state;
	struct ts_http r;
	const char *h[] = {AUTH_H, NULL};
	assert_int_equal(req(f, "POST", "/_fake/fail",
	                     "{\"status\":500,\"count\":1,\"method\":\"POST\",\"path\":\"/api/v0.1/"
	                     "backend/\",\"body\":\"{\\\"error_message\\\":\\\"Sorry\\\"}\","
	                     "\"content_type\":\"application/json\"}",
	                     NULL, NULL),
	                 200);
	const char *body = "{\"address\":\"10.5.5.5\"," OK_REFS "}";
	assert_int_equal(req(f, "POST", "/api/v0.1/backend/", body, h, &r), 500);
	assert_string_equal(r.content_type, "application/json");
	ts_http_free(&r);
	assert_int_equal(req(f, "POST", "/api/v0.1/backend/", body, h, NULL), 201);

	cJSON *st = req_json(f, "GET", "/_fake/state", NULL, NULL, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(st, "backends")), 7);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(st, "directors")), 2);
	char *dump = cJSON_PrintUnformatted(st);
	assert_null(strstr(dump, "vagrant_api_key")); /* keys are not dumped */
	free(dump);
	cJSON_Delete(st);

	/* The request log has both POSTs, with their headers. */
	cJSON *log = req_json(f, "GET", "/_fake/requests", NULL, NULL, 200);
	assert_int_equal(cJSON_GetArraySize(log), 2);
	cJSON *e = cJSON_GetArrayItem(log, 0);
	assert_string_equal(str(e, "path"), "/api/v0.1/backend/");
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "headers"), "Authorization"));
	cJSON_Delete(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_the_executor_hooks_sequence_registers_and_deletes_a_backend),
	    T(test_bad_or_missing_credentials_get_401_with_an_empty_body),
	    cmocka_unit_test(test_a_user_without_write_permission_is_refused_after_the_checks),
	    cmocka_unit_test(test_a_bad_seed_file_is_refused_with_the_field_named),
	    T(test_lists_page_with_next_and_previous_links),
	    T(test_default_page_holds_twenty_objects),
	    T(test_backend_list_filters_by_director_dc_address_port_and_tag),
	    T(test_backend_create_rejects_what_vaas_rejects),
	    T(test_patch_changes_a_backend_and_answers_202),
	    T(test_respond_async_gives_202_and_a_task_that_can_be_polled),
	    T(test_a_synchronous_reload_failure_answers_500_text),
	    T(test_paths_without_trailing_slash_redirect_and_wrong_methods_get_405),
	    T(test_resources_take_tastypies_default_methods),
	    T(test_delete_of_the_backend_list_deletes_what_the_filters_keep),
	    T(test_a_relation_given_as_data_without_a_resource_uri_is_refused),
	    T(test_filters_tastypie_does_not_know_are_ignored_and_values_must_parse),
	    cmocka_unit_test(test_only_clusters_outside_the_mesh_make_a_reload),
	    T(test_a_long_unknown_method_gets_a_405_cut_to_its_buffer),
	    T(test_fault_injection_and_state_dump),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
