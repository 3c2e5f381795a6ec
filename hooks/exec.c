/* The exec hook: runs the command in ALLEGRO_EXECUTOR_EXEC_HOOK with
 * /bin/sh -c for every event, so users can plug in their own integration
 * without recompiling. The command reads one JSON object on stdin:
 *
 *   {"event":"BeforeTaskStart","task":<TaskInfo as Mesos JSON>,
 *    "executor_id":"...","framework_id":"...","agent_id":"...",
 *    "agent_hostname":"..."|null,"sandbox":"..."}
 *
 * Exit status 0 is success. For BeforeTaskStart every non-empty stdout line
 * must be KEY=VALUE and is added to the task's environment; other events
 * ignore stdout. A non-zero exit, a signal or the timeout
 * (ALLEGRO_EXECUTOR_EXEC_HOOK_TIMEOUT, 30s by default; the process group is
 * killed) fails the hook with the status and the first line of output.
 *
 * Unlike the Go executor's library-only exec hook, it is wired in, runs for
 * every event, and may run any number of times. */
#include "common/duration.h"
#include "common/log.h"
#include "hook.h"
#include "proto/pbjson.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define EXEC_OUTPUT_MAX (64 * 1024)

struct exec_state {
	char *command; /* the shell command (owned) */
	int64_t timeout_ms;
};

static int exec_init(struct hook *h, struct envcfg *cfg)
{
	const char *cmd = envcfg_get(cfg, "ALLEGRO_EXECUTOR_EXEC_HOOK");
	const char *tv = envcfg_get(cfg, "ALLEGRO_EXECUTOR_EXEC_HOOK_TIMEOUT");
	if (!cmd || !*cmd)
		return 0;
	int errors = cfg->nerrors;
	int64_t t = envcfg_duration(cfg, "ALLEGRO_EXECUTOR_EXEC_HOOK_TIMEOUT", tv,
	                            hook_setting_duration("ALLEGRO_EXECUTOR_EXEC_HOOK_TIMEOUT"));
	if (t < DURATION_NS_PER_MS)
		envcfg_fail(cfg,
		            "ALLEGRO_EXECUTOR_EXEC_HOOK_TIMEOUT: expected a duration of at least "
		            "1ms, got '%s'",
		            tv);
	if (cfg->nerrors > errors)
		return 0;
	struct exec_state *st = calloc(1, sizeof(*st));
	if (!st || !(st->command = strdup(cmd))) {
		free(st);
		envcfg_fail(cfg, "exec hook: out of memory");
		return 0;
	}
	st->timeout_ms = t / DURATION_NS_PER_MS;
	h->state = st;
	h->timeout_ms = st->timeout_ms + 10 * 1000; /* the command is killed first */
	return 1;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* The JSON the command reads; malloc'd, NULL when out of memory. */
static char *event_json(const struct hook_call *call)
{
	const struct hook_env *env = call->env;
	cJSON *o = cJSON_CreateObject();
	cJSON *task = call->task ? pbjson_to_json(&call->task->base, 0) : cJSON_CreateNull();
	if (!o || !task) {
		cJSON_Delete(o);
		cJSON_Delete(task);
		return NULL;
	}
	cJSON_AddStringToObject(o, "event", hook_event_name(call->event));
	cJSON_AddItemToObject(o, "task", task);
	add_str(o, "executor_id", env ? env->executor_id : NULL);
	add_str(o, "framework_id", env ? env->framework_id : NULL);
	add_str(o, "agent_id", env ? env->agent_id : NULL);
	add_str(o, "agent_hostname", env ? env->agent_hostname : NULL);
	add_str(o, "sandbox", env ? env->sandbox : NULL);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void first_line(const char *out, char *buf, size_t len)
{
	while (*out == '\n' || *out == '\r')
		out++;
	size_t n = strcspn(out, "\r\n");
	snprintf(buf, len, "%.*s", (int)(n < 200 ? n : 200), out);
}

/* Adds each KEY=VALUE line of out to the result. */
static int parse_env(char *out, struct hook_result *res)
{
	char *save = NULL;
	int lineno = 0;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (hook_setenv(res, line) < 0) {
			char msg[sizeof(res->error)];
			snprintf(msg, sizeof(msg), "%s", res->error);
			return hook_fail(res, "exec hook output line %d: %s", lineno, msg);
		}
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int exec_handle(struct hook *h, const struct hook_call *call, struct hook_result *res)
{
	struct exec_state *st = h->state;
	const char *ev = hook_event_name(call->event);
	if (!call->env || !call->env->run)
		return hook_fail(res, "exec hook: the executor provides no way to run commands");
	char *input = event_json(call);
	char *out = calloc(1, EXEC_OUTPUT_MAX);
	if (!input || !out) {
		free(input);
		free(out);
		return hook_fail(res, "exec hook: out of memory");
	}
	char *const argv[] = {"/bin/sh", "-c", st->command, NULL};
	int64_t timeout = hook_ms_left(call, st->timeout_ms); /* the chain's time may end first */
	if (timeout <= 0) {
		free(input);
		free(out);
		return hook_fail(
		    res, "exec hook for %s: no time left (ALLEGRO_EXECUTOR_HOOK_TIMEOUT)", ev);
	}
	int64_t start = now_ms();
	int ws = call->env->run(argv, NULL, input, out, EXEC_OUTPUT_MAX, timeout);
	int64_t took = now_ms() - start;
	int err = errno;
	free(input);

	char line[256];
	int ret = 0;
	first_line(out, line, sizeof(line));
	if (ws < 0 && err == ETIMEDOUT) {
		ret = hook_fail(res, "exec hook for %s timed out after %lldms%s%s", ev,
		                (long long)timeout, line[0] ? ": " : "", line);
	} else if (ws < 0) {
		ret = hook_fail(res, "exec hook for %s: cannot run the command: %s", ev,
		                strerror(err));
	} else if (WIFSIGNALED(ws)) {
		int sig = WTERMSIG(ws);
		if (took >= timeout)
			ret = hook_fail(
			    res, "exec hook for %s timed out after %lldms (killed by %s)%s%s", ev,
			    (long long)timeout, strsignal(sig), line[0] ? ": " : "", line);
		else
			ret = hook_fail(res, "exec hook for %s was killed by signal %d (%s)%s%s",
			                ev, sig, strsignal(sig), line[0] ? ": " : "", line);
	} else if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		ret = hook_fail(res, "exec hook for %s exited with status %d%s%s", ev,
		                WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, line[0] ? ": " : "", line);
	} else if (call->event == HOOK_BEFORE_TASK_START) {
		if (strlen(out) >= EXEC_OUTPUT_MAX - 1)
			ret = hook_fail(res, "exec hook for %s printed more than %d bytes", ev,
			                EXEC_OUTPUT_MAX - 1);
		else
			ret = parse_env(out, res);
	}
	if (ret == 0)
		log_fields(LOG_INFO, "exec hook succeeded", "event", ev, NULL);
	free(out);
	return ret;
}

static void exec_destroy(struct hook *h)
{
	struct exec_state *st = h->state;
	if (!st)
		return;
	free(st->command);
	free(st);
	h->state = NULL;
}

struct hook hook_exec = {
    .name = "exec",
    .init = exec_init,
    .handle = exec_handle,
    .destroy = exec_destroy,
};
