/* One health or check probe on the loop (see health_probe.h).
 *
 * Every probe owns one uv_timer_t: it fires at the timeout, or right away to
 * report an error found while starting (so the callback never runs inside
 * health_probe_start). A probe ends exactly once, in finish(): the transport
 * is released (request cancelled, socket closed, process group killed), the
 * callback runs, and the probe frees itself when its last handle is closed. */
#include "health_probe.h"

#include "common/log.h"
#include "executor/proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct health_probe {
	enum health_probe_kind kind;
	health_probe_cb cb;
	void *data;
	uv_timer_t timer;  /* the timeout, or an early error */
	bool finished;     /* reported or cancelled: nothing more happens */
	int handles_open;  /* the timer, and the TCP socket while open */
	bool early;        /* the timer reports early_error, not a timeout */
	bool early_tcp;    /* ... as a failed TCP connect (DONE), not an ERROR */
	char *early_error; /* owned; NULL if strdup failed */
	/* HTTP */
	struct httpc_req *req; /* in flight, or NULL */
	/* TCP */
	uv_tcp_t tcp;
	uv_connect_t connect;
	bool tcp_open;
	/* COMMAND */
	pid_t pid; /* running and not reaped, or 0 */
};

static void handle_closed(uv_handle_t *h)
{
	struct health_probe *p = h->data;
	if (--p->handles_open == 0) {
		free(p->early_error);
		free(p);
	}
}

/* Releases the transport without a result. */
static void release(struct health_probe *p)
{
	if (p->req) {
		httpc_cancel(p->req);
		p->req = NULL;
	}
	if (p->tcp_open) {
		p->tcp_open = false;
		uv_close((uv_handle_t *)&p->tcp, handle_closed);
	}
	if (p->pid > 0) {
		/* The probe leads its own process group: kill all of it. */
		if (kill(-p->pid, SIGKILL) < 0 && errno != ESRCH)
			log_warn("kill probe process group %d: %s", (int)p->pid, strerror(errno));
		proc_forget(p->pid);
		p->pid = 0;
	}
}

static void finish(struct health_probe *p, const struct health_probe_result *res)
{
	if (p->finished)
		return;
	p->finished = true;
	uv_timer_stop(&p->timer);
	release(p);
	p->cb(p->data, res);
	uv_close((uv_handle_t *)&p->timer, handle_closed);
}

void health_probe_cancel(struct health_probe *p)
{
	if (!p || p->finished)
		return;
	p->finished = true;
	uv_timer_stop(&p->timer);
	release(p);
	uv_close((uv_handle_t *)&p->timer, handle_closed);
}

static void on_timer(uv_timer_t *t)
{
	struct health_probe *p = t->data;
	struct health_probe_result res = {.outcome = HEALTH_PROBE_TIMEOUT};

	if (p->early) {
		res.outcome = p->early_tcp ? HEALTH_PROBE_DONE : HEALTH_PROBE_ERROR;
		res.error = p->early_error ? p->early_error : "out of memory";
	}
	finish(p, &res);
}

/* Reports `error` on the next loop iteration. */
static void fail_soon(struct health_probe *p, const char *error, bool tcp_done)
{
	p->early = true;
	p->early_error = strdup(error);
	p->early_tcp = tcp_done;
	uv_timer_start(&p->timer, on_timer, 0, 0);
}

/* ---- HTTP */

static int http_discard(void *data, const char *bytes, size_t len)
{
	return 0;
}

static void http_done(void *data, const struct httpc_result *r)
{
	struct health_probe *p = data;
	struct health_probe_result res = {.outcome = HEALTH_PROBE_DONE, .http_status = r->status};

	p->req = NULL; /* httpc frees it after this callback */
	if (r->curl_code != 0) {
		res.outcome = HEALTH_PROBE_ERROR;
		res.error = r->error ? r->error : "transfer failed";
	}
	finish(p, &res);
}

static void http_start(struct health_probe *p, const struct health_probe_spec *s)
{
	if (!s->http) {
		fail_soon(p, "no HTTP client", false);
		return;
	}
	/* A fresh connection per probe, as Mesos' one curl process per probe:
	 * a server that stopped accepting must not look healthy through a
	 * cached connection. The probe's own timer reports the timeout; curl's
	 * (a second later) only bounds a request cancelled from inside a curl
	 * callback, which httpc drops only once the transfer moves. */
	struct httpc_opts o = {
	    .url = s->url,
	    .timeout_ms = s->timeout_ns > 0 ? (long)(s->timeout_ns / 1000000) + 1000 : 0,
	    .insecure = true,
	    .follow_redirects = true,
	    .fresh_connect = true,
	    .forbid_reuse = true,
	    .on_data = http_discard,
	    .on_done = http_done,
	    .data = p,
	};
	p->req = httpc_start(s->http, &o);
	if (!p->req)
		fail_soon(p, "cannot start the HTTP request", false);
}

/* ---- TCP */

static void tcp_connected(uv_connect_t *c, int status)
{
	struct health_probe *p = c->data;
	struct health_probe_result res = {.outcome = HEALTH_PROBE_DONE, .connected = status == 0};

	if (status == UV_ECANCELED)
		return; /* closed by a timeout or a cancel */
	if (status < 0)
		res.error = uv_strerror(status);
	finish(p, &res); /* closes the socket: connect, then close */
}

static void tcp_start(uv_loop_t *loop, struct health_probe *p, const struct health_probe_spec *s)
{
	struct sockaddr_storage addr;
	bool v6 = strchr(s->ip, ':') != NULL;
	int rc;

	if (s->port == 0 || s->port > 65535) {
		char msg[64];
		snprintf(msg, sizeof(msg), "invalid port %u", s->port);
		fail_soon(p, msg, false);
		return;
	}
	rc = v6 ? uv_ip6_addr(s->ip, (int)s->port, (struct sockaddr_in6 *)&addr)
	        : uv_ip4_addr(s->ip, (int)s->port, (struct sockaddr_in *)&addr);
	if (rc == 0)
		rc = uv_tcp_init(loop, &p->tcp);
	if (rc < 0) {
		fail_soon(p, uv_strerror(rc), false);
		return;
	}
	p->tcp.data = p;
	p->tcp_open = true;
	p->handles_open++;
	p->connect.data = p;
	rc = uv_tcp_connect(&p->connect, &p->tcp, (struct sockaddr *)&addr, tcp_connected);
	if (rc < 0)
		fail_soon(p, uv_strerror(rc), true); /* as a failed connect */
}

/* ---- COMMAND */

static void command_exited(void *data, pid_t pid, int wstatus)
{
	struct health_probe *p = data;
	struct health_probe_result res = {.outcome = HEALTH_PROBE_DONE, .wstatus = wstatus};

	p->pid = 0; /* reaped: nothing left to kill */
	finish(p, &res);
}

static void command_start(struct health_probe *p, const struct health_probe_spec *s)
{
	char err[512];
	struct proc_spec spec = {
	    .path = s->path,
	    .argv = s->argv,
	    .envp = s->envp,
	    .cwd = s->cwd,
	    .new_pgroup = true,
	    .stdin_fd = -1,
	    .stdout_fd = STDERR_FILENO, /* probe output goes to the executor's stderr */
	    .stderr_fd = -1,
	};
	pid_t pid = proc_spawn(&spec, command_exited, p, err, sizeof(err));
	if (pid < 0) {
		fail_soon(p, err, false);
		return;
	}
	/* Not part of the task's tree: the task killer leaves probes alone. */
	proc_mark_helper(pid, true);
	p->pid = pid;
}

struct health_probe *health_probe_start(uv_loop_t *loop, const struct health_probe_spec *spec,
                                        health_probe_cb cb, void *data)
{
	struct health_probe *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->kind = spec->kind;
	p->cb = cb;
	p->data = data;
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	p->handles_open = 1;

	switch (spec->kind) {
	case HEALTH_PROBE_HTTP:
		http_start(p, spec);
		break;
	case HEALTH_PROBE_TCP:
		tcp_start(loop, p, spec);
		break;
	case HEALTH_PROBE_COMMAND:
		command_start(p, spec);
		break;
	}
	if (!p->early && spec->timeout_ns > 0) {
		/* Whole milliseconds, rounded up: never early. */
		uint64_t ms = (uint64_t)((spec->timeout_ns + 999999) / 1000000);
		uv_timer_start(&p->timer, on_timer, ms, 0);
	}
	return p;
}
