/* One executor binary's life, measured from the agent's side: a fake agent
 * (fakeagent's library) runs on this process's loop and spawns the executor
 * as the Mesos agent would (its own session, the agent's environment, the
 * command-executor form: the binary exec'd directly, the task's command in
 * TaskInfo.command; or Marathon's custom-executor form, see launch_task). Its observer notes give
 * the wire times: a call is noted when the agent has read and decoded it, an event when it is
 * queued on the executor's stream (microhttpd writes it in the same loop turn); fork() and reaping
 * are timed by the agent itself (fa_executor_times).
 *
 * Each run is three launches, one after the other:
 *   plain  sleep 600, no health check: start -> SUBSCRIBE, LAUNCH ->
 *          TASK_RUNNING, then an idle window (context switches, CPU,
 *          memory), then KILL -> TASK_KILLED and terminal ACK -> exit
 *   http   the same task with a HTTP health check against targets.c
 *   tcp    ... with a TCP health check: executor CPU per probe over a
 *          window of N probes, less the idle CPU of the plain launch
 * A warm-up launch (not counted) comes first, so every run finds the
 * binary and its libraries in the page cache; then a companion executor of
 * the same binary starts and stays beside the measured ones, so that the
 * pages they share count as shared. */
#include "bench.h"
#include "targets.h"

#include "common/uuid4.h"
#include "fakeagent/agent/agent.h"
#include "fakeagent/marathon/load.h"
#include "fakeagent/output/timeline.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

#define EXPECT_SECS  30.0 /* generous deadline for anything the agent waits for */
#define TASK_COMMAND "sleep 600"

/* What the agent saw of the executor under test, with monotonic times. */
struct watch {
	char task_id[64];
	bool active;
	uint64_t subscribe_ns, launch_ns, running_ns, healthy_ns, kill_ns, terminal_ns, ack_ns;
	long subscribe_faults; /* the executor's minor faults when its SUBSCRIBE arrived */
	int terminal_state;    /* -1 until a terminal update from the executor */
	char terminal_uuid[37];
	char terminal_message[160];
	bool ended;
	int wait_status;
};

struct lab {
	const struct lab_opts *o;
	uv_loop_t loop;
	struct fa_agent *agent;
	struct fa_executor *exec;  /* of the current launch; owned by the agent */
	struct fa_task *companion; /* see companion_start; owned by the agent */
	struct timeline tl;        /* --verbose: the agent's timeline on stderr */
	uv_timer_t deadline;
	struct watch w;
	struct target http, tcp;
	struct interrupt intr;
	const struct target *counting; /* the target of a probe window */
	long goal;                     /* ... and the count that ends it */
	int seq;
	bool marathon; /* the executor expects Marathon's custom-executor form */
	bool interrupted, stopped;
};

/* ------------------------------------------------------------ observing */

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void observe(void *data, const struct fa_note *n)
{
	struct lab *lab = data;
	struct watch *w = &lab->w;
	uint64_t now = uv_hrtime();

	if (lab->o->verbose)
		timeline_note(&lab->tl, n);
	if (!w->active || !n->executor_id || strcmp(n->executor_id, w->task_id) != 0)
		return;
	switch (n->kind) {
	case FA_NOTE_CALL:
		if (!w->subscribe_ns && starts(n->text, "SUBSCRIBE")) {
			w->subscribe_ns = now;
			w->subscribe_faults =
			    lab->exec ? procfs_minflt(fa_executor_pid(lab->exec)) : -1;
		}
		break;
	case FA_NOTE_EVENT:
		if (!w->launch_ns && starts(n->text, "LAUNCH"))
			w->launch_ns = now;
		else if (!w->kill_ns && starts(n->text, "KILL"))
			w->kill_ns = now;
		else if (!w->ack_ns && w->terminal_uuid[0] && starts(n->text, "ACKNOWLEDGED") &&
		         strstr(n->text, w->terminal_uuid))
			w->ack_ns = now;
		break;
	case FA_NOTE_UPDATE: {
		const struct fa_update *u = n->update;
		if (u->source != MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR)
			break;
		if (u->state == MESOS__V1__TASK_STATE__TASK_RUNNING && !w->running_ns)
			w->running_ns = now;
		if (u->healthy == 1 && !w->healthy_ns)
			w->healthy_ns = now;
		if (mesos_task_state_terminal(u->state) && w->terminal_state < 0) {
			w->terminal_state = u->state;
			w->terminal_ns = now;
			uuid4_format(u->uuid, w->terminal_uuid);
			snprintf(w->terminal_message, sizeof(w->terminal_message), "%s",
			         u->message ? u->message : "");
		}
		break;
	}
	case FA_NOTE_EXEC_END:
		w->ended = true;
		w->wait_status = n->wait_status;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ waiting */

typedef bool (*lab_cond)(const struct lab *lab);

static void on_deadline(uv_timer_t *t)
{
	(void)t; /* only wakes the loop */
}

/* Runs the loop until cond holds (NULL: never) or `secs` pass. */
static bool wait_for(struct lab *lab, lab_cond cond, double secs)
{
	uint64_t end = uv_hrtime() + (uint64_t)(secs * 1e9), now;
	bool ok = false;
	while (!lab->interrupted && !(ok = cond && cond(lab)) && (now = uv_hrtime()) < end) {
		/* The loop's clock is stale after a while outside uv_run. */
		uv_update_time(&lab->loop);
		uv_timer_start(&lab->deadline, on_deadline, (end - now) / 1000000 + 1, 0);
		uv_run(&lab->loop, UV_RUN_ONCE);
	}
	uv_timer_stop(&lab->deadline);
	return ok;
}

static bool running(const struct lab *lab)
{
	return lab->w.running_ns || lab->w.ended;
}
static bool healthy(const struct lab *lab)
{
	return lab->w.healthy_ns || lab->w.ended;
}
static bool terminal(const struct lab *lab)
{
	return lab->w.terminal_state >= 0 || lab->w.ended;
}
static bool ended(const struct lab *lab)
{
	return lab->w.ended;
}
static bool counted(const struct lab *lab)
{
	return lab->counting->count >= lab->goal || lab->w.ended;
}

static double ms_between(uint64_t from, uint64_t to)
{
	return from && to && to >= from ? (double)(to - from) / 1e6 : NAN;
}

/* ------------------------------------------------------------ one launch */

static void fail(struct bench_exec *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct bench_exec *b, const char *fmt, ...)
{
	size_t used = strlen(b->errors);
	b->failures++;
	if (used + 2 >= sizeof(b->errors))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->errors + used, sizeof(b->errors) - used - 1, fmt, ap);
	va_end(ap);
	strcat(b->errors, "\n");
}

static cJSON *health_check_json(const struct lab *lab, const struct target *t)
{
	cJSON *hc = cJSON_CreateObject();
	cJSON_AddStringToObject(hc, "type", t->kind == TARGET_HTTP ? "HTTP" : "TCP");
	cJSON *where = cJSON_AddObjectToObject(hc, t->kind == TARGET_HTTP ? "http" : "tcp");
	cJSON_AddNumberToObject(where, "port", t->port);
	if (t->kind == TARGET_HTTP) {
		cJSON_AddStringToObject(where, "scheme", "http");
		cJSON_AddStringToObject(where, "path", "/health");
	}
	cJSON_AddNumberToObject(hc, "delay_seconds", 0);
	cJSON_AddNumberToObject(hc, "interval_seconds", lab->o->probe_interval);
	cJSON_AddNumberToObject(hc, "timeout_seconds", 5);
	cJSON_AddNumberToObject(hc, "grace_period_seconds", 30);
	cJSON_AddNumberToObject(hc, "consecutive_failures", 3);
	return hc;
}

/* Launches task `id`: `sleep 600`, with a health check against `t` unless
 * NULL. As a command task (the agent runs the binary, the command in
 * TaskInfo.command), or in Marathon's custom-executor form: an ExecutorInfo
 * whose shell command is `chmod ug+rx './executor' && exec './executor'
 * sleep 600` (the agent copies the binary into the sandbox as ./executor, as
 * the fetcher would) and no TaskInfo.command. */
static struct fa_task *launch_task(struct lab *lab, const char *bin, const char *id,
                                   const struct target *t, char *err, size_t errlen)
{
	cJSON *task = cJSON_CreateObject();
	cJSON_AddStringToObject(task, "name", "bench");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(task, "task_id"), "value", id);
	cJSON *cmd;
	if (lab->marathon) {
		cJSON *ex = cJSON_AddObjectToObject(task, "executor");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(ex, "executor_id"), "value", id);
		cmd = cJSON_AddObjectToObject(ex, "command");
		cJSON_AddBoolToObject(cmd, "shell", true);
		cJSON_AddStringToObject(
		    cmd, "value", "chmod ug+rx './executor' && exec './executor' " TASK_COMMAND);
	} else {
		cmd = cJSON_AddObjectToObject(task, "command");
		cJSON_AddBoolToObject(cmd, "shell", true);
		cJSON_AddStringToObject(cmd, "value", TASK_COMMAND);
	}
	if (t)
		cJSON_AddItemToObject(task, "health_check", health_check_json(lab, t));
	struct load_result lr;
	struct load_target to = {fa_agent_id(lab->agent), fa_agent_hostname(lab->agent), bin};
	int rc = load_task_json(&to, task, "bench task", &lr, err, errlen);
	cJSON_Delete(task);
	if (rc < 0)
		return NULL;
	struct fa_launch l = {0};
	fa_launch_from(&l, &lr, bin);
	struct fa_task *ft = fa_agent_launch(lab->agent, &l, err, errlen);
	load_free(&lr);
	return ft;
}

/* Launches the next task under watch. */
static int launch(struct lab *lab, const char *bin, const struct target *t, char *err,
                  size_t errlen)
{
	struct watch *w = &lab->w;
	memset(w, 0, sizeof(*w));
	w->terminal_state = -1;
	w->wait_status = -1;
	snprintf(w->task_id, sizeof(w->task_id), "bench-%d", ++lab->seq);
	w->active = true;
	struct fa_task *ft = launch_task(lab, bin, w->task_id, t, err, errlen);
	if (!ft)
		return -1;
	lab->exec = fa_task_executor(ft);
	return 0;
}

/* A second executor of the same binary runs beside the measured ones, as on
 * any agent with more than one task: the pages they share are then shared,
 * and Private_* is what one more executor costs. */
static bool companion_settled(const struct lab *lab)
{
	int s = fa_task_state(lab->companion);
	return s == MESOS__V1__TASK_STATE__TASK_RUNNING || mesos_task_state_terminal(s) ||
	       fa_executor_is_terminated(fa_task_executor(lab->companion));
}

static bool companion_gone(const struct lab *lab)
{
	return fa_executor_is_terminated(fa_task_executor(lab->companion));
}

static void companion_start(struct lab *lab, const char *bin, struct bench_exec *b)
{
	char err[512];
	lab->companion = launch_task(lab, bin, "bench-companion", NULL, err, sizeof(err));
	if (!lab->companion)
		fail(b, "companion: launch: %s", err);
	else if (!wait_for(lab, companion_settled, EXPECT_SECS) ||
	         fa_task_state(lab->companion) != MESOS__V1__TASK_STATE__TASK_RUNNING)
		fail(b, "companion: not RUNNING within %.0f s", EXPECT_SECS);
}

static void companion_stop(struct lab *lab)
{
	char err[256];
	if (!lab->companion || companion_gone(lab))
		return;
	fa_agent_kill(lab->agent, "bench-companion", -1, err, sizeof(err));
	wait_for(lab, companion_gone, EXPECT_SECS);
}

/* Kills the task, waits for the terminal update, its acknowledgement and the
 * executor's exit; fills KILL -> terminal and ACK -> exit when asked. */
static int finish(struct lab *lab, struct bench_exec *b, bool record)
{
	struct watch *w = &lab->w;
	char err[256];
	int rc = 0;

	if (!w->ended && w->terminal_state < 0 &&
	    fa_agent_kill(lab->agent, w->task_id, -1, err, sizeof(err)) < 0) {
		fail(b, "%s: kill: %s", w->task_id, err);
		rc = -1;
	}
	if (rc == 0 && !wait_for(lab, terminal, EXPECT_SECS)) {
		fail(b, "%s: no terminal update within %.0f s of KILL", w->task_id, EXPECT_SECS);
		rc = -1;
	} else if (rc == 0 && w->terminal_state != MESOS__V1__TASK_STATE__TASK_KILLED) {
		fail(b, "%s: ended %s (%s), not TASK_KILLED", w->task_id,
		     w->terminal_state >= 0 ? mesos_task_state_name(w->terminal_state)
		                            : "without a terminal update",
		     w->terminal_message);
		rc = -1;
	}
	if (!wait_for(lab, ended, EXPECT_SECS)) {
		fail(b, "%s: executor still running %.0f s after its task ended: shut down",
		     w->task_id, EXPECT_SECS);
		fa_agent_shutdown(lab->agent, w->task_id, err, sizeof(err));
		wait_for(lab, ended, EXPECT_SECS);
		rc = -1;
	} else if (!WIFEXITED(w->wait_status) || WEXITSTATUS(w->wait_status) != 0) {
		fail(b, "%s: executor ended with wait status %#x, not exit 0", w->task_id,
		     (unsigned)w->wait_status);
		rc = -1;
	}
	if (rc < 0 && lab->o->verbose) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/stderr", fa_executor_sandbox(lab->exec));
		timeline_tail(&lab->tl, "executor stderr, last lines", path, 30);
	}
	if (record && rc == 0) {
		uint64_t spawned, reaped;
		fa_executor_times(lab->exec, &spawned, &reaped);
		series_add(&b->fig[FIG_KILL_KILLED], ms_between(w->kill_ns, w->terminal_ns));
		series_add(&b->fig[FIG_ACK_EXIT], ms_between(w->ack_ns, reaped));
	}
	w->active = false;
	return rc;
}

/* The plain launch: start, LAUNCH, idle, memory, KILL, exit. */
static int run_plain(struct lab *lab, const char *bin, struct bench_exec *b, bool record)
{
	struct watch *w = &lab->w;
	char err[512];
	if (launch(lab, bin, NULL, err, sizeof(err)) < 0) {
		fail(b, "launch: %s", err);
		return -1;
	}
	if (!wait_for(lab, running, EXPECT_SECS) || !w->running_ns) {
		fail(b, "%s: no TASK_RUNNING within %.0f s%s", w->task_id, EXPECT_SECS,
		     w->subscribe_ns ? "" : " (never subscribed)");
		finish(lab, b, false);
		return -1;
	}
	pid_t pid = fa_executor_pid(lab->exec);
	double start_cpu = procfs_cpu_secs(pid);
	uint64_t spawned, reaped;
	fa_executor_times(lab->exec, &spawned, &reaped);

	struct procfs_sample s0, s1;
	wait_for(lab, NULL, lab->o->settle_secs);
	uint64_t t0 = uv_hrtime();
	int rc = procfs_read(pid, &s0, err, sizeof(err));
	wait_for(lab, NULL, lab->o->idle_secs);
	uint64_t t1 = uv_hrtime();
	if (rc == 0)
		rc = procfs_read(pid, &s1, err, sizeof(err));
	if (rc < 0 || lab->interrupted) {
		fail(b, "%s: %s", w->task_id, lab->interrupted ? "interrupted" : err);
		finish(lab, b, false);
		return -1;
	}
	if (record) {
		double secs = (double)(t1 - t0) / 1e9;
		series_add(&b->fig[FIG_START_SUB], ms_between(spawned, w->subscribe_ns));
		if (w->subscribe_faults >= 0)
			series_add(&b->fig[FIG_START_FAULTS], (double)w->subscribe_faults);
		series_add(&b->fig[FIG_START_CPU], start_cpu * 1e3);
		series_add(&b->fig[FIG_LAUNCH_RUN], ms_between(w->launch_ns, w->running_ns));
		series_add(&b->fig[FIG_HWM], (double)s1.hwm_kib);
		series_add(&b->fig[FIG_PRIVATE], (double)s1.private_kib);
		series_add(&b->fig[FIG_PSS], (double)s1.pss_kib);
		series_add(&b->fig[FIG_THREADS], s1.threads);
		series_add(&b->fig[FIG_WAKEUPS],
		           (double)(s1.ctx_switches - s0.ctx_switches) / secs);
		series_add(&b->fig[FIG_IDLE_CPU], (s1.cpu_secs - s0.cpu_secs) / secs * 1e6);
		if (lab->o->breakdown && !b->n_map)
			b->n_map = procfs_by_mapping(pid, b->map, BENCH_MAX_MAPPINGS);
	}
	return finish(lab, b, record);
}

/* A launch with a health check against t: CPU per probe over N probes. */
static int run_probe(struct lab *lab, const char *bin, struct target *t, struct bench_exec *b,
                     double idle_us_per_s)
{
	struct watch *w = &lab->w;
	char err[512];
	if (launch(lab, bin, t, err, sizeof(err)) < 0) {
		fail(b, "launch: %s", err);
		return -1;
	}
	const char *what = t->kind == TARGET_HTTP ? "HTTP" : "TCP";
	if (!wait_for(lab, healthy, EXPECT_SECS) || !w->healthy_ns) {
		fail(b, "%s: no healthy TASK_RUNNING within %.0f s (%s check, %ld probes seen)",
		     w->task_id, EXPECT_SECS, what, t->count);
		finish(lab, b, false);
		return -1;
	}
	pid_t pid = fa_executor_pid(lab->exec);
	lab->counting = t;
	lab->goal = t->count + 1; /* start the window right after a probe */
	wait_for(lab, counted, EXPECT_SECS);
	long c0 = t->count;
	struct procfs_sample s0, s1;
	procfs_read(pid, &s0, err, sizeof(err));
	double cpu0 = procfs_cpu_secs(pid);
	uint64_t t0 = uv_hrtime();
	lab->goal = c0 + lab->o->probes;
	bool ok = wait_for(lab, counted, lab->o->probes * lab->o->probe_interval * 4 + EXPECT_SECS);
	double cpu1 = procfs_cpu_secs(pid);
	uint64_t t1 = uv_hrtime();
	long c1 = t->count;
	bool switches = procfs_read(pid, &s1, err, sizeof(err)) == 0 && s0.ctx_switches > 0;
	if (!ok || w->ended || isnan(cpu0) || isnan(cpu1) || c1 <= c0) {
		fail(b, "%s: %s probes stopped after %ld of %d", w->task_id, what, c1 - c0,
		     lab->o->probes);
		finish(lab, b, false);
		return -1;
	}
	double secs = (double)(t1 - t0) / 1e9;
	double idle = isnan(idle_us_per_s) ? 0 : idle_us_per_s * secs / 1e6;
	double us = ((cpu1 - cpu0) - idle) / (double)(c1 - c0) * 1e6;
	series_add(&b->fig[t->kind == TARGET_HTTP ? FIG_HTTP_PROBE : FIG_TCP_PROBE], us);
	if (switches)
		series_add(&b->fig[t->kind == TARGET_HTTP ? FIG_HTTP_SWITCHES : FIG_TCP_SWITCHES],
		           (double)(s1.ctx_switches - s0.ctx_switches) / (double)(c1 - c0));
	if (lab->o->verbose)
		fprintf(stderr, "bench: %s: %ld %s probes in %.2f s, %.1f us CPU each\n",
		        w->task_id, c1 - c0, what, secs, us);
	return finish(lab, b, false);
}

/* ------------------------------------------------------------ the lab */

static void on_stopped(void *data)
{
	struct lab *lab = data;
	lab->stopped = true;
}

static int lab_open(struct lab *lab, const struct lab_opts *o, const char *const *env, char *err,
                    size_t errlen)
{
	memset(lab, 0, sizeof(*lab));
	lab->o = o;
	uv_loop_init(&lab->loop);
	uv_timer_init(&lab->loop, &lab->deadline);
	interrupt_start(&lab->intr, &lab->loop, &lab->interrupted);
	struct fa_config cfg;
	fa_config_defaults(&cfg);
	cfg.listen = "127.0.0.1:0";
	cfg.executor_env = env;
	lab->agent = fa_agent_new(&lab->loop, &cfg, err, errlen);
	if (!lab->agent)
		return -1;
	timeline_init(&lab->tl, stderr);
	fa_agent_set_observer(lab->agent, observe, lab);
	if (target_start(&lab->http, TARGET_HTTP, &lab->loop, err, errlen) < 0 ||
	    target_start(&lab->tcp, TARGET_TCP, &lab->loop, err, errlen) < 0)
		return -1;
	return 0;
}

static void lab_close(struct lab *lab)
{
	target_stop(&lab->http);
	target_stop(&lab->tcp);
	uv_close((uv_handle_t *)&lab->deadline, NULL);
	interrupt_close(&lab->intr);
	if (lab->agent)
		fa_agent_stop(lab->agent, on_stopped, lab);
	else
		lab->stopped = true;
	uv_run(&lab->loop, UV_RUN_DEFAULT);
	uv_loop_close(&lab->loop);
	timeline_free(&lab->tl);
}

/* ------------------------------------------------------------ the floor */

static bool probes_counted(const struct lab *lab)
{
	return lab->counting->count >= lab->goal;
}

/* One floor run against t: its CPU over o->probes probes, us each. */
static double floor_run(struct lab *lab, const char *bin, struct target *t, char *err,
                        size_t errlen)
{
	char where[128], interval[32];
	if (t->kind == TARGET_HTTP)
		snprintf(where, sizeof(where), "http://127.0.0.1:%d/health", t->port);
	else
		snprintf(where, sizeof(where), "127.0.0.1:%d", t->port);
	snprintf(interval, sizeof(interval), "%g", lab->o->probe_interval);
	char *argv[] = {(char *)bin, t->kind == TARGET_HTTP ? "--http" : "--tcp",
	                where,       "--interval",
	                interval,    NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, bin, NULL, NULL, argv, environ);
	if (rc != 0) {
		snprintf(err, errlen, "cannot run %s: %s", bin, strerror(rc));
		return NAN;
	}
	double us = NAN;
	lab->counting = t;
	lab->goal = t->count + 2; /* past its first probe */
	if (wait_for(lab, probes_counted, EXPECT_SECS)) {
		long c0 = t->count;
		double cpu0 = procfs_cpu_secs(pid);
		lab->goal = c0 + lab->o->probes;
		bool ok = wait_for(lab, probes_counted,
		                   lab->o->probes * lab->o->probe_interval * 4 + EXPECT_SECS);
		double cpu1 = procfs_cpu_secs(pid);
		if (ok && !isnan(cpu0) && !isnan(cpu1))
			us = (cpu1 - cpu0) / (double)(t->count - c0) * 1e6;
	}
	if (isnan(us))
		snprintf(err, errlen, "%s: %s probes stopped after %ld", bin,
		         t->kind == TARGET_HTTP ? "HTTP" : "TCP", t->count);
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return us;
}

int lab_measure_floor(const struct lab_opts *o, const char *floor_bin, struct series *http,
                      struct series *tcp, char *err, size_t errlen)
{
	struct lab lab;
	static const char *const no_env[] = {NULL};
	int rc = 0;
	if (lab_open(&lab, o, no_env, err, errlen) < 0) {
		lab_close(&lab);
		return -1;
	}
	for (int i = 0; i < o->runs && !lab.interrupted && rc == 0; i++) {
		double h = floor_run(&lab, floor_bin, &lab.http, err, errlen);
		double t = isnan(h) ? NAN : floor_run(&lab, floor_bin, &lab.tcp, err, errlen);
		if (isnan(h) || isnan(t))
			rc = -1;
		series_add(http, h);
		series_add(tcp, t);
	}
	if (lab.interrupted) {
		snprintf(err, errlen, "interrupted");
		rc = -1;
	}
	lab_close(&lab);
	return rc;
}

int lab_measure(const struct lab_opts *o, struct bench_exec *b, char *err, size_t errlen)
{
	struct lab lab;
	char serr[256];
	long size = procfs_stripped_size(b->path, serr, sizeof(serr));
	if (size >= 0)
		series_add(&b->fig[FIG_BINARY], (double)size);
	else
		fail(b, "%s", serr);

	if (lab_open(&lab, o, b->env, err, errlen) < 0) {
		lab_close(&lab);
		return -1;
	}
	lab.marathon = b->marathon;
	run_plain(&lab, b->path, b, false); /* warm-up */
	companion_start(&lab, b->path, b);
	for (int i = 0; i < o->runs && !lab.interrupted; i++) {
		if (o->verbose)
			fprintf(stderr, "bench: %s: run %d of %d\n", b->label, i + 1, o->runs);
		run_plain(&lab, b->path, b, true);
		double idle = series_median(&b->fig[FIG_IDLE_CPU]);
		if (!lab.interrupted)
			run_probe(&lab, b->path, &lab.http, b, idle);
		if (!lab.interrupted)
			run_probe(&lab, b->path, &lab.tcp, b, idle);
	}
	companion_stop(&lab);
	bool interrupted = lab.interrupted;
	lab_close(&lab);
	if (interrupted) {
		snprintf(err, errlen, "interrupted");
		return -1;
	}
	return 0;
}
