/* Fault injection, request log, common options and the main loop of the fake
 * servers (see fakectl.h). The injector is httpd's intercept hook: it sees
 * every request before routing, answers /_fake/fail|delay|faults|requests
 * itself, records the others and applies the first matching rule. */
#include "fakectl.h"

#include "common/dlist.h"
#include "common/log.h"
#include "common/str.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKECTL_LOG_MAX  1000
#define FAKECTL_BODY_MAX (64 * 1024)

struct rule {
	char *method;       /* NULL: any (owned) */
	char *path;         /* prefix, NULL: any (owned) */
	long count;         /* remaining; -1 = forever */
	unsigned status;    /* 0: handle normally (after the delay) */
	bool close;         /* close the connection instead of answering */
	char *body;         /* owned */
	char *content_type; /* owned */
	long delay_ms;
	struct rule *next;
};

struct delayed {
	uv_timer_t timer;
	struct fakectl *c;
	struct httpd_req *req; /* NULL once the request is gone */
	unsigned status;
	bool close;
	char *body, *content_type; /* owned */
	struct delayed *prev, *next;
};

struct fakectl {
	uv_loop_t *loop;
	struct rule *rules;      /* owned list, in insertion order */
	struct delayed *delayed; /* timers in flight */
	cJSON *log;              /* owned array of requests */
	int open;                /* delayed timers not yet closed */
	bool closing;
};

/* ------------------------------------------------------------ options */

int fakectl_parse_arg(struct fakectl_opts *o, int argc, char **argv, int *i, char *err,
                      size_t errlen)
{
	const char *a = argv[*i];
	if (strcmp(a, "--allow-remote") == 0) {
		o->allow_remote = true;
		return 1;
	}
	if (strncmp(a, "--listen=", 9) == 0) {
		o->listen = a + 9;
		return 1;
	}
	if (strcmp(a, "--listen") == 0) {
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "--listen needs a value (HOST:PORT)");
			return -1;
		}
		o->listen = argv[++*i];
		return 1;
	}
	static const struct {
		const char *name;
		size_t offset;
	} files[] = {{"--tls-cert", offsetof(struct fakectl_opts, tls_cert_file)},
	             {"--tls-key", offsetof(struct fakectl_opts, tls_key_file)},
	             {"--unix-socket", offsetof(struct fakectl_opts, unix_socket)}};
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
		size_t n = strlen(files[k].name);
		const char **field = (const char **)((char *)o + files[k].offset);
		if (strncmp(a, files[k].name, n) == 0 && a[n] == '=') {
			*field = a + n + 1;
			return 1;
		}
		if (strcmp(a, files[k].name) == 0) {
			if (*i + 1 >= argc) {
				snprintf(err, errlen, "%s needs a value (a path)", files[k].name);
				return -1;
			}
			*field = argv[++*i];
			return 1;
		}
	}
	return 0;
}

/* A whole PEM file as a string (malloc'd), or NULL with err. */
static char *read_pem(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	if (f) {
		FILE *m = open_memstream(&buf, &len);
		char chunk[4096];
		size_t n;
		while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, m);
		if (m)
			fclose(m);
		fclose(f);
	}
	if (!buf)
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
	return buf;
}

/* --tls-cert and --tls-key read (both malloc'd; NULL without them). */
static int load_tls(const struct fakectl_opts *o, char **cert, char **key, char *err, size_t errlen)
{
	*cert = *key = NULL;
	if (!o->tls_cert_file != !o->tls_key_file) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return -1;
	}
	if (!o->tls_cert_file)
		return 0;
	if (!(*cert = read_pem(o->tls_cert_file, err, errlen)) ||
	    !(*key = read_pem(o->tls_key_file, err, errlen)))
		return -1;
	return 0;
}

/* ------------------------------------------------------------ rules */

static void rule_free(struct rule *r)
{
	free(r->method);
	free(r->path);
	free(r->body);
	free(r->content_type);
	free(r);
}

static void control_add_rule(struct fakectl *c, struct httpd_req *r, bool is_delay)
{
	cJSON *j = httpd_body_json(r);
	if (!j)
		return;
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(j, "count");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(j, is_delay ? "ms" : "delay_ms");
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
	const cJSON *close = cJSON_GetObjectItemCaseSensitive(j, "close");
	bool closing = !is_delay && cJSON_IsTrue(close);
	const char *bad = NULL;

	if (count && (!cJSON_IsNumber(count) || (count->valuedouble < 1 && count->valueint != -1)))
		bad = "count must be a positive number or -1 (forever)";
	else if (close && (is_delay || !cJSON_IsBool(close)))
		bad = "close must be true or false (and only in /_fake/fail)";
	else if (!is_delay && !closing &&
	         (!cJSON_IsNumber(status) || status->valueint < 100 || status->valueint > 599))
		bad = "status must be an HTTP status code (100..599), or close true";
	else if (is_delay && (!cJSON_IsNumber(ms) || ms->valuedouble < 0))
		bad = "ms must be a number of milliseconds >= 0";
	else if (!is_delay && ms && (!cJSON_IsNumber(ms) || ms->valuedouble < 0))
		bad = "delay_ms must be a number of milliseconds >= 0";
	else if (body && !cJSON_IsString(body))
		bad = "body must be a string";
	if (bad) {
		cJSON_Delete(j);
		httpd_reply_text(r, 400, "%s", bad);
		return;
	}
	struct rule *nr = calloc(1, sizeof(*nr));
	if (!nr) {
		cJSON_Delete(j);
		httpd_reply_text(r, 500, "out of memory");
		return;
	}
	nr->method =
	    str_dup_nonempty(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "method")));
	nr->path =
	    str_dup_nonempty(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "path")));
	nr->count = count ? (long)count->valuedouble : 1;
	nr->close = closing;
	nr->status = is_delay || closing ? 0 : (unsigned)status->valueint;
	nr->delay_ms = ms ? (long)ms->valuedouble : 0;
	nr->body = body ? strdup(body->valuestring) : NULL;
	nr->content_type = str_dup_nonempty(
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "content_type")));
	cJSON_Delete(j);

	struct rule **tail = &c->rules;
	while (*tail)
		tail = &(*tail)->next;
	*tail = nr;
	httpd_reply(r, 200, NULL, "", 0, NULL);
}

static struct rule *take_rule(struct fakectl *c, struct httpd_req *r)
{
	for (struct rule **p = &c->rules; *p; p = &(*p)->next) {
		struct rule *rl = *p;
		if (rl->method && strcmp(rl->method, httpd_method(r)) != 0)
			continue;
		if (rl->path && strncmp(rl->path, httpd_path(r), strlen(rl->path)) != 0)
			continue;
		if (rl->count > 0 && --rl->count == 0)
			*p = rl->next; /* the caller frees it */
		return rl;
	}
	return NULL;
}

cJSON *fakectl_faults_json(const struct fakectl *c)
{
	cJSON *a = cJSON_CreateArray();
	for (const struct rule *rl = c->rules; rl; rl = rl->next) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(a, o);
		if (rl->method)
			cJSON_AddStringToObject(o, "method", rl->method);
		if (rl->path)
			cJSON_AddStringToObject(o, "path", rl->path);
		cJSON_AddNumberToObject(o, "count", (double)rl->count);
		if (rl->status)
			cJSON_AddNumberToObject(o, "status", rl->status);
		if (rl->close)
			cJSON_AddBoolToObject(o, "close", true);
		if (rl->delay_ms)
			cJSON_AddNumberToObject(o, "delay_ms", (double)rl->delay_ms);
		if (rl->body)
			cJSON_AddStringToObject(o, "body", rl->body);
	}
	return a;
}

/* ------------------------------------------------------------ replies */

static void reply_fault(struct httpd_req *r, unsigned status, const char *body, const char *ct)
{
	const char *b = body ? body : "";
	httpd_reply(r, status, *b ? (ct ? ct : "text/plain; charset=utf-8") : NULL, b, strlen(b),
	            NULL);
}

static void delayed_closed(uv_handle_t *h)
{
	struct delayed *dl = h->data;
	struct fakectl *c = dl->c;
	free(dl->body);
	free(dl->content_type);
	free(dl);
	if (--c->open == 0 && c->closing) {
		cJSON_Delete(c->log);
		free(c);
	}
}

static void delayed_finish(struct delayed *dl)
{
	DLIST_DEL(dl->c->delayed, dl);
	uv_timer_stop(&dl->timer);
	uv_close((uv_handle_t *)&dl->timer, delayed_closed);
}

static void delayed_fire(uv_timer_t *t)
{
	struct delayed *dl = t->data;
	struct httpd_req *r = dl->req;
	dl->req = NULL;
	if (r && dl->close)
		httpd_drop(r);
	else if (r && dl->status)
		reply_fault(r, dl->status, dl->body, dl->content_type);
	else if (r)
		httpd_route(r);
	delayed_finish(dl);
}

static void delayed_abort(struct httpd_req *r, void *data)
{
	struct delayed *dl = data;
	if (dl->req) {
		dl->req = NULL;
		delayed_finish(dl);
	}
}

static void apply_rule(struct fakectl *c, struct httpd_req *r, struct rule *rl)
{
	if (!rl->delay_ms) {
		if (rl->close)
			httpd_drop(r);
		else
			reply_fault(r, rl->status, rl->body, rl->content_type);
		return;
	}
	struct delayed *dl = calloc(1, sizeof(*dl));
	if (!dl) {
		httpd_reply_text(r, 500, "out of memory");
		return;
	}
	dl->c = c;
	dl->req = r;
	dl->status = rl->status;
	dl->close = rl->close;
	dl->body = rl->body ? strdup(rl->body) : NULL;
	dl->content_type = rl->content_type ? strdup(rl->content_type) : NULL;
	uv_timer_init(c->loop, &dl->timer);
	dl->timer.data = dl;
	c->open++;
	DLIST_ADD(c->delayed, dl);
	httpd_defer(r, delayed_abort, dl);
	uv_timer_start(&dl->timer, delayed_fire, (uint64_t)rl->delay_ms, 0);
}

/* ------------------------------------------------------------ request log */

static void add_query(void *data, const char *k, const char *v)
{
	cJSON *pair = cJSON_CreateArray();
	cJSON_AddItemToArray(pair, cJSON_CreateString(k));
	cJSON_AddItemToArray(pair, v ? cJSON_CreateString(v) : cJSON_CreateNull());
	cJSON_AddItemToArray(data, pair);
}

static void add_header(void *data, const char *k, const char *v)
{
	cJSON_DeleteItemFromObject(data, k);
	cJSON_AddStringToObject(data, k, v ? v : "");
}

static void log_request(struct fakectl *c, struct httpd_req *r)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "method", httpd_method(r));
	cJSON_AddStringToObject(e, "path", httpd_path(r));
	httpd_query_each(r, add_query, cJSON_AddArrayToObject(e, "query"));
	httpd_header_each(r, add_header, cJSON_AddObjectToObject(e, "headers"));
	size_t len;
	const char *body = httpd_body(r, &len);
	if (len > FAKECTL_BODY_MAX)
		len = FAKECTL_BODY_MAX;
	char *copy = strndup(body, len);
	cJSON_AddStringToObject(e, "body", copy ? copy : "");
	free(copy);
	if (cJSON_GetArraySize(c->log) >= FAKECTL_LOG_MAX)
		cJSON_DeleteItemFromArray(c->log, 0);
	cJSON_AddItemToArray(c->log, e);
}

/* ------------------------------------------------------------ the hook */

static bool control(struct fakectl *c, struct httpd_req *r)
{
	const char *p = httpd_path(r), *m = httpd_method(r);
	bool get = strcmp(m, "GET") == 0, del = strcmp(m, "DELETE") == 0,
	     post = strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0;

	if (strcmp(p, "/_fake/fail") == 0 || strcmp(p, "/_fake/delay") == 0) {
		if (post)
			control_add_rule(c, r, strcmp(p, "/_fake/delay") == 0);
		else
			httpd_reply(r, 405, "text/plain; charset=utf-8", "use POST", 8,
			            (const char *const[]){"Allow: POST,PUT", NULL});
		return true;
	}
	if (strcmp(p, "/_fake/faults") == 0 || strcmp(p, "/_fake/requests") == 0) {
		bool faults = p[7] == 'f';
		if (get) {
			httpd_reply_json(
			    r, 200, faults ? fakectl_faults_json(c) : cJSON_Duplicate(c->log, 1),
			    NULL);
		} else if (del) {
			if (faults) {
				while (c->rules) {
					struct rule *rl = c->rules;
					c->rules = rl->next;
					rule_free(rl);
				}
			} else {
				cJSON_Delete(c->log);
				c->log = cJSON_CreateArray();
			}
			httpd_reply(r, 200, NULL, "", 0, NULL);
		} else {
			httpd_reply(r, 405, "text/plain; charset=utf-8", "use GET or DELETE", 17,
			            (const char *const[]){"Allow: GET,DELETE", NULL});
		}
		return true;
	}
	return false;
}

static bool intercept(struct httpd_req *r, void *data)
{
	struct fakectl *c = data;

	if (strncmp(httpd_path(r), "/_fake/", 7) == 0)
		return !httpd_via_unix_socket(r) && control(c, r);
	log_request(c, r);
	struct rule *rl = take_rule(c, r);
	if (!rl)
		return false;
	bool used_up = rl->count == 0, took = rl->status || rl->close || rl->delay_ms;
	if (took)
		apply_rule(c, r, rl);
	if (used_up)
		rule_free(rl);
	return took;
}

/* ------------------------------------------------------------ lifecycle */

struct fakectl *fakectl_new(uv_loop_t *loop)
{
	struct fakectl *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = loop;
	c->log = cJSON_CreateArray();
	return c;
}

void fakectl_attach(struct fakectl *c, struct httpd_config *cfg)
{
	cfg->intercept = intercept;
	cfg->intercept_data = c;
}

void fakectl_close(struct fakectl *c)
{
	if (!c)
		return;
	while (c->rules) {
		struct rule *rl = c->rules;
		c->rules = rl->next;
		rule_free(rl);
	}
	while (c->delayed) {
		struct delayed *dl = c->delayed;
		dl->req = NULL;
		delayed_finish(dl);
	}
	c->closing = true;
	if (c->open == 0) {
		cJSON_Delete(c->log);
		free(c);
	}
}

/* ------------------------------------------------------------ main loop */

struct serving {
	struct httpd *d;
	struct fakectl *c;
	const struct fakectl_server *s;
};

static void on_stop_signal(void *data)
{
	struct serving *sv = data;
	log_info("%s: stopping", sv->s->name);
	httpd_stop(sv->d);
	fakectl_close(sv->c);
	if (sv->s->on_stop)
		sv->s->on_stop(sv->s->data);
}

int fakectl_serve(uv_loop_t *loop, const struct fakectl_server *s)
{
	struct serving sv = {.s = s};
	struct httpd_config cfg = {
	    .name = s->name,
	    .listen = s->opts->listen ? s->opts->listen : s->default_listen,
	    .unix_socket = s->opts->unix_socket,
	    .allow_non_loopback = s->opts->allow_remote,
	    .routes = s->routes,
	    .fallback = s->fallback,
	    .data = s->data,
	};
	char err[256];
	int rc = 0;
	char *cert = NULL, *key = NULL;

	sv.c = fakectl_new(loop);
	if (!sv.c) {
		log_error("%s: out of memory", s->name);
		return 1;
	}
	fakectl_attach(sv.c, &cfg);
	if (load_tls(s->opts, &cert, &key, err, sizeof(err)) == 0) {
		cfg.tls_cert = cert; /* copied */
		cfg.tls_key = key;
		sv.d = httpd_start(loop, &cfg, err, sizeof(err));
	}
	free(cert);
	free(key);
	if (!sv.d) {
		log_error("%s: %s", s->name, err);
		fakectl_close(sv.c);
		if (s->on_stop)
			s->on_stop(s->data);
		rc = 1;
	} else {
		/* Signals first: whoever reads the announcement may stop us at once. */
		httpd_stop_on_signals(loop, on_stop_signal, &sv);
		httpd_announce(sv.d);
		log_info("%s: listening on %s://%s", s->name, cfg.tls_cert ? "https" : "http",
		         httpd_address(sv.d));
	}
	uv_run(loop, UV_RUN_DEFAULT);
	if (uv_loop_close(loop) != 0)
		log_warn("%s: handles still open at exit", s->name);
	return rc;
}
