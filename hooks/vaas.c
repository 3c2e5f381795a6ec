/* The VaaS hook: once the task is healthy, adds it as a backend of the
 * director named by its `director` label in VaaS (Varnish as a Service), and
 * removes that backend before the task receives SIGTERM.
 *
 *   GET  /api/v0.1/dc/?symbol=<CLOUD_DC>          (following `next` pages)
 *   GET  /api/v0.1/director/?name=<director>      (exact name, following pages)
 *   POST /api/v0.1/backend/   Prefer: respond-async
 *        201 -> done; 202 + Location -> poll the task until SUCCESS/FAILURE
 *        or ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT (5m: a VCL reload can take
 *        30 s and more, and VaaS's Celery soft limit is 300 s)
 *   DELETE /api/v0.1/backend/<id>/                (204, 202 or 404: done)
 *
 * The body comes from vaas_map.c. Unlike the Go executor: credentials travel
 * only in `Authorization: ApiKey user:key` (never in a URL) and the key is a
 * log secret; requests have timeouts and bounded retries; the DELETE is sent
 * once; the address is never "<nil>" nor a guessed loopback. A POST that
 * VaaS rejects as a duplicate (after a retry whose first try did arrive)
 * adopts the existing backend. */
#include "common/duration.h"
#include "common/log.h"
#include "common/str.h"
#include "hook.h"
#include "http.h"
#include "vaas_map.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VAAS_ATTEMPTS      4
#define VAAS_BACKOFF_MS    250
#define VAAS_MAX_PAGES     100
#define VAAS_POLL_FIRST_MS 250
#define VAAS_POLL_MAX_MS   2000

struct vaas_state {
	char *host;        /* base URL without a trailing slash, or NULL (owned) */
	char *auth_header; /* "Authorization: ApiKey user:key", or NULL (owned) */
	bool have_user, have_key;
	char *dc_symbol;      /* CLOUD_DC or NULL (owned) */
	char *public_ip;      /* CLOUD_PUBLIC_IP or NULL (owned) */
	char *agent_endpoint; /* MESOS_AGENT_ENDPOINT or NULL (owned) */
	int64_t timeout_ms;   /* per request attempt */
	int64_t async_timeout_ms;
	int64_t deadline_ms; /* the running chain's (hook_call.deadline_ms) */
	long backend_id;     /* the registered backend, or -1 */
};

static void state_free(struct vaas_state *st)
{
	if (!st)
		return;
	free(st->host);
	free(st->auth_header);
	free(st->dc_symbol);
	free(st->public_ip);
	free(st->agent_endpoint);
	free(st);
}

/* Names the settings a VaaS registration needs but lacks; 0 when none. */
static int missing_settings(const struct vaas_state *st, char *buf, size_t len)
{
	buf[0] = '\0';
	struct {
		bool missing;
		const char *name;
	} need[] = {
	    {!st->host, "ALLEGRO_EXECUTOR_VAAS_HOST (or VAAS_HOST)"},
	    {!st->have_user, "ALLEGRO_EXECUTOR_VAAS_USERNAME (or VAAS_USERNAME)"},
	    {!st->have_key, "ALLEGRO_EXECUTOR_VAAS_TOKEN (or VAAS_TOKEN)"},
	    {!st->dc_symbol, "CLOUD_DC"},
	};
	int n = 0;
	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++) {
		if (!need[i].missing)
			continue;
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "%s%s", n++ ? ", " : "", need[i].name);
	}
	return n;
}

static int vaas_init(struct hook *h, struct envcfg *cfg)
{
	const char *used;
	int errors = cfg->nerrors;
	const char *v = envcfg_allegro(cfg, "VAAS_HOOK_ENABLED", &used);
	/* A malformed value is an error, not "enabled": the hook stays off. */
	if (!envcfg_bool(cfg, used, v, true) || cfg->nerrors > errors)
		return 0;

	struct vaas_state *st = calloc(1, sizeof(*st));
	if (!st) {
		envcfg_fail(cfg, "vaas hook: out of memory");
		return 0;
	}
	st->backend_id = -1;

	v = envcfg_allegro(cfg, "VAAS_HOST", &used);
	if (v && *v) {
		size_t n = strlen(v);
		while (n && v[n - 1] == '/')
			n--;
		if ((strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) ||
		    strchr(v, '@') || strchr(v, '?'))
			envcfg_fail(cfg,
			            "%s: expected a base URL like http://vaas.example:3030 (no "
			            "credentials, no query), got '%s'",
			            used, strchr(v, '@') ? "[redacted]" : v);
		else
			st->host = strndup(v, n);
	}
	const char *user = envcfg_allegro(cfg, "VAAS_USERNAME", NULL);
	const char *key = envcfg_allegro(cfg, "VAAS_TOKEN", NULL);
	st->have_user = user && *user;
	st->have_key = key && *key;
	if (st->have_key)
		log_add_secret(key);
	if (st->have_user && st->have_key &&
	    asprintf(&st->auth_header, "Authorization: ApiKey %s:%s", user, key) < 0)
		st->auth_header = NULL;

	v = envcfg_allegro(cfg, "VAAS_TIMEOUT", &used);
	int64_t t =
	    envcfg_duration(cfg, used, v, hook_setting_duration("ALLEGRO_EXECUTOR_VAAS_TIMEOUT"));
	if (t < DURATION_NS_PER_MS)
		envcfg_fail(cfg, "%s: expected a duration of at least 1ms, got '%s'", used, v);
	st->timeout_ms = t / DURATION_NS_PER_MS;
	v = envcfg_allegro(cfg, "VAAS_ASYNC_TIMEOUT", &used);
	st->async_timeout_ms =
	    envcfg_duration(cfg, used, v,
	                    hook_setting_duration("ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT")) /
	    DURATION_NS_PER_MS;

	st->dc_symbol = str_dup_nonempty(envcfg_get(cfg, "CLOUD_DC"));
	st->public_ip = str_dup_nonempty(envcfg_get(cfg, "CLOUD_PUBLIC_IP"));
	st->agent_endpoint = str_dup_nonempty(envcfg_get(cfg, "MESOS_AGENT_ENDPOINT"));

	if (cfg->nerrors > errors) {
		state_free(st);
		return 0;
	}
	/* Said at start-up, not only as TASK_FAILED once a task is healthy. */
	char missing[512];
	if (missing_settings(st, missing, sizeof(missing)))
		log_warn("vaas hook: these are not set: %s; a task with a 'director' label will "
		         "fail at AfterTaskHealthy (ALLEGRO_EXECUTOR_VAAS_HOOK_ENABLED=false turns "
		         "the hook off where there is no VaaS)",
		         missing);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h->state = st;
	/* dc, director and POST with every retry, the async wait, some slack;
	 * the hook's own timeouts end it first. */
	h->timeout_ms = 3 * hookhttp_budget_ms(st->timeout_ms, VAAS_ATTEMPTS, VAAS_BACKOFF_MS) +
	                st->async_timeout_ms + 5000;
	return 1;
}

/* One request to VaaS; path is relative to the host ("/api/..."). */
static int request(struct vaas_state *st, const char *method, const char *path, const char *body,
                   bool async, struct hookhttp_res *res)
{
	const char *headers[] = {"Accept: application/json", "Content-Type: application/json",
	                         st->auth_header, async ? "Prefer: respond-async" : NULL, NULL};
	char *url;
	if (asprintf(&url, "%s%s", st->host, path) < 0) {
		memset(res, 0, sizeof(*res));
		snprintf(res->error, sizeof(res->error), "out of memory");
		return -1;
	}
	int rc = hookhttp_do(&(struct hookhttp_req){.method = method,
	                                            .url = url,
	                                            .headers = headers,
	                                            .body = body,
	                                            .body_len = body ? strlen(body) : 0,
	                                            .timeout_ms = st->timeout_ms,
	                                            .attempts = VAAS_ATTEMPTS,
	                                            .backoff_ms = VAAS_BACKOFF_MS,
	                                            .deadline_ms = st->deadline_ms},
	                     res);
	free(url);
	return rc;
}

/* Makes a VaaS URI (relative, or absolute on our host) a path; NULL when it
 * points elsewhere (we never send the key to another host). */
static const char *as_path(struct vaas_state *st, const char *uri)
{
	size_t n = strlen(st->host);
	if (strncmp(uri, st->host, n) == 0 && uri[n] == '/')
		return uri + n;
	return uri[0] == '/' ? uri : NULL;
}

/* The first object of a paged list whose `field` is value, as a copy the
 * caller deletes; NULL with err when absent or on failure. */
static cJSON *find_paged(struct vaas_state *st, const char *path, const char *field,
                         const char *value, char *err, size_t errlen)
{
	char *cur = strdup(path);
	cJSON *found = NULL;
	snprintf(err, errlen, "no %s '%s' in the first %d pages of %s", field, value,
	         VAAS_MAX_PAGES, path);
	for (int page = 0; cur && page < VAAS_MAX_PAGES; page++) {
		struct hookhttp_res hr;
		int rc = request(st, "GET", cur, NULL, false, &hr);
		bool ok = rc == 0 && hr.status == 200;
		cJSON *doc = ok ? cJSON_Parse(hr.body) : NULL;
		if (!doc) {
			char why[256];
			hookhttp_describe(&hr, why, sizeof(why));
			snprintf(err, errlen, "GET %s: %s", cur, ok ? "answer is not JSON" : why);
			hookhttp_res_free(&hr);
			break;
		}
		hookhttp_res_free(&hr);
		const cJSON *o = vaas_map_find(doc, field, value);
		const char *next = vaas_map_next(doc);
		const char *next_path = next ? as_path(st, next) : NULL;
		char *n = NULL;
		if (o) {
			if (!(found = cJSON_Duplicate(o, 1)))
				snprintf(err, errlen, "out of memory");
		} else if (next_path) {
			n = strdup(next_path);
		} else {
			snprintf(err, errlen, "no %s '%s' in VaaS (%s)", field, value, path);
		}
		free(cur);
		cur = n;
		cJSON_Delete(doc);
	}
	free(cur);
	return found;
}

/* The id of an existing backend with this address, port and director. */
static long find_backend(struct vaas_state *st, const char *director, const char *address,
                         uint32_t port)
{
	char *d = hookhttp_escape(director), *dc = hookhttp_escape(st->dc_symbol), *path = NULL;
	long id = -1;
	if (d && dc &&
	    asprintf(&path, "/api/v0.1/backend/?director__name=%s&dc__symbol=%s&address=%s&port=%u",
	             d, dc, address, port) >= 0) {
		struct hookhttp_res hr;
		if (request(st, "GET", path, NULL, false, &hr) == 0 && hr.status == 200) {
			cJSON *doc = cJSON_Parse(hr.body);
			const cJSON *o;
			cJSON_ArrayForEach (o, cJSON_GetObjectItemCaseSensitive(doc, "objects")) {
				const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "address");
				const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "port");
				if (cJSON_IsString(a) && strcmp(a->valuestring, address) == 0 &&
				    cJSON_IsNumber(p) && p->valuedouble == port) {
					id = vaas_map_id(o);
					break;
				}
			}
			cJSON_Delete(doc);
		}
		hookhttp_res_free(&hr);
	} else {
		path = NULL;
	}
	free(path);
	free(d);
	free(dc);
	return id;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls the VaaS task at `location` until it is done. 0, or -1 with err. */
static int wait_task(struct vaas_state *st, const char *location, char *err, size_t errlen)
{
	const char *path = as_path(st, location);
	if (!path) {
		snprintf(err, errlen, "VaaS answered 202 with an unusable Location '%.200s'",
		         location);
		return -1;
	}
	int64_t deadline = now_ms() + st->async_timeout_ms;
	if (st->deadline_ms > 0 && st->deadline_ms < deadline)
		deadline = st->deadline_ms; /* the chain's time ends first */
	int64_t pause = VAAS_POLL_FIRST_MS;
	for (;;) {
		struct hookhttp_res hr;
		int rc = request(st, "GET", path, NULL, false, &hr);
		cJSON *doc = rc == 0 && hr.status == 200 ? cJSON_Parse(hr.body) : NULL;
		enum vaas_task_state state = vaas_map_task_state(doc);
		if (state == VAAS_TASK_FAILURE) {
			const cJSON *info = cJSON_GetObjectItemCaseSensitive(doc, "info");
			snprintf(err, errlen, "VaaS task %.200s failed: %.200s", path,
			         cJSON_IsString(info) ? info->valuestring : "(no info)");
		} else if (!doc) {
			char why[256];
			hookhttp_describe(&hr, why, sizeof(why));
			log_warn("vaas hook: polling %s: %s", path, why);
		}
		cJSON_Delete(doc);
		hookhttp_res_free(&hr);
		if (state == VAAS_TASK_SUCCESS)
			return 0;
		if (state == VAAS_TASK_FAILURE)
			return -1;
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			snprintf(err, errlen,
			         "VaaS task %.200s did not finish within "
			         "ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT (%lldms)",
			         path, (long long)st->async_timeout_ms);
			return -1;
		}
		struct timespec ts = {0, 0};
		int64_t sleep = pause < left ? pause : left;
		ts.tv_sec = (time_t)(sleep / 1000);
		ts.tv_nsec = (long)(sleep % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		pause = pause * 2 > VAAS_POLL_MAX_MS ? VAAS_POLL_MAX_MS : pause * 2;
	}
}

static int do_register(struct vaas_state *st, const struct hook_call *call, struct hook_result *res)
{
	const char *director = vaas_map_director(call->task);
	if (!director) {
		log_debug("vaas hook: task has no 'director' label; not registering in VaaS");
		return 0;
	}
	if (st->backend_id >= 0)
		return 0; /* already registered */
	char missing[512], err[512], addr[64];
	if (missing_settings(st, missing, sizeof(missing)))
		return hook_fail(res,
		                 "task asks for VaaS (director '%s') but these are not set: %s",
		                 director, missing);
	const char *source;
	if (st->public_ip && hookhttp_ip_family(st->public_ip) != 4)
		return hook_fail(res, "CLOUD_PUBLIC_IP: VaaS needs an IPv4 address, got '%s'",
		                 st->public_ip);
	if (hookhttp_local_address(st->public_ip, 0, call->env ? call->env->agent_hostname : NULL,
	                           st->agent_endpoint, addr, sizeof(addr), &source, err,
	                           sizeof(err)) < 0)
		return hook_fail(res, "cannot register in VaaS: %s", err);
	uint32_t port;
	bool labelled;
	if (vaas_map_port(call->task, director, &port, &labelled, err, sizeof(err)) < 0)
		return hook_fail(res, "cannot register in VaaS: %s", err);

	char *sym = hookhttp_escape(st->dc_symbol), *name = hookhttp_escape(director);
	char *dc_path = NULL, *dir_path = NULL, *body = NULL;
	cJSON *dc = NULL, *dir = NULL;
	int ret = -1;
	if (!sym || !name || asprintf(&dc_path, "/api/v0.1/dc/?symbol=%s", sym) < 0 ||
	    asprintf(&dir_path, "/api/v0.1/director/?name=%s", name) < 0) {
		ret = hook_fail(res, "out of memory");
		goto out;
	}
	if (!(dc = find_paged(st, dc_path, "symbol", st->dc_symbol, err, sizeof(err)))) {
		ret = hook_fail(res, "VaaS datacenter (CLOUD_DC=%s): %s", st->dc_symbol, err);
		goto out;
	}
	if (!(dir = find_paged(st, dir_path, "name", director, err, sizeof(err)))) {
		ret = hook_fail(res, "VaaS director '%s': %s", director, err);
		goto out;
	}
	long dir_id = vaas_map_id(dir);
	if (dir_id < 0) {
		ret = hook_fail(res, "VaaS director '%s' has no id", director);
		goto out;
	}
	struct vaas_map_input in = {
	    .address = addr, .dc = dc, .director_id = dir_id, .task_env = call->task_env};
	if (!(body = vaas_map_backend(call->task, &in, err, sizeof(err)))) {
		ret = hook_fail(res, "cannot register in VaaS: %s", err);
		goto out;
	}
	char port_s[16];
	snprintf(port_s, sizeof(port_s), "%u", port);
	log_fields(LOG_INFO, "registering backend in VaaS", "director", director, "address", addr,
	           "address_from", source, "port", port_s, "port_from",
	           labelled ? "frontend-sync label" : "first port", NULL);

	struct hookhttp_res hr;
	int rc = request(st, "POST", "/api/v0.1/backend/", body, true, &hr);
	char why[256];
	hookhttp_describe(&hr, why, sizeof(why));
	if (rc == 0 && (hr.status == 201 || hr.status == 200 || hr.status == 202)) {
		cJSON *doc = cJSON_Parse(hr.body);
		st->backend_id = vaas_map_id(doc);
		cJSON_Delete(doc);
		if (st->backend_id < 0)
			st->backend_id = find_backend(st, director, addr, port);
		if (st->backend_id < 0)
			snprintf(err, sizeof(err), "VaaS accepted the backend but gave no id (%s)",
			         why);
		else if (hr.status == 202 && hr.location[0])
			ret = wait_task(st, hr.location, err, sizeof(err));
		else
			ret = 0;
	} else if (rc == 0 && hr.status == 400 && hr.body && strstr(hr.body, "already exists") &&
	           (st->backend_id = find_backend(st, director, addr, port)) >= 0) {
		log_warn("vaas hook: backend %s:%u already in director '%s' (id %ld); adopting it",
		         addr, port, director, st->backend_id);
		ret = 0;
	} else {
		snprintf(err, sizeof(err), "POST /api/v0.1/backend/: %s", why);
	}
	hookhttp_res_free(&hr);
	char id_s[24];
	snprintf(id_s, sizeof(id_s), "%ld", st->backend_id);
	if (ret == 0) {
		log_fields(LOG_INFO, "registered backend in VaaS", "backend_id", id_s, "director",
		           director, NULL);
	} else {
		log_fields(LOG_ERROR, "VaaS registration failed", "backend_id", id_s, "director",
		           director, "error", err, NULL);
		ret = hook_fail(res, "registering %s:%u in VaaS director '%s' at %s: %s", addr,
		                port, director, st->host, err);
	}
out:
	cJSON_Delete(dc);
	cJSON_Delete(dir);
	free(body);
	free(sym);
	free(name);
	free(dc_path);
	free(dir_path);
	return ret;
}

static int do_deregister(struct vaas_state *st, struct hook_result *res)
{
	if (st->backend_id < 0)
		return 0;
	char path[64], id_s[24], why[256];
	snprintf(path, sizeof(path), "/api/v0.1/backend/%ld/", st->backend_id);
	snprintf(id_s, sizeof(id_s), "%ld", st->backend_id);
	struct hookhttp_res hr;
	int rc = request(st, "DELETE", path, NULL, true, &hr);
	hookhttp_describe(&hr, why, sizeof(why));
	long status = hr.status;
	hookhttp_res_free(&hr);
	if (rc == 0 && (status == 204 || status == 200 || status == 202 || status == 404)) {
		log_fields(LOG_INFO,
		           status == 404 ? "backend already gone from VaaS"
		                         : "deregistered backend from VaaS",
		           "backend_id", id_s, NULL);
		st->backend_id = -1;
		return 0;
	}
	log_fields(LOG_ERROR, "VaaS deregistration failed", "backend_id", id_s, "error", why, NULL);
	return hook_fail(res, "deleting VaaS backend %s at %s: %s", id_s, st->host, why);
}

static int vaas_handle(struct hook *h, const struct hook_call *call, struct hook_result *res)
{
	struct vaas_state *st = h->state;
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

/* Registration needs a `director` label; deregistration a backend. */
static bool vaas_applies(struct hook *h, const struct hook_call *call)
{
	const struct vaas_state *st = h->state;
	if (call->event == HOOK_AFTER_TASK_HEALTHY)
		return call->task && vaas_map_director(call->task) != NULL;
	if (call->event == HOOK_BEFORE_TERMINATE)
		return st->backend_id >= 0;
	return false;
}

static void vaas_destroy(struct hook *h)
{
	if (!h->state)
		return;
	state_free(h->state);
	h->state = NULL;
	curl_global_cleanup();
}

struct hook hook_vaas = {
    .name = "vaas",
    .init = vaas_init,
    .handle = vaas_handle,
    .applies = vaas_applies,
    .destroy = vaas_destroy,
};
