/* Error reports to Sentry (see sentry.h): DSN parsing with libcurl's URL
 * API, events built with cJSON from the logfmt line, a mutex-guarded ring
 * of lines filled by the log sink on any thread and drained on the loop,
 * POSTs through the reporter's own httpc client. */
#include "sentry.h"

#include "common/httpc.h"
#include "common/uuid4.h"
#include "executor/telemetry/runenv.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define MAX_INFLIGHT 2
#define CLIENT_NAME  "allegro-mesos-executor-c"

struct sentry {
	uv_loop_t *loop;
	struct httpc *http; /* owned */
	uv_async_t wake;    /* the sink's doorbell */
	uv_timer_t timer;   /* close deadline, deferred close */
	struct sentry_dsn dsn;
	char client[96];          /* sentry_client: name/version */
	struct sentry_config ctx; /* strings below are owned copies */
	char *release, *hostname, *environment, *executor_id, *framework_id;
	long timeout_ms, flush_ms;
	struct post {
		struct sentry *s;
		struct httpc_req *req; /* NULL: slot free */
	} posts[MAX_INFLIGHT];
	bool closing;
	int open_handles; /* wake and timer, until their close callbacks ran */

	pthread_mutex_t mu; /* guards everything below */
	struct item {
		char *line; /* owned */
		enum log_level lvl;
	} * ring;
	size_t cap, head, count;
	bool accepting;
	struct sentry_stats st;
};

/* ------------------------------------------------------------ DSN */

static int url_part(CURLU *u, CURLUPart part, char *buf, size_t len)
{
	char *v = NULL;
	if (curl_url_get(u, part, &v, 0) != CURLUE_OK || !v)
		return -1;
	int ok = strlen(v) < len;
	if (ok)
		strcpy(buf, v);
	curl_free(v);
	return ok ? 0 : -1;
}

int sentry_parse_dsn(const char *dsn, struct sentry_dsn *out, char *err, size_t errlen)
{
	char scheme[16], host[256], port[16] = "", path[256];
	memset(out, 0, sizeof(*out));
	CURLU *u = curl_url();
	if (!u) {
		snprintf(err, errlen, "ALLEGRO_EXECUTOR_SENTRY_DSN: out of memory");
		return -1;
	}
	int rc = -1;
	if (curl_url_set(u, CURLUPART_URL, dsn, 0) != CURLUE_OK ||
	    url_part(u, CURLUPART_SCHEME, scheme, sizeof(scheme)) < 0 ||
	    url_part(u, CURLUPART_HOST, host, sizeof(host)) < 0) {
		snprintf(err, errlen,
		         "ALLEGRO_EXECUTOR_SENTRY_DSN: expected "
		         "https://<public key>[:<secret key>]@<host>/<project>, got something "
		         "that is not a URL");
		goto done;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(err, errlen,
		         "ALLEGRO_EXECUTOR_SENTRY_DSN: expected an http or https URL, "
		         "got scheme '%s'",
		         scheme);
		goto done;
	}
	if (url_part(u, CURLUPART_USER, out->public_key, sizeof(out->public_key)) < 0 ||
	    !out->public_key[0]) {
		snprintf(err, errlen,
		         "ALLEGRO_EXECUTOR_SENTRY_DSN: the URL has no public key "
		         "(https://<public key>@<host>/<project>)");
		goto done;
	}
	url_part(u, CURLUPART_PASSWORD, out->secret_key, sizeof(out->secret_key));
	url_part(u, CURLUPART_PORT, port, sizeof(port));
	if (url_part(u, CURLUPART_PATH, path, sizeof(path)) < 0)
		strcpy(path, "/");
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	char *slash = strrchr(path, '/');
	if (!slash || !slash[1] || strlen(slash + 1) >= sizeof(out->project)) {
		snprintf(err, errlen,
		         "ALLEGRO_EXECUTOR_SENTRY_DSN: the URL has no project id "
		         "(https://<public key>@<host>/<project>)");
		goto done;
	}
	strcpy(out->project, slash + 1);
	*slash = '\0'; /* path is now the prefix before the project, maybe "" */
	int w = snprintf(out->store_url, sizeof(out->store_url), "%s://%s%s%s%s/api/%s/store/",
	                 scheme, host, port[0] ? ":" : "", port, path, out->project);
	if (w < 0 || (size_t)w >= sizeof(out->store_url)) {
		snprintf(err, errlen, "ALLEGRO_EXECUTOR_SENTRY_DSN: the URL is too long");
		goto done;
	}
	rc = 0;
done:
	curl_url_cleanup(u);
	return rc;
}

void sentry_auth_header(const struct sentry_dsn *d, const char *client, long now, char *buf,
                        size_t len)
{
	int n = snprintf(buf, len,
	                 "X-Sentry-Auth: Sentry sentry_version=7, sentry_client=%s, "
	                 "sentry_timestamp=%ld, sentry_key=%s",
	                 client, now, d->public_key);
	if (d->secret_key[0] && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", sentry_secret=%s", d->secret_key);
}

/* ------------------------------------------------------------ events */

/* Reads one logfmt value at *p (quoted with escapes, or bare) into a
 * malloc'd string and advances *p. */
static char *logfmt_value(const char **p)
{
	const char *s = *p;
	size_t cap = strlen(s) + 1, n = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	if (*s != '"') {
		while (*s && *s != ' ')
			out[n++] = *s++;
	} else {
		for (s++; *s && *s != '"'; s++) {
			if (*s != '\\' || !s[1]) {
				out[n++] = *s;
				continue;
			}
			s++;
			if (*s == 'n') {
				out[n++] = '\n';
			} else if (*s == 't') {
				out[n++] = '\t';
			} else if (*s == 'x' && s[1] && s[2]) {
				char hex[3] = {s[1], s[2], 0};
				out[n++] = (char)strtol(hex, NULL, 16);
				s += 2;
			} else {
				out[n++] = *s;
			}
		}
		if (*s == '"')
			s++;
	}
	out[n] = '\0';
	*p = s;
	return out;
}

static bool is_tag(const char *key)
{
	static const char *const tags[] = {"executor_id", "task_id", "framework_id", "component",
	                                   "hook"};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strcmp(key, tags[i]) == 0)
			return true;
	return false;
}

static const char *level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
		return "info";
	case LOG_WARN:
		return "warning";
	default:
		return "error";
	}
}

char *sentry_event_json(const struct sentry_config *ctx, const char *line, enum log_level lvl)
{
	cJSON *ev = cJSON_CreateObject();
	cJSON *tags = cJSON_CreateObject();
	cJSON *extra = cJSON_CreateObject();
	char *message = NULL, *timestamp = NULL;
	uint8_t id[16];
	char hex[33];

	uuid4_new(id);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);

	/* key=value pairs separated by blanks */
	for (const char *p = line; p && *p;) {
		while (*p == ' ')
			p++;
		const char *eq = strchr(p, '=');
		const char *sp = strchr(p, ' ');
		if (!eq || (sp && sp < eq)) /* not a pair: skip the word */
			break;
		char *key = strndup(p, (size_t)(eq - p));
		p = eq + 1;
		char *val = logfmt_value(&p);
		if (!key || !val) {
			free(key);
			free(val);
			break;
		}
		if (strcmp(key, "msg") == 0 && !message) {
			message = val;
			val = NULL;
		} else if (strcmp(key, "time") == 0 && !timestamp) {
			timestamp = val;
			val = NULL;
		} else if (strcmp(key, "level") == 0) {
			/* the event's own level field says it */
		} else if (is_tag(key)) {
			cJSON_AddStringToObject(tags, key, val);
		} else {
			cJSON_AddStringToObject(extra, key, val);
		}
		free(key);
		free(val);
	}
	if (ctx->executor_id && !cJSON_HasObjectItem(tags, "executor_id"))
		cJSON_AddStringToObject(tags, "executor_id", ctx->executor_id);
	if (ctx->framework_id && !cJSON_HasObjectItem(tags, "framework_id"))
		cJSON_AddStringToObject(tags, "framework_id", ctx->framework_id);

	char now[40];
	if (!timestamp) {
		struct timeval tv;
		struct tm tm;
		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		size_t n = strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(now + n, sizeof(now) - n, ".%03dZ", (int)(tv.tv_usec / 1000));
	}
	cJSON_AddStringToObject(ev, "event_id", hex);
	cJSON_AddStringToObject(ev, "timestamp", timestamp ? timestamp : now);
	cJSON_AddStringToObject(ev, "level", level_name(lvl));
	cJSON_AddStringToObject(ev, "logger", "executor");
	cJSON_AddStringToObject(ev, "platform", "c");
	cJSON_AddStringToObject(ev, "message", message ? message : line);
	if (ctx->release)
		cJSON_AddStringToObject(ev, "release", ctx->release);
	if (ctx->environment)
		cJSON_AddStringToObject(ev, "environment", ctx->environment);
	if (ctx->hostname)
		cJSON_AddStringToObject(ev, "server_name", ctx->hostname);
	cJSON_AddItemToObject(ev, "tags", tags);
	cJSON_AddItemToObject(ev, "extra", extra);
	char *json = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	free(message);
	free(timestamp);
	return json;
}

/* ------------------------------------------------------------ the queue */

/* The log sink itself (log_sink_fn); data is the struct sentry. */
static void sentry_log_sink(void *data, enum log_level lvl, const char *line)
{
	struct sentry *s = data;
	bool wake = false;
	pthread_mutex_lock(&s->mu);
	if (!s->accepting) {
		/* closing: nothing more */
	} else if (s->count == s->cap) {
		s->st.dropped++;
	} else {
		char *copy = strdup(line);
		if (copy) {
			s->ring[(s->head + s->count) % s->cap] = (struct item){copy, lvl};
			s->count++;
			s->st.queued++;
			wake = true;
		} else {
			s->st.dropped++;
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (wake)
		uv_async_send(&s->wake);
}

static bool pop(struct sentry *s, struct item *it)
{
	pthread_mutex_lock(&s->mu);
	bool ok = s->count > 0;
	if (ok) {
		*it = s->ring[s->head];
		s->head = (s->head + 1) % s->cap;
		s->count--;
	}
	pthread_mutex_unlock(&s->mu);
	return ok;
}

static void count(struct sentry *s, bool sent)
{
	pthread_mutex_lock(&s->mu);
	if (sent)
		s->st.sent++;
	else
		s->st.failed++;
	pthread_mutex_unlock(&s->mu);
}

void sentry_stats(struct sentry *s, struct sentry_stats *out)
{
	if (!s) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------ posting */

static void pump(struct sentry *s);
static void close_step(uv_timer_t *t);

static int inflight(const struct sentry *s)
{
	int n = 0;
	for (int i = 0; i < MAX_INFLIGHT; i++)
		n += s->posts[i].req != NULL;
	return n;
}

static void on_posted(void *data, const struct httpc_result *res)
{
	struct post *p = data;
	struct sentry *s = p->s;
	p->req = NULL;
	bool ok = res->status >= 200 && res->status < 300;
	count(s, ok);
	if (!ok) { /* a warning: an error here would report itself */
		char why[64];
		snprintf(why, sizeof(why), "HTTP %ld", res->status);
		log_warn("sentry: event not accepted by %s: %s", s->dsn.store_url,
		         res->error ? res->error : why);
	}
	pump(s);
	if (s->closing && !inflight(s)) /* not from inside httpc: next tick */
		uv_timer_start(&s->timer, close_step, 0, 0);
}

static void post(struct sentry *s, struct post *p, const struct item *it)
{
	char auth[512];
	char *json = sentry_event_json(&s->ctx, it->line, it->lvl);
	if (!json) {
		count(s, false);
		return;
	}
	sentry_auth_header(&s->dsn, s->client, (long)time(NULL), auth, sizeof(auth));
	const char *headers[] = {auth, "Content-Type: application/json", NULL};
	p->req = httpc_start(s->http, &(struct httpc_opts){.method = "POST",
	                                                   .url = s->dsn.store_url,
	                                                   .headers = headers,
	                                                   .body = json,
	                                                   .body_len = strlen(json),
	                                                   .timeout_ms = s->timeout_ms,
	                                                   .connect_timeout_ms = s->timeout_ms,
	                                                   .on_done = on_posted,
	                                                   .data = p});
	free(json);
	if (!p->req)
		count(s, false);
}

static void pump(struct sentry *s)
{
	for (int i = 0; i < MAX_INFLIGHT; i++) {
		struct item it;
		if (s->posts[i].req || !pop(s, &it))
			continue;
		post(s, &s->posts[i], &it);
		free(it.line);
	}
}

static void on_wake(uv_async_t *a)
{
	pump(a->data);
}

/* ------------------------------------------------------------ lifecycle */

static void free_sentry(struct sentry *s)
{
	struct item it;
	while (pop(s, &it))
		free(it.line);
	pthread_mutex_destroy(&s->mu);
	free(s->ring);
	free(s->release);
	free(s->hostname);
	free(s->environment);
	free(s->executor_id);
	free(s->framework_id);
	free(s);
}

static void handle_closed(uv_handle_t *h)
{
	struct sentry *s = h->data;
	if (--s->open_handles == 0)
		free_sentry(s);
}

static void http_closed(void *data)
{
	struct sentry *s = data;
	uv_close((uv_handle_t *)&s->wake, handle_closed);
	uv_close((uv_handle_t *)&s->timer, handle_closed);
}

/* Runs when the queue is drained or the flush deadline passed: drops what
 * is left and closes the client (which cancels posts in flight). */
static void close_step(uv_timer_t *t)
{
	struct sentry *s = t->data;
	struct item it;
	while (pop(s, &it)) {
		free(it.line);
		count(s, false);
	}
	for (int i = 0; i < MAX_INFLIGHT; i++)
		if (s->posts[i].req) {
			s->posts[i].req = NULL;
			count(s, false);
		}
	uv_timer_stop(&s->timer);
	httpc_close(s->http, http_closed, s);
}

void sentry_close(struct sentry *s)
{
	if (!s || s->closing)
		return;
	log_set_sink(LOG_ERROR, NULL, NULL);
	pthread_mutex_lock(&s->mu);
	s->accepting = false;
	pthread_mutex_unlock(&s->mu);
	s->closing = true;
	pump(s);
	uv_timer_start(&s->timer, close_step, inflight(s) ? (uint64_t)s->flush_ms : 0, 0);
}

/* A copy, NULL for NULL ("" stays ""). */
static char *copy(const char *v)
{
	return v ? strdup(v) : NULL;
}

int sentry_start(uv_loop_t *loop, const struct sentry_config *cfg, struct sentry **out, char *err,
                 size_t errlen)
{
	*out = NULL;
	if (!cfg->dsn || !*cfg->dsn)
		return 0;
	struct sentry_dsn dsn;
	if (sentry_parse_dsn(cfg->dsn, &dsn, err, errlen) < 0)
		return -1;
	log_add_secret(cfg->dsn);
	log_add_secret(dsn.secret_key);

	char host[256];
	if (cfg->hostname)
		snprintf(host, sizeof(host), "%s", cfg->hostname);
	else
		runenv_hostname(NULL, host, sizeof(host));
	const char *env = cfg->environment ? cfg->environment : runenv_environment(host);
	if (strcmp(env, "local") == 0) {
		log_info("sentry: error reports off in the local environment (host %s)", host);
		return 0;
	}

	struct sentry *s = calloc(1, sizeof(*s));
	size_t cap = cfg->queue_max ? cfg->queue_max : SENTRY_DEFAULT_QUEUE;
	if (s)
		s->ring = calloc(cap, sizeof(*s->ring));
	if (s)
		s->http = httpc_new(loop);
	if (!s || !s->ring || !s->http) {
		if (s && s->http)
			httpc_close(s->http, NULL, NULL);
		if (s)
			free(s->ring);
		free(s);
		snprintf(err, errlen, "sentry: out of memory");
		return -1;
	}
	s->loop = loop;
	s->dsn = dsn;
	s->cap = cap;
	s->accepting = true;
	pthread_mutex_init(&s->mu, NULL);
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : SENTRY_DEFAULT_TIMEOUT_MS;
	s->flush_ms = cfg->flush_ms > 0 ? cfg->flush_ms : 1000;
	s->release = copy(cfg->release);
	snprintf(s->client, sizeof(s->client), CLIENT_NAME "/%s",
	         cfg->release ? cfg->release : "unknown");
	s->hostname = strdup(host);
	s->environment = strdup(env);
	s->executor_id = copy(cfg->executor_id);
	s->framework_id = copy(cfg->framework_id);
	s->ctx = (struct sentry_config){.release = s->release,
	                                .hostname = s->hostname,
	                                .environment = s->environment,
	                                .executor_id = s->executor_id,
	                                .framework_id = s->framework_id};
	for (int i = 0; i < MAX_INFLIGHT; i++)
		s->posts[i].s = s;
	uv_async_init(loop, &s->wake, on_wake);
	s->wake.data = s;
	uv_unref((uv_handle_t *)&s->wake);
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	s->open_handles = 2;
	log_set_sink(LOG_ERROR, sentry_log_sink, s);
	log_info("sentry: reporting errors to %s (environment %s)", dsn.store_url, env);
	*out = s;
	return 1;
}
