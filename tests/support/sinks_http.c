/* The HTTP sink (see sinks.h): libmicrohttpd with a thread per connection,
 * recording every request and answering from a table of canned replies. */
#include "sinks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPLIES 16

struct reply {
	char *path, *body;
	int status;
};

struct http_sink {
	struct MHD_Daemon *d;
	char addr[32];
	pthread_mutex_t mu; /* guards what follows */
	pthread_cond_t cv;
	struct reply replies[MAX_REPLIES];
	int nreplies;
	int delay_ms;
	struct http_sink_req *reqs;
	size_t n, cap;
};

struct pending {
	char *body;
	size_t len;
};

static enum MHD_Result add_kv(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
	char **acc = cls;
	char *next;
	const char *old = *acc ? *acc : "";
	int rc = kind == MHD_HEADER_KIND
	             ? asprintf(&next, "%s%s: %s\n", old, key, value ? value : "")
	             : asprintf(&next, "%s%s%s%s%s", old, *old ? "&" : "", key, value ? "=" : "",
	                        value ? value : "");
	if (rc >= 0) {
		free(*acc);
		*acc = next;
	}
	return MHD_YES;
}

static void save(struct http_sink *h, struct MHD_Connection *conn, const char *method,
                 const char *url, struct pending *p)
{
	struct http_sink_req r = {0};
	char *query = NULL;
	snprintf(r.method, sizeof(r.method), "%s", method);
	snprintf(r.path, sizeof(r.path), "%s", url);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_kv, &r.headers);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_kv, &query);
	snprintf(r.query, sizeof(r.query), "%s", query ? query : "");
	free(query);
	if (!r.headers)
		r.headers = strdup("");
	r.body = p->body ? p->body : strdup("");
	r.body_len = p->len;
	p->body = NULL;

	pthread_mutex_lock(&h->mu);
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct http_sink_req *nr = realloc(h->reqs, cap * sizeof(*nr));
		if (nr) {
			h->reqs = nr;
			h->cap = cap;
		}
	}
	if (h->n < h->cap)
		h->reqs[h->n++] = r;
	else
		http_sink_req_free(&r);
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
	struct http_sink *h = cls;
	struct pending *p = *con_cls;
	if (!p) {
		*con_cls = calloc(1, sizeof(*p));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		char *nb = realloc(p->body, p->len + *upload_size + 1);
		if (!nb)
			return MHD_NO;
		memcpy(nb + p->len, upload, *upload_size);
		p->len += *upload_size;
		nb[p->len] = '\0';
		p->body = nb;
		*upload_size = 0;
		return MHD_YES;
	}
	save(h, conn, method, url, p);

	pthread_mutex_lock(&h->mu);
	int status = 200, delay = h->delay_ms;
	char *body = NULL;
	for (int i = 0; i < h->nreplies; i++)
		if (strcmp(h->replies[i].path, url) == 0) {
			status = h->replies[i].status;
			body = strdup(h->replies[i].body);
		}
	pthread_mutex_unlock(&h->mu);
	if (delay > 0)
		usleep((useconds_t)delay * 1000);
	if (!body)
		body = strdup("{}");
	struct MHD_Response *res =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(res, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, res);
	MHD_destroy_response(res);
	return rc;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct pending *p = *con_cls;
	if (p) {
		free(p->body);
		free(p);
	}
	*con_cls = NULL;
}

struct http_sink *http_sink_start(void)
{
	struct http_sink *h = calloc(1, sizeof(*h));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	if (!h)
		return NULL;
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	                        NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, &a,
	                        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
	    h->d ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!info) {
		if (h->d)
			MHD_stop_daemon(h->d);
		free(h);
		return NULL;
	}
	snprintf(h->addr, sizeof(h->addr), "127.0.0.1:%u", (unsigned)info->port);
	return h;
}

void http_sink_stop(struct http_sink *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	for (size_t i = 0; i < h->n; i++)
		http_sink_req_free(&h->reqs[i]);
	free(h->reqs);
	for (int i = 0; i < h->nreplies; i++) {
		free(h->replies[i].path);
		free(h->replies[i].body);
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
}

const char *http_sink_addr(const struct http_sink *h)
{
	return h->addr;
}

void http_sink_reply(struct http_sink *h, const char *path, int status, const char *body)
{
	pthread_mutex_lock(&h->mu);
	int i = 0;
	while (i < h->nreplies && strcmp(h->replies[i].path, path) != 0)
		i++;
	if (i < MAX_REPLIES) {
		if (i == h->nreplies) {
			h->replies[i].path = strdup(path);
			h->nreplies++;
		} else {
			free(h->replies[i].body);
		}
		h->replies[i].body = strdup(body);
		h->replies[i].status = status;
	}
	pthread_mutex_unlock(&h->mu);
}

void http_sink_delay(struct http_sink *h, int ms)
{
	pthread_mutex_lock(&h->mu);
	h->delay_ms = ms;
	pthread_mutex_unlock(&h->mu);
}

size_t http_sink_count(struct http_sink *h)
{
	pthread_mutex_lock(&h->mu);
	size_t n = h->n;
	pthread_mutex_unlock(&h->mu);
	return n;
}

bool http_sink_get(struct http_sink *h, size_t i, struct http_sink_req *out)
{
	bool ok = false;
	pthread_mutex_lock(&h->mu);
	if (i < h->n) {
		*out = h->reqs[i];
		out->headers = strdup(h->reqs[i].headers);
		out->body = malloc(h->reqs[i].body_len + 1);
		if (out->body) {
			memcpy(out->body, h->reqs[i].body, h->reqs[i].body_len + 1);
		}
		ok = out->headers && out->body;
	}
	pthread_mutex_unlock(&h->mu);
	return ok;
}

void http_sink_req_free(struct http_sink_req *r)
{
	free(r->headers);
	free(r->body);
	r->headers = r->body = NULL;
}

bool http_sink_header(const struct http_sink_req *r, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	for (const char *p = r->headers; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);
		if (l > n + 1 && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)(l - (size_t)(v - p)), v);
			return true;
		}
		p = eol ? eol + 1 : p + l;
	}
	return false;
}

size_t http_sink_wait(struct http_sink *h, size_t n, int timeout_ms)
{
	struct timespec end;
	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&h->mu);
	while (h->n < n && pthread_cond_timedwait(&h->cv, &h->mu, &end) != ETIMEDOUT)
		;
	size_t got = h->n;
	pthread_mutex_unlock(&h->mu);
	return got;
}
