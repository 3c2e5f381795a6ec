/* Blocking HTTP for the built-in hooks: libcurl's easy interface with
 * timeouts, bounded retries with exponential backoff, and the host's address
 * (see http.h). */
#include "http.h"

#include "common/httpc.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The answer being read. */
struct sink {
	char *buf; /* owned until handed to the result */
	size_t len, cap;
	bool too_big;
	char location[1024];
};

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct sink *s = userp;
	size_t len = size * n;
	if (s->len + len > HOOKHTTP_MAX_BODY) {
		s->too_big = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (s->len + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		while (cap < s->len + len + 1)
			cap *= 2;
		char *b = realloc(s->buf, cap);
		if (!b)
			return 0;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct sink *s = userp;
	size_t len = size * n;
	static const char name[] = "location:";
	if (len > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		const char *v = data + sizeof(name) - 1;
		size_t vlen = len - (sizeof(name) - 1);
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen >= sizeof(s->location))
			vlen = sizeof(s->location) - 1;
		memcpy(s->location, v, vlen);
		s->location[vlen] = '\0';
	}
	return len;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The request's timeout_ms, or less when the chain's deadline is nearer;
 * 0 when the deadline has passed. */
static int64_t time_left(const struct hookhttp_req *req, int64_t want)
{
	if (req->deadline_ms <= 0)
		return want;
	int64_t left = req->deadline_ms - now_ms();
	return left <= 0 ? 0 : left < want ? left : want;
}

/* One try. Returns 0 with res->status set, or -1 with res->error. */
static int attempt(const struct hookhttp_req *req, struct curl_slist *hdrs,
                   struct hookhttp_res *res)
{
	int64_t timeout = time_left(req, req->timeout_ms);
	if (timeout <= 0) {
		res->status = 0;
		snprintf(res->error, sizeof(res->error),
		         "no time left before the hook chain's deadline "
		         "(ALLEGRO_EXECUTOR_HOOK_TIMEOUT)");
		return -1;
	}
	struct sink s = {0};
	char curlerr[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(res->error, sizeof(res->error), "curl_easy_init failed");
		return -1;
	}
	httpc_easy_defaults(c);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curlerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	struct curl_slist *connect_to = NULL;
	const struct hookhttp_conn *cn = req->conn;
	if (cn) {
		if (cn->unix_socket)
			curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, cn->unix_socket);
		if (cn->userpwd) {
			curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(c, CURLOPT_USERPWD, cn->userpwd);
		}
		if (cn->ca_file)
			curl_easy_setopt(c, CURLOPT_CAINFO, cn->ca_file);
		if (cn->ca_path)
			curl_easy_setopt(c, CURLOPT_CAPATH, cn->ca_path);
		if (cn->client_cert)
			curl_easy_setopt(c, CURLOPT_SSLCERT, cn->client_cert);
		if (cn->client_key)
			curl_easy_setopt(c, CURLOPT_SSLKEY, cn->client_key);
		if (cn->insecure) {
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (cn->connect_to && (connect_to = curl_slist_append(NULL, cn->connect_to)))
			curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to);
	}
	if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
	}

	CURLcode rc = curl_easy_perform(c);
	int ret = 0;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
		free(res->body);
		res->body = s.buf ? s.buf : strdup("");
		res->body_len = s.len;
		s.buf = NULL;
		memcpy(res->location, s.location, sizeof(res->location));
		res->error[0] = '\0';
	} else {
		res->status = 0;
		free(res->body);
		res->body = NULL;
		res->body_len = 0;
		res->location[0] = '\0';
		if (s.too_big)
			snprintf(res->error, sizeof(res->error), "response body exceeds %u bytes",
			         HOOKHTTP_MAX_BODY);
		else
			snprintf(res->error, sizeof(res->error), "%s",
			         curlerr[0] ? curlerr : curl_easy_strerror(rc));
		ret = -1;
	}
	free(s.buf);
	curl_easy_cleanup(c);
	curl_slist_free_all(connect_to);
	return ret;
}

int hookhttp_do(const struct hookhttp_req *req, struct hookhttp_res *res)
{
	memset(res, 0, sizeof(*res));
	struct curl_slist *hdrs = NULL;
	/* No "Expect: 100-continue" round trip for bodies. */
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	if (!h) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		return -1;
	}
	hdrs = h;
	for (const char *const *p = req->headers; p && *p; p++) {
		if (!(h = curl_slist_append(hdrs, *p))) {
			curl_slist_free_all(hdrs);
			snprintf(res->error, sizeof(res->error), "out of memory");
			return -1;
		}
		hdrs = h;
	}

	int tries = req->attempts < 1 ? 1 : req->attempts;
	int64_t backoff = req->backoff_ms;
	int ret = -1;
	for (int i = 1; i <= tries; i++) {
		res->attempts = i;
		ret = attempt(req, hdrs, res);
		bool retry = ret < 0 || res->status >= 500;
		if (ret == 0)
			log_debug("%s %s -> %ld", req->method, req->url, res->status);
		if (!retry || i == tries || time_left(req, backoff) < backoff)
			break; /* done, or no time for the pause and another try */
		if (ret < 0)
			log_warn("%s %s failed (%s); retrying in %lldms (attempt %d of %d)",
			         req->method, req->url, res->error, (long long)backoff, i + 1,
			         tries);
		else
			log_warn("%s %s answered HTTP %ld; retrying in %lldms (attempt %d of %d)",
			         req->method, req->url, res->status, (long long)backoff, i + 1,
			         tries);
		sleep_ms(backoff);
		backoff *= 2;
	}
	curl_slist_free_all(hdrs);
	return ret;
}

int64_t hookhttp_budget_ms(int64_t timeout_ms, int attempts, int64_t backoff_ms)
{
	int64_t total = 0, pause = backoff_ms;
	for (int i = 1; i <= (attempts < 1 ? 1 : attempts); i++) {
		total += timeout_ms;
		if (i > 1) {
			total += pause;
			pause *= 2;
		}
	}
	return total;
}

void hookhttp_res_free(struct hookhttp_res *res)
{
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}

void hookhttp_describe(const struct hookhttp_res *res, char *buf, size_t len)
{
	char tries[32] = "";
	if (res->attempts > 1)
		snprintf(tries, sizeof(tries), " (%d attempts)", res->attempts);
	if (res->status == 0) {
		snprintf(buf, len, "%s%s", res->error[0] ? res->error : "no answer", tries);
		return;
	}
	/* The start of the body, on one line. */
	char snippet[160] = "";
	size_t n = 0;
	for (size_t i = 0; res->body && i < res->body_len && n + 1 < sizeof(snippet); i++) {
		char ch = res->body[i];
		snippet[n++] = (ch == '\n' || ch == '\r' || ch == '\t') ? ' ' : ch;
	}
	snippet[n] = '\0';
	while (n && snippet[n - 1] == ' ')
		snippet[--n] = '\0';
	snprintf(buf, len, "HTTP %ld%s%s%s%s", res->status, tries, n ? ": " : "", snippet,
	         res->body_len >= sizeof(snippet) ? "..." : "");
}

char *hookhttp_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	if (!e)
		return NULL;
	char *copy = strdup(e); /* plain free() for callers */
	curl_free(e);
	return copy;
}

int hookhttp_ip_family(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	if (!s || !*s)
		return 0;
	if (inet_pton(AF_INET, s, buf) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return 6;
	return 0;
}

/* Whether an IPv4 literal is loopback (127.0.0.0/8) or unspecified. */
static bool ipv4_unroutable(const char *ip)
{
	struct in_addr a;
	if (inet_pton(AF_INET, ip, &a) != 1)
		return true;
	uint32_t h = ntohl(a.s_addr);
	return (h >> 24) == 127 || h == 0;
}

/* Up to max-1 IPv4 addresses of host, as strings in v (NULL-ended; free
 * each). Returns how many. */
static size_t resolve_ipv4(const char *host, char **v, size_t max)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	size_t n = 0;
	v[0] = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc != 0) {
		log_debug("resolving agent hostname %s: %s", host, gai_strerror(rc));
		return 0;
	}
	for (struct addrinfo *p = ai; p && n + 1 < max; p = p->ai_next) {
		char buf[INET_ADDRSTRLEN];
		const struct sockaddr_in *sin = (const struct sockaddr_in *)p->ai_addr;
		if (p->ai_family == AF_INET &&
		    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) && (v[n] = strdup(buf)))
			v[++n] = NULL;
	}
	freeaddrinfo(ai);
	return n;
}

/* The source address of the route to another network (the default route):
 * a UDP socket "connected" to a documentation address (TEST-NET-2) makes
 * the kernel choose it; nothing is sent. -1 without such a route. */
static int route_source(char *out, size_t len)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct sockaddr_in me;
	socklen_t mlen = sizeof(me);
	inet_pton(AF_INET, "198.51.100.1", &to.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rc = -1;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &mlen) == 0 &&
	    inet_ntop(AF_INET, &me.sin_addr, out, (socklen_t)len))
		rc = 0;
	else
		log_debug("no default route to take this host's address from: %s", strerror(errno));
	close(fd);
	return rc;
}

int hookhttp_pick_address(const struct hookhttp_addr_facts *f, char *out, size_t len,
                          const char **source, char *err, size_t errlen)
{
	const char *src = NULL;
	int fam = hookhttp_ip_family(f->public_ip);
	char host[64] = "";
	const char *colon = f->agent_endpoint ? strrchr(f->agent_endpoint, ':') : NULL;
	size_t n = colon ? (size_t)(colon - f->agent_endpoint) : 0;
	if (n && n < sizeof(host)) {
		memcpy(host, f->agent_endpoint, n);
		host[n] = '\0';
	}
	if (fam == 4 || (fam == 6 && f->allow_ipv6)) {
		snprintf(out, len, "%s", f->public_ip);
		src = "CLOUD_PUBLIC_IP";
	}
	for (const char *const *a = f->hostname_ipv4; !src && a && *a; a++)
		if (!ipv4_unroutable(*a)) {
			snprintf(out, len, "%s", *a);
			src = "the agent's hostname";
		}
	if (!src && hookhttp_ip_family(host) == 4 && !ipv4_unroutable(host)) {
		snprintf(out, len, "%s", host);
		src = "MESOS_AGENT_ENDPOINT";
	}
	if (!src && f->route_source && hookhttp_ip_family(f->route_source) == 4 &&
	    !ipv4_unroutable(f->route_source)) {
		snprintf(out, len, "%s", f->route_source);
		src = "the default route's source address";
	}
	if (source)
		*source = src;
	if (src)
		return 0;
	out[0] = '\0';
	snprintf(err, errlen,
	         "no routable address of this host to register: the agent's hostname (%s) "
	         "resolves to none but loopback, MESOS_AGENT_ENDPOINT (%s) is loopback or unset, "
	         "and there is no default route; set CLOUD_PUBLIC_IP to the address its services "
	         "are reached at",
	         f->agent_hostname && *f->agent_hostname ? f->agent_hostname : "unknown",
	         f->agent_endpoint && *f->agent_endpoint ? f->agent_endpoint : "unset");
	return -1;
}

int hookhttp_local_address(const char *public_ip, int allow_ipv6, const char *agent_hostname,
                           const char *agent_endpoint, char *out, size_t len, const char **source,
                           char *err, size_t errlen)
{
	char *addrs[9] = {NULL};
	char route[INET_ADDRSTRLEN];
	struct hookhttp_addr_facts f = {.public_ip = public_ip,
	                                .allow_ipv6 = allow_ipv6,
	                                .agent_hostname = agent_hostname,
	                                .agent_endpoint = agent_endpoint};
	int fam = hookhttp_ip_family(public_ip);
	if (!(fam == 4 || (fam == 6 && allow_ipv6))) { /* a guess: gather the facts */
		if (agent_hostname && *agent_hostname)
			resolve_ipv4(agent_hostname, addrs, 9);
		f.hostname_ipv4 = (const char *const *)addrs;
		if (route_source(route, sizeof(route)) == 0)
			f.route_source = route;
	}
	int rc = hookhttp_pick_address(&f, out, len, source, err, errlen);
	for (size_t i = 0; addrs[i]; i++)
		free(addrs[i]);
	return rc;
}
