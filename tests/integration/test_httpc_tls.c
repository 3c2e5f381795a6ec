/* The HTTP client (common/httpc.h) over TLS, against `openssl s_server`
 * on 127.0.0.1 with fresh self-signed certificates: the server's own
 * certificate trusted as a CA file (ca_file), refused without it, and a
 * client certificate presented to a server that requires one (as an agent
 * with LIBPROCESS_SSL_REQUIRE_CLIENT_CERT does; the executor passes
 * LIBPROCESS_SSL_CERT_FILE/KEY_FILE here). Each request runs the loop until
 * it is done or a generous deadline passes; nothing is timed. */
#include "testsupport.h"

#include "common/httpc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

static int setup(void **state)
{
	if (!ts_have_openssl())
		return 0; /* the tests skip; scripts/deps.sh installs it */
	dir = ts_mkdtemp("httpc-tls");
	return dir && ts_make_cert(dir, "server") == 0 && ts_make_cert(dir, "client") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	if (dir)
		ts_rmtree(dir);
	free(dir);
	return 0;
}

struct answer {
	bool done;
	long status;
	int curl_code;
	char error[512];
};

static void on_done(void *data, const struct httpc_result *r)
{
	struct answer *a = data;
	a->done = true;
	a->status = r->status;
	a->curl_code = r->curl_code;
	snprintf(a->error, sizeof(a->error), "%s", r->error ? r->error : "");
}

/* One GET of https://127.0.0.1:PORT/ with these options filled in. */
static struct answer get(unsigned port, struct httpc_opts o)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct httpc *h = httpc_new(&loop);
	assert_non_null(h);
	char url[64];
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", port);
	struct answer a = {0};
	o.url = url;
	o.timeout_ms = 20000;
	o.on_done = on_done;
	o.data = &a;
	assert_non_null(httpc_start(h, &o));
	while (!a.done)
		uv_run(&loop, UV_RUN_ONCE);
	httpc_close(h, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	return a;
}

static char *path(const char *name)
{
	static char p[4][1024];
	static int i;
	char *s = p[i++ % 4];
	snprintf(s, sizeof(p[0]), "%s/%s", dir, name);
	return s;
}

static void test_server_certificate_is_verified_with_the_given_ca_file(void **state)
{
	if (!dir)
		skip();
	struct ts_proc srv;
	unsigned port;
	assert_int_equal(ts_tls_server(&srv, dir, "server", NULL, &port), 0);
	struct answer trusted = get(port, (struct httpc_opts){.ca_file = path("server.pem")});
	struct answer unknown = get(port, (struct httpc_opts){0});
	ts_stop(&srv, SIGTERM, 5000);
	assert_int_equal(trusted.status, 200);
	assert_int_equal(trusted.curl_code, 0);
	assert_int_not_equal(unknown.curl_code, 0); /* self-signed, not in the system's CAs */
	assert_non_null(strstr(unknown.error, "certificate"));
}

static void test_client_certificate_is_presented_to_a_server_that_requires_one(void **state)
{
	if (!dir)
		skip();
	struct ts_proc srv;
	unsigned port;
	const char *require[] = {"-Verify", "1", "-CAfile", path("client.pem"), NULL};
	assert_int_equal(ts_tls_server(&srv, dir, "server", require, &port), 0);
	struct answer with = get(port, (struct httpc_opts){.ca_file = path("server.pem"),
	                                                   .client_cert = path("client.pem"),
	                                                   .client_key = path("client.key")});
	struct answer without = get(port, (struct httpc_opts){.ca_file = path("server.pem")});
	ts_stop(&srv, SIGTERM, 5000);
	assert_int_equal(with.status, 200);
	assert_int_equal(with.curl_code, 0);
	assert_int_not_equal(without.curl_code, 0); /* the server refused the handshake */
	assert_int_not_equal(without.status, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_server_certificate_is_verified_with_the_given_ca_file),
	    cmocka_unit_test(test_client_certificate_is_presented_to_a_server_that_requires_one),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
