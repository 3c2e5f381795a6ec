/* The fixture of the running health checker's tests (executor/health.h):
 * one libuv loop with an HTTP server of the test's own (fakekit/httpd.h:
 * /health answering what the test says, /slow, /hang, a redirect), a fake
 * clock (real time plus a skew the test adds), the checker's verdicts and
 * check results recorded, a step function run every 10 ms until the test is
 * done, and builders for the TaskInfos under test. Header-only: static
 * functions and state for one test program. */
#ifndef TESTS_INTEGRATION_HEALTH_FIXTURE_H
#define TESTS_INTEGRATION_HEALTH_FIXTURE_H

#include "testsupport.h"

#include "common/httpc.h"
#include "fakekit/httpd.h"
#include "common/log.h"
#include "executor/health.h"
#include "executor/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXREC 64
#define MS     1000000LL

struct check_rec {
	int type;
	bool has_command, has_http, has_tcp; /* which sub-message is present */
	bool has_value;
	long value;
};

struct fx;
/* Called every 10 ms (never from inside a callback of the module or of the
 * server, so that it may stop everything); returns true when done. */
typedef bool (*fx_step)(struct fx *f);

struct fx {
	uv_loop_t loop;
	struct httpc *http;
	struct httpd *srv;
	unsigned port; /* of srv */
	struct health *h;
	char *sandbox;
	fx_step step;
	int phase; /* for multi-step tests */
	int ticks; /* how many times step ran */
	bool done, timed_out;
	uv_timer_t tick, deadline;
	int64_t started_ns; /* when health_start was called */
	/* what the checker reported */
	int nv;
	enum health_verdict v[MAXREC];
	char msg[MAXREC][512];
	int nc;
	struct check_rec c[MAXREC];
	int health_events_after_stop;
	/* what the server saw */
	int hits;
	char path[MAXREC][64];
	int64_t hit_ns[MAXREC];
	unsigned health_status; /* answer of /health */
	int slow_ms;            /* /slow answers after this long */
	struct httpd_req *pending;
	uv_timer_t slow;
};

static struct fx F;

/* ---- the fake clock: real time plus a skew the test can add */
static int64_t clock_skew_ns;
static inline int64_t fake_now(void)
{
	return (int64_t)uv_hrtime() + clock_skew_ns;
}

/* ---- the test's HTTP server */

static inline void record_hit(struct httpd_req *r)
{
	if (F.hits < MAXREC) {
		snprintf(F.path[F.hits], sizeof(F.path[0]), "%s", httpd_path(r));
		F.hit_ns[F.hits] = (int64_t)uv_hrtime();
	}
	F.hits++;
}

static inline void on_help(struct httpd_req *r, void *d)
{
	record_hit(r);
	httpd_reply_text(r, 200, "help\n");
}

static inline void on_health_path(struct httpd_req *r, void *d)
{
	record_hit(r);
	httpd_reply_text(r, F.health_status ? F.health_status : 200, "status\n");
}

static inline void on_redirect(struct httpd_req *r, void *d)
{
	static const char *const hdr[] = {"Location: /ok", NULL};
	record_hit(r);
	httpd_reply(r, 302, "text/plain", "moved\n", 6, hdr);
}

static inline void slow_abort(struct httpd_req *r, void *d)
{
	F.pending = NULL;
}

static inline void slow_fire(uv_timer_t *t)
{
	if (F.pending) {
		struct httpd_req *r = F.pending;
		F.pending = NULL;
		httpd_reply_text(r, 200, "slow\n");
	}
}

static inline void on_slow(struct httpd_req *r, void *d)
{
	record_hit(r);
	F.pending = r;
	httpd_defer(r, slow_abort, NULL);
	uv_update_time(&F.loop); /* count the delay from now */
	uv_timer_start(&F.slow, slow_fire, (uint64_t)F.slow_ms, 0);
}

static inline void on_hang(struct httpd_req *r, void *d)
{
	record_hit(r);
	F.pending = r;
	httpd_defer(r, slow_abort, NULL); /* answered (503) when the server stops */
}

static const struct httpd_route routes[] = {
    {"GET", "/help", on_help},
    {"GET", "/ok", on_help},
    {"GET", "/health", on_health_path},
    {"GET", "/redirect", on_redirect},
    {"GET", "/slow", on_slow},
    {"GET", "/hang", on_hang},
    {NULL, NULL, NULL},
};

/* ---- the fixture */

static inline void on_health_cb(void *data, enum health_verdict v, const char *message)
{
	struct fx *f = data;
	if (!f->h) {
		f->health_events_after_stop++;
		return;
	}
	if (f->nv < MAXREC) {
		f->v[f->nv] = v;
		snprintf(f->msg[f->nv], sizeof(f->msg[0]), "%s", message ? message : "");
	}
	f->nv++;
}

static inline void on_check_cb(void *data, const Mesos__V1__CheckStatusInfo *st)
{
	struct fx *f = data;
	if (!f->h) {
		f->health_events_after_stop++;
		return;
	}
	if (f->nc >= MAXREC) {
		f->nc++;
		return;
	}
	struct check_rec *c = &f->c[f->nc++];
	c->type = st->has_type ? (int)st->type : -1;
	c->has_command = st->command != NULL;
	c->has_http = st->http != NULL;
	c->has_tcp = st->tcp != NULL;
	if (st->command) {
		c->has_value = st->command->has_exit_code;
		c->value = st->command->exit_code;
	} else if (st->http) {
		c->has_value = st->http->has_status_code;
		c->value = st->http->status_code;
	} else if (st->tcp) {
		c->has_value = st->tcp->has_succeeded;
		c->value = st->tcp->succeeded;
	}
}

/* Stops the checker (the module under test) but keeps the loop running. */
static inline void fx_stop_checker(struct fx *f)
{
	struct health *h = f->h;
	f->h = NULL;
	health_stop(h);
}

static inline void fx_finish(struct fx *f)
{
	if (f->done)
		return;
	f->done = true;
	fx_stop_checker(f);
	uv_timer_stop(&f->tick);
	uv_timer_stop(&f->deadline);
	uv_timer_stop(&f->slow);
	uv_close((uv_handle_t *)&f->tick, NULL);
	uv_close((uv_handle_t *)&f->deadline, NULL);
	uv_close((uv_handle_t *)&f->slow, NULL);
	if (f->srv)
		httpd_stop(f->srv);
	f->srv = NULL;
	httpc_close(f->http, NULL, NULL);
	f->http = NULL;
	proc_shutdown();
}

static inline void fx_poke(struct fx *f)
{
	if (!f->done && f->step) {
		f->ticks++;
		if (f->step(f))
			fx_finish(f);
	}
}

static inline void on_tick(uv_timer_t *t)
{
	fx_poke(t->data);
}

static inline void on_deadline(uv_timer_t *t)
{
	struct fx *f = t->data;
	f->timed_out = true;
	fx_finish(f);
}

static inline int setup(void **state)
{
	char err[256];
	memset(&F, 0, sizeof(F));
	clock_skew_ns = 0;
	assert_int_equal(uv_loop_init(&F.loop), 0);
	assert_int_equal(proc_init(&F.loop, err, sizeof(err)), 0);
	F.http = httpc_new(&F.loop);
	assert_non_null(F.http);
	struct httpd_config cfg = {
	    .name = "probe-target", .listen = "127.0.0.1:0", .routes = routes};
	F.srv = httpd_start(&F.loop, &cfg, err, sizeof(err));
	assert_non_null(F.srv);
	const char *colon = strrchr(httpd_address(F.srv), ':');
	F.port = (unsigned)atoi(colon + 1);
	F.sandbox = ts_mkdtemp("health-test");
	assert_non_null(F.sandbox);
	uv_timer_init(&F.loop, &F.tick);
	uv_timer_init(&F.loop, &F.deadline);
	uv_timer_init(&F.loop, &F.slow);
	F.tick.data = F.deadline.data = &F;
	*state = &F;
	return 0;
}

static inline int teardown(void **state)
{
	fx_finish(&F);
	uv_run(&F.loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&F.loop), 0);
	ts_rmtree(F.sandbox);
	free(F.sandbox);
	return 0;
}

/* Starts the checker and runs the loop until `step` says done (or 60 s). */
static inline void fx_run(struct fx *f, const Mesos__V1__TaskInfo *task, char *const *task_env,
                          fx_step step)
{
	struct health_opts o = {
	    .loop = &f->loop,
	    .http = f->http,
	    .task = task,
	    .task_env = task_env,
	    .sandbox = f->sandbox,
	    .cbs = {.on_health = on_health_cb, .on_check = on_check_cb, .data = f},
	    .now = fake_now,
	};
	f->step = step;
	f->started_ns = (int64_t)uv_hrtime();
	f->h = health_start(&o);
	assert_non_null(f->h);
	uv_timer_start(&f->tick, on_tick, 10, 10);
	uv_timer_start(&f->deadline, on_deadline, 60000, 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_false(f->timed_out);
	assert_int_equal(f->health_events_after_stop, 0);
}

static inline bool until_verdicts_1(struct fx *f)
{
	return f->nv >= 1;
}
static inline bool until_verdicts_2(struct fx *f)
{
	return f->nv >= 2;
}
static inline bool until_verdicts_3(struct fx *f)
{
	return f->nv >= 3;
}
static inline bool until_verdicts_4(struct fx *f)
{
	return f->nv >= 4;
}
static inline bool until_checks_1(struct fx *f)
{
	return f->nc >= 1;
}
static inline bool until_checks_2(struct fx *f)
{
	return f->nc >= 2;
}
static inline bool until_checks_3(struct fx *f)
{
	return f->nc >= 3;
}

/* ---- building tasks */

struct spec {
	Mesos__V1__TaskInfo task;
	Mesos__V1__HealthCheck hc;
	Mesos__V1__HealthCheck__HTTPCheckInfo http;
	Mesos__V1__HealthCheck__TCPCheckInfo tcp;
	Mesos__V1__CommandInfo cmd, check_cmd;
	Mesos__V1__Environment env;
	Mesos__V1__Environment__Variable var;
	Mesos__V1__Environment__Variable *vars[1];
	Mesos__V1__CheckInfo ci;
	Mesos__V1__CheckInfo__Command cc;
	Mesos__V1__CheckInfo__Http chttp;
	Mesos__V1__CheckInfo__Tcp ctcp;
	char *args[2];
};

/* The upstream helper: delay 0, interval 0, the given grace/failures/timeout. */
static inline void spec_health(struct spec *s, double grace, uint32_t failures, double timeout)
{
	Mesos__V1__TaskInfo task = MESOS__V1__TASK_INFO__INIT;
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	s->task = task;
	s->hc = hc;
	s->task.health_check = &s->hc;
	s->hc.has_delay_seconds = s->hc.has_interval_seconds = s->hc.has_timeout_seconds = true;
	s->hc.has_grace_period_seconds = s->hc.has_consecutive_failures = true;
	s->hc.delay_seconds = 0;
	s->hc.interval_seconds = 0;
	s->hc.timeout_seconds = timeout;
	s->hc.grace_period_seconds = grace;
	s->hc.consecutive_failures = failures;
}

static inline void spec_http(struct spec *s, unsigned port, const char *path, bool set_type)
{
	Mesos__V1__HealthCheck__HTTPCheckInfo http = MESOS__V1__HEALTH_CHECK__HTTPCHECK_INFO__INIT;
	s->http = http;
	s->http.port = port;
	s->http.path = (char *)path;
	s->hc.http = &s->http;
	s->hc.has_type = set_type;
	s->hc.type = MESOS__V1__HEALTH_CHECK__TYPE__HTTP;
}

static inline void spec_tcp(struct spec *s, unsigned port, bool ipv6)
{
	Mesos__V1__HealthCheck__TCPCheckInfo tcp = MESOS__V1__HEALTH_CHECK__TCPCHECK_INFO__INIT;
	s->tcp = tcp;
	s->tcp.port = port;
	if (ipv6) {
		s->tcp.has_protocol = true;
		s->tcp.protocol = MESOS__V1__NETWORK_INFO__PROTOCOL__IPv6;
	}
	s->hc.tcp = &s->tcp;
	s->hc.has_type = true;
	s->hc.type = MESOS__V1__HEALTH_CHECK__TYPE__TCP;
}

static inline void spec_command(struct spec *s, const char *value)
{
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	s->cmd = cmd;
	s->cmd.value = (char *)value;
	s->hc.command = &s->cmd;
	s->hc.has_type = true;
	s->hc.type = MESOS__V1__HEALTH_CHECK__TYPE__COMMAND;
}

static inline void spec_env(struct spec *s, Mesos__V1__CommandInfo *cmd, const char *name,
                            const char *value)
{
	Mesos__V1__Environment env = MESOS__V1__ENVIRONMENT__INIT;
	Mesos__V1__Environment__Variable var = MESOS__V1__ENVIRONMENT__VARIABLE__INIT;
	s->env = env;
	s->var = var;
	s->var.name = (char *)name;
	s->var.value = (char *)value;
	s->vars[0] = &s->var;
	s->env.n_variables = 1;
	s->env.variables = s->vars;
	cmd->environment = &s->env;
}

/* A generalized check: delay 0, interval 0, the given timeout. */
static inline void spec_check(struct spec *s, int type, double timeout)
{
	Mesos__V1__CheckInfo ci = MESOS__V1__CHECK_INFO__INIT;
	s->ci = ci;
	s->task.check = &s->ci;
	s->ci.has_type = true;
	s->ci.type = type;
	s->ci.has_delay_seconds = s->ci.has_interval_seconds = s->ci.has_timeout_seconds = true;
	s->ci.delay_seconds = 0;
	s->ci.interval_seconds = 0;
	s->ci.timeout_seconds = timeout;
}

static inline void spec_check_command(struct spec *s, const char *value, double timeout)
{
	Mesos__V1__CheckInfo__Command cc = MESOS__V1__CHECK_INFO__COMMAND__INIT;
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	spec_check(s, MESOS__V1__CHECK_INFO__TYPE__COMMAND, timeout);
	s->cc = cc;
	s->check_cmd = cmd;
	s->check_cmd.value = (char *)value;
	s->cc.command = &s->check_cmd;
	s->ci.command = &s->cc;
}

static inline void spec_init(struct spec *s)
{
	Mesos__V1__TaskInfo task = MESOS__V1__TASK_INFO__INIT;
	memset(s, 0, sizeof(*s));
	s->task = task;
}

static inline void assert_contains(const char *s, const char *want)
{
	if (!strstr(s, want))
		fail_msg("\"%s\" does not contain \"%s\"", s, want);
}

static inline char *sandbox_file(const char *name)
{
	static char path[4][512];
	static int i;
	char *p = path[i++ % 4];
	snprintf(p, sizeof(path[0]), "%s/%s", F.sandbox, name);
	return p;
}

static inline pid_t read_pid(const char *name)
{
	char *s = ts_read_file(sandbox_file(name), NULL);
	pid_t pid = s ? (pid_t)atoi(s) : 0;
	free(s);
	return pid;
}

/* Gone, or a zombie waiting for the reaper. */
static inline bool process_dead(pid_t pid)
{
	char path[64], buf[256];
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	char *rp = strrchr(buf, ')');
	return rp && (rp[2] == 'Z' || rp[2] == 'X');
}

/* A command that fails or passes following a script: the Nth run exits with
 * the Nth digit of `pattern` (the last one repeats). */
static inline char *scripted(const char *pattern)
{
	static char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; "
	         "p=%s; i=$n; [ $i -ge ${#p} ] && i=$((${#p}-1)); "
	         "exit $(echo $p | cut -c$((i+1)))",
	         pattern);
	return cmd;
}

/* A step that lets 20 ticks (200 ms) pass. */
static inline bool after_a_while(struct fx *f)
{
	return f->ticks > 20;
}

#endif
