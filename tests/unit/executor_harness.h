/* A recording shell around the executor's state machine (executor/executor.h)
 * for the test_executor_*.c programs: a fake clock whose timers fire as it
 * is advanced, a deterministic uuid generator, and a record of every effect
 * taken after each input (posted statuses decoded from their UPDATE calls,
 * launches, signals, timers, hook chains, health start/stop, reconnecting
 * stopped, exit) plus a trace of their order. A launch succeeds (or fails,
 * launch_fails) as soon as it is taken. Events are built from JSON through
 * mesos_event_decode, the shortest way to a TaskInfo.
 *
 * Hook chains never finish by themselves: a test completes the pending one
 * with hook_done() (or every pending one with hooks_settle()), as the hook
 * manager would from its thread. Everything here is static inline so that
 * each test program uses only what it needs. */
#ifndef TESTS_UNIT_EXECUTOR_HARNESS_H
#define TESTS_UNIT_EXECUTOR_HARNESS_H

#include "testsupport.h"

#include "common/base64.h"
#include "common/log.h"
#include "executor/executor.h"
#include "proto/mesos.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SEC        1000000000LL
#define REC_MAX    256
#define WALL_START 1700000000.125 /* the fake wallclock at time 0: not whole seconds */

struct rec {
	int64_t now_ns;                         /* the fake monotonic clock */
	unsigned uuid_seq;                      /* uuids handed out so far */
	Mesos__V1__TaskStatus *posted[REC_MAX]; /* owned deep copies, in posting order */
	bool resend[REC_MAX];                   /* posted[i] repeats an earlier uuid */
	size_t nposted;
	int launches;
	bool launch_fails;     /* the next launches fail with launch_err */
	int64_t cert_delay_ns; /* what the next launch reports: the certificate expires then (-1: no
	                          check) */
	char *launch_env[32];  /* owned copies of the last launch's extra env */
	size_t nlaunch_env;
	int signals[32];
	size_t nsignals;
	int64_t timer_due[EX_TIMER_COUNT];   /* absolute fake time, -1 when off */
	int64_t timer_delay[EX_TIMER_COUNT]; /* the delay it was last armed with, -1 off */
	enum hook_event hooks[64];           /* chains started, in order */
	size_t nhooks;
	bool hook_pending;
	enum hook_event pending;
	int health_starts, health_stops;
	bool health_running;
	int stop_reconnecting; /* EX_FX_STOP_RECONNECTING seen */
	int exit_code;         /* -1 until exit */
	int nexits;
	char trace[REC_MAX][48]; /* "update:TASK_RUNNING", "hooks:BeforeTerminate", ... */
	size_t ntrace;
};

struct fix {
	struct ex_config cfg;
	struct rec r;
	struct ex_source src;
	struct executor *ex;
};

/* ------------------------------------------------------------ the record */

static inline void rec_trace(struct rec *r, const char *fmt, const char *arg)
{
	if (r->ntrace < REC_MAX)
		snprintf(r->trace[r->ntrace++], sizeof(r->trace[0]), fmt, arg);
}

/* Index of the first trace entry equal to `what`, or -1. */
static inline int trace_index(const struct fix *f, const char *what)
{
	for (size_t i = 0; i < f->r.ntrace; i++)
		if (strcmp(f->r.trace[i], what) == 0)
			return (int)i;
	return -1;
}

/* Fails unless `a` and `b` both happened, `a` first. */
static inline void assert_before(const struct fix *f, const char *a, const char *b)
{
	int ia = trace_index(f, a), ib = trace_index(f, b);
	if (ia < 0 || ib < 0 || ia >= ib) {
		fprintf(stderr, "trace:");
		for (size_t i = 0; i < f->r.ntrace; i++)
			fprintf(stderr, " %s", f->r.trace[i]);
		fprintf(stderr, "\n");
		fail_msg("expected %s (at %d) before %s (at %d)", a, ia, b, ib);
	}
}

static inline int64_t src_now(void *ctx)
{
	return ((struct rec *)ctx)->now_ns;
}

static inline double src_wallclock(void *ctx)
{
	return WALL_START + (double)((struct rec *)ctx)->now_ns / 1e9;
}

/* Distinct, valid version 4 uuids: 0xa5.. with a counter at the end. */
static inline void src_uuid(void *ctx, uint8_t out[16])
{
	struct rec *r = ctx;
	unsigned n = ++r->uuid_seq;
	memset(out, 0xa5, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
	out[12] = (uint8_t)(n >> 24);
	out[13] = (uint8_t)(n >> 16);
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
}

/* ------------------------------------------------------------ effects */

/* The UPDATE call decoded as the agent would: its status is recorded. */
static inline void rec_update(struct fix *f, const struct ex_effect *e)
{
	struct rec *r = &f->r;
	char err[256];
	mesos_call *call = mesos_call_decode(f->cfg.encoding, e->body, e->len, err, sizeof(err));
	if (!call)
		fail_msg("undecodable UPDATE call: %s", err);
	assert_int_equal(call->type, MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE);
	assert_non_null(call->update);
	const Mesos__V1__TaskStatus *st = call->update->status;
	assert_true(r->nposted < REC_MAX);
	for (size_t i = 0; i < r->nposted; i++)
		if (r->posted[i]->uuid.len == st->uuid.len &&
		    memcmp(r->posted[i]->uuid.data, st->uuid.data, st->uuid.len) == 0)
			r->resend[r->nposted] = true;
	rec_trace(r, r->resend[r->nposted] ? "resend:%s" : "update:%s",
	          mesos_task_state_name(st->state));
	r->posted[r->nposted++] = call->update->status; /* stolen from the call */
	call->update->status = NULL;
	protobuf_c_message_free_unpacked(&call->base, NULL);
}

static inline void rec_launch(struct fix *f, const struct ex_effect *e)
{
	struct rec *r = &f->r;
	r->launches++;
	rec_trace(r, "launch%s", "");
	for (size_t i = 0; i < r->nlaunch_env; i++)
		free(r->launch_env[i]);
	r->nlaunch_env = 0;
	for (char *const *v = e->env; v && *v && r->nlaunch_env < 32; v++)
		r->launch_env[r->nlaunch_env++] = strdup(*v);
	/* The shell reports the outcome before any other input. */
	if (r->launch_fails)
		ex_launch_failed(f->ex, "exec /no/such/command: No such file or directory");
	else
		ex_launched(f->ex, r->cert_delay_ns);
}

static inline void rec_hooks(struct rec *r, enum hook_event ev)
{
	if (r->hook_pending)
		fail_msg("%s hooks started while %s hooks were still running", hook_event_name(ev),
		         hook_event_name(r->pending));
	r->hook_pending = true;
	r->pending = ev;
	if (r->nhooks < 64)
		r->hooks[r->nhooks++] = ev;
	rec_trace(r, "hooks:%s", hook_event_name(ev));
}

static inline void rec_effect(struct fix *f, const struct ex_effect *e)
{
	struct rec *r = &f->r;
	char c[16];
	switch (e->kind) {
	case EX_FX_UPDATE:
		rec_update(f, e);
		break;
	case EX_FX_LAUNCH:
		rec_launch(f, e);
		break;
	case EX_FX_SIGNAL:
		if (r->nsignals < 32)
			r->signals[r->nsignals++] = e->sig;
		rec_trace(r, "signal:%s",
		          e->sig == SIGTERM   ? "TERM"
		          : e->sig == SIGKILL ? "KILL"
		                              : "other");
		break;
	case EX_FX_TIMER:
		r->timer_due[e->timer] = e->delay_ns < 0 ? -1 : r->now_ns + e->delay_ns;
		r->timer_delay[e->timer] = e->delay_ns < 0 ? -1 : e->delay_ns;
		break;
	case EX_FX_HOOKS:
		rec_hooks(r, e->event);
		break;
	case EX_FX_HEALTH:
		if (e->start)
			r->health_starts++;
		else
			r->health_stops++;
		r->health_running = e->start;
		rec_trace(r, "health:%s", e->start ? "start" : "stop");
		break;
	case EX_FX_STOP_RECONNECTING:
		r->stop_reconnecting++;
		rec_trace(r, "stop-reconnecting%s", "");
		break;
	case EX_FX_EXIT:
		r->nexits++;
		r->exit_code = e->code;
		snprintf(c, sizeof(c), "%d", e->code);
		rec_trace(r, "exit:%s", c);
		break;
	}
}

/* Takes and records every effect the last input queued (and those of the
 * inputs the effects feed back: a launch's outcome). */
static inline void drain(struct fix *f)
{
	struct ex_effect e;
	while (ex_next_effect(f->ex, &e)) {
		rec_effect(f, &e);
		ex_effect_release(&e);
	}
}

/* ------------------------------------------------------------ fixture */

static inline int fix_setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	log_set_level(getenv("EXTEST_DEBUG") ? LOG_DEBUG : LOG_ERROR);
	f->cfg.framework_id = "fw-1";
	f->cfg.executor_id = "exec-1";
	f->cfg.checkpoint = false;
	f->cfg.shutdown_grace_ns = 7 * SEC;
	f->cfg.recovery_timeout_ns = 900 * SEC;
	f->cfg.backoff_max_ns = 2 * SEC;
	f->cfg.encoding = MESOS_PROTOBUF;
	f->cfg.kill_grace_ns = 3 * SEC;
	f->cfg.update_buffer = 1024;
	f->cfg.update_wait_ns = 11 * SEC;
	f->cfg.hook_timeout_ns = 120 * SEC;
	f->r.exit_code = -1;
	f->r.cert_delay_ns = -1;
	for (int t = 0; t < EX_TIMER_COUNT; t++)
		f->r.timer_due[t] = f->r.timer_delay[t] = -1;
	f->src = (struct ex_source){
	    .ctx = &f->r, .now = src_now, .wallclock = src_wallclock, .uuid = src_uuid};
	f->ex = ex_new(&f->cfg, &f->src);
	if (!f->ex)
		return -1;
	*state = f;
	return 0;
}

static inline int fix_teardown(void **state)
{
	struct fix *f = *state;
	ex_free(f->ex);
	for (size_t i = 0; i < f->r.nposted; i++)
		protobuf_c_message_free_unpacked(&f->r.posted[i]->base, NULL);
	for (size_t i = 0; i < f->r.nlaunch_env; i++)
		free(f->r.launch_env[i]);
	free(f);
	log_shutdown();
	return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fix_setup, fix_teardown)

/* ------------------------------------------------------------ inputs */

/* Decodes a JSON event (printf-style) and hands it to the executor. */
static inline void __attribute__((format(printf, 2, 3))) feed(struct fix *f, const char *fmt, ...)
{
	char json[8192], err[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(json, sizeof(json), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(json));
	mesos_event *ev =
	    mesos_event_decode(MESOS_JSON, (const uint8_t *)json, (size_t)n, err, sizeof(err));
	if (!ev)
		fail_msg("bad test event %s: %s", json, err);
	ex_event(f->ex, ev);
	drain(f);
}

/* SUBSCRIBED, with or without the framework's TASK_KILLING_STATE capability. */
static inline void subscribed(struct fix *f, bool killing_capability)
{
	feed(f,
	     "{\"type\":\"SUBSCRIBED\",\"subscribed\":{"
	     "\"executor_info\":{\"executor_id\":{\"value\":\"exec-1\"},"
	     "\"framework_id\":{\"value\":\"fw-1\"},\"command\":{\"value\":\"./executor\"}},"
	     "\"framework_info\":{\"user\":\"root\",\"name\":\"marathon\",\"id\":{\"value\":\"fw-"
	     "1\"},"
	     "\"capabilities\":[{\"type\":\"PARTITION_AWARE\"}%s]},"
	     "\"agent_info\":{\"hostname\":\"agent.local\",\"id\":{\"value\":\"agent-1\"}},"
	     "\"container_id\":{\"value\":\"c1\"}}}",
	     killing_capability ? ",{\"type\":\"TASK_KILLING_STATE\"}" : "");
}

/* LAUNCH of a shell task `id`; `extra` adds TaskInfo fields (",\"kill_policy\":..."). */
static inline void launch_task(struct fix *f, const char *id, const char *extra)
{
	feed(f,
	     "{\"type\":\"LAUNCH\",\"launch\":{\"task\":{\"name\":\"web\",\"task_id\":{\"value\":"
	     "\"%s\"},"
	     "\"agent_id\":{\"value\":\"agent-1\"},"
	     "\"command\":{\"value\":\"sleep 100\",\"shell\":true}%s}}}",
	     id, extra ? extra : "");
}

/* KILL for `id`, with a kill_policy grace when grace_ns >= 0. */
static inline void kill_task(struct fix *f, const char *id, int64_t grace_ns)
{
	char policy[128] = "";
	if (grace_ns >= 0)
		snprintf(policy, sizeof(policy),
		         ",\"kill_policy\":{\"grace_period\":{\"nanoseconds\":%lld}}",
		         (long long)grace_ns);
	feed(f, "{\"type\":\"KILL\",\"kill\":{\"task_id\":{\"value\":\"%s\"}%s}}", id, policy);
}

static inline void shutdown_event(struct fix *f)
{
	feed(f, "{\"type\":\"SHUTDOWN\"}");
}

/* ACKNOWLEDGED for a status the executor posted. */
static inline void ack(struct fix *f, const Mesos__V1__TaskStatus *st)
{
	char *b = b64_encode(st->uuid.data, st->uuid.len);
	assert_non_null(b);
	feed(f,
	     "{\"type\":\"ACKNOWLEDGED\",\"acknowledged\":{\"task_id\":{\"value\":\"%s\"},"
	     "\"uuid\":\"%s\"}}",
	     st->task_id->value, b);
	free(b);
}

/* Completes the running hook chain, which must be `ev`; error NULL is
 * success; env (copied) adds "KEY=VALUE" strings (BeforeTaskStart). */
static inline void hook_done_env(struct fix *f, enum hook_event ev, const char *error,
                                 const char *const *env)
{
	if (!f->r.hook_pending)
		fail_msg("no hook chain is running (expected %s)", hook_event_name(ev));
	if (f->r.pending != ev)
		fail_msg("the running hook chain is %s, not %s", hook_event_name(f->r.pending),
		         hook_event_name(ev));
	size_t n = 0;
	while (env && env[n])
		n++;
	char **copy = n ? calloc(n, sizeof(char *)) : NULL;
	for (size_t i = 0; i < n; i++)
		copy[i] = strdup(env[i]);
	f->r.hook_pending = false;
	ex_hooks_done(f->ex, ev, error, copy, n);
	drain(f);
}

static inline void hook_done(struct fix *f, enum hook_event ev, const char *error)
{
	hook_done_env(f, ev, error, NULL);
}

/* Completes hook chains successfully until none is running. */
static inline void hooks_settle(struct fix *f)
{
	for (int i = 0; i < 16 && f->r.hook_pending; i++)
		hook_done(f, f->r.pending, NULL);
	assert_false(f->r.hook_pending);
}

/* Moves the fake clock forward, firing every timer that falls due, in order. */
static inline void advance(struct fix *f, int64_t ns)
{
	int64_t target = f->r.now_ns + ns;
	for (;;) {
		int next = -1;
		for (int t = 0; t < EX_TIMER_COUNT; t++)
			if (f->r.timer_due[t] >= 0 && f->r.timer_due[t] <= target &&
			    (next < 0 || f->r.timer_due[t] < f->r.timer_due[next]))
				next = t;
		if (next < 0)
			break;
		f->r.now_ns = f->r.timer_due[next];
		f->r.timer_due[next] = -1;
		f->r.timer_delay[next] = -1;
		ex_timer_fired(f->ex, (enum ex_timer)next);
		drain(f);
	}
	f->r.now_ns = target;
}

/* The task's main process exited (some of its tree may live on). */
static inline void task_exited(struct fix *f, int wait_status)
{
	ex_task_exited(f->ex, wait_status);
	drain(f);
}

/* Nothing of the task's tree is left. */
static inline void tree_gone(struct fix *f)
{
	ex_tree_gone(f->ex);
	drain(f);
}

/* The task's main process and every descendant are gone. */
static inline void task_gone(struct fix *f, int wait_status)
{
	task_exited(f, wait_status);
	tree_gone(f);
}

/* The agent answered a SUBSCRIBE. */
static inline void agent_connected(struct fix *f)
{
	ex_connected(f->ex);
	drain(f);
}

/* The stream broke, or a SUBSCRIBE failed. */
static inline void agent_disconnected(struct fix *f)
{
	ex_disconnected(f->ex);
	drain(f);
}

static inline void health_verdict(struct fix *f, enum health_verdict v, const char *message)
{
	ex_health(f->ex, v, message);
	drain(f);
}

static inline void check_status(struct fix *f, const Mesos__V1__CheckStatusInfo *cs)
{
	ex_check(f->ex, cs);
	drain(f);
}

/* SIGTERM to the executor. */
static inline void sigterm(struct fix *f)
{
	ex_sigterm(f->ex);
	drain(f);
}

/* SUBSCRIBED, LAUNCH of "t1" (with `extra` fields), every start hook done:
 * the task is RUNNING. */
static inline void run_task(struct fix *f, bool killing_capability, const char *extra)
{
	subscribed(f, killing_capability);
	launch_task(f, "t1", extra);
	hooks_settle(f);
	assert_int_equal(ex_phase(f->ex), EX_RUNNING);
}

/* ------------------------------------------------------------ queries */

/* The newest update posted for the first time (resends skipped). */
static inline const Mesos__V1__TaskStatus *last_posted(const struct fix *f)
{
	for (size_t i = f->r.nposted; i-- > 0;)
		if (!f->r.resend[i])
			return f->r.posted[i];
	fail_msg("no update was posted");
	return NULL;
}

/* How many fresh updates (resends skipped) were posted. */
static inline size_t count_fresh(const struct fix *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->r.nposted; i++)
		n += !f->r.resend[i];
	return n;
}

/* The first fresh update in this state, or NULL. */
static inline const Mesos__V1__TaskStatus *posted_state(const struct fix *f, int state)
{
	for (size_t i = 0; i < f->r.nposted; i++)
		if (!f->r.resend[i] && (int)f->r.posted[i]->state == state)
			return f->r.posted[i];
	return NULL;
}

/* Fresh updates in this state (resends skipped). */
static inline int count_state(const struct fix *f, int state)
{
	int n = 0;
	for (size_t i = 0; i < f->r.nposted; i++)
		n += !f->r.resend[i] && (int)f->r.posted[i]->state == state;
	return n;
}

static inline int count_hooks(const struct fix *f, enum hook_event ev)
{
	int n = 0;
	for (size_t i = 0; i < f->r.nhooks; i++)
		n += f->r.hooks[i] == ev;
	return n;
}

static inline void assert_state(const Mesos__V1__TaskStatus *st, int state)
{
	assert_non_null(st);
	if ((int)st->state != state)
		fail_msg("expected %s, got %s", mesos_task_state_name(state),
		         mesos_task_state_name(st->state));
}

#define TASK_STATE(x) MESOS__V1__TASK_STATE__TASK_##x
#define REASON(x)     MESOS__V1__TASK_STATUS__REASON__REASON_##x

#endif
