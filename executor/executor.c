/* The state machine's entry points (see executor.h): each input is routed to
 * the part that handles it (executor_task.c, executor_agent.c), effects wait
 * in a queue until the shell takes them, and the shell asks its questions
 * here. */
#include "executor_internal.h"

#include "common/log.h"
#include "common/str.h"

#include <stdlib.h>
#include <string.h>

const char *ex_cause_text(enum ex_cause c)
{
	switch (c) {
	case EX_CAUSE_NONE:
		return "no cause";
	case EX_CAUSE_EXITED:
		return "the command ended";
	case EX_CAUSE_KILLED:
		return "KILL from the agent";
	case EX_CAUSE_SHUTDOWN:
		return "SHUTDOWN from the agent";
	case EX_CAUSE_SIGTERM:
		return "the executor received SIGTERM";
	case EX_CAUSE_HEALTH:
		return "health checks failed";
	case EX_CAUSE_MAX_COMPLETION:
		return "max_completion_time reached";
	case EX_CAUSE_HOOK_FAILED:
		return "a hook failed";
	case EX_CAUSE_LAUNCH_FAILED:
		return "the command could not start";
	case EX_CAUSE_AGENT_LOST:
		return "agent lost";
	case EX_CAUSE_EXPIRED:
		return "the certificate expires";
	}
	return "?";
}

struct executor *ex_new(const struct ex_config *cfg, const struct ex_source *src)
{
	struct executor *ex = calloc(1, sizeof(*ex));
	if (!ex)
		return NULL;
	ex->cfg = cfg;
	ex->src = src;
	ex->exit_code_pending = -1;
	ex->shutdown_kill_by_ns = -1;
	ledger_init(&ex->ledger, (size_t)cfg->update_buffer);
	return ex;
}

void ex_free(struct executor *ex)
{
	if (!ex)
		return;
	struct ex_effect e;
	while (ex_next_effect(ex, &e))
		ex_effect_release(&e);
	free(ex->fx);
	ledger_free(&ex->ledger);
	if (ex->framework)
		protobuf_c_message_free_unpacked(&ex->framework->base, NULL);
	if (ex->task)
		protobuf_c_message_free_unpacked(&ex->task->base, NULL);
	if (ex->last_status)
		protobuf_c_message_free_unpacked(&ex->last_status->base, NULL);
	if (ex->last_check)
		protobuf_c_message_free_unpacked(&ex->last_check->base, NULL);
	free(ex->agent_id);
	free(ex->agent_hostname);
	strv_free_n(ex->hook_env, ex->nhook_env);
	strv_free_n(ex->killed_ids, ex->nkilled);
	free(ex);
}

/* ------------------------------------------------------------ effects */

void ex_effect_release(struct ex_effect *e)
{
	free(e->body);
	e->body = NULL;
	strv_free(e->env);
	e->env = NULL;
}

void ex_push(struct executor *ex, const struct ex_effect *e)
{
	struct ex_effect copy = *e;
	if (ex->exited) {
		ex_effect_release(&copy);
		return;
	}
	if (ex->fx_n == ex->fx_cap) {
		size_t cap = ex->fx_cap ? ex->fx_cap * 2 : 16;
		struct ex_effect *n = realloc(ex->fx, cap * sizeof(*n));
		if (!n) {
			log_error("out of memory queueing an effect of kind %d: dropped",
			          (int)e->kind);
			ex_effect_release(&copy);
			return;
		}
		ex->fx = n;
		ex->fx_cap = cap;
	}
	ex->fx[ex->fx_n++] = copy;
}

bool ex_next_effect(struct executor *ex, struct ex_effect *out)
{
	if (ex->fx_head == ex->fx_n)
		return false;
	*out = ex->fx[ex->fx_head++];
	if (ex->fx_head == ex->fx_n)
		ex->fx_head = ex->fx_n = 0;
	return true;
}

int64_t ex_now(const struct executor *ex)
{
	return ex->src->now(ex->src->ctx);
}

void ex_timer(struct executor *ex, enum ex_timer t, int64_t delay_ns)
{
	ex_push(ex, &(struct ex_effect){.kind = EX_FX_TIMER, .timer = t, .delay_ns = delay_ns});
}

void ex_signal(struct executor *ex, int sig)
{
	ex_push(ex, &(struct ex_effect){.kind = EX_FX_SIGNAL, .sig = sig});
}

void ex_exit(struct executor *ex, int code)
{
	if (ex->exited)
		return;
	for (int t = 0; t < EX_TIMER_COUNT; t++)
		ex_timer(ex, (enum ex_timer)t, -1);
	ex_push(ex, &(struct ex_effect){.kind = EX_FX_EXIT, .code = code});
	ex->exited = true;
}

/* ------------------------------------------------------------ inputs */

void ex_event(struct executor *ex, mesos_event *ev)
{
	if (ex->exited) {
		protobuf_c_message_free_unpacked(&ev->base, NULL);
		return;
	}
	switch (ev->type) {
	case MESOS__V1__EXECUTOR__EVENT__TYPE__SUBSCRIBED:
		if (ev->subscribed)
			ex_on_subscribed(ex, ev->subscribed);
		else
			log_error("SUBSCRIBED event without 'subscribed' ignored");
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH:
		if (ev->launch) {
			ex_on_launch(ex, ev->launch->task);
			ev->launch->task = NULL; /* stolen */
		} else {
			log_error("LAUNCH event without 'launch' ignored");
		}
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH_GROUP:
		ex_on_launch_group(ex, ev->launch_group ? ev->launch_group->task_group : NULL);
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__KILL:
		if (ev->kill)
			ex_on_kill(ex, ev->kill);
		else
			log_error("KILL event without 'kill' ignored");
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED:
		if (ev->acknowledged)
			ex_on_ack(ex, ev->acknowledged);
		else
			log_error("ACKNOWLEDGED event without 'acknowledged' ignored");
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN:
		ex_on_shutdown(ex);
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__ERROR:
		log_error("ERROR event from the agent: %s",
		          ev->error ? ev->error->message : "(no message)");
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__MESSAGE:
		log_debug("framework message of %zu bytes ignored",
		          ev->message ? ev->message->data.len : (size_t)0);
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__HEARTBEAT:
		log_debug("heartbeat");
		break;
	default:
		log_debug("event of unknown type %d ignored", (int)ev->type);
		break;
	}
	protobuf_c_message_free_unpacked(&ev->base, NULL);
}

void ex_timer_fired(struct executor *ex, enum ex_timer t)
{
	if (ex->exited)
		return;
	switch (t) {
	case EX_TIMER_RECOVERY:
		ex_recovery_timeout(ex);
		break;
	case EX_TIMER_ACK:
		ex_ack_timeout(ex);
		break;
	case EX_TIMER_RESEND:
		ex_resend_due(ex);
		break;
	case EX_TIMER_GRACE:
	case EX_TIMER_MAX_COMPLETION:
	case EX_TIMER_HOOKS:
	case EX_TIMER_SHUTDOWN:
	case EX_TIMER_CERT:
		ex_task_timer(ex, t);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ queries */

enum ex_phase ex_phase(const struct executor *ex)
{
	return ex->phase;
}

const Mesos__V1__TaskInfo *ex_task(const struct executor *ex)
{
	return ex->task;
}

const char *ex_agent_id(const struct executor *ex)
{
	return ex->agent_id;
}

const char *ex_agent_hostname(const struct executor *ex)
{
	return ex->agent_hostname;
}

bool ex_awaits_tree(const struct executor *ex)
{
	return !ex->exited && ex->main_exited && !ex->tree_gone;
}

bool ex_terminal_sent(const struct executor *ex)
{
	return ex->terminal_sent;
}

size_t ex_unacknowledged(const struct executor *ex)
{
	return ex->ledger.n;
}

const Mesos__V1__TaskStatus *ex_unacknowledged_update(const struct executor *ex, size_t i)
{
	return i < ex->ledger.n ? ex->ledger.e[i].status : NULL;
}

void ex_update_counts(const struct executor *ex, struct ex_update_counts *out)
{
	out->sent = ex->ledger.sent;
	out->acknowledged = ex->ledger.acked;
	out->resent = ex->ledger.resent;
}
