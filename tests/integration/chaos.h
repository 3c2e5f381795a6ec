/* What the chaos tests (test_chaos_*.c) share: the real executor under
 * `fakeagent serve`, driven through /_fake/ and read back through /state;
 * the updates the executor logged as sent (its sandbox stderr, one
 * msg="status update" line each, with the uuid) checked against what the
 * agent recorded and acknowledged; helper servers; and /proc readings
 * (processes by command line, peak memory). Header-only: static functions
 * for test programs. Everything runs on 127.0.0.1 with ports the kernel
 * picks, and waits with generous deadlines. */
#ifndef TESTS_INTEGRATION_CHAOS_H
#define TESTS_INTEGRATION_CHAOS_H

#include "fakeagent_wire.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

/* ------------------------------------------------------------ cleanup */

/* Processes a test started (by pid); chaos_teardown stops those still
 * running, so a failed assertion leaves nothing behind. Only a child this
 * process has not reaped yet is signalled: its pid cannot have been reused. */
static pid_t chaos_pids[32];

static inline void chaos_track(const struct ts_proc *p)
{
	for (int i = 0; i < 32; i++)
		if (!chaos_pids[i] || chaos_pids[i] == p->pid) {
			chaos_pids[i] = p->pid;
			return;
		}
}

static inline int chaos_teardown(void **state)
{
	for (int i = 0; i < 32; i++) {
		pid_t pid = chaos_pids[i];
		int st;
		chaos_pids[i] = 0;
		if (pid <= 0 || waitpid(pid, &st, WNOHANG) != 0)
			continue; /* reaped already (not ours any more), or just now */
		kill(pid, SIGTERM);
		int64_t end = ts_now_ms() + 10000;
		while (waitpid(pid, &st, WNOHANG) == 0) {
			if (ts_now_ms() > end) {
				kill(-pid, SIGKILL); /* ts_spawn gave it its own group */
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				break;
			}
			ts_sleep_ms(20);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ the agent */

/* Starts `fakeagent serve` with the real executor as its default. */
static inline void chaos_start_agent(struct agent *a, const char *const *extra)
{
	const char *args[40] = {"--executor", ts_env("EXECUTOR_BIN", "build/executor/executor")};
	size_t n = 2;
	for (const char *const *e = extra; e && *e && n < 38; e++)
		args[n++] = *e;
	args[n] = NULL;
	start_agent(a, args);
	chaos_track(&a->proc);
}

struct chaos_task {
	char task_id[128], executor_id[160], sandbox[1024];
	char token[256]; /* MESOS_EXECUTOR_AUTHENTICATION_TOKEN, with --executor-auth */
	int pid;         /* the executor's */
};

/* POSTs /_fake/launch with this body; fails the test unless 201. */
static inline void chaos_launch(struct agent *a, const char *body, struct chaos_task *t)
{
	struct fw_resp r;
	const char *h[] = {"Content-Type: application/json", NULL};
	assert_int_equal(fw_call(a->proc.addr, "POST", "/_fake/launch", h, body, strlen(body), &r),
	                 0);
	if (r.status != 201)
		fail_msg("launch: %d %s", r.status, r.body);
	cJSON *j = cJSON_Parse(r.body);
	assert_non_null(j);
	memset(t, 0, sizeof(*t));
	snprintf(a->fid, sizeof(a->fid), "%s", cJSON_GetObjectItem(j, "framework_id")->valuestring);
	snprintf(t->task_id, sizeof(t->task_id), "%s",
	         cJSON_GetObjectItem(j, "task_id")->valuestring);
	snprintf(t->executor_id, sizeof(t->executor_id), "%s",
	         cJSON_GetObjectItem(j, "executor_id")->valuestring);
	snprintf(t->sandbox, sizeof(t->sandbox), "%s",
	         cJSON_GetObjectItem(j, "sandbox")->valuestring);
	const cJSON *pid = cJSON_GetObjectItem(j, "pid");
	t->pid = pid ? pid->valueint : 0;
	const cJSON *tok = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "env"),
	                                       "MESOS_EXECUTOR_AUTHENTICATION_TOKEN");
	if (cJSON_IsString(tok))
		snprintf(t->token, sizeof(t->token), "%s", tok->valuestring);
	cJSON_Delete(j);
	fw_resp_free(&r);
}

/* The executor's entry in a /state document (borrowed), or NULL. */
static inline const cJSON *chaos_executor(const cJSON *state, const char *eid)
{
	const cJSON *fw = cJSON_GetArrayItem(cJSON_GetObjectItem(state, "frameworks"), 0);
	const cJSON *e;
	cJSON_ArrayForEach (e, cJSON_GetObjectItem(fw, "executors"))
		if (strcmp(cJSON_GetObjectItem(e, "id")->valuestring, eid) == 0)
			return e;
	return NULL;
}

static inline const cJSON *chaos_task_of(const cJSON *state, const char *eid, const char *tid)
{
	const cJSON *t;
	cJSON_ArrayForEach (t, cJSON_GetObjectItem(chaos_executor(state, eid), "tasks"))
		if (strcmp(cJSON_GetObjectItem(t, "id")->valuestring, tid) == 0)
			return t;
	return NULL;
}

static inline const char *chaos_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Whether the task has an update in `state` from the executor. */
static inline bool chaos_has_update(const cJSON *task, const char *state)
{
	const cJSON *u;
	cJSON_ArrayForEach (u, cJSON_GetObjectItem(task, "updates"))
		if (strcmp(chaos_str(u, "state"), state) == 0)
			return true;
	return false;
}

/* Polls /state until the task has an update in `state`; fails the test at
 * the deadline. */
static inline void chaos_wait_update(struct agent *a, const struct chaos_task *t, const char *state,
                                     int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	for (;;) {
		cJSON *st = get_json(a, "/state");
		bool has = chaos_has_update(chaos_task_of(st, t->executor_id, t->task_id), state);
		cJSON_Delete(st);
		if (has)
			return;
		if (ts_now_ms() > end)
			fail_msg("task %s never reached %s", t->task_id, state);
		ts_sleep_ms(50);
	}
}

/* Polls /state until the executor's process is gone; returns its exit
 * status (-1 when it died by a signal); fails the test at the deadline. */
static inline int chaos_wait_executor_exit(struct agent *a, const struct chaos_task *t,
                                           int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	for (;;) {
		cJSON *st = get_json(a, "/state");
		const cJSON *e = chaos_executor(st, t->executor_id);
		const cJSON *code = cJSON_GetObjectItem(e, "exit_status");
		const cJSON *sig = cJSON_GetObjectItem(e, "exit_signal");
		int rc = code ? code->valueint : sig ? -1 : -2;
		cJSON_Delete(st);
		if (rc != -2)
			return rc;
		if (ts_now_ms() > end)
			fail_msg("executor %s did not exit", t->executor_id);
		ts_sleep_ms(50);
	}
}

/* ------------------------------------------------------------ updates */

struct chaos_counts {
	int sent;          /* updates the executor logged as sent (distinct uuids) */
	int recorded;      /* of those, recorded by the agent */
	int acknowledged;  /* of those, acknowledged to the executor */
	int terminal;      /* terminal updates the agent recorded from the executor */
	int terminal_last; /* 1 when the only terminal update is the last one */
	int lost;          /* sent, but not recorded and acknowledged */
	int unknown;       /* recorded from the executor, but never logged as sent */
	int from_agent;    /* updates the agent made itself (a lost or killed task) */
	int out_of_order;  /* recorded updates whose position differs from the send order */
};

static inline bool chaos_terminal(const char *state)
{
	static const char *const names[] = {
	    "TASK_FINISHED", "TASK_FAILED",  "TASK_KILLED", "TASK_ERROR",
	    "TASK_LOST",     "TASK_DROPPED", "TASK_GONE",   "TASK_GONE_BY_OPERATOR"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(state, names[i]) == 0)
			return true;
	return false;
}

/* A sandbox file, malloc'd and NUL-terminated (fails the test if absent). */
static inline char *chaos_sandbox_file(const struct chaos_task *t, const char *name)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", t->sandbox, name);
	char *s = ts_read_file(path, NULL);
	if (!s)
		fail_msg("cannot read %s", path);
	return s;
}

/* The uuids (36 characters) and states of the updates the executor logged
 * as sent, in order, each once; returns how many (at most max). */
static inline int chaos_logged_updates(const char *log, char (*uuid)[37], char (*state)[32],
                                       int max)
{
	int n = 0;
	for (const char *p = log; p && *p && n < max;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *u = strstr(p, " uuid=");
		const char *s = strstr(p, " state=");
		const char *m = strstr(p, "msg=\"status update\"");
		if (m && u && s && m < p + len && u < p + len && s < p + len) {
			snprintf(uuid[n], 37, "%.36s", u + 6);
			snprintf(state[n], 32, "%.*s", (int)strcspn(s + 7, " \n"), s + 7);
			bool dup = false;
			for (int i = 0; i < n; i++)
				dup |= strcmp(uuid[i], uuid[n]) == 0;
			n += !dup;
		}
		p = eol ? eol + 1 : NULL;
	}
	return n;
}

/* Compares what the agent recorded for the task with what the executor
 * logged as sent, and counts (for the tests' assertions and for
 * docs/reliability.md): every update recorded and acknowledged, none made
 * up, the send order kept, exactly one terminal update and it last. */
static inline void chaos_count_updates(struct agent *a, const struct chaos_task *t,
                                       struct chaos_counts *c)
{
	static char uuid[4096][37], state[4096][32];
	static bool seen[4096];
	char *log = chaos_sandbox_file(t, "stderr");
	memset(c, 0, sizeof(*c));
	memset(seen, 0, sizeof(seen));
	c->sent = chaos_logged_updates(log, uuid, state, 4096);
	free(log);

	cJSON *st = get_json(a, "/state");
	const cJSON *task = chaos_task_of(st, t->executor_id, t->task_id), *u;
	assert_non_null(task);
	int pos = 0, nterm = 0, last_term = -1, n = 0;
	cJSON_ArrayForEach (u, cJSON_GetObjectItem(task, "updates")) {
		n++;
		if (strcmp(chaos_str(u, "source"), "SOURCE_EXECUTOR") != 0) {
			c->from_agent++;
			fprintf(stderr, "update from the agent: %s %s (%s)\n",
			        chaos_str(u, "state"), chaos_str(u, "reason"),
			        chaos_str(u, "message"));
			continue;
		}
		int k = -1;
		for (int i = 0; i < c->sent && k < 0; i++)
			if (strcmp(chaos_str(u, "uuid"), uuid[i]) == 0)
				k = i;
		if (k < 0) {
			c->unknown++;
			continue;
		}
		if (k != pos) {
			if (!c->out_of_order)
				fprintf(
				    stderr,
				    "the agent's update %d (%s %s) is the executor's update %d; "
				    "its update %d is %s %s\n",
				    pos, chaos_str(u, "state"), uuid[k], k, pos, state[pos],
				    uuid[pos]);
			c->out_of_order++;
		}
		pos++;
		seen[k] = true;
		c->recorded++;
		c->acknowledged += cJSON_IsTrue(cJSON_GetObjectItem(u, "acknowledged"));
		if (chaos_terminal(chaos_str(u, "state"))) {
			nterm++;
			last_term = n;
		}
	}
	cJSON_Delete(st);
	c->terminal = nterm;
	c->terminal_last = nterm == 1 && last_term == n;
	for (int i = 0; i < c->sent; i++)
		if (!seen[i])
			fprintf(stderr,
			        "the executor's update %d (%s %s) never reached the agent\n", i,
			        state[i], uuid[i]);
	c->lost = c->sent - c->acknowledged;
}

static inline void chaos_print_counts(const char *what, const struct chaos_counts *c)
{
	printf("chaos: %s updates_sent=%d recorded=%d acknowledged=%d lost=%d terminal=%d "
	       "out_of_order=%d from_agent=%d\n",
	       what, c->sent, c->recorded, c->acknowledged, c->lost, c->terminal, c->out_of_order,
	       c->from_agent);
	fflush(stdout);
}

/* ------------------------------------------------------------ helper servers */

/* Starts a fake (fakeconsul, fakevaas) on 127.0.0.1:0. */
static inline void chaos_start_fake(struct ts_proc *p, const char *env_name, const char *fallback)
{
	char *argv[] = {(char *)ts_env(env_name, fallback), "--listen", "127.0.0.1:0", NULL};
	assert_int_equal(ts_spawn(p, argv, NULL, true), 0);
	fcntl(p->out_fd, F_SETPIPE_SZ, 1 << 20);
	chaos_track(p);
}

static inline void chaos_stop_fake(struct ts_proc *p)
{
	int st = ts_stop(p, SIGTERM, 10000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	unlink(p->log);
}

/* A request to a fake's control API; returns the status, body in out. */
static inline long chaos_fake(const struct ts_proc *p, const char *method, const char *path,
                              const char *body, char **out)
{
	const char *h[] = {"Content-Type: application/json", NULL};
	struct ts_http r;
	long status = ts_request(p->addr, method, path, body, h, out ? &r : NULL);
	if (out)
		*out = r.body;
	return status;
}

/* ------------------------------------------------------------ /proc */

/* Live (not zombie) processes whose command line contains `what`. */
static inline int chaos_count_processes(const char *what)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d))) {
		char path[300], stat[512] = "", cmd[4096];
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t k = fread(stat, 1, sizeof(stat) - 1, f);
		fclose(f);
		stat[k] = '\0';
		const char *rp = strrchr(stat, ')');
		if (!rp || rp[2] == 'Z')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		k = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i < k; i++)
			cmd[i] = cmd[i] ? cmd[i] : ' ';
		cmd[k] = '\0';
		n += strstr(cmd, what) != NULL;
	}
	if (d)
		closedir(d);
	return n;
}

/* A "Name:  value kB" field of /proc/<pid>/status, in kB; -1 if unreadable. */
static inline long chaos_proc_kb(int pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	size_t fl = strlen(field);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, fl) == 0 && line[fl] == ':')
			v = strtol(line + fl + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* Whether the sandbox file holds this text (it may not exist yet). */
static inline bool chaos_file_has(const struct chaos_task *t, const char *name, const char *what)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", t->sandbox, name);
	char *s = ts_read_file(path, NULL);
	bool has = s && strstr(s, what);
	free(s);
	return has;
}

/* Waits until the sandbox file holds the text; fails the test at the deadline. */
static inline void chaos_wait_file_has(const struct chaos_task *t, const char *name,
                                       const char *what, int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	while (!chaos_file_has(t, name, what)) {
		if (ts_now_ms() > end)
			fail_msg("%s/%s never held \"%s\"", t->sandbox, name, what);
		ts_sleep_ms(50);
	}
}

#endif
