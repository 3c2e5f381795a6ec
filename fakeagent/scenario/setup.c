/* Starting what a scenario file asks for, in order: its settings checked,
 * fakeconsul and fakevaas when "services" names them (their addresses put
 * in the executor's environment), the agent with the file's "agent"
 * settings, then the task or the Marathon app launched and the executor's
 * log opened. */
#include "scenario.h"
#include "fakeagent/agent/container.h"
#include "fakeagent/marathon/load.h"

#include "common/duration.h"
#include "common/envlist.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int add_env(struct scenario *sc, const char *k, const char *v, bool keep_existing)
{
	if (keep_existing && envlist_get(sc->env.v, k))
		return 0;
	return envlist_set(&sc->env, k, v);
}

int scenario_agent_settings(struct scenario *sc, struct fa_config *cfg, char *err, size_t errlen)
{
	const cJSON *ag = cJSON_GetObjectItemCaseSensitive(sc->doc, "agent");
	const cJSON *kv;
	if (ag && !cJSON_IsObject(ag)) {
		snprintf(err, errlen, "%s: agent: expected an object", sc->file);
		return -1;
	}
	cJSON_ArrayForEach (kv, ag) {
		const char *k = kv->string;
		int64_t ns;
		int64_t *dur = !strcmp(k, "ack_delay")                ? &cfg->ack_delay
		               : !strcmp(k, "heartbeat_interval")     ? &cfg->heartbeat_interval
		               : !strcmp(k, "shutdown_grace")         ? &cfg->shutdown_grace
		               : !strcmp(k, "registration_timeout")   ? &cfg->registration_timeout
		               : !strcmp(k, "reregistration_timeout") ? &cfg->reregistration_timeout
		               : !strcmp(k, "recovery_timeout")       ? &cfg->recovery_timeout
		                                                      : NULL;
		if (dur) {
			if (!cJSON_IsString(kv) || duration_parse(kv->valuestring, &ns) < 0) {
				snprintf(err, errlen,
				         "%s: agent.%s: expected a duration (\"5secs\")", sc->file,
				         k);
				return -1;
			}
			*dur = ns;
		} else if (!strcmp(k, "domain_socket")) {
			if (!cJSON_IsBool(kv)) {
				snprintf(err, errlen, "%s: agent.%s: expected true or false",
				         sc->file, k);
				return -1;
			}
		} else if (!strcmp(k, "checkpoint") || !strcmp(k, "executor_auth")) {
			if (!cJSON_IsBool(kv)) {
				snprintf(err, errlen, "%s: agent.%s: expected true or false",
				         sc->file, k);
				return -1;
			}
			*(k[0] == 'c' ? &cfg->checkpoint : &cfg->executor_auth) = cJSON_IsTrue(kv);
		} else if (!strcmp(k, "containers")) {
			if (!cJSON_IsString(kv) ||
			    (cfg->containers = container_kind_parse(kv->valuestring)) < 0) {
				snprintf(
				    err, errlen,
				    "%s: agent.%s: expected \"auto\", \"cgroup\" or \"subreaper\"",
				    sc->file, k);
				return -1;
			}
		} else if (!strcmp(k, "drop_acks") && cJSON_IsNumber(kv)) {
			cfg->drop_acks = kv->valueint;
		} else if (!strcmp(k, "only_encoding") && cJSON_IsString(kv) &&
		           (!strcmp(kv->valuestring, "json") ||
		            !strcmp(kv->valuestring, "protobuf"))) {
			cfg->only_encoding =
			    !strcmp(kv->valuestring, "json") ? MESOS_JSON : MESOS_PROTOBUF;
		} else if (!strcmp(k, "capabilities") && cJSON_IsArray(kv)) {
			const cJSON *c;
			cJSON_ArrayForEach (c, kv) {
				const char *name = cJSON_IsString(c) ? c->valuestring : "";
				bool remove = name[0] == '-';
				int cap = fa_capability_parse(name + remove);
				if (cap < 0) {
					snprintf(err, errlen,
					         "%s: agent.capabilities: unknown '%s'", sc->file,
					         name);
					return -1;
				}
				if (remove)
					cfg->capabilities &= ~(1u << cap);
				else
					cfg->capabilities |= 1u << cap;
			}
		} else if (!strcmp(k, "executor_env") && cJSON_IsObject(kv)) {
			const cJSON *e;
			cJSON_ArrayForEach (e, kv) {
				if (!cJSON_IsString(e)) {
					snprintf(err, errlen,
					         "%s: agent.executor_env.%s: expected a string",
					         sc->file, e->string);
					return -1;
				}
				add_env(sc, e->string, e->valuestring, false);
			}
		} else {
			snprintf(err, errlen, "%s: agent.%s: unknown setting or wrong type",
			         sc->file, k);
			return -1;
		}
	}
	return 0;
}

/* A helper server's binary, where an install or a build puts it: beside
 * fakeagent (the package puts all four in /usr/bin), then in the build tree
 * (build/fakeagent/fakeagent -> build/<name>/<name>), then on PATH. NULL
 * when none is executable; the caller frees. */
static char *helper_binary(const char *name)
{
	char self[PATH_MAX], *path = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		const char *dir = dirname(self);
		if (asprintf(&path, "%s/%s", dir, name) >= 0 && access(path, X_OK) == 0)
			return path;
		free(path);
		if (asprintf(&path, "%s/../%s/%s", dir, name, name) >= 0 && access(path, X_OK) == 0)
			return path;
		free(path);
	}
	const char *env = getenv("PATH");
	for (const char *p = env ? env : ""; *p;) {
		size_t len = strcspn(p, ":");
		if (len && asprintf(&path, "%.*s/%s", (int)len, p, name) >= 0) {
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
		p += len + (p[len] == ':');
	}
	return NULL;
}

static cJSON *load_ref(struct scenario *sc, const cJSON *ref, char *err, size_t errlen, char *what,
                       size_t what_len)
{
	if (cJSON_IsObject(ref)) {
		snprintf(what, what_len, "%s (inline %s)", sc->file, ref->string);
		return cJSON_Duplicate(ref, true);
	}
	if (!cJSON_IsString(ref)) {
		snprintf(err, errlen, "%s: %s: expected a file name or an object", sc->file,
		         ref->string);
		return NULL;
	}
	if (ref->valuestring[0] == '/')
		snprintf(what, what_len, "%s", ref->valuestring);
	else
		snprintf(what, what_len, "%s/%s", sc->dir, ref->valuestring);
	return load_json_file(what, err, errlen);
}

int scenario_setup(struct scenario *sc, char *err, size_t errlen)
{
	char what[PATH_MAX + 64];
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(sc->doc, "task");
	const cJSON *app = cJSON_GetObjectItemCaseSensitive(sc->doc, "app");
	if (!sc->opts->executor) {
		snprintf(err, errlen, "no executor binary: pass --executor PATH");
		return -1;
	}
	sc->tl.brief = sc->brief;
	struct fa_config cfg = sc->cfg; /* read by scenario_load */
	cfg.listen = "127.0.0.1:0";
	cfg.hostname = "localhost";
	char agent_dir[PATH_MAX], sock[PATH_MAX];
	snprintf(agent_dir, sizeof(agent_dir), "%s/agent", sc->work_dir);
	cfg.work_dir = agent_dir;
	/* "domain_socket": true serves the executor API on a Unix socket too
	 * (MESOS_DOMAIN_SOCKET), as --http_executor_domain_sockets does. */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(sc->doc, "agent"), "domain_socket"))) {
		snprintf(sock, sizeof(sock), "%s/agent.sock", sc->work_dir);
		cfg.domain_socket = sock;
	}

	char *bin;
	if (sc->want_consul) {
		bin = sc->opts->fakeconsul ? strdup(sc->opts->fakeconsul)
		                           : helper_binary("fakeconsul");
		int rc = sidecar_start(&sc->consul, sc->loop, "fakeconsul", bin, sc->work_dir, err,
		                       errlen);
		free(bin);
		if (rc < 0)
			return -1;
		timeline_printf(&sc->tl, "scenario", "fakeconsul on %s (pid %d)", sc->consul.addr,
		                (int)sc->consul.pid);
		add_env(sc, "CONSUL_HTTP_ADDR", sc->consul.addr, true);
	}
	if (sc->want_vaas) {
		bin = sc->opts->fakevaas ? strdup(sc->opts->fakevaas) : helper_binary("fakevaas");
		int rc =
		    sidecar_start(&sc->vaas, sc->loop, "fakevaas", bin, sc->work_dir, err, errlen);
		free(bin);
		if (rc < 0)
			return -1;
		timeline_printf(&sc->tl, "scenario", "fakevaas on %s (pid %d)", sc->vaas.addr,
		                (int)sc->vaas.pid);
		char url[200];
		snprintf(url, sizeof(url), "http://%s", sc->vaas.addr);
		add_env(sc, "ALLEGRO_EXECUTOR_VAAS_HOST", url, true);
		add_env(sc, "ALLEGRO_EXECUTOR_VAAS_USERNAME", "admin", true);
		add_env(sc, "ALLEGRO_EXECUTOR_VAAS_TOKEN", "vagrant_api_key", true);
	}
	add_env(sc, "CLOUD_DC", "dc1", true);
	add_env(sc, "CLOUD_PUBLIC_IP", "127.0.0.1", true);
	cfg.executor_env = (const char *const *)sc->env.v;

	sc->agent = fa_agent_new(sc->loop, &cfg, err, errlen);
	if (!sc->agent)
		return -1;
	fa_agent_set_observer(sc->agent, scenario_observe, sc);
	timeline_printf(&sc->tl, "scenario", "agent on %s, work dir %s",
	                fa_agent_address(sc->agent), sc->work_dir);

	cJSON *doc = load_ref(sc, task ? task : app, err, errlen, what, sizeof(what));
	if (!doc)
		return -1;
	struct load_result lr;
	struct load_target to = {fa_agent_id(sc->agent), fa_agent_hostname(sc->agent),
	                         sc->opts->executor};
	int rc = task ? load_task_json(&to, doc, what, &lr, err, errlen)
	              : load_app_json(&to, doc, what, &lr, err, errlen);
	cJSON_Delete(doc);
	if (rc < 0)
		return -1;
	snprintf(sc->task_id, sizeof(sc->task_id), "%s", lr.task->task_id->value);
	if (sc->brief) {
		const char *eid = lr.executor ? lr.executor->executor_id->value : sc->task_id;
		timeline_printf(&sc->tl, "scenario", "task %s (${TASK_ID} below)", sc->task_id);
		if (strcmp(eid, sc->task_id))
			timeline_printf(&sc->tl, "scenario", "executor %s (${EXECUTOR_ID} below)",
			                eid);
		timeline_alias(&sc->tl, sc->task_id, "${TASK_ID}");
		if (strcmp(eid, sc->task_id))
			timeline_alias(&sc->tl, eid, "${EXECUTOR_ID}");
	}
	struct fa_launch l = {0};
	fa_launch_from(&l, &lr, sc->opts->executor);
	struct fa_task *t = fa_agent_launch(sc->agent, &l, err, errlen);
	load_free(&lr);
	if (!t)
		return -1;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/stderr", fa_executor_sandbox(fa_task_executor(t)));
	execlog_open(&sc->xlog, path);
	uv_timer_start(&sc->xlog_timer, scenario_log_timer, 100, 100);
	return 0;
}
