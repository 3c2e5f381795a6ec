/* The running checker (see health.h): one job for the task's health check and
 * one for its generalized check, independent of each other. A job is a timer
 * and at most one probe in flight: the first probe runs delay_seconds after
 * the start, each next one interval_seconds after the previous one finished
 * (not at a fixed rate), as Mesos' CheckerProcess does
 * (src/checks/checker_process.cpp, CheckerProcess::scheduleNext). Health
 * results go through the counter of health_rules.h and reach on_health only
 * when they need an update; check results reach on_check only when they
 * differ from the previous one, an error or a timeout giving an empty
 * result. */
#include "health.h"

#include "common/duration.h"
#include "common/envlist.h"
#include "common/log.h"
#include "common/str.h"
#include "executor/health_probe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

struct job {
	struct health *h;
	bool is_health; /* the health check, or the generalized check */
	bool active;
	uv_timer_t timer;           /* the next probe */
	struct health_probe *probe; /* in flight, or NULL */
	struct health_timing timing;
	const char *type_name; /* "HTTP", "TCP", "COMMAND" */
	/* The probe's target, owned: spec points into these. */
	struct health_probe_spec spec;
	char *url;      /* HTTP */
	char ip[16];    /* TCP: "127.0.0.1" or "::1" */
	char where[64]; /* TCP: "127.0.0.1:PORT" or "[::1]:PORT", for messages */
	char *path;     /* COMMAND in exec form: the program */
	char **argv;    /* COMMAND, NULL-terminated */
	char **envp;    /* COMMAND, NULL-terminated */
	/* health check */
	struct health_counter counter;
	/* generalized check: the previous result (initially empty) */
	Mesos__V1__CheckInfo__Type check_type;
	bool prev_has_value;
	int64_t prev_value; /* exit code, status code, or succeeded */
};

struct health {
	uv_loop_t *loop;
	struct health_cbs cbs;
	int64_t (*now)(void);
	char *cwd; /* sandbox, owned */
	struct job health, check;
	int handles_open;
	bool stopped;
};

static int64_t now_ns(struct health *h)
{
	return h->now ? h->now() : (int64_t)uv_hrtime();
}

static void job_free(struct job *j)
{
	free(j->url);
	free(j->path);
	strv_free(j->argv);
	strv_free(j->envp);
}

/* ---- building a job's target */

/* Sets "NAME=VALUE"; an entry without a name is left out. -1 only when
 * memory runs out. */
static int put(struct envlist *l, const char *kv)
{
	return envlist_put(l, kv) == 0 || errno == EINVAL ? 0 : -1;
}

/* The task's environment (or the executor's) with the command's variables
 * set over it; secrets are skipped, as the command executor does. */
static char **build_env(char *const *base, const Mesos__V1__CommandInfo *cmd)
{
	struct envlist l = {0};
	size_t nvars = cmd->environment ? cmd->environment->n_variables : 0;
	for (char *const *e = base ? base : environ; *e; e++)
		if (put(&l, *e) < 0)
			goto oom;
	for (size_t i = 0; i < nvars; i++) {
		const Mesos__V1__Environment__Variable *v = cmd->environment->variables[i];
		if (!v->name || !v->value ||
		    (v->has_type && v->type != MESOS__V1__ENVIRONMENT__VARIABLE__TYPE__VALUE))
			continue;
		char *kv;
		if (asprintf(&kv, "%s=%s", v->name, v->value) < 0)
			goto oom;
		int rc = put(&l, kv);
		free(kv);
		if (rc < 0)
			goto oom;
	}
	return envlist_take(&l);
oom:
	envlist_free(&l);
	return NULL;
}

/* Shell form: /bin/sh -c value. Exec form: `value` is the program and
 * `arguments` its whole argv (argv[0] included), or just `value` when there
 * are none. */
static char **build_argv(const Mesos__V1__CommandInfo *cmd)
{
	bool shell = cmd->has_shell ? cmd->shell : true;
	size_t n = shell ? 3 : (cmd->n_arguments ? cmd->n_arguments : 1);
	char **argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return NULL;
	if (shell) {
		argv[0] = strdup("/bin/sh");
		argv[1] = strdup("-c");
		argv[2] = strdup(cmd->value);
	} else if (cmd->n_arguments == 0) {
		argv[0] = strdup(cmd->value);
	} else {
		for (size_t i = 0; i < n; i++)
			argv[i] = strdup(cmd->arguments[i] ? cmd->arguments[i] : "");
	}
	for (size_t i = 0; i < n; i++)
		if (!argv[i]) {
			strv_free_n(argv, n);
			return NULL;
		}
	return argv;
}

static int target_command(struct job *j, const Mesos__V1__CommandInfo *cmd, char *const *task_env)
{
	j->type_name = "COMMAND";
	j->spec.kind = HEALTH_PROBE_COMMAND;
	bool shell = cmd->has_shell ? cmd->shell : true;
	j->argv = build_argv(cmd);
	j->envp = build_env(task_env, cmd);
	if (!shell)
		j->path = strdup(cmd->value);
	if (!j->argv || !j->envp || (!shell && !j->path))
		return -1;
	j->spec.path = j->path;
	j->spec.argv = j->argv;
	j->spec.envp = j->envp;
	return 0;
}

static int target_http(struct job *j, const char *scheme, bool ipv6, uint32_t port,
                       const char *path)
{
	j->type_name = "HTTP";
	j->spec.kind = HEALTH_PROBE_HTTP;
	if (asprintf(&j->url, "%s://%s:%u%s", scheme ? scheme : "http",
	             ipv6 ? "[::1]" : "127.0.0.1", port, path ? path : "") < 0) {
		j->url = NULL;
		return -1;
	}
	j->spec.url = j->url;
	return 0;
}

static int target_tcp(struct job *j, bool ipv6, uint32_t port)
{
	j->type_name = "TCP";
	j->spec.kind = HEALTH_PROBE_TCP;
	snprintf(j->ip, sizeof(j->ip), "%s", ipv6 ? "::1" : "127.0.0.1");
	snprintf(j->where, sizeof(j->where), ipv6 ? "[%s]:%u" : "%s:%u", j->ip, port);
	j->spec.ip = j->ip;
	j->spec.port = port;
	return 0;
}

static int health_target(struct job *j, const Mesos__V1__HealthCheck *hc, char *const *task_env)
{
	switch (health_type(hc)) {
	case MESOS__V1__HEALTH_CHECK__TYPE__COMMAND:
		return target_command(j, hc->command, task_env);
	case MESOS__V1__HEALTH_CHECK__TYPE__HTTP:
		return target_http(j, hc->http->scheme,
		                   hc->http->has_protocol &&
		                       hc->http->protocol ==
		                           MESOS__V1__NETWORK_INFO__PROTOCOL__IPv6,
		                   hc->http->port, hc->http->path);
	case MESOS__V1__HEALTH_CHECK__TYPE__TCP:
		return target_tcp(j,
		                  hc->tcp->has_protocol &&
		                      hc->tcp->protocol == MESOS__V1__NETWORK_INFO__PROTOCOL__IPv6,
		                  hc->tcp->port);
	default:
		return -1; /* validated before */
	}
}

static int check_target(struct job *j, const Mesos__V1__CheckInfo *ci, char *const *task_env)
{
	j->check_type = ci->type;
	switch (ci->type) {
	case MESOS__V1__CHECK_INFO__TYPE__COMMAND:
		return target_command(j, ci->command->command, task_env);
	case MESOS__V1__CHECK_INFO__TYPE__HTTP:
		return target_http(j, "http", false, ci->http->port, ci->http->path);
	case MESOS__V1__CHECK_INFO__TYPE__TCP:
		return target_tcp(j, false, ci->tcp->port);
	default:
		return -1; /* validated before */
	}
}

/* ---- results */

/* Whether a health probe passed, and a message that says why. */
static bool health_judge(const struct job *j, const struct health_probe_result *r, char *msg,
                         size_t len)
{
	const char *t = j->type_name;
	char secs[32];

	if (r->outcome == HEALTH_PROBE_TIMEOUT) {
		duration_format_mesos(j->timing.timeout_ns, secs, sizeof(secs));
		if (j->spec.kind == HEALTH_PROBE_HTTP)
			snprintf(msg, len, "HTTP health check timed out after %s waiting for %s",
			         secs, j->url);
		else if (j->spec.kind == HEALTH_PROBE_TCP)
			snprintf(msg, len, "TCP health check timed out after %s connecting to %s",
			         secs, j->where);
		else
			snprintf(msg, len, "%s health check timed out after %s", t, secs);
		return false;
	}
	if (r->outcome == HEALTH_PROBE_ERROR) {
		if (j->spec.kind == HEALTH_PROBE_HTTP)
			snprintf(msg, len, "HTTP health check failed: %s: %s", j->url, r->error);
		else
			snprintf(msg, len, "%s health check failed: %s", t, r->error);
		return false;
	}
	switch (j->spec.kind) {
	case HEALTH_PROBE_HTTP: {
		bool ok = r->http_status >= 200 && r->http_status < 400;
		snprintf(msg, len, "HTTP health check %s: got status %ld from %s",
		         ok ? "passed" : "failed", r->http_status, j->url);
		return ok;
	}
	case HEALTH_PROBE_TCP:
		if (r->connected)
			snprintf(msg, len, "TCP health check passed: connected to %s", j->where);
		else
			snprintf(msg, len, "TCP health check failed: %s to %s",
			         r->error ? r->error : "cannot connect", j->where);
		return r->connected;
	case HEALTH_PROBE_COMMAND:
		if (WIFEXITED(r->wstatus) && WEXITSTATUS(r->wstatus) == 0) {
			snprintf(msg, len, "COMMAND health check passed");
			return true;
		}
		if (WIFEXITED(r->wstatus))
			snprintf(msg, len, "COMMAND health check failed: exited with status %d",
			         WEXITSTATUS(r->wstatus));
		else if (WIFSIGNALED(r->wstatus))
			snprintf(msg, len,
			         "COMMAND health check failed: terminated by signal %d (%s)",
			         WTERMSIG(r->wstatus), strsignal(WTERMSIG(r->wstatus)));
		else
			snprintf(msg, len, "COMMAND health check failed: wait status %d",
			         r->wstatus);
		return false;
	}
	return false;
}

static void health_result(struct job *j, const struct health_probe_result *r)
{
	struct health *h = j->h;
	char msg[1024];
	bool ok = health_judge(j, r, msg, sizeof(msg));
	enum health_verdict v = health_counter_result(&j->counter, ok, now_ns(h));

	if (ok)
		log_debug("%s", msg);
	else if (v == HEALTH_QUIET)
		log_info("ignoring a health check failure in the grace period: %s", msg);
	else
		log_warn("%s (consecutive failures: %u)", msg, j->counter.failures);
	if (v != HEALTH_QUIET && h->cbs.on_health)
		h->cbs.on_health(h->cbs.data, v, msg);
}

static void check_result(struct job *j, const struct health_probe_result *r)
{
	struct health *h = j->h;
	bool has = false;
	int64_t value = 0;
	char secs[32];

	switch (r->outcome) {
	case HEALTH_PROBE_DONE:
		if (j->spec.kind == HEALTH_PROBE_HTTP) {
			has = true;
			value = r->http_status;
		} else if (j->spec.kind == HEALTH_PROBE_TCP) {
			has = true;
			value = r->connected;
		} else if (WIFEXITED(r->wstatus)) {
			has = true;
			value = WEXITSTATUS(r->wstatus);
		} else {
			log_warn("%s check failed: terminated by signal %d", j->type_name,
			         WTERMSIG(r->wstatus));
		}
		break;
	case HEALTH_PROBE_ERROR:
		log_warn("%s check failed: %s", j->type_name, r->error);
		break;
	case HEALTH_PROBE_TIMEOUT:
		duration_format_mesos(j->timing.timeout_ns, secs, sizeof(secs));
		log_warn("%s check timed out after %s", j->type_name, secs);
		break;
	}
	if (has == j->prev_has_value && (!has || value == j->prev_value))
		return; /* unchanged: no update */
	j->prev_has_value = has;
	j->prev_value = value;

	Mesos__V1__CheckStatusInfo st = MESOS__V1__CHECK_STATUS_INFO__INIT;
	Mesos__V1__CheckStatusInfo__Command cmd = MESOS__V1__CHECK_STATUS_INFO__COMMAND__INIT;
	Mesos__V1__CheckStatusInfo__Http http = MESOS__V1__CHECK_STATUS_INFO__HTTP__INIT;
	Mesos__V1__CheckStatusInfo__Tcp tcp = MESOS__V1__CHECK_STATUS_INFO__TCP__INIT;
	st.has_type = true;
	st.type = j->check_type;
	switch (j->spec.kind) {
	case HEALTH_PROBE_COMMAND:
		st.command = &cmd;
		cmd.has_exit_code = has;
		cmd.exit_code = (int32_t)value;
		break;
	case HEALTH_PROBE_HTTP:
		st.http = &http;
		http.has_status_code = has;
		http.status_code = (uint32_t)value;
		break;
	case HEALTH_PROBE_TCP:
		st.tcp = &tcp;
		tcp.has_succeeded = has;
		tcp.succeeded = value != 0;
		break;
	}
	log_info("%s check result changed", j->type_name);
	if (h->cbs.on_check)
		h->cbs.on_check(h->cbs.data, &st);
}

/* ---- scheduling */

static void job_schedule(struct job *j, int64_t after_ns);

static void job_probe_done(void *data, const struct health_probe_result *r)
{
	struct job *j = data;
	j->probe = NULL;
	if (j->h->stopped)
		return;
	if (j->is_health)
		health_result(j, r);
	else
		check_result(j, r);
	/* The callback may have stopped everything (a kill started). */
	if (!j->h->stopped)
		job_schedule(j, j->timing.interval_ns);
}

static void job_fire(uv_timer_t *t)
{
	struct job *j = t->data;
	j->probe = health_probe_start(j->h->loop, &j->spec, job_probe_done, j);
	if (!j->probe) {
		log_error("cannot start a %s probe: out of memory", j->type_name);
		job_schedule(j, j->timing.interval_ns);
	}
}

static void job_schedule(struct job *j, int64_t after_ns)
{
	/* From now, not from the start of this loop iteration: the interval
	 * runs from the end of the previous probe. */
	uv_update_time(j->h->loop);
	uv_timer_start(&j->timer, job_fire, (uint64_t)((after_ns + 999999) / 1000000), 0);
}

static void health_free(struct health *h)
{
	job_free(&h->health);
	job_free(&h->check);
	free(h->cwd);
	free(h);
}

static void timer_closed(uv_handle_t *t)
{
	struct health *h = ((struct job *)t->data)->h;
	if (--h->handles_open == 0)
		health_free(h);
}

static void job_init(struct health *h, struct job *j, bool is_health, struct httpc *http)
{
	j->h = h;
	j->is_health = is_health;
	j->active = true;
	j->spec.timeout_ns = j->timing.timeout_ns;
	j->spec.http = http;
	j->spec.cwd = h->cwd;
	uv_timer_init(h->loop, &j->timer);
	j->timer.data = j;
	h->handles_open++;
}

struct health *health_start(const struct health_opts *o)
{
	const Mesos__V1__TaskInfo *task = o->task;
	char err[512];
	bool want_health = false, want_check = false;

	if (task->health_check) {
		if (health_validate(task->health_check, err, sizeof(err)) == 0)
			want_health = true;
		else
			log_error("invalid health check, running the task without it: %s", err);
	}
	if (task->check) {
		if (check_validate(task->check, err, sizeof(err)) == 0)
			want_check = true;
		else
			log_error("invalid check, running the task without it: %s", err);
	}
	if (!want_health && !want_check)
		return NULL;

	struct health *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->loop = o->loop;
	h->cbs = o->cbs;
	h->now = o->now;
	if (o->sandbox && !(h->cwd = strdup(o->sandbox)))
		goto oom;
	if (want_health) {
		health_timing_of(task->health_check, &h->health.timing);
		if (health_target(&h->health, task->health_check, o->task_env) < 0)
			goto oom;
	}
	if (want_check) {
		check_timing_of(task->check, &h->check.timing);
		if (check_target(&h->check, task->check, o->task_env) < 0)
			goto oom;
	}

	/* The checker is created now: the grace period and the delay start. */
	char delay[32];
	if (want_health) {
		job_init(h, &h->health, true, o->http);
		health_counter_init(&h->health.counter, task->health_check, now_ns(h));
		job_schedule(&h->health, h->health.timing.delay_ns);
		duration_format_mesos(h->health.timing.delay_ns, delay, sizeof(delay));
		log_info("%s health check starts in %s", h->health.type_name, delay);
	}
	if (want_check) {
		job_init(h, &h->check, false, o->http);
		job_schedule(&h->check, h->check.timing.delay_ns);
		duration_format_mesos(h->check.timing.delay_ns, delay, sizeof(delay));
		log_info("%s check starts in %s", h->check.type_name, delay);
	}
	return h;
oom:
	log_error("cannot start health checks: out of memory");
	health_free(h);
	return NULL;
}

void health_stop(struct health *h)
{
	if (!h || h->stopped)
		return;
	h->stopped = true;
	struct job *jobs[2] = {&h->health, &h->check};
	for (int i = 0; i < 2; i++) {
		struct job *j = jobs[i];
		if (!j->active)
			continue;
		uv_timer_stop(&j->timer);
		health_probe_cancel(j->probe);
		j->probe = NULL;
		uv_close((uv_handle_t *)&j->timer, timer_closed);
	}
}
