/* Shared command-line parsing and process setup (see cli.h). */
#include "cli.h"

#include "common/duration.h"
#include "fakeagent/agent/container.h"
#include "fakekit/fakectl.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

const char cli_agent_usage[] =
    "agent options:\n"
    "  --listen HOST:PORT            executor API address (default 127.0.0.1:5051; port 0: any)\n"
    "  --allow-remote                allow a --listen address that is not loopback\n"
    "  --hostname NAME               AgentInfo.hostname and HOST (default: this host's name)\n"
    "  --work-dir DIR                sandboxes go below DIR (default: a temp dir, removed)\n"
    "  --keep-sandbox                keep the temp work dir at the end\n"
    "  --no-checkpoint               framework does not checkpoint: MESOS_CHECKPOINT=0, no\n"
    "                                recovery vars (default: it does, as Marathon's)\n"
    "  --capability [-]NAME          add (or with '-' remove) a framework capability; default:\n"
    "                                PARTITION_AWARE REGION_AWARE MULTI_ROLE, as Marathon\n"
    "  --executor-env KEY=VALUE      the agent's --executor_environment_variables (repeatable)\n"
    "  --only-encoding json|protobuf answer the other one with 415/406\n"
    "  --ack-delay D                 acknowledge updates after D\n"
    "  --drop-acks N                 drop each executor's first N acknowledgements\n"
    "  --heartbeat-interval D        HEARTBEAT events every D (default 30mins)\n"
    "  --shutdown-grace D            executor shutdown grace (default 5secs)\n"
    "  --registration-timeout D      executor must subscribe within D (default 1mins)\n"
    "  --reregistration-timeout D    ... and re-subscribe within D after a restart (default "
    "2secs)\n"
    "  --recovery-timeout D          MESOS_RECOVERY_TIMEOUT (default 15mins)\n"
    "  --domain-socket PATH          also serve the executor API on this Unix socket\n"
    "  --tls-cert FILE --tls-key FILE serve HTTPS (PEM) as an agent with SSL does; its\n"
    "                                executors need ALLEGRO_EXECUTOR_API_SCHEME=https\n"
    "  --executor-auth               give executors tokens; 401/403 without the right one\n"
    "  --containers auto|cgroup|subreaper  what holds each executor's processes, all\n"
    "                                killed when it is destroyed: a cgroup v2 of its own, or\n"
    "                                a subreaper init (auto: a cgroup when fakeagent may)\n"
    "durations: Mesos (5secs, 250ms, 2mins) or Go (5s, 250ms, 1m30s) spelling\n";

void cli_agent_init(struct cli_agent *ca)
{
	memset(ca, 0, sizeof(*ca));
	fa_config_defaults(&ca->cfg);
	ca->cfg.executor_env = ca->env;
}

int cli_value(int argc, char **argv, int *i, const char *name, const char **val, char *err,
              size_t errlen)
{
	const char *a = argv[*i];
	size_t nl = strlen(name);
	if (strncmp(a, name, nl) != 0)
		return 0;
	if (a[nl] == '=') {
		*val = a + nl + 1;
		return 1;
	}
	if (a[nl] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s needs a value", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

int cli_flag(char **argv, int i, const char *name)
{
	return strcmp(argv[i], name) == 0;
}

int cli_duration(const char *name, const char *val, int64_t *ns, char *err, size_t errlen)
{
	if (duration_parse(val, ns) < 0) {
		snprintf(err, errlen, "%s %s: expected a duration such as 5secs or 5s", name, val);
		return -1;
	}
	return 0;
}

int cli_agent_option(struct cli_agent *ca, int argc, char **argv, int *i, char *err, size_t errlen)
{
	struct fa_config *c = &ca->cfg;
	const char *v = NULL;
	int rc;

	/* --listen and --allow-remote: the options every fake takes */
	struct fakectl_opts net = {.listen = c->listen,
	                           .allow_remote = c->allow_remote,
	                           .tls_cert_file = c->tls_cert_file,
	                           .tls_key_file = c->tls_key_file};
	if ((rc = fakectl_parse_arg(&net, argc, argv, i, err, errlen)) != 0) {
		if (net.unix_socket) {
			snprintf(err, errlen,
			         "--unix-socket: the agent's socket is --domain-socket");
			return -1;
		}
		c->listen = net.listen;
		c->allow_remote = net.allow_remote;
		c->tls_cert_file = net.tls_cert_file;
		c->tls_key_file = net.tls_key_file;
		return rc;
	}
	if (cli_flag(argv, *i, "--no-checkpoint"))
		return c->checkpoint = false, 1;
	if (cli_flag(argv, *i, "--checkpoint")) /* the default; still accepted */
		return c->checkpoint = true, 1;
	if (cli_flag(argv, *i, "--executor-auth"))
		return c->executor_auth = true, 1;
	if (cli_flag(argv, *i, "--keep-sandbox"))
		return c->keep_work_dir = true, 1;
#define STR(opt, field)                                                                            \
	if ((rc = cli_value(argc, argv, i, opt, &v, err, errlen)) != 0) {                          \
		if (rc > 0)                                                                        \
			c->field = v;                                                              \
		return rc;                                                                         \
	}
#define DUR(opt, field)                                                                            \
	if ((rc = cli_value(argc, argv, i, opt, &v, err, errlen)) != 0)                            \
		return rc < 0 ? rc : cli_duration(opt, v, &c->field, err, errlen) < 0 ? -1 : 1;
	STR("--hostname", hostname)
	STR("--work-dir", work_dir)
	STR("--domain-socket", domain_socket)
	DUR("--ack-delay", ack_delay)
	DUR("--heartbeat-interval", heartbeat_interval)
	DUR("--shutdown-grace", shutdown_grace)
	DUR("--registration-timeout", registration_timeout)
	DUR("--reregistration-timeout", reregistration_timeout)
	DUR("--recovery-timeout", recovery_timeout)
#undef STR
#undef DUR
	if ((rc = cli_value(argc, argv, i, "--drop-acks", &v, err, errlen)) != 0) {
		if (rc < 0)
			return rc;
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 0 || n > 1000000) {
			snprintf(err, errlen, "--drop-acks %s: expected a count", v);
			return -1;
		}
		c->drop_acks = (int)n;
		return 1;
	}
	if ((rc = cli_value(argc, argv, i, "--containers", &v, err, errlen)) != 0) {
		if (rc < 0)
			return rc;
		if ((c->containers = container_kind_parse(v)) < 0) {
			snprintf(err, errlen, "--containers %s: expected auto, cgroup or subreaper",
			         v);
			return -1;
		}
		return 1;
	}
	if ((rc = cli_value(argc, argv, i, "--only-encoding", &v, err, errlen)) != 0) {
		if (rc < 0)
			return rc;
		if (!strcmp(v, "json"))
			c->only_encoding = MESOS_JSON;
		else if (!strcmp(v, "protobuf"))
			c->only_encoding = MESOS_PROTOBUF;
		else {
			snprintf(err, errlen, "--only-encoding %s: expected json or protobuf", v);
			return -1;
		}
		return 1;
	}
	if ((rc = cli_value(argc, argv, i, "--capability", &v, err, errlen)) != 0) {
		if (rc < 0)
			return rc;
		bool remove = v[0] == '-';
		int cap = fa_capability_parse(v + remove);
		if (cap < 0) {
			snprintf(err, errlen,
			         "--capability %s: unknown (TASK_KILLING_STATE, PARTITION_AWARE, "
			         "REGION_AWARE, MULTI_ROLE, GPU_RESOURCES, ...)",
			         v);
			return -1;
		}
		if (remove)
			c->capabilities &= ~(1u << cap);
		else
			c->capabilities |= 1u << cap;
		return 1;
	}
	if ((rc = cli_value(argc, argv, i, "--executor-env", &v, err, errlen)) != 0) {
		if (rc < 0)
			return rc;
		if (!strchr(v, '=') || v[0] == '=') {
			snprintf(err, errlen, "--executor-env %s: expected KEY=VALUE", v);
			return -1;
		}
		if (ca->n_env == CLI_MAX_ENV) {
			snprintf(err, errlen, "--executor-env: at most %d", CLI_MAX_ENV);
			return -1;
		}
		ca->env[ca->n_env++] = v;
		return 1;
	}
	return 0;
}

void cli_process_setup(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
}
