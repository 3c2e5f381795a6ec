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
 * Credentials belong in headers only. This module logs methods, URLs and
 * statuses (at debug, retries at warn), never headers or bodies, so a URL
 * must not carry a secret. */
#ifndef HOOKHTTP_H
#define HOOKHTTP_H

#include <stddef.h>
#include <stdint.h>

#define HOOKHTTP_MAX_BODY (1u << 20) /* longer response bodies are an error */

struct hookhttp_req {
	const char *method;         /* "GET", "PUT", "POST", "DELETE" */
	const char *url;            /* http:// or https:// only */
	const char *const *headers; /* "Name: value" strings ended by NULL, or NULL */
	const char *body;           /* request body or NULL (not copied) */
	size_t body_len;
	int64_t timeout_ms; /* for each attempt, connection included; >0 */
	int attempts;       /* tries in all; <1 counts as 1 */
	int64_t backoff_ms; /* pause before the second try; doubles after */
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

/* The address services on this host are reached at, the first of:
 *   public_ip        CLOUD_PUBLIC_IP (IPv4, or IPv6 when allow_ipv6)
 *   agent_hostname   its first IPv4 address (getaddrinfo)
 *   agent_endpoint   the IPv4 literal of MESOS_AGENT_ENDPOINT ("ip:port")
 *   127.0.0.1
 * Any argument may be NULL or "". *source (if set) gets a static phrase
 * naming where the address came from, for logs. */
void hookhttp_local_address(const char *public_ip, int allow_ipv6, const char *agent_hostname,
                            const char *agent_endpoint, char *out, size_t len, const char **source);

/* Whether s is an IP literal: 4 for IPv4, 6 for IPv6, 0 otherwise. */
int hookhttp_ip_family(const char *s);

#endif
