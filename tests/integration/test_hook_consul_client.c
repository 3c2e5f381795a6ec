/* The Consul hook reaches its agent as Consul's own client does
 * (hooks/consul_client.h): over TLS with a CA made here (CONSUL_CACERT),
 * verified against CONSUL_TLS_SERVER_NAME, or not verified at all
 * (CONSUL_HTTP_SSL_VERIFY=false); CONSUL_HTTP_SSL with an address without a
 * scheme; basic authentication (CONSUL_HTTP_AUTH), seen in fakeconsul's
 * request log and never in the executor's; a Unix socket
 * (CONSUL_HTTP_ADDR=unix://...). A client certificate (CONSUL_CLIENT_CERT/
 * KEY) goes to `openssl s_server -Verify`, which, unlike fakeconsul, demands
 * one. Everything listens on 127.0.0.1 or a socket in a fresh directory. */
#include "../support/testsupport.h"

#include "common/log.h"
#include "hooks/hook.h"
#include "hooks/http.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TID "web_app.instance-2c1a0b4e-aa11-11e9-915b-c610fee06dff._app.1"

static char *dir; /* certificates and the socket */

static char *path(const char *name)
{
	static char p[8][1024];
	static int i;
	char *s = p[i++ % 8];
	snprintf(s, sizeof(p[0]), "%s/%s", dir, name);
	return s;
}

/* A CA, and a server certificate it signed for consul.test only (so that
 * verifying it at 127.0.0.1 fails without CONSUL_TLS_SERVER_NAME). */
static int make_ca_and_server_cert(void)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && "
	         "%s req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	         "-subj /CN=test-ca -days 1 -keyout ca.key -out ca.pem && "
	         "%s req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	         "-subj /CN=consul.test -keyout server.key -out server.csr && "
	         "printf 'subjectAltName=DNS:consul.test\\n' > server.ext && "
	         "%s x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
	         "-extfile server.ext -out server.pem",
	         dir, TS_OPENSSL, TS_OPENSSL, TS_OPENSSL);
	strcat(cmd, " 2>/dev/null");
	return system(cmd) == 0 ? 0 : -1;
}

static bool have_tools;

static int setup_group(void **state)
{
	dir = ts_mkdtemp("consul-client");
	if (!dir)
		return -1;
	have_tools = ts_have_openssl() && make_ca_and_server_cert() == 0 &&
	             ts_make_cert(dir, "client") == 0 && ts_make_cert(dir, "s_server") == 0;
	return 0;
}

static int teardown_group(void **state)
{
	ts_rmtree(dir);
	free(dir);
	return 0;
}

static struct hook *hook(void)
{
	return ts_builtin_hook("consul");
}

static int setup(void **state)
{
	ts_fakeenv_clear();
	ts_fakeenv_set("CLOUD_PUBLIC_IP", "127.0.0.1");
	log_set_level(LOG_DEBUG);
	ts_logs_capture();
	return 0;
}

static int teardown(void **state)
{
	ts_hook_teardown(hook());
	ts_fakeenv_clear();
	return 0;
}

/* fakeconsul on 127.0.0.1:0 with these extra arguments; skips without it. */
static void start_consul(struct ts_proc *p, const char *const *extra)
{
	bool built;
	assert_int_equal(ts_start_fake(p, "FAKECONSUL_BIN", "fakeconsul", extra, &built), 0);
	if (!built)
		skip();
}

static Mesos__V1__TaskInfo *web_task(void)
{
	const char *json = "{\"name\":\"web\",\"task_id\":{\"value\":\"" TID "\"},"
	                   "\"agent_id\":{\"value\":\"agent-1\"},"
	                   "\"labels\":{\"labels\":[{\"key\":\"consul\",\"value\":\"web\"}]},"
	                   "\"discovery\":{\"visibility\":\"FRAMEWORK\",\"ports\":{\"ports\":["
	                   "{\"number\":31000,\"name\":\"http\"}]}}}";
	return ts_task_from_json(json);
}

static const struct hook_env env = {
    .executor_id = "exec-1", .framework_id = "fw-1", .agent_id = "agent-1", .sandbox = "/tmp"};

/* Initialises the hook from the fake environment and registers web_task;
 * returns handle()'s result (res->error says why), after deregistering
 * what was registered. */
static int register_web(struct hook_result *res)
{
	ts_hook_init(hook());
	Mesos__V1__TaskInfo *t = web_task();
	memset(res, 0, sizeof(*res));
	struct hook_call c = {.event = HOOK_AFTER_TASK_HEALTHY, .task = t, .env = &env};
	int rc = hook()->handle(hook(), &c, res);
	struct hook_result dereg = {0};
	c.event = HOOK_BEFORE_TERMINATE;
	if (rc == 0 && hook()->handle(hook(), &c, &dereg) != 0)
		fail_msg("deregistration: %s", dereg.error);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	hook()->destroy(hook());
	return rc;
}

#define NEED_TOOLS()                                                                               \
	do {                                                                                       \
		if (!have_tools)                                                                   \
			skip();                                                                    \
	} while (0)

static void test_tls_agent_is_verified_with_consul_cacert_and_tls_server_name(void **state)
{
	NEED_TOOLS();
	struct ts_proc consul;
	const char *tls[] = {"--tls-cert", path("server.pem"), "--tls-key", path("server.key"),
	                     NULL};
	start_consul(&consul, tls);
	char url[300];
	snprintf(url, sizeof(url), "https://%s", consul.addr);
	ts_fakeenv_set("CONSUL_HTTP_ADDR", url);
	struct hook_result res;

	/* The system's CAs do not know ours. */
	assert_int_equal(register_web(&res), -1);
	assert_non_null(strstr(res.error, "certificate"));
	/* Ours does, but the certificate names consul.test, not 127.0.0.1. */
	ts_fakeenv_set("CONSUL_CACERT", path("ca.pem"));
	assert_int_equal(register_web(&res), -1);
	/* Asked for as consul.test (SNI and verification), reached at 127.0.0.1. */
	ts_fakeenv_set("CONSUL_TLS_SERVER_NAME", "consul.test:8501");
	if (register_web(&res) != 0)
		fail_msg("with CONSUL_CACERT and CONSUL_TLS_SERVER_NAME: %s", res.error);
	assert_non_null(strstr(ts_logs(), "msg=\"registered in Consul\""));
	/* The directory form of the CA works the same way. */
	ts_fakeenv_set("CONSUL_CACERT", "");
	char rehash[2048];
	snprintf(rehash, sizeof(rehash),
	         "mkdir '%s/ca.d' && cp '%s/ca.pem' '%s/ca.d/' && %s rehash '%s/ca.d' >/dev/null",
	         dir, dir, dir, TS_OPENSSL, dir);
	assert_int_equal(system(rehash), 0);
	ts_fakeenv_set("CONSUL_CAPATH", path("ca.d"));
	if (register_web(&res) != 0)
		fail_msg("with CONSUL_CAPATH: %s", res.error);
	ts_stop(&consul, SIGTERM, 5000);
}

static void test_ssl_without_verification_and_ssl_with_a_bare_address(void **state)
{
	NEED_TOOLS();
	struct ts_proc consul;
	const char *tls[] = {"--tls-cert", path("server.pem"), "--tls-key", path("server.key"),
	                     NULL};
	start_consul(&consul, tls);
	struct hook_result res;
	/* host:port with CONSUL_HTTP_SSL=true is https; http:// does not undo it. */
	ts_fakeenv_set("CONSUL_HTTP_ADDR", consul.addr);
	ts_fakeenv_set("CONSUL_HTTP_SSL", "true");
	ts_fakeenv_set("CONSUL_HTTP_SSL_VERIFY", "false");
	if (register_web(&res) != 0)
		fail_msg("CONSUL_HTTP_SSL with host:port: %s", res.error);
	char url[300];
	snprintf(url, sizeof(url), "http://%s", consul.addr);
	ts_fakeenv_set("CONSUL_HTTP_ADDR", url);
	if (register_web(&res) != 0)
		fail_msg("CONSUL_HTTP_SSL with http://: %s", res.error);
	/* Verification on (the default) refuses the unknown CA. */
	ts_fakeenv_set("CONSUL_HTTP_SSL_VERIFY", "true");
	assert_int_equal(register_web(&res), -1);
	ts_stop(&consul, SIGTERM, 5000);
}

static void test_basic_auth_goes_in_the_authorization_header_and_never_in_logs(void **state)
{
	struct ts_proc consul;
	start_consul(&consul, NULL);
	ts_fakeenv_set("CONSUL_HTTP_ADDR", consul.addr);
	ts_fakeenv_set("CONSUL_HTTP_AUTH", "mesos:pa55-w0rd-s3cret");
	struct hook_result res;
	if (register_web(&res) != 0)
		fail_msg("%s", res.error);
	struct ts_http r;
	assert_int_equal(ts_request(consul.addr, "GET", "/_fake/requests", NULL, NULL, &r), 200);
	cJSON *log = cJSON_Parse(r.body);
	ts_http_free(&r);
	int with_auth = 0, puts = 0;
	const cJSON *e;
	cJSON_ArrayForEach (e, log) {
		if (strcmp(cJSON_GetObjectItem(e, "method")->valuestring, "PUT") != 0)
			continue;
		puts++;
		const cJSON *h;
		cJSON_ArrayForEach (h, cJSON_GetObjectItem(e, "headers"))
			/* base64("mesos:pa55-w0rd-s3cret") */
			with_auth +=
			    !strcasecmp(h->string, "Authorization") &&
			    strcmp(h->valuestring, "Basic bWVzb3M6cGE1NS13MHJkLXMzY3JldA==") == 0;
	}
	cJSON_Delete(log);
	assert_int_equal(puts, 2); /* registration and deregistration */
	assert_int_equal(with_auth, 2);
	assert_null(strstr(ts_logs(), "pa55-w0rd-s3cret"));
	ts_stop(&consul, SIGTERM, 5000);
}

static void test_agent_on_a_unix_socket(void **state)
{
	struct ts_proc consul;
	const char *sock[] = {"--unix-socket", path("consul.sock"), NULL};
	start_consul(&consul, sock);
	char url[1100];
	snprintf(url, sizeof(url), "unix://%s", path("consul.sock"));
	ts_fakeenv_set("CONSUL_HTTP_ADDR", url);
	struct hook_result res;
	if (register_web(&res) != 0)
		fail_msg("%s", res.error);
	/* The requests came through the socket. */
	struct ts_http r;
	assert_int_equal(ts_request(consul.addr, "GET", "/_fake/requests", NULL, NULL, &r), 200);
	assert_non_null(strstr(r.body, "/v1/agent/service/register"));
	assert_non_null(strstr(r.body, "/v1/agent/service/deregister/"));
	ts_http_free(&r);
	ts_stop(&consul, SIGTERM, 5000);
}

/* A client certificate reaches a server that demands one (hookhttp with the
 * settings CONSUL_CLIENT_CERT/KEY give). */
static void test_client_certificate_is_presented_when_given(void **state)
{
	NEED_TOOLS();
	struct ts_proc srv;
	unsigned port;
	const char *require[] = {"-Verify", "1", "-CAfile", path("client.pem"), NULL};
	assert_int_equal(ts_tls_server(&srv, dir, "s_server", require, &port), 0);
	char url[64];
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", port);
	struct hookhttp_conn with = {.ca_file = path("s_server.pem"),
	                             .client_cert = path("client.pem"),
	                             .client_key = path("client.key")};
	struct hookhttp_conn without = {.ca_file = path("s_server.pem")};
	struct hookhttp_res a, b;
	int rca = hookhttp_do(
	    &(struct hookhttp_req){.method = "GET", .url = url, .timeout_ms = 20000, .conn = &with},
	    &a);
	int rcb = hookhttp_do(
	    &(struct hookhttp_req){
	        .method = "GET", .url = url, .timeout_ms = 20000, .conn = &without},
	    &b);
	ts_stop(&srv, SIGTERM, 5000);
	assert_int_equal(rca, 0);
	assert_int_equal(a.status, 200);
	assert_int_equal(rcb, -1); /* the server refused the handshake */
	hookhttp_res_free(&a);
	hookhttp_res_free(&b);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_tls_agent_is_verified_with_consul_cacert_and_tls_server_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_ssl_without_verification_and_ssl_with_a_bare_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_basic_auth_goes_in_the_authorization_header_and_never_in_logs, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_agent_on_a_unix_socket, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_certificate_is_presented_when_given, setup,
	                                    teardown),
	};
	int rc = cmocka_run_group_tests(tests, setup_group, teardown_group);
	log_shutdown();
	return rc;
}
