/* How much CPU the executor spends per health probe: runs N HTTP probes and
 * N TCP probes (and N/4 COMMAND probes) one after another through the health
 * module's probe layer on one libuv loop, each next probe started from a
 * timer as the checker does with interval 0, and prints the process's CPU
 * time (getrusage) per probe. The target server (the microhttpd scaffold)
 * runs in a forked child, so its CPU is not counted; neither is the CPU of
 * the COMMAND probes' own processes, only the executor's side (fork, exec
 * wait, reaping).
 *
 *   health_probe_bench [N]      (default 2000) */
#include "common/httpc.h"
#include "fakekit/httpd.h"
#include "common/log.h"
#include "executor/health_probe.h"
#include "executor/proc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the target, in a child process */

static void on_health(struct httpd_req *r, void *d)
{
	httpd_reply(r, 200, "text/plain", "ok\n", 3, NULL);
}

static void on_stop_signal(void *data)
{
	httpd_stop(data);
}

static int run_server(int port_fd)
{
	uv_loop_t loop;
	char err[256];
	static const struct httpd_route routes[] = {{"GET", "/health", on_health},
	                                            {NULL, NULL, NULL}};
	struct httpd_config cfg = {
	    .name = "bench-target", .listen = "127.0.0.1:0", .routes = routes};

	uv_loop_init(&loop);
	struct httpd *d = httpd_start(&loop, &cfg, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "bench target: %s\n", err);
		return 1;
	}
	const char *addr = httpd_address(d);
	if (write(port_fd, addr, strlen(addr) + 1) < 0)
		return 1;
	close(port_fd);
	httpd_stop_on_signals(&loop, on_stop_signal, d);
	uv_run(&loop, UV_RUN_DEFAULT);
	return 0;
}

/* ---- the probes, in this process */

struct batch {
	uv_loop_t *loop;
	struct health_probe_spec spec;
	uv_timer_t next;
	int left, ok, failed;
};

static void probe_done(void *data, const struct health_probe_result *r);

static void start_probe(uv_timer_t *t)
{
	struct batch *b = t->data;
	if (!health_probe_start(b->loop, &b->spec, probe_done, b)) {
		fprintf(stderr, "cannot start a probe\n");
		exit(1);
	}
}

static void probe_done(void *data, const struct health_probe_result *r)
{
	struct batch *b = data;
	bool ok = r->outcome == HEALTH_PROBE_DONE &&
	          (b->spec.kind == HEALTH_PROBE_HTTP ? r->http_status == 200
	           : b->spec.kind == HEALTH_PROBE_TCP
	               ? r->connected
	               : WIFEXITED(r->wstatus) && !WEXITSTATUS(r->wstatus));
	if (ok)
		b->ok++;
	else
		b->failed++;
	if (--b->left > 0)
		uv_timer_start(&b->next, start_probe, 0, 0);
}

static double secs(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

struct figures {
	double wall, user, sys; /* seconds; user/sys from getrusage */
	double cpu;             /* seconds of CLOCK_PROCESS_CPUTIME_ID (not tick-sampled) */
};

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_batch(uv_loop_t *loop, const struct health_probe_spec *spec, int n,
                      struct figures *f, int *failed)
{
	struct batch b = {.loop = loop, .spec = *spec, .left = n};
	struct rusage r0, r1;
	uv_timer_init(loop, &b.next);
	b.next.data = &b;

	getrusage(RUSAGE_SELF, &r0);
	double c0 = cpu_now();
	uint64_t t0 = uv_hrtime();
	uv_timer_start(&b.next, start_probe, 0, 0);
	while (b.left > 0)
		uv_run(loop, UV_RUN_ONCE);
	uint64_t t1 = uv_hrtime();
	double c1 = cpu_now();
	getrusage(RUSAGE_SELF, &r1);

	uv_close((uv_handle_t *)&b.next, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	f->wall = (double)(t1 - t0) / 1e9;
	f->user = secs(r1.ru_utime) - secs(r0.ru_utime);
	f->sys = secs(r1.ru_stime) - secs(r0.ru_stime);
	f->cpu = c1 - c0;
	*failed = b.failed;
}

static void print_row(const char *name, int n, const struct figures *f, int failed)
{
	double us = 1e6 / n;
	printf("%-8s %6d %9.0f %9.1f %9.1f %14.1f %14.1f %7d\n", name, n, f->wall * 1e3,
	       f->user * us, f->sys * us, (f->user + f->sys) * us, f->cpu * us, failed);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	int pfd[2];
	char addr[128] = "", err[256];

	if (n <= 0) {
		fprintf(stderr, "usage: %s [N]\n", argv[0]);
		return 2;
	}
	log_set_level(LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(pfd) < 0) {
		perror("pipe");
		return 1;
	}
	pid_t server = fork();
	if (server < 0) {
		perror("fork");
		return 1;
	}
	if (server == 0) {
		close(pfd[0]);
		_exit(run_server(pfd[1]));
	}
	close(pfd[1]);
	if (read(pfd[0], addr, sizeof(addr) - 1) <= 0) {
		fprintf(stderr, "the bench target did not start\n");
		return 1;
	}
	close(pfd[0]);
	unsigned port = (unsigned)atoi(strrchr(addr, ':') + 1);

	uv_loop_t loop;
	uv_loop_init(&loop);
	if (proc_init(&loop, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct httpc *http = httpc_new(&loop);
	char url[160];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/health", port);
	char *cmd_argv[] = {"true", NULL};

	struct health_probe_spec specs[3] = {
	    {.kind = HEALTH_PROBE_HTTP, .timeout_ns = 20000000000LL, .http = http, .url = url},
	    {.kind = HEALTH_PROBE_TCP,
	     .timeout_ns = 20000000000LL,
	     .ip = "127.0.0.1",
	     .port = port},
	    {.kind = HEALTH_PROBE_COMMAND, .timeout_ns = 20000000000LL, .argv = cmd_argv},
	};
	const char *names[3] = {"HTTP", "TCP", "COMMAND"};
	int counts[3] = {n, n, n / 4 > 0 ? n / 4 : 1};
	struct figures f[3];
	int failed[3];

	for (int i = 0; i < 3; i++) { /* warm-up: curl's first request, page faults */
		struct figures w;
		int wf;
		run_batch(&loop, &specs[i], 20, &w, &wf);
	}
	for (int i = 0; i < 3; i++)
		run_batch(&loop, &specs[i], counts[i], &f[i], &failed[i]);

	printf("health probes against a local server (in another process), one loop, "
	       "sequential\n");
	printf("%-8s %6s %9s %9s %9s %14s %14s %7s\n", "probe", "count", "wall ms", "user us",
	       "sys us", "rusage us/prb", "cputime us/prb", "failed");
	for (int i = 0; i < 3; i++)
		print_row(names[i], counts[i], &f[i], failed[i]);
	printf("(per probe, this process only: user/sys from getrusage, cputime from "
	       "CLOCK_PROCESS_CPUTIME_ID;\n COMMAND excludes the probe's own process)\n");

	httpc_close(http, NULL, NULL);
	proc_shutdown();
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	return failed[0] || failed[1] || failed[2] ? 1 : 0;
}
