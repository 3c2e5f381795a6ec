/* What the executor's start costs, part by part, measured from outside:
 *
 * 1. Programs that only start (bench/startup_probe.c, built with nothing,
 *    with libuv, with libcurl as the executor links it, and with Debian's
 *    static libcurl.a/libssl.a/libcrypto.a), each spawned N times, lazily
 *    bound and with LD_BIND_NOW=1, curl_global_init with CURL_GLOBAL_DEFAULT
 *    and CURL_GLOBAL_NOTHING: fork -> "ready" (the time the executor would
 *    spend before its own code could send SUBSCRIBE), the CPU the process
 *    used, VmHWM and Private_Dirty while it waits.
 * 2. Each shared library the executor loads, dlopen()ed one at a time after
 *    everything it depends on (so each brings in only itself) in a child:
 *    time (mapping, relocation, constructors) and the Rss and Private_Dirty
 *    it adds. The executor's own share of the start is what is left.
 *
 *   startup_cost [--runs N] [--executor PATH] [--probe-dir DIR]
 *
 * Medians of N runs (default 20). Figures only; nothing is asserted. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_EXECUTOR
#define BENCH_EXECUTOR "executor/executor"
#endif
#ifndef STARTUP_PROBE_DIR
#define STARTUP_PROBE_DIR "."
#endif

#define MAX_RUNS 200
#define MAX_LIBS 64

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	if (n <= 0)
		return -1;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* "Key:   123 kB" of a /proc file, or -1. */
static long kib_field(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	char line[256];
	long v = -1;
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

/* ------------------------------------------------------------ 1: probes */

struct probe_run {
	double ready_ms, cpu_ms, hwm_kib, dirty_kib;
};

/* Spawns the probe once; fills r. -1 when it did not start. */
static int probe_once(const char *path, const char *arg, bool bind_now, struct probe_run *r)
{
	int ready[2], hold[2];
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ready[1], 3);
	posix_spawn_file_actions_adddup2(&fa, hold[0], 4);
	char *env[64];
	size_t n = 0;
	for (char **e = environ; *e && n < 62; e++)
		if (strncmp(*e, "LD_BIND_NOW=", 12))
			env[n++] = *e;
	if (bind_now)
		env[n++] = "LD_BIND_NOW=1";
	env[n] = NULL;
	char *argv[] = {(char *)path, (char *)arg, NULL};
	pid_t pid;
	double t0 = now_ms();
	int rc = posix_spawn(&pid, path, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(ready[1]);
	close(hold[0]);
	char c;
	ssize_t got = rc == 0 ? read(ready[0], &c, 1) : -1;
	r->ready_ms = now_ms() - t0;
	if (got == 1) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
		r->hwm_kib = (double)kib_field(p, "VmHWM");
		snprintf(p, sizeof(p), "/proc/%d/smaps_rollup", (int)pid);
		r->dirty_kib = (double)kib_field(p, "Private_Dirty");
	}
	close(hold[1]);
	close(ready[0]);
	if (rc != 0)
		return -1;
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	r->cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	            (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	return got == 1 ? 0 : -1;
}

static void probe_row(const char *dir, const char *name, const char *arg, bool bind_now, int runs)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, X_OK) < 0) {
		printf("%-24s %-22s (not built: %s)\n", name, "", strerror(errno));
		return;
	}
	static double ready[MAX_RUNS], cpu[MAX_RUNS], hwm[MAX_RUNS], dirty[MAX_RUNS];
	struct probe_run r;
	int n = 0;
	probe_once(path, arg, bind_now, &r); /* warm-up */
	for (int i = 0; i < runs; i++)
		if (probe_once(path, arg, bind_now, &r) == 0) {
			ready[n] = r.ready_ms;
			cpu[n] = r.cpu_ms;
			hwm[n] = r.hwm_kib;
			dirty[n++] = r.dirty_kib;
		}
	char how[64];
	snprintf(how, sizeof(how), "%s%s", bind_now ? "LD_BIND_NOW=1" : "lazy",
	         arg ? " GLOBAL_NOTHING" : "");
	printf("%-24s %-22s %9.2f %9.2f %9.0f %9.0f\n", name + strlen("startup_probe_"), how,
	       median(ready, n), median(cpu, n), median(hwm, n), median(dirty, n));
}

/* ------------------------------------------------------------ 2: libraries */

struct lib {
	char path[512];
	bool needs[MAX_LIBS]; /* needs[k]: depends on lib k (directly or not) */
	bool placed;
	double ms[MAX_RUNS], rss[MAX_RUNS], dirty[MAX_RUNS];
	int n;
};

/* The libraries `ldd` lists for a file, by path. */
static int ldd(const char *file, char paths[][512], int max)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "ldd '%s' 2>/dev/null", file);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[1024];
	int n = 0;
	while (n < max && fgets(line, sizeof(line), p)) {
		char *arrow = strstr(line, "=> /");
		if (!arrow)
			continue;
		char *s = arrow + 3;
		s[strcspn(s, " (\n")] = '\0';
		snprintf(paths[n++], 512, "%.511s", s);
	}
	pclose(p);
	return n;
}

/* The executor's libraries, each after every library it depends on. */
static int executor_libs(const char *exe, struct lib *libs, int max)
{
	static char found[MAX_LIBS][512], deps[MAX_LIBS][512];
	static struct lib in[MAX_LIBS];
	int n = ldd(exe, found, max);
	for (int i = 0; i < n; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		memcpy(in[i].path, found[i], sizeof(in[i].path));
	}
	for (int i = 0; i < n; i++) {
		int nd = ldd(in[i].path, deps, MAX_LIBS);
		for (int d = 0; d < nd; d++)
			for (int k = 0; k < n; k++)
				in[i].needs[k] |= k != i && !strcmp(deps[d], in[k].path);
	}
	int out = 0;
	for (bool progress = true; progress && out < n;) {
		progress = false;
		for (int i = 0; i < n; i++) {
			bool ready = !in[i].placed;
			for (int k = 0; ready && k < n; k++)
				ready = !in[i].needs[k] || in[k].placed;
			if (ready) {
				in[i].placed = progress = true;
				libs[out++] = in[i];
			}
		}
	}
	for (int i = 0; i < n; i++) /* a dependency cycle: the rest as listed */
		if (!in[i].placed)
			libs[out++] = in[i];
	return out;
}

/* One child: dlopen each library in order, and report. */
static void libs_once(struct lib *libs, int n)
{
	int fd[2];
	if (pipe(fd) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		for (int i = 0; i < n; i++) {
			double rec[3];
			long rss0 = kib_field("/proc/self/status", "VmRSS");
			long d0 = kib_field("/proc/self/smaps_rollup", "Private_Dirty");
			double t0 = now_ms();
			void *h = dlopen(libs[i].path, RTLD_LAZY | RTLD_GLOBAL);
			rec[0] = h ? now_ms() - t0 : -1;
			rec[1] = (double)(kib_field("/proc/self/status", "VmRSS") - rss0);
			rec[2] =
			    (double)(kib_field("/proc/self/smaps_rollup", "Private_Dirty") - d0);
			if (write(fd[1], rec, sizeof(rec)) != (ssize_t)sizeof(rec))
				_exit(1);
		}
		_exit(0);
	}
	close(fd[1]);
	for (int i = 0; i < n; i++) {
		double rec[3];
		if (read(fd[0], rec, sizeof(rec)) != (ssize_t)sizeof(rec))
			break;
		if (rec[0] >= 0 && libs[i].n < MAX_RUNS) {
			libs[i].ms[libs[i].n] = rec[0];
			libs[i].rss[libs[i].n] = rec[1];
			libs[i].dirty[libs[i].n++] = rec[2];
		}
	}
	close(fd[0]);
	waitpid(pid, NULL, 0);
}

static void libs_table(const char *exe, int runs)
{
	static struct lib libs[MAX_LIBS];
	int n = executor_libs(exe, libs, MAX_LIBS);
	if (n <= 0) {
		printf("(cannot list the libraries of %s)\n", exe);
		return;
	}
	libs_once(libs, n); /* warm-up */
	for (int i = 0; i < n; i++)
		libs[i].n = 0;
	for (int r = 0; r < runs; r++)
		libs_once(libs, n);
	printf("\nEach library of %s, dlopen()ed alone (lazy binding) after its dependencies,\n"
	       "median of %d: time (map, relocate, constructors), Rss and Private_Dirty added\n\n",
	       exe, runs);
	printf("%-36s %9s %9s %12s\n", "library", "ms", "Rss KiB", "Pr.Dirty KiB");
	double tms = 0, trss = 0, tdirty = 0;
	for (int i = 0; i < n; i++) {
		double ms = median(libs[i].ms, libs[i].n), rss = median(libs[i].rss, libs[i].n),
		       dirty = median(libs[i].dirty, libs[i].n);
		const char *base =
		    strrchr(libs[i].path, '/') ? strrchr(libs[i].path, '/') + 1 : libs[i].path;
		printf("%-36s %9.3f %9.0f %12.0f\n", base, ms, rss, dirty);
		tms += ms;
		trss += rss;
		tdirty += dirty;
	}
	printf("%-36s %9.3f %9.0f %12.0f\n", "total", tms, trss, tdirty);
}

int main(int argc, char **argv)
{
	int runs = 20;
	const char *exe = BENCH_EXECUTOR, *dir = STARTUP_PROBE_DIR;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--executor") && i + 1 < argc)
			exe = argv[++i];
		else if (!strcmp(argv[i], "--probe-dir") && i + 1 < argc)
			dir = argv[++i];
		else {
			fprintf(
			    stderr,
			    "usage: startup_cost [--runs N] [--executor PATH] [--probe-dir DIR]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "startup_cost: --runs: 1 to %d\n", MAX_RUNS);
		return 2;
	}
	printf("Programs that only start, median of %d spawns: fork -> ready, CPU of the whole\n"
	       "process, VmHWM and Private_Dirty while ready\n\n",
	       runs);
	printf("%-24s %-22s %9s %9s %9s %9s\n", "program", "binding", "ready ms", "CPU ms",
	       "HWM KiB", "Dirty KiB");
	const char *probes[] = {"startup_probe_libc", "startup_probe_uv", "startup_probe_curl",
	                        "startup_probe_curl_static"};
	for (size_t p = 0; p < 4; p++)
		for (int bind = 0; bind < 2; bind++) {
			probe_row(dir, probes[p], NULL, bind, runs);
			if (p >= 2)
				probe_row(dir, probes[p], "--global-nothing", bind, runs);
		}
	libs_table(exe, runs);
	return 0;
}
