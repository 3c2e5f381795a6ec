/* The executor and an agent with SSL (scheme https, as libprocess serves
 * when built and run with SSL): `fakeagent run --tls-cert --tls-key` with a
 * fresh self-signed certificate (the openssl tool), the real executor told
 * ALLEGRO_EXECUTOR_API_SCHEME=https by the agent's executor environment.
 * It subscribes and finishes its task without verifying the certificate
 * (libprocess does not verify by default), also when only libprocess' own
 * LIBPROCESS_SSL_ENABLED says the agent speaks SSL, and after an agent
 * restart; it verifies the agent against LIBPROCESS_SSL_CA_FILE, refuses the
 * self-signed one when ALLEGRO_EXECUTOR_TLS_VERIFY=true with the system's
 * CAs, and an executor left on http never subscribes to the TLS port. It
 * presents LIBPROCESS_SSL_CERT_FILE to a server that requires a client
 * certificate, trusts LIBPROCESS_SSL_CA_DIR, and SSL_CERT_FILE in place of the
 * system's CAs. These run against the static executor as well (static/, with
 * libcurl on mbedTLS). Each run has a deadline; nothing is timed. */
#include "testsupport.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmp;
static char cert[1024], key[1024], task[1024], sleep_task[1024];

static int setup(void **state)
{
	if (!ts_have_openssl())
		return 0; /* the tests skip; scripts/deps.sh installs it */
	tmp = ts_mkdtemp("agent-https");
	if (!tmp || ts_make_cert(tmp, "agent") < 0 || ts_make_cert(tmp, "client") < 0)
		return -1;
	snprintf(cert, sizeof(cert), "%s/agent.pem", tmp);
	snprintf(key, sizeof(key), "%s/agent.key", tmp);
	snprintf(task, sizeof(task), "%s/task.json", tmp);
	snprintf(sleep_task, sizeof(sleep_task), "%s/sleep-task.json", tmp);
	FILE *f = fopen(task, "w");
	if (!f)
		return -1;
	fputs("{\"name\":\"t\",\"task_id\":{\"value\":\"tls-task\"},"
	      "\"command\":{\"value\":\"echo over-tls\"}}",
	      f);
	fclose(f);
	if (!(f = fopen(sleep_task, "w")))
		return -1;
	fputs("{\"name\":\"t\",\"task_id\":{\"value\":\"tls-task\"},"
	      "\"command\":{\"value\":\"sleep 3\"}}",
	      f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	if (tmp)
		ts_rmtree(tmp);
	free(tmp);
	return 0;
}

/* `fakeagent run` of task_file over HTTPS with the real executor, `extra`
 * executor environment ("K=V", NULL-ended) and `opts` more agent options
 * (NULL-ended, or NULL); its exit status, its output in out. */
static int run_https(const char *task_file, const char *const *extra, const char *const *opts,
                     char *out, size_t len)
{
	if (!tmp)
		skip();
	char *bin = (char *)ts_env("FAKEAGENT_BIN", "build/fakeagent/fakeagent");
	char *exe = (char *)ts_env("EXECUTOR_BIN", "build/executor/executor");
	char *argv[32] = {bin,
	                  "run",
	                  "--executor",
	                  exe,
	                  "--task",
	                  (char *)task_file,
	                  "--listen",
	                  "127.0.0.1:0",
	                  "--tls-cert",
	                  cert,
	                  "--tls-key",
	                  key,
	                  "--registration-timeout",
	                  "3secs"};
	size_t n = 14;
	for (const char *const *e = extra; *e && n + 3 < 32; e++) {
		argv[n++] = "--executor-env";
		argv[n++] = (char *)*e;
	}
	for (const char *const *o = opts; o && *o && n + 2 < 32; o++)
		argv[n++] = (char *)*o;
	argv[n] = NULL;
	int st = ts_run(argv, out, len, 60000);
	if (st == -1 || !WIFEXITED(st))
		fail_msg("fakeagent run did not end by itself; it printed:\n%s", out);
	return WEXITSTATUS(st);
}

static void assert_contains(const char *s, const char *want)
{
	if (!strstr(s, want))
		fail_msg("expected \"%s\" in:\n%s", want, s);
}

static void test_executor_subscribes_over_https_and_finishes_its_task(void **state)
{
	static char out[1 << 16];
	const char *env[] = {"ALLEGRO_EXECUTOR_API_SCHEME=https", NULL};
	int rc = run_https(task, env, NULL, out, sizeof(out));
	assert_contains(out, "listening on https://127.0.0.1:");
	assert_contains(out, "TASK_FINISHED from executor");
	assert_int_equal(rc, 0);
}

/* The agent restarts (its streams cut, 503s, then recovery): the executor
 * subscribes again over TLS and finishes its task. */
static void test_executor_resubscribes_over_https_after_an_agent_restart(void **state)
{
	static char out[1 << 16];
	const char *env[] = {"ALLEGRO_EXECUTOR_API_SCHEME=https", NULL};
	const char *opts[] = {"--checkpoint", "--restart-agent-after", "1secs", NULL};
	int rc = run_https(sleep_task, env, opts, out, sizeof(out));
	assert_contains(out, "agent restarting");
	const char *first = strstr(out, "SUBSCRIBE (");
	assert_non_null(first);
	assert_non_null(strstr(first + 1, "SUBSCRIBE (")); /* subscribed again */
	assert_contains(out, "TASK_FINISHED from executor");
	assert_int_equal(rc, 0);
}

/* What an SSL agent's operator gives libprocess-based executors is enough:
 * LIBPROCESS_SSL_ENABLED makes https the default scheme. */
static void test_libprocess_ssl_enabled_alone_selects_https(void **state)
{
	static char out[1 << 16];
	const char *env[] = {"LIBPROCESS_SSL_ENABLED=true", NULL};
	int rc = run_https(task, env, NULL, out, sizeof(out));
	assert_contains(out, "TASK_FINISHED from executor");
	assert_int_equal(rc, 0);
}

/* Verification against a private CA (here the self-signed certificate is its
 * own CA, and it names 127.0.0.1): LIBPROCESS_SSL_CA_FILE is trusted. */
static void test_verification_with_libprocess_ca_file_accepts_the_agent(void **state)
{
	static char out[1 << 16];
	char ca[1100];
	snprintf(ca, sizeof(ca), "LIBPROCESS_SSL_CA_FILE=%s", cert);
	const char *env[] = {"LIBPROCESS_SSL_ENABLED=true",
	                     "LIBPROCESS_SSL_VERIFY_SERVER_CERT=true", ca, NULL};
	int rc = run_https(task, env, NULL, out, sizeof(out));
	assert_contains(out, "TASK_FINISHED from executor");
	assert_int_equal(rc, 0);
}

static void test_executor_that_verifies_tls_refuses_a_self_signed_agent(void **state)
{
	static char out[1 << 16];
	const char *env[] = {"ALLEGRO_EXECUTOR_API_SCHEME=https",
	                     "ALLEGRO_EXECUTOR_TLS_VERIFY=true", NULL};
	assert_int_equal(run_https(task, env, NULL, out, sizeof(out)), 1);
	/* libcurl's words: on OpenSSL (glibc build), on mbedTLS (static build) */
	if (!strstr(out, "SUBSCRIBE failed: SSL certificate problem") &&
	    !strstr(out, "SUBSCRIBE failed: Cert verify failed: BADCERT_NOT_TRUSTED"))
		fail_msg("expected a certificate verification failure in:\n%s", out);
}

static void test_executor_speaking_plain_http_to_a_tls_agent_never_subscribes(void **state)
{
	static char out[1 << 16];
	const char *env[] = {NULL};
	assert_int_equal(run_https(task, env, NULL, out, sizeof(out)), 1);
	assert_contains(out, "agent=http://127.0.0.1:");
	assert_contains(out, "SUBSCRIBE failed");
}

/* The executor alone against `openssl s_server` standing in for an agent
 * that requires a client certificate signed by client.pem; its output (where
 * s_server prints "depth=0 <subject>" for the client certificate it verified)
 * and both logs in out. The executor
 * is stopped once `want` appears in its log or s_server's, or after 20 s. */
static void against_mtls_server(const char *const *client_env, const char *want, char *out,
                                size_t len)
{
	if (!tmp)
		skip();
	struct ts_proc srv, ex;
	unsigned port;
	char ca[1100], logpath[1100], endpoint[64], dir[1100], sandbox[1100];
	snprintf(ca, sizeof(ca), "%s/client.pem", tmp);
	const char *require[] = {"-Verify", "1", "-CAfile", ca, NULL};
	assert_int_equal(ts_tls_server(&srv, tmp, "agent", require, &port), 0);
	snprintf(endpoint, sizeof(endpoint), "MESOS_AGENT_ENDPOINT=127.0.0.1:%u", port);
	snprintf(dir, sizeof(dir), "MESOS_DIRECTORY=%s", tmp);
	snprintf(sandbox, sizeof(sandbox), "MESOS_SANDBOX=%s", tmp);
	char *envp[16] = {"PATH=/usr/bin:/bin",
	                  "MESOS_FRAMEWORK_ID=framework-1",
	                  "MESOS_EXECUTOR_ID=executor-1",
	                  endpoint,
	                  dir,
	                  sandbox,
	                  "ALLEGRO_EXECUTOR_API_SCHEME=https",
	                  "MESOS_SUBSCRIPTION_BACKOFF_MAX=100ms"};
	size_t n = 8;
	for (const char *const *e = client_env; *e && n + 1 < 16; e++)
		envp[n++] = (char *)*e;
	envp[n] = NULL;
	char *argv[] = {(char *)ts_env("EXECUTOR_BIN", "build/executor/executor"), NULL};
	assert_int_equal(ts_spawn(&ex, argv, envp, false), 0);
	snprintf(logpath, sizeof(logpath), "%s", ex.log);
	size_t got = 0;
	out[0] = '\0';
	for (int64_t end = ts_now_ms() + 20000; ts_now_ms() < end;) {
		got += ts_read_stdout(&srv, out + got, len - got, 100);
		char *exlog = ts_read_file(logpath, NULL), *srvlog = ts_read_file(srv.log, NULL);
		bool seen = (exlog && strstr(exlog, want)) || (srvlog && strstr(srvlog, want)) ||
		            strstr(out, want);
		if (seen || ts_now_ms() >= end) {
			snprintf(out + got, len - got, "\n--- executor:\n%s\n--- s_server:\n%s",
			         exlog ? exlog : "", srvlog ? srvlog : "");
			free(exlog);
			free(srvlog);
			break;
		}
		free(exlog);
		free(srvlog);
	}
	ts_stop(&ex, SIGTERM, 5000);
	ts_stop(&srv, SIGTERM, 5000);
}

/* LIBPROCESS_SSL_CERT_FILE/KEY_FILE are presented: the server verifies the
 * certificate (s_server prints its depth and subject); without them it refuses the
 * handshake and the executor says so. */
static void test_client_certificate_is_presented_to_an_agent_that_requires_one(void **state)
{
	static char out[1 << 16];
	char cert_env[1100], key_env[1100];
	snprintf(cert_env, sizeof(cert_env), "LIBPROCESS_SSL_CERT_FILE=%s/client.pem", tmp);
	snprintf(key_env, sizeof(key_env), "LIBPROCESS_SSL_KEY_FILE=%s/client.key", tmp);
	const char *with[] = {cert_env, key_env, NULL}, *without[] = {NULL};
	against_mtls_server(with, "depth=0", out, sizeof(out));
	assert_contains(out, "depth=0 CN = localhost"); /* ts_make_cert's subject */
	assert_contains(out, "verify return:1");
	against_mtls_server(without, "SUBSCRIBE failed", out, sizeof(out));
	assert_contains(out, "SUBSCRIBE failed");
	if (strstr(out, "depth=0"))
		fail_msg("a certificate was presented without LIBPROCESS_SSL_CERT_FILE:\n%s", out);
}

/* A private CA given as a directory (LIBPROCESS_SSL_CA_DIR) is trusted. */
static void test_verification_with_libprocess_ca_dir_accepts_the_agent(void **state)
{
	static char out[1 << 16];
	char ca_dir[1100], cmd[3000];
	snprintf(cmd, sizeof(cmd),
	         "mkdir -p '%s/cas' && cp '%s' '%s/cas/agent.pem' && " TS_OPENSSL
	         " rehash '%s/cas'",
	         tmp, cert, tmp, tmp);
	if (!tmp || system(cmd) != 0)
		skip();
	snprintf(ca_dir, sizeof(ca_dir), "LIBPROCESS_SSL_CA_DIR=%s/cas", tmp);
	const char *env[] = {"LIBPROCESS_SSL_ENABLED=true",
	                     "LIBPROCESS_SSL_VERIFY_SERVER_CERT=true", ca_dir, NULL};
	int rc = run_https(task, env, NULL, out, sizeof(out));
	assert_contains(out, "TASK_FINISHED from executor");
	assert_int_equal(rc, 0);
}

/* With verification on and no CA configured, the executor trusts what the
 * system's CA lookup finds; SSL_CERT_FILE overrides that lookup. */
static void test_ssl_cert_file_replaces_the_system_cas(void **state)
{
	static char out[1 << 16];
	char file[1100];
	snprintf(file, sizeof(file), "SSL_CERT_FILE=%s", cert);
	const char *env[] = {"ALLEGRO_EXECUTOR_API_SCHEME=https",
	                     "ALLEGRO_EXECUTOR_TLS_VERIFY=true", file, NULL};
	int rc = run_https(task, env, NULL, out, sizeof(out));
	assert_contains(out, "TASK_FINISHED from executor");
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_executor_subscribes_over_https_and_finishes_its_task),
	    cmocka_unit_test(test_executor_resubscribes_over_https_after_an_agent_restart),
	    cmocka_unit_test(test_libprocess_ssl_enabled_alone_selects_https),
	    cmocka_unit_test(test_verification_with_libprocess_ca_file_accepts_the_agent),
	    cmocka_unit_test(test_executor_that_verifies_tls_refuses_a_self_signed_agent),
	    cmocka_unit_test(test_executor_speaking_plain_http_to_a_tls_agent_never_subscribes),
	    cmocka_unit_test(test_client_certificate_is_presented_to_an_agent_that_requires_one),
	    cmocka_unit_test(test_verification_with_libprocess_ca_dir_accepts_the_agent),
	    cmocka_unit_test(test_ssl_cert_file_replaces_the_system_cas),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
