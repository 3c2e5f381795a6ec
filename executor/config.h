/* The executor's configuration, from the environment the Mesos agent gives
 * it (Mesos src/slave/slave.cpp, executorEnvironment; docs/configuration.md)
 * and ALLEGRO_EXECUTOR_* variables (the Go executor's names and
 * defaults). One table describes every variable: it drives both parsing and
 * `executor --help`, so the two cannot disagree. */
#ifndef EXECUTOR_CONFIG_H
#define EXECUTOR_CONFIG_H

#include "common/envcfg.h"
#include "proto/mesos.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct ex_config {
	/* from the agent (all strings owned) */
	char *framework_id, *executor_id, *agent_id;
	char *agent_endpoint; /* "IP:PORT" */
	char *agent_pid;      /* "slave(1)@IP:PORT" */
	char *directory;      /* MESOS_DIRECTORY, for logs */
	char *mesos_sandbox;  /* MESOS_SANDBOX, for logs */
	/* Where the task, probes and hook commands run: the directory the
	 * agent started the executor in (its sandbox). Not MESOS_SANDBOX: a
	 * task's own environment can override that variable. */
	char *sandbox;
	char *domain_socket;
	char *auth_token; /* removed from the environment once read; never logged */
	bool checkpoint;
	int64_t shutdown_grace_ns, recovery_timeout_ns, backoff_max_ns;
	/* libprocess' SSL settings, as an SSL agent's operator passes them to
	 * executors (--executor_environment_variables) */
	bool ssl_enabled, ssl_verify_server_cert, ssl_verify_cert;
	char *ssl_ca_file, *ssl_ca_dir;
	char *ssl_cert_file, *ssl_key_file; /* presented to an agent that requires one */

	/* ALLEGRO_EXECUTOR_* */
	bool debug;
	char *api_path, *api_scheme;
	enum mesos_encoding encoding;
	bool tls_verify;
	int64_t http_timeout_ns;
	int64_t kill_grace_ns;
	long update_buffer;
	int64_t update_wait_ns;
	int64_t hook_timeout_ns;
	char *sigterm_exclude; /* comma-separated process names spared from SIGTERM */

	/* log shipping (executor/logship/logship.h), certificate expiry (cert.h),
	 * metrics (metrics.h), error reports (sentry.h) */
	long servicelog_buffer;       /* lines */
	char *servicelog_ignore_keys; /* comma-separated */
	bool servicelog_copy_output;
	int64_t servicelog_flush_ns;
	char *logstash_protocol, *logstash_address, *logstash_service;
	int64_t logstash_refresh_ns;
	long logstash_rate_limit, logstash_size_limit; /* 0: none */
	int64_t logstash_keepalive_ns, logstash_timeout_ns;
	int64_t cert_random_range_ns;
	char *graphite_host, *graphite_prefix;
	long graphite_port;
	int64_t metrics_interval_ns;
	char *sentry_dsn; /* never logged */

	/* derived */
	char *url;       /* the executor API URL */
	char *unix_path; /* connect through this socket (MESOS_DOMAIN_SOCKET) */
};

/* Reads everything; problems are collected in e (one message per variable).
 * `lookup` NULL means getenv. Returns 0, or -1 when e->nerrors > 0. */
int ex_config_load(struct ex_config *c, struct envcfg *e);
void ex_config_free(struct ex_config *c);
/* Prints every variable with its default and meaning. */
void ex_config_help(FILE *out);

/* What the command line asks for. Marathon's custom-executor form
 * (`exec '<executor>' <cmd>`) passes the app's command line as the
 * executor's arguments, so only a sole `--help` or `--version` changes what
 * the executor does; any other arguments are the task's and ignored (the
 * command is taken from the TaskInfo). */
enum ex_cli { EX_CLI_RUN, EX_CLI_HELP, EX_CLI_VERSION };
enum ex_cli ex_config_cli(int argc, char *const *argv);

/* Whether an environment entry ("NAME=value") must never reach the task:
 * ALLEGRO_EXECUTOR_*, tokens and keys of the executor. */
bool ex_config_is_secret_env(const char *entry);

#endif
