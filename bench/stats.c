/* The figures' names and targets, and the statistics kept of them: every
 * sample, the median, the smallest and the largest. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Targets of issue 15 (the static executor), in the unit the samples are kept
 * in; KILL -> TASK_KILLED and ACK -> exit keep issue 8's. The probe targets
 * are relative: within 1.3x of bench/probe_floor's CPU per probe, measured in
 * the same run (report.c); FLOOR_FACTOR. */
const struct bench_fig_info bench_figs[FIG_COUNT] = {
    [FIG_HWM] = {"vmhwm_kib", "resident memory while supervising (VmHWM)", "KiB", 1024,
                 "<= 1.0 MiB"},
    [FIG_PRIVATE] = {"private_kib", "private memory (Private_Clean+Private_Dirty)", "KiB",
                     0.4 * 1024, "<= 0.4 MiB"},
    [FIG_PSS] = {"pss_kib", "proportional set size (Pss)", "KiB", 0, ""},
    [FIG_BINARY] = {"stripped_bytes", "stripped binary", "bytes", 1200 * 1000, "<= 1.2 MB"},
    [FIG_START_SUB] = {"start_to_subscribe_ms", "process start -> SUBSCRIBE on the wire", "ms", 1.5,
                       "<= 1.5 ms"},
    [FIG_START_FAULTS] = {"start_to_subscribe_faults", "page faults, fork() -> SUBSCRIBE", "", 0,
                          ""},
    [FIG_START_CPU] = {"start_to_running_cpu_ms", "executor CPU, start to TASK_RUNNING", "ms", 0,
                       ""},
    [FIG_LAUNCH_RUN] = {"launch_to_running_ms", "LAUNCH -> TASK_RUNNING on the wire", "ms", 0.5,
                        "<= 0.5 ms"},
    [FIG_KILL_KILLED] = {"kill_to_killed_ms", "KILL -> TASK_KILLED (task exits on SIGTERM)", "ms",
                         10, "<= 10 ms"},
    [FIG_ACK_EXIT] = {"ack_to_exit_ms", "terminal ACK -> process exit", "ms", 5, "<= 5 ms"},
    [FIG_WAKEUPS] = {"idle_wakeups_per_s", "context switches per second, idle", "/s", 0.1,
                     "<= 0.1"},
    [FIG_THREADS] = {"threads", "threads while idle", "", 0, ""},
    [FIG_IDLE_CPU] = {"idle_cpu_us_per_s", "CPU while idle", "us/s", 0, ""},
    [FIG_HTTP_PROBE] = {"http_probe_cpu_us", "executor CPU per HTTP health probe", "us", 0,
                        "<= 1.3x floor"},
    [FIG_TCP_PROBE] = {"tcp_probe_cpu_us", "executor CPU per TCP health probe", "us", 0,
                       "<= 1.3x floor"},
    [FIG_HTTP_SWITCHES] = {"http_probe_switches", "context switches per HTTP probe", "/probe", 0,
                           ""},
    [FIG_TCP_SWITCHES] = {"tcp_probe_switches", "context switches per TCP probe", "/probe", 0, ""},
};

void series_add(struct series *s, double v)
{
	if (s->n < sizeof(s->v) / sizeof(s->v[0]) && !isnan(v))
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double series_median(const struct series *s)
{
	if (!s->n)
		return NAN;
	double v[sizeof(s->v) / sizeof(s->v[0])];
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

double series_min(const struct series *s)
{
	double m = NAN;
	for (size_t i = 0; i < s->n; i++)
		if (isnan(m) || s->v[i] < m)
			m = s->v[i];
	return m;
}

double series_max(const struct series *s)
{
	double m = NAN;
	for (size_t i = 0; i < s->n; i++)
		if (isnan(m) || s->v[i] > m)
			m = s->v[i];
	return m;
}
