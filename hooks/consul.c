/* The Consul hook: registers the task's services in the local Consul agent
 * once the task is healthy, and deregisters every one of them before the task
 * receives SIGTERM. What gets registered is consul_map.c's business; this
 * file reads the settings and talks to the agent (PUT
 * /v1/agent/service/register, PUT /v1/agent/service/deregister/<id>),
 * reached as Consul's own client reaches it (consul_client.h: address, Unix
 * socket, TLS, basic auth, token).
 *
 * Unlike the Go executor: the address is never "<nil>" nor a guessed
 * loopback (CLOUD_PUBLIC_IP, else a routable address: hookhttp_local_address;
 * registration fails naming CLOUD_PUBLIC_IP when there is none), every service
 * carries `marathon-task:<taskId>`, requests have timeouts and bounded
 * retries, and the token travels only in the X-Consul-Token header and is
 * registered as a log secret. */
#include "common/duration.h"
#include "common/log.h"
#include "common/str.h"
#include "consul_client.h"
#include "consul_map.h"
#include "hook.h"
#include "http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONSUL_ATTEMPTS   4
#define CONSUL_BACKOFF_MS 250

struct consul_state {
	struct consul_client client; /* the agent's address, token, TLS (owned) */
	struct hookhttp_conn conn;   /* borrows client's strings */
	char *global_tag;            /* (owned) */
	char *initial_status;        /* (owned) */
	char *public_ip;             /* CLOUD_PUBLIC_IP or NULL (owned) */
	char *agent_endpoint;        /* MESOS_AGENT_ENDPOINT or NULL (owned) */
	int64_t timeout_ms;          /* per request attempt */
	int64_t deadline_ms;         /* the running chain's (hook_call.deadline_ms) */
	char **registered;           /* IDs of the services registered so far (owned) */
	size_t nregistered;
};

static void state_free(struct consul_state *st)
{
	if (!st)
		return;
	consul_client_free(&st->client);
	free(st->global_tag);
	free(st->initial_status);
	free(st->public_ip);
	free(st->agent_endpoint);
	strv_free_n(st->registered, st->nregistered);
	free(st);
}

static int consul_init(struct hook *h, struct envcfg *cfg)
{
	const char *used;
	int errors = cfg->nerrors;
	const char *v = envcfg_allegro(cfg, "CONSUL_HOOK_ENABLED", &used);
	/* A malformed value is an error, not "enabled": the hook stays off. */
	if (!envcfg_bool(cfg, used, v, true) || cfg->nerrors > errors)
		return 0;

	struct consul_state *st = calloc(1, sizeof(*st));
	if (!st) {
		envcfg_fail(cfg, "consul hook: out of memory");
		return 0;
	}

	if (consul_client_load(&st->client, cfg) == 0)
		st->conn = consul_client_conn(&st->client);

	v = envcfg_allegro(cfg, "CONSUL_GLOBAL_TAG", NULL);
	st->global_tag = strdup(v ? v : "marathon");

	v = envcfg_allegro(cfg, "INITIAL_HEALTH_CHECK_STATUS", &used);
	if (v && strcmp(v, "passing") != 0 && strcmp(v, "warning") != 0 &&
	    strcmp(v, "critical") != 0)
		envcfg_fail(cfg, "%s: expected passing, warning or critical, got '%s'", used, v);
	st->initial_status = strdup(v ? v : "passing");

	v = envcfg_allegro(cfg, "CONSUL_TIMEOUT", &used);
	int64_t timeout =
	    envcfg_duration(cfg, used, v, hook_setting_duration("ALLEGRO_EXECUTOR_CONSUL_TIMEOUT"));
	if (timeout < DURATION_NS_PER_MS)
		envcfg_fail(cfg, "%s: expected a duration of at least 1ms, got '%s'", used, v);
	st->timeout_ms = timeout / DURATION_NS_PER_MS;

	v = envcfg_get(cfg, "CLOUD_PUBLIC_IP");
	if (v && *v && !hookhttp_ip_family(v))
		envcfg_fail(cfg, "CLOUD_PUBLIC_IP: expected an IPv4 or IPv6 address, got '%s'", v);
	st->public_ip = str_dup_nonempty(v);
	st->agent_endpoint = str_dup_nonempty(envcfg_get(cfg, "MESOS_AGENT_ENDPOINT"));

	if (cfg->nerrors > errors || !st->client.base || !st->global_tag || !st->initial_status) {
		if (cfg->nerrors == errors)
			envcfg_fail(cfg, "consul hook: out of memory");
		state_free(st);
		return 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h->state = st;
	/* Two services with every retry, and some slack; the hook's own
	 * timeouts end it first. */
	h->timeout_ms =
	    2 * hookhttp_budget_ms(st->timeout_ms, CONSUL_ATTEMPTS, CONSUL_BACKOFF_MS) + 5000;
	return 1;
}

static int put(struct consul_state *st, const char *url, const char *body, struct hookhttp_res *res)
{
	const char *headers[] = {"Content-Type: application/json", st->client.token_header, NULL};
	return hookhttp_do(&(struct hookhttp_req){.method = "PUT",
	                                          .url = url,
	                                          .headers = headers,
	                                          .body = body ? body : "",
	                                          .body_len = body ? strlen(body) : 0,
	                                          .timeout_ms = st->timeout_ms,
	                                          .attempts = CONSUL_ATTEMPTS,
	                                          .backoff_ms = CONSUL_BACKOFF_MS,
	                                          .deadline_ms = st->deadline_ms,
	                                          .conn = &st->conn},
	                   res);
}

static int remember(struct consul_state *st, const char *id)
{
	for (size_t i = 0; i < st->nregistered; i++)
		if (strcmp(st->registered[i], id) == 0)
			return 0;
	char **v = realloc(st->registered, (st->nregistered + 1) * sizeof(*v));
	if (!v)
		return -1;
	st->registered = v;
	if (!(v[st->nregistered] = strdup(id)))
		return -1;
	st->nregistered++;
	return 0;
}

static int do_register(struct consul_state *st, const struct hook_call *call,
                       struct hook_result *res)
{
	char addr[64], err[512];
	const char *source;
	if (hookhttp_local_address(st->public_ip, 1, call->env ? call->env->agent_hostname : NULL,
	                           st->agent_endpoint, addr, sizeof(addr), &source, err,
	                           sizeof(err)) < 0)
		return hook_fail(res, "cannot register in Consul: %s", err);
	struct consul_map_settings s = {
	    .global_tag = st->global_tag, .initial_status = st->initial_status, .address = addr};
	struct consul_regs regs;
	if (consul_map(call->task, &s, &regs, err, sizeof(err)) < 0)
		return hook_fail(res, "cannot register in Consul: %s", err);
	if (regs.n == 0) {
		log_info("consul hook: task has no 'consul' label; not registering in Consul");
		return 0;
	}

	char *url;
	if (asprintf(&url, "%s/v1/agent/service/register", st->client.base) < 0) {
		consul_regs_free(&regs);
		return hook_fail(res, "out of memory");
	}
	int ret = 0;
	for (size_t i = 0; i < regs.n && ret == 0; i++) {
		const struct consul_reg *r = &regs.v[i];
		char port[16];
		snprintf(port, sizeof(port), "%u", r->port);
		struct hookhttp_res hr;
		if (put(st, url, r->body, &hr) == 0 && hr.status == 200) {
			log_fields(LOG_INFO, "registered in Consul", "service_id", r->id, "service",
			           r->name, "address", addr, "address_from", source, "port", port,
			           NULL);
			if (remember(st, r->id) < 0)
				ret = hook_fail(res, "out of memory");
		} else {
			char why[256];
			hookhttp_describe(&hr, why, sizeof(why));
			log_fields(LOG_ERROR, "Consul registration failed", "service_id", r->id,
			           "agent", st->client.base, "error", why, NULL);
			ret = hook_fail(res, "registering service ID %s in Consul at %s: %s", r->id,
			                st->client.base, why);
		}
		hookhttp_res_free(&hr);
	}
	free(url);
	consul_regs_free(&regs);
	return ret;
}

static int do_deregister(struct consul_state *st, struct hook_result *res)
{
	size_t kept = 0, failed = 0;
	char first[384] = "";
	for (size_t i = 0; i < st->nregistered; i++) {
		char *id = st->registered[i];
		char *esc = hookhttp_escape(id), *url = NULL;
		struct hookhttp_res hr = {0};
		int rc = -1;
		if (esc &&
		    asprintf(&url, "%s/v1/agent/service/deregister/%s", st->client.base, esc) >= 0)
			rc = put(st, url, NULL, &hr);
		else
			url = NULL, snprintf(hr.error, sizeof(hr.error), "out of memory");
		free(esc);
		free(url);
		if (rc == 0 && (hr.status == 200 || hr.status == 404)) {
			log_fields(LOG_INFO,
			           hr.status == 200 ? "deregistered from Consul"
			                            : "already gone from Consul",
			           "service_id", id, NULL);
			free(id);
		} else {
			char why[256];
			hookhttp_describe(&hr, why, sizeof(why));
			log_fields(LOG_ERROR, "Consul deregistration failed", "service_id", id,
			           "agent", st->client.base, "error", why, NULL);
			if (!failed++)
				snprintf(first, sizeof(first), "%s: %s", id, why);
			st->registered[kept++] = id; /* kept for another try */
		}
		hookhttp_res_free(&hr);
	}
	st->nregistered = kept;
	if (failed)
		return hook_fail(res, "deregistering %zu service(s) from Consul at %s failed: %s",
		                 failed, st->client.base, first);
	return 0;
}

static int consul_handle(struct hook *h, const struct hook_call *call, struct hook_result *res)
{
	struct consul_state *st = h->state;
	st->deadline_ms = call->deadline_ms;
	switch (call->event) {
	case HOOK_AFTER_TASK_HEALTHY:
		return do_register(st, call, res);
	case HOOK_BEFORE_TERMINATE:
		return do_deregister(st, res);
	default:
		return 0;
	}
}

/* Registration needs a `consul` label; deregistration something registered. */
static bool consul_applies(struct hook *h, const struct hook_call *call)
{
	const struct consul_state *st = h->state;
	if (call->event == HOOK_AFTER_TASK_HEALTHY)
		return call->task && mesos_label(call->task->labels, "consul") != NULL;
	if (call->event == HOOK_BEFORE_TERMINATE)
		return st->nregistered > 0;
	return false;
}

static void consul_destroy(struct hook *h)
{
	if (!h->state)
		return;
	state_free(h->state);
	h->state = NULL;
	curl_global_cleanup();
}

struct hook hook_consul = {
    .name = "consul",
    .init = consul_init,
    .handle = consul_handle,
    .applies = consul_applies,
    .destroy = consul_destroy,
};
