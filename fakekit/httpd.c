/* libmicrohttpd on libuv (see httpd.h).
 *
 * MHD runs in external-epoll mode: its epoll fd is watched by a uv_poll_t and
 * MHD_run() is called when it is readable or when MHD's own timeout (a
 * uv_timer_t) expires. Suspending and resuming connections signals MHD's
 * inter-thread channel, which is inside that epoll set, so a resume made from
 * any loop callback wakes MHD up on the next loop iteration. Streams are
 * httpd_stream.c's. */
#include "httpd.h"
#include "httpd_internal.h"

#include "common/dlist.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* ------------------------------------------------------------ loop glue */

static void on_mhd_timer(uv_timer_t *t);

static void run_mhd(struct listener *l)
{
	MHD_UNSIGNED_LONG_LONG to;

	if (!l->active)
		return;
	l->kicked = false;
	MHD_run(l->mhd);
	/* A connection resumed from inside a handler must not wait for MHD's
	 * own timeout (there may be none): run again at once. */
	if (l->active && l->kicked)
		uv_timer_start(&l->timer, on_mhd_timer, 0, 0);
	else if (l->active && MHD_get_timeout(l->mhd, &to) == MHD_YES)
		uv_timer_start(&l->timer, on_mhd_timer, to, 0);
	else
		uv_timer_stop(&l->timer);
}

static void on_mhd_timer(uv_timer_t *t)
{
	run_mhd(t->data);
}

static void on_mhd_poll(uv_poll_t *p, int status, int events)
{
	run_mhd(p->data);
}

void httpd_kick(struct listener *l)
{
	if (l->active) {
		l->kicked = true;
		uv_timer_start(&l->timer, on_mhd_timer, 0, 0);
	}
}

/* ------------------------------------------------------------ requests */

static void req_resume(struct httpd_req *r)
{
	if (r->suspended) {
		r->suspended = false;
		MHD_resume_connection(r->conn);
		httpd_kick(r->l);
	}
}

static struct httpd_route const *match(const struct httpd *d, const char *path, const char *method,
                                       char *allow, size_t allow_len)
{
	const struct httpd_route *found = NULL;
	size_t n = 0;

	allow[0] = '\0';
	for (const struct httpd_route *rt = d->cfg.routes; rt && rt->path; rt++) {
		size_t pl = strlen(rt->path);
		bool hit;
		if (pl && rt->path[pl - 1] == '*')
			hit = strncmp(path, rt->path, pl - 1) == 0;
		else if (pl && rt->path[pl - 1] == '/' && pl > 1)
			hit = strncmp(path, rt->path, pl) == 0;
		else
			hit = strcmp(path, rt->path) == 0;
		if (!hit)
			continue;
		if (strcmp(rt->method, method) == 0 && !found)
			found = rt;
		if (!strstr(allow, rt->method) && n + strlen(rt->method) + 2 < allow_len)
			n += (size_t)snprintf(allow + n, allow_len - n, "%s%s", n ? "," : "",
			                      rt->method);
	}
	return found;
}

static void route(struct httpd_req *r)
{
	struct httpd *d = r->d;
	char allow[128];

	if (r->too_large) {
		httpd_reply_text(r, 413, "Request body too large");
		return;
	}
	const struct httpd_route *rt = match(d, r->url, r->method, allow, sizeof(allow));
	if (rt) {
		rt->fn(r, d->cfg.data);
	} else if (allow[0]) {
		char hdr[160];
		snprintf(hdr, sizeof(hdr), "Allow: %s", allow);
		const char *hdrs[] = {hdr, NULL};
		/* The method is the client's: a long one is cut, never over-read. */
		char msg[64];
		snprintf(msg, sizeof(msg), "method %s not allowed", r->method);
		httpd_reply(r, 405, "text/plain; charset=utf-8", msg, strlen(msg), hdrs);
	} else if (d->cfg.fallback) {
		d->cfg.fallback(r, d->cfg.data);
	} else {
		httpd_reply_text(r, 404, "Not found");
	}
}

static void dispatch(struct httpd_req *r)
{
	if (r->d->cfg.intercept && !r->too_large &&
	    r->d->cfg.intercept(r, r->d->cfg.intercept_data))
		return;
	route(r);
}

void httpd_route(struct httpd_req *r)
{
	if (r->state == REQ_DEFERRED) { /* the hook's deferral ends here */
		DLIST_DEL(r->d->deferred, r);
		r->state = REQ_DISPATCHED;
		r->on_abort = NULL;
	}
	route(r);
	if (r->drop) {
		req_resume(r); /* on_request closes it */
		return;
	}
	if (r->state == REQ_DISPATCHED && !r->pending) {
		log_error("%s: handler for %s %s did not answer", r->d->cfg.name, r->method,
		          r->url);
		httpd_reply_text(r, 500, "handler did not answer");
	}
	if (r->pending)
		req_resume(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct httpd_req *r = *con_cls;

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->d = l->d;
		r->l = l;
		r->conn = c;
		r->method = method;
		r->url = url;
		*con_cls = r;
		return MHD_YES;
	}
	if (r->drop)
		return MHD_NO; /* MHD closes the connection */
	if (r->state == REQ_READING && *upload_size) {
		size_t max = r->d->cfg.max_body ? r->d->cfg.max_body : 64u << 20;
		if (r->body_len + *upload_size > max) {
			r->too_large = true;
		} else if (!r->too_large) {
			if (r->body_len + *upload_size + 1 > r->body_cap) {
				size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
				while (cap < r->body_len + *upload_size + 1)
					cap *= 2;
				char *nb = realloc(r->body, cap);
				if (!nb)
					return MHD_NO;
				r->body = nb;
				r->body_cap = cap;
			}
			memcpy(r->body + r->body_len, upload, *upload_size);
			r->body_len += *upload_size;
			r->body[r->body_len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->state == REQ_READING) {
		r->state = REQ_DISPATCHED;
		dispatch(r);
		if (r->drop)
			return MHD_NO;
		if (r->state == REQ_DISPATCHED && !r->pending) {
			log_error("%s: handler for %s %s did not answer", r->d->cfg.name, method,
			          url);
			httpd_reply_text(r, 500, "handler did not answer");
		}
	}
	if (r->pending) {
		enum MHD_Result ok = MHD_queue_response(c, r->pending_status, r->pending);
		MHD_destroy_response(r->pending);
		r->pending = NULL;
		r->state = REQ_QUEUED;
		return ok;
	}
	if (r->state == REQ_DEFERRED && !r->suspended) {
		r->suspended = true;
		MHD_suspend_connection(c);
	}
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct httpd_req *r = *con_cls;
	if (!r)
		return;
	if (r->state == REQ_DEFERRED) {
		DLIST_DEL(r->d->deferred, r);
		if (r->on_abort)
			r->on_abort(r, r->abort_data);
	}
	if (r->pending)
		MHD_destroy_response(r->pending);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

const char *httpd_method(const struct httpd_req *r)
{
	return r->method;
}
const char *httpd_path(const struct httpd_req *r)
{
	return r->url;
}
void *httpd_data(const struct httpd_req *r)
{
	return r->d->cfg.data;
}
bool httpd_via_unix_socket(const struct httpd_req *r)
{
	return r->l->is_unix;
}

const char *httpd_header(const struct httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *httpd_query(const struct httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool httpd_has_query(const struct httpd_req *r, const char *name)
{
	const char *v;
	size_t vl;
	return MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
	                                     &vl) == MHD_YES;
}

struct kv_iter {
	httpd_kv_fn fn;
	void *data;
};

static enum MHD_Result kv_each(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	struct kv_iter *it = cls;
	it->fn(it->data, key, value);
	return MHD_YES;
}

void httpd_query_each(const struct httpd_req *r, httpd_kv_fn fn, void *data)
{
	struct kv_iter it = {fn, data};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, kv_each, &it);
}

void httpd_header_each(const struct httpd_req *r, httpd_kv_fn fn, void *data)
{
	struct kv_iter it = {fn, data};
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, kv_each, &it);
}

const char *httpd_body(const struct httpd_req *r, size_t *len)
{
	if (len)
		*len = r->body_len;
	return r->body ? r->body : "";
}

cJSON *httpd_body_json(struct httpd_req *r)
{
	cJSON *j = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	if (!j)
		httpd_reply_text(r, 400, "Request decode failed: body is not valid JSON");
	return j;
}

void httpd_add_headers(struct MHD_Response *resp, const char *const *headers)
{
	for (const char *const *h = headers; h && *h; h++) {
		const char *colon = strchr(*h, ':');
		if (!colon)
			continue;
		char name[128];
		size_t nl = (size_t)(colon - *h);
		if (nl >= sizeof(name))
			continue;
		memcpy(name, *h, nl);
		name[nl] = '\0';
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		MHD_add_response_header(resp, name, v);
	}
}

void httpd_set_pending(struct httpd_req *r, unsigned status, struct MHD_Response *resp)
{
	if (r->state == REQ_QUEUED || r->pending) { /* answered twice: a bug */
		log_error("%s: second answer to %s %s ignored", r->d->cfg.name, r->method, r->url);
		MHD_destroy_response(resp);
		return;
	}
	r->pending = resp;
	r->pending_status = status;
	if (r->state == REQ_DEFERRED) {
		DLIST_DEL(r->d->deferred, r);
		r->state = REQ_DISPATCHED;
		req_resume(r);
	}
}

void httpd_reply(struct httpd_req *r, unsigned status, const char *content_type, const void *body,
                 size_t len, const char *const *headers)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return;
	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	httpd_add_headers(resp, headers);
	httpd_set_pending(r, status, resp);
}

void httpd_reply_text(struct httpd_req *r, unsigned status, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	httpd_reply(r, status, n ? "text/plain; charset=utf-8" : NULL, buf, (size_t)n, NULL);
}

void httpd_reply_json(struct httpd_req *r, unsigned status, cJSON *json, const char *const *headers)
{
	char *s = json ? cJSON_PrintUnformatted(json) : NULL;
	cJSON_Delete(json);
	if (!s) {
		httpd_reply_text(r, 500, "out of memory");
		return;
	}
	httpd_reply(r, status, "application/json", s, strlen(s), headers);
	free(s);
}

void httpd_drop(struct httpd_req *r)
{
	if (r->state == REQ_QUEUED || r->pending || r->drop)
		return; /* answered already */
	r->drop = true;
	if (r->state == REQ_DEFERRED) {
		DLIST_DEL(r->d->deferred, r);
		r->state = REQ_DISPATCHED;
		r->on_abort = NULL;
		req_resume(r);
	}
}

void httpd_defer(struct httpd_req *r, void (*on_abort)(struct httpd_req *, void *), void *data)
{
	r->state = REQ_DEFERRED;
	r->on_abort = on_abort;
	r->abort_data = data;
	DLIST_ADD(r->d->deferred, r);
}

/* ------------------------------------------------------------ lifecycle */

bool httpd_is_loopback(const char *listen)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
	if (n >= sizeof(host))
		return false;
	memcpy(host, listen, n);
	host[n] = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		char *e = strchr(host, ']');
		if (e)
			*e = '\0';
	}
	if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
		return true;
	struct in_addr a;
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host)) {
		snprintf(err, errlen, "--listen %s: expected HOST:PORT", listen);
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535) {
		snprintf(err, errlen, "--listen %s: port must be 0..65535", listen);
		return -1;
	}
	char *h = host;
	if (h[0] == '[') {
		h++;
		char *e = strchr(h, ']');
		if (e)
			*e = '\0';
	}
	if (strcmp(h, "localhost") == 0)
		h = "127.0.0.1";
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, h, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, h, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	} else {
		snprintf(err, errlen, "--listen %s: '%s' is not an IP address", listen, h);
		return -1;
	}
	return 0;
}

static void httpd_free(struct httpd *d)
{
	free(d->unix_path);
	free(d->tls_cert);
	free(d->tls_key);
	free(d);
}

static void handle_closed(uv_handle_t *h)
{
	struct httpd *d = h->data;
	if (--d->handles_open == 0)
		httpd_free(d);
}

/* libmicrohttpd's own messages (a client gone mid-answer, ...) are routine
 * for a fake: they go to the debug log instead of raw stderr. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

static int listener_start(struct httpd *d, struct listener *l, unsigned flags, int listen_fd,
                          const struct sockaddr *sa, char *err, size_t errlen)
{
	unsigned limit = d->cfg.connection_limit ? d->cfg.connection_limit : 4096;
	bool tls = listen_fd < 0 && d->tls_cert; /* TCP only: a Unix socket stays plain */
	struct MHD_OptionItem opts[8];
	size_t n = 0;
	if (listen_fd >= 0) {
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL};
	} else {
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)sa};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
	}
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, limit, NULL};
	if (tls) {
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, d->tls_cert};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, d->tls_key};
	}
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	l->d = d;
	errno = 0;
	l->mhd = MHD_start_daemon(flags | (tls ? MHD_USE_TLS : 0), 0, NULL, NULL, on_request, l,
	                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
	                          MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_ARRAY, opts,
	                          MHD_OPTION_END);
	if (!l->mhd && tls) {
		snprintf(err, errlen,
		         "cannot serve HTTPS on %s: %s (are the certificate and the key PEM, "
		         "and do they belong together?)",
		         d->cfg.listen, strerror(errno ? errno : EINVAL));
		return -1;
	}
	if (!l->mhd) {
		snprintf(err, errlen, "cannot serve on %s: %s",
		         listen_fd >= 0 ? "unix socket" : d->cfg.listen,
		         strerror(errno ? errno : EADDRINUSE));
		return -1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	uv_poll_init(d->loop, &l->poll, info->epoll_fd);
	uv_timer_init(d->loop, &l->timer);
	l->poll.data = l->timer.data = l;
	d->handles_open += 2;
	uv_poll_start(&l->poll, UV_READABLE, on_mhd_poll);
	l->active = true;
	httpd_kick(l);
	return 0;
}

static int unix_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(su.sun_path)) {
		snprintf(err, errlen, "unix socket path %s is too long (max %zu)", path,
		         sizeof(su.sun_path) - 1);
		return -1;
	}
	strcpy(su.sun_path, path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&su, sizeof(su)) < 0 || listen(fd, 1024) < 0) {
		snprintf(err, errlen, "unix socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct httpd *httpd_start(uv_loop_t *loop, const struct httpd_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	const char *listen = cfg->listen ? cfg->listen : "127.0.0.1:0";

	if (parse_listen(listen, &ss, err, errlen) < 0)
		return NULL;
	if (!cfg->allow_non_loopback && !httpd_is_loopback(listen)) {
		snprintf(err, errlen,
		         "refusing to listen on %s: not a loopback address (pass --allow-remote "
		         "to bind it anyway)",
		         listen);
		return NULL;
	}
	struct httpd *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->loop = loop;
	d->cfg = *cfg;
	d->cfg.listen = listen;
	if (!cfg->tls_cert != !cfg->tls_key) {
		snprintf(err, errlen, "HTTPS needs both a certificate and its key");
		free(d);
		return NULL;
	}
	if (cfg->tls_cert) {
		d->tls_cert = strdup(cfg->tls_cert);
		d->tls_key = strdup(cfg->tls_key);
		if (!d->tls_cert || !d->tls_key) {
			snprintf(err, errlen, "out of memory");
			httpd_free(d);
			return NULL;
		}
	}
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (listener_start(d, &d->l[0], flags, -1, (struct sockaddr *)&ss, err, errlen) < 0) {
		httpd_free(d);
		return NULL;
	}
	d->nlisteners = 1;

	/* The bound address, with the port the kernel picked. */
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(d->l[0].mhd, MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (getsockname(info->listen_fd, (struct sockaddr *)&bound, &bl) == 0) {
		if (bound.ss_family == AF_INET6) {
			struct sockaddr_in6 *b6 = (struct sockaddr_in6 *)&bound;
			inet_ntop(AF_INET6, &b6->sin6_addr, host, sizeof(host));
			port = ntohs(b6->sin6_port);
		} else {
			struct sockaddr_in *b4 = (struct sockaddr_in *)&bound;
			inet_ntop(AF_INET, &b4->sin_addr, host, sizeof(host));
			port = ntohs(b4->sin_port);
		}
	}
	snprintf(d->address, sizeof(d->address), bound.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d",
	         host, port);

	if (cfg->unix_socket) {
		int fd = unix_listen(cfg->unix_socket, err, errlen);
		if (fd < 0 ||
		    listener_start(d, &d->l[1],
		                   MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, fd,
		                   NULL, err, errlen) < 0) {
			if (fd >= 0)
				close(fd);
			httpd_stop(d);
			return NULL;
		}
		d->l[1].is_unix = true;
		d->unix_path = strdup(cfg->unix_socket);
		d->nlisteners = 2;
	}
	return d;
}

const char *httpd_address(const struct httpd *d)
{
	return d->address;
}

void httpd_announce(const struct httpd *d)
{
	printf("listening on %s://%s\n", d->tls_cert ? "https" : "http", d->address);
	fflush(stdout);
}

void httpd_stop(struct httpd *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	/* MHD refuses to stop with suspended connections: wake them all. */
	while (d->deferred) {
		struct httpd_req *r = d->deferred;
		DLIST_DEL(d->deferred, r);
		r->state = REQ_QUEUED;
		if (r->on_abort)
			r->on_abort(r, r->abort_data);
		r->on_abort = NULL;
		req_resume(r);
	}
	for (struct httpd_stream *s = d->streams; s; s = s->next) {
		s->ended = s->abort = true;
		httpd_stream_wake(s);
	}
	for (int i = 0; i < d->nlisteners; i++) {
		struct listener *l = &d->l[i];
		l->active = false;
		MHD_stop_daemon(l->mhd);
		uv_poll_stop(&l->poll);
		uv_timer_stop(&l->timer);
		l->poll.data = l->timer.data = d;
		uv_close((uv_handle_t *)&l->poll, handle_closed);
		uv_close((uv_handle_t *)&l->timer, handle_closed);
	}
	if (d->unix_path)
		unlink(d->unix_path);
	if (d->handles_open == 0)
		httpd_free(d);
}

/* ------------------------------------------------------------ signals */

struct sigstop {
	uv_signal_t sig[2];
	int open; /* handles not yet closed; libuv closes them in any order */
	void (*fn)(void *);
	void *data;
};

static void sigstop_closed(uv_handle_t *h)
{
	struct sigstop *s = h->data;
	if (--s->open == 0)
		free(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct sigstop *s = h->data;
	for (int i = 0; i < 2; i++) {
		uv_signal_stop(&s->sig[i]);
		uv_close((uv_handle_t *)&s->sig[i], sigstop_closed);
	}
	if (s->fn)
		s->fn(s->data);
}

void httpd_stop_on_signals(uv_loop_t *loop, void (*fn)(void *data), void *data)
{
	struct sigstop *s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->fn = fn;
	s->data = data;
	s->open = 2;
	int sigs[2] = {SIGINT, SIGTERM};
	for (int i = 0; i < 2; i++) {
		uv_signal_init(loop, &s->sig[i]);
		s->sig[i].data = s;
		uv_signal_start(&s->sig[i], on_signal, sigs[i]);
		uv_unref((uv_handle_t *)&s->sig[i]);
	}
}
