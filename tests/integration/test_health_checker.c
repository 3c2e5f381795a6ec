/* The running health checker (executor/health.h) on a real libuv loop, with
 * real sockets on 127.0.0.1 and real processes: HTTP probes against a small
 * server run by the test (fakekit/httpd.h), TCP probes against open and closed
 * ports, COMMAND probes that pass, fail, read their environment and hang past
 * their timeout (the whole process group is killed), generalized checks that
 * report only changes, and health_stop with a probe in flight. The upstream
 * HealthCheckTest / CommandExecutorCheckTest scenarios (Mesos
 * src/tests/health_check_tests.cpp, src/tests/check_tests.cpp) are
 * replayed here at the level this module controls: what reaches on_health and
 * on_check. A fake clock drives the grace period; nothing asserts how long
 * anything took, except lower bounds that noise can only make longer. */
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
static int64_t fake_now(void)
{
	return (int64_t)uv_hrtime() + clock_skew_ns;
}

/* ---- the test's HTTP server */

static void record_hit(struct httpd_req *r)
{
	if (F.hits < MAXREC) {
		snprintf(F.path[F.hits], sizeof(F.path[0]), "%s", httpd_path(r));
		F.hit_ns[F.hits] = (int64_t)uv_hrtime();
	}
	F.hits++;
}

static void on_help(struct httpd_req *r, void *d)
{
	record_hit(r);
	httpd_reply_text(r, 200, "help\n");
}

static void on_health_path(struct httpd_req *r, void *d)
{
	record_hit(r);
	httpd_reply_text(r, F.health_status ? F.health_status : 200, "status\n");
}

static void on_redirect(struct httpd_req *r, void *d)
{
	static const char *const hdr[] = {"Location: /ok", NULL};
	record_hit(r);
	httpd_reply(r, 302, "text/plain", "moved\n", 6, hdr);
}

static void slow_abort(struct httpd_req *r, void *d)
{
	F.pending = NULL;
}

static void slow_fire(uv_timer_t *t)
{
	if (F.pending) {
		struct httpd_req *r = F.pending;
		F.pending = NULL;
		httpd_reply_text(r, 200, "slow\n");
	}
}

static void on_slow(struct httpd_req *r, void *d)
{
	record_hit(r);
	F.pending = r;
	httpd_defer(r, slow_abort, NULL);
	uv_update_time(&F.loop); /* count the delay from now */
	uv_timer_start(&F.slow, slow_fire, (uint64_t)F.slow_ms, 0);
}

static void on_hang(struct httpd_req *r, void *d)
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

static void on_health_cb(void *data, enum health_verdict v, const char *message)
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

static void on_check_cb(void *data, const Mesos__V1__CheckStatusInfo *st)
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
static void fx_stop_checker(struct fx *f)
{
	struct health *h = f->h;
	f->h = NULL;
	health_stop(h);
}

static void fx_finish(struct fx *f)
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

static void fx_poke(struct fx *f)
{
	if (!f->done && f->step) {
		f->ticks++;
		if (f->step(f))
			fx_finish(f);
	}
}

static void on_tick(uv_timer_t *t)
{
	fx_poke(t->data);
}

static void on_deadline(uv_timer_t *t)
{
	struct fx *f = t->data;
	f->timed_out = true;
	fx_finish(f);
}

static int setup(void **state)
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

static int teardown(void **state)
{
	fx_finish(&F);
	uv_run(&F.loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&F.loop), 0);
	ts_rmtree(F.sandbox);
	free(F.sandbox);
	return 0;
}

/* Starts the checker and runs the loop until `step` says done (or 60 s). */
static void fx_run(struct fx *f, const Mesos__V1__TaskInfo *task, char *const *task_env,
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

static bool until_verdicts_1(struct fx *f)
{
	return f->nv >= 1;
}
static bool until_verdicts_2(struct fx *f)
{
	return f->nv >= 2;
}
static bool until_verdicts_3(struct fx *f)
{
	return f->nv >= 3;
}
static bool until_verdicts_4(struct fx *f)
{
	return f->nv >= 4;
}
static bool until_checks_1(struct fx *f)
{
	return f->nc >= 1;
}
static bool until_checks_2(struct fx *f)
{
	return f->nc >= 2;
}
static bool until_checks_3(struct fx *f)
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
static void spec_health(struct spec *s, double grace, uint32_t failures, double timeout)
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

static void spec_http(struct spec *s, unsigned port, const char *path, bool set_type)
{
	Mesos__V1__HealthCheck__HTTPCheckInfo http = MESOS__V1__HEALTH_CHECK__HTTPCHECK_INFO__INIT;
	s->http = http;
	s->http.port = port;
	s->http.path = (char *)path;
	s->hc.http = &s->http;
	s->hc.has_type = set_type;
	s->hc.type = MESOS__V1__HEALTH_CHECK__TYPE__HTTP;
}

static void spec_tcp(struct spec *s, unsigned port, bool ipv6)
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

static void spec_command(struct spec *s, const char *value)
{
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	s->cmd = cmd;
	s->cmd.value = (char *)value;
	s->hc.command = &s->cmd;
	s->hc.has_type = true;
	s->hc.type = MESOS__V1__HEALTH_CHECK__TYPE__COMMAND;
}

static void spec_env(struct spec *s, Mesos__V1__CommandInfo *cmd, const char *name,
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
static void spec_check(struct spec *s, int type, double timeout)
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

static void spec_check_command(struct spec *s, const char *value, double timeout)
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

static void spec_init(struct spec *s)
{
	Mesos__V1__TaskInfo task = MESOS__V1__TASK_INFO__INIT;
	memset(s, 0, sizeof(*s));
	s->task = task;
}

static void assert_contains(const char *s, const char *want)
{
	if (!strstr(s, want))
		fail_msg("\"%s\" does not contain \"%s\"", s, want);
}

static char *sandbox_file(const char *name)
{
	static char path[4][512];
	static int i;
	char *p = path[i++ % 4];
	snprintf(p, sizeof(path[0]), "%s/%s", F.sandbox, name);
	return p;
}

static pid_t read_pid(const char *name)
{
	char *s = ts_read_file(sandbox_file(name), NULL);
	pid_t pid = s ? (pid_t)atoi(s) : 0;
	free(s);
	return pid;
}

/* Gone, or a zombie waiting for the reaper. */
static bool process_dead(pid_t pid)
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

/* ================================================================ HTTP */

static void test_http_health_check_reports_healthy_for_200(void **state)
{
	struct spec s;
	char want[128];
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/help", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_string_equal(F.path[0], "/help");
	snprintf(want, sizeof(want), "got status 200 from http://127.0.0.1:%u/help", F.port);
	assert_contains(F.msg[0], want);
}

static void test_http_health_check_without_type_is_run_as_http(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/help", false);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_true(F.hits >= 1);
}

static void test_http_health_check_follows_redirects(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/redirect", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_string_equal(F.path[0], "/redirect");
	assert_string_equal(F.path[1], "/ok");
}

static void test_http_5xx_is_unhealthy_with_the_status_in_the_message(void **state)
{
	struct spec s;
	char want[160];
	F.health_status = 503;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/health", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	snprintf(want, sizeof(want),
	         "HTTP health check failed: got status 503 from http://127.0.0.1:%u/health",
	         F.port);
	assert_string_equal(F.msg[0], want);
}

static void test_http_399_is_still_healthy(void **state)
{
	struct spec s;
	F.health_status = 399;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/health", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_contains(F.msg[0], "got status 399");
}

static void test_http_400_is_unhealthy(void **state)
{
	struct spec s;
	F.health_status = 400;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/health", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	assert_contains(F.msg[0], "got status 400");
}

static void test_http_connection_refused_is_unhealthy(void **state)
{
	struct spec s;
	char want[96];
	unsigned port = ts_free_port();
	spec_health(&s, 0, 3, 20);
	spec_http(&s, port, "/x", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	snprintf(want, sizeof(want), "HTTP health check failed: http://127.0.0.1:%u/x: ", port);
	assert_contains(F.msg[0], want);
}

static void test_http_probe_that_outlives_its_timeout_fails(void **state)
{
	struct spec s;
	spec_health(&s, 0, 1, 0.3);
	spec_http(&s, F.port, "/hang", true);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY_KILL);
	assert_contains(F.msg[0], "HTTP health check timed out after 300ms");
}

/* ---- HTTPS: Mesos probes with `curl -k`, so a self-signed server is fine */

static void test_https_health_check_accepts_a_self_signed_certificate(void **state)
{
	if (!ts_have_openssl())
		skip(); /* scripts/deps.sh installs it */
	struct ts_proc tls;
	unsigned port;
	assert_int_equal(ts_make_cert(F.sandbox, "server"), 0);
	assert_int_equal(ts_tls_server(&tls, F.sandbox, "server", NULL, &port), 0);
	struct spec s;
	char want[128];
	spec_health(&s, 0, 3, 20);
	spec_http(&s, port, "/", true);
	s.http.scheme = "https";
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	ts_stop(&tls, SIGTERM, 5000);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	snprintf(want, sizeof(want), "got status 200 from https://127.0.0.1:%u/", port);
	assert_contains(F.msg[0], want);
}

static void test_https_health_check_against_a_plain_http_server_is_unhealthy(void **state)
{
	struct spec s;
	char want[128];
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/help", true);
	s.http.scheme = "https";
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	snprintf(want, sizeof(want),
	         "HTTP health check failed: https://127.0.0.1:%u/help: ", F.port);
	assert_contains(F.msg[0], want);
}

/* The first probe waits delay_seconds; the next one starts interval_seconds
 * after the previous one finished (a slow answer pushes it back). */
static bool until_three_hits(struct fx *f)
{
	return f->hits >= 3;
}

static void test_probes_wait_the_delay_then_the_interval_after_each_finishes(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_http(&s, F.port, "/slow", true);
	s.hc.delay_seconds = 0.2;
	s.hc.interval_seconds = 0.1;
	F.slow_ms = 300;
	fx_run(&F, &s.task, NULL, until_three_hits);
	/* Lower bounds only (a fixed-rate schedule would give ~100 ms); some
	 * slack for millisecond timer rounding. */
	assert_true(F.hit_ns[0] - F.started_ns >= 200 * MS - 10 * MS);
	assert_true(F.hit_ns[1] - F.hit_ns[0] >= (300 + 100) * MS - 10 * MS);
	assert_true(F.hit_ns[2] - F.hit_ns[1] >= (300 + 100) * MS - 10 * MS);
}

/* ================================================================ TCP */

static void test_tcp_health_check_on_an_open_port_is_healthy(void **state)
{
	struct spec s;
	char want[96];
	spec_health(&s, 0, 3, 20);
	spec_tcp(&s, F.port, false);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	snprintf(want, sizeof(want), "TCP health check passed: connected to 127.0.0.1:%u", F.port);
	assert_string_equal(F.msg[0], want);
}

static void test_tcp_health_check_on_a_closed_port_is_unhealthy(void **state)
{
	struct spec s;
	char want[96];
	unsigned port = ts_free_port();
	spec_health(&s, 0, 3, 20);
	spec_tcp(&s, port, false);
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	snprintf(want, sizeof(want), "TCP health check failed: connection refused to 127.0.0.1:%u",
	         port);
	assert_string_equal(F.msg[0], want);
}

static uv_tcp_t v6_server; /* static: teardown's loop run may close it */

static void on_v6_connection(uv_stream_t *server, int status)
{
	uv_tcp_t *c = malloc(sizeof(*c));
	assert_non_null(c);
	uv_tcp_init(server->loop, c);
	uv_accept(server, (uv_stream_t *)c);
	uv_close((uv_handle_t *)c, (uv_close_cb)free);
}

static bool v6_step(struct fx *f)
{
	if (f->nv < 1)
		return false;
	uv_close((uv_handle_t *)&v6_server, NULL); /* or the loop never ends */
	return true;
}

static void test_tcp_health_check_with_ipv6_connects_to_the_ipv6_loopback(void **state)
{
	struct sockaddr_in6 a;
	int len = sizeof(a);
	struct spec s;
	char want[96];

	uv_tcp_init(&F.loop, &v6_server);
	uv_ip6_addr("::1", 0, &a);
	if (uv_tcp_bind(&v6_server, (struct sockaddr *)&a, 0) < 0 ||
	    uv_listen((uv_stream_t *)&v6_server, 8, on_v6_connection) < 0) {
		uv_close((uv_handle_t *)&v6_server, NULL);
		skip(); /* no IPv6 loopback here */
	}
	uv_tcp_getsockname(&v6_server, (struct sockaddr *)&a, &len);
	unsigned port = ntohs(a.sin6_port);
	spec_health(&s, 0, 3, 20);
	spec_tcp(&s, port, true);
	fx_run(&F, &s.task, NULL, v6_step);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	snprintf(want, sizeof(want), "connected to [::1]:%u", port);
	assert_contains(F.msg[0], want);
}

/* ================================================================ COMMAND */

static void test_command_health_check_exiting_0_is_healthy(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "exit 0");
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_string_equal(F.msg[0], "COMMAND health check passed");
}

static void test_command_health_check_in_exec_form_is_healthy(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "true");
	s.cmd.has_shell = true;
	s.cmd.shell = false;
	s.args[0] = "true";
	s.cmd.n_arguments = 1;
	s.cmd.arguments = s.args;
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
}

static void test_command_health_check_exec_form_that_fails_to_exec_is_unhealthy(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "/nonexistent/probe");
	s.cmd.has_shell = true;
	s.cmd.shell = false;
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	assert_contains(F.msg[0],
	                "COMMAND health check failed: exec /nonexistent/probe: No such file");
}

static void test_command_health_check_failing_says_its_exit_status(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "exit 1");
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	assert_string_equal(F.msg[0], "COMMAND health check failed: exited with status 1");
}

static void test_command_health_check_sees_its_environment_over_the_tasks(void **state)
{
	/* EnvironmentSetup: `exit $STATUS` with STATUS=0 from the check, over
	 * STATUS=1 from the task; TASK_ONLY comes from the task. */
	struct spec s;
	char *env[] = {"STATUS=1", "TASK_ONLY=7", "PATH=/usr/bin:/bin", NULL};
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "[ \"$TASK_ONLY\" = 7 ] || exit 9; exit $STATUS");
	spec_env(&s, &s.cmd, "STATUS", "0");
	fx_run(&F, &s.task, env, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
}

static void test_command_health_check_without_override_sees_the_task_environment(void **state)
{
	struct spec s;
	char *env[] = {"STATUS=4", "PATH=/usr/bin:/bin", NULL};
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "exit $STATUS");
	fx_run(&F, &s.task, env, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY);
	assert_contains(F.msg[0], "exited with status 4");
}

static void test_command_health_check_runs_in_the_sandbox(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "pwd > where");
	s.hc.interval_seconds = 3600; /* one probe: no rewrite while we read */
	fx_run(&F, &s.task, NULL, until_verdicts_1);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	char *where = ts_read_file(sandbox_file("where"), NULL);
	assert_non_null(where);
	char *real = realpath(F.sandbox, NULL);
	assert_true(strncmp(where, real, strlen(real)) == 0);
	free(real);
	free(where);
}

/* ---- the upstream scenarios on the running checker */

/* A command that fails or passes following a script: the Nth run exits with
 * the Nth digit of `pattern` (the last one repeats). */
static char *scripted(const char *pattern)
{
	static char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; "
	         "p=%s; i=$n; [ $i -ge ${#p} ] && i=$((${#p}-1)); "
	         "exit $(echo $p | cut -c$((i+1)))",
	         pattern);
	return cmd;
}

static void test_scenario_health_status_change(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, scripted("0100"));
	fx_run(&F, &s.task, NULL, until_verdicts_3);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_int_equal(F.v[1], HEALTH_UNHEALTHY);
	assert_int_equal(F.v[2], HEALTH_HEALTHY);
}

static void test_scenario_consecutive_failures(void **state)
{
	struct spec s;
	spec_health(&s, 0, 4, 20);
	spec_command(&s, "exit 1");
	fx_run(&F, &s.task, NULL, until_verdicts_4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(F.v[i], HEALTH_UNHEALTHY);
	assert_int_equal(F.v[3], HEALTH_UNHEALTHY_KILL);
}

/* GracePeriod: failures inside the grace period send nothing. After a
 * number of real failing probes the fake clock jumps past the grace period
 * and the next failure is the first one counted. */
static bool grace_step(struct fx *f)
{
	if (f->phase == 0 && f->hits >= 5) {
		assert_int_equal(f->nv, 0);
		clock_skew_ns = 10000LL * 1000000000LL;
		f->phase = 1;
	}
	return f->nv >= 1;
}

static void test_scenario_grace_period(void **state)
{
	struct spec s;
	F.health_status = 500;
	spec_health(&s, 9999, 1, 20);
	spec_http(&s, F.port, "/health", true);
	fx_run(&F, &s.task, NULL, grace_step);
	assert_int_equal(F.phase, 1);
	assert_true(F.hits >= 6);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY_KILL); /* first counted failure, limit 1 */
}

static void test_scenario_healthy_to_unhealthy_transition_within_grace_period(void **state)
{
	struct spec s;
	spec_health(&s, 9999, 0, 20);
	spec_command(&s, scripted("01"));
	fx_run(&F, &s.task, NULL, until_verdicts_2);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_int_equal(F.v[1], HEALTH_UNHEALTHY_KILL);
}

/* CheckCommandTimeout: a hanging command (and its child) is killed as a
 * group at the timeout and the failure kills the task (failures 1). */
static bool hung_group_dead(struct fx *f)
{
	if (f->nv < 1)
		return false;
	pid_t sh = read_pid("sh.pid"), child = read_pid("child.pid");
	assert_true(sh > 0 && child > 0);
	return process_dead(sh) && process_dead(child);
}

static void test_scenario_check_command_timeout_kills_the_whole_group(void **state)
{
	struct spec s;
	spec_health(&s, 0, 1, 1);
	s.hc.interval_seconds = 3600; /* one probe */
	spec_command(&s, "echo $$ > sh.pid; sleep 120 & echo $! > child.pid; wait");
	fx_run(&F, &s.task, NULL, hung_group_dead);
	assert_int_equal(F.nv, 1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY_KILL);
	assert_string_equal(F.msg[0], "COMMAND health check timed out after 1secs");
}

/* ================================================================ stop */

static bool stop_when_probe_runs(struct fx *f)
{
	if (f->phase == 0) {
		if (read_pid("child.pid") <= 0)
			return false;
		fx_stop_checker(f); /* a COMMAND probe is in flight */
		f->phase = 1;
		return false;
	}
	return process_dead(read_pid("sh.pid")) && process_dead(read_pid("child.pid"));
}

static void test_stop_kills_a_command_probe_in_flight_and_reports_nothing(void **state)
{
	struct spec s;
	spec_health(&s, 0, 1, 0); /* no timeout */
	spec_command(&s, "echo $$ > sh.pid; sleep 120 & echo $! > child.pid; wait");
	fx_run(&F, &s.task, NULL, stop_when_probe_runs);
	assert_int_equal(F.nv, 0);
}

static bool stop_when_request_hangs(struct fx *f)
{
	if (f->phase == 0 && f->pending) {
		fx_stop_checker(f);  /* the HTTP request is in flight */
		f->phase = f->ticks; /* when it stopped */
		f->hits = 0;
		return false;
	}
	/* Give a cancelled probe time to (wrongly) report or retry. */
	return f->phase > 0 && f->ticks > f->phase + 20;
}

static void test_stop_cancels_an_http_probe_in_flight_and_reports_nothing(void **state)
{
	struct spec s;
	spec_health(&s, 0, 1, 0);
	spec_http(&s, F.port, "/hang", true);
	fx_run(&F, &s.task, NULL, stop_when_request_hangs);
	assert_int_equal(F.nv, 0);
	assert_int_equal(F.hits, 0); /* no probe after the stop */
}

static void stop_soon(uv_timer_t *t)
{
	fx_stop_checker(t->data);
}

static bool after_a_while(struct fx *f)
{
	return f->ticks > 20;
}

static void test_stop_with_a_tcp_connect_in_flight_reports_nothing(void **state)
{
	struct spec s;
	uv_timer_t t;
	spec_health(&s, 0, 1, 0);
	spec_tcp(&s, ts_free_port(), false);
	/* Same due time as the first probe and started after it: runs right
	 * after the connect was issued, before its result can arrive. */
	uv_timer_init(&F.loop, &t);
	t.data = &F;
	struct health_opts o = {.loop = &F.loop,
	                        .http = F.http,
	                        .task = &s.task,
	                        .cbs = {.on_health = on_health_cb, .data = &F}};
	F.h = health_start(&o);
	assert_non_null(F.h);
	uv_timer_start(&t, stop_soon, 0, 0);
	F.step = after_a_while;
	uv_timer_start(&F.tick, on_tick, 10, 10);
	uv_timer_start(&F.deadline, on_deadline, 60000, 0);
	uv_run(&F.loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&F.loop, UV_RUN_DEFAULT); /* t lives on this stack */
	assert_false(F.timed_out);
	assert_int_equal(F.nv, 0);
	assert_int_equal(F.health_events_after_stop, 0);
}

static bool stop_inside_callback(struct fx *f)
{
	return f->nv >= 1;
}

static void on_health_stop_inside(void *data, enum health_verdict v, const char *message)
{
	struct fx *f = data;
	on_health_cb(data, v, message);
	fx_stop_checker(f); /* as the executor does when it starts a kill */
}

static void test_stop_from_inside_the_verdict_callback_is_safe(void **state)
{
	struct spec s;
	spec_health(&s, 0, 0, 20);
	spec_command(&s, "exit 1");
	struct health_opts o = {.loop = &F.loop,
	                        .task = &s.task,
	                        .sandbox = F.sandbox,
	                        .cbs = {.on_health = on_health_stop_inside, .data = &F}};
	F.h = health_start(&o);
	assert_non_null(F.h);
	F.step = stop_inside_callback;
	uv_timer_start(&F.tick, on_tick, 10, 10);
	uv_timer_start(&F.deadline, on_deadline, 60000, 0);
	uv_run(&F.loop, UV_RUN_DEFAULT);
	assert_false(F.timed_out);
	assert_int_equal(F.nv, 1);
	assert_int_equal(F.v[0], HEALTH_UNHEALTHY_KILL);
}

/* ================================================================ checks */

static void test_command_check_reports_each_new_exit_code(void **state)
{
	/* CommandCheckDeliveredAndReconciled + CommandCheckStatusChange */
	struct spec s;
	spec_init(&s);
	spec_check_command(&s, scripted("1103"), 20);
	fx_run(&F, &s.task, NULL, until_checks_3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(F.c[i].type, MESOS__V1__CHECK_INFO__TYPE__COMMAND);
		assert_true(F.c[i].has_command && !F.c[i].has_http && !F.c[i].has_tcp);
		assert_true(F.c[i].has_value);
	}
	assert_int_equal(F.c[0].value, 1); /* the repeated 1 was not reported */
	assert_int_equal(F.c[1].value, 0);
	assert_int_equal(F.c[2].value, 3);
	assert_int_equal(F.nv, 0); /* a check never speaks for health */
}

static bool until_five_runs(struct fx *f)
{
	char *s = ts_read_file(sandbox_file("count"), NULL);
	int n = s ? atoi(s) : 0;
	free(s);
	return n >= 5;
}

static void test_command_check_repeating_a_result_reports_it_once(void **state)
{
	struct spec s;
	spec_init(&s);
	spec_check_command(&s, scripted("3"), 20);
	fx_run(&F, &s.task, NULL, until_five_runs);
	assert_int_equal(F.nc, 1);
	assert_int_equal(F.c[0].value, 3);
}

static void test_command_check_timeout_reports_an_empty_result(void **state)
{
	/* CommandCheckTimeout: after a result, a timeout gives `command` with
	 * no exit_code. */
	struct spec s;
	spec_init(&s);
	spec_check_command(&s,
	                   "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; "
	                   "[ $n -eq 0 ] && exit 0; exec sleep 120",
	                   0.5);
	fx_run(&F, &s.task, NULL, until_checks_2);
	assert_true(F.c[0].has_command && F.c[0].has_value);
	assert_int_equal(F.c[0].value, 0);
	assert_true(F.c[1].has_command);
	assert_false(F.c[1].has_value);
}

static void test_command_check_sees_the_tasks_environment_and_its_own(void **state)
{
	/* CommandCheckSeesParentsEnv */
	struct spec s;
	char *env[] = {"PARENT=42", "PATH=/usr/bin:/bin", NULL};
	spec_init(&s);
	spec_check_command(&s, "exit $((PARENT - OWN))", 20);
	spec_env(&s, &s.check_cmd, "OWN", "40");
	fx_run(&F, &s.task, env, until_checks_1);
	assert_true(F.c[0].has_value);
	assert_int_equal(F.c[0].value, 2);
}

static void test_command_check_shares_the_sandbox_with_the_task(void **state)
{
	struct spec s;
	FILE *fp = fopen(sandbox_file("task-file"), "w");
	assert_non_null(fp);
	fputs("x", fp);
	fclose(fp);
	spec_init(&s);
	spec_check_command(&s, "[ -f task-file ] && exit 5; exit 6", 20);
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_int_equal(F.c[0].value, 5);
}

static void test_http_check_reports_the_status_code_whatever_it_is(void **state)
{
	/* HTTPCheckDelivered; a 503 is a result, not an error */
	struct spec s;
	F.health_status = 503;
	spec_init(&s);
	spec_check(&s, MESOS__V1__CHECK_INFO__TYPE__HTTP, 20);
	Mesos__V1__CheckInfo__Http http = MESOS__V1__CHECK_INFO__HTTP__INIT;
	s.chttp = http;
	s.chttp.port = F.port;
	s.chttp.path = "/health";
	s.ci.http = &s.chttp;
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_int_equal(F.c[0].type, MESOS__V1__CHECK_INFO__TYPE__HTTP);
	assert_true(F.c[0].has_http && F.c[0].has_value);
	assert_int_equal(F.c[0].value, 503);
}

static void test_http_check_that_cannot_connect_reports_nothing_new(void **state)
{
	/* An error is the empty result, which is where a check starts: no
	 * update until something else happens. */
	struct spec s;
	spec_init(&s);
	spec_check(&s, MESOS__V1__CHECK_INFO__TYPE__HTTP, 20);
	Mesos__V1__CheckInfo__Http http = MESOS__V1__CHECK_INFO__HTTP__INIT;
	s.chttp = http;
	s.chttp.port = ts_free_port();
	s.ci.http = &s.chttp;
	fx_run(&F, &s.task, NULL, after_a_while);
	assert_int_equal(F.nc, 0);
}

static void test_tcp_check_reports_whether_it_connected(void **state)
{
	/* TCPCheckDelivered; a refused connection is succeeded=false */
	struct spec s;
	spec_init(&s);
	spec_check(&s, MESOS__V1__CHECK_INFO__TYPE__TCP, 20);
	Mesos__V1__CheckInfo__Tcp tcp = MESOS__V1__CHECK_INFO__TCP__INIT;
	s.ctcp = tcp;
	s.ctcp.port = F.port;
	s.ci.tcp = &s.ctcp;
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_true(F.c[0].has_tcp && F.c[0].has_value);
	assert_true(F.c[0].value);
}

static void test_tcp_check_on_a_closed_port_reports_not_succeeded(void **state)
{
	struct spec s;
	spec_init(&s);
	spec_check(&s, MESOS__V1__CHECK_INFO__TYPE__TCP, 20);
	Mesos__V1__CheckInfo__Tcp tcp = MESOS__V1__CHECK_INFO__TCP__INIT;
	s.ctcp = tcp;
	s.ctcp.port = ts_free_port();
	s.ci.tcp = &s.ctcp;
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_true(F.c[0].has_tcp && F.c[0].has_value);
	assert_false(F.c[0].value);
}

static bool until_both(struct fx *f)
{
	return f->nv >= 2 && f->nc >= 1;
}

static void test_check_and_health_check_run_independently(void **state)
{
	/* CommandCheckAndHealthCheckNoShadowing, at this level: each result
	 * goes to its own callback only. */
	struct spec s;
	spec_health(&s, 0, 5, 20);
	spec_command(&s, "[ -f hc ] && exit 1; touch hc; exit 0");
	spec_check_command(&s, "exit 7", 20);
	fx_run(&F, &s.task, NULL, until_both);
	assert_int_equal(F.v[0], HEALTH_HEALTHY);
	assert_int_equal(F.v[1], HEALTH_UNHEALTHY);
	assert_int_equal(F.nc, 1);
	assert_int_equal(F.c[0].value, 7);
}

static void test_invalid_health_check_leaves_the_check_running(void **state)
{
	struct spec s;
	spec_health(&s, 0, 3, 20);
	spec_command(&s, "exit 0");
	s.hc.type = MESOS__V1__HEALTH_CHECK__TYPE__HTTP; /* without `http` */
	spec_check_command(&s, "exit 2", 20);
	fx_run(&F, &s.task, NULL, until_checks_1);
	assert_int_equal(F.c[0].value, 2);
	assert_int_equal(F.nv, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_ERROR); /* probes with interval 0 log every failure */
	const struct CMUnitTest tests[] = {
	    T(test_http_health_check_reports_healthy_for_200),
	    T(test_http_health_check_without_type_is_run_as_http),
	    T(test_http_health_check_follows_redirects),
	    T(test_http_5xx_is_unhealthy_with_the_status_in_the_message),
	    T(test_http_399_is_still_healthy),
	    T(test_http_400_is_unhealthy),
	    T(test_http_connection_refused_is_unhealthy),
	    T(test_http_probe_that_outlives_its_timeout_fails),
	    T(test_https_health_check_accepts_a_self_signed_certificate),
	    T(test_https_health_check_against_a_plain_http_server_is_unhealthy),
	    T(test_probes_wait_the_delay_then_the_interval_after_each_finishes),
	    T(test_tcp_health_check_on_an_open_port_is_healthy),
	    T(test_tcp_health_check_on_a_closed_port_is_unhealthy),
	    T(test_tcp_health_check_with_ipv6_connects_to_the_ipv6_loopback),
	    T(test_command_health_check_exiting_0_is_healthy),
	    T(test_command_health_check_in_exec_form_is_healthy),
	    T(test_command_health_check_exec_form_that_fails_to_exec_is_unhealthy),
	    T(test_command_health_check_failing_says_its_exit_status),
	    T(test_command_health_check_sees_its_environment_over_the_tasks),
	    T(test_command_health_check_without_override_sees_the_task_environment),
	    T(test_command_health_check_runs_in_the_sandbox),
	    T(test_scenario_health_status_change),
	    T(test_scenario_consecutive_failures),
	    T(test_scenario_grace_period),
	    T(test_scenario_healthy_to_unhealthy_transition_within_grace_period),
	    T(test_scenario_check_command_timeout_kills_the_whole_group),
	    T(test_stop_kills_a_command_probe_in_flight_and_reports_nothing),
	    T(test_stop_cancels_an_http_probe_in_flight_and_reports_nothing),
	    T(test_stop_with_a_tcp_connect_in_flight_reports_nothing),
	    T(test_stop_from_inside_the_verdict_callback_is_safe),
	    T(test_command_check_reports_each_new_exit_code),
	    T(test_command_check_repeating_a_result_reports_it_once),
	    T(test_command_check_timeout_reports_an_empty_result),
	    T(test_command_check_sees_the_tasks_environment_and_its_own),
	    T(test_command_check_shares_the_sandbox_with_the_task),
	    T(test_http_check_reports_the_status_code_whatever_it_is),
	    T(test_http_check_that_cannot_connect_reports_nothing_new),
	    T(test_tcp_check_reports_whether_it_connected),
	    T(test_tcp_check_on_a_closed_port_reports_not_succeeded),
	    T(test_check_and_health_check_run_independently),
	    T(test_invalid_health_check_leaves_the_check_running),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
