/* Consul's client settings (hooks/consul_client.h) read as api.go reads
 * them: the address forms and the scheme (CONSUL_HTTP_SSL never undone by
 * http://), a path prefix, a Unix socket, the TLS server name, client
 * certificate pairs, basic auth, and the token's precedence
 * (CONSUL_HTTP_TOKEN_FILE, then the Go executor's names, then
 * CONSUL_HTTP_TOKEN), with errors that name the variable. */
#include "testsupport.h"

#include "common/log.h"
#include "hooks/consul_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
	ts_fakeenv_clear();
	return 0;
}

static struct envcfg cfg;

static int load(struct consul_client *c)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.lookup = ts_fakeenv_lookup;
	return consul_client_load(c, &cfg);
}

static void assert_base(const char *addr, const char *ssl, const char *want)
{
	struct consul_client c;
	ts_fakeenv_clear();
	if (addr)
		ts_fakeenv_set("CONSUL_HTTP_ADDR", addr);
	if (ssl)
		ts_fakeenv_set("CONSUL_HTTP_SSL", ssl);
	if (load(&c) != 0)
		fail_msg("%s: %s", addr, cfg.errors);
	if (strcmp(c.base, want) != 0)
		fail_msg("%s (ssl %s): %s, expected %s", addr, ssl, c.base, want);
	consul_client_free(&c);
}

static void test_address_forms_give_the_base_url(void **state)
{
	assert_base(NULL, NULL, "http://127.0.0.1:8500");
	assert_base("10.0.0.5:8500", NULL, "http://10.0.0.5:8500");
	assert_base("10.0.0.5:8501", "true", "https://10.0.0.5:8501");
	assert_base("http://10.0.0.5:8500/", NULL, "http://10.0.0.5:8500");
	assert_base("http://10.0.0.5:8501", "true", "https://10.0.0.5:8501"); /* never reverts */
	assert_base("https://consul.example:8501", NULL, "https://consul.example:8501");
	assert_base("https://proxy.example/consul/", NULL, "https://proxy.example/consul");
	assert_base("[::1]:8500", NULL, "http://[::1]:8500");
}

static void test_unix_socket_address(void **state)
{
	struct consul_client c;
	ts_fakeenv_set("CONSUL_HTTP_ADDR", "unix:///var/run/consul/http.sock");
	assert_int_equal(load(&c), 0);
	assert_string_equal(c.unix_socket, "/var/run/consul/http.sock");
	assert_string_equal(c.base, "http://localhost");
	struct hookhttp_conn conn = consul_client_conn(&c);
	assert_string_equal(conn.unix_socket, "/var/run/consul/http.sock");
	consul_client_free(&c);
}

static void test_tls_settings_and_server_name(void **state)
{
	struct consul_client c;
	ts_fakeenv_set("CONSUL_HTTP_ADDR", "https://10.0.0.5:8501");
	ts_fakeenv_set("CONSUL_TLS_SERVER_NAME", "consul.dc1.example:443");
	ts_fakeenv_set("CONSUL_CACERT", "/etc/consul/ca.pem");
	ts_fakeenv_set("CONSUL_CAPATH", "/etc/consul/ca.d");
	ts_fakeenv_set("CONSUL_CLIENT_CERT", "/etc/consul/client.pem");
	ts_fakeenv_set("CONSUL_CLIENT_KEY", "/etc/consul/client.key");
	ts_fakeenv_set("CONSUL_HTTP_SSL_VERIFY", "false");
	assert_int_equal(load(&c), 0);
	/* The URL names the server; the connection goes to the address. */
	assert_string_equal(c.base, "https://consul.dc1.example:8501");
	assert_string_equal(c.connect_to, "consul.dc1.example:8501:10.0.0.5:8501");
	struct hookhttp_conn conn = consul_client_conn(&c);
	assert_string_equal(conn.ca_file, "/etc/consul/ca.pem");
	assert_string_equal(conn.ca_path, "/etc/consul/ca.d");
	assert_string_equal(conn.client_cert, "/etc/consul/client.pem");
	assert_string_equal(conn.client_key, "/etc/consul/client.key");
	assert_true(conn.insecure);
	consul_client_free(&c);

	/* Verification is on by default; a server name means nothing for http. */
	ts_fakeenv_clear();
	ts_fakeenv_set("CONSUL_TLS_SERVER_NAME", "consul.dc1.example");
	assert_int_equal(load(&c), 0);
	assert_false(c.insecure);
	assert_null(c.connect_to);
	assert_string_equal(c.base, "http://127.0.0.1:8500");
	consul_client_free(&c);
}

static void test_bad_settings_name_their_variable(void **state)
{
	struct consul_client c;
	ts_fakeenv_set("CONSUL_HTTP_ADDR", "consul://10.0.0.5:8500");
	assert_int_equal(load(&c), -1);
	assert_non_null(strstr(cfg.errors, "CONSUL_HTTP_ADDR: unknown scheme 'consul'"));

	ts_fakeenv_set("CONSUL_HTTP_ADDR", "http://user:s3cret@10.0.0.5:8500");
	assert_int_equal(load(&c), -1);
	assert_non_null(strstr(cfg.errors, "CONSUL_HTTP_AUTH"));
	assert_null(strstr(cfg.errors, "s3cret"));

	ts_fakeenv_clear();
	ts_fakeenv_set("CONSUL_CLIENT_CERT", "/etc/consul/client.pem");
	assert_int_equal(load(&c), -1);
	assert_non_null(strstr(cfg.errors, "CONSUL_CLIENT_KEY"));

	ts_fakeenv_clear();
	ts_fakeenv_set("CONSUL_HTTP_SSL_VERIFY", "maybe");
	assert_int_equal(load(&c), -1);
	assert_non_null(strstr(cfg.errors, "CONSUL_HTTP_SSL_VERIFY"));

	ts_fakeenv_clear();
	ts_fakeenv_set("CONSUL_HTTP_TOKEN_FILE", "/nonexistent/consul-token");
	assert_int_equal(load(&c), -1);
	assert_non_null(strstr(cfg.errors, "CONSUL_HTTP_TOKEN_FILE"));
}

static void assert_token(const char *want)
{
	struct consul_client c;
	if (load(&c) != 0)
		fail_msg("%s", cfg.errors);
	if (!want) {
		assert_null(c.token_header);
	} else {
		char header[256];
		snprintf(header, sizeof(header), "X-Consul-Token: %s", want);
		assert_string_equal(c.token_header, header);
	}
	consul_client_free(&c);
}

static void test_token_precedence_follows_the_go_executor_and_api_go(void **state)
{
	char *dir = ts_mkdtemp("consul-token");
	char file[1100], empty[1100];
	snprintf(file, sizeof(file), "%s/token", dir);
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	FILE *f = fopen(file, "w");
	fputs("  from-the-file\n", f);
	fclose(f);
	fclose(fopen(empty, "w"));

	assert_token(NULL);
	ts_fakeenv_set("CONSUL_HTTP_TOKEN", "t3");
	assert_token("t3");
	ts_fakeenv_set("CONSUL_TOKEN", "t2");
	assert_token("t2");
	ts_fakeenv_set("ALLEGRO_EXECUTOR_CONSUL_TOKEN", "t1");
	assert_token("t1");
	ts_fakeenv_set("CONSUL_HTTP_TOKEN_FILE", empty); /* empty: the variables still count */
	assert_token("t1");
	ts_fakeenv_set("CONSUL_HTTP_TOKEN_FILE", file);
	assert_token("from-the-file");
	ts_rmtree(dir);
	free(dir);
}

static void test_basic_auth_and_token_are_log_secrets(void **state)
{
	struct consul_client c;
	ts_fakeenv_set("CONSUL_HTTP_AUTH", "mesos:pa55-w0rd");
	ts_fakeenv_set("CONSUL_HTTP_TOKEN", "t0k3n-s3cret");
	assert_int_equal(load(&c), 0);
	assert_string_equal(c.userpwd, "mesos:pa55-w0rd");
	ts_logs_capture();
	log_set_level(LOG_INFO);
	log_info("password pa55-w0rd token t0k3n-s3cret");
	assert_null(strstr(ts_logs(), "pa55-w0rd"));
	assert_null(strstr(ts_logs(), "t0k3n-s3cret"));
	ts_logs_release();
	consul_client_free(&c);
	/* A user alone: an empty password, as api.go. */
	ts_fakeenv_set("CONSUL_HTTP_AUTH", "mesos");
	assert_int_equal(load(&c), 0);
	assert_string_equal(c.userpwd, "mesos:");
	consul_client_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_address_forms_give_the_base_url, setup),
	    cmocka_unit_test_setup(test_unix_socket_address, setup),
	    cmocka_unit_test_setup(test_tls_settings_and_server_name, setup),
	    cmocka_unit_test_setup(test_bad_settings_name_their_variable, setup),
	    cmocka_unit_test_setup(test_token_precedence_follows_the_go_executor_and_api_go, setup),
	    cmocka_unit_test_setup(test_basic_auth_and_token_are_log_secrets, setup),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_shutdown();
	return rc;
}
