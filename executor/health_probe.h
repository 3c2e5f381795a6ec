/* One probe of a health check or a generalized check, on the executor's loop:
 * an HTTP(S) GET through the shared libcurl multi handle, a TCP connect
 * through libuv, or a COMMAND run through proc_spawn in its own process
 * group. A probe reports what happened (an HTTP status, connected or not, a
 * wait status, an error or a timeout); health.c turns that into health
 * verdicts and check results. Internal to the health module (and its
 * benchmark). */
#ifndef EXECUTOR_HEALTH_PROBE_H
#define EXECUTOR_HEALTH_PROBE_H

#include "common/httpc.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

enum health_probe_kind { HEALTH_PROBE_COMMAND, HEALTH_PROBE_HTTP, HEALTH_PROBE_TCP };

/* What to probe. Every pointer is borrowed for health_probe_start only: the
 * probe copies nothing it needs later except through its own fields. */
struct health_probe_spec {
	enum health_probe_kind kind;
	int64_t timeout_ns; /* 0: no timeout */
	/* HTTP */
	struct httpc *http;
	const char *url;
	/* TCP: a loopback address ("127.0.0.1" or "::1") and a port */
	const char *ip;
	uint32_t port;
	/* COMMAND */
	const char *path; /* the program; NULL: argv[0] */
	char *const *argv;
	char *const *envp;
	const char *cwd;
};

enum health_probe_outcome {
	HEALTH_PROBE_DONE,    /* the probe ran: see status / connected / wstatus */
	HEALTH_PROBE_ERROR,   /* it could not run or the transport failed */
	HEALTH_PROBE_TIMEOUT, /* timeout_ns passed first */
};

struct health_probe_result {
	enum health_probe_outcome outcome;
	long http_status; /* HTTP, DONE: the final status after redirects */
	bool connected;   /* TCP, DONE: whether the connection was made */
	int wstatus;      /* COMMAND, DONE: the wait status */
	/* ERROR, or TCP DONE without a connection: why ("connection refused");
	 * valid during the callback only. */
	const char *error;
};

typedef void (*health_probe_cb)(void *data, const struct health_probe_result *res);

struct health_probe;

/* Starts a probe; `cb` runs exactly once on the loop (never from inside this
 * call) unless the probe is cancelled first. The probe frees itself after
 * the callback. Returns NULL only when memory runs out. */
struct health_probe *health_probe_start(uv_loop_t *loop, const struct health_probe_spec *spec,
                                        health_probe_cb cb, void *data);
/* Stops a probe in flight: cancels the HTTP request, closes the socket,
 * kills a COMMAND's whole process group. No callback after this; the probe
 * frees itself once its handles are closed. */
void health_probe_cancel(struct health_probe *p);

#endif
