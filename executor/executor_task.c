/* The task's life in the state machine (executor_internal.h; the phases and
 * the shutdown budget are drawn in executor.h): LAUNCH, the hook chains, the
 * launch's outcome, health and check results, every way out (the command's
 * exit, KILL, SHUTDOWN, failed health, max_completion_time, the certificate,
 * a failed hook, the agent lost, SIGTERM), the signals and their grace, and
 * the terminal update once the whole tree is gone. Mesos' command executor
 * (src/launcher/executor.cpp, CommandExecutor: launch, kill, shutdown,
 * reaped, escalated) is the model. */
#include "executor_internal.h"

#include "common/duration.h"
#include "common/log.h"
#include "common/str.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Of the agent's shutdown grace, kept for SIGKILL, reaping and the terminal
 * update (CommandExecutor::shutdown: MAX_REAP_INTERVAL + 1 s). */
#define SHUTDOWN_RESERVE_NS (2 * NS_PER_SEC)

static void pump_hooks(struct executor *ex);
static void finish(struct executor *ex);

static int64_t task_grace(const struct executor *ex)
{
	const Mesos__V1__KillPolicy *kp = ex->task ? ex->task->kill_policy : NULL;
	if (kp && kp->grace_period && kp->grace_period->nanoseconds >= 0)
		return kp->grace_period->nanoseconds;
	return ex->cfg->kill_grace_ns;
}

/* ------------------------------------------------------------ hooks */

static void queue_hook(struct executor *ex, enum hook_event ev)
{
	if (ex->nqueue < sizeof(ex->hook_queue) / sizeof(ex->hook_queue[0]))
		ex->hook_queue[ex->nqueue++] = ev;
	pump_hooks(ex);
}

static void pump_hooks(struct executor *ex)
{
	if (ex->hook_busy || !ex->nqueue || ex->exited)
		return;
	enum hook_event ev = ex->hook_queue[0];
	memmove(ex->hook_queue, ex->hook_queue + 1, --ex->nqueue * sizeof(ex->hook_queue[0]));
	ex->hook_busy = true;
	ex_push(ex, &(struct ex_effect){.kind = EX_FX_HOOKS, .event = ev, .task = ex->task});
}

/* Queued AfterTaskStart/AfterTaskHealthy hooks no longer make sense. */
static void drop_start_hooks(struct executor *ex)
{
	size_t k = 0;
	for (size_t i = 0; i < ex->nqueue; i++)
		if (ex->hook_queue[i] == HOOK_BEFORE_TERMINATE)
			ex->hook_queue[k++] = ex->hook_queue[i];
	ex->nqueue = k;
}

static void health_checks(struct executor *ex, bool start)
{
	ex_push(ex, &(struct ex_effect){.kind = EX_FX_HEALTH, .start = start, .task = ex->task});
}

/* ------------------------------------------------------------ termination */

static bool kill_like(enum ex_cause c)
{
	return c == EX_CAUSE_KILLED || c == EX_CAUSE_SHUTDOWN || c == EX_CAUSE_SIGTERM ||
	       c == EX_CAUSE_HEALTH || c == EX_CAUSE_AGENT_LOST || c == EX_CAUSE_EXPIRED;
}

/* A later kill may only bring the SIGKILL deadline closer. */
static void shorten_grace(struct executor *ex, int64_t grace)
{
	if (ex->phase == EX_STOPPING && grace < ex->grace_ns) {
		ex->grace_ns = grace;
	} else if (ex->phase == EX_SIGNALLED && ex->deadline_ns > 0) {
		int64_t d = ex->kill_started_ns + grace;
		if (d < ex->deadline_ns) {
			ex->deadline_ns = d;
			int64_t left = d - ex_now(ex);
			ex_timer(ex, EX_TIMER_GRACE, left < 0 ? 0 : left);
			log_info("kill deadline brought forward to %.3fs from now",
			         (double)(left < 0 ? 0 : left) / NS_PER_SEC);
		}
	}
}

static void begin_termination(struct executor *ex, enum ex_cause cause, int64_t grace,
                              const char *message)
{
	if (ex->phase >= EX_STOPPING) {
		shorten_grace(ex, grace);
		return;
	}
	enum ex_phase prev = ex->phase;
	char g[32];
	duration_format_mesos(grace, g, sizeof(g));
	ex->cause = cause;
	ex->grace_ns = grace;
	if (message) /* cut to fit, as a status message may be */
		snprintf(ex->cause_message, sizeof(ex->cause_message), "%.*s",
		         (int)sizeof(ex->cause_message) - 1, message);
	if (message)
		log_info("terminating the task (%s: %s), grace %s", ex_cause_text(cause), message,
		         g);
	else
		log_info("terminating the task (%s), grace %s", ex_cause_text(cause), g);
	if (prev == EX_RUNNING)
		health_checks(ex, false);
	ex_timer(ex, EX_TIMER_MAX_COMPLETION, -1);
	ex_timer(ex, EX_TIMER_CERT, -1);
	if (prev == EX_STARTING) { /* the command never started */
		ex->main_exited = true;
		ex->tree_gone = true;
	}
	ex->phase = EX_STOPPING;
	if (kill_like(cause) && prev == EX_RUNNING &&
	    ex_has_capability(ex, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__TASK_KILLING_STATE))
		ex_send_new(ex, ex_task_id(ex), MESOS__V1__TASK_STATE__TASK_KILLING, NULL, -1, -1);
	drop_start_hooks(ex);
	queue_hook(ex, HOOK_BEFORE_TERMINATE);
}

/* BeforeTerminate hooks are done (or cut short): now the signals. */
static void enter_signalled(struct executor *ex)
{
	ex->phase = EX_SIGNALLED;
	ex_timer(ex, EX_TIMER_HOOKS, -1);
	if (ex->main_exited && ex->tree_gone) {
		finish(ex);
		return;
	}
	ex->kill_started_ns = ex_now(ex);
	if (ex->shutdown_kill_by_ns >= 0) { /* SIGKILL by the shutdown's deadline */
		int64_t left = ex->shutdown_kill_by_ns - ex->kill_started_ns;
		left = left < 0 ? 0 : left;
		if (left < ex->grace_ns)
			ex->grace_ns = left;
	}
	ex->deadline_ns = ex->kill_started_ns + ex->grace_ns;
	ex_signal(ex, SIGTERM);
	ex_timer(ex, EX_TIMER_GRACE, ex->grace_ns);
}

/* SHUTDOWN, or the agent lost: stop the task within the agent's shutdown
 * grace, hooks or not (the budget is in executor.h). */
static void begin_shutdown(struct executor *ex, enum ex_cause cause)
{
	int64_t t0 = ex_now(ex);
	int64_t w = ex->cfg->shutdown_grace_ns - SHUTDOWN_RESERVE_NS;
	w = w < 0 ? 0 : w;
	int64_t task_share = task_grace(ex) < w / 2 ? task_grace(ex) : w / 2;
	int64_t hooks = w - task_share;
	if (ex->shutdown_kill_by_ns >= 0 && ex->shutdown_kill_by_ns <= t0 + w)
		return; /* an earlier shutdown's budget stands */
	ex->shutdown_kill_by_ns = t0 + w;
	if (ex->phase < EX_STOPPING) {
		begin_termination(ex, cause, w, NULL);
	} else if (ex->phase == EX_SIGNALLED) { /* a kill under way: SIGKILL by then */
		shorten_grace(ex, ex->shutdown_kill_by_ns - ex->kill_started_ns);
		return;
	}
	if (ex->phase != EX_STOPPING)
		return; /* nothing to wait for (the command never started, ...) */
	ex->hooks_budget_ns = hooks;
	char h[32], k[32];
	duration_format_mesos(hooks, h, sizeof(h));
	duration_format_mesos(w, k, sizeof(k));
	log_info("shutdown: BeforeTerminate hooks get %s at most, SIGKILL by %s from now, so that "
	         "the terminal update goes out within MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
	         h, k);
	ex_timer(ex, EX_TIMER_HOOKS, hooks);
}

/* The terminal update, once the task was signalled (or never started) and
 * its whole tree is gone. */
static void finish(struct executor *ex)
{
	if (ex->phase != EX_SIGNALLED || !ex->main_exited || !ex->tree_gone)
		return;
	ex_timer(ex, EX_TIMER_GRACE, -1);
	ex->phase = EX_DONE;
	ex_send_terminal(ex);
	ex->terminal_sent = true;
	/* The agent is gone for good (no checkpointing, or the recovery timeout
	 * passed), whatever stopped the task. */
	if (!ex->subscribed && (ex->cause == EX_CAUSE_AGENT_LOST || ex->exit_code_pending >= 0)) {
		log_error("exiting without an acknowledgement: the agent is gone");
		ex_exit(ex, EX_EXIT_AGENT_LOST);
	} else if (ex->subscribed) {
		ex_timer(ex, EX_TIMER_ACK, ex->cfg->update_wait_ns);
	}
}

/* The agent is gone for good (no checkpointing, or the recovery timeout):
 * as the executor library, a SHUTDOWN, and after the whole shutdown grace
 * the task's processes are killed and the executor exits, whatever is still
 * pending. */
void ex_agent_lost(struct executor *ex)
{
	ex->exit_code_pending = EX_EXIT_AGENT_LOST;
	if (!ex->task || ex->phase == EX_IDLE || ex->phase == EX_DONE) {
		ex_exit(ex, EX_EXIT_AGENT_LOST);
		return;
	}
	begin_shutdown(ex, EX_CAUSE_AGENT_LOST);
	ex_timer(ex, EX_TIMER_SHUTDOWN, ex->cfg->shutdown_grace_ns);
}

/* ------------------------------------------------------------ the launch */

/* BeforeTaskStart is done: the shell starts the command and reports back. */
static void start_task(struct executor *ex)
{
	char **env = calloc(ex->nhook_env + 1, sizeof(char *));
	for (size_t i = 0; env && i < ex->nhook_env; i++)
		if (!(env[i] = strdup(ex->hook_env[i]))) {
			strv_free_n(env, i);
			env = NULL;
		}
	if (!env) {
		ex_launch_failed(ex, "out of memory");
		return;
	}
	ex->launching = true;
	ex_push(ex, &(struct ex_effect){.kind = EX_FX_LAUNCH, .task = ex->task, .env = env});
}

void ex_launched(struct executor *ex, int64_t cert_delay_ns)
{
	if (!ex->launching || ex->phase != EX_STARTING) {
		log_error("a launch reported while none was pending: ignored");
		return;
	}
	ex->launching = false;
	ex->phase = EX_RUNNING;
	ex_send_new(ex, ex_task_id(ex), MESOS__V1__TASK_STATE__TASK_RUNNING, NULL, -1, -1);
	if (ex->task->health_check || ex->task->check)
		health_checks(ex, true);
	const Mesos__V1__DurationInfo *mct = ex->task->max_completion_time;
	if (mct && mct->nanoseconds > 0)
		ex_timer(ex, EX_TIMER_MAX_COMPLETION, mct->nanoseconds);
	if (cert_delay_ns >= 0) {
		log_info("the task's certificate is checked: the task stops in %.0f s",
		         (double)cert_delay_ns / NS_PER_SEC);
		ex_timer(ex, EX_TIMER_CERT, cert_delay_ns);
	}
	queue_hook(ex, HOOK_AFTER_TASK_START);
	if (!ex->has_health) { /* counts as healthy as soon as it runs */
		ex->healthy_fired = true;
		queue_hook(ex, HOOK_AFTER_TASK_HEALTHY);
	}
}

void ex_launch_failed(struct executor *ex, const char *error)
{
	if (ex->phase != EX_STARTING)
		return;
	ex->launching = false;
	char msg[600];
	snprintf(msg, sizeof(msg), "Failed to launch the command: %s",
	         error && error[0] ? error : "out of memory");
	log_error("%s", msg);
	begin_termination(ex, EX_CAUSE_LAUNCH_FAILED, task_grace(ex), msg);
}

static bool was_killed_before_launch(const struct executor *ex, const char *id)
{
	for (size_t i = 0; i < ex->nkilled; i++)
		if (strcmp(ex->killed_ids[i], id) == 0)
			return true;
	return false;
}

static void remember_unlaunched(struct executor *ex, const char *id)
{
	char **n = realloc(ex->killed_ids, (ex->nkilled + 1) * sizeof(*n));
	if (!n)
		return;
	ex->killed_ids = n;
	if ((n[ex->nkilled] = strdup(id)))
		ex->nkilled++;
}

/* TASK_FAILED for a task this executor will not run, once: a task that
 * already got its terminal update (refused, or killed before its launch)
 * gets no second one. */
static void refuse(struct executor *ex, const char *id, const char *why)
{
	if (was_killed_before_launch(ex, id)) {
		log_warn("task %s was already refused or killed: LAUNCH ignored", id);
		return;
	}
	remember_unlaunched(ex, id);
	ex_send_new(ex, id, MESOS__V1__TASK_STATE__TASK_FAILED, why, -1, -1);
}

void ex_on_launch(struct executor *ex, Mesos__V1__TaskInfo *task)
{
	const char *id = task->task_id->value;

	if (ex->task) {
		if (strcmp(id, ex_task_id(ex)) == 0)
			log_warn("duplicate LAUNCH for task %s ignored", id);
		else
			refuse(ex, id,
			       "Attempted to run multiple tasks using a \"command\" executor");
		protobuf_c_message_free_unpacked(&task->base, NULL);
		return;
	}
	if (was_killed_before_launch(ex, id)) {
		log_warn("LAUNCH for task %s, which was already killed: not starting it", id);
		protobuf_c_message_free_unpacked(&task->base, NULL);
		return;
	}
	if (ex->exit_code_pending >= 0 || ex->exited) {
		refuse(ex, id, "The executor is shutting down");
		protobuf_c_message_free_unpacked(&task->base, NULL);
		return;
	}
	ex->task = task;
	ex->phase = EX_STARTING;
	ex->has_health = health_has_check(task);
	log_set_context("task_id", id);
	log_info("launching task %s", id);
	ex_send_new(ex, id, MESOS__V1__TASK_STATE__TASK_STARTING, NULL, -1, -1);
	queue_hook(ex, HOOK_BEFORE_TASK_START);
}

void ex_on_launch_group(struct executor *ex, Mesos__V1__TaskGroupInfo *g)
{
	log_error("LAUNCH_GROUP is not supported: this executor runs one command task");
	for (size_t i = 0; g && i < g->n_tasks; i++) {
		const char *id = g->tasks[i]->task_id->value;
		if (ex->task && strcmp(id, ex_task_id(ex)) == 0)
			log_warn("LAUNCH_GROUP names the running task %s: ignored for it", id);
		else
			refuse(ex, id, "Task groups are not supported by this executor");
	}
	if (!ex->task)
		ex_timer(ex, EX_TIMER_ACK, ex->cfg->update_wait_ns);
}

/* ------------------------------------------------------------ ways out */

void ex_on_kill(struct executor *ex, const Mesos__V1__Executor__Event__Kill *k)
{
	const char *id = k->task_id->value;

	if (!ex->task) {
		if (was_killed_before_launch(ex, id))
			return;
		log_warn("KILL for task %s before it was launched", id);
		remember_unlaunched(ex, id);
		ex_send_new(ex, id, MESOS__V1__TASK_STATE__TASK_KILLED,
		            "Task killed before it was launched",
		            MESOS__V1__TASK_STATUS__REASON__REASON_TASK_KILLED_DURING_LAUNCH, -1);
		ex_timer(ex, EX_TIMER_ACK, ex->cfg->update_wait_ns);
		return;
	}
	if (strcmp(id, ex_task_id(ex)) != 0) {
		log_warn("KILL for unknown task %s ignored", id);
		return;
	}
	if (ex->phase == EX_DONE) {
		log_info("KILL for task %s, which has already terminated", id);
		return;
	}
	int64_t grace = task_grace(ex);
	if (k->kill_policy && k->kill_policy->grace_period &&
	    k->kill_policy->grace_period->nanoseconds >= 0)
		grace = k->kill_policy->grace_period->nanoseconds;
	begin_termination(ex, EX_CAUSE_KILLED, grace, NULL);
}

void ex_on_shutdown(struct executor *ex)
{
	log_info("SHUTDOWN from the agent");
	if (!ex->task || ex->phase == EX_IDLE) {
		ex_exit(ex, EX_EXIT_OK);
		return;
	}
	if (ex->phase == EX_DONE)
		return; /* waiting for the terminal acknowledgement already */
	begin_shutdown(ex, EX_CAUSE_SHUTDOWN);
}

void ex_task_exited(struct executor *ex, int st)
{
	char d[128];
	ex_describe_exit(st, d, sizeof(d));
	log_info("task process exited: %s", d);
	ex->main_exited = true;
	ex->main_status = st;
	if (ex->phase == EX_RUNNING)
		begin_termination(ex, EX_CAUSE_EXITED, task_grace(ex), NULL);
	else
		finish(ex);
}

void ex_tree_gone(struct executor *ex)
{
	ex->tree_gone = true;
	finish(ex);
}

void ex_health(struct executor *ex, enum health_verdict v, const char *message)
{
	if (ex->phase != EX_RUNNING || v == HEALTH_QUIET)
		return; /* health never moves a task back from killing */
	Mesos__V1__TaskStatus *st = ex_status_again(
	    ex, MESOS__V1__TASK_STATUS__REASON__REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
	if (!st)
		return;
	st->has_healthy = 1;
	st->healthy = v == HEALTH_HEALTHY;
	if (v != HEALTH_HEALTHY && message)
		st->message = strdup(message);
	ex_send_status(ex, st);
	if (v == HEALTH_HEALTHY && !ex->healthy_fired) {
		ex->healthy_fired = true;
		queue_hook(ex, HOOK_AFTER_TASK_HEALTHY);
	}
	if (v == HEALTH_UNHEALTHY_KILL)
		begin_termination(ex, EX_CAUSE_HEALTH, task_grace(ex), NULL);
}

void ex_check(struct executor *ex, const Mesos__V1__CheckStatusInfo *cs)
{
	if (ex->phase != EX_RUNNING)
		return;
	if (ex->last_check && ex_same_msg(&ex->last_check->base, &cs->base))
		return;
	if (ex->last_check)
		protobuf_c_message_free_unpacked(&ex->last_check->base, NULL);
	ex->last_check = (Mesos__V1__CheckStatusInfo *)ex_copy_msg(&cs->base);
	Mesos__V1__TaskStatus *st =
	    ex_status_again(ex, MESOS__V1__TASK_STATUS__REASON__REASON_TASK_CHECK_STATUS_UPDATED);
	if (!st)
		return;
	if (st->check_status)
		protobuf_c_message_free_unpacked(&st->check_status->base, NULL);
	st->check_status = (Mesos__V1__CheckStatusInfo *)ex_copy_msg(&cs->base);
	ex_send_status(ex, st);
}

/* The certificate expires: TASK_RUNNING healthy=false, then the kill. */
static void expire(struct executor *ex)
{
	if (ex->phase != EX_RUNNING)
		return;
	log_warn("the task's certificate expires: stopping the task");
	Mesos__V1__TaskStatus *st = ex_status_again(
	    ex, MESOS__V1__TASK_STATUS__REASON__REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
	if (st) {
		st->has_healthy = 1;
		st->healthy = 0;
		st->message = strdup(EX_CERT_EXPIRED_MESSAGE);
		ex_send_status(ex, st);
	}
	begin_termination(ex, EX_CAUSE_EXPIRED, task_grace(ex), EX_CERT_EXPIRED_MESSAGE);
}

void ex_hooks_done(struct executor *ex, enum hook_event ev, const char *error, char **env,
                   size_t nenv)
{
	char msg[600];

	ex->hook_busy = false;
	if (error)
		snprintf(msg, sizeof(msg), "%s hook failed: %s", hook_event_name(ev), error);
	switch (ev) {
	case HOOK_BEFORE_TASK_START:
		strv_free_n(ex->hook_env, ex->nhook_env);
		ex->hook_env = env;
		ex->nhook_env = nenv;
		env = NULL; /* now the executor's */
		nenv = 0;
		if (ex->phase != EX_STARTING)
			break; /* killed meanwhile */
		if (error)
			begin_termination(ex, EX_CAUSE_HOOK_FAILED, task_grace(ex), msg);
		else
			start_task(ex);
		break;
	case HOOK_AFTER_TASK_START:
	case HOOK_AFTER_TASK_HEALTHY:
		if (error && ex->phase == EX_RUNNING) {
			log_error("%s", msg);
			begin_termination(ex, EX_CAUSE_HOOK_FAILED, task_grace(ex), msg);
		}
		break;
	case HOOK_BEFORE_TERMINATE:
		if (error && ex->hooks_cut)
			log_warn("BeforeTerminate hooks finished after they were cut short: %s",
			         error);
		else if (error)
			log_warn("BeforeTerminate hook failed: %s (the task is stopped anyway)",
			         error);
		else if (ex->hooks_cut)
			log_info("BeforeTerminate hooks finished after they were cut short");
		if (ex->phase == EX_STOPPING)
			enter_signalled(ex);
		break;
	default:
		break;
	}
	strv_free_n(env, nenv);
	pump_hooks(ex);
}

void ex_task_timer(struct executor *ex, enum ex_timer t)
{
	switch (t) {
	case EX_TIMER_GRACE:
		if (ex->phase != EX_SIGNALLED)
			break;
		if (ex->deadline_ns >= 0) {
			log_info("grace period over: SIGKILL to whatever is left of the task");
			ex_signal(ex, SIGKILL);
			ex->deadline_ns = -1;
			/* Reaping follows at once; this only guards against a
			 * process the kernel will not let go of. */
			ex_timer(ex, EX_TIMER_GRACE, 5 * NS_PER_SEC);
		} else {
			log_error(
			    "processes of the task survived SIGKILL; reporting it ended anyway");
			ex->main_exited = ex->tree_gone = true;
			finish(ex);
		}
		break;
	case EX_TIMER_MAX_COMPLETION:
		if (ex->phase == EX_RUNNING)
			begin_termination(ex, EX_CAUSE_MAX_COMPLETION, 0, NULL);
		break;
	case EX_TIMER_CERT:
		expire(ex);
		break;
	case EX_TIMER_HOOKS: {
		if (ex->phase != EX_STOPPING)
			break;
		char h[32], g[32];
		duration_format_mesos(ex->hooks_budget_ns, h, sizeof(h));
		duration_format_mesos(ex->cfg->shutdown_grace_ns, g, sizeof(g));
		log_warn(
		    "hooks cut short after %s: SIGTERM now, so that the task is stopped within "
		    "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD (%s); the hooks go on meanwhile",
		    h, g);
		ex->hooks_cut = true;
		enter_signalled(ex);
		break;
	}
	case EX_TIMER_SHUTDOWN:
		log_error("the shutdown grace is over and the agent is gone: SIGKILL to whatever "
		          "is left of the task, exiting");
		ex_signal(ex, SIGKILL);
		ex_exit(ex, EX_EXIT_AGENT_LOST);
		break;
	default:
		break;
	}
}

void ex_sigterm(struct executor *ex)
{
	if (ex->exited)
		return;
	if (ex->task && ex->phase > EX_IDLE && ex->phase < EX_DONE) {
		if (ex->phase >= EX_STOPPING) {
			log_warn("second termination signal: no more grace");
			shorten_grace(ex, 0);
			return;
		}
		begin_termination(ex, EX_CAUSE_SIGTERM, task_grace(ex), NULL);
	} else if (ex->phase != EX_DONE) {
		ex_exit(ex, EX_EXIT_OK);
	}
}
