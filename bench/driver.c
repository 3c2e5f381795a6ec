/* bench_driver: the executor's benchmarks in one command (`make bench`).
 * Measures our executor, and any other Mesos HTTP executor given with
 * --executor, under an in-process fake agent on 127.0.0.1 (bench/lab.c),
 * runs the probe module alone (bench/health_probe_bench) for comparison,
 * then the scale benchmark (bench/scale.c), and prints the table (and the
 * JSON document with --json). Figures are reported, never asserted: the
 * exit status says whether every measurement completed, not whether the
 * targets were met. */
#include "bench.h"

#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef BENCH_EXECUTOR
#define BENCH_EXECUTOR "executor/executor"
#endif
#ifndef BENCH_PROBE_BENCH
#define BENCH_PROBE_BENCH ""
#endif

#define MAX_EXECS 8
#define MAX_SCALE 8

extern char **environ;

static const char usage[] =
    "usage: bench_driver [options]\n"
    "  --executor '[marathon:] [K=V ...] PATH'\n"
    "                         also measure this Mesos HTTP executor (or ours with another\n"
    "                         environment), side by side with ours; repeatable. It is run as\n"
    "                         the agent runs a command executor, K=V added to its environment;\n"
    "                         with marathon: in Marathon's custom-executor form instead\n"
    "                         (ExecutorInfo.command \"chmod ug+rx './executor' && exec\n"
    "                         './executor' sleep 600\", no TaskInfo.command), as the Go\n"
    "                         executor expects\n"
    "  --ours '[marathon:] [K=V ...] PATH'\n"
    "                         our executor (default: this build's, " BENCH_EXECUTOR ")\n"
    "  --floor PATH           bench/probe_floor of the static build: its CPU per probe, the\n"
    "                         floor each executor's probe CPU is compared with ('' to skip)\n"
    "  --runs N               runs per executor, after a warm-up (default 5)\n"
    "  --settle SECS          wait after TASK_RUNNING before the idle window (default 11:\n"
    "                         past one-shot timers an executor may arm at start)\n"
    "  --idle SECS            idle window for wake-ups and idle CPU (default 60: one\n"
    "                         period of the executor's slowest periodic timer)\n"
    "  --probes N             health probes counted per window (default 50)\n"
    "  --probe-interval SECS  health check interval_seconds (default 0.1)\n"
    "  --scale N[,N...]       scale benchmark sizes (default 100,500,1000; 0: none)\n"
    "  --scale-timeout SECS   give one scale run up to SECS (default 180)\n"
    "  --executor-env K=V     in every executor's environment (repeatable)\n"
    "  --probe-bench PATH     the probe module's benchmark ('' to skip)\n"
    "  --json FILE            also write every sample as JSON\n"
    "  --breakdown            memory by mapped library ([heap], [anon], ...) of each executor\n"
    "  --verbose              the fake agent's timeline and progress on stderr\n"
    "exit status: 0 every measurement completed (met targets or not), 1 one failed or the\n"
    "scale benchmark lost an update or left a process behind, 2 bad usage, 130 interrupted\n";

struct options {
	struct lab_opts lab;
	const char *ours;
	const char *others[MAX_EXECS];
	size_t n_others;
	const char *env[BENCH_MAX_ENV + 1];
	size_t n_env;
	int scale[MAX_SCALE];
	size_t n_scale;
	double scale_timeout;
	const char *probe_bench;
	const char *floor;
	const char *json;
};

static int parse_number(const char *opt, const char *v, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= lo && d <= hi)) {
		fprintf(stderr, "bench_driver: %s %s: expected a number from %g to %g\n", opt, v,
		        lo, hi);
		return -1;
	}
	*out = d;
	return 0;
}

static int parse_scale(const char *v, struct options *o)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", v);
	o->n_scale = 0;
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		double d;
		if (parse_number("--scale", tok, 0, 20000, &d) < 0)
			return -1;
		if (d >= 1 && o->n_scale < MAX_SCALE)
			o->scale[o->n_scale++] = (int)d;
	}
	return 0;
}

static int parse(int argc, char **argv, struct options *o)
{
	double d;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = strcmp(a, "--verbose") && strcmp(a, "--breakdown") &&
		             strcmp(a, "--help") && strcmp(a, "-h");
		if (takes && !v) {
			fprintf(stderr, "bench_driver: %s needs a value\n%s", a, usage);
			return -1;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strcmp(a, "--verbose")) {
			o->lab.verbose = true;
			continue;
		} else if (!strcmp(a, "--breakdown")) {
			o->lab.breakdown = true;
			continue;
		} else if (!strcmp(a, "--executor")) {
			if (o->n_others == MAX_EXECS) {
				fprintf(stderr, "bench_driver: at most %d --executor\n", MAX_EXECS);
				return -1;
			}
			o->others[o->n_others++] = v;
		} else if (!strcmp(a, "--ours")) {
			o->ours = v;
		} else if (!strcmp(a, "--runs")) {
			if (parse_number(a, v, 1, 60, &d) < 0)
				return -1;
			o->lab.runs = (int)d;
		} else if (!strcmp(a, "--settle")) {
			if (parse_number(a, v, 0, 3600, &o->lab.settle_secs) < 0)
				return -1;
		} else if (!strcmp(a, "--idle")) {
			if (parse_number(a, v, 0.1, 3600, &o->lab.idle_secs) < 0)
				return -1;
		} else if (!strcmp(a, "--probes")) {
			if (parse_number(a, v, 1, 100000, &d) < 0)
				return -1;
			o->lab.probes = (int)d;
		} else if (!strcmp(a, "--probe-interval")) {
			if (parse_number(a, v, 0.001, 60, &o->lab.probe_interval) < 0)
				return -1;
		} else if (!strcmp(a, "--scale")) {
			if (parse_scale(v, o) < 0)
				return -1;
		} else if (!strcmp(a, "--scale-timeout")) {
			if (parse_number(a, v, 1, 86400, &o->scale_timeout) < 0)
				return -1;
		} else if (!strcmp(a, "--executor-env")) {
			if (!strchr(v, '=') || v[0] == '=' || o->n_env == BENCH_MAX_ENV / 2) {
				fprintf(stderr,
				        "bench_driver: --executor-env %s: expected KEY=VALUE "
				        "(at most %d)\n",
				        v, BENCH_MAX_ENV / 2);
				return -1;
			}
			o->env[o->n_env++] = v;
		} else if (!strcmp(a, "--probe-bench")) {
			o->probe_bench = v;
		} else if (!strcmp(a, "--floor")) {
			o->floor = v;
		} else if (!strcmp(a, "--json")) {
			o->json = v;
		} else {
			fprintf(stderr, "bench_driver: unknown option %s\n%s", a, usage);
			return -1;
		}
		i++;
	}
	return 0;
}

/* "[marathon:] [K=V ...] PATH": the form, the environment words, then the
 * binary. */
static int exec_from_spec(struct bench_exec *b, const char *spec, const struct options *o)
{
	size_t n = 0, label_len;
	snprintf(b->spec, sizeof(b->spec), "%s", spec);
	for (size_t i = 0; i < o->n_env; i++)
		b->env[n++] = o->env[i];
	char *p = b->spec;
	while (*p == ' ')
		p++;
	if (!strncmp(p, "marathon:", 9)) {
		b->marathon = true;
		for (p += 9; *p == ' ';)
			p++;
	}
	const char *base = NULL;
	for (;;) {
		size_t word = strcspn(p, " ");
		char *eq = memchr(p, '=', word);
		if (!eq || eq == p || p[word] == '\0' || n == BENCH_MAX_ENV)
			break;
		p[word] = '\0';
		b->env[n++] = p;
		p += word + 1;
		while (*p == ' ')
			p++;
	}
	b->path = p;
	base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
	label_len = (size_t)snprintf(b->label, sizeof(b->label), "%s", base);
	b->is_static = procfs_is_static(b->path);
	const char *tags[] = {b->is_static ? "static" : NULL, b->marathon ? "marathon" : NULL};
	for (size_t i = 0; i < 2; i++)
		if (tags[i] && label_len < sizeof(b->label))
			label_len += (size_t)snprintf(
			    b->label + label_len, sizeof(b->label) - label_len, " (%s)", tags[i]);
	for (size_t i = o->n_env; i < n && label_len < sizeof(b->label); i++)
		label_len += (size_t)snprintf(b->label + label_len, sizeof(b->label) - label_len,
		                              " %s", b->env[i]);
	if (access(b->path, X_OK) < 0) {
		fprintf(stderr, "bench_driver: executor %s: %s\n", b->path, strerror(errno));
		return -1;
	}
	return 0;
}

static void loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "re");
	buf[0] = '\0';
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* Runs health_probe_bench and takes the CPU-clock column of its HTTP and TCP
 * rows ("HTTP  count  wall  user  sys  rusage  cputime  failed"). */
static void probe_module_alone(const char *path, int probes, double *http, double *tcp)
{
	*http = *tcp = NAN;
	if (!path || !*path)
		return;
	char count[16];
	snprintf(count, sizeof(count), "%d", probes * 20);
	int p[2];
	if (pipe(p) < 0)
		return;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	char *argv[] = {(char *)path, count, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		fprintf(stderr, "bench_driver: cannot run %s: %s\n", path, strerror(rc));
		close(p[0]);
		return;
	}
	FILE *f = fdopen(p[0], "r");
	char line[512], name[16];
	double cols[6];
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%15s %lf %lf %lf %lf %lf %lf", name, &cols[0], &cols[1], &cols[2],
		           &cols[3], &cols[4], &cols[5]) == 7) {
			if (!strcmp(name, "HTTP"))
				*http = cols[5];
			else if (!strcmp(name, "TCP"))
				*tcp = cols[5];
		}
	if (f)
		fclose(f);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int write_json(const char *path, const struct bench_report *r)
{
	cJSON *j = report_json(r);
	char *s = cJSON_Print(j);
	cJSON_Delete(j);
	FILE *f = fopen(path, "w");
	int rc = f && s && fputs(s, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;
	if (f && fclose(f) != 0)
		rc = -1;
	free(s);
	if (rc < 0)
		fprintf(stderr, "bench_driver: cannot write %s: %s\n", path, strerror(errno));
	return rc;
}

int main(int argc, char **argv)
{
	static struct options o = {
	    .lab = {.runs = 5,
	            .settle_secs = 11,
	            .idle_secs = 60,
	            .probes = 50,
	            .probe_interval = 0.1},
	    .ours = BENCH_EXECUTOR,
	    .scale = {100, 500, 1000},
	    .n_scale = 3,
	    .scale_timeout = 180,
	    .probe_bench = BENCH_PROBE_BENCH,
	    .floor = "",
	};
	if (parse(argc, argv, &o) < 0)
		return 2;
	log_set_level(LOG_ERROR); /* the fake agent's library logs nothing we need */
	signal(SIGPIPE, SIG_IGN);

	static struct bench_exec execs[MAX_EXECS + 1];
	static struct scale_result scale[MAX_SCALE];
	struct bench_report rep = {
	    .execs = execs, .n_execs = 1 + o.n_others, .runs = o.lab.runs, .scale = scale};
	char err[512];
	int status = 0;

	if (exec_from_spec(&execs[0], o.ours, &o) < 0)
		return 2;
	for (size_t k = 0; k < o.n_others; k++)
		if (exec_from_spec(&execs[k + 1], o.others[k], &o) < 0)
			return 2;
	loadavg(rep.load_before, sizeof(rep.load_before));
	rep.fault_cost_us = procfs_fault_cost_us();
	for (size_t k = 0; k < rep.n_execs; k++) {
		fprintf(stderr,
		        "bench: %s: %d runs (start, LAUNCH, %.0f s idle, %d HTTP and %d TCP "
		        "probes, KILL, exit)\n",
		        execs[k].label, o.lab.runs, o.lab.idle_secs, o.lab.probes, o.lab.probes);
		if (lab_measure(&o.lab, &execs[k], err, sizeof(err)) < 0) {
			fprintf(stderr, "bench: %s: %s\n", execs[k].label, err);
			return strcmp(err, "interrupted") ? 1 : 130;
		}
		status |= execs[k].failures != 0;
	}
	if (o.floor && *o.floor) {
		fprintf(stderr,
		        "bench: the probe floor (%s): %d runs of %d HTTP and %d TCP probes\n",
		        o.floor, o.lab.runs, o.lab.probes, o.lab.probes);
		if (lab_measure_floor(&o.lab, o.floor, &rep.floor_http, &rep.floor_tcp, err,
		                      sizeof(err)) < 0) {
			fprintf(stderr, "bench: probe floor: %s\n", err);
			if (!strcmp(err, "interrupted"))
				return 130;
			status = 1;
		}
	}
	fprintf(stderr, "bench: the probe module alone (%s)\n",
	        *o.probe_bench ? o.probe_bench : "skipped");
	probe_module_alone(o.probe_bench, o.lab.probes, &rep.probe_module_http_us,
	                   &rep.probe_module_tcp_us);
	for (size_t i = 0; i < o.n_scale; i++) {
		fprintf(stderr, "bench: scale: %d executors\n", o.scale[i]);
		int rc =
		    scale_run(execs[0].path, o.scale[i], execs[0].env, o.scale_timeout, &scale[i]);
		rep.n_scale++;
		if (rc < 0 || scale[i].unacknowledged || scale[i].tasks_incomplete ||
		    scale[i].exited_other || scale[i].leftovers)
			status = 1;
		if (rc < 0 && !strcmp(scale[i].error, "interrupted"))
			return 130;
	}
	loadavg(rep.load_after, sizeof(rep.load_after));
	report_table(&rep, stdout);
	if (o.json && write_json(o.json, &rep) < 0)
		status = 1;
	return status;
}
