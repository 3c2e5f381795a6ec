/* The scale benchmark: N executors under one fake agent at once. The agent
 * (fakeagent's library, set up as `fakeagent serve` sets itself up: file
 * limit raised, child subreaper, SIGPIPE ignored) runs in a child process so
 * that its CPU time and peak memory are its own. It launches N tasks
 * (`sleep 600`, the command-executor form, as POST /_fake/launch would) one
 * per loop turn, as fast as it can while it serves the executors already
 * started (as N launch requests would arrive), waits until every task is
 * RUNNING, sends every KILL in one go, and waits until every executor has
 * exited. Then it checks that nothing
 * was lost: each task has TASK_RUNNING and ends TASK_KILLED from its
 * executor, every executor update was acknowledged, every executor exited
 * 0 (ours exits 0 only once its terminal update is acknowledged), and the
 * executors logged no warnings. The parent sweeps for leftover processes. */
#include "bench.h"

#include "fakeagent/agent/agent.h"
#include "fakeagent/commands/cli.h"
#include "fakeagent/marathon/load.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct herd {
	uv_loop_t loop;
	struct fa_agent *agent;
	const char *bin;
	uv_idle_t launcher; /* one launch per loop turn */
	bool launching;
	char launch_error[256];
	int n, launched;
	int running, killed, ended, ended_zero;
	uint64_t t_launch, t_running, t_kill, t_killed, t_exited;
	uv_timer_t deadline;
	struct interrupt intr;
	bool interrupted, stopped;
};

static void observe(void *data, const struct fa_note *n)
{
	struct herd *h = data;
	uint64_t now = uv_hrtime();
	if (n->kind == FA_NOTE_UPDATE &&
	    n->update->source == MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR) {
		if (n->update->state == MESOS__V1__TASK_STATE__TASK_RUNNING && ++h->running == h->n)
			h->t_running = now;
		if (n->update->state == MESOS__V1__TASK_STATE__TASK_KILLED && ++h->killed == h->n)
			h->t_killed = now;
	}
	if (n->kind == FA_NOTE_EXEC_END) {
		if (WIFEXITED(n->wait_status) && WEXITSTATUS(n->wait_status) == 0)
			h->ended_zero++;
		if (++h->ended == h->launched)
			h->t_exited = now;
	}
}

static void on_deadline(uv_timer_t *t)
{
	(void)t;
}

static void on_stopped(void *data)
{
	struct herd *h = data;
	h->stopped = true;
}

static bool all_running(const struct herd *h)
{
	return !h->launching && h->running + (h->ended - h->killed) >= h->launched;
}

static bool launched_all(const struct herd *h)
{
	return !h->launching;
}

static bool all_ended(const struct herd *h)
{
	return h->ended >= h->launched;
}

static bool wait_for(struct herd *h, bool (*cond)(const struct herd *), uint64_t end_ns)
{
	bool ok = false;
	uint64_t now;
	while (!h->interrupted && !(ok = cond(h)) && (now = uv_hrtime()) < end_ns) {
		uv_update_time(&h->loop); /* stale after the launches */
		uv_timer_start(&h->deadline, on_deadline, (end_ns - now) / 1000000 + 1, 0);
		uv_run(&h->loop, UV_RUN_ONCE);
	}
	uv_timer_stop(&h->deadline);
	return ok;
}

static int launch_one(struct herd *h, const char *bin, int i, char *err, size_t errlen)
{
	char id[32];
	snprintf(id, sizeof(id), "scale-%d", i);
	cJSON *task = cJSON_CreateObject();
	cJSON_AddStringToObject(task, "name", "scale");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(task, "task_id"), "value", id);
	cJSON *cmd = cJSON_AddObjectToObject(task, "command");
	cJSON_AddBoolToObject(cmd, "shell", true);
	cJSON_AddStringToObject(cmd, "value", "sleep 600");
	struct load_result lr;
	struct load_target to = {fa_agent_id(h->agent), fa_agent_hostname(h->agent), bin};
	int rc = load_task_json(&to, task, "scale task", &lr, err, errlen);
	cJSON_Delete(task);
	if (rc < 0)
		return -1;
	struct fa_launch l = {0};
	fa_launch_from(&l, &lr, bin);
	struct fa_task *t = fa_agent_launch(h->agent, &l, err, errlen);
	load_free(&lr);
	return t ? 0 : -1;
}

static void on_launch_turn(uv_idle_t *t)
{
	struct herd *h = t->data;
	char err[512];
	if (launch_one(h, h->bin, h->launched, err, sizeof(err)) < 0)
		snprintf(h->launch_error, sizeof(h->launch_error), "launch %d of %d: %.200s",
		         h->launched + 1, h->n, err);
	else
		h->launched++;
	if (h->launched == h->n || h->launch_error[0]) {
		uv_idle_stop(t);
		h->launching = false;
	}
}

/* Lines of the executor's log (its sandbox stderr) at warn or error level;
 * the first one seen is kept in `first`. */
static int log_warnings(const char *sandbox, char *first, size_t len)
{
	char path[4200], line[2048];
	snprintf(path, sizeof(path), "%s/stderr", sandbox);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "level=warn") && !strstr(line, "level=error"))
			continue;
		if (!n++ && !first[0])
			snprintf(first, len, "%.*s", (int)strcspn(line, "\n"), line);
	}
	fclose(f);
	return n;
}

/* What the agent recorded of each task: updates, acknowledgements, the
 * RUNNING -> KILLED life, and the executors' own complaints. */
static void audit(struct herd *h, struct scale_result *r)
{
	for (int i = 0; i < h->launched; i++) {
		char id[32];
		snprintf(id, sizeof(id), "scale-%d", i);
		struct fa_task *t = fa_agent_task(h->agent, id);
		if (!t) {
			r->tasks_incomplete++;
			continue;
		}
		const struct fa_update *u;
		size_t nu = fa_task_updates(t, &u);
		bool ran = false;
		int last = -1;
		for (size_t k = 0; k < nu; k++) {
			if (u[k].source != MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR)
				continue;
			r->updates++;
			r->unacknowledged += !u[k].acknowledged;
			ran |= u[k].state == MESOS__V1__TASK_STATE__TASK_RUNNING;
			last = u[k].state;
		}
		if (!ran || last != MESOS__V1__TASK_STATE__TASK_KILLED)
			r->tasks_incomplete++;
		r->executor_warnings += log_warnings(fa_executor_sandbox(fa_task_executor(t)),
		                                     r->first_warning, sizeof(r->first_warning));
	}
}

static double secs_between(uint64_t from, uint64_t to)
{
	return from && to ? (double)(to - from) / 1e9 : NAN;
}

/* The agent process. */
static void herd_main(const char *bin, int n, const char *const *env, double timeout,
                      struct scale_result *r, char *work_dir, size_t wdlen)
{
	struct herd h = {.n = n};
	char err[512];
	long hwm;

	cli_process_setup();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	procfs_self_memory(&hwm, &r->agent_rss_start_kib);
	uv_loop_init(&h.loop);
	uv_timer_init(&h.loop, &h.deadline);
	interrupt_start(&h.intr, &h.loop, &h.interrupted);
	struct fa_config cfg;
	fa_config_defaults(&cfg);
	cfg.listen = "127.0.0.1:0";
	cfg.executor_env = env;
	h.agent = fa_agent_new(&h.loop, &cfg, err, sizeof(err));
	if (!h.agent) {
		snprintf(r->error, sizeof(r->error), "fake agent: %.200s", err);
		interrupt_close(&h.intr);
		uv_close((uv_handle_t *)&h.deadline, NULL);
		uv_run(&h.loop, UV_RUN_DEFAULT);
		uv_loop_close(&h.loop);
		return;
	}
	snprintf(work_dir, wdlen, "%s", fa_agent_work_dir(h.agent));
	fa_agent_set_observer(h.agent, observe, &h);

	uint64_t end = uv_hrtime() + (uint64_t)(timeout * 1e9);
	h.bin = bin;
	h.launching = true;
	uv_idle_init(&h.loop, &h.launcher);
	h.launcher.data = &h;
	h.t_launch = uv_hrtime();
	uv_idle_start(&h.launcher, on_launch_turn);
	wait_for(&h, launched_all, end);
	r->launch_loop = secs_between(h.t_launch, uv_hrtime());
	uv_idle_stop(&h.launcher);
	h.launching = false;
	if (h.launch_error[0])
		snprintf(r->error, sizeof(r->error), "%s", h.launch_error);
	if (!wait_for(&h, all_running, end) && !r->error[0])
		snprintf(r->error, sizeof(r->error), "%s: %d of %d RUNNING",
		         h.interrupted ? "interrupted" : "timed out", h.running, n);
	r->agent_fds = procfs_self_fds();
	h.t_kill = uv_hrtime();
	for (int i = 0; i < h.launched; i++) {
		char id[32];
		snprintf(id, sizeof(id), "scale-%d", i);
		fa_agent_kill(h.agent, id, -1, err, sizeof(err));
	}
	if (!wait_for(&h, all_ended, end) && !r->error[0])
		snprintf(r->error, sizeof(r->error), "%s: %d of %d executors exited",
		         h.interrupted ? "interrupted" : "timed out", h.ended, n);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	r->agent_cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	procfs_self_memory(&r->agent_hwm_kib, &hwm);
	r->running = h.running;
	r->killed = h.killed;
	r->exited_zero = h.ended_zero;
	r->exited_other = h.ended - h.ended_zero;
	r->launch_to_running = secs_between(h.t_launch, h.t_running);
	r->kill_to_killed = secs_between(h.t_kill, h.t_killed);
	r->kill_to_exited = secs_between(h.t_kill, h.t_exited);
	r->wall = secs_between(h.t_launch, h.t_exited);
	audit(&h, r);
	r->completed = !r->error[0] && h.running == n && h.killed == n && h.ended == n;

	fa_agent_stop(h.agent, on_stopped, &h);
	uv_close((uv_handle_t *)&h.deadline, NULL);
	uv_close((uv_handle_t *)&h.launcher, NULL);
	interrupt_close(&h.intr);
	uv_run(&h.loop, UV_RUN_DEFAULT);
	uv_loop_close(&h.loop);
}

/* ------------------------------------------------------------ the parent */

static volatile sig_atomic_t parent_interrupted;

static void on_parent_signal(int sig)
{
	parent_interrupted = sig;
}

/* Reads the child's result; false when it died first. */
static bool read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

struct wire {
	struct scale_result r;
	char work_dir[1024];
};

int scale_run(const char *executor_bin, int n, const char *const *executor_env, double timeout,
              struct scale_result *r)
{
	int p[2];
	struct wire wire;
	memset(&wire, 0, sizeof(wire));
	memset(r, 0, sizeof(*r));
	r->n = n;
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(r->error, sizeof(r->error), "pipe: %s", strerror(errno));
		return -1;
	}
	/* Orphans of a crashed agent come to us, to be found and killed. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	long drops = procfs_listen_drops();
	struct sigaction sa = {.sa_handler = on_parent_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(r->error, sizeof(r->error), "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		wire.r.n = n;
		herd_main(executor_bin, n, executor_env, timeout, &wire.r, wire.work_dir,
		          sizeof(wire.work_dir));
		ssize_t w = write(p[1], &wire, sizeof(wire));
		_exit(w == (ssize_t)sizeof(wire) ? 0 : 1);
	}
	close(p[1]);
	bool got = read_all(p[0], &wire, sizeof(wire));
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got) {
		*r = wire.r;
	} else {
		snprintf(r->error, sizeof(r->error), "the agent process died (wait status %#x)",
		         (unsigned)st);
	}
	long drops_after = procfs_listen_drops();
	r->listen_drops = drops >= 0 && drops_after >= 0 ? drops_after - drops : -1;
	if (wire.work_dir[0]) {
		r->leftovers = procfs_kill_below(wire.work_dir);
		for (int i = 0; r->leftovers && i < 100; i++) { /* orphans that came to us */
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			if (errno == ECHILD)
				break;
			usleep(10000);
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (parent_interrupted && !r->error[0])
		snprintf(r->error, sizeof(r->error), "interrupted");
	return got && !r->error[0] ? 0 : -1;
}
