/* fakeconsul as a client sees it: the real binary on 127.0.0.1:0, spoken to
 * over HTTP. Registration with Consul's validation, deregistration, 405s,
 * ACLs, checks that fakeconsul really runs against listeners this test
 * opens, the /_fake/ controls and clean shutdown. The catalog, blocking
 * queries and reaping are test_fakeconsul_blocking.c's. */
#include "fakeconsul_fixture.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ registration */

static void test_register_accepts_any_key_case_and_defaults_id_to_name(void **state)
{
	struct fc *f = *state;
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"name\":\"web\",\"PORT\":8080,\"tags\":[\"a\"],\"Address\":"
	                     "\"10.0.0.5\",\"enable_tag_override\":true,\"Check\":null,"
	                     "\"Checks\":[]}",
	                     NULL, NULL),
	                 200);
	cJSON *svcs = get_json(f, "/v1/agent/services");
	cJSON *web = cJSON_GetObjectItemCaseSensitive(svcs, "web");
	assert_non_null(web);
	assert_string_equal(str_at(web, "ID", NULL), "web");
	assert_string_equal(str_at(web, "Service", NULL), "web");
	assert_string_equal(str_at(web, "Address", NULL), "10.0.0.5");
	assert_int_equal(cJSON_GetObjectItem(web, "Port")->valueint, 8080);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(web, "EnableTagOverride")));
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(web, "Meta")));
	assert_int_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(web, "Weights"), "Passing")->valueint, 1);
	cJSON_Delete(svcs);
	cJSON *checks = get_json(f, "/v1/agent/checks");
	assert_int_equal(cJSON_GetArraySize(checks), 0); /* null Check, empty Checks */
	cJSON_Delete(checks);
}

static void test_register_rejects_bad_definitions_with_consuls_texts(void **state)
{
	struct fc *f = *state;
	const char *reg = "/v1/agent/service/register";
	assert_text(f, "PUT", reg, "{\"ID\":\"x\"}", 400, "Missing service name");
	assert_text(f, "PUT", reg, "{\"Name\":\"x\",\"Address\":\"0.0.0.0\"}", 400,
	            "Invalid service address");
	assert_text(f, "PUT", reg, "{\"Name\":\"x\",\"Check\":{\"HTTP\":\"http://a/\"}}", 400,
	            "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or "
	            "OSService checks");
	assert_text(f, "PUT", reg, "{\"Name\":\"x\",\"Checks\":[{\"Notes\":\"n\"}]}", 400,
	            "Invalid check: TTL must be > 0 for TTL checks");
	assert_text(f, "PUT", reg,
	            "{\"Name\":\"x\",\"Check\":{\"TTL\":\"5s\",\"Interval\":\"5s\"}}", 400,
	            "Invalid check: Interval and TTL cannot both be specified");
	assert_text(f, "PUT", reg, "{\"Name\":\"x\",\"Check\":{\"TTL\":\"5s\",\"Status\":\"ok\"}}",
	            400, "Status for checks must 'passing', 'warning', 'critical'");
	assert_text(f, "PUT", reg, "{\"Name\":\"x\",\"Meta\":{\"consul-a\":\"b\"}}", 400,
	            "Invalid Service Meta: Couldn't load metadata pair ('consul-a', 'b'): Key "
	            "prefix 'consul-' is reserved for internal use");
	assert_text(f, "PUT", reg, "{\"Name\":\"x\",\"Check\":{\"TTL\":\"soon\"}}", 400,
	            "Request decode failed: time: invalid duration \"soon\"");
	assert_text(f, "PUT", reg, "", 400, "Request decode failed: EOF");
	/* Consul does not check addresses otherwise: the Go hook's "<nil>" passes. */
	assert_int_equal(req(f, "PUT", reg, "{\"Name\":\"x\",\"Address\":\"<nil>\"}", NULL, NULL),
	                 200);
}

static void test_register_refuses_what_consuls_strict_decoding_refuses(void **state)
{
	struct fc *f = *state;
	const char *reg = "/v1/agent/service/register";
	assert_text(f, "PUT", reg, "{\"Name\":\"web\",\"Bogus\":1}", 400,
	            "Request decode failed: json: unknown field \"Bogus\"");
	assert_text(f, "PUT", reg,
	            "{\"Name\":\"web\",\"Check\":{\"TTL\":\"5s\",\"DeregisterAfter\":\"1m\"}}", 400,
	            "Request decode failed: json: unknown field \"DeregisterAfter\"");
	/* Every entry of Checks is validated; only an empty Check is dropped. */
	assert_text(f, "PUT", reg, "{\"Name\":\"web\",\"Checks\":[{}]}", 400,
	            "Invalid check: TTL must be > 0 for TTL checks");
	assert_int_equal(req(f, "PUT", reg, "{\"Name\":\"web\",\"Check\":{}}", NULL, NULL), 200);
	assert_text(f, "PUT", "/v1/agent/check/register",
	            "{\"CheckID\":\"c\",\"Name\":\"mem\",\"TTL\":\"10s\"}", 400,
	            "Request decode failed: json: unknown field \"CheckID\"");
	cJSON *svcs = get_json(f, "/v1/agent/services");
	assert_int_equal(cJSON_GetArraySize(svcs), 1); /* only the one accepted */
	cJSON_Delete(svcs);
}

static void test_register_types_udp_h2ping_and_alias_checks(void **state)
{
	struct fc *f = *state;
	assert_int_equal(
	    req(f, "PUT", "/v1/agent/service/register",
	        "{\"Name\":\"dns\",\"Checks\":[{\"UDP\":\"127.0.0.1:53\",\"Interval\":\"1h\"},"
	        "{\"H2PING\":\"127.0.0.1:443\",\"Interval\":\"1h\"},{\"AliasService\":\"web\"}]}",
	        NULL, NULL),
	    200);
	cJSON *checks = get_json(f, "/v1/agent/checks");
	assert_string_equal(str_at(checks, "service:dns:1", "Type"), "udp");
	assert_string_equal(str_at(checks, "service:dns:2", "Type"), "h2ping");
	assert_string_equal(str_at(checks, "service:dns:3", "Type"), "alias");
	cJSON_Delete(checks);
}

static void test_a_null_entry_of_checks_closes_the_connection_as_consul_does(void **state)
{
	struct fc *f = *state;
	struct ts_http r = {0};
	char url[256];
	const char *body = "{\"Name\":\"web\",\"Checks\":[null]}";
	snprintf(url, sizeof(url), "http://%s/v1/agent/service/register", f->proc.addr);
	ts_http(&r, "PUT", url, NULL, body, strlen(body));
	assert_int_equal(r.status, 0); /* no answer: the agent panicked */
	ts_http_free(&r);
	cJSON *svcs = get_json(f, "/v1/agent/services");
	assert_int_equal(cJSON_GetArraySize(svcs), 0);
	cJSON_Delete(svcs);
}

static void test_register_creates_the_check_consul_would(void **state)
{
	struct fc *f = *state;
	/* The Go hook's request (allegro/mesos-executor hook/consul/hook.go). */
	assert_int_equal(
	    req(f, "PUT", "/v1/agent/service/register",
	        "{\"ID\":\"t1_web_31000\",\"Name\":\"web\",\"Tags\":[\"marathon\"],\"Port\":31000,"
	        "\"Address\":\"127.0.0.1\",\"Check\":{\"Interval\":\"1m0s\",\"Timeout\":\"5s\","
	        "\"HTTP\":\"http://127.0.0.1:1/\",\"Status\":\"passing\"},\"Checks\":[]}",
	        NULL, NULL),
	    200);
	cJSON *checks = get_json(f, "/v1/agent/checks");
	cJSON *k = cJSON_GetObjectItemCaseSensitive(checks, "service:t1_web_31000");
	assert_non_null(k);
	assert_string_equal(str_at(k, "Name", NULL), "Service 'web' check");
	assert_string_equal(str_at(k, "Status", NULL), "passing");
	assert_string_equal(str_at(k, "ServiceID", NULL), "t1_web_31000");
	assert_string_equal(str_at(k, "Type", NULL), "http");
	assert_string_equal(str_at(k, "Interval", NULL), "1m0s");
	cJSON_Delete(checks);

	/* Two checks are numbered; without Status they start critical. */
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"two\",\"Checks\":[{\"TTL\":\"30s\"},{\"TTL\":\"30s\","
	                     "\"Name\":\"second\"}]}",
	                     NULL, NULL),
	                 200);
	checks = get_json(f, "/v1/agent/checks");
	assert_string_equal(str_at(checks, "service:two:1", "Status"), "critical");
	assert_string_equal(str_at(checks, "service:two:2", "Name"), "second");
	cJSON_Delete(checks);
}

static void test_deregister_removes_the_service_and_its_checks(void **state)
{
	struct fc *f = *state;
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"web\",\"ID\":\"web-1\",\"Check\":{\"TTL\":\"30s\"}}",
	                     NULL, NULL),
	                 200);
	assert_int_equal(req(f, "PUT", "/v1/agent/service/deregister/web-1", NULL, NULL, NULL),
	                 200);
	cJSON *svcs = get_json(f, "/v1/agent/services"), *checks = get_json(f, "/v1/agent/checks");
	assert_int_equal(cJSON_GetArraySize(svcs), 0);
	assert_int_equal(cJSON_GetArraySize(checks), 0);
	cJSON_Delete(svcs);
	cJSON_Delete(checks);
	assert_text(f, "PUT", "/v1/agent/service/deregister/web-1", NULL, 404,
	            "Unknown service ID \"web-1\". Ensure that the service ID is passed, not the "
	            "service name.");
}

static void test_wrong_methods_get_405_with_allow(void **state)
{
	struct fc *f = *state;
	struct ts_http r;
	char allow[64];
	assert_int_equal(req(f, "GET", "/v1/agent/service/deregister/x", NULL, NULL, &r), 405);
	assert_string_equal(ts_http_header(&r, "Allow", allow, sizeof(allow)), "OPTIONS,PUT");
	assert_string_equal(r.body, "method GET not allowed");
	ts_http_free(&r);
	assert_int_equal(req(f, "GET", "/v1/agent/check/pass/x", NULL, NULL, NULL), 405);
	assert_int_equal(req(f, "GET", "/v1/agent/service/register", NULL, NULL, &r), 405);
	assert_string_equal(ts_http_header(&r, "Allow", allow, sizeof(allow)), "OPTIONS,PUT");
	ts_http_free(&r);
	assert_int_equal(req(f, "DELETE", "/v1/agent/services", NULL, NULL, &r), 405);
	assert_string_equal(ts_http_header(&r, "Allow", allow, sizeof(allow)), "OPTIONS,GET");
	ts_http_free(&r);
	assert_text(f, "GET", "/v1/nope", NULL, 404,
	            "Invalid URL path: not a recognized HTTP API endpoint\n");
}

static void test_options_is_allowed_and_lists_the_endpoints_methods(void **state)
{
	struct fc *f = *state;
	struct ts_http r;
	char allow[64];
	struct {
		const char *path, *allow;
	} cases[] = {
	    {"/v1/agent/service/register", "OPTIONS,PUT"},
	    {"/v1/agent/service/deregister/web", "OPTIONS,PUT"},
	    {"/v1/agent/services", "OPTIONS,GET"},
	    {"/v1/agent/service/web", "OPTIONS,GET"},
	    {"/v1/health/service/web", "OPTIONS,GET"},
	    {"/v1/agent/check/update/c", "OPTIONS,PUT"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(req(f, "OPTIONS", cases[i].path, NULL, NULL, &r), 200);
		assert_string_equal(ts_http_header(&r, "Allow", allow, sizeof(allow)),
		                    cases[i].allow);
		assert_string_equal(r.body, "");
		ts_http_free(&r);
	}
}

static void test_passing_reads_booleans_as_go_parsebool_does(void **state)
{
	struct fc *f = *state;
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"web\",\"Check\":{\"TTL\":\"1h\"}}", NULL, NULL),
	                 200); /* critical until updated */
	const char *all[] = {"F", "f", "0", "false", "FALSE", "False"};
	const char *only[] = {"", "T", "t", "1", "true", "TRUE", "True"};
	char path[128];
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		snprintf(path, sizeof(path), "/v1/health/service/web?passing=%s", all[i]);
		cJSON *h = get_json(f, path);
		if (cJSON_GetArraySize(h) != 1)
			fail_msg("?passing=%s filtered", all[i]);
		cJSON_Delete(h);
	}
	for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
		snprintf(path, sizeof(path), "/v1/health/service/web?passing=%s", only[i]);
		cJSON *h = get_json(f, path);
		if (cJSON_GetArraySize(h) != 0)
			fail_msg("?passing=%s did not filter", only[i]);
		cJSON_Delete(h);
	}
	assert_text(f, "GET", "/v1/health/service/web?passing=yes", NULL, 400,
	            "Invalid value for ?passing");
}

static void test_replace_existing_checks_is_on_only_when_empty_or_true(void **state)
{
	struct fc *f = *state;
	const char *two = "{\"Name\":\"web\",\"Checks\":[{\"TTL\":\"1h\"},{\"TTL\":\"1h\"}]}";
	const char *one = "{\"Name\":\"web\",\"Check\":{\"TTL\":\"1h\"}}";
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register", two, NULL, NULL), 200);
	assert_int_equal(
	    req(f, "PUT", "/v1/agent/service/register?replace-existing-checks=1", one, NULL, NULL),
	    200);
	cJSON *checks = get_json(f, "/v1/agent/checks");
	assert_int_equal(cJSON_GetArraySize(checks), 3); /* "1" is not Consul's "true" */
	cJSON_Delete(checks);
	assert_int_equal(
	    req(f, "PUT", "/v1/agent/service/register?replace-existing-checks", one, NULL, NULL),
	    200);
	checks = get_json(f, "/v1/agent/checks");
	assert_int_equal(cJSON_GetArraySize(checks), 1);
	cJSON_Delete(checks);
}

static void test_legacy_get_accepts_get_on_deregister_and_ttl_updates(void **state)
{
	struct fc f;
	const char *const extra[] = {"--legacy-get", NULL};
	assert_int_equal(start(&f, extra), 0);
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register",
	                     "{\"name\":\"t\",\"id\":\"t1\",\"check\":{\"ttl\":\"15s\"}}", NULL,
	                     NULL),
	                 200);
	assert_int_equal(
	    req(&f, "GET", "/v1/agent/check/pass/service:t1?note=ok", NULL, NULL, NULL), 200);
	assert_true(wait_check_status(&f, "service:t1", "passing"));
	assert_int_equal(req(&f, "GET", "/v1/agent/service/deregister/t1", NULL, NULL, NULL), 200);
	assert_int_equal(req(&f, "GET", "/v1/agent/service/register", NULL, NULL, NULL), 405);
	struct ts_http r;
	char allow[64];
	assert_int_equal(req(&f, "OPTIONS", "/v1/agent/check/pass/x", NULL, NULL, &r), 200);
	assert_string_equal(ts_http_header(&r, "Allow", allow, sizeof(allow)), "OPTIONS,GET,PUT");
	ts_http_free(&r);
	ts_stop(&f.proc, SIGTERM, 10000);
}

static void test_ttl_updates_find_percent_encoded_ids_and_refuse_other_checks(void **state)
{
	struct fc *f = *state;
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"t\",\"ID\":\"t1\",\"Checks\":[{\"TTL\":\"15s\"}]}", NULL,
	                     NULL),
	                 200);
	/* npm's client escapes the colon. */
	assert_int_equal(
	    req(f, "PUT", "/v1/agent/check/warn/service%3At1?note=slow", NULL, NULL, NULL), 200);
	cJSON *checks = get_json(f, "/v1/agent/checks");
	assert_string_equal(str_at(checks, "service:t1", "Status"), "warning");
	assert_string_equal(str_at(checks, "service:t1", "Output"), "slow");
	cJSON_Delete(checks);
	assert_int_equal(req(f, "PUT", "/v1/agent/check/update/service:t1",
	                     "{\"Status\":\"passing\",\"Output\":\"fine\"}", NULL, NULL),
	                 200);
	assert_text(f, "PUT", "/v1/agent/check/update/service:t1", "{\"Status\":\"great\"}", 400,
	            "Invalid check status: 'great'");
	assert_text(f, "PUT", "/v1/agent/check/fail/nope", NULL, 404,
	            "Unknown check ID \"nope\". Ensure that the check ID is passed, not the check "
	            "name.");
	assert_int_equal(
	    req(f, "PUT", "/v1/agent/service/register",
	        "{\"Name\":\"h\",\"Check\":{\"TCP\":\"127.0.0.1:1\",\"Interval\":\"1h\"}}", NULL,
	        NULL),
	    200);
	assert_text(f, "PUT", "/v1/agent/check/pass/service:h", NULL, 500,
	            "CheckID \"service:h\" does not have associated TTL");
}

static void test_ttl_check_turns_critical_when_not_updated(void **state)
{
	struct fc *f = *state;
	assert_int_equal(
	    req(f, "PUT", "/v1/agent/service/register",
	        "{\"Name\":\"t\",\"Check\":{\"TTL\":\"300ms\",\"Status\":\"passing\"}}", NULL,
	        NULL),
	    200);
	assert_true(wait_check_status(f, "service:t", "critical"));
	cJSON *checks = get_json(f, "/v1/agent/checks");
	assert_string_equal(str_at(checks, "service:t", "Output"), "TTL expired");
	cJSON_Delete(checks);
}

/* ------------------------------------------------------------ checks run */

/* A listening TCP socket on 127.0.0.1 (connections wait in the backlog). */
static int listen_tcp(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

struct http_server {
	int fd;
	int status;
	pthread_t thread;
};

/* Answers every connection with a fixed status until the socket closes. */
static void *serve_http(void *data)
{
	struct http_server *s = data;
	for (;;) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		char buf[4096], resp[256];
		ssize_t n = read(c, buf, sizeof(buf));
		(void)n;
		int len = snprintf(resp, sizeof(resp),
		                   "HTTP/1.1 %d X\r\nContent-Length: 7\r\nConnection: close\r\n\r\n"
		                   "healthy",
		                   s->status);
		if (write(c, resp, (size_t)len) < 0)
			perror("write");
		close(c);
	}
}

static void test_http_check_passes_when_fakeconsul_probes_a_live_listener(void **state)
{
	struct fc *f = *state;
	struct http_server s = {.status = 200};
	int port;
	char body[512];
	s.fd = listen_tcp(&port);
	pthread_create(&s.thread, NULL, serve_http, &s);
	snprintf(body, sizeof(body),
	         "{\"Name\":\"web\",\"Check\":{\"HTTP\":\"http://127.0.0.1:%d/health\","
	         "\"Interval\":\"200ms\",\"Timeout\":\"2s\"}}",
	         port);
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register", body, NULL, NULL), 200);
	assert_true(wait_check_status(f, "service:web", "passing"));

	cJSON *h = get_json(f, "/v1/health/service/web?passing=1");
	assert_int_equal(cJSON_GetArraySize(h), 1);
	cJSON *checks = cJSON_GetObjectItem(cJSON_GetArrayItem(h, 0), "Checks");
	assert_string_equal(str_at(cJSON_GetArrayItem(checks, 0), "CheckID", NULL), "serfHealth");
	const char *out = str_at(cJSON_GetArrayItem(checks, 1), "Output", NULL);
	assert_non_null(strstr(out, "200"));
	assert_non_null(strstr(out, "healthy"));
	cJSON_Delete(h);

	/* The listener goes away: the check fails and ?passing drops it. */
	shutdown(s.fd, SHUT_RDWR);
	close(s.fd);
	pthread_join(s.thread, NULL);
	assert_true(wait_check_status(f, "service:web", "critical"));
	h = get_json(f, "/v1/health/service/web?passing");
	assert_int_equal(cJSON_GetArraySize(h), 0);
	cJSON_Delete(h);
}

static void test_http_check_is_critical_on_a_server_error(void **state)
{
	struct fc *f = *state;
	struct http_server s = {.status = 503};
	int port;
	char body[512];
	s.fd = listen_tcp(&port);
	pthread_create(&s.thread, NULL, serve_http, &s);
	snprintf(body, sizeof(body),
	         "{\"Name\":\"web\",\"Check\":{\"HTTP\":\"http://127.0.0.1:%d/\",\"Interval\":"
	         "\"200ms\",\"Status\":\"passing\"}}",
	         port);
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register", body, NULL, NULL), 200);
	assert_true(wait_check_status(f, "service:web", "critical"));
	shutdown(s.fd, SHUT_RDWR);
	close(s.fd);
	pthread_join(s.thread, NULL);
}

static void test_tcp_check_follows_the_listener(void **state)
{
	struct fc *f = *state;
	int port;
	char body[512];
	int fd = listen_tcp(&port);
	snprintf(body, sizeof(body),
	         "{\"name\":\"db\",\"check\":{\"tcp\":\"127.0.0.1:%d\",\"interval\":\"200ms\"}}",
	         port);
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register", body, NULL, NULL), 200);
	assert_true(wait_check_status(f, "service:db", "passing"));
	close(fd);
	assert_true(wait_check_status(f, "service:db", "critical"));
}

/* ------------------------------------------------------------ ACLs */

static void test_acl_tokens_are_checked_in_consuls_order(void **state)
{
	struct fc f;
	const char *const extra[] = {"--acl-token", "s3cret", "--acl-token=webonly=web", NULL};
	const char *reg = "{\"Name\":\"web\"}", *db = "{\"Name\":\"db\"}";
	assert_int_equal(start(&f, extra), 0);
	const char *unknown[] = {"X-Consul-Token: nope", NULL};
	const char *header_tok[] = {"X-Consul-Token: s3cret", NULL};
	const char *bearer[] = {"Authorization: Bearer s3cret", NULL};
	const char *limited[] = {"X-Consul-Token: webonly", NULL};
	struct ts_http r;

	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register", reg, unknown, &r), 403);
	assert_string_equal(r.body, "ACL not found");
	ts_http_free(&r);
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register", reg, NULL, &r), 403);
	assert_string_equal(r.body, "Permission denied");
	ts_http_free(&r);
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register?token=s3cret", reg, NULL, NULL),
	                 200);
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register", db, header_tok, NULL), 200);
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/deregister/db", NULL, bearer, NULL),
	                 200);
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register", db, limited, NULL), 403);
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register", reg, limited, NULL), 200);
	/* ?token wins over the header. */
	assert_int_equal(
	    req(&f, "PUT", "/v1/agent/service/register?token=nope", reg, header_tok, NULL), 403);
	assert_int_equal(req(&f, "GET", "/v1/agent/services", NULL, unknown, NULL), 403);

	/* Reads are filtered, not refused. */
	assert_int_equal(req(&f, "PUT", "/v1/agent/service/register", db, header_tok, NULL), 200);
	assert_int_equal(req(&f, "GET", "/v1/agent/services", NULL, limited, &r), 200);
	cJSON *svcs = cJSON_Parse(r.body);
	assert_non_null(cJSON_GetObjectItem(svcs, "web"));
	assert_null(cJSON_GetObjectItem(svcs, "db"));
	assert_non_null(strcasestr(r.headers, "X-Consul-Results-Filtered-By-ACLs: true"));
	cJSON_Delete(svcs);
	ts_http_free(&r);

	/* The token never reaches the log. */
	ts_stop(&f.proc, SIGTERM, 10000);
	char *log = ts_read_file(f.proc.log, NULL);
	assert_non_null(log);
	assert_null(strstr(log, "s3cret"));
	free(log);
}

static void test_the_token_is_resolved_between_decoding_and_validation(void **state)
{
	struct fc f;
	const char *const extra[] = {"--acl-token", "s3cret", NULL};
	const char *unknown[] = {"X-Consul-Token: nope", NULL};
	struct ts_http r;
	assert_int_equal(start(&f, extra), 0);
	struct {
		const char *path, *body;
		long status;
		const char *text;
	} cases[] = {
	    /* decoding, the name and the address come before the token */
	    {"/v1/agent/service/register", "{\"Name\":\"web\",\"Bogus\":1}", 400,
	     "Request decode failed: json: unknown field \"Bogus\""},
	    {"/v1/agent/service/register", "{\"ID\":\"web\"}", 400, "Missing service name"},
	    {"/v1/agent/service/register", "{\"Name\":\"web\",\"Address\":\"0.0.0.0\"}", 400,
	     "Invalid service address"},
	    /* weights, meta, checks and statuses after it */
	    {"/v1/agent/service/register", "{\"Name\":\"web\",\"Checks\":[{}]}", 403,
	     "ACL not found"},
	    {"/v1/agent/service/register", "{\"Name\":\"web\",\"Weights\":{\"Passing\":0}}", 403,
	     "ACL not found"},
	    {"/v1/agent/service/register", "{\"Name\":\"web\",\"Meta\":{\"consul-a\":\"b\"}}", 403,
	     "ACL not found"},
	    {"/v1/agent/service/register",
	     "{\"Name\":\"web\",\"Check\":{\"TTL\":\"5s\",\"Status\":\"up\"}}", 403,
	     "ACL not found"},
	    /* a check: its name and status before the token, its type after */
	    {"/v1/agent/check/register", "{\"TTL\":\"5s\"}", 400, "Missing check name"},
	    {"/v1/agent/check/register", "{\"Name\":\"c\",\"TTL\":\"5s\",\"Status\":\"up\"}", 400,
	     "Bad check status"},
	    {"/v1/agent/check/register", "{\"Name\":\"c\",\"HTTP\":\"http://a/\"}", 403,
	     "ACL not found"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long st = req(&f, "PUT", cases[i].path, cases[i].body, unknown, &r);
		if (st != cases[i].status || strcmp(r.body, cases[i].text) != 0)
			fail_msg("%s: got %ld \"%s\"", cases[i].body, st, r.body);
		ts_http_free(&r);
	}
	ts_stop(&f.proc, SIGTERM, 10000);
}

/* ------------------------------------------------------------ /_fake/ */

static void test_fault_injection_fails_and_delays_the_next_requests(void **state)
{
	struct fc *f = *state;
	struct ts_http r;
	assert_int_equal(req(f, "POST", "/_fake/fail",
	                     "{\"status\":503,\"count\":2,\"method\":\"PUT\",\"path\":\"/v1/agent/"
	                     "service/\",\"body\":\"overloaded\"}",
	                     NULL, NULL),
	                 200);
	const char *reg = "{\"Name\":\"web\"}";
	assert_int_equal(req(f, "GET", "/v1/agent/services", NULL, NULL, NULL), 200); /* no match */
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register", reg, NULL, &r), 503);
	assert_string_equal(r.body, "overloaded");
	ts_http_free(&r);
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register", reg, NULL, NULL), 503);
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register", reg, NULL, NULL), 200);

	/* A delayed request is still handled. */
	assert_int_equal(req(f, "POST", "/_fake/delay",
	                     "{\"ms\":300,\"path\":\"/v1/agent/service/"
	                     "deregister/\"}",
	                     NULL, NULL),
	                 200);
	cJSON *faults = get_json(f, "/_fake/faults");
	assert_int_equal(cJSON_GetArraySize(faults), 1);
	cJSON_Delete(faults);
	assert_int_equal(req(f, "PUT", "/v1/agent/service/deregister/web", NULL, NULL, NULL), 200);
	cJSON *svcs = get_json(f, "/v1/agent/services");
	assert_int_equal(cJSON_GetArraySize(svcs), 0);
	cJSON_Delete(svcs);

	/* Every request is in the log, with its query and headers. */
	cJSON *log = get_json(f, "/_fake/requests");
	int puts = 0;
	const cJSON *e;
	cJSON_ArrayForEach (e, log) {
		puts += strcmp(str_at(e, "method", NULL), "PUT") == 0;
	}
	assert_int_equal(puts, 4);
	cJSON_Delete(log);
	assert_int_equal(req(f, "POST", "/_fake/fail", "{\"status\":42}", NULL, NULL), 400);
}

static void test_fake_check_control_flips_a_check_and_state_dumps_it(void **state)
{
	struct fc *f = *state;
	assert_int_equal(req(f, "PUT", "/v1/agent/service/register",
	                     "{\"Name\":\"t\",\"Check\":{\"TTL\":\"1h\"}}", NULL, NULL),
	                 200);
	assert_int_equal(req(f, "POST", "/_fake/check/service:t",
	                     "{\"Status\":\"passing\",\"Output\":\"forced\"}", NULL, NULL),
	                 200);
	cJSON *st = get_json(f, "/_fake/state");
	assert_string_equal(str_at(cJSON_GetObjectItem(st, "checks"), "service:t", "Output"),
	                    "forced");
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "services"), "t"));
	cJSON_Delete(st);
	assert_int_equal(
	    req(f, "POST", "/_fake/check/nope", "{\"Status\":\"passing\"}", NULL, NULL), 404);
	assert_int_equal(req(f, "POST", "/_fake/reset", NULL, NULL, NULL), 200);
	cJSON *svcs = get_json(f, "/v1/agent/services");
	assert_int_equal(cJSON_GetArraySize(svcs), 0);
	cJSON_Delete(svcs);
}

static void test_refuses_a_non_loopback_address_without_allow_remote(void **state)
{
	struct ts_proc p;
	char *argv[] = {(char *)ts_env("FAKECONSUL_BIN", "fakeconsul"), "--listen", "0.0.0.0:0",
	                NULL};
	assert_int_equal(ts_spawn(&p, argv, NULL, false), 0);
	int st = ts_wait(&p, 10000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	char *log = ts_read_file(p.log, NULL);
	assert_non_null(strstr(log, "--allow-remote"));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_register_accepts_any_key_case_and_defaults_id_to_name),
	    T(test_register_rejects_bad_definitions_with_consuls_texts),
	    T(test_register_refuses_what_consuls_strict_decoding_refuses),
	    T(test_register_types_udp_h2ping_and_alias_checks),
	    T(test_a_null_entry_of_checks_closes_the_connection_as_consul_does),
	    T(test_register_creates_the_check_consul_would),
	    T(test_deregister_removes_the_service_and_its_checks),
	    T(test_wrong_methods_get_405_with_allow),
	    T(test_options_is_allowed_and_lists_the_endpoints_methods),
	    T(test_passing_reads_booleans_as_go_parsebool_does),
	    T(test_replace_existing_checks_is_on_only_when_empty_or_true),
	    cmocka_unit_test(test_legacy_get_accepts_get_on_deregister_and_ttl_updates),
	    T(test_ttl_updates_find_percent_encoded_ids_and_refuse_other_checks),
	    T(test_ttl_check_turns_critical_when_not_updated),
	    T(test_http_check_passes_when_fakeconsul_probes_a_live_listener),
	    T(test_http_check_is_critical_on_a_server_error),
	    T(test_tcp_check_follows_the_listener),
	    cmocka_unit_test(test_acl_tokens_are_checked_in_consuls_order),
	    cmocka_unit_test(test_the_token_is_resolved_between_decoding_and_validation),
	    T(test_fault_injection_fails_and_delays_the_next_requests),
	    T(test_fake_check_control_flips_a_check_and_state_dumps_it),
	    cmocka_unit_test(test_refuses_a_non_loopback_address_without_allow_remote),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
