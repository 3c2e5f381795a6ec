/* The executor's configuration (executor/config.h, docs/configuration.md;
 * the agent's variables as Mesos src/slave/slave.cpp executorEnvironment
 * sets them), read from a fake environment through envcfg's lookup
 * hook: required variables, checkpointing's extra ones, errors that name the
 * variable, the documented ALLEGRO_EXECUTOR_* names and their old spellings,
 * the agent's URL from MESOS_AGENT_ENDPOINT, MESOS_SLAVE_PID or
 * MESOS_DOMAIN_SOCKET, the encoding, and --help. */
#include "testsupport.h"

#include "executor/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC 1000000000LL

/* A fake environment: "NAME=value" strings, NULL-terminated. */
static const char *fake_lookup(const char *name, void *data)
{
	size_t l = strlen(name);
	for (const char *const *e = data; *e; e++)
		if (strncmp(*e, name, l) == 0 && (*e)[l] == '=')
			return *e + l + 1;
	return NULL;
}

struct loaded {
	struct ex_config c;
	struct envcfg e;
	int rc;
};

static struct loaded load(const char *const *env)
{
	struct loaded l;
	memset(&l, 0, sizeof(l));
	l.e.lookup = fake_lookup;
	l.e.lookup_data = (void *)env;
	l.rc = ex_config_load(&l.c, &l.e);
	return l;
}

static void unload(struct loaded *l)
{
	ex_config_free(&l->c);
}

static void assert_loads(const struct loaded *l)
{
	if (l->rc != 0)
		fail_msg("configuration refused: %s", l->e.errors);
	assert_int_equal(l->e.nerrors, 0);
}

static void assert_error_names(const struct loaded *l, const char *what)
{
	assert_int_equal(l->rc, -1);
	if (!strstr(l->e.errors, what))
		fail_msg("error '%s' does not name %s", l->e.errors, what);
}

#define BASE  "MESOS_FRAMEWORK_ID=fw-1", "MESOS_EXECUTOR_ID=exec-1"
#define AGENT "MESOS_AGENT_ENDPOINT=10.1.2.3:5051"

/* ------------------------------------------------------------ required */

static void test_minimal_agent_environment_loads_with_the_defaults(void **state)
{
	const char *env[] = {BASE, AGENT, "MESOS_DIRECTORY=/var/sandbox", NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_string_equal(l.c.framework_id, "fw-1");
	assert_string_equal(l.c.executor_id, "exec-1");
	assert_string_equal(l.c.url, "http://10.1.2.3:5051/api/v1/executor");
	assert_null(l.c.unix_path);
	assert_string_equal(l.c.directory, "/var/sandbox");
	/* The task runs where the agent started the executor, whatever the
	 * environment (which a task can override) says. */
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_string_equal(l.c.sandbox, cwd);
	assert_false(l.c.checkpoint);
	assert_int_equal(l.c.encoding, MESOS_PROTOBUF);
	assert_int_equal(l.c.shutdown_grace_ns, 5 * SEC);
	assert_int_equal(l.c.kill_grace_ns, 5 * SEC);
	assert_int_equal(l.c.http_timeout_ns, 10 * SEC);
	assert_int_equal(l.c.update_wait_ns, 5 * SEC);
	assert_int_equal(l.c.update_buffer, 1024);
	assert_false(l.c.debug);
	unload(&l);
}

static void test_missing_required_variables_give_one_error_naming_each(void **state)
{
	const char *env[] = {NULL};
	struct loaded l = load(env);
	assert_int_equal(l.rc, -1);
	assert_int_equal(l.e.nerrors, 1);
	assert_error_names(&l, "MESOS_FRAMEWORK_ID");
	assert_error_names(&l, "MESOS_EXECUTOR_ID");
	assert_error_names(&l, "MESOS_AGENT_ENDPOINT");
	unload(&l);
}

static void test_empty_ids_count_as_missing(void **state)
{
	const char *env[] = {"MESOS_FRAMEWORK_ID=", "MESOS_EXECUTOR_ID=exec-1", AGENT, NULL};
	struct loaded l = load(env);
	assert_error_names(&l, "MESOS_FRAMEWORK_ID");
	assert_null(strstr(l.e.errors, "MESOS_EXECUTOR_ID"));
	unload(&l);
}

static void test_checkpointing_requires_recovery_timeout_and_backoff_max(void **state)
{
	const char *env[] = {BASE, AGENT, "MESOS_CHECKPOINT=1", NULL};
	struct loaded l = load(env);
	assert_error_names(&l, "MESOS_RECOVERY_TIMEOUT");
	assert_error_names(&l, "MESOS_SUBSCRIPTION_BACKOFF_MAX");
	unload(&l);

	const char *full[] = {BASE,
	                      AGENT,
	                      "MESOS_CHECKPOINT=1",
	                      "MESOS_RECOVERY_TIMEOUT=15mins",
	                      "MESOS_SUBSCRIPTION_BACKOFF_MAX=2secs",
	                      NULL};
	l = load(full);
	assert_loads(&l);
	assert_true(l.c.checkpoint);
	assert_int_equal(l.c.recovery_timeout_ns, 15 * 60 * SEC);
	assert_int_equal(l.c.backoff_max_ns, 2 * SEC);
	unload(&l);
}

static void test_without_checkpointing_recovery_settings_are_optional(void **state)
{
	const char *env[] = {BASE, AGENT, "MESOS_CHECKPOINT=0", NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_false(l.c.checkpoint);
	unload(&l);
}

static void test_checkpoint_accepts_true_and_refuses_garbage(void **state)
{
	const char *yes[] = {BASE,
	                     AGENT,
	                     "MESOS_CHECKPOINT=true",
	                     "MESOS_RECOVERY_TIMEOUT=1mins",
	                     "MESOS_SUBSCRIPTION_BACKOFF_MAX=1secs",
	                     NULL};
	struct loaded l = load(yes);
	assert_loads(&l);
	assert_true(l.c.checkpoint);
	unload(&l);

	const char *bad[] = {BASE, AGENT, "MESOS_CHECKPOINT=maybe", NULL};
	l = load(bad);
	assert_error_names(&l, "MESOS_CHECKPOINT");
	assert_error_names(&l, "maybe");
	unload(&l);
}

/* ------------------------------------------------------------ durations */

static void test_mesos_durations_are_read_in_stout_syntax(void **state)
{
	const char *env[] = {BASE, AGENT, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=7.5secs", NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_int_equal(l.c.shutdown_grace_ns, 7500 * 1000000LL);
	unload(&l);
}

static void test_bad_durations_name_the_variable_and_the_expected_form(void **state)
{
	const char *env[] = {BASE,
	                     AGENT,
	                     "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=soon",
	                     "ALLEGRO_EXECUTOR_KILL_POLICY_GRACE_PERIOD=5 parsecs",
	                     "ALLEGRO_EXECUTOR_STATE_UPDATE_WAIT_TIMEOUT=-5s",
	                     NULL};
	struct loaded l = load(env);
	assert_int_equal(l.e.nerrors, 3);
	assert_error_names(&l, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD");
	assert_error_names(&l, "'soon'");
	assert_error_names(&l, "ALLEGRO_EXECUTOR_KILL_POLICY_GRACE_PERIOD");
	assert_error_names(&l, "'5 parsecs'");
	assert_error_names(&l, "ALLEGRO_EXECUTOR_STATE_UPDATE_WAIT_TIMEOUT");
	assert_error_names(&l, "5secs"); /* the expected form */
	unload(&l);
}

static void test_allegro_durations_are_read_in_go_syntax(void **state)
{
	const char *env[] = {BASE,
	                     AGENT,
	                     "ALLEGRO_EXECUTOR_KILL_POLICY_GRACE_PERIOD=1m30s",
	                     "ALLEGRO_EXECUTOR_STATE_UPDATE_WAIT_TIMEOUT=250ms",
	                     "ALLEGRO_EXECUTOR_HOOK_TIMEOUT=1h",
	                     NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_int_equal(l.c.kill_grace_ns, 90 * SEC);
	assert_int_equal(l.c.update_wait_ns, 250 * 1000000LL);
	assert_int_equal(l.c.hook_timeout_ns, 3600 * SEC);
	unload(&l);
}

static void test_bad_numbers_and_booleans_name_the_variable(void **state)
{
	const char *env[] = {BASE, AGENT, "ALLEGRO_EXECUTOR_STATE_UPDATE_BUFFER_SIZE=lots",
	                     "ALLEGRO_EXECUTOR_DEBUG=yes please", NULL};
	struct loaded l = load(env);
	assert_int_equal(l.e.nerrors, 2);
	assert_error_names(&l, "ALLEGRO_EXECUTOR_STATE_UPDATE_BUFFER_SIZE");
	assert_error_names(&l, "ALLEGRO_EXECUTOR_DEBUG");
	unload(&l);
}

/* ------------------------------------------------------------ API path and timeout */

static void test_documented_api_path_and_http_timeout_work(void **state)
{
	const char *env[] = {BASE, AGENT, "ALLEGRO_EXECUTOR_API_PATH=/custom/executor",
	                     "ALLEGRO_EXECUTOR_HTTP_TIMEOUT=3s", NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_string_equal(l.c.url, "http://10.1.2.3:5051/custom/executor");
	assert_int_equal(l.c.http_timeout_ns, 3 * SEC);
	unload(&l);
}

static void test_old_apip_ath_and_httpt_imeout_spellings_are_fallbacks(void **state)
{
	const char *env[] = {BASE, AGENT, "ALLEGRO_EXECUTOR_APIP_ATH=/old/path",
	                     "ALLEGRO_EXECUTOR_HTTPT_IMEOUT=4s", NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_string_equal(l.c.url, "http://10.1.2.3:5051/old/path");
	assert_int_equal(l.c.http_timeout_ns, 4 * SEC);
	unload(&l);

	const char *both[] = {BASE,
	                      AGENT,
	                      "ALLEGRO_EXECUTOR_APIP_ATH=/old/path",
	                      "ALLEGRO_EXECUTOR_API_PATH=/new/path",
	                      "ALLEGRO_EXECUTOR_HTTPT_IMEOUT=4s",
	                      "ALLEGRO_EXECUTOR_HTTP_TIMEOUT=6s",
	                      NULL};
	l = load(both);
	assert_loads(&l);
	assert_string_equal(l.c.url, "http://10.1.2.3:5051/new/path");
	assert_int_equal(l.c.http_timeout_ns, 6 * SEC);
	unload(&l);
}

static void test_bad_old_spelling_is_reported(void **state)
{
	const char *env[] = {BASE, AGENT, "ALLEGRO_EXECUTOR_HTTPT_IMEOUT=forever", NULL};
	struct loaded l = load(env);
	assert_int_equal(l.rc, -1);
	assert_error_names(&l, "forever");
	assert_error_names(&l, "HTTP");
	unload(&l);
}

static void test_api_path_must_start_with_a_slash_and_scheme_be_http_or_https(void **state)
{
	const char *env[] = {BASE, AGENT, "ALLEGRO_EXECUTOR_API_PATH=api/v1/executor",
	                     "ALLEGRO_EXECUTOR_API_SCHEME=ftp", NULL};
	struct loaded l = load(env);
	assert_int_equal(l.e.nerrors, 2);
	assert_error_names(&l, "ALLEGRO_EXECUTOR_API_PATH");
	assert_error_names(&l, "ALLEGRO_EXECUTOR_API_SCHEME");
	unload(&l);

	const char *https[] = {BASE, AGENT, "ALLEGRO_EXECUTOR_API_SCHEME=https", NULL};
	l = load(https);
	assert_loads(&l);
	assert_string_equal(l.c.url, "https://10.1.2.3:5051/api/v1/executor");
	unload(&l);
}

/* An SSL agent's operator passes libprocess' SSL settings to executors. */
static void test_libprocess_ssl_enabled_makes_https_the_default_scheme(void **state)
{
	const char *env[] = {BASE, AGENT, "LIBPROCESS_SSL_ENABLED=true", NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_string_equal(l.c.url, "https://10.1.2.3:5051/api/v1/executor");
	assert_false(l.c.tls_verify); /* libprocess does not verify by default */
	unload(&l);

	const char *own[] = {BASE, AGENT, "LIBPROCESS_SSL_ENABLED=1",
	                     "ALLEGRO_EXECUTOR_API_SCHEME=http", NULL};
	l = load(own);
	assert_loads(&l);
	assert_string_equal(l.c.url, "http://10.1.2.3:5051/api/v1/executor"); /* ours wins */
	unload(&l);
}

static void
test_libprocess_tls_settings_verify_unless_ours_says_and_name_a_client_cert(void **state)
{
	const char *now[] = {BASE,
	                     AGENT,
	                     "LIBPROCESS_SSL_VERIFY_SERVER_CERT=true",
	                     "LIBPROCESS_SSL_CA_FILE=/etc/mesos/ca.pem",
	                     "LIBPROCESS_SSL_CA_DIR=/etc/mesos/ca.d",
	                     NULL};
	struct loaded l = load(now);
	assert_loads(&l);
	assert_true(l.c.tls_verify);
	assert_string_equal(l.c.ssl_ca_file, "/etc/mesos/ca.pem");
	assert_string_equal(l.c.ssl_ca_dir, "/etc/mesos/ca.d");
	unload(&l);

	const char *old[] = {BASE, AGENT, "LIBPROCESS_SSL_VERIFY_CERT=1", NULL};
	l = load(old);
	assert_loads(&l);
	assert_true(l.c.tls_verify);
	unload(&l);

	const char *ours[] = {BASE, AGENT, "LIBPROCESS_SSL_VERIFY_SERVER_CERT=true",
	                      "ALLEGRO_EXECUTOR_TLS_VERIFY=false", NULL};
	l = load(ours);
	assert_loads(&l);
	assert_false(l.c.tls_verify);
	unload(&l);

	const char *client[] = {BASE, AGENT, "LIBPROCESS_SSL_CERT_FILE=/etc/mesos/executor.pem",
	                        "LIBPROCESS_SSL_KEY_FILE=/etc/mesos/executor.key", NULL};
	l = load(client);
	assert_loads(&l);
	assert_string_equal(l.c.ssl_cert_file, "/etc/mesos/executor.pem");
	assert_string_equal(l.c.ssl_key_file, "/etc/mesos/executor.key");
	unload(&l);

	const char *half[] = {BASE, AGENT, "LIBPROCESS_SSL_CERT_FILE=/etc/mesos/executor.pem",
	                      NULL};
	l = load(half);
	assert_int_equal(l.rc, -1);
	assert_error_names(&l, "LIBPROCESS_SSL_KEY_FILE");
	unload(&l);

	const char *bad[] = {BASE, AGENT, "LIBPROCESS_SSL_ENABLED=maybe", NULL};
	l = load(bad);
	assert_int_equal(l.rc, -1);
	assert_error_names(&l, "LIBPROCESS_SSL_ENABLED");
	unload(&l);
}

/* ------------------------------------------------------------ the agent's address */

static void test_slave_pid_gives_the_endpoint(void **state)
{
	const char *env[] = {BASE, "MESOS_SLAVE_PID=slave(1)@10.9.8.7:5052", NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_string_equal(l.c.agent_endpoint, "10.9.8.7:5052");
	assert_string_equal(l.c.url, "http://10.9.8.7:5052/api/v1/executor");
	unload(&l);
}

static void test_agent_endpoint_wins_over_slave_pid(void **state)
{
	const char *env[] = {BASE, AGENT, "MESOS_SLAVE_PID=slave(1)@10.9.8.7:5052", NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_string_equal(l.c.url, "http://10.1.2.3:5051/api/v1/executor");
	unload(&l);
}

static void test_malformed_slave_pid_leaves_the_endpoint_missing(void **state)
{
	const char *env[] = {BASE, "MESOS_SLAVE_PID=slave(1)", NULL};
	struct loaded l = load(env);
	assert_error_names(&l, "MESOS_AGENT_ENDPOINT");
	unload(&l);
}

static void test_domain_socket_gives_the_prefixed_path_over_the_socket(void **state)
{
	const char *env[] = {BASE, "MESOS_DOMAIN_SOCKET=/run/mesos/agent.sock", NULL};
	struct loaded l = load(env);
	assert_loads(&l);
	assert_string_equal(l.c.unix_path, "/run/mesos/agent.sock");
	assert_non_null(strstr(l.c.url, "/slave(1)/api/v1/executor"));
	assert_int_equal(strncmp(l.c.url, "http://", 7), 0);
	unload(&l);
}

/* ------------------------------------------------------------ encoding */

static void test_encoding_is_protobuf_or_json_and_nothing_else(void **state)
{
	const char *json[] = {BASE, AGENT, "ALLEGRO_EXECUTOR_API_ENCODING=json", NULL};
	struct loaded l = load(json);
	assert_loads(&l);
	assert_int_equal(l.c.encoding, MESOS_JSON);
	unload(&l);

	const char *pb[] = {BASE, AGENT, "ALLEGRO_EXECUTOR_API_ENCODING=protobuf", NULL};
	l = load(pb);
	assert_loads(&l);
	assert_int_equal(l.c.encoding, MESOS_PROTOBUF);
	unload(&l);

	const char *bad[] = {BASE, AGENT, "ALLEGRO_EXECUTOR_API_ENCODING=xml", NULL};
	l = load(bad);
	assert_error_names(&l, "ALLEGRO_EXECUTOR_API_ENCODING");
	assert_error_names(&l, "'xml'");
	unload(&l);
}

/* ------------------------------------------------------------ help */

static void test_help_lists_every_variable_with_its_default(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	ex_config_help(out);
	fclose(out);
	const char *names[] = {"MESOS_FRAMEWORK_ID",
	                       "MESOS_EXECUTOR_ID",
	                       "MESOS_AGENT_ENDPOINT",
	                       "MESOS_CHECKPOINT",
	                       "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
	                       "MESOS_RECOVERY_TIMEOUT",
	                       "MESOS_SUBSCRIPTION_BACKOFF_MAX",
	                       "MESOS_DOMAIN_SOCKET",
	                       "ALLEGRO_EXECUTOR_API_PATH",
	                       "ALLEGRO_EXECUTOR_HTTP_TIMEOUT",
	                       "ALLEGRO_EXECUTOR_API_ENCODING",
	                       "ALLEGRO_EXECUTOR_KILL_POLICY_GRACE_PERIOD",
	                       "ALLEGRO_EXECUTOR_STATE_UPDATE_BUFFER_SIZE",
	                       "ALLEGRO_EXECUTOR_STATE_UPDATE_WAIT_TIMEOUT",
	                       NULL};
	for (const char **n = names; *n; n++)
		if (!strstr(text, *n))
			fail_msg("--help does not list %s", *n);
	const char *line = strstr(text, "ALLEGRO_EXECUTOR_KILL_POLICY_GRACE_PERIOD");
	const char *eol = strchr(line, '\n');
	const char *def = strstr(line, "[default: 5s]");
	assert_true(def && def < eol);
	free(text);
}

/* ------------------------------------------------------------ command line */

static void test_only_a_sole_help_or_version_argument_changes_what_the_executor_does(void **state)
{
	char *none[] = {"executor", NULL};
	char *help[] = {"executor", "--help", NULL};
	char *version[] = {"executor", "--version", NULL};
	/* Marathon's `exec './executor' <cmd>`: the app's command line. */
	char *mysql[] = {"executor", "mysql", "-h", "db", "--version", NULL};
	char *redis[] = {"executor", "redis-cli", "-h", "cache", NULL};
	char *first[] = {"executor", "--help", "me", NULL};
	char *dash_h[] = {"executor", "-h", NULL};
	assert_int_equal(ex_config_cli(1, none), EX_CLI_RUN);
	assert_int_equal(ex_config_cli(2, help), EX_CLI_HELP);
	assert_int_equal(ex_config_cli(2, version), EX_CLI_VERSION);
	assert_int_equal(ex_config_cli(5, mysql), EX_CLI_RUN);
	assert_int_equal(ex_config_cli(4, redis), EX_CLI_RUN);
	assert_int_equal(ex_config_cli(3, first), EX_CLI_RUN);
	assert_int_equal(ex_config_cli(2, dash_h), EX_CLI_RUN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal_agent_environment_loads_with_the_defaults),
	    cmocka_unit_test(
	        test_only_a_sole_help_or_version_argument_changes_what_the_executor_does),
	    cmocka_unit_test(test_missing_required_variables_give_one_error_naming_each),
	    cmocka_unit_test(test_empty_ids_count_as_missing),
	    cmocka_unit_test(test_checkpointing_requires_recovery_timeout_and_backoff_max),
	    cmocka_unit_test(test_without_checkpointing_recovery_settings_are_optional),
	    cmocka_unit_test(test_checkpoint_accepts_true_and_refuses_garbage),
	    cmocka_unit_test(test_mesos_durations_are_read_in_stout_syntax),
	    cmocka_unit_test(test_bad_durations_name_the_variable_and_the_expected_form),
	    cmocka_unit_test(test_allegro_durations_are_read_in_go_syntax),
	    cmocka_unit_test(test_bad_numbers_and_booleans_name_the_variable),
	    cmocka_unit_test(test_documented_api_path_and_http_timeout_work),
	    cmocka_unit_test(test_old_apip_ath_and_httpt_imeout_spellings_are_fallbacks),
	    cmocka_unit_test(test_bad_old_spelling_is_reported),
	    cmocka_unit_test(test_api_path_must_start_with_a_slash_and_scheme_be_http_or_https),
	    cmocka_unit_test(test_libprocess_ssl_enabled_makes_https_the_default_scheme),
	    cmocka_unit_test(
	        test_libprocess_tls_settings_verify_unless_ours_says_and_name_a_client_cert),
	    cmocka_unit_test(test_slave_pid_gives_the_endpoint),
	    cmocka_unit_test(test_agent_endpoint_wins_over_slave_pid),
	    cmocka_unit_test(test_malformed_slave_pid_leaves_the_endpoint_missing),
	    cmocka_unit_test(test_domain_socket_gives_the_prefixed_path_over_the_socket),
	    cmocka_unit_test(test_encoding_is_protobuf_or_json_and_nothing_else),
	    cmocka_unit_test(test_help_lists_every_variable_with_its_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
