/* The executor and an agent with SSL (scheme https, as libprocess serves
 * when built and run with SSL): `fakeagent run --tls-cert --tls-key` with a
 * fresh self-signed certificate (the openssl tool), the real executor told
 * ALLEGRO_EXECUTOR_API_SCHEME=https by the agent's executor environment.
 * It subscribes and finishes its task without verifying the certificate
 * (libprocess does not verify by default), also when only libprocess' own
 * LIBPROCESS_SSL_ENABLED says the agent speaks SSL, and after an agent
 * restart; it verifies the agent against LIBPROCESS_SSL_CA_FILE, refuses the
 * self-signed one when ALLEGRO_EXECUTOR_TLS_VERIFY=true with the system's
 * CAs, and an executor left on http never subscribes to the TLS port. Each run has a deadline;
 * nothing is timed. */
#include "testsupport.h"

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
	if (!tmp || ts_make_cert(tmp, "agent") < 0)
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
	assert_contains(out, "SUBSCRIBE failed: SSL certificate problem");
}

static void test_executor_speaking_plain_http_to_a_tls_agent_never_subscribes(void **state)
{
	static char out[1 << 16];
	const char *env[] = {NULL};
	assert_int_equal(run_https(task, env, NULL, out, sizeof(out)), 1);
	assert_contains(out, "agent=http://127.0.0.1:");
	assert_contains(out, "SUBSCRIBE failed");
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
