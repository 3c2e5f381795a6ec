/* The expect-* steps on what the agent and the sandbox saw: updates (in
 * order, from the previous match on), the executor's calls, its exit
 * status, its log lines, and processes of its sandbox that must be gone.
 * Each check passes, fails, or asks to run again shortly until the step
 * times out or the executor is gone. */
#include "fakeagent/agent/procscan.h"
#include "scenario.h"

#include "proto/mesos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Whether u has every field spec gives. "ignored" (the agent refused the
 * update) is matched when given; when not, expect-update sees only the
 * updates the agent took, and expect-no-update every update the executor
 * sent (any_ignored): what it forbids is the executor's sending it. */
static bool update_matches(const struct fa_update *u, const cJSON *spec, bool any_ignored)
{
	const char *state = scenario_str(spec, "state"), *reason = scenario_str(spec, "reason");
	const char *source = scenario_str(spec, "source");
	const cJSON *message = cJSON_GetObjectItemCaseSensitive(spec, "message"), *part;
	const cJSON *parts = cJSON_IsArray(message) ? message : NULL; /* all must appear */
	const cJSON *healthy = cJSON_GetObjectItemCaseSensitive(spec, "healthy");
	const cJSON *acked = cJSON_GetObjectItemCaseSensitive(spec, "acknowledged");
	const cJSON *ignored = cJSON_GetObjectItemCaseSensitive(spec, "ignored");
	if ((ignored || !any_ignored) && (u->ignored != NULL) != cJSON_IsTrue(ignored))
		return false;
	if (state && strcmp(state, mesos_task_state_name(u->state)))
		return false;
	if (cJSON_IsBool(healthy) && u->healthy != (cJSON_IsTrue(healthy) ? 1 : 0))
		return false;
	if (cJSON_IsBool(acked) && u->acknowledged != cJSON_IsTrue(acked))
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
		o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s", o ? ", " : "",
		                      mesos_task_state_name(ups[i].state),
		                      ups[i].healthy < 0 ? ""
		                      : ups[i].healthy   ? " healthy"
		                                         : " unhealthy",
		                      ups[i].ignored ? " (ignored)" : "");
	if (!o)
		snprintf(buf, len, "none");
}

static void check_update(struct scenario *sc, struct step *st)
{
	struct fa_task *t = fa_agent_task(sc->agent, sc->task_id);
	const struct fa_update *ups;
	size_t n = fa_task_updates(t, &ups);
	for (size_t i = sc->cursor; i < n; i++) {
		if (update_matches(&ups[i], st->spec, false)) {
			sc->cursor = i + 1;
			scenario_step_done(sc, NULL);
			return;
		}
	}
	/* gone for good: a recovering agent still reconciles the tasks it forgot */
	bool ended =
	    fa_executor_is_terminated(fa_task_executor(t)) && !fa_agent_recovering(sc->agent);
	if (ended || scenario_timed_out(st)) {
		char seen[1024];
		describe_updates(ups, sc->cursor, n, seen, sizeof(seen));
		scenario_step_done(
		    sc, "%s; updates since the previous match: %s",
		    ended ? "the executor is gone and no update matched" : "timed out", seen);
		return;
	}
	scenario_schedule(sc, 200);
}

static void check_no_update(struct scenario *sc, struct step *st)
{
	struct fa_task *t = fa_agent_task(sc->agent, sc->task_id);
	const struct fa_update *ups;
	size_t n = fa_task_updates(t, &ups);
	bool after = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->spec, "after_match"));
	for (size_t i = after ? sc->cursor : 0; i < n; i++)
		if (update_matches(&ups[i], st->spec, true)) {
			scenario_step_done(sc, "an unwanted %s update arrived%s%s%s",
			                   mesos_task_state_name(ups[i].state),
			                   ups[i].ignored ? " (the agent refused it: " : "",
			                   ups[i].ignored ? ups[i].ignored : "",
			                   ups[i].ignored ? ")" : "");
			return;
		}
	int64_t span = scenario_step_duration(st, "for", 0);
	if (scenario_mono() - st->started >= (double)span / 1e9) {
		scenario_step_done(sc, NULL);
		return;
	}
	scenario_schedule(sc, 100);
}

static void check_executor_exit(struct scenario *sc, struct step *st)
{
	struct fa_executor *e = fa_task_executor(fa_agent_task(sc->agent, sc->task_id));
	if (!fa_executor_is_terminated(e)) {
		if (scenario_timed_out(st))
			scenario_step_done(sc, "the executor is still running");
		else
			scenario_schedule(sc, 100);
		return;
	}
	long want = scenario_step_num(sc, st, "status");
	int ws = fa_executor_wait_status(e);
	if (want >= 0 && !(ws >= 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == want))
		scenario_step_done(
		    sc, "the executor ended with wait status %d, expected exit status %ld", ws,
		    want);
	else
		scenario_step_done(sc, NULL);
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
	size_t n = 0;
	struct procscan_entry *v = procscan_snapshot(&n);
	bool found = false;
	char cmd[4096];
	for (size_t i = 0; i < n && !found; i++) {
		if (pattern)
			found = procscan_cmdline(v[i].pid, cmd, sizeof(cmd)) &&
			        strstr(cmd, pattern) && (!sandbox || in_sandbox(v[i].pid, sandbox));
		else
			found = sid > 0 && v[i].session == sid;
		if (found)
			snprintf(what, len, "pid %d (%.200s)", (int)v[i].pid,
			         pattern ? cmd : "in the session");
	}
	free(v);
	return found;
}

static void check_process_gone(struct scenario *sc, struct step *st)
{
	struct fa_executor *e = fa_task_executor(fa_agent_task(sc->agent, sc->task_id));
	char pattern[512], what[600] = "";
	const char *pat = scenario_step_str(sc, st, "cmdline", pattern, sizeof(pattern));
	/* "before_exit": the executor may live on (waiting for an ACK); only the
	 * processes with that command line must be gone already. */
	bool wait_exit = !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->spec, "before_exit"));
	bool alive =
	    (wait_exit && !fa_executor_is_terminated(e)) ||
	    live_process(fa_executor_pid(e), pat, fa_executor_sandbox(e), what, sizeof(what));
	if (!alive) {
		scenario_step_done(sc, NULL);
		return;
	}
	if (scenario_timed_out(st)) {
		scenario_step_done(sc, "still running: %s", what[0] ? what : "the executor");
		return;
	}
	scenario_schedule(sc, 100);
}

/* Whether a call the agent noted (its text) is of type `want` and has the
 * step's SUBSCRIBE details: encoding, unacknowledged_updates and _tasks. */
static bool call_matches(const char *text, const char *want, const cJSON *spec)
{
	size_t wl = strlen(want);
	if (strncmp(text, want, wl) || (text[wl] && text[wl] != ' '))
		return false;
	const char *enc = scenario_str(spec, "encoding");
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
	const char *want = scenario_str(st->spec, "call");
	for (size_t i = sc->call_cursor; i < sc->n_calls; i++)
		if (call_matches(sc->calls[i], want, st->spec)) {
			sc->call_cursor = i + 1;
			scenario_step_done(sc, NULL);
			return;
		}
	bool ended =
	    fa_executor_is_terminated(fa_task_executor(fa_agent_task(sc->agent, sc->task_id)));
	if (ended || scenario_timed_out(st)) {
		char seen[1024];
		describe_calls(sc, sc->call_cursor, seen, sizeof(seen));
		scenario_step_done(
		    sc, "%s; calls since the previous match: %s",
		    ended ? "the executor is gone and made no such call" : "timed out", seen);
		return;
	}
	scenario_schedule(sc, 100);
}

/* No matching call since the previous expect-call match, nor during `for`. */
static void check_no_call(struct scenario *sc, struct step *st)
{
	const char *want = scenario_str(st->spec, "call");
	for (size_t i = sc->call_cursor; i < sc->n_calls; i++)
		if (call_matches(sc->calls[i], want, st->spec)) {
			scenario_step_done(sc, "an unwanted call arrived: %s", sc->calls[i]);
			return;
		}
	if (scenario_mono() - st->started >= (double)scenario_step_duration(st, "for", 0) / 1e9) {
		scenario_step_done(sc, NULL);
		return;
	}
	scenario_schedule(sc, 100);
}

static void check_executor_log(struct scenario *sc, struct step *st)
{
	char text[512];
	const char *want = scenario_step_str(sc, st, "message", text, sizeof(text));
	/* ended first: a line written just before the exit is read below */
	bool ended =
	    fa_executor_is_terminated(fa_task_executor(fa_agent_task(sc->agent, sc->task_id)));
	execlog_poll(&sc->xlog);
	long i = execlog_find(&sc->xlog, sc->xlog_cursor, want);
	if (i >= 0) {
		sc->xlog_cursor = (size_t)i + 1;
		scenario_step_done(sc, NULL);
		return;
	}
	if (ended || scenario_timed_out(st)) {
		scenario_step_done(
		    sc,
		    "%s; no line of the executor's log after the previous match has a msg "
		    "containing \"%s\"",
		    ended ? "the executor is gone" : "timed out", want);
		return;
	}
	scenario_schedule(sc, 100);
}

bool scenario_expect(struct scenario *sc, struct step *st)
{
	static const struct {
		const char *kind;
		void (*check)(struct scenario *, struct step *);
	} checks[] = {
	    {"expect-update", check_update},
	    {"expect-no-update", check_no_update},
	    {"expect-call", check_call},
	    {"expect-no-call", check_no_call},
	    {"expect-executor-log", check_executor_log},
	    {"expect-executor-exit", check_executor_exit},
	    {"expect-process-gone", check_process_gone},
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (!strcmp(st->kind, checks[i].kind)) {
			checks[i].check(sc, st);
			return true;
		}
	return false;
}
