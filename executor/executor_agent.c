/* The agent's side of the state machine (executor_internal.h): SUBSCRIBED,
 * the connection lost and found again, the recovery timeout, whether the
 * agent will take the executor back at all, acknowledgements, resending what
 * is not acknowledged, and the SUBSCRIBE and UPDATE calls. The rules follow
 * the executor library (Mesos src/executor/executor.cpp, MesosProcess:
 * disconnected, _recoveryTimeout); docs/reliability.md tells the story. */
#include "executor_internal.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>

bool ex_has_capability(const struct executor *ex, int cap)
{
	if (!ex->framework)
		return false;
	for (size_t i = 0; i < ex->framework->n_capabilities; i++)
		if (ex->framework->capabilities[i]->has_type &&
		    (int)ex->framework->capabilities[i]->type == cap)
			return true;
	return false;
}

void ex_arm_resend(struct executor *ex)
{
	int64_t next = ledger_next_due(&ex->ledger);
	if (!ex->subscribed || next < 0) {
		ex_timer(ex, EX_TIMER_RESEND, -1);
		return;
	}
	int64_t d = next - ex_now(ex);
	ex_timer(ex, EX_TIMER_RESEND, d < 0 ? 0 : d);
}

void ex_resend_due(struct executor *ex)
{
	const Mesos__V1__TaskStatus *due[32];
	if (!ex->subscribed)
		return;
	size_t n = ledger_due(&ex->ledger, ex_now(ex), due, 32);
	for (size_t i = 0; i < n; i++) {
		log_debug("resending unacknowledged %s update",
		          mesos_task_state_name(due[i]->state));
		struct ex_effect e = {.kind = EX_FX_UPDATE};
		e.body = ex_update_body(ex, due[i], ex->cfg->encoding, &e.len);
		if (e.body)
			ex_push(ex, &e);
	}
	ex_arm_resend(ex);
}

void ex_on_subscribed(struct executor *ex, Mesos__V1__Executor__Event__Subscribed *s)
{
	if (ex->framework)
		protobuf_c_message_free_unpacked(&ex->framework->base, NULL);
	ex->framework = s->framework_info; /* stolen from the event */
	s->framework_info = NULL;
	free(ex->agent_id);
	free(ex->agent_hostname);
	ex->agent_id = s->agent_info->id ? strdup(s->agent_info->id->value) : NULL;
	ex->agent_hostname = strdup(s->agent_info->hostname);
	ex->subscribed = true;
	ex->answered = false;
	if (ex->recovery_armed) {
		ex_timer(ex, EX_TIMER_RECOVERY, -1);
		ex->recovery_armed = false;
	}
	log_fields(LOG_INFO, "subscribed", "agent", ex->agent_id, "agent_host", ex->agent_hostname,
	           "unacknowledged", ex->ledger.n ? "yes" : "no", NULL);
	ledger_reschedule(&ex->ledger, ex_now(ex));
	ex_arm_resend(ex);
	if (ex->terminal_sent || (!ex->task && ex->nkilled))
		ex_timer(ex, EX_TIMER_ACK, ex->cfg->update_wait_ns);
}

/* True when nothing is left to do but exit: no task, and every update for
 * tasks we never ran has been acknowledged. */
static bool only_unlaunched_left(const struct executor *ex)
{
	return !ex->task && ex->ledger.n == 0;
}

void ex_on_ack(struct executor *ex, const Mesos__V1__Executor__Event__Acknowledged *a)
{
	int64_t state;
	bool task_acked = ex->ledger.task_acked;
	if (ledger_ack(&ex->ledger, &a->uuid, a->task_id->value, &state) < 0) {
		log_warn("acknowledgement of an unknown update for task %s ignored",
		         a->task_id->value);
		return;
	}
	/* Only an update of the launched task acknowledges that task (a refused
	 * second LAUNCH or a KILL before LAUNCH is another task). */
	if (!ex->task || strcmp(a->task_id->value, ex_task_id(ex)) != 0)
		ex->ledger.task_acked = task_acked;
	log_debug("%s update acknowledged", mesos_task_state_name((int)state));
	if (mesos_task_state_terminal((int)state)) {
		if (ex->task && strcmp(a->task_id->value, ex_task_id(ex)) == 0 &&
		    ex->phase == EX_DONE) {
			log_info("terminal update acknowledged: exiting");
			ex_exit(ex,
			        ex->exit_code_pending >= 0 ? ex->exit_code_pending : EX_EXIT_OK);
			return;
		}
		if (only_unlaunched_left(ex)) {
			log_info("no task to run: exiting");
			ex_exit(ex, EX_EXIT_OK);
			return;
		}
	}
	ex_arm_resend(ex);
}

void ex_connected(struct executor *ex)
{
	if (ex->exited || !ex->cfg->checkpoint)
		return;
	ex->answered = true;
	if (!ex->recovery_armed)
		return;
	ex_timer(ex, EX_TIMER_RECOVERY, -1);
	ex->recovery_armed = false;
	log_info("the agent answers again: recovery timer stopped");
}

void ex_disconnected(struct executor *ex)
{
	bool was = ex->subscribed;
	if (ex->exited)
		return;
	ex->subscribed = false;
	ex_timer(ex, EX_TIMER_RESEND, -1);
	ex_timer(ex, EX_TIMER_ACK, -1);
	if (was)
		log_warn("lost the connection to the agent");
	/* Without checkpointing the agent does not take an executor back once
	 * it was subscribed (the executor library shuts down at once); before
	 * that, reconnecting goes on as the agent's registration timeout
	 * allows. */
	if (!ex->cfg->checkpoint && (was || ex->framework)) {
		log_error("the framework does not checkpoint, so the agent will not take this "
		          "executor back: stopping the task");
		ex_push(ex, &(struct ex_effect){.kind = EX_FX_STOP_RECONNECTING});
		ex_agent_lost(ex);
		return;
	}
	bool refused = ex->answered && !was;
	ex->answered = false;
	if (refused) /* reachable, recovering: no timer until it is unreachable */
		return;
	if (!ex->recovery_armed) {
		/* Before the first subscription, allow the agent a minute like its
		 * registration timeout; after, the recovery timeout. */
		int64_t t = ex->cfg->checkpoint ? ex->cfg->recovery_timeout_ns : 60 * NS_PER_SEC;
		ex->recovery_armed = true;
		ex_timer(ex, EX_TIMER_RECOVERY, t);
	}
}

void ex_recovery_timeout(struct executor *ex)
{
	ex->recovery_armed = false;
	if (ex->subscribed)
		return;
	log_error("the agent did not come back in time: stopping the task");
	ex_agent_lost(ex);
}

void ex_ack_timeout(struct executor *ex)
{
	if (!ex->subscribed)
		return; /* resent in the next SUBSCRIBE; the recovery timer bounds this */
	if (ex->terminal_sent) {
		log_error("the terminal update was not acknowledged within %.1fs: exiting",
		          (double)ex->cfg->update_wait_ns / NS_PER_SEC);
		ex_exit(ex, EX_EXIT_NO_ACK);
	} else if (!ex->task) {
		ex_exit(ex, EX_EXIT_OK);
	}
}

/* ------------------------------------------------------------ calls */

static uint8_t *encode_call(const struct executor *ex, Mesos__V1__Executor__Call *call,
                            enum mesos_encoding enc, size_t *len)
{
	Mesos__V1__ExecutorID eid = MESOS__V1__EXECUTOR_ID__INIT;
	Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
	eid.value = ex->cfg->executor_id;
	fid.value = ex->cfg->framework_id;
	call->executor_id = &eid;
	call->framework_id = &fid;
	return mesos_encode(enc, &call->base, false, len);
}

uint8_t *ex_subscribe_body(const struct executor *ex, enum mesos_encoding enc, size_t *len)
{
	Mesos__V1__Executor__Call call = MESOS__V1__EXECUTOR__CALL__INIT;
	Mesos__V1__Executor__Call__Subscribe sub = MESOS__V1__EXECUTOR__CALL__SUBSCRIBE__INIT;
	size_t n = ex->ledger.n;
	Mesos__V1__Executor__Call__Update *ups = calloc(n ? n : 1, sizeof(*ups));
	Mesos__V1__Executor__Call__Update **upp = calloc(n ? n : 1, sizeof(*upp));
	Mesos__V1__TaskInfo *tasks[1];
	uint8_t *out = NULL;

	if (ups && upp) {
		for (size_t i = 0; i < n; i++) {
			mesos__v1__executor__call__update__init(&ups[i]);
			ups[i].status = ex->ledger.e[i].status;
			upp[i] = &ups[i];
		}
		sub.n_unacknowledged_updates = n;
		sub.unacknowledged_updates = upp;
		if (ex->task && !ex->ledger.task_acked) {
			tasks[0] = ex->task;
			sub.n_unacknowledged_tasks = 1;
			sub.unacknowledged_tasks = tasks;
		}
		call.has_type = 1;
		call.type = MESOS__V1__EXECUTOR__CALL__TYPE__SUBSCRIBE;
		call.subscribe = &sub;
		out = encode_call(ex, &call, enc, len);
	}
	free(ups);
	free(upp);
	return out;
}

uint8_t *ex_update_body(const struct executor *ex, const Mesos__V1__TaskStatus *st,
                        enum mesos_encoding enc, size_t *len)
{
	Mesos__V1__Executor__Call call = MESOS__V1__EXECUTOR__CALL__INIT;
	Mesos__V1__Executor__Call__Update up = MESOS__V1__EXECUTOR__CALL__UPDATE__INIT;
	up.status = (Mesos__V1__TaskStatus *)st;
	call.has_type = 1;
	call.type = MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE;
	call.update = &up;
	return encode_call(ex, &call, enc, len);
}
