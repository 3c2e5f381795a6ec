/* What the master and the operator do to a running agent: kill a task,
 * shut an executor down, tear the framework down, terminate the agent, pass
 * a framework message, and the restart simulations (the agent process
 * restarting, or gone for a while), with the reconciliation that follows.
 * Each is ignored, with a note saying why, where the Mesos agent would
 * ignore the master's message (Mesos src/slave/slave.cpp, Slave::killTask,
 * Slave::shutdownExecutor, Slave::shutdownFramework). */
#include "internal.h"

#include "common/duration.h"

#include <stdio.h>
#include <string.h>

#define NS_PER_MS 1000000LL

static void on_phase_timer(uv_timer_t *t);
static void reconcile(struct fa_agent *a);

/* Why the agent ignores an operator's (the master's) action now, or NULL:
 * its own state and the framework's, as Slave::killTask and
 * Slave::shutdownExecutor check them. */
static const char *agent_busy(const struct fa_agent *a)
{
	return a->terminating                 ? "the agent is terminating"
	       : a->phase != FA_PHASE_UP      ? "the agent is recovering"
	       : a->fw_state == FA_FW_GONE    ? "no such framework is running"
	       : a->fw_state != FA_FW_RUNNING ? "the framework is terminating"
	                                      : NULL;
}

int fa_agent_kill(struct fa_agent *a, const char *task_id, int64_t grace, char *err, size_t errlen)
{
	struct fa_task *t = fa_task_find(a, task_id);
	if (!t) {
		snprintf(err, errlen, "task '%s' is unknown", task_id);
		return -1;
	}
	struct fa_executor *e = t->exec;
	const char *busy = agent_busy(a);
	if (busy) {
		fa_note(a, FA_NOTE_INFO, e, task_id, "kill of %s ignored: %s", task_id, busy);
		return 0;
	}
	if (mesos_task_state_terminal(t->state)) {
		fa_note(a, FA_NOTE_INFO, e, task_id, "kill of %s ignored: task is %s", task_id,
		        mesos_task_state_name(t->state));
		return 0;
	}
	if (e->state == FA_EXEC_TERMINATING || e->state == FA_EXEC_TERMINATED) {
		/* Slave::kill: no KILL, no update; the executor's end decides */
		fa_note(a, FA_NOTE_INFO, e, task_id, "kill of %s ignored: its executor is %s",
		        task_id, e->state == FA_EXEC_TERMINATING ? "terminating" : "terminated");
		return 0;
	}
	if (!t->delivered) {
		/* Still queued at the agent: answered by the agent itself. */
		fa_status_from_agent(
		    a, t, MESOS__V1__TASK_STATE__TASK_KILLED,
		    MESOS__V1__TASK_STATUS__REASON__REASON_TASK_KILLED_DURING_LAUNCH,
		    "Killed before delivery to the executor", -1);
		bool queued = false;
		for (struct fa_task *o = e->tasks; o; o = o->next)
			queued |= !o->delivered && !mesos_task_state_terminal(o->state);
		if (!queued && !e->ever_sent_task && e->state == FA_EXEC_RUNNING)
			fa_executor_shutdown(e);
		return 0;
	}
	if (fa_send_kill(e, task_id, grace) < 0)
		fa_note(a, FA_NOTE_WARN, e, task_id, "KILL for %s lost: executor not connected",
		        task_id);
	return 0;
}

int fa_agent_shutdown(struct fa_agent *a, const char *executor_id, char *err, size_t errlen)
{
	if (!executor_id) {
		for (struct fa_executor *e = a->executors; e; e = e->next)
			fa_executor_shutdown(e);
		return 0;
	}
	struct fa_executor *e = fa_agent_executor(a, executor_id);
	if (!e || e->state == FA_EXEC_TERMINATED) {
		snprintf(err, errlen, "executor '%s' is unknown or terminated", executor_id);
		return -1;
	}
	const char *busy = agent_busy(a);
	if (busy) {
		fa_note(a, FA_NOTE_INFO, e, NULL, "shutdown of executor %s ignored: %s",
		        executor_id, busy);
		return 0;
	}
	fa_executor_shutdown(e);
	return 0;
}

/* The framework is gone once its last executor is: calls name it no more. */
void fa_framework_check_idle(struct fa_agent *a)
{
	if (a->fw_state != FA_FW_TERMINATING)
		return;
	for (struct fa_executor *e = a->executors; e; e = e->next)
		if (e->state != FA_EXEC_TERMINATED)
			return;
	a->fw_state = FA_FW_GONE;
	fa_note(a, FA_NOTE_INFO, NULL, NULL, "framework %s removed", a->framework_id);
	if (a->terminating)
		fa_note(a, FA_NOTE_INFO, NULL, NULL,
		        "agent terminated (a real one would exit here; fakeagent stays up for "
		        "/state)");
}

/* Slave::shutdownFramework: the framework TERMINATING, each of its
 * executors shut down. */
static void framework_terminate(struct fa_agent *a)
{
	if (a->fw_state != FA_FW_RUNNING)
		return;
	a->fw_state = FA_FW_TERMINATING;
	fa_note(a, FA_NOTE_INFO, NULL, NULL,
	        "framework %s terminating: its executors are shut down, its updates ignored",
	        a->framework_id);
	for (struct fa_executor *e = a->executors; e; e = e->next)
		fa_executor_shutdown(e);
	fa_framework_check_idle(a);
}

int fa_agent_teardown(struct fa_agent *a, char *err, size_t errlen)
{
	if (a->fw_state != FA_FW_RUNNING) {
		snprintf(err, errlen, "framework %s is not running", a->framework_id);
		return -1;
	}
	a->torn_down = true;
	framework_terminate(a);
	return 0;
}

int fa_agent_terminate(struct fa_agent *a, char *err, size_t errlen)
{
	if (a->terminating) {
		snprintf(err, errlen, "the agent is already terminating");
		return -1;
	}
	a->terminating = true;
	fa_note(a, FA_NOTE_INFO, NULL, NULL, "agent terminating: shutting its frameworks down");
	if (a->fw_state == FA_FW_RUNNING)
		framework_terminate(a);
	else
		fa_framework_check_idle(a);
	return 0;
}

int fa_agent_message(struct fa_agent *a, const char *executor_id, const void *data, size_t len,
                     char *err, size_t errlen)
{
	struct fa_executor *e = fa_agent_executor(a, executor_id);
	if (!e || e->state == FA_EXEC_TERMINATED) {
		snprintf(err, errlen, "executor '%s' is unknown or terminated", executor_id);
		return -1;
	}
	if (fa_send_message(e, data, len) < 0) {
		snprintf(err, errlen, "executor '%s' is not connected", executor_id);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ restart simulation */

static void on_phase_timer(uv_timer_t *t)
{
	struct fa_agent *a = t->data;
	char d[32];

	if (a->phase == FA_PHASE_DOWN) {
		char err[256];
		if (!a->httpd && fa_serve(a, a->address, err, sizeof(err)) < 0) {
			fa_note(a, FA_NOTE_WARN, NULL, NULL,
			        "agent cannot listen again: %s; retrying", err);
			uv_timer_start(&a->phase_timer, on_phase_timer, 100, 0);
			return;
		}
		a->phase = FA_PHASE_RECOVERING;
		duration_format_mesos(a->cfg.reregistration_timeout, d, sizeof(d));
		fa_note(a, FA_NOTE_INFO, NULL, NULL,
		        "agent recovered its containers: accepting re-SUBSCRIBE for %s", d);
		for (struct fa_executor *e = a->executors; e; e = e->next) {
			if (e->state == FA_EXEC_TERMINATED || e->destroying)
				continue;
			if (e->forgotten) {
				fa_note(a, FA_NOTE_WARN, e, NULL,
				        "orphaned container %s (framework not checkpointed): "
				        "destroying "
				        "it",
				        e->container_id);
				fa_executor_destroy(e, FA_DESTROY_ORPHAN);
			} else if (e->exited) {
				fa_executor_destroy(e, FA_DESTROY_EXITED); /* ended while down */
			}
		}
		uv_timer_start(&a->phase_timer, on_phase_timer,
		               (uint64_t)(a->cfg.reregistration_timeout / NS_PER_MS), 0);
		return;
	}
	if (a->phase == FA_PHASE_RECOVERING) {
		for (struct fa_executor *e = a->executors; e; e = e->next) {
			if (e->state == FA_EXEC_TERMINATED || e->destroying || e->resubscribed)
				continue;
			fa_note(a, FA_NOTE_WARN, e, NULL,
			        "executor did not re-subscribe in time: destroying it");
			fa_executor_destroy(e, FA_DESTROY_REREGISTRATION);
		}
		a->phase = FA_PHASE_UP;
		fa_note(a, FA_NOTE_INFO, NULL, NULL, "agent finished recovery");
		reconcile(a);
	}
}

/* The agent, registered again with the master, answers its reconciliation
 * (Master::reconcileKnownSlave, then Slave's ReconcileTasksMessage
 * handling): the tasks it forgot in the restart end as TASK_DROPPED
 * (TASK_LOST for a framework that is not partition-aware). */
static void reconcile(struct fa_agent *a)
{
	bool partition_aware =
	    fa_framework_has(a, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE);
	for (struct fa_executor *e = a->executors; e; e = e->next) {
		if (!e->forgotten)
			continue;
		e->forgotten = false; /* reconciled once */
		for (struct fa_task *t = e->tasks; t; t = t->next)
			if (!mesos_task_state_terminal(t->state))
				fa_status_from_agent(
				    a, t,
				    partition_aware ? MESOS__V1__TASK_STATE__TASK_DROPPED
				                    : MESOS__V1__TASK_STATE__TASK_LOST,
				    MESOS__V1__TASK_STATUS__REASON__REASON_RECONCILIATION,
				    "Reconciliation: task unknown to the agent", -1);
	}
}

/* Streams cut, phase DOWN for `downtime`, then on_phase_timer. Without
 * checkpointing nothing of the framework survives the restart: it is not
 * recovered, and its executors are forgotten. */
static void go_down(struct fa_agent *a, int64_t downtime)
{
	a->phase = FA_PHASE_DOWN;
	if (!a->cfg.checkpoint && a->fw_state == FA_FW_RUNNING) {
		a->fw_state = FA_FW_GONE;
		fa_note(a, FA_NOTE_INFO, NULL, NULL,
		        "framework %s does not checkpoint: the restarted agent will not know it",
		        a->framework_id);
	}
	for (struct fa_executor *e = a->executors; e; e = e->next) {
		if (e->state == FA_EXEC_TERMINATED)
			continue;
		e->forgotten = !a->cfg.checkpoint;
		e->resubscribed = false;
		fa_stream_close(e, true);
		uv_timer_stop(&e->heartbeat);
		if (e->state == FA_EXEC_REGISTERING)
			uv_timer_stop(&e->deadline);
	}
	fa_acks_cancel_all(a);
	uv_timer_start(&a->phase_timer, on_phase_timer,
	               (uint64_t)(downtime > 0 ? downtime / NS_PER_MS : 0), 0);
}

/* Whether a restart may begin (one at a time); d gets the downtime's text. */
static bool may_go_down(const struct fa_agent *a, int64_t downtime, char d[32], char *err,
                        size_t errlen)
{
	if (a->phase != FA_PHASE_UP) {
		snprintf(err, errlen, "the agent is already restarting");
		return false;
	}
	duration_format_mesos(downtime, d, 32);
	return true;
}

int fa_agent_restart(struct fa_agent *a, int64_t downtime, char *err, size_t errlen)
{
	char d[32];
	if (!may_go_down(a, downtime, d, err, errlen))
		return -1;
	fa_note(a, FA_NOTE_INFO, NULL, NULL,
	        "agent restarting: streams cut, every call answered 503 for %s", d);
	go_down(a, downtime);
	return 0;
}

int fa_agent_go_away(struct fa_agent *a, int64_t downtime, char *err, size_t errlen)
{
	char d[32];
	if (!may_go_down(a, downtime, d, err, errlen))
		return -1;
	fa_note(a, FA_NOTE_INFO, NULL, NULL,
	        "agent gone: streams cut, connections to %s refused for %s", a->address, d);
	go_down(a, downtime);
	httpd_stop(a->httpd); /* freed once its handles are closed */
	a->httpd = NULL;
	return 0;
}
