/* The hooks compiled into the executor, in the order they run (VaaS before
 * Consul, as the Go executor ran them), and the settings each one reads, for
 * `executor --help` and the docs. Keep hook_settings in step with the
 * init() functions of vaas.c, consul.c and exec.c; their duration defaults
 * are read from here (hook_setting_duration), so --help cannot disagree. */
#include "hook.h"

#include "common/duration.h"

#include <string.h>

extern struct hook hook_vaas, hook_consul, hook_exec;

struct hook *const hook_builtin[] = {&hook_vaas, &hook_consul, &hook_exec, NULL};

/* ALLEGRO_EXECUTOR_X settings also accept the bare X, as the Go executor did. */
const struct hook_setting hook_settings[] = {
    /* VaaS */
    {"ALLEGRO_EXECUTOR_VAAS_HOOK_ENABLED", "true",
     "Register tasks with a 'director' label as VaaS backends (also VAAS_HOOK_ENABLED)"},
    {"ALLEGRO_EXECUTOR_VAAS_HOST", "",
     "VaaS base URL, e.g. http://vaas.example:3030 (also VAAS_HOST)"},
    {"ALLEGRO_EXECUTOR_VAAS_USERNAME", "", "VaaS user (also VAAS_USERNAME)"},
    {"ALLEGRO_EXECUTOR_VAAS_TOKEN", "",
     "VaaS API key, sent only as 'Authorization: ApiKey user:key', never logged (also "
     "VAAS_TOKEN)"},
    {"ALLEGRO_EXECUTOR_VAAS_TIMEOUT", "10s", "Timeout of each VaaS request (4 tries at most)"},
    {"ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT", "5m",
     "How long to wait for VaaS to apply a backend it accepted with 202 (a VCL reload; VaaS's "
     "Celery soft limit is 300s)"},
    {"CLOUD_DC", "", "VaaS datacenter symbol (required for VaaS)"},
    {"VAAS_INITIAL_WEIGHT", "",
     "In the TASK's environment: backend weight 0-100, over a 'weight:N'='tag' label"},
    /* Consul */
    {"ALLEGRO_EXECUTOR_CONSUL_HOOK_ENABLED", "true",
     "Register tasks with a 'consul' label in the local Consul agent (also "
     "CONSUL_HOOK_ENABLED)"},
    {"CONSUL_HTTP_ADDR", "127.0.0.1:8500",
     "Consul agent: host:port, http://host:port[/prefix], https://host:port[/prefix] or "
     "unix:///path/to.sock"},
    {"CONSUL_HTTP_SSL", "false", "Use https (also with an http:// address, as Consul's client)"},
    {"CONSUL_HTTP_SSL_VERIFY", "true", "Verify the Consul agent's certificate"},
    {"CONSUL_CACERT", "", "CA certificates (PEM) to verify the Consul agent with"},
    {"CONSUL_CAPATH", "", "Directory of CA certificates to verify the Consul agent with"},
    {"CONSUL_CLIENT_CERT", "", "Client certificate (PEM) for a Consul agent that requires one"},
    {"CONSUL_CLIENT_KEY", "", "Its private key (PEM); both or neither"},
    {"CONSUL_TLS_SERVER_NAME", "",
     "Server name to ask for and verify instead of CONSUL_HTTP_ADDR's host"},
    {"CONSUL_HTTP_AUTH", "", "user[:password] for HTTP basic authentication; never logged"},
    {"ALLEGRO_EXECUTOR_CONSUL_TOKEN", "",
     "Consul ACL token, else CONSUL_TOKEN, else CONSUL_HTTP_TOKEN; sent only as "
     "X-Consul-Token, never logged"},
    {"CONSUL_HTTP_TOKEN_FILE", "",
     "File holding the ACL token; wins over the token variables when not empty"},
    {"ALLEGRO_EXECUTOR_CONSUL_GLOBAL_TAG", "marathon",
     "Tag on every service (marathon-consul reconciles by it; empty: none)"},
    {"ALLEGRO_EXECUTOR_INITIAL_HEALTH_CHECK_STATUS", "passing",
     "Initial status of the Consul check: passing, warning or critical"},
    {"ALLEGRO_EXECUTOR_CONSUL_TIMEOUT", "5s", "Timeout of each Consul request (4 tries at most)"},
    /* Both */
    {"CLOUD_PUBLIC_IP", "",
     "Address of the services, as given; else a routable guess, never loopback: the agent "
     "hostname's IPv4, MESOS_AGENT_ENDPOINT's, the default route's source address"},
    /* exec */
    {"ALLEGRO_EXECUTOR_EXEC_HOOK", "",
     "Shell command run for every hook event with the event and task as JSON on stdin; on "
     "BeforeTaskStart its KEY=VALUE output lines join the task's environment"},
    {"ALLEGRO_EXECUTOR_EXEC_HOOK_TIMEOUT", "30s",
     "The exec hook command is killed (with its process group) after this"},
    {0},
};

int64_t hook_setting_duration(const char *name)
{
	int64_t ns = 0;
	for (const struct hook_setting *h = hook_settings; h->name; h++)
		if (strcmp(h->name, name) == 0 && h->def && duration_parse(h->def, &ns) == 0)
			return ns;
	return 0;
}
