/* Table-driven configuration (see config.h). */
#include "config.h"

#include "common/duration.h"
#include "hooks/hook.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind {
	K_STR,
	K_BOOL,
	K_DURATION,
	K_MESOS_DURATION,
	K_LONG,
	K_LIMIT, /* a count where 0 means none */
	K_ENCODING,
	K_CHECKPOINT
};

struct setting {
	const char *name;
	enum kind kind;
	size_t offset;
	const char *def; /* NULL: no default */
	const char *help;
};

#define F(field) offsetof(struct ex_config, field)

static const struct setting settings[] = {
    /* Set by the Mesos agent. */
    {"MESOS_FRAMEWORK_ID", K_STR, F(framework_id), NULL, "framework id (required)"},
    {"MESOS_EXECUTOR_ID", K_STR, F(executor_id), NULL, "executor id (required)"},
    {"MESOS_AGENT_ENDPOINT", K_STR, F(agent_endpoint), NULL,
     "agent IP:PORT (required unless MESOS_SLAVE_PID or MESOS_DOMAIN_SOCKET is set)"},
    {"MESOS_SLAVE_PID", K_STR, F(agent_pid), NULL, "agent libprocess pid, slave(1)@IP:PORT"},
    {"MESOS_SLAVE_ID", K_STR, F(agent_id), NULL, "agent id"},
    {"MESOS_DIRECTORY", K_STR, F(directory), NULL, "sandbox path on the host"},
    {"MESOS_SANDBOX", K_STR, F(mesos_sandbox), NULL,
     "sandbox path as the task sees it (the task runs in the executor's working directory, "
     "which the agent makes the sandbox)"},
    {"MESOS_CHECKPOINT", K_CHECKPOINT, F(checkpoint), "0",
     "1 when the framework checkpoints: survive agent restarts"},
    {"MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", K_MESOS_DURATION, F(shutdown_grace_ns), "5secs",
     "time the agent gives the executor to shut down: SIGKILL by this minus 2secs, "
     "BeforeTerminate hooks cut short to leave the task its share"},
    {"MESOS_RECOVERY_TIMEOUT", K_MESOS_DURATION, F(recovery_timeout_ns), "15mins",
     "with checkpointing (required then): how long to wait for a restarted agent"},
    {"MESOS_SUBSCRIPTION_BACKOFF_MAX", K_MESOS_DURATION, F(backoff_max_ns), "2secs",
     "with checkpointing (required then): largest random wait between re-SUBSCRIBEs"},
    {"MESOS_DOMAIN_SOCKET", K_STR, F(domain_socket), NULL,
     "talk to the agent through this Unix socket"},
    /* libprocess' SSL settings, given to executors of an agent with SSL. */
    {"LIBPROCESS_SSL_ENABLED", K_BOOL, F(ssl_enabled), "false",
     "the agent speaks SSL: https becomes the default ALLEGRO_EXECUTOR_API_SCHEME"},
    {"LIBPROCESS_SSL_VERIFY_SERVER_CERT", K_BOOL, F(ssl_verify_server_cert), "false",
     "verify the agent's certificate unless ALLEGRO_EXECUTOR_TLS_VERIFY says otherwise"},
    {"LIBPROCESS_SSL_VERIFY_CERT", K_BOOL, F(ssl_verify_cert), "false",
     "the same, as Mesos before 1.10 spelled it"},
    {"LIBPROCESS_SSL_CA_FILE", K_STR, F(ssl_ca_file), NULL,
     "CA certificates (PEM) to verify the agent with, instead of the system's"},
    {"LIBPROCESS_SSL_CA_DIR", K_STR, F(ssl_ca_dir), NULL,
     "directory of hashed CA certificates to verify the agent with"},
    {"LIBPROCESS_SSL_CERT_FILE", K_STR, F(ssl_cert_file), NULL,
     "client certificate (PEM) for an agent that requires one (with LIBPROCESS_SSL_KEY_FILE)"},
    {"LIBPROCESS_SSL_KEY_FILE", K_STR, F(ssl_key_file), NULL,
     "the client certificate's private key (PEM)"},
    {"MESOS_EXECUTOR_AUTHENTICATION_TOKEN", K_STR, F(auth_token), NULL,
     "bearer token for a secured agent (removed from the environment, never logged)"},
    /* The Go executor's names and defaults. */
    {"ALLEGRO_EXECUTOR_DEBUG", K_BOOL, F(debug), "false", "debug logging"},
    {"ALLEGRO_EXECUTOR_API_PATH", K_STR, F(api_path), "/api/v1/executor",
     "path of the agent's executor API"},
    {"ALLEGRO_EXECUTOR_API_SCHEME", K_STR, F(api_scheme), NULL,
     "http, or https for an agent with SSL (default: https with LIBPROCESS_SSL_ENABLED, else "
     "http)"},
    {"ALLEGRO_EXECUTOR_API_ENCODING", K_ENCODING, F(encoding), "protobuf",
     "protobuf or json, for calls and the event stream"},
    {"ALLEGRO_EXECUTOR_TLS_VERIFY", K_BOOL, F(tls_verify), "false",
     "verify the agent's TLS certificate (libprocess does not by default; "
     "LIBPROCESS_SSL_VERIFY_SERVER_CERT turns it on when this is unset)"},
    {"ALLEGRO_EXECUTOR_HTTP_TIMEOUT", K_DURATION, F(http_timeout_ns), "10s",
     "time for SUBSCRIBE to connect and be answered, and the timeout of every other call"},
    {"ALLEGRO_EXECUTOR_KILL_POLICY_GRACE_PERIOD", K_DURATION, F(kill_grace_ns), "5s",
     "grace between SIGTERM and SIGKILL when neither the KILL nor the task has a kill policy"},
    {"ALLEGRO_EXECUTOR_STATE_UPDATE_BUFFER_SIZE", K_LONG, F(update_buffer), "1024",
     "most status updates kept unacknowledged"},
    {"ALLEGRO_EXECUTOR_STATE_UPDATE_WAIT_TIMEOUT", K_DURATION, F(update_wait_ns), "5s",
     "how long to wait for the acknowledgement of the terminal update before exiting"},
    {"ALLEGRO_EXECUTOR_HOOK_TIMEOUT", K_DURATION, F(hook_timeout_ns), "10m",
     "longest the whole chain of hooks may take for one event (more than the built-in hooks' "
     "own limits add up to)"},
    {"ALLEGRO_EXECUTOR_SIGTERM_EXCLUDE_PROCESSES", K_STR, F(sigterm_exclude), NULL,
     "comma-separated process names that get no SIGTERM (they still get SIGKILL)"},
    /* Log shipping for tasks labelled log-scraping=logstash. */
    {"ALLEGRO_EXECUTOR_SERVICELOG_BUFFER_SIZE", K_LONG, F(servicelog_buffer), "2000",
     "log lines waiting for Logstash at most; more are dropped and counted"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_IGNORE_KEYS", K_STR, F(servicelog_ignore_keys), NULL,
     "comma-separated keys removed from the task's JSON log lines"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_COPY_OUTPUT", K_BOOL, F(servicelog_copy_output), "true",
     "also write the task's output to the sandbox's stdout/stderr files"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_FLUSH_TIMEOUT", K_DURATION, F(servicelog_flush_ns), "1s",
     "how long the executor keeps shipping the last lines when it exits"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_PROTOCOL", K_STR, F(logstash_protocol), "tcp",
     "tcp or udp"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_ADDRESS", K_STR, F(logstash_address), NULL,
     "Logstash host:port"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_DISCOVERY_SERVICE_NAME", K_STR, F(logstash_service),
     NULL, "instead of an address: the Consul service whose passing instances get the logs"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_DISCOVERY_REFRESH_INTERVAL", K_DURATION,
     F(logstash_refresh_ns), "1s", "how often Consul is asked for the Logstash instances"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_RATE_LIMIT", K_LIMIT, F(logstash_rate_limit), "0",
     "log lines per second sent at most (0: no limit); more are dropped and counted"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_SIZE_LIMIT", K_LIMIT, F(logstash_size_limit), "0",
     "bytes per log entry at most (0: no limit); bigger ones are dropped and counted"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_TCP_KEEP_ALIVE", K_DURATION, F(logstash_keepalive_ns),
     "5s", "TCP keep-alive idle time of Logstash connections"},
    {"ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_TCP_TIMEOUT", K_DURATION, F(logstash_timeout_ns), "2s",
     "TCP connect timeout for Logstash"},
    /* Certificate expiry for tasks labelled validate-certificate=true. */
    {"ALLEGRO_EXECUTOR_RANDOM_EXPIRATION_RANGE", K_DURATION, F(cert_random_range_ns), "3h",
     "the task is killed a random time within this range before its CERTIFICATE expires "
     "(0: 3h)"},
    /* Metrics and error reports. */
    {"ALLEGRO_EXECUTOR_GRAPHITE_HOST", K_STR, F(graphite_host), NULL,
     "send metrics to this Graphite (plaintext protocol); unset: log them"},
    {"ALLEGRO_EXECUTOR_GRAPHITE_PORT", K_LONG, F(graphite_port), "2003", "Graphite's port"},
    {"ALLEGRO_EXECUTOR_GRAPHITE_PREFIX", K_STR, F(graphite_prefix), "allegro.executor",
     "metric path prefix, followed by .<host>.<executor id>"},
    {"ALLEGRO_EXECUTOR_METRICS_INTERVAL", K_DURATION, F(metrics_interval_ns), "1m",
     "how often metrics are sent or logged"},
    {"ALLEGRO_EXECUTOR_SENTRY_DSN", K_STR, F(sentry_dsn), NULL,
     "report error log lines to this Sentry DSN (never logged; off in the local environment)"},
    {NULL, 0, 0, NULL, NULL},
};

/* Compatibility spellings the Go executor actually read (envconfig 1.3 split
 * acronyms oddly). The documented names win. */
static const struct {
	const char *old, *name;
} aliases[] = {
    {"ALLEGRO_EXECUTOR_APIP_ATH", "ALLEGRO_EXECUTOR_API_PATH"},
    {"ALLEGRO_EXECUTOR_HTTPT_IMEOUT", "ALLEGRO_EXECUTOR_HTTP_TIMEOUT"},
};

static const char *lookup(struct envcfg *e, const char *name)
{
	const char *v = envcfg_get(e, name);
	for (size_t i = 0; !v && i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].name, name) == 0)
			v = envcfg_get(e, aliases[i].old);
	return v;
}

static void load_one(struct ex_config *c, struct envcfg *e, const struct setting *s)
{
	void *p = (char *)c + s->offset;
	const char *v = lookup(e, s->name);
	const char *use = v ? v : s->def;

	switch (s->kind) {
	case K_STR:
		*(char **)p = use ? strdup(use) : NULL;
		break;
	case K_BOOL:
		*(bool *)p = envcfg_bool(e, s->name, v, strcmp(s->def, "true") == 0);
		break;
	case K_CHECKPOINT: /* the agent writes 1/0; accept the doc's true/false too */
		*(bool *)p = envcfg_bool(e, s->name, v, false);
		break;
	case K_DURATION: {
		int64_t def = 0;
		duration_parse(s->def, &def);
		*(int64_t *)p = envcfg_duration(e, s->name, v, def);
		break;
	}
	case K_MESOS_DURATION: {
		int64_t def = 0;
		duration_parse(s->def, &def);
		/* Mesos' own spelling first; Go's is accepted as a courtesy. */
		int64_t ns;
		if (v && duration_parse_mesos(v, &ns) != 0 && duration_parse_go(v, &ns) == 0)
			*(int64_t *)p = ns;
		else
			*(int64_t *)p = envcfg_mesos_duration(e, s->name, v, def);
		break;
	}
	case K_LONG:
		*(long *)p = envcfg_long(e, s->name, v, atol(s->def), 1, 1000000);
		break;
	case K_LIMIT:
		*(long *)p = envcfg_long(e, s->name, v, atol(s->def), 0, 1000000000);
		break;
	case K_ENCODING:
		if (strcmp(use, "protobuf") == 0)
			*(enum mesos_encoding *)p = MESOS_PROTOBUF;
		else if (strcmp(use, "json") == 0)
			*(enum mesos_encoding *)p = MESOS_JSON;
		else
			envcfg_fail(e, "%s: expected protobuf or json, got '%s'", s->name, use);
		break;
	}
}

/* "slave(1)@10.0.0.1:5051" -> "10.0.0.1:5051" */
static char *endpoint_from_pid(const char *pid)
{
	const char *at = pid ? strchr(pid, '@') : NULL;
	return at && at[1] ? strdup(at + 1) : NULL;
}

int ex_config_load(struct ex_config *c, struct envcfg *e)
{
	memset(c, 0, sizeof(*c));
	for (const struct setting *s = settings; s->name; s++)
		load_one(c, e, s);

	char missing[512] = "";
	if (!c->framework_id || !*c->framework_id)
		strcat(missing, " MESOS_FRAMEWORK_ID");
	if (!c->executor_id || !*c->executor_id)
		strcat(missing, " MESOS_EXECUTOR_ID");
	if (!c->agent_endpoint && !c->domain_socket)
		c->agent_endpoint = endpoint_from_pid(c->agent_pid);
	if (!c->agent_endpoint && !c->domain_socket)
		strcat(missing, " MESOS_AGENT_ENDPOINT");
	if (c->checkpoint) {
		if (!lookup(e, "MESOS_RECOVERY_TIMEOUT"))
			strcat(missing, " MESOS_RECOVERY_TIMEOUT");
		if (!lookup(e, "MESOS_SUBSCRIPTION_BACKOFF_MAX"))
			strcat(missing, " MESOS_SUBSCRIPTION_BACKOFF_MAX");
	}
	if (missing[0])
		envcfg_fail(e, "missing required variables:%s", missing);
	/* What libprocess does for its own executors, unless said otherwise. */
	if (!c->api_scheme)
		c->api_scheme = strdup(c->ssl_enabled ? "https" : "http");
	if (!lookup(e, "ALLEGRO_EXECUTOR_TLS_VERIFY"))
		c->tls_verify = c->ssl_verify_server_cert || c->ssl_verify_cert;
	if (!c->ssl_cert_file != !c->ssl_key_file)
		envcfg_fail(e, "LIBPROCESS_SSL_CERT_FILE and LIBPROCESS_SSL_KEY_FILE go together: "
		               "give both or neither");
	if (c->api_scheme && strcmp(c->api_scheme, "http") != 0 &&
	    strcmp(c->api_scheme, "https") != 0)
		envcfg_fail(e, "ALLEGRO_EXECUTOR_API_SCHEME: expected http or https, got '%s'",
		            c->api_scheme);
	if (c->graphite_port > 65535)
		envcfg_fail(e, "ALLEGRO_EXECUTOR_GRAPHITE_PORT: expected 1 to 65535, got %ld",
		            c->graphite_port);
	if (c->logstash_protocol && strcmp(c->logstash_protocol, "tcp") != 0 &&
	    strcmp(c->logstash_protocol, "udp") != 0)
		envcfg_fail(e,
		            "ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_PROTOCOL: expected tcp or udp, "
		            "got '%s'",
		            c->logstash_protocol);
	if (c->api_path && c->api_path[0] != '/')
		envcfg_fail(
		    e, "ALLEGRO_EXECUTOR_API_PATH: expected a path starting with '/', got '%s'",
		    c->api_path);
	if (e->nerrors)
		return -1;

	char cwd[4096];
	c->sandbox = strdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	/* Over the agent's Unix socket only the prefixed path is allowed. */
	if (c->domain_socket) {
		c->unix_path = strdup(c->domain_socket);
		if (asprintf(&c->url, "http://localhost/slave(1)%s", c->api_path) < 0)
			c->url = NULL;
	} else if (asprintf(&c->url, "%s://%s%s", c->api_scheme, c->agent_endpoint, c->api_path) <
	           0) {
		c->url = NULL;
	}
	return c->url ? 0 : -1;
}

void ex_config_free(struct ex_config *c)
{
	for (const struct setting *s = settings; s->name; s++)
		if (s->kind == K_STR)
			free(*(char **)((char *)c + s->offset));
	free(c->url);
	free(c->unix_path);
	free(c->sandbox); /* not a setting: the working directory */
	memset(c, 0, sizeof(*c));
}

void ex_config_help(FILE *out)
{
	fprintf(out,
	        "Usage: executor [--help | --version]\n"
	        "(any other arguments are the task's command line, as Marathon passes it; the\n"
	        "command is taken from the TaskInfo)\n\n"
	        "A Mesos executor for one task, configured entirely by environment variables:\n"
	        "the Mesos agent sets the MESOS_* ones; the rest are optional.\n\n");
	for (const struct setting *s = settings; s->name; s++)
		fprintf(out, "  %-44s %s%s%s%s\n", s->name, s->help, s->def ? " [default: " : "",
		        s->def ? s->def : "", s->def ? "]" : "");
	fprintf(out, "\nHooks (each setting also read without the ALLEGRO_EXECUTOR_ prefix):\n");
	for (const struct hook_setting *h = hook_settings; h->name; h++)
		fprintf(out, "  %-44s %s%s%s%s\n", h->name, h->help, h->def ? " [default: " : "",
		        h->def ? h->def : "", h->def ? "]" : "");
	fprintf(out, "\nDurations: Go syntax (5s, 1m30s) for ALLEGRO_EXECUTOR_*, Mesos syntax "
	             "(5secs, 15mins) for MESOS_*.\n");
}

enum ex_cli ex_config_cli(int argc, char *const *argv)
{
	if (argc != 2)
		return EX_CLI_RUN;
	if (strcmp(argv[1], "--help") == 0)
		return EX_CLI_HELP;
	if (strcmp(argv[1], "--version") == 0)
		return EX_CLI_VERSION;
	return EX_CLI_RUN;
}

bool ex_config_is_secret_env(const char *entry)
{
	static const char *names[] = {
	    "CONSUL_TOKEN=", "CONSUL_HTTP_TOKEN=", "CONSUL_HTTP_AUTH=",
	    "VAAS_TOKEN=",   "VAAS_USERNAME=",     "MESOS_EXECUTOR_AUTHENTICATION_TOKEN=",
	    "SENTRY_DSN="};
	if (strncmp(entry, "ALLEGRO_EXECUTOR", 16) == 0)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}
