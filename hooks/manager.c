/* The hook manager (see manager.h).
 *
 * A chain runs in a uv_work_t. Its result travels back in a job struct that
 * both sides reference: the worker fills it, the loop reads it in the after
 * callback. When the watchdog timer fires first, the loop reports a timeout
 * and marks the job abandoned; the after callback then only frees it.
 *
 * One chain runs at a time, abandoned ones included: a chain asked for while
 * an abandoned one still runs waits for it (the hooks' state, such as what
 * Consul has registered, is never touched by two threads), its time counting
 * from when it was asked. The chain's deadline (hook_call.deadline_ms) lets
 * hooks stop waiting once the event has failed, so that wait is short. */
#include "manager.h"

#include "common/duration.h"
#include "common/log.h"
#include "common/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_HOOKS 8

struct job {
	struct hook_manager *m;
	uv_work_t work;
	enum hook_event ev;
	const Mesos__V1__TaskInfo *task;
	char *const *task_env;
	/* results, written by the worker */
	char error[700];
	char **env;
	size_t nenv;
	bool abandoned;                /* the loop already reported a timeout */
	int64_t limit_ms, deadline_ms; /* the chain's time and its end (monotonic) */
	bool capped;                   /* limit_ms is ALLEGRO_EXECUTOR_HOOK_TIMEOUT */
	hooks_done_cb cb;
	void *data;
};

struct hook_manager {
	uv_loop_t *loop;
	const struct hook_env *env;
	int64_t cap_ms; /* ALLEGRO_EXECUTOR_HOOK_TIMEOUT: the whole chain */
	struct hook *hooks[MAX_HOOKS];
	size_t n;
	struct job *running;       /* the chain being waited for (maybe not started yet) */
	struct job *waiting;       /* asked for while an abandoned chain still runs */
	bool worker_busy;          /* a chain is on the thread pool */
	uv_timer_t watchdog, idle; /* idle: completes events when no hook is enabled */
	struct job *idle_job;
	bool closing;
	int open_handles;
	int jobs_alive;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct hook_manager *hooks_new(uv_loop_t *loop, const struct hook_env *env, int64_t cap_ms)
{
	struct hook_manager *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->loop = loop;
	m->env = env;
	m->cap_ms = cap_ms > 0 ? cap_ms : HOOKS_DEFAULT_CAP_MS;
	uv_timer_init(loop, &m->watchdog);
	uv_timer_init(loop, &m->idle);
	m->watchdog.data = m->idle.data = m;
	m->open_handles = 2;
	return m;
}

void hooks_load(struct hook_manager *m, struct hook *const *hooks, struct envcfg *cfg)
{
	for (struct hook *const *h = hooks; h && *h && m->n < MAX_HOOKS; h++) {
		int errors = cfg->nerrors;
		int on = (*h)->init ? (*h)->init(*h, cfg) : 1;
		if (on > 0 && cfg->nerrors == errors) {
			m->hooks[m->n++] = *h;
		} else if ((*h)->destroy) {
			(*h)->destroy(*h);
		}
	}
}

size_t hooks_enabled(const struct hook_manager *m, const char **names, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < m->n && k < max; i++)
		names[k++] = m->hooks[i]->name;
	return k;
}

static void append_env(struct job *j, struct hook_result *res)
{
	char **n = realloc(j->env, (j->nenv + res->nsetenv + 1) * sizeof(*n));
	if (!n) {
		for (size_t i = 0; i < res->nsetenv; i++)
			free(res->setenv[i]);
	} else {
		j->env = n;
		for (size_t i = 0; i < res->nsetenv; i++)
			j->env[j->nenv++] = res->setenv[i];
		j->env[j->nenv] = NULL;
	}
	free(res->setenv);
	res->setenv = NULL;
	res->nsetenv = 0;
}

/* On a worker thread. */
static void run_chain(uv_work_t *w)
{
	struct job *j = w->data;
	struct hook_manager *m = j->m;
	struct hook_call call = {.event = j->ev,
	                         .task = j->task,
	                         .task_env = j->task_env,
	                         .env = m->env,
	                         .deadline_ms = j->deadline_ms};
	bool all = j->ev == HOOK_BEFORE_TERMINATE;
	size_t failed = 0;

	for (size_t i = 0; i < m->n; i++) {
		struct hook *h = m->hooks[i];
		struct hook_result res;
		memset(&res, 0, sizeof(res));
		uint64_t t0 = uv_hrtime();
		int rc = h->handle(h, &call, &res);
		double ms = (double)(uv_hrtime() - t0) / 1e6;
		if (rc == 0) {
			log_debug("hook %s %s done in %.1f ms", h->name, hook_event_name(j->ev),
			          ms);
			if (j->ev == HOOK_BEFORE_TASK_START)
				append_env(j, &res);
		} else {
			log_fields(LOG_ERROR, "hook failed", "hook", h->name, "event",
			           hook_event_name(j->ev), "error",
			           res.error[0] ? res.error : "(no message)", NULL);
			if (!failed++)
				snprintf(j->error, sizeof(j->error), "%s: %s", h->name,
				         res.error[0] ? res.error : "failed");
		}
		for (size_t k = 0; k < res.nsetenv; k++)
			free(res.setenv[k]);
		free(res.setenv);
		if (rc != 0 && !all)
			break;
	}
}

static void job_free(struct job *j)
{
	j->m->jobs_alive--;
	strv_free_n(j->env, j->nenv);
	free(j);
}

static void maybe_free_manager(struct hook_manager *m)
{
	if (!m->closing || m->open_handles || m->jobs_alive)
		return;
	for (size_t i = 0; i < m->n; i++)
		if (m->hooks[i]->destroy)
			m->hooks[i]->destroy(m->hooks[i]);
	free(m);
}

/* "hooks did not finish <Event> within <d> (<what limited it>)" */
static void out_of_time(const struct job *j, char *buf, size_t len)
{
	char limit[32];
	duration_format_go(j->limit_ms * DURATION_NS_PER_MS, limit, sizeof(limit));
	snprintf(buf, len, "hooks did not finish %s within %s (%s)", hook_event_name(j->ev), limit,
	         j->capped ? "ALLEGRO_EXECUTOR_HOOK_TIMEOUT" : "the hooks' own time limits");
}

/* Hooks cut their waits at the deadline, so a chain may fail at the very
 * moment the watchdog would fire: said the same way, with the hook's error. */
#define DEADLINE_SLACK_MS 50

static void report(struct job *j)
{
	struct hook_manager *m = j->m;
	char **env = j->env;
	size_t nenv = j->nenv;
	char msg[sizeof(j->error) + 200];
	j->env = NULL;
	j->nenv = 0;
	m->running = NULL;
	uv_timer_stop(&m->watchdog);
	const char *error = j->error[0] ? j->error : NULL;
	if (error && j->limit_ms > 0 && now_ms() + DEADLINE_SLACK_MS >= j->deadline_ms) {
		out_of_time(j, msg, 200);
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", j->error);
		log_error("%s", msg);
		error = msg;
	}
	if (!m->closing)
		j->cb(j->data, j->ev, error, env, nenv);
	else
		strv_free_n(env, nenv);
}

static void start_chain(struct job *j);

static void after_chain(uv_work_t *w, int status)
{
	struct job *j = w->data;
	struct hook_manager *m = j->m;
	m->worker_busy = false;
	if (!j->abandoned)
		report(j);
	else
		log_warn("hook chain for %s finished after its timeout; result ignored",
		         hook_event_name(j->ev));
	job_free(j);
	struct job *next = m->waiting;
	m->waiting = NULL;
	if (next && !m->closing)
		start_chain(next);
	else if (next)
		job_free(next);
	maybe_free_manager(m);
}

static void on_watchdog(uv_timer_t *t)
{
	struct hook_manager *m = t->data;
	struct job *j = m->running;
	if (!j)
		return;
	/* The worker still owns j->error and j->env until after_chain. */
	char msg[200];
	out_of_time(j, msg, sizeof(msg));
	m->running = NULL;
	log_error("%s", msg);
	if (m->waiting == j) { /* never started: nothing will report it */
		m->waiting = NULL;
		j->cb(j->data, j->ev, msg, NULL, 0);
		job_free(j);
		maybe_free_manager(m);
		return;
	}
	j->abandoned = true;
	j->cb(j->data, j->ev, msg, NULL, 0);
}

static void on_idle(uv_timer_t *t)
{
	struct hook_manager *m = t->data;
	struct job *j = m->idle_job;
	m->idle_job = NULL;
	if (j) {
		report(j);
		job_free(j);
		maybe_free_manager(m);
	}
}

/* Whether any enabled hook has work for this event (asked on the loop, while
 * no chain runs, so the hooks' state is not being changed meanwhile). */
static bool any_applies(const struct hook_manager *m, const struct job *j)
{
	struct hook_call call = {
	    .event = j->ev, .task = j->task, .task_env = j->task_env, .env = m->env};
	for (size_t i = 0; i < m->n; i++)
		if (!m->hooks[i]->applies || m->hooks[i]->applies(m->hooks[i], &call))
			return true;
	return false;
}

void hooks_run(struct hook_manager *m, enum hook_event ev, const Mesos__V1__TaskInfo *task,
               char *const *task_env, hooks_done_cb cb, void *data)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		cb(data, ev, "out of memory", NULL, 0);
		return;
	}
	j->m = m;
	j->ev = ev;
	j->task = task;
	j->task_env = task_env;
	j->cb = cb;
	j->data = data;
	j->work.data = j;
	m->jobs_alive++;
	m->running = j;
	/* While an abandoned chain runs, the hooks' state is its own: no
	 * asking them, the chain just waits for it. */
	if (!m->worker_busy && !any_applies(m, j)) {
		m->idle_job = j;
		uv_timer_start(&m->idle, on_idle, 0, 0);
		return;
	}
	/* The chain's time: ALLEGRO_EXECUTOR_HOOK_TIMEOUT, or less when every
	 * hook has a limit of its own and they add up to less. */
	int64_t own = 0;
	bool all_own = true;
	for (size_t i = 0; i < m->n; i++) {
		own += m->hooks[i]->timeout_ms;
		all_own &= m->hooks[i]->timeout_ms > 0;
	}
	j->capped = !all_own || own >= m->cap_ms;
	j->limit_ms = j->capped ? m->cap_ms : own;
	j->deadline_ms = now_ms() + j->limit_ms;
	uv_timer_start(&m->watchdog, on_watchdog, (uint64_t)j->limit_ms, 0);
	if (m->worker_busy) { /* an abandoned chain still runs: after it */
		log_warn("hooks for %s wait for the abandoned chain before them",
		         hook_event_name(ev));
		m->waiting = j;
		return;
	}
	start_chain(j);
}

static void start_chain(struct job *j)
{
	struct hook_manager *m = j->m;
	if (uv_queue_work(m->loop, &j->work, run_chain, after_chain) < 0) {
		if (m->running == j) {
			m->running = NULL;
			uv_timer_stop(&m->watchdog);
			j->cb(j->data, j->ev, "cannot queue the hook chain", NULL, 0);
		}
		job_free(j);
		return;
	}
	m->worker_busy = true;
}

static void handle_closed(uv_handle_t *h)
{
	struct hook_manager *m = h->data;
	m->open_handles--;
	maybe_free_manager(m);
}

void hooks_close(struct hook_manager *m)
{
	m->closing = true;
	if (m->idle_job) {
		job_free(m->idle_job);
		m->idle_job = NULL;
	}
	if (m->waiting) {
		job_free(m->waiting);
		m->waiting = NULL;
	}
	uv_close((uv_handle_t *)&m->watchdog, handle_closed);
	uv_close((uv_handle_t *)&m->idle, handle_closed);
}
