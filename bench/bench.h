/* The benchmark driver (bench/driver.c) and its parts: what is measured, how
 * the figures are kept, and the functions each file offers the driver.
 *
 *   procfs.c    /proc readers (memory, context switches, threads, CPU), strip
 *   targets.c   the servers health checks probe: HTTP (microhttpd), TCP
 *   lab.c       one executor's life under an in-process fake agent, timed
 *               from the agent's side of the wire
 *   scale.c     N executors under one fake agent in a child process
 *   stats.c     the figures' names and targets; median and spread
 *   report.c    the table and the JSON document
 *   interrupt.c SIGINT/SIGTERM as a flag on a loop
 *
 * Every figure is measured from outside the executor: the agent's receive
 * and send times (fakeagent's observer notes), /proc, the process CPU clock.
 * Nothing here asserts a figure; the report says which targets are met. */
#ifndef BENCH_H
#define BENCH_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <uv.h>

/* ------------------------------------------------------------ figures */

enum bench_fig {
	FIG_HWM,           /* VmHWM while supervising a task, KiB */
	FIG_PRIVATE,       /* Private_Clean + Private_Dirty (smaps_rollup), KiB */
	FIG_PSS,           /* Pss (smaps_rollup), KiB */
	FIG_BINARY,        /* stripped binary, bytes */
	FIG_START_SUB,     /* fork() -> SUBSCRIBE received, ms */
	FIG_START_FAULTS,  /* the executor's minor faults, fork() -> SUBSCRIBE (the agent's
	                    * forked child's before exec included) */
	FIG_START_CPU,     /* executor CPU from fork() to TASK_RUNNING, ms */
	FIG_LAUNCH_RUN,    /* LAUNCH sent -> TASK_RUNNING received, ms */
	FIG_KILL_KILLED,   /* KILL sent -> TASK_KILLED received, ms */
	FIG_ACK_EXIT,      /* terminal ACKNOWLEDGED sent -> process reaped, ms */
	FIG_WAKEUPS,       /* context switches per second while idle */
	FIG_THREADS,       /* threads while idle */
	FIG_IDLE_CPU,      /* CPU while idle, us per second */
	FIG_HTTP_PROBE,    /* executor CPU per HTTP probe, us */
	FIG_TCP_PROBE,     /* executor CPU per TCP probe, us */
	FIG_HTTP_SWITCHES, /* context switches per HTTP probe */
	FIG_TCP_SWITCHES,  /* context switches per TCP probe */
	FIG_COUNT
};

struct bench_fig_info {
	const char *key;   /* JSON name */
	const char *title; /* table row */
	const char *unit;  /* of the stored value */
	double target;     /* the target, in `unit`; 0 when none */
	const char *target_text;
};

extern const struct bench_fig_info bench_figs[FIG_COUNT];
/* A probe's CPU meets its target within this factor of the floor's. */
#define FLOOR_FACTOR 1.3

/* The samples of one figure (one per run). */
struct series {
	double v[64];
	size_t n;
};

#define BENCH_MAX_ENV      64
#define BENCH_MAX_MAPPINGS 64

/* What one mapped file (or [heap], [stack], [anon]) holds, KiB (smaps). */
struct mapping_cost {
	char name[96];
	long rss, pss, private_clean, private_dirty;
};

/* Everything measured for one executor: a binary and its environment. */
struct bench_exec {
	char spec[1024]; /* "[K=V ...] PATH" as given; path and env point into it */
	const char *path;
	bool marathon;  /* "marathon:" in the spec: Marathon's custom-executor form */
	bool is_static; /* no program interpreter (a static binary) */
	const char *env[BENCH_MAX_ENV + 1]; /* --executor-env, then the spec's; NULL-ended */
	char label[160];                    /* the binary's name and the spec's own K=V */
	struct series fig[FIG_COUNT];
	struct mapping_cost map[BENCH_MAX_MAPPINGS]; /* --breakdown: the first run's */
	size_t n_map;
	int failures;      /* runs that did not complete (see errors) */
	char errors[1024]; /* the first failures, one per line */
};

void series_add(struct series *s, double v);
/* Median, smallest and largest sample; NaN when empty. */
double series_median(const struct series *s);
double series_min(const struct series *s);
double series_max(const struct series *s);

/* ------------------------------------------------------------ procfs.c */

struct procfs_sample {
	long hwm_kib, rss_kib;     /* VmHWM, VmRSS */
	long private_kib, pss_kib; /* smaps_rollup */
	int threads;               /* entries of /proc/PID/task */
	long long ctx_switches;    /* voluntary + nonvoluntary, all threads */
	double cpu_secs;           /* the process CPU clock (all threads) */
	long long stat_ticks;      /* utime + stime of /proc/PID/stat */
};

/* Reads what /proc says of a live process; -1 with err when it cannot. */
int procfs_read(pid_t pid, struct procfs_sample *out, char *err, size_t errlen);
/* Memory by mapping from /proc/PID/smaps, largest Rss first; returns the
 * number of rows (anonymous mappings are summed as "[anon]"). */
size_t procfs_by_mapping(pid_t pid, struct mapping_cost *out, size_t max);
/* The process's CPU time (clock_getcpuclockid), seconds; NaN when gone. */
double procfs_cpu_secs(pid_t pid);
/* Minor page faults of a live process so far (/proc/PID/stat); -1 when gone. */
long procfs_minflt(pid_t pid);
/* What one page fault on fresh anonymous memory costs on this machine, us
 * (the median of a few thousand, touched here). */
double procfs_fault_cost_us(void);
/* Whether `path` is an ELF file without a program interpreter (static). */
bool procfs_is_static(const char *path);
/* The size of a stripped copy of `path` (strip -o); -1 with err. */
long procfs_stripped_size(const char *path, char *err, size_t errlen);
/* This process's VmHWM and VmRSS, KiB. */
void procfs_self_memory(long *hwm_kib, long *rss_kib);
/* Open file descriptors of this process. */
int procfs_self_fds(void);
/* TcpExt ListenDrops of /proc/net/netstat (SYNs a full backlog refused). */
long procfs_listen_drops(void);
/* Processes whose working directory is below `dir`: SIGKILLed, counted. */
int procfs_kill_below(const char *dir);

/* ------------------------------------------------------------ interrupt.c */

struct interrupt {
	uv_signal_t sig[2];
};

/* *flag becomes true on SIGINT or SIGTERM (the handles do not keep the loop
 * alive). interrupt_close closes them; the loop's next run finishes that. */
void interrupt_start(struct interrupt *in, uv_loop_t *loop, bool *flag);
void interrupt_close(struct interrupt *in);

/* ------------------------------------------------------------ lab.c */

struct lab_opts {
	int runs;
	double settle_secs;    /* after TASK_RUNNING, before the idle window */
	double idle_secs;      /* idle window for wake-ups and idle CPU */
	int probes;            /* probes counted per health-check window */
	double probe_interval; /* HealthCheck.interval_seconds */
	bool breakdown;        /* memory by mapping, from the first run */
	bool verbose;
};

/* Measures one executor `runs` times, filling b->fig. Returns 0, or -1
 * when the fake agent cannot start (err); a run that fails is counted in
 * b->failures and described in b->errors. */
int lab_measure(const struct lab_opts *o, struct bench_exec *b, char *err, size_t errlen);
/* Runs the probe floor program (bench/probe_floor) `runs` times against an
 * HTTP and a TCP target at the same interval as the executors' checks and
 * adds its CPU per probe (us, over `probes` probes) to http and tcp. Returns
 * 0, or -1 with err. */
int lab_measure_floor(const struct lab_opts *o, const char *floor_bin, struct series *http,
                      struct series *tcp, char *err, size_t errlen);

/* ------------------------------------------------------------ scale.c */

struct scale_result {
	int n;
	bool completed;           /* every executor ran, was killed and exited */
	double launch_loop;       /* s: first launch -> last launch (sandbox, fork) */
	double launch_to_running; /* s: launches begin -> the last TASK_RUNNING */
	double kill_to_killed;    /* s: KILLs sent -> the last TASK_KILLED */
	double kill_to_exited;    /* s: KILLs sent -> the last executor reaped */
	double wall;              /* s: launches begin -> the last executor reaped */
	double agent_cpu;         /* s: the agent process's user + system time */
	long agent_hwm_kib;       /* its VmHWM at the end */
	long agent_rss_start_kib; /* its VmRSS before the first launch */
	int running, killed, exited_zero, exited_other;
	int updates;             /* status updates the agent recorded from executors */
	int unacknowledged;      /* ... of which no ACKNOWLEDGED was sent */
	int tasks_incomplete;    /* tasks without TASK_RUNNING, or not ending TASK_KILLED */
	int executor_warnings;   /* warn/error lines in the executors' logs */
	char first_warning[320]; /* the first of them */
	int leftovers;           /* processes left below the work dir afterwards */
	int agent_fds;           /* file descriptors the agent held, all RUNNING */
	long listen_drops;       /* TcpExt ListenDrops during the run (whole host) */
	char error[256];
};

/* Runs the scale benchmark for n executors of `executor_bin` in a child
 * process (the agent) and fills r. Returns 0 or -1 with r->error. */
int scale_run(const char *executor_bin, int n, const char *const *executor_env, double timeout,
              struct scale_result *r);

/* ------------------------------------------------------------ stats.c, report.c */

struct bench_report {
	struct bench_exec *execs; /* [0] is the reference: ours */
	size_t n_execs;
	int runs;
	double probe_module_http_us, probe_module_tcp_us; /* health_probe_bench, NaN if not run */
	struct series floor_http, floor_tcp; /* probe_floor's CPU per probe, us (--floor) */
	double fault_cost_us;                /* procfs_fault_cost_us() */
	struct scale_result *scale;
	size_t n_scale;
	char load_before[64], load_after[64]; /* /proc/loadavg */
};

void report_table(const struct bench_report *r, FILE *out);
cJSON *report_json(const struct bench_report *r);

#endif
