/* What the built-in hooks need from the network: one blocking HTTP request
 * with timeouts and bounded retries (libcurl's easy interface), and the
 * address this host is reached at.
 *
 * Hooks run on the hook manager's worker threads, so blocking is right here;
 * nothing in this file may be called from the executor's loop thread.
 *
 *   struct hookhttp_res res;
 *   if (hookhttp_do(&(struct hookhttp_req){.method = "PUT", .url = url,
 *                   .body = json, .body_len = strlen(json),
 *                   .timeout_ms = 5000, .attempts = 4, .backoff_ms = 250},
 *                   &res) < 0 || res.status != 200)
 *           hookhttp_describe(&res, why, sizeof(why));
 *   hookhttp_res_free(&res);
 *
 * Retries: a transport error (connection refused, timeout, reset, DNS) or a
 * 5xx answer is tried again after backoff_ms, doubling each time, until
 * `attempts` tries were made. Any other answer is returned at once.
 *
 * Credentials belong in headers (or conn->userpwd) only. This module logs
 * methods, URLs and statuses (at debug, retries at warn), never headers or
 * bodies, so a URL must not carry a secret. */
#ifndef HOOKS_HTTP_H
#define HOOKS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOOKHTTP_MAX_BODY (1u << 20) /* longer response bodies are an error */

/* How to connect, beyond the URL (any field NULL/false: libcurl's default). */
struct hookhttp_conn {
	const char *unix_socket;              /* connect through this Unix socket */
	const char *userpwd;                  /* "user:password": basic authentication */
	const char *ca_file, *ca_path;        /* verify the server with these CAs */
	const char *client_cert, *client_key; /* present this certificate (PEM) */
	const char *connect_to; /* "name:port:host:port": the URL names `name` (SNI and
	                         * verification), the connection goes to host:port */
	bool insecure;          /* do not verify the server's certificate */
};

struct hookhttp_req {
	const char *method;         /* "GET", "PUT", "POST", "DELETE" */
	const char *url;            /* http:// or https:// only */
	const char *const *headers; /* "Name: value" strings ended by NULL, or NULL */
	const char *body;           /* request body or NULL (not copied) */
	size_t body_len;
	int64_t timeout_ms; /* for each attempt, connection included; >0 */
	int attempts;       /* tries in all; <1 counts as 1 */
	int64_t backoff_ms; /* pause before the second try; doubles after */
	/* The hook chain's deadline (hook_call.deadline_ms; 0: none): no try
	 * lasts past it and none starts after it. */
	int64_t deadline_ms;
	const struct hookhttp_conn *conn; /* NULL: plain defaults */
};

struct hookhttp_res {
	long status; /* last HTTP status; 0 when no answer came */
	char *body;  /* the last answer's body, NUL-terminated; owned, see _free */
	size_t body_len;
	char location[1024]; /* the last answer's Location header, or "" */
	char error[256];     /* the last transport error, or "" */
	int attempts;        /* tries made */
};

/* Sends the request; returns 0 when an answer came (any status; a 5xx is
 * returned after the last try), -1 after the last transport error (res->error
 * says which). res is always initialised and must be freed. */
int hookhttp_do(const struct hookhttp_req *req, struct hookhttp_res *res);
void hookhttp_res_free(struct hookhttp_res *res);

/* The longest one request with these settings can take, retries and pauses
 * included (for a hook's timeout_ms). */
int64_t hookhttp_budget_ms(int64_t timeout_ms, int attempts, int64_t backoff_ms);

/* One line for an error message: "connection refused (4 attempts)" or
 * "HTTP 500 (4 attempts): <start of the body>". */
void hookhttp_describe(const struct hookhttp_res *res, char *buf, size_t len);

/* URL-escapes s for a path segment or query value; malloc'd (caller frees),
 * NULL when out of memory. */
char *hookhttp_escape(const char *s);

/* The address services on this host are registered at (Consul, VaaS),
 * the first of:
 *   public_ip        CLOUD_PUBLIC_IP as given (IPv4, or IPv6 when
 *                    allow_ipv6), loopback included: an explicit choice
 *   agent_hostname   its first IPv4 address that is not loopback
 *                    (getaddrinfo; the name the agent advertises)
 *   agent_endpoint   the IPv4 literal of MESOS_AGENT_ENDPOINT ("ip:port"),
 *                    unless loopback or 0.0.0.0 (the agent listens there)
 *   the default route's source address: the address the kernel would send
 *                    from to another network (a UDP socket connected, no
 *                    packet sent), i.e. the interface other hosts reach
 *                    this one through, whatever order interfaces come in
 * A guessed address is never loopback: Debian resolves the host name to
 * 127.0.1.1, and nothing could reach a service registered there. Returns 0,
 * or -1 with err naming CLOUD_PUBLIC_IP when nothing routable is found. Any
 * argument may be NULL or "". *source (if set) gets a static phrase naming
 * where the address came from, for logs. */
int hookhttp_local_address(const char *public_ip, int allow_ipv6, const char *agent_hostname,
                           const char *agent_endpoint, char *out, size_t len, const char **source,
                           char *err, size_t errlen);

/* What hookhttp_local_address found out, and its choice (pure, for tests). */
struct hookhttp_addr_facts {
	const char *public_ip;
	int allow_ipv6;
	const char *agent_hostname;
	const char *const *hostname_ipv4; /* its IPv4 addresses, resolver order, NULL-ended */
	const char *agent_endpoint;
	const char *route_source; /* the default route's source IPv4, or NULL */
};
int hookhttp_pick_address(const struct hookhttp_addr_facts *f, char *out, size_t len,
                          const char **source, char *err, size_t errlen);

/* Whether s is an IP literal: 4 for IPv4, 6 for IPv6, 0 otherwise. */
int hookhttp_ip_family(const char *s);

#endif
