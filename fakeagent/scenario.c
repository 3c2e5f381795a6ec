/* `fakeagent scenario FILE... [--junit FILE]`: replays scenario files (format
 * in docs/scenarios.md). Each file gets a fresh agent, the fakeconsul and
 * fakevaas it asks for, its task or app launched, and its steps run in
 * order: expectations wait (up to a step timeout) for calls, updates, the
 * executor's log lines, Consul services, VaaS backends, the executor's exit
 * or its processes' end; actions kill, shut down, restart the agent, send a
 * message, or wait; more steps (faults, sandbox files) are scenario_steps.c's
 * and run through steps_run. The first failing step ends the scenario (the
 * rest are skipped). Every step is reported on stdout, with a summary at the end,
 * and, with --junit, as a JUnit test case. SIGINT and SIGTERM end the
 * running scenario as a failure: its executor and helper servers are killed
 * before fakeagent exits. */
#include "agent.h"
#include "commands.h"
#include "execlog.h"
#include "junit.h"
#include "load.h"
#include "reaper.h"
#include "scenario_steps.h"
#include "sidecar.h"
#include "timeline.h"

#include "cli.h"
#include "common/duration.h"
#include "common/httpc.h"

#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECS(n)               ((int64_t)(n)*1000000000LL)
#define MS(ns)                ((uint64_t)((ns) > 0 ? (ns) / 1000000 : 0))
#define DEFAULT_STEP_TIMEOUT  SECS(30)
#define DEFAULT_TOTAL_TIMEOUT SECS(300)
#define VAAS_AUTH             "Authorization: ApiKey admin:vagrant_api_key"

struct opts {
	const char *executor, *fakeconsul, *fakevaas, *junit;
	bool keep;
};

struct step {
	const cJSON *spec; /* borrowed from the scenario document */
	const char *kind;
	char name[256];
	int64_t timeout;
	double started, secs, done_at; /* monotonic seconds; secs: how long it took */
	bool done, skipped;
	char *failure; /* owned */
};

struct scenario {
	const char *file;
	const struct opts *opts;
	cJSON *doc; /* owned */
	char name[256];
	char dir[PATH_MAX];
	struct step *steps; /* owned */
	size_t n;
	char *setup_failure; /* owned */
	double setup_secs;

	char *work_dir; /* owned */
	char *env[64];  /* owned "K=V" for the agent's executor environment */
	size_t n_env;
	uv_loop_t *loop;
	struct fa_agent *agent;
	struct timeline tl;
	struct sidecar consul, vaas;
	bool want_consul, want_vaas;
	struct httpc *http;
	struct httpc_req *probe;
	char probe_path[1024]; /* of the probe's URL, for "show" */
	cJSON *matched;        /* owned: the Consul service found, while its health is read */
	char task_id[700];
	size_t cursor; /* updates consumed by expect-update */
	size_t cur;
	bool brief; /* "timeline": "brief" */
	struct execlog xlog;
	const cJSON *xlog_show; /* "executor_log": true or substrings (borrowed) */
	size_t xlog_cursor;     /* log lines consumed by expect-executor-log */
	char **calls;           /* owned: the executor calls accepted, in order, as the agent
	                         * notes them ("SUBSCRIBE (json stream, 2 unacknowledged ...") */
	size_t n_calls, cap_calls, call_cursor;
	int64_t total_timeout;
	uv_timer_t tick, total, xlog_timer;
	bool finishing;
	int closing; /* things still shutting down */
};

/* The signal handlers of the whole command, and the scenario they stop. */
static struct {
	uv_signal_t sig[2]; /* SIGINT, SIGTERM */
	int signum;         /* the first one received, or 0 */
	struct scenario *running;
} stop_signal;

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *sstr(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ------------------------------------------------------------ placeholders */

static const char *env_lookup(struct scenario *sc, const char *name)
{
	struct fa_task *t = sc->agent ? fa_agent_task(sc->agent, sc->task_id) : NULL;
	if (!t)
		return NULL;
	if (!strcmp(name, "TASK_ID"))
		return fa_task_id(t);
	if (!strcmp(name, "EXECUTOR_ID"))
		return fa_executor_id(fa_task_executor(t));
	if (!strcmp(name, "HOST"))
		return fa_agent_hostname(sc->agent);
	if (!strcmp(name, "AGENT_ID"))
		return fa_agent_id(sc->agent);
	size_t nl = strlen(name);
	for (char *const *e = fa_executor_env(fa_task_executor(t)); e && *e; e++)
		if (!strncmp(*e, name, nl) && (*e)[nl] == '=')
			return *e + nl + 1;
	const Mesos__V1__TaskInfo *ti = fa_task_info(t);
	if (ti->command && ti->command->environment)
		for (size_t i = 0; i < ti->command->environment->n_variables; i++) {
			const Mesos__V1__Environment__Variable *v =
			    ti->command->environment->variables[i];
			if (!strcmp(v->name, name) && v->value)
				return v->value;
		}
	return NULL;
}

/* Replaces $NAME ([A-Z0-9_]+) by the task's value (TASK_ID, EXECUTOR_ID,
 * HOST, AGENT_ID, or an executor environment variable such as PORT0). */
static void subst(struct scenario *sc, const char *in, char *out, size_t len)
{
	size_t o = 0;
	while (*in && o + 1 < len) {
		if (*in == '$' &&
		    (isupper((unsigned char)in[1]) || isdigit((unsigned char)in[1]))) {
			char name[128];
			size_t n = 0;
			const char *p = in + 1;
			while ((isupper((unsigned char)*p) || isdigit((unsigned char)*p) ||
			        *p == '_') &&
			       n + 1 < sizeof(name))
				name[n++] = *p++;
			name[n] = '\0';
			const char *v = env_lookup(sc, name);
			if (v) {
				o += (size_t)snprintf(out + o, len - o, "%s", v);
				if (o >= len)
					o = len - 1;
				in = p;
				continue;
			}
		}
		out[o++] = *in++;
	}
	out[o] = '\0';
}

static void subst_cb(void *sc, const char *in, char *out, size_t len)
{
	subst(sc, in, out, len);
}

static const char *step_str(struct scenario *sc, const struct step *st, const char *key, char *buf,
                            size_t len)
{
	const char *v = sstr(st->spec, key);
	if (!v)
		return NULL;
	subst(sc, v, buf, len);
	return buf;
}

/* A number, or a string that is one after substitution ("$PORT0"); -1 absent. */
static long step_num(struct scenario *sc, const struct step *st, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(st->spec, key);
	if (cJSON_IsNumber(v)) /* beyond long: no number this step can use */
		return fabs(v->valuedouble) < 9e18 ? (long)v->valuedouble : -1;
	char buf[64];
	if (cJSON_IsString(v)) {
		subst(sc, v->valuestring, buf, sizeof(buf));
		return strtol(buf, NULL, 10);
	}
	return -1;
}

static int64_t step_duration(const struct step *st, const char *key, int64_t def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(st->spec, key);
	int64_t ns;
	if (cJSON_IsNumber(v))
		return duration_from_secs(v->valuedouble);
	if (cJSON_IsString(v) && duration_parse(v->valuestring, &ns) == 0)
		return ns;
	return def;
}

/* ------------------------------------------------------------ step outcome */

static void finish(struct scenario *sc);
static void schedule(struct scenario *sc, uint64_t ms);

static void step_done(struct scenario *sc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Ends the current step: passed with fmt NULL, failed otherwise. */
static void step_done(struct scenario *sc, const char *fmt, ...)
{
	struct step *st = &sc->steps[sc->cur];
	execlog_poll(&sc->xlog); /* its lines go before the verdict */
	st->done = true;
	st->done_at = mono();
	st->secs = st->done_at - st->started;
	if (fmt) {
		char msg[2048];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		st->failure = strdup(msg);
		timeline_printf(&sc->tl, "FAIL", "step %zu/%zu %s: %s", sc->cur + 1, sc->n,
		                st->name, msg);
		finish(sc);
		return;
	}
	timeline_printf(&sc->tl, "PASS", "step %zu/%zu %s (%.1fs)", sc->cur + 1, sc->n, st->name,
	                st->secs);
	sc->cur++;
	if (sc->cur == sc->n) {
		finish(sc);
		return;
	}
	sc->steps[sc->cur].started = mono();
	schedule(sc, 0);
}

static bool timed_out(const struct step *st)
{
	return mono() - st->started > (double)st->timeout / 1e9;
}

/* ------------------------------------------------------------ expectations */

static bool update_matches(const struct fa_update *u, const cJSON *spec)
{
	const char *state = sstr(spec, "state"), *reason = sstr(spec, "reason");
	const char *source = sstr(spec, "source");
	const cJSON *message = cJSON_GetObjectItemCaseSensitive(spec, "message"), *part;
	const cJSON *parts = cJSON_IsArray(message) ? message : NULL; /* all must appear */
	const cJSON *healthy = cJSON_GetObjectItemCaseSensitive(spec, "healthy");
	if (state && strcmp(state, mesos_task_state_name(u->state)))
		return false;
	if (cJSON_IsBool(healthy) && u->healthy != (cJSON_IsTrue(healthy) ? 1 : 0))
		return false;
	if (reason && (u->reason < 0 || strcmp(reason, mesos_reason_name(u->reason))))
		return false;
	if (source) {
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
		    &mesos__v1__task_status__source__descriptor, u->source);
		if (!v || strcmp(source, v->name))
			return false;
	}
	if (cJSON_IsString(message) && (!u->message || !strstr(u->message, message->valuestring)))
		return false;
	cJSON_ArrayForEach (part, parts)
		if (!cJSON_IsString(part) || !u->message || !strstr(u->message, part->valuestring))
			return false;
	return true;
}

static void describe_updates(const struct fa_update *ups, size_t from, size_t n, char *buf,
                             size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = from; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s%s", o ? ", " : "",
		                      mesos_task_state_name(ups[i].state),
		                      ups[i].healthy < 0 ? ""
		                      : ups[i].healthy   ? " healthy"
		                                         : " unhealthy");
	if (!o)
		snprintf(buf, len, "none");
}

static void check_update(struct scenario *sc, struct step *st)
{
	struct fa_task *t = fa_agent_task(sc->agent, sc->task_id);
	const struct fa_update *ups;
	size_t n = fa_task_updates(t, &ups);
	for (size_t i = sc->cursor; i < n; i++) {
		if (update_matches(&ups[i], st->spec)) {
			sc->cursor = i + 1;
			step_done(sc, NULL);
			return;
		}
	}
	bool ended = fa_executor_is_terminated(fa_task_executor(t));
	if (ended || timed_out(st)) {
		char seen[1024];
		describe_updates(ups, sc->cursor, n, seen, sizeof(seen));
		step_done(sc, "%s; updates since the previous match: %s",
		          ended ? "the executor is gone and no update matched" : "timed out", seen);
		return;
	}
	schedule(sc, 200);
}

static void check_no_update(struct scenario *sc, struct step *st)
{
	struct fa_task *t = fa_agent_task(sc->agent, sc->task_id);
	const struct fa_update *ups;
	size_t n = fa_task_updates(t, &ups);
	bool after = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->spec, "after_match"));
	for (size_t i = after ? sc->cursor : 0; i < n; i++)
		if (update_matches(&ups[i], st->spec)) {
			step_done(sc, "an unwanted %s update arrived",
			          mesos_task_state_name(ups[i].state));
			return;
		}
	int64_t span = step_duration(st, "for", 0);
	if (mono() - st->started >= (double)span / 1e9) {
		step_done(sc, NULL);
		return;
	}
	schedule(sc, 100);
}

static void check_executor_exit(struct scenario *sc, struct step *st)
{
	struct fa_executor *e = fa_task_executor(fa_agent_task(sc->agent, sc->task_id));
	if (!fa_executor_is_terminated(e)) {
		if (timed_out(st))
			step_done(sc, "the executor is still running");
		else
			schedule(sc, 100);
		return;
	}
	long want = step_num(sc, st, "status");
	int ws = fa_executor_wait_status(e);
	if (want >= 0 && !(ws >= 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == want))
		step_done(sc, "the executor ended with wait status %d, expected exit status %ld",
		          ws, want);
	else
		step_done(sc, NULL);
}

/* Whether a process belongs to this scenario's executor: its working
 * directory is inside the sandbox, or its environment still names the
 * sandbox (MESOS_DIRECTORY, which executors pass down to their tasks). So
 * parallel runs of scenarios with the same command never see each other's
 * processes. */
static bool in_sandbox(long pid, const char *sandbox)
{
	char path[64], link[4096];
	size_t sl = strlen(sandbox);
	snprintf(path, sizeof(path), "/proc/%ld/cwd", pid);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (strncmp(link, sandbox, sl) == 0 && (link[sl] == '\0' || link[sl] == '/'))
			return true;
	}
	snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool hit = false;
	char *entry = NULL;
	size_t cap = 0;
	while (!hit && getdelim(&entry, &cap, '\0', f) > 0)
		hit =
		    strncmp(entry, "MESOS_DIRECTORY=", 16) == 0 && strcmp(entry + 16, sandbox) == 0;
	free(entry);
	fclose(f);
	return hit;
}

/* Processes still alive: in the executor's session, or whose command line
 * contains `pattern` and that belong to this sandbox. Writes the first one
 * found into what. */
static bool live_process(pid_t sid, const char *pattern, const char *sandbox, char *what,
                         size_t len)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;
	while (d && !found && (de = readdir(d))) {
		char *end;
		long p = strtol(de->d_name, &end, 10);
		if (*end || p <= 0 || p == getpid())
			continue;
		char path[64], buf[4096];
		snprintf(path, sizeof(path), "/proc/%ld/stat", p);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		const char *rp = strrchr(buf, ')');
		char state;
		int ppid, pgrp, session;
		if (!rp || sscanf(rp + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4 ||
		    state == 'Z')
			continue;
		if (pattern) {
			snprintf(path, sizeof(path), "/proc/%ld/cmdline", p);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			for (ssize_t i = 0; i < n; i++)
				if (!buf[i])
					buf[i] = ' ';
			buf[n] = '\0';
			found =
			    strstr(buf, pattern) != NULL && (!sandbox || in_sandbox(p, sandbox));
		} else {
			found = sid > 0 && session == sid;
		}
		if (found)
			snprintf(what, len, "pid %ld (%.200s)", p,
			         pattern ? buf : "in the session");
	}
	if (d)
		closedir(d);
	return found;
}

static void check_process_gone(struct scenario *sc, struct step *st)
{
	struct fa_executor *e = fa_task_executor(fa_agent_task(sc->agent, sc->task_id));
	char pattern[512], what[600] = "";
	const char *pat = step_str(sc, st, "cmdline", pattern, sizeof(pattern));
	bool alive =
	    !fa_executor_is_terminated(e) ||
	    live_process(fa_executor_pid(e), pat, fa_executor_sandbox(e), what, sizeof(what));
	if (!alive) {
		step_done(sc, NULL);
		return;
	}
	if (timed_out(st)) {
		step_done(sc, "still running: %s", what[0] ? what : "the executor");
		return;
	}
	schedule(sc, 100);
}

/* Whether a call the agent noted (its text) is of type `want` and has the
 * step's SUBSCRIBE details: encoding, unacknowledged_updates and _tasks. */
static bool call_matches(const char *text, const char *want, const cJSON *spec)
{
	size_t wl = strlen(want);
	if (strncmp(text, want, wl) || (text[wl] && text[wl] != ' '))
		return false;
	const char *enc = sstr(spec, "encoding");
	const cJSON *ups = cJSON_GetObjectItemCaseSensitive(spec, "unacknowledged_updates");
	const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(spec, "unacknowledged_tasks");
	if (!enc && !ups && !tasks)
		return true;
	char e[16] = "";
	size_t nu = 0, nt = 0;
	if (sscanf(text, "SUBSCRIBE (%15[a-z] stream, %zu unacknowledged updates, %zu", e, &nu,
	           &nt) != 3)
		return false;
	return (!enc || !strcmp(enc, e)) && (!ups || (size_t)ups->valuedouble == nu) &&
	       (!tasks || (size_t)tasks->valuedouble == nt);
}

/* The calls from index `from`, for a failure message. */
static void describe_calls(const struct scenario *sc, size_t from, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = from; i < sc->n_calls && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", sc->calls[i]);
	if (!o)
		snprintf(buf, len, "none");
}

static void check_call(struct scenario *sc, struct step *st)
{
	const char *want = sstr(st->spec, "call");
	for (size_t i = sc->call_cursor; i < sc->n_calls; i++)
		if (call_matches(sc->calls[i], want, st->spec)) {
			sc->call_cursor = i + 1;
			step_done(sc, NULL);
			return;
		}
	bool ended =
	    fa_executor_is_terminated(fa_task_executor(fa_agent_task(sc->agent, sc->task_id)));
	if (ended || timed_out(st)) {
		char seen[1024];
		describe_calls(sc, sc->call_cursor, seen, sizeof(seen));
		step_done(sc, "%s; calls since the previous match: %s",
		          ended ? "the executor is gone and made no such call" : "timed out", seen);
		return;
	}
	schedule(sc, 100);
}

/* No matching call since the previous expect-call match, nor during `for`. */
static void check_no_call(struct scenario *sc, struct step *st)
{
	const char *want = sstr(st->spec, "call");
	for (size_t i = sc->call_cursor; i < sc->n_calls; i++)
		if (call_matches(sc->calls[i], want, st->spec)) {
			step_done(sc, "an unwanted call arrived: %s", sc->calls[i]);
			return;
		}
	if (mono() - st->started >= (double)step_duration(st, "for", 0) / 1e9) {
		step_done(sc, NULL);
		return;
	}
	schedule(sc, 100);
}

static void check_executor_log(struct scenario *sc, struct step *st)
{
	char text[512];
	const char *want = step_str(sc, st, "message", text, sizeof(text));
	/* ended first: a line written just before the exit is read below */
	bool ended =
	    fa_executor_is_terminated(fa_task_executor(fa_agent_task(sc->agent, sc->task_id)));
	execlog_poll(&sc->xlog);
	long i = execlog_find(&sc->xlog, sc->xlog_cursor, want);
	if (i >= 0) {
		sc->xlog_cursor = (size_t)i + 1;
		step_done(sc, NULL);
		return;
	}
	if (ended || timed_out(st)) {
		step_done(sc,
		          "%s; no line of the executor's log after the previous match has a msg "
		          "containing \"%s\"",
		          ended ? "the executor is gone" : "timed out", want);
		return;
	}
	schedule(sc, 100);
}

/* --- the executor's log in the timeline */

static bool log_line_shown(const struct scenario *sc, const struct execlog_line *l)
{
	if (cJSON_IsTrue(sc->xlog_show))
		return strcmp(l->level, "debug") != 0;
	const cJSON *f;
	cJSON_ArrayForEach (f, sc->xlog_show)
		if (strstr(l->msg, f->valuestring))
			return true;
	return false;
}

static void on_log_line(void *data, const struct execlog_line *l)
{
	struct scenario *sc = data;
	if (!log_line_shown(sc, l))
		return;
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", l->msg);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	bool plain = !strcmp(l->level, "info") || !strcmp(l->level, "debug");
	timeline_printf(&sc->tl, "exec log", "%s%s%s", plain ? "" : l->level, plain ? "" : ": ",
	                msg);
}

static void on_log_timer(uv_timer_t *t)
{
	struct scenario *sc = t->data;
	execlog_poll(&sc->xlog);
}

/* --- HTTP probes of fakeconsul and fakevaas */

static bool tags_contain(const cJSON *have, const cJSON *want, struct scenario *sc)
{
	const cJSON *w;
	cJSON_ArrayForEach (w, want) {
		char t[512];
		if (!cJSON_IsString(w))
			return false;
		subst(sc, w->valuestring, t, sizeof(t));
		bool hit = false;
		const cJSON *h;
		cJSON_ArrayForEach (h, have)
			hit |= cJSON_IsString(h) && !strcmp(h->valuestring, t);
		if (!hit)
			return false;
	}
	return true;
}

static bool consul_service_matches(struct scenario *sc, const struct step *st, const cJSON *svc)
{
	char buf[512];
	const char *id = step_str(sc, st, "id", buf, sizeof(buf));
	if (id && (!sstr(svc, "ID") || strcmp(sstr(svc, "ID"), id)))
		return false;
	const char *name = step_str(sc, st, "name", buf, sizeof(buf));
	if (name && (!sstr(svc, "Service") || strcmp(sstr(svc, "Service"), name)))
		return false;
	const char *addr = step_str(sc, st, "address", buf, sizeof(buf));
	if (addr && (!sstr(svc, "Address") || strcmp(sstr(svc, "Address"), addr)))
		return false;
	long port = step_num(sc, st, "port");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(svc, "Port");
	if (port >= 0 && (!cJSON_IsNumber(p) || (long)p->valuedouble != port))
		return false;
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(st->spec, "tags");
	if (tags && !tags_contain(cJSON_GetObjectItemCaseSensitive(svc, "Tags"), tags, sc))
		return false;
	return true;
}

static bool vaas_backend_matches(struct scenario *sc, const struct step *st, const cJSON *b)
{
	char buf[512];
	const char *addr = step_str(sc, st, "address", buf, sizeof(buf));
	if (addr && (!sstr(b, "address") || strcmp(sstr(b, "address"), addr)))
		return false;
	long port = step_num(sc, st, "port");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(b, "port");
	if (port >= 0 && (!cJSON_IsNumber(p) || (long)p->valuedouble != port))
		return false;
	return true;
}

/* A check's Output up to its first line (Consul's HTTP check output goes on
 * with " Output: " and the response body). */
static void check_output(const char *out, char *buf, size_t len)
{
	snprintf(buf, len, "%s", out ? out : "");
	buf[strcspn(buf, "\r\n")] = '\0';
	char *more = strstr(buf, " Output: ");
	if (more)
		*more = '\0';
}

/* Whether every check of service `id` in a /v1/health/service entry list has
 * status `want` (there must be one); with show, prints the service and the
 * checks. seen gets the statuses for a failure message. */
static bool health_verdict(struct scenario *sc, const cJSON *entries, const char *id,
                           const char *want, bool show, char *seen, size_t seenlen)
{
	const cJSON *e, *c, *checks = NULL;
	cJSON_ArrayForEach (e, entries) {
		const cJSON *svc = cJSON_GetObjectItemCaseSensitive(e, "Service");
		if (sstr(svc, "ID") && !strcmp(sstr(svc, "ID"), id))
			checks = cJSON_GetObjectItemCaseSensitive(e, "Checks");
	}
	bool ok = true, any = false;
	size_t o = 0;
	seen[0] = '\0';
	cJSON_ArrayForEach (c, checks) {
		const char *sid = sstr(c, "ServiceID"), *status = sstr(c, "Status");
		if (!sid || strcmp(sid, id))
			continue;
		any = true;
		ok &= status && (!want || !strcmp(status, want));
		if (o < seenlen)
			o += (size_t)snprintf(seen + o, seenlen - o, "%s%s %s", o ? ", " : "",
			                      sstr(c, "CheckID") ? sstr(c, "CheckID") : "?",
			                      status ? status : "?");
	}
	if (!want)
		ok = true;
	else if (!any) {
		ok = false;
		snprintf(seen, seenlen, "no check of %s", id);
	}
	if (!show || !ok)
		return ok;
	timeline_printf(&sc->tl, "consul", "GET /v1/agent/services: \"%s\"", id);
	timeline_json(&sc->tl, sc->matched);
	timeline_printf(&sc->tl, "consul", "GET %s: %d checks", sc->probe_path,
	                cJSON_GetArraySize(checks));
	cJSON_ArrayForEach (c, checks) {
		char out[200];
		check_output(sstr(c, "Output"), out, sizeof(out));
		const char *type = sstr(c, "Type");
		const char *cid = sstr(c, "CheckID"), *status = sstr(c, "Status");
		bool typed = type && *type;
		timeline_more(&sc->tl, "%s%s%s%s %s%s%s", cid ? cid : "?", typed ? " (" : "",
		              typed ? type : "", typed ? ")" : "", status ? status : "?",
		              out[0] ? ": " : "", out);
	}
	return true;
}

static void on_health(void *data, const struct httpc_result *res)
{
	struct scenario *sc = data;
	sc->probe = NULL;
	cJSON *svc = sc->matched;
	sc->matched = NULL;
	if (sc->finishing) {
		cJSON_Delete(svc);
		return;
	}
	struct step *st = &sc->steps[sc->cur];
	bool show = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->spec, "show"));
	const char *want = sstr(st->spec, "check_status");
	char seen[1024];
	bool ok = false;
	cJSON *j = res->status == 200 && res->body ? cJSON_Parse(res->body) : NULL;
	if (j) {
		sc->matched = svc; /* health_verdict shows it */
		ok = health_verdict(sc, j, sstr(svc, "ID") ? sstr(svc, "ID") : "", want, show, seen,
		                    sizeof(seen));
		sc->matched = NULL;
	} else {
		snprintf(seen, sizeof(seen), "HTTP %ld %s", res->status,
		         res->error ? res->error : "");
	}
	cJSON_Delete(j);
	cJSON_Delete(svc);
	if (ok)
		step_done(sc, NULL);
	else if (timed_out(st))
		step_done(sc, "the service's checks are not all %s: %s", want ? want : "readable",
		          seen);
	else
		schedule(sc, 250);
}

static void start_health_probe(struct scenario *sc, const struct step *st)
{
	char url[1200];
	const char *name = sstr(sc->matched, "Service") ? sstr(sc->matched, "Service") : "";
	size_t o = (size_t)snprintf(sc->probe_path, sizeof(sc->probe_path), "/v1/health/service/");
	for (const char *p = name; *p && o + 4 < sizeof(sc->probe_path); p++)
		o += (size_t)(isalnum((unsigned char)*p) || strchr("-_.~", *p)
		                  ? snprintf(sc->probe_path + o, sizeof(sc->probe_path) - o, "%c",
		                             *p)
		                  : snprintf(sc->probe_path + o, sizeof(sc->probe_path) - o,
		                             "%%%02X", (unsigned char)*p));
	snprintf(url, sizeof(url), "http://%s%s", sc->consul.addr, sc->probe_path);
	struct httpc_opts o2 = {.url = url, .timeout_ms = 5000, .on_done = on_health, .data = sc};
	sc->probe = httpc_start(sc->http, &o2);
	if (!sc->probe) {
		cJSON_Delete(sc->matched);
		sc->matched = NULL;
		schedule(sc, 250);
	}
}

static void on_probe(void *data, const struct httpc_result *res)
{
	struct scenario *sc = data;
	sc->probe = NULL;
	if (sc->finishing)
		return;
	struct step *st = &sc->steps[sc->cur];
	bool consul = !strcmp(st->kind, "expect-consul-service");
	bool absent = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->spec, "absent"));
	bool show = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->spec, "show"));
	char seen[1024] = "";
	bool found = false;
	cJSON *j = NULL;
	const cJSON *hit = NULL;
	if (res->status == 200 && res->body) {
		j = cJSON_Parse(res->body);
		const cJSON *list = consul ? j : cJSON_GetObjectItemCaseSensitive(j, "objects");
		const cJSON *it;
		size_t o = 0;
		cJSON_ArrayForEach (it, list) {
			bool match = consul ? consul_service_matches(sc, st, it)
			                    : vaas_backend_matches(sc, st, it);
			if (match && !hit)
				hit = it;
			found |= match;
			const cJSON *p =
			    cJSON_GetObjectItemCaseSensitive(it, consul ? "Port" : "port");
			if (o < sizeof(seen))
				o += (size_t)snprintf(seen + o, sizeof(seen) - o, "%s%s:%d",
				                      o ? ", " : "",
				                      sstr(it, consul ? "ID" : "address")
				                          ? sstr(it, consul ? "ID" : "address")
				                          : "?",
				                      cJSON_IsNumber(p) ? p->valueint : 0);
		}
	} else {
		snprintf(seen, sizeof(seen), "HTTP %ld %s", res->status,
		         res->error ? res->error : "");
	}
	if (found && !absent && consul &&
	    (show || sstr(st->spec, "check_status"))) { /* the checks, then the verdict */
		sc->matched = cJSON_Duplicate(hit, true);
		cJSON_Delete(j);
		start_health_probe(sc, st);
		return;
	}
	if (found != absent) {
		if (show && absent)
			timeline_printf(&sc->tl, consul ? "consul" : "vaas",
			                "GET %s: no match; it lists %s", sc->probe_path,
			                seen[0]  ? seen
			                : consul ? "{}"
			                         : "no backend");
		else if (show) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(hit, "id");
			timeline_printf(&sc->tl, "vaas", "GET %s: backend %d", sc->probe_path,
			                cJSON_IsNumber(id) ? id->valueint : 0);
			timeline_json(&sc->tl, hit);
		}
		cJSON_Delete(j);
		step_done(sc, NULL);
		return;
	}
	cJSON_Delete(j);
	if (timed_out(st)) {
		step_done(sc, "%s; the %s has: %s",
		          absent ? "still registered" : "no match within the step timeout",
		          consul ? "Consul agent" : "VaaS", seen[0] ? seen : "nothing");
		return;
	}
	schedule(sc, 250);
}

static void start_probe(struct scenario *sc, struct step *st)
{
	bool consul = !strcmp(st->kind, "expect-consul-service");
	struct sidecar *side = consul ? &sc->consul : &sc->vaas;
	char url[1024], dir[256];
	if (!side->addr[0]) {
		step_done(sc, "the scenario did not ask for %s (\"services\": [\"%s\"])",
		          consul ? "fakeconsul" : "fakevaas", consul ? "consul" : "vaas");
		return;
	}
	const char *hdrs[] = {VAAS_AUTH, NULL};
	if (consul) {
		snprintf(url, sizeof(url), "http://%s/v1/agent/services", side->addr);
	} else {
		const char *d = step_str(sc, st, "director", dir, sizeof(dir));
		if (!d) {
			step_done(sc, "expect-vaas-backend needs \"director\"");
			return;
		}
		size_t o = (size_t)snprintf(
		    url, sizeof(url), "http://%s/api/v0.1/backend/?director__name=", side->addr);
		for (const char *p = d; *p && o + 4 < sizeof(url); p++)
			o += (size_t)(isalnum((unsigned char)*p) || strchr("-_.~", *p)
			                  ? snprintf(url + o, sizeof(url) - o, "%c", *p)
			                  : snprintf(url + o, sizeof(url) - o, "%%%02X",
			                             (unsigned char)*p));
	}
	snprintf(sc->probe_path, sizeof(sc->probe_path), "%s",
	         url + strlen("http://") + strlen(side->addr));
	struct httpc_opts o = {.url = url,
	                       .headers = consul ? NULL : hdrs,
	                       .timeout_ms = 5000,
	                       .on_done = on_probe,
	                       .data = sc};
	sc->probe = httpc_start(sc->http, &o);
	if (!sc->probe)
		schedule(sc, 250);
}

/* ------------------------------------------------------------ actions */

static void act(struct scenario *sc, struct step *st)
{
	char err[512];
	int rc = 0;
	struct fa_task *t = fa_agent_task(sc->agent, sc->task_id);
	if (!strcmp(st->kind, "kill"))
		rc = fa_agent_kill(sc->agent, sc->task_id, step_duration(st, "grace", -1), err,
		                   sizeof(err));
	else if (!strcmp(st->kind, "shutdown"))
		rc = fa_agent_shutdown(sc->agent, fa_executor_id(fa_task_executor(t)), err,
		                       sizeof(err));
	else if (!strcmp(st->kind, "restart-agent"))
		rc = fa_agent_restart(sc->agent, step_duration(st, "downtime", SECS(1)), err,
		                      sizeof(err));
	else if (!strcmp(st->kind, "message")) {
		const char *d = sstr(st->spec, "data");
		rc = fa_agent_message(sc->agent, fa_executor_id(fa_task_executor(t)), d ? d : "",
		                      d ? strlen(d) : 0, err, sizeof(err));
	}
	if (rc < 0)
		step_done(sc, "%s", err);
	else
		step_done(sc, NULL);
}

/* --- the steps of scenario_steps.c */

static void on_more_http(void *data, const struct httpc_result *res);

static struct steps_ctx more_ctx(struct scenario *sc, const struct step *st)
{
	struct fa_executor *e = fa_task_executor(fa_agent_task(sc->agent, sc->task_id));
	return (struct steps_ctx){.spec = st->spec,
	                          .agent = sc->agent,
	                          .task_id = sc->task_id,
	                          .executor_id = fa_executor_id(e),
	                          .sandbox = fa_executor_sandbox(e),
	                          .executor_gone = fa_executor_is_terminated(e),
	                          .consul = &sc->consul,
	                          .vaas = &sc->vaas,
	                          .http = sc->http,
	                          .elapsed = mono() - st->started,
	                          .timed_out = timed_out(st),
	                          .subst = subst_cb,
	                          .on_http_done = on_more_http,
	                          .data = sc};
}

static void run_more(struct scenario *sc, struct step *st)
{
	char err[1536];
	struct steps_ctx c = more_ctx(sc, st);
	struct httpc_req *req = NULL;
	switch (steps_run(st->kind, &c, &req, err, sizeof(err))) {
	case STEPS_PASS:
		step_done(sc, NULL);
		break;
	case STEPS_FAIL:
		step_done(sc, "%s", err);
		break;
	case STEPS_AGAIN:
		schedule(sc, 100);
		break;
	case STEPS_HTTP:
		sc->probe = req; /* cancelled by finish() */
		break;
	}
}

static void on_more_http(void *data, const struct httpc_result *res)
{
	struct scenario *sc = data;
	sc->probe = NULL;
	if (sc->finishing)
		return;
	char err[1536];
	struct steps_ctx c = more_ctx(sc, &sc->steps[sc->cur]);
	if (steps_http_verdict(&c, res, err, sizeof(err)) == STEPS_PASS)
		step_done(sc, NULL);
	else
		step_done(sc, "%s", err);
}

static void run_step(struct scenario *sc)
{
	struct step *st = &sc->steps[sc->cur];
	const char *k = st->kind;
	if (!strcmp(k, "expect-update"))
		check_update(sc, st);
	else if (!strcmp(k, "expect-call"))
		check_call(sc, st);
	else if (!strcmp(k, "expect-no-call"))
		check_no_call(sc, st);
	else if (steps_known(k)) {
		if (!sc->probe)
			run_more(sc, st);
	} else if (!strcmp(k, "expect-executor-log"))
		check_executor_log(sc, st);
	else if (!strcmp(k, "expect-no-update"))
		check_no_update(sc, st);
	else if (!strcmp(k, "expect-executor-exit"))
		check_executor_exit(sc, st);
	else if (!strcmp(k, "expect-process-gone"))
		check_process_gone(sc, st);
	else if (!strcmp(k, "expect-consul-service") || !strcmp(k, "expect-vaas-backend")) {
		if (!sc->probe)
			start_probe(sc, st);
	} else if (!strcmp(k, "wait")) {
		int64_t d = step_duration(st, "duration", step_duration(st, "for", SECS(1)));
		if (mono() - st->started >= (double)d / 1e9)
			step_done(sc, NULL);
		else
			schedule(sc, MS(d) - (uint64_t)((mono() - st->started) * 1000) + 1);
	} else
		act(sc, st);
}

static void on_tick(uv_timer_t *t)
{
	struct scenario *sc = t->data;
	if (!sc->finishing && sc->cur < sc->n)
		run_step(sc);
}

static void schedule(struct scenario *sc, uint64_t ms)
{
	if (!sc->finishing)
		uv_timer_start(&sc->tick, on_tick, ms, 0);
}

static void record_call(struct scenario *sc, const char *text)
{
	if (sc->n_calls == sc->cap_calls) {
		size_t cap = sc->cap_calls ? sc->cap_calls * 2 : 16;
		char **nc = realloc(sc->calls, cap * sizeof(*nc));
		if (!nc)
			return;
		sc->calls = nc;
		sc->cap_calls = cap;
	}
	char *copy = strdup(text);
	if (copy)
		sc->calls[sc->n_calls++] = copy;
}

/* In a brief timeline: what a reader does not need (the UPDATE call is the
 * update line's twin; acknowledgements and heartbeats are routine). */
static bool brief_hides(const struct fa_note *n)
{
	const char *t = n->text;
	return (n->kind == FA_NOTE_CALL &&
	        (!strncmp(t, "UPDATE ", 7) || !strncmp(t, "HEARTBEAT", 9))) ||
	       (n->kind == FA_NOTE_EVENT &&
	        (!strncmp(t, "ACKNOWLEDGED", 12) || !strncmp(t, "HEARTBEAT", 9)));
}

static void observe(void *data, const struct fa_note *n)
{
	struct scenario *sc = data;
	execlog_poll(&sc->xlog); /* what the executor logged before this */
	if (n->kind == FA_NOTE_CALL)
		record_call(sc, n->text);
	if (!sc->brief) {
		timeline_note(&sc->tl, n);
	} else if (n->kind == FA_NOTE_EXEC_UP) { /* the sandbox is gone after a pass */
		struct fa_note up = *n;
		char text[1024];
		snprintf(text, sizeof(text), "%s", n->text);
		char *sb = strstr(text, ", sandbox ");
		if (sb)
			*sb = '\0';
		up.text = text;
		timeline_note(&sc->tl, &up);
	} else if (!brief_hides(n)) {
		timeline_note(&sc->tl, n);
	}
	if ((n->kind == FA_NOTE_UPDATE || n->kind == FA_NOTE_EXEC_END || n->kind == FA_NOTE_CALL) &&
	    sc->cur < sc->n && !sc->probe)
		schedule(sc, 0);
}

static void on_total(uv_timer_t *t)
{
	struct scenario *sc = t->data;
	char d[32];
	duration_format_mesos(sc->total_timeout, d, sizeof(d));
	if (sc->cur < sc->n)
		step_done(sc, "the scenario timed out after %s", d);
}

/* ------------------------------------------------------------ ending */

static void closed_one(void *data)
{
	struct scenario *sc = data;
	if (--sc->closing == 0)
		reaper_stop();
}

static void handle_closed(uv_handle_t *h)
{
	closed_one(h->data);
}

static void http_closed(void *data)
{
	closed_one(data);
}

static void on_finish(uv_timer_t *t)
{
	struct scenario *sc = t->data;
	execlog_poll(&sc->xlog);
	sc->closing = 6;
	uv_timer_stop(&sc->xlog_timer);
	uv_close((uv_handle_t *)&sc->xlog_timer, handle_closed);
	if (sc->agent)
		fa_agent_stop(sc->agent, closed_one, sc);
	else
		sc->closing--;
	if (sc->http)
		httpc_close(sc->http, http_closed, sc);
	else
		sc->closing--;
	sidecar_stop(&sc->consul, closed_one, sc);
	sidecar_stop(&sc->vaas, closed_one, sc);
	uv_close((uv_handle_t *)&sc->total, handle_closed);
	uv_close((uv_handle_t *)&sc->tick, NULL);
}

static void finish(struct scenario *sc)
{
	if (sc->finishing)
		return;
	sc->finishing = true;
	for (size_t i = sc->cur + (sc->cur < sc->n && sc->steps[sc->cur].done); i < sc->n; i++)
		sc->steps[i].skipped = true;
	if (sc->probe) {
		httpc_cancel(sc->probe);
		sc->probe = NULL;
	}
	cJSON_Delete(sc->matched);
	sc->matched = NULL;
	uv_timer_stop(&sc->total);
	/* leave the callback we are in before tearing things down */
	uv_timer_start(&sc->tick, on_finish, 0, 0);
}

/* ------------------------------------------------------------ setup */

static const char *const step_kinds[] = {"expect-update",
                                         "expect-call",
                                         "expect-no-call",
                                         "expect-executor-log",
                                         "expect-no-update",
                                         "expect-executor-exit",
                                         "expect-process-gone",
                                         "expect-consul-service",
                                         "expect-vaas-backend",
                                         "kill",
                                         "shutdown",
                                         "restart-agent",
                                         "message",
                                         "wait",
                                         NULL};

static int parse_steps(struct scenario *sc, char *err, size_t errlen)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(sc->doc, "steps");
	if (!cJSON_IsArray(steps) || !cJSON_GetArraySize(steps)) {
		snprintf(err, errlen, "%s: steps: expected a non-empty array", sc->file);
		return -1;
	}
	sc->n = (size_t)cJSON_GetArraySize(steps);
	sc->steps = calloc(sc->n, sizeof(*sc->steps));
	size_t i = 0;
	const cJSON *s;
	cJSON_ArrayForEach (s, steps) {
		struct step *st = &sc->steps[i];
		st->spec = s;
		st->kind = sstr(s, "step");
		bool known = false;
		for (const char *const *k = step_kinds; st->kind && *k; k++)
			known |= !strcmp(*k, st->kind);
		known |= steps_known(st->kind);
		if (!cJSON_IsObject(s) || !known) {
			char names[1024];
			size_t o = 0;
			for (const char *const *k = step_kinds; *k; k++)
				o += (size_t)snprintf(names + o, sizeof(names) - o, "%s, ", *k);
			snprintf(err, errlen, "%s: steps[%zu].step: expected one of %s%s", sc->file,
			         i, names, steps_names());
			return -1;
		}
		char why[512];
		if (steps_known(st->kind) && steps_validate(st->kind, s, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: steps[%zu].%s", sc->file, i, why);
			return -1;
		}
		const char *counts[] = {"unacknowledged_updates", "unacknowledged_tasks"};
		for (size_t c = 0; c < 2; c++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, counts[c]);
			if (v && !(cJSON_IsNumber(v) && v->valuedouble >= 0)) {
				snprintf(err, errlen, "%s: steps[%zu].%s: expected a count",
				         sc->file, i, counts[c]);
				return -1;
			}
		}
		if ((!strcmp(st->kind, "expect-update") || !strcmp(st->kind, "expect-no-update")) &&
		    !sstr(s, "state")) {
			snprintf(err, errlen, "%s: steps[%zu].state: required for %s", sc->file, i,
			         st->kind);
			return -1;
		}
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(s, "message"), *part;
		bool msg_ok = !msg || cJSON_IsString(msg) || cJSON_IsArray(msg);
		const cJSON *msgs = cJSON_IsArray(msg) ? msg : NULL;
		cJSON_ArrayForEach (part, msgs)
			msg_ok &= cJSON_IsString(part);
		if (!msg_ok) {
			snprintf(err, errlen,
			         "%s: steps[%zu].message: expected a string or an array of strings",
			         sc->file, i);
			return -1;
		}
		const char *need =
		    !strcmp(st->kind, "expect-call") || !strcmp(st->kind, "expect-no-call") ? "call"
		    : !strcmp(st->kind, "expect-executor-log") ? "message"
		                                               : NULL;
		if (need && !sstr(s, need)) {
			snprintf(err, errlen, "%s: steps[%zu].%s: required for %s (a string)",
			         sc->file, i, need, st->kind);
			return -1;
		}
		const cJSON *show = cJSON_GetObjectItemCaseSensitive(s, "show");
		const cJSON *cs = cJSON_GetObjectItemCaseSensitive(s, "check_status");
		if ((show && !cJSON_IsBool(show)) || (cs && !cJSON_IsString(cs))) {
			snprintf(err, errlen, "%s: steps[%zu].%s: expected %s", sc->file, i,
			         show && !cJSON_IsBool(show) ? "show" : "check_status",
			         show && !cJSON_IsBool(show) ? "true or false"
			                                     : "a string (\"passing\")");
			return -1;
		}
		const cJSON *to = cJSON_GetObjectItemCaseSensitive(s, "timeout");
		st->timeout = step_duration(st, "timeout", DEFAULT_STEP_TIMEOUT);
		if (to && st->timeout == DEFAULT_STEP_TIMEOUT && !cJSON_IsNumber(to) &&
		    (!cJSON_IsString(to) || duration_parse(to->valuestring, &st->timeout) < 0)) {
			snprintf(err, errlen, "%s: steps[%zu].timeout: expected a duration",
			         sc->file, i);
			return -1;
		}
		const char *title = sstr(s, "title");
		const char *detail = sstr(s, "state");
		const char *more[] = {"name",    "id",   "director", "cmdline", "call",
		                      "message", "data", "path",     "service"};
		for (size_t m = 0; !detail && m < sizeof(more) / sizeof(more[0]); m++)
			detail = sstr(s, more[m]);
		const cJSON *healthy = cJSON_GetObjectItemCaseSensitive(s, "healthy");
		bool absent = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "absent"));
		if (title)
			snprintf(st->name, sizeof(st->name), "%02zu %s", i + 1, title);
		else
			snprintf(st->name, sizeof(st->name), "%02zu %s%s%.100s%s%s", i + 1,
			         st->kind, detail ? " " : "", detail ? detail : "",
			         !cJSON_IsBool(healthy)  ? ""
			         : cJSON_IsTrue(healthy) ? " healthy=true"
			                                 : " healthy=false",
			         absent ? " absent" : "");
		i++;
	}
	return 0;
}

static int add_env(struct scenario *sc, const char *k, const char *v, bool keep_existing)
{
	size_t kl = strlen(k);
	for (size_t i = 0; i < sc->n_env; i++)
		if (!strncmp(sc->env[i], k, kl) && sc->env[i][kl] == '=') {
			if (keep_existing)
				return 0;
			free(sc->env[i]);
			return asprintf(&sc->env[i], "%s=%s", k, v) < 0 ? -1 : 0;
		}
	if (sc->n_env + 1 >= sizeof(sc->env) / sizeof(sc->env[0]))
		return -1;
	return asprintf(&sc->env[sc->n_env++], "%s=%s", k, v) < 0 ? -1 : 0;
}

static int agent_settings(struct scenario *sc, struct fa_config *cfg, char *err, size_t errlen)
{
	const cJSON *ag = cJSON_GetObjectItemCaseSensitive(sc->doc, "agent");
	const cJSON *kv;
	if (ag && !cJSON_IsObject(ag)) {
		snprintf(err, errlen, "%s: agent: expected an object", sc->file);
		return -1;
	}
	cJSON_ArrayForEach (kv, ag) {
		const char *k = kv->string;
		int64_t ns;
		int64_t *dur = !strcmp(k, "ack_delay")                ? &cfg->ack_delay
		               : !strcmp(k, "heartbeat_interval")     ? &cfg->heartbeat_interval
		               : !strcmp(k, "shutdown_grace")         ? &cfg->shutdown_grace
		               : !strcmp(k, "registration_timeout")   ? &cfg->registration_timeout
		               : !strcmp(k, "reregistration_timeout") ? &cfg->reregistration_timeout
		               : !strcmp(k, "recovery_timeout")       ? &cfg->recovery_timeout
		                                                      : NULL;
		if (dur) {
			if (!cJSON_IsString(kv) || duration_parse(kv->valuestring, &ns) < 0) {
				snprintf(err, errlen,
				         "%s: agent.%s: expected a duration (\"5secs\")", sc->file,
				         k);
				return -1;
			}
			*dur = ns;
		} else if (!strcmp(k, "domain_socket")) {
			if (!cJSON_IsBool(kv)) {
				snprintf(err, errlen, "%s: agent.%s: expected true or false",
				         sc->file, k);
				return -1;
			}
		} else if (!strcmp(k, "checkpoint") || !strcmp(k, "executor_auth")) {
			if (!cJSON_IsBool(kv)) {
				snprintf(err, errlen, "%s: agent.%s: expected true or false",
				         sc->file, k);
				return -1;
			}
			*(k[0] == 'c' ? &cfg->checkpoint : &cfg->executor_auth) = cJSON_IsTrue(kv);
		} else if (!strcmp(k, "drop_acks") && cJSON_IsNumber(kv)) {
			cfg->drop_acks = kv->valueint;
		} else if (!strcmp(k, "only_encoding") && cJSON_IsString(kv) &&
		           (!strcmp(kv->valuestring, "json") ||
		            !strcmp(kv->valuestring, "protobuf"))) {
			cfg->only_encoding =
			    !strcmp(kv->valuestring, "json") ? MESOS_JSON : MESOS_PROTOBUF;
		} else if (!strcmp(k, "capabilities") && cJSON_IsArray(kv)) {
			const cJSON *c;
			cJSON_ArrayForEach (c, kv) {
				const char *name = cJSON_IsString(c) ? c->valuestring : "";
				bool remove = name[0] == '-';
				int cap = fa_capability_parse(name + remove);
				if (cap < 0) {
					snprintf(err, errlen,
					         "%s: agent.capabilities: unknown '%s'", sc->file,
					         name);
					return -1;
				}
				if (remove)
					cfg->capabilities &= ~(1u << cap);
				else
					cfg->capabilities |= 1u << cap;
			}
		} else if (!strcmp(k, "executor_env") && cJSON_IsObject(kv)) {
			const cJSON *e;
			cJSON_ArrayForEach (e, kv) {
				if (!cJSON_IsString(e)) {
					snprintf(err, errlen,
					         "%s: agent.executor_env.%s: expected a string",
					         sc->file, e->string);
					return -1;
				}
				add_env(sc, e->string, e->valuestring, false);
			}
		} else {
			snprintf(err, errlen, "%s: agent.%s: unknown setting or wrong type",
			         sc->file, k);
			return -1;
		}
	}
	return 0;
}

static char *sibling_binary(const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	char *path;
	/* build/fakeagent/fakeagent -> build/<name>/<name> */
	return asprintf(&path, "%s/../%s/%s", dirname(self), name, name) < 0 ? NULL : path;
}

static cJSON *load_ref(struct scenario *sc, const cJSON *ref, char *err, size_t errlen, char *what,
                       size_t what_len)
{
	if (cJSON_IsObject(ref)) {
		snprintf(what, what_len, "%s (inline %s)", sc->file, ref->string);
		return cJSON_Duplicate(ref, true);
	}
	if (!cJSON_IsString(ref)) {
		snprintf(err, errlen, "%s: %s: expected a file name or an object", sc->file,
		         ref->string);
		return NULL;
	}
	if (ref->valuestring[0] == '/')
		snprintf(what, what_len, "%s", ref->valuestring);
	else
		snprintf(what, what_len, "%s/%s", sc->dir, ref->valuestring);
	return load_json_file(what, err, errlen);
}

static int setup(struct scenario *sc, char *err, size_t errlen)
{
	char what[PATH_MAX + 64];
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(sc->doc, "task");
	const cJSON *app = cJSON_GetObjectItemCaseSensitive(sc->doc, "app");
	if (!task == !app) {
		snprintf(err, errlen, "%s: give exactly one of \"task\" and \"app\"", sc->file);
		return -1;
	}
	if (!sc->opts->executor) {
		snprintf(err, errlen, "no executor binary: pass --executor PATH");
		return -1;
	}
	const cJSON *tlk = cJSON_GetObjectItemCaseSensitive(sc->doc, "timeline");
	if (tlk && !(cJSON_IsString(tlk) &&
	             (!strcmp(tlk->valuestring, "brief") || !strcmp(tlk->valuestring, "full")))) {
		snprintf(err, errlen, "%s: timeline: expected \"brief\" or \"full\"", sc->file);
		return -1;
	}
	sc->brief = sc->tl.brief = tlk && !strcmp(tlk->valuestring, "brief");
	const cJSON *xl = cJSON_GetObjectItemCaseSensitive(sc->doc, "executor_log"), *f;
	bool xl_ok = !xl || cJSON_IsBool(xl) || cJSON_IsArray(xl);
	const cJSON *parts = cJSON_IsArray(xl) ? xl : NULL;
	cJSON_ArrayForEach (f, parts)
		xl_ok &= cJSON_IsString(f);
	if (!xl_ok) {
		snprintf(err, errlen,
		         "%s: executor_log: expected true, false or an array of strings (parts of "
		         "the messages to show)",
		         sc->file);
		return -1;
	}
	sc->xlog_show = xl;
	struct fa_config cfg;
	fa_config_defaults(&cfg);
	cfg.listen = "127.0.0.1:0";
	cfg.hostname = "localhost";
	char agent_dir[PATH_MAX], sock[PATH_MAX];
	snprintf(agent_dir, sizeof(agent_dir), "%s/agent", sc->work_dir);
	cfg.work_dir = agent_dir;
	if (agent_settings(sc, &cfg, err, errlen) < 0)
		return -1;
	/* "domain_socket": true serves the executor API on a Unix socket too
	 * (MESOS_DOMAIN_SOCKET), as --http_executor_domain_sockets does. */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(sc->doc, "agent"), "domain_socket"))) {
		snprintf(sock, sizeof(sock), "%s/agent.sock", sc->work_dir);
		cfg.domain_socket = sock;
	}

	const cJSON *services = cJSON_GetObjectItemCaseSensitive(sc->doc, "services");
	const cJSON *s;
	cJSON_ArrayForEach (s, services) {
		if (cJSON_IsString(s) && !strcmp(s->valuestring, "consul"))
			sc->want_consul = true;
		else if (cJSON_IsString(s) && !strcmp(s->valuestring, "vaas"))
			sc->want_vaas = true;
		else {
			snprintf(err, errlen, "%s: services: expected \"consul\" and/or \"vaas\"",
			         sc->file);
			return -1;
		}
	}
	char *bin;
	if (sc->want_consul) {
		bin = sc->opts->fakeconsul ? strdup(sc->opts->fakeconsul)
		                           : sibling_binary("fakeconsul");
		int rc = sidecar_start(&sc->consul, sc->loop, "fakeconsul", bin, sc->work_dir, err,
		                       errlen);
		free(bin);
		if (rc < 0)
			return -1;
		timeline_printf(&sc->tl, "scenario", "fakeconsul on %s (pid %d)", sc->consul.addr,
		                (int)sc->consul.pid);
		add_env(sc, "CONSUL_HTTP_ADDR", sc->consul.addr, true);
	}
	if (sc->want_vaas) {
		bin = sc->opts->fakevaas ? strdup(sc->opts->fakevaas) : sibling_binary("fakevaas");
		int rc =
		    sidecar_start(&sc->vaas, sc->loop, "fakevaas", bin, sc->work_dir, err, errlen);
		free(bin);
		if (rc < 0)
			return -1;
		timeline_printf(&sc->tl, "scenario", "fakevaas on %s (pid %d)", sc->vaas.addr,
		                (int)sc->vaas.pid);
		char url[200];
		snprintf(url, sizeof(url), "http://%s", sc->vaas.addr);
		add_env(sc, "ALLEGRO_EXECUTOR_VAAS_HOST", url, true);
		add_env(sc, "ALLEGRO_EXECUTOR_VAAS_USERNAME", "admin", true);
		add_env(sc, "ALLEGRO_EXECUTOR_VAAS_TOKEN", "vagrant_api_key", true);
	}
	add_env(sc, "CLOUD_DC", "dc1", true);
	add_env(sc, "CLOUD_PUBLIC_IP", "127.0.0.1", true);
	sc->env[sc->n_env] = NULL;
	cfg.executor_env = (const char *const *)sc->env;

	sc->agent = fa_agent_new(sc->loop, &cfg, err, errlen);
	if (!sc->agent)
		return -1;
	fa_agent_set_observer(sc->agent, observe, sc);
	timeline_printf(&sc->tl, "scenario", "agent on %s, work dir %s",
	                fa_agent_address(sc->agent), sc->work_dir);

	cJSON *doc = load_ref(sc, task ? task : app, err, errlen, what, sizeof(what));
	if (!doc)
		return -1;
	struct load_result lr;
	int rc = task ? load_task_json(sc->agent, doc, what, sc->opts->executor, &lr, err, errlen)
	              : load_app_json(sc->agent, doc, what, sc->opts->executor, &lr, err, errlen);
	cJSON_Delete(doc);
	if (rc < 0)
		return -1;
	snprintf(sc->task_id, sizeof(sc->task_id), "%s", lr.task->task_id->value);
	if (sc->brief) {
		const char *eid = lr.executor ? lr.executor->executor_id->value : sc->task_id;
		timeline_printf(&sc->tl, "scenario", "task %s (${TASK_ID} below)", sc->task_id);
		if (strcmp(eid, sc->task_id))
			timeline_printf(&sc->tl, "scenario", "executor %s (${EXECUTOR_ID} below)",
			                eid);
		timeline_alias(&sc->tl, sc->task_id, "${TASK_ID}");
		if (strcmp(eid, sc->task_id))
			timeline_alias(&sc->tl, eid, "${EXECUTOR_ID}");
	}
	struct fa_launch l = {0};
	load_to_launch(&lr, &l, sc->opts->executor);
	struct fa_task *t = fa_agent_launch(sc->agent, &l, err, errlen);
	load_free(&lr);
	if (!t)
		return -1;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/stderr", fa_executor_sandbox(fa_task_executor(t)));
	execlog_open(&sc->xlog, path);
	uv_timer_start(&sc->xlog_timer, on_log_timer, 100, 100);
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* One line per step: ok, FAILED or skipped, how long it took, and when it
 * ended (seconds since the scenario began, as in the timeline). */
static void print_summary(struct scenario *sc)
{
	FILE *o = sc->tl.out;
	const char *red = sc->tl.color ? "\033[31m" : "", *green = sc->tl.color ? "\033[32m" : "";
	const char *reset = sc->tl.color ? "\033[0m" : "";
	fprintf(o, "summary of \"%s\":\n", sc->name);
	if (sc->setup_failure)
		fprintf(o, "  %s%-7s%s %-48s %7.1fs\n", red, "FAILED", reset, "00 setup",
		        sc->setup_secs);
	for (size_t i = 0; i < sc->n; i++) {
		const struct step *st = &sc->steps[i];
		if (!st->done)
			fprintf(o, "  %-7s %s\n", st->skipped ? "skipped" : "-", st->name);
		else
			fprintf(o, "  %s%-7s%s %-48s %7.1fs   at %+.3fs\n",
			        st->failure ? red : green, st->failure ? "FAILED" : "ok", reset,
			        st->name, st->secs, st->done_at - sc->tl.start);
	}
	fflush(o);
}

/* SIGINT and SIGTERM fail the running scenario, which then stops its
 * executor and helpers as usual; the handlers stay installed until the end,
 * so a second signal cannot cut that cleanup short. */
static void on_stop_signal(uv_signal_t *h, int signum)
{
	if (stop_signal.signum)
		return;
	stop_signal.signum = signum;
	struct scenario *sc = stop_signal.running;
	if (!sc || sc->finishing)
		return;
	if (sc->cur < sc->n)
		step_done(sc, "interrupted by %s", signum == SIGINT ? "SIGINT" : "SIGTERM");
	else
		finish(sc);
}

/* Runs one scenario file; fills its steps' results. */
static void run_file(struct scenario *sc)
{
	char err[2048];
	double t0 = mono();
	timeline_init(&sc->tl, stdout);
	sc->loop = uv_default_loop();
	reaper_start(sc->loop);
	sc->closing = 0;
	uv_timer_init(sc->loop, &sc->tick);
	uv_timer_init(sc->loop, &sc->total);
	uv_timer_init(sc->loop, &sc->xlog_timer);
	sc->tick.data = sc->total.data = sc->xlog_timer.data = sc;
	execlog_init(&sc->xlog, on_log_line, sc);
	stop_signal.running = sc;
	sc->http = httpc_new(sc->loop);
	const char *tmp = getenv("TMPDIR");
	if (asprintf(&sc->work_dir, "%s/fakeagent-scenario.XXXXXX", tmp && *tmp ? tmp : "/tmp") <
	        0 ||
	    !mkdtemp(sc->work_dir)) {
		snprintf(err, sizeof(err), "cannot make a work dir: %s", strerror(errno));
		sc->setup_failure = strdup(err);
		sc->cur = 0;
		finish(sc);
		uv_run(sc->loop, UV_RUN_DEFAULT);
		return;
	}
	timeline_printf(&sc->tl, "scenario", "%s (%s)", sc->name, sc->file);
	sc->total_timeout = DEFAULT_TOTAL_TIMEOUT;
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(sc->doc, "timeout");
	if (cJSON_IsString(to))
		duration_parse(to->valuestring, &sc->total_timeout);
	if (setup(sc, err, sizeof(err)) < 0) {
		timeline_printf(&sc->tl, "FAIL", "setup: %s", err);
		sc->setup_failure = strdup(err);
		sc->setup_secs = mono() - t0;
		finish(sc);
	} else {
		sc->setup_secs = mono() - t0;
		sc->steps[0].started = mono();
		uv_timer_start(&sc->total, on_total, MS(sc->total_timeout), 0);
		schedule(sc, 0);
	}
	uv_run(sc->loop, UV_RUN_DEFAULT);
	stop_signal.running = NULL;
	bool failed = sc->setup_failure != NULL;
	for (size_t i = 0; i < sc->n; i++)
		failed |= sc->steps[i].failure != NULL;
	if ((failed && !stop_signal.signum) || sc->opts->keep) /* Ctrl-C is not worth a look */
		timeline_printf(&sc->tl, "scenario", "work dir kept: %s", sc->work_dir);
	else
		nftw(sc->work_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	print_summary(sc);
	for (size_t i = 0; i < sc->n_env; i++)
		free(sc->env[i]);
	for (size_t i = 0; i < sc->n_calls; i++)
		free(sc->calls[i]);
	free(sc->calls);
	execlog_free(&sc->xlog);
	timeline_free(&sc->tl);
}

static const char usage[] =
    "usage: fakeagent scenario FILE... [--junit FILE] [--executor PATH]\n"
    "                          [--fakeconsul PATH] [--fakevaas PATH] [--keep-sandbox]\n"
    "  --executor PATH     the executor binary (default $EXECUTOR_BIN)\n"
    "  --fakeconsul PATH   for scenarios with \"services\": [\"consul\"] (default: next to "
    "fakeagent)\n"
    "  --fakevaas PATH     for scenarios with \"services\": [\"vaas\"]\n"
    "  --junit FILE        write a JUnit XML report\n"
    "  --keep-sandbox      keep every scenario's work dir (failed ones are always kept)\n"
    "exit status: 0 every scenario passed, 1 one failed, 2 bad usage, 130/143 stopped by\n"
    "SIGINT/SIGTERM (the executor, its task and the helper servers are killed first)\n";

int fakeagent_scenario(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("%s", usage);
			return 0;
		}
	struct opts o = {.executor = getenv("EXECUTOR_BIN")};
	const char *files[256];
	size_t nfiles = 0;
	char err[2048];
	const char *v;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (cli_flag(argv, i, "--keep-sandbox")) {
			o.keep = true;
			continue;
		}
		if ((rc = cli_value(argc, argv, &i, "--junit", &v, err, sizeof(err))) ||
		    (rc = cli_value(argc, argv, &i, "--executor", &v, err, sizeof(err))) ||
		    (rc = cli_value(argc, argv, &i, "--fakeconsul", &v, err, sizeof(err))) ||
		    (rc = cli_value(argc, argv, &i, "--fakevaas", &v, err, sizeof(err)))) {
			if (rc < 0) {
				fprintf(stderr, "fakeagent scenario: %s\n%s", err, usage);
				return 2;
			}
			const char *opt = argv[i - (strchr(argv[i], '=') ? 0 : 1)];
			if (!strncmp(opt, "--junit", 7))
				o.junit = v;
			else if (!strncmp(opt, "--executor", 10))
				o.executor = v;
			else if (!strncmp(opt, "--fakeconsul", 12))
				o.fakeconsul = v;
			else
				o.fakevaas = v;
			continue;
		}
		if (argv[i][0] == '-' || nfiles == 256) {
			fprintf(stderr, "fakeagent scenario: unknown option %s\n%s", argv[i],
			        usage);
			return 2;
		}
		files[nfiles++] = argv[i];
	}
	if (!nfiles) {
		fprintf(stderr, "fakeagent scenario: no scenario file given\n%s", usage);
		return 2;
	}
	cli_process_setup();
	int sigs[2] = {SIGINT, SIGTERM};
	for (int i = 0; i < 2; i++) {
		uv_signal_init(uv_default_loop(), &stop_signal.sig[i]);
		uv_signal_start(&stop_signal.sig[i], on_stop_signal, sigs[i]);
		uv_unref((uv_handle_t *)&stop_signal.sig[i]);
	}

	struct scenario *scs = calloc(nfiles, sizeof(*scs));
	struct junit_suite *suites = calloc(nfiles, sizeof(*suites));
	struct junit_case **cases = calloc(nfiles, sizeof(*cases));
	size_t passed = 0, failed = 0;
	int code = 0;
	for (size_t f = 0; f < nfiles; f++) {
		struct scenario *sc = &scs[f];
		sc->file = files[f];
		sc->opts = &o;
		sc->doc = load_json_file(files[f], err, sizeof(err));
		if (sc->doc && !cJSON_IsObject(sc->doc)) {
			snprintf(err, sizeof(err), "%s: expected a JSON object", files[f]);
			cJSON_Delete(sc->doc);
			sc->doc = NULL;
		}
		if (stop_signal.signum) {
			snprintf(err, sizeof(err), "not run: interrupted");
			sc->setup_failure = strdup(err);
			sc->n = 0;
		} else if (!sc->doc || parse_steps(sc, err, sizeof(err)) < 0) {
			fprintf(stderr, "fakeagent scenario: %s\n", err);
			sc->setup_failure = strdup(err);
			sc->n = 0;
		} else {
			char copy[PATH_MAX];
			snprintf(copy, sizeof(copy), "%s", files[f]);
			snprintf(sc->dir, sizeof(sc->dir), "%s", dirname(copy));
			const char *name = sstr(sc->doc, "name");
			snprintf(sc->name, sizeof(sc->name), "%s", name ? name : files[f]);
			run_file(sc);
		}
		if (!sc->name[0])
			snprintf(sc->name, sizeof(sc->name), "%s", files[f]);
		size_t nc = sc->n + (sc->setup_failure ? 1 : 0);
		cases[f] = calloc(nc ? nc : 1, sizeof(**cases));
		size_t k = 0;
		bool bad = false;
		if (sc->setup_failure) {
			cases[f][k++] = (struct junit_case){.name = "00 setup",
			                                    .secs = sc->setup_secs,
			                                    .failure = sc->setup_failure};
			bad = true;
		}
		for (size_t i = 0; i < sc->n; i++) {
			cases[f][k++] = (struct junit_case){.name = sc->steps[i].name,
			                                    .secs = sc->steps[i].secs,
			                                    .skipped = sc->steps[i].skipped,
			                                    .failure = sc->steps[i].failure};
			bad |= sc->steps[i].failure != NULL || sc->steps[i].skipped;
		}
		suites[f] = (struct junit_suite){
		    .name = sc->name, .file = files[f], .cases = cases[f], .n = k};
		printf("%s: %s\n", bad ? "FAILED" : "PASSED", sc->name);
		fflush(stdout);
		bad ? failed++ : passed++;
	}
	if (o.junit && junit_write(o.junit, suites, nfiles) < 0) {
		fprintf(stderr, "fakeagent scenario: cannot write %s: %s\n", o.junit,
		        strerror(errno));
		code = 2;
	}
	printf("scenarios: %zu passed, %zu failed\n", passed, failed);
	if (failed && !code)
		code = 1;
	if (stop_signal.signum)
		code = 128 + stop_signal.signum;
	for (size_t f = 0; f < nfiles; f++) {
		for (size_t i = 0; i < scs[f].n; i++)
			free(scs[f].steps[i].failure);
		free(scs[f].steps);
		free(scs[f].setup_failure);
		free(scs[f].work_dir);
		cJSON_Delete(scs[f].doc);
		free(cases[f]);
	}
	free(scs);
	free(suites);
	free(cases);
	for (int i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&stop_signal.sig[i], NULL);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	uv_loop_close(uv_default_loop());
	stop_signal.signum = 0;
	return code;
}
