/* The fake Consul agent's setup: state, check runners kept in step with the
 * catalog through its hooks, the route table (with --legacy-get's extra GET
 * routes), and the helpers every handler uses. */
#include "fakeconsul.h"

#include "common/httpc.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ runners */

static void on_check_result(void *data, const char *check_id, const char *status,
                            const char *output)
{
	struct fakeconsul *fc = data;
	const struct cat_check *k = catalog_check(&fc->cat, check_id);
	if (k && strcmp(k->status, status) != 0)
		log_info("fakeconsul: check %s is now %s", check_id, status);
	catalog_update_check(&fc->cat, check_id, status, output);
}

static void on_check_added(void *data, const struct cat_check *k)
{
	struct fakeconsul *fc = data;
	if (fc->stopped)
		return;
	struct checker *c = checker_start(fc->loop, fc->http, k, on_check_result, fc);
	if (!c)
		return;
	struct runner *n = realloc(fc->runners, (fc->nrunners + 1) * sizeof(*n));
	if (!n) {
		checker_stop(c);
		return;
	}
	fc->runners = n;
	fc->runners[fc->nrunners].check_id = strdup(k->id);
	fc->runners[fc->nrunners++].checker = c;
}

static void on_check_removed(void *data, const char *check_id)
{
	struct fakeconsul *fc = data;
	for (size_t i = 0; i < fc->nrunners; i++)
		if (strcmp(fc->runners[i].check_id, check_id) == 0) {
			checker_stop(fc->runners[i].checker);
			free(fc->runners[i].check_id);
			fc->runners[i] = fc->runners[--fc->nrunners];
			return;
		}
}

static uint64_t now_ms(void *data)
{
	struct fakeconsul *fc = data;
	return uv_now(fc->loop);
}

static void on_changed(void *data)
{
	struct fakeconsul *fc = data;
	if (fc->blocking)
		blocking_notify(fc->blocking);
}

void fc_ttl_touched(struct fakeconsul *fc, const char *check_id)
{
	for (size_t i = 0; i < fc->nrunners; i++)
		if (strcmp(fc->runners[i].check_id, check_id) == 0)
			checker_ttl_reset(fc->runners[i].checker);
}

/* ------------------------------------------------------------ lifecycle */

int fakeconsul_init(struct fakeconsul *fc, uv_loop_t *loop, const struct fakeconsul_opts *o,
                    char *err, size_t errlen)
{
	memset(fc, 0, sizeof(*fc));
	fc->loop = loop;
	fc->opts = *o;
	catalog_init(&fc->cat, o->node ? o->node : "fakeconsul",
	             o->datacenter ? o->datacenter : "dc1");
	fc->cat.hooks = (struct catalog_hooks){
	    .changed = on_changed,
	    .check_added = on_check_added,
	    .check_removed = on_check_removed,
	    .now_ms = now_ms,
	    .data = fc,
	};
	fc->blocking = blocking_new(loop);
	fc->http = httpc_new(loop);
	fc->reaper = reaper_start(
	    loop, &fc->cat, o->reap_interval_ms ? o->reap_interval_ms : REAPER_INTERVAL_MS,
	    o->deregister_min_set ? o->deregister_min_ms : REAPER_MIN_TIMEOUT_MS);
	if (!fc->blocking || !fc->http || !fc->reaper) {
		snprintf(
		    err, errlen,
		    "cannot set up the check runner (libcurl), blocking queries or the reaper");
		return -1;
	}
	return 0;
}

static void http_closed(void *data) {}

void fakeconsul_stop(struct fakeconsul *fc)
{
	fc->stopped = true;
	for (size_t i = 0; i < fc->nrunners; i++) {
		checker_stop(fc->runners[i].checker);
		free(fc->runners[i].check_id);
	}
	fc->nrunners = 0;
	if (fc->http)
		httpc_close(fc->http, http_closed, NULL);
	fc->http = NULL;
	blocking_free(fc->blocking);
	fc->blocking = NULL;
	reaper_stop(fc->reaper);
	fc->reaper = NULL;
}

void fakeconsul_free(struct fakeconsul *fc)
{
	if (!fc->stopped)
		fakeconsul_stop(fc);
	fc->cat.hooks = (struct catalog_hooks){0};
	catalog_free(&fc->cat);
	acl_free(&fc->acl);
	free(fc->runners);
	fc->runners = NULL;
}

const struct httpd_route *fakeconsul_routes(struct fakeconsul *fc)
{
	static const struct httpd_route strict[] = {
	    {"PUT", "/v1/agent/service/register", fc_agent_register},
	    {"PUT", "/v1/agent/service/deregister/", fc_agent_deregister},
	    {"GET", "/v1/agent/services", fc_agent_services},
	    {"GET", "/v1/agent/service/", fc_agent_service},
	    {"GET", "/v1/agent/checks", fc_agent_checks},
	    {"PUT", "/v1/agent/check/register", fc_agent_check_register},
	    {"PUT", "/v1/agent/check/deregister/", fc_agent_check_deregister},
	    {"PUT", "/v1/agent/check/pass/", fc_agent_check_pass},
	    {"PUT", "/v1/agent/check/warn/", fc_agent_check_warn},
	    {"PUT", "/v1/agent/check/fail/", fc_agent_check_fail},
	    {"PUT", "/v1/agent/check/update/", fc_agent_check_update},
	    {"GET", "/v1/agent/self", fc_agent_self},
	    {"GET", "/v1/catalog/datacenters", fc_catalog_datacenters},
	    {"GET", "/v1/catalog/services", fc_catalog_services},
	    {"GET", "/v1/catalog/service/", fc_catalog_service},
	    {"GET", "/v1/health/service/", fc_health_service},
	    {"GET", "/v1/health/checks/", fc_health_checks},
	    {"GET", "/v1/status/leader", fc_status_leader},
	    {"GET", "/v1/status/peers", fc_status_peers},
	    {"GET", "/_fake/state", fc_fake_state},
	    {"POST", "/_fake/check/", fc_fake_check},
	    {"PUT", "/_fake/check/", fc_fake_check},
	    {"POST", "/_fake/reset", fc_fake_reset},
	    {NULL, NULL, NULL},
	};
	/* Before Consul 1.0 these answered GET too; old clients rely on it. */
	static const struct httpd_route legacy[] = {
	    {"GET", "/v1/agent/service/deregister/", fc_agent_deregister},
	    {"GET", "/v1/agent/check/deregister/", fc_agent_check_deregister},
	    {"GET", "/v1/agent/check/pass/", fc_agent_check_pass},
	    {"GET", "/v1/agent/check/warn/", fc_agent_check_warn},
	    {"GET", "/v1/agent/check/fail/", fc_agent_check_fail},
	    {NULL, NULL, NULL},
	};
	/* Last, so that every other method under /v1/ is Consul's: OPTIONS
	 * lists the endpoint's methods, the rest get 405 (or 404). */
	static const char *const other_methods[] = {"GET",   "HEAD",   "POST",   "PUT",
	                                            "PATCH", "DELETE", "OPTIONS"};
	size_t n = 0;
	if (fc->opts.legacy_get) /* first, so they win over GET /v1/agent/service/ */
		for (const struct httpd_route *rt = legacy; rt->path; rt++)
			fc->routes[n++] = *rt;
	for (const struct httpd_route *rt = strict; rt->path; rt++)
		fc->routes[n++] = *rt;
	for (size_t i = 0; i < sizeof(other_methods) / sizeof(other_methods[0]); i++)
		fc->routes[n++] = (struct httpd_route){other_methods[i], "/v1/*", fc_method_check};
	fc->routes[n] = (struct httpd_route){0};
	return fc->routes;
}

/* Whether a route's path takes `path`, as the scaffold matches them. */
static bool route_takes(const char *route, const char *path)
{
	size_t n = strlen(route);
	if (n && (route[n - 1] == '/' || route[n - 1] == '*'))
		return strncmp(path, route, route[n - 1] == '*' ? n - 1 : n) == 0;
	return strcmp(path, route) == 0;
}

/* Consul's mux picks the longest pattern that takes the path; its methods,
 * after OPTIONS, are the endpoint's Allow. Returns false when no endpoint
 * takes the path. */
static bool endpoint_allow(const struct fakeconsul *fc, const char *path, char *allow, size_t len)
{
	const char *best = NULL;
	for (const struct httpd_route *rt = fc->routes; rt->path; rt++)
		if (rt->fn != fc_method_check && strncmp(rt->path, "/v1/", 4) == 0 &&
		    route_takes(rt->path, path) && (!best || strlen(rt->path) > strlen(best)))
			best = rt->path;
	if (!best)
		return false;
	size_t o = (size_t)snprintf(allow, len, "OPTIONS");
	for (const struct httpd_route *rt = fc->routes; rt->path && o < len; rt++)
		if (rt->fn != fc_method_check && strcmp(rt->path, best) == 0)
			o += (size_t)snprintf(allow + o, len - o, ",%s", rt->method);
	return true;
}

void fc_method_check(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	char allow[128];
	if (!endpoint_allow(fc, httpd_path(r), allow, sizeof(allow))) {
		httpd_reply_text(r, 404, "Invalid URL path: not a recognized HTTP API endpoint\n");
		return;
	}
	if (strcmp(httpd_method(r), "OPTIONS") == 0) {
		char hdr[160];
		snprintf(hdr, sizeof(hdr), "Allow: %s", allow);
		const char *headers[] = {hdr, NULL};
		httpd_reply(r, 200, NULL, "", 0, headers);
		return;
	}
	fc_reply_405(r, allow);
}

/* ------------------------------------------------------------ helpers */

static int resolve(struct fakeconsul *fc, struct httpd_req *r, struct acl_rights *rights)
{
	char bearer[512];
	const char *token =
	    acl_request_token(httpd_query(r, "token"), httpd_header(r, "X-Consul-Token"),
	                      httpd_header(r, "Authorization"), bearer, sizeof(bearer));
	return acl_resolve(&fc->acl, token, rights);
}

bool fc_auth(struct fakeconsul *fc, struct httpd_req *r, struct acl_rights *rights)
{
	if (resolve(fc, r, rights) < 0) {
		httpd_reply_text(r, 403, "ACL not found");
		return false;
	}
	return true;
}

void fc_rights(struct fakeconsul *fc, struct httpd_req *r, struct acl_rights *rights)
{
	if (resolve(fc, r, rights) < 0) /* checked by fc_auth before; be safe */
		rights->token = NULL;
}

void fc_reply_ok(struct httpd_req *r)
{
	httpd_reply(r, 200, NULL, "", 0, NULL);
}

void fc_reply_405(struct httpd_req *r, const char *allow)
{
	char hdr[160], msg[96];
	snprintf(hdr, sizeof(hdr), "Allow: %s", allow);
	const char *headers[] = {hdr, NULL};
	snprintf(msg, sizeof(msg), "method %s not allowed", httpd_method(r));
	httpd_reply(r, 405, "text/plain; charset=utf-8", msg, strlen(msg), headers);
}

const char *fc_path_tail(struct httpd_req *r, const char *prefix)
{
	const char *p = httpd_path(r);
	size_t n = strlen(prefix);
	return strncmp(p, prefix, n) == 0 ? p + n : "";
}
