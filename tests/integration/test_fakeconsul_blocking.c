/* fakeconsul's catalog as a client sees it (the real binary on
 * 127.0.0.1:0): X-Consul-Index headers and tag filters on the catalog and
 * health endpoints, blocking queries by index and by content hash, with
 * Consul's wait rules, and a service reaped once its check stays critical
 * past DeregisterCriticalServiceAfter. */
#include "fakeconsul_fixture.h"

#include <pthread.h>

/* ------------------------------------------------------------ catalog */

static void test_catalog_and_health_send_consul_index_headers_and_filter_tags(void **state)
{
	struct fc *f = *state;
	struct ts_http r;
	char v[64];
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"web\",\"ID\":\"w1\",\"Tags\":[\"a\",\"b\"]}", NULL, NULL),
	                 200);
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"web\",\"ID\":\"w2\",\"Tags\":[\"a\"]}", NULL, NULL),
	                 200);
	const char *paths[] = {"/v1/catalog/services",    "/v1/catalog/service/web",
	                       "/v1/health/service/web",  "/v1/health/checks/web",
	                       "/v1/catalog/datacenters", "/v1/catalog/service/unknown"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(req(f, "GET", paths[i], NULL, NULL, &r), 200);
		assert_non_null(ts_http_header(&r, "X-Consul-Index", v, sizeof(v)));
		assert_true(atoi(v) >= 1);
		assert_string_equal(ts_http_header(&r, "X-Consul-KnownLeader", v, sizeof(v)),
		                    "true");
		assert_string_equal(ts_http_header(&r, "X-Consul-LastContact", v, sizeof(v)), "0");
		ts_http_free(&r);
	}
	cJSON *both = get_json(f, "/v1/catalog/service/web?tag=a&tag=b");
	assert_int_equal(cJSON_GetArraySize(both), 1);
	assert_string_equal(str_at(cJSON_GetArrayItem(both, 0), "ServiceID", NULL), "w1");
	cJSON_Delete(both);
	cJSON *a = get_json(f, "/v1/health/service/web?tag=a");
	assert_int_equal(cJSON_GetArraySize(a), 2);
	cJSON_Delete(a);
	cJSON *none = get_json(f, "/v1/catalog/service/unknown");
	assert_int_equal(cJSON_GetArraySize(none), 0);
	cJSON_Delete(none);
	cJSON *svcs = get_json(f, "/v1/catalog/services");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(svcs, "web")), 2);
	cJSON_Delete(svcs);
	assert_text(f, "GET", "/v1/catalog/service/web?dc=dc9", NULL, 500, "No path to datacenter");
	assert_text(f, "GET", "/v1/health/service/web?index=x", NULL, 400, "Invalid index");
	assert_text(f, "GET", "/v1/health/service/web?index=1&wait=5", NULL, 400,
	            "Invalid wait time");
	assert_text(f, "GET", "/v1/status/leader", NULL, 200, "\"127.0.0.1:8300\"");
}

struct blocked {
	struct fc *f;
	char path[256];
	struct ts_http r;
};

static void *blocking_get(void *data)
{
	struct blocked *b = data;
	char url[512];
	snprintf(url, sizeof(url), "http://%s%s", b->f->proc.addr, b->path);
	ts_http(&b->r, "GET", url, NULL, NULL, 0);
	return NULL;
}

static int held_queries(struct fc *f)
{
	cJSON *st = get_json(f, "/_fake/state");
	int n = cJSON_GetObjectItem(st, "blocking_queries")->valueint;
	cJSON_Delete(st);
	return n;
}

/* The X-Consul-Index a read of `path` answers with now. */
static long current_index(struct fc *f, const char *path)
{
	struct ts_http r;
	char v[64];
	assert_int_equal(req(f, "GET", path, NULL, NULL, &r), 200);
	long index = atol(ts_http_header(&r, "X-Consul-Index", v, sizeof(v)));
	ts_http_free(&r);
	return index;
}

/* Starts a blocking GET of `path` on a thread and waits until fakeconsul
 * holds it. */
static void hold_query(struct fc *f, struct blocked *b, pthread_t *t, const char *path)
{
	b->f = f;
	snprintf(b->path, sizeof(b->path), "%s", path);
	memset(&b->r, 0, sizeof(b->r));
	int before = held_queries(f);
	pthread_create(t, NULL, blocking_get, b);
	int64_t end = ts_now_ms() + 20000;
	while (held_queries(f) != before + 1 && ts_now_ms() < end)
		ts_sleep_ms(20);
	assert_int_equal(held_queries(f), before + 1);
}

static void test_blocking_query_returns_when_the_service_registers(void **state)
{
	struct fc *f = *state;
	char v[64];
	long index = current_index(f, "/v1/health/service/web");

	struct blocked b;
	pthread_t t;
	char path[128];
	snprintf(path, sizeof(path), "/v1/health/service/web?index=%ld&wait=60s", index);
	hold_query(f, &b, &t, path); /* held by the server, not answered */

	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"web\",\"Port\":80}", NULL, NULL),
	                 200);
	pthread_join(t, NULL);
	assert_int_equal(b.r.status, 200);
	assert_true(atol(ts_http_header(&b.r, "X-Consul-Index", v, sizeof(v))) > index);
	cJSON *j = cJSON_Parse(b.r.body);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	assert_string_equal(str_at(cJSON_GetArrayItem(j, 0), "Service", "Service"), "web");
	cJSON_Delete(j);
	ts_http_free(&b.r);
	assert_int_equal(held_queries(f), 0);
}

static void test_blocking_query_answers_with_the_same_index_when_wait_runs_out(void **state)
{
	struct fc *f = *state;
	struct ts_http r;
	char v[64], path[128];
	long index = current_index(f, "/v1/catalog/services");
	snprintf(path, sizeof(path), "/v1/catalog/services?index=%ld&wait=300ms", index);
	assert_int_equal(req(f, "GET", path, NULL, NULL, &r), 200);
	assert_int_equal(atol(ts_http_header(&r, "X-Consul-Index", v, sizeof(v))), index);
	ts_http_free(&r);
}

static void test_a_wait_of_zero_or_less_blocks_for_consuls_default(void **state)
{
	struct fc *f = *state;
	char v[64], path[128];
	long index = current_index(f, "/v1/health/service/web");

	struct blocked zero, negative;
	pthread_t t1, t2;
	snprintf(path, sizeof(path), "/v1/health/service/web?index=%ld&wait=0s", index);
	hold_query(f, &zero, &t1, path);
	snprintf(path, sizeof(path), "/v1/health/service/web?index=%ld&wait=-1s", index);
	hold_query(f, &negative, &t2, path);
	assert_int_equal(
	    req(f, "PUT", "/v1/agent/service/register", "{\"Name\":\"web\"}", NULL, NULL), 200);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(zero.r.status, 200);
	assert_int_equal(negative.r.status, 200);
	assert_true(atol(ts_http_header(&zero.r, "X-Consul-Index", v, sizeof(v))) > index);
	ts_http_free(&zero.r);
	ts_http_free(&negative.r);
}

static void test_agent_service_blocks_on_its_content_hash(void **state)
{
	struct fc *f = *state;
	struct ts_http r;
	char hash[64], v[64], path[160];
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"web\",\"Tags\":[\"a\"],\"Check\":{\"TTL\":\"1h\"}}", NULL,
	                     NULL),
	                 200);
	assert_int_equal(req(f, "GET", "/v1/agent/service/web", NULL, NULL, &r), 200);
	assert_non_null(ts_http_header(&r, "X-Consul-ContentHash", hash, sizeof(hash)));
	cJSON *j = cJSON_Parse(r.body);
	assert_string_equal(str_at(j, "ContentHash", NULL), hash);
	cJSON_Delete(j);
	ts_http_free(&r);

	/* A different hash answers at once; the current one is held. */
	assert_int_equal(req(f, "GET", "/v1/agent/service/web?hash=other", NULL, NULL, NULL), 200);
	struct blocked b;
	pthread_t t;
	snprintf(path, sizeof(path), "/v1/agent/service/web?hash=%s&wait=60s", hash);
	hold_query(f, &b, &t, path);
	/* A check's result is no change to the service... */
	assert_int_equal(req(f, "PUT", "/v1/agent/check/pass/service:web", NULL, NULL, NULL), 200);
	assert_int_equal(held_queries(f), 1);
	assert_int_equal(req(f, "POST", "/_fake/reset", NULL, NULL, NULL), 200);
	pthread_join(t, NULL);
	/* ...its disappearance is: the held read answers 404. */
	assert_int_equal(b.r.status, 404);
	assert_string_equal(b.r.body, "unknown service ID: web");
	ts_http_free(&b.r);

	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"web\",\"Tags\":[\"a\"]}", NULL, NULL),
	                 200);
	assert_int_equal(req(f, "GET", "/v1/agent/service/web", NULL, NULL, &r), 200);
	ts_http_header(&r, "X-Consul-ContentHash", hash, sizeof(hash));
	ts_http_free(&r);
	snprintf(path, sizeof(path), "/v1/agent/service/web?hash=%s", hash);
	hold_query(f, &b, &t, path);
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"web\",\"Tags\":[\"b\"]}", NULL, NULL),
	                 200);
	pthread_join(t, NULL);
	assert_int_equal(b.r.status, 200);
	assert_string_not_equal(ts_http_header(&b.r, "X-Consul-ContentHash", v, sizeof(v)), hash);
	ts_http_free(&b.r);
	assert_text(f, "GET", "/v1/agent/service/web?hash=x&wait=5", NULL, 400,
	            "Invalid wait time");
}

static void test_a_service_whose_check_stays_critical_is_reaped(void **state)
{
	struct fc f;
	const char *const extra[] = {"--check-reap-interval", "50ms",
	                             "--check-deregister-interval-min", "0", NULL};
	assert_int_equal(start(&f, extra), 0);
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"web\",\"Check\":{\"TTL\":\"1h\",\"Status\":\"passing\","
	                     "\"DeregisterCriticalServiceAfter\":\"300ms\"}}",
	                     NULL, NULL),
	                 200);
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"db\",\"Check\":{\"TTL\":\"1h\"}}", NULL, NULL),
	                 200);
	assert_int_equal(req(&f, "PUT", "/v1/agent/check/fail/service:web", NULL, NULL, NULL), 200);
	assert_int_equal(req(&f, "PUT", "/v1/agent/check/fail/service:db", NULL, NULL, NULL), 200);
	bool gone = false;
	for (int64_t end = ts_now_ms() + 20000; !gone && ts_now_ms() < end; ts_sleep_ms(50)) {
		cJSON *svcs = get_json(&f, "/v1/agent/services");
		gone = !cJSON_GetObjectItem(svcs, "web");
		cJSON_Delete(svcs);
	}
	assert_true(gone);
	cJSON *svcs = get_json(&f, "/v1/agent/services");
	assert_non_null(cJSON_GetObjectItem(svcs, "db")); /* no deadline: kept */
	cJSON_Delete(svcs);
	cJSON *checks = get_json(&f, "/v1/agent/checks");
	assert_null(cJSON_GetObjectItem(checks, "service:web"));
	cJSON_Delete(checks);
	ts_stop(&f.proc, SIGTERM, 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_catalog_and_health_send_consul_index_headers_and_filter_tags),
	    T(test_blocking_query_returns_when_the_service_registers),
	    T(test_blocking_query_answers_with_the_same_index_when_wait_runs_out),
	    T(test_a_wait_of_zero_or_less_blocks_for_consuls_default),
	    T(test_agent_service_blocks_on_its_content_hash),
	    cmocka_unit_test(test_a_service_whose_check_stays_critical_is_reaped),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
