/* libcurl multi on libuv (see httpc.h). The integration is the classic one:
 * CURLMOPT_SOCKETFUNCTION starts and stops a uv_poll_t per socket,
 * CURLMOPT_TIMERFUNCTION arms one uv_timer_t, and both callbacks hand control
 * back to curl_multi_socket_action, after which finished transfers are
 * collected with curl_multi_info_read. */
#include "httpc.h"

#include "dlist.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct httpc {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	int in_curl; /* > 0 while inside curl_multi_socket_action */
	int active;
	int handles_open; /* timer + polls not yet closed */
	bool closing;
	struct httpc_req *reqs;    /* every request in flight */
	struct httpc_req *pending; /* started from inside a curl callback: added later */
	struct sock_ctx *socks;    /* every socket being polled */
	CURL *spare;               /* a finished request's handle, reset, for the next one */
	void (*close_cb)(void *);
	void *close_data;
};

struct httpc_req {
	struct httpc *h;
	struct httpc_req *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	struct httpc_opts o;
	char *body; /* collected response body when o.on_data is NULL */
	size_t body_len, body_cap;
	bool response_seen, cancelled, too_big;
	bool is_pending; /* in h->pending, not yet in the multi handle */
	char errbuf[CURL_ERROR_SIZE];
};

struct sock_ctx {
	uv_poll_t poll; /* first: the handle pointer is the context pointer */
	struct httpc *h;
	struct sock_ctx *prev, *next;
	curl_socket_t fd;
};

static void check_done(struct httpc *h);
static void maybe_finish_close(struct httpc *h);

static void handle_closed(uv_handle_t *hd)
{
	struct httpc *h = hd->data;
	if (hd->type == UV_POLL)
		free((struct sock_ctx *)hd);
	h->handles_open--;
	maybe_finish_close(h);
}

static void sock_close(struct httpc *h, struct sock_ctx *s)
{
	uv_poll_stop(&s->poll);
	DLIST_DEL(h->socks, s);
	uv_close((uv_handle_t *)&s->poll, handle_closed);
}

static void req_free(struct httpc_req *r);

/* libcurl refuses curl_multi_add_handle from inside its callbacks, so
 * requests started there wait until control is back here. */
static void add_pending(struct httpc *h)
{
	while (h->pending && !h->in_curl) {
		struct httpc_req *r = h->pending;
		DLIST_DEL(h->pending, r);
		r->is_pending = false;
		if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
			struct httpc_result res = {
			    .curl_code = -1, .error = "cannot start request", .body = ""};
			if (r->o.on_done)
				r->o.on_done(r->o.data, &res);
			req_free(r);
			continue;
		}
		h->active++;
		DLIST_ADD(h->reqs, r);
	}
}

static void socket_action(struct httpc *h, curl_socket_t fd, int ev)
{
	int running;
	h->in_curl++;
	curl_multi_socket_action(h->multi, fd, ev, &running);
	h->in_curl--;
	check_done(h);
	add_pending(h);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct sock_ctx *s = (struct sock_ctx *)p;
	int ev = 0;
	if (status < 0)
		ev = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		ev |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		ev |= CURL_CSELECT_OUT;
	socket_action(s->h, s->fd, ev);
}

static void on_timer(uv_timer_t *t)
{
	socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct httpc *h = userp;
	struct sock_ctx *s = sockp;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(h->multi, fd, NULL);
			sock_close(h, s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->h = h;
		s->fd = fd;
		if (uv_poll_init_socket(h->loop, &s->poll, fd) < 0) {
			free(s);
			return -1;
		}
		s->poll.data = h;
		h->handles_open++;
		DLIST_ADD(h->socks, s);
		curl_multi_assign(h->multi, fd, s);
	}
	int events = 0;
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, on_poll);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct httpc *h = userp;
	if (timeout_ms < 0)
		uv_timer_stop(&h->timer);
	else
		uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

/* ------------------------------------------------------------ defaults */

static struct {
	pthread_once_t once;
	const char *file, *dir;
} CA = {.once = PTHREAD_ONCE_INIT};

static bool is_file(const char *p)
{
	struct stat st;
	return p && *p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void find_system_ca(void)
{
	static const char *const bundles[] = {
	    "/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Alpine */
	    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL, CentOS 7+ */
	    "/etc/pki/tls/certs/ca-bundle.crt",                  /* RHEL, CentOS 6+ */
	    "/etc/ssl/ca-bundle.pem",                            /* SUSE */
	    "/etc/ssl/cert.pem",                                 /* Alpine, BSDs */
	};
	const char *file = getenv("SSL_CERT_FILE"), *dir = getenv("SSL_CERT_DIR");
	if (is_file(file) || is_dir(dir)) {
		CA.file = is_file(file) ? strdup(file) : NULL;
		CA.dir = is_dir(dir) ? strdup(dir) : NULL;
		return;
	}
	for (size_t i = 0; i < sizeof(bundles) / sizeof(bundles[0]); i++)
		if (is_file(bundles[i])) {
			CA.file = bundles[i];
			return;
		}
	if (is_dir("/etc/ssl/certs"))
		CA.dir = "/etc/ssl/certs";
}

void httpc_system_ca(const char **file, const char **dir)
{
	pthread_once(&CA.once, find_system_ca);
	*file = CA.file;
	*dir = CA.dir;
}

static curl_socket_t open_cloexec(void *data, curlsocktype purpose, struct curl_sockaddr *a)
{
	int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

/* mbedTLS 2.28 (the TLS of the static build's libcurl) matches a
 * certificate's DNS names and CN against the host, never its IP address
 * names, and agents are addressed by IP (MESOS_AGENT_ENDPOINT). So with
 * libcurl on mbedTLS, a certificate whose iPAddress subjectAltName equals the
 * URL's IP literal has its name accepted (RFC 6125 6.2.1); the chain is
 * verified as before. libcurl on OpenSSL (the glibc build) checks IP names
 * itself and never installs this. */
static bool tls_is_mbedtls(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	return v->ssl_version && strncmp(v->ssl_version, "mbedTLS", 7) == 0;
}

/* The URL's host as 4 or 16 bytes when it is an IP literal; 0 otherwise. */
static size_t url_ip(CURL *e, unsigned char ip[16])
{
	char *url = NULL, *host = NULL;
	size_t len = 0;
	CURLU *u = curl_url();
	if (u && curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url &&
	    curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		size_t n = strlen(host);
		if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
			host[n - 1] = '\0';
			len = inet_pton(AF_INET6, host + 1, ip) == 1 ? 16 : 0;
		} else {
			len = inet_pton(AF_INET, host, ip) == 1 ? 4 : 0;
		}
	}
	curl_free(host);
	curl_url_cleanup(u);
	return len;
}

static int verify_ip_name(void *data, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	unsigned char ip[16];
	size_t len;
	if (depth != 0 || !(*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) || !(len = url_ip(data, ip)))
		return 0;
	for (const mbedtls_x509_sequence *san = &crt->subject_alt_names; san; san = san->next)
		if (san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && san->buf.len == len &&
		    memcmp(san->buf.p, ip, len) == 0) {
			*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
			break;
		}
	return 0;
}

static CURLcode on_mbedtls_config(CURL *e, void *config, void *data)
{
	mbedtls_ssl_conf_verify(config, verify_ip_name, e);
	return CURLE_OK;
}

void httpc_easy_defaults(void *curl_easy)
{
	CURL *e = curl_easy;
	const char *file, *dir;
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_cloexec);
	if (tls_is_mbedtls())
		curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_mbedtls_config);
	httpc_system_ca(&file, &dir);
	if (file)
		curl_easy_setopt(e, CURLOPT_CAINFO, file);
	if (dir)
		curl_easy_setopt(e, CURLOPT_CAPATH, dir);
}

/* ------------------------------------------------------------ the client */

struct httpc *httpc_new(uv_loop_t *loop)
{
	static int global_ok = -1;
	if (global_ok < 0)
		global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!global_ok)
		return NULL;

	struct httpc *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->loop = loop;
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return NULL;
	}
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
	h->handles_open = 1;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

static size_t header_cb(char *buf, size_t size, size_t n, void *userp)
{
	struct httpc_req *r = userp;
	size_t len = size * n;
	long status = 0;

	/* The blank line ends a header block; 1xx blocks are skipped. */
	if (len <= 2 && (buf[0] == '\r' || buf[0] == '\n')) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && !r->response_seen) {
			r->response_seen = true;
			char *ct = NULL;
			curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
			if (r->o.on_response && r->o.on_response(r->o.data, status, ct))
				return 0;
		}
	}
	return len;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *userp)
{
	struct httpc_req *r = userp;
	size_t len = size * n;

	if (r->cancelled)
		return 0;
	if (r->o.on_data)
		return r->o.on_data(r->o.data, buf, len) ? 0 : len;
	if (r->body_len + len > HTTPC_MAX_BODY) {
		r->too_big = true;
		return 0;
	}
	if (r->body_len + len + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 1024;
		while (cap < r->body_len + len + 1)
			cap *= 2;
		char *nb = realloc(r->body, cap);
		if (!nb)
			return 0;
		r->body = nb;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, buf, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

/* The easy handle is kept for the next request (health probes start one
 * every interval): curl_easy_reset clears its options but keeps its
 * buffers, which curl_easy_init would allocate and zero again. */
static void req_free(struct httpc_req *r)
{
	struct httpc *h = r->h;
	if (!h->closing && !h->spare) {
		curl_easy_reset(r->easy);
		h->spare = r->easy;
	} else {
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
	free(r->body);
	free(r);
}

struct httpc_req *httpc_start(struct httpc *h, const struct httpc_opts *o)
{
	if (h->closing)
		return NULL;
	struct httpc_req *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->h = h;
	r->o = *o;
	r->easy = h->spare ? h->spare : curl_easy_init();
	h->spare = NULL;
	if (!r->easy) {
		free(r);
		return NULL;
	}
	CURL *e = r->easy;
	httpc_easy_defaults(e);
	curl_easy_setopt(e, CURLOPT_URL, o->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (o->unix_socket)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
	if (o->timeout_ms)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	if (o->connect_timeout_ms)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	if (o->ca_file || o->ca_dir || o->insecure) { /* instead of httpc_system_ca() */
		curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, o->ca_dir);
	}
	if (o->client_cert) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, o->client_cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, o->client_key);
	}
	if (o->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->follow_redirects) {
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
	}
	if (o->fresh_connect)
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	if (o->forbid_reuse)
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	/* No "Expect: 100-continue": libprocess would make curl wait a second. */
	r->headers = curl_slist_append(NULL, "Expect:");
	for (const char *const *hd = o->headers; hd && *hd; hd++)
		r->headers = curl_slist_append(r->headers, *hd);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	if (o->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, o->body);
	}
	if (o->method && strcmp(o->method, o->body ? "POST" : "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o->method);
		if (strcmp(o->method, "HEAD") == 0)
			curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	}
	if (h->in_curl) {
		r->is_pending = true;
		DLIST_ADD(h->pending, r);
		return r;
	}
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		req_free(r);
		return NULL;
	}
	h->active++;
	DLIST_ADD(h->reqs, r);
	return r;
}

/* Removes and frees finished transfers, calling their on_done. */
static void check_done(struct httpc *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct httpc_req *r;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		CURLcode code = m->data.result;
		curl_multi_remove_handle(h->multi, r->easy);
		h->active--;
		DLIST_DEL(h->reqs, r);
		if (!r->cancelled && r->o.on_done) {
			struct httpc_result res = {.curl_code = code};
			char *ct = NULL;
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
			curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
			curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &res.total_secs);
			res.content_type = ct;
			if (code != CURLE_OK)
				res.error = r->too_big     ? "response body too large"
				            : r->errbuf[0] ? r->errbuf
				                           : curl_easy_strerror(code);
			res.body = r->body ? r->body : "";
			res.body_len = r->body_len;
			r->o.on_done(r->o.data, &res);
		}
		req_free(r);
	}
}

void httpc_cancel(struct httpc_req *r)
{
	struct httpc *h = r->h;
	if (r->is_pending) {
		DLIST_DEL(h->pending, r);
		req_free(r);
		return;
	}
	r->cancelled = true;
	r->o.on_done = NULL;
	if (h->in_curl)
		return; /* write_cb aborts it; check_done frees it */
	curl_multi_remove_handle(h->multi, r->easy);
	h->active--;
	DLIST_DEL(h->reqs, r);
	req_free(r);
}

int httpc_active(const struct httpc *h)
{
	return h->active;
}

static void maybe_finish_close(struct httpc *h)
{
	if (!h->closing || h->handles_open > 0)
		return;
	void (*cb)(void *) = h->close_cb;
	void *data = h->close_data;
	free(h);
	if (cb)
		cb(data);
}

void httpc_close(struct httpc *h, void (*cb)(void *data), void *data)
{
	h->closing = true;
	h->close_cb = cb;
	h->close_data = data;
	while (h->pending) {
		struct httpc_req *r = h->pending;
		DLIST_DEL(h->pending, r);
		req_free(r);
	}
	while (h->reqs) {
		struct httpc_req *r = h->reqs;
		DLIST_DEL(h->reqs, r);
		curl_multi_remove_handle(h->multi, r->easy);
		req_free(r);
	}
	h->active = 0;
	curl_easy_cleanup(h->spare);
	h->spare = NULL;
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
	while (h->socks)
		sock_close(h, h->socks);
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, handle_closed);
}
