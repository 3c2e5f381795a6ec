/* Logstash instances from the local Consul agent (see logship_parts.h):
 * GET /v1/health/service/<name>?passing&stale through the module's own
 * httpc client, at once and then refresh_ns after every answer (never two
 * requests at a time). An instance counts when all its checks pass (the
 * agent filters with ?passing already; the check is repeated here); its
 * address is Service.Address, else Node.Address. Empty and unchanged lists
 * are ignored, as the Go executor did, so a Consul hiccup never leaves the
 * shipper without targets. */
#include "logship_parts.h"

#include "common/base64.h"
#include "common/httpc.h"
#include "common/log.h"
#include "common/str.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_TIMEOUT_MS 5000

struct logship_consul {
	uv_loop_t *loop;
	struct httpc *http; /* owned */
	struct httpc_req *req;
	uv_timer_t timer;
	struct consul_client cc; /* a copy (owned) */
	char *url;               /* owned */
	char *auth_header;       /* "Authorization: Basic ..." or NULL (owned) */
	uint64_t refresh_ms;
	logship_targets_fn fn;
	void *data;
	char **last; /* the last list handed over, owned */
	size_t nlast;
	bool failing, stopping;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool all_passing(const cJSON *entry)
{
	const cJSON *checks = cJSON_GetObjectItemCaseSensitive(entry, "Checks");
	const cJSON *c;
	cJSON_ArrayForEach (c, checks) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "Status");
		if (!cJSON_IsString(st) || strcmp(st->valuestring, "passing") != 0)
			return false;
	}
	return true;
}

int logship_consul_parse(const char *json, size_t len, char ***addrs, char *err, size_t errlen)
{
	*addrs = NULL;
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		snprintf(err, errlen, "expected a JSON array of service instances");
		return -1;
	}
	int n = 0;
	char **out = calloc((size_t)cJSON_GetArraySize(root) + 1, sizeof(*out));
	const cJSON *e;
	cJSON_ArrayForEach (e, root) {
		if (!out)
			break;
		const cJSON *svc = cJSON_GetObjectItemCaseSensitive(e, "Service");
		const cJSON *node = cJSON_GetObjectItemCaseSensitive(e, "Node");
		const cJSON *sa = cJSON_GetObjectItemCaseSensitive(svc, "Address");
		const cJSON *na = cJSON_GetObjectItemCaseSensitive(node, "Address");
		const cJSON *port = cJSON_GetObjectItemCaseSensitive(svc, "Port");
		const char *host = cJSON_IsString(sa) && *sa->valuestring ? sa->valuestring
		                   : cJSON_IsString(na)                   ? na->valuestring
		                                                          : NULL;
		if (!host || !*host || !cJSON_IsNumber(port) || port->valuedouble < 1 ||
		    port->valuedouble > 65535 || !all_passing(e))
			continue;
		bool v6 = strchr(host, ':') != NULL;
		char *a;
		if (asprintf(&a, v6 ? "[%s]:%d" : "%s:%d", host, port->valueint) < 0)
			continue;
		out[n++] = a;
	}
	cJSON_Delete(root);
	if (!out) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	qsort(out, (size_t)n, sizeof(*out), cmp_str);
	int k = 0; /* drop duplicates */
	for (int i = 0; i < n; i++) {
		if (k && strcmp(out[k - 1], out[i]) == 0)
			free(out[i]);
		else
			out[k++] = out[i];
	}
	*addrs = out;
	return k;
}

static bool same(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static void on_tick(uv_timer_t *t);

static void on_answer(void *data, const struct httpc_result *res)
{
	struct logship_consul *c = data;
	char err[256] = "";
	char **addrs = NULL;
	int n = -1;

	c->req = NULL;
	if (res->status == 200)
		n = logship_consul_parse(res->body, res->body_len, &addrs, err, sizeof(err));
	else if (res->error)
		snprintf(err, sizeof(err), "%s", res->error);
	else
		snprintf(err, sizeof(err), "HTTP %ld", res->status);

	if (n < 0) {
		if (!c->failing)
			log_warn("log shipping: cannot ask Consul for Logstash instances (%s): %s; "
			         "keeping the last list",
			         c->url, err);
		c->failing = true;
	} else {
		if (c->failing)
			log_info("log shipping: Consul answers again");
		c->failing = false;
		if (n > 0 && !same(addrs, (size_t)n, c->last, c->nlast)) {
			char list[512] = "";
			for (int i = 0; i < n; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				         i ? "," : "", addrs[i]);
			log_info("log shipping: Logstash instances now %s", list);
			strv_free_n(c->last, c->nlast);
			c->last = addrs;
			c->nlast = (size_t)n;
			addrs = NULL; /* c->last owns them now */
			n = 0;
			c->fn(c->data, (const char *const *)c->last, c->nlast);
		}
	}
	strv_free_n(addrs, n > 0 ? (size_t)n : 0);
	if (!c->stopping)
		uv_timer_start(&c->timer, on_tick, c->refresh_ms, 0);
}

static void on_tick(uv_timer_t *t)
{
	struct logship_consul *c = t->data;
	const char *headers[3];
	size_t n = 0;
	if (c->cc.token_header)
		headers[n++] = c->cc.token_header;
	if (c->auth_header)
		headers[n++] = c->auth_header;
	headers[n] = NULL;
	c->req = httpc_start(c->http, &(struct httpc_opts){.url = c->url,
	                                                   .unix_socket = c->cc.unix_socket,
	                                                   .headers = headers,
	                                                   .timeout_ms = REQUEST_TIMEOUT_MS,
	                                                   .insecure = c->cc.insecure,
	                                                   .ca_file = c->cc.ca_file,
	                                                   .ca_dir = c->cc.ca_path,
	                                                   .client_cert = c->cc.client_cert,
	                                                   .client_key = c->cc.client_key,
	                                                   .on_done = on_answer,
	                                                   .data = c});
	if (!c->req) /* try again later */
		uv_timer_start(&c->timer, on_tick, c->refresh_ms, 0);
}

/* "Authorization: Basic <base64(user:password)>" for CONSUL_HTTP_AUTH
 * (malloc'd; NULL without it). -1 when out of memory. */
static int basic_auth_header(const char *userpwd, char **out)
{
	*out = NULL;
	if (!userpwd)
		return 0;
	char *b64 = b64_encode((const uint8_t *)userpwd, strlen(userpwd));
	if (!b64 || asprintf(out, "Authorization: Basic %s", b64) < 0)
		*out = NULL;
	if (b64)
		log_add_secret(b64);
	free(b64);
	return *out ? 0 : -1;
}

struct logship_consul *logship_consul_start(uv_loop_t *loop, const struct consul_client *cc,
                                            const char *service, int64_t refresh_ns,
                                            logship_targets_fn fn, void *data)
{
	struct logship_consul *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	char *esc = curl_easy_escape(NULL, service, 0);
	c->http = httpc_new(loop);
	if (!esc || !c->http || consul_client_copy(&c->cc, cc) < 0 ||
	    asprintf(&c->url, "%s/v1/health/service/%s?passing&stale", cc->base, esc) < 0 ||
	    basic_auth_header(cc->userpwd, &c->auth_header) < 0) {
		curl_free(esc);
		if (c->http)
			httpc_close(c->http, NULL, NULL);
		free(c->url);
		free(c->auth_header);
		consul_client_free(&c->cc);
		free(c);
		return NULL;
	}
	curl_free(esc);
	if (cc->connect_to)
		log_warn(
		    "log shipping: CONSUL_TLS_SERVER_NAME is not applied to Logstash discovery: "
		    "Consul is asked at %s",
		    cc->base);
	c->loop = loop;
	c->refresh_ms = refresh_ns > 1000000 ? (uint64_t)(refresh_ns / 1000000) : 1;
	c->fn = fn;
	c->data = data;
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	uv_timer_start(&c->timer, on_tick, 0, 0);
	return c;
}

static void consul_freed(void *data)
{
	struct logship_consul *c = data;
	strv_free_n(c->last, c->nlast);
	free(c->url);
	free(c->auth_header);
	consul_client_free(&c->cc);
	free(c);
}

static void timer_closed(uv_handle_t *h)
{
	struct logship_consul *c = h->data;
	httpc_close(c->http, consul_freed, c); /* cancels a request in flight */
}

void logship_consul_stop(struct logship_consul *c)
{
	if (!c)
		return;
	c->stopping = true;
	uv_close((uv_handle_t *)&c->timer, timer_closed);
}
