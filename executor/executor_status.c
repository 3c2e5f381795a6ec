/* The status updates of the state machine (executor_internal.h): built as
 * Mesos' command executor builds them (src/launcher/executor.cpp,
 * CommandExecutor::createTaskStatus), logged, kept in the ledger until the
 * agent acknowledges them, and queued as UPDATE calls. */
#include "executor_internal.h"

#include "common/log.h"
#include "common/uuid4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *ex_task_id(const struct executor *ex)
{
	return ex->task ? ex->task->task_id->value : "";
}

ProtobufCMessage *ex_copy_msg(const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return NULL;
	protobuf_c_message_pack(m, buf);
	ProtobufCMessage *c = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
	free(buf);
	return c;
}

bool ex_same_msg(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t na = protobuf_c_message_get_packed_size(a);
	size_t nb = protobuf_c_message_get_packed_size(b);
	if (na != nb)
		return false;
	uint8_t *x = malloc(na + 1), *y = malloc(nb + 1);
	bool same =
	    x && y &&
	    (protobuf_c_message_pack(a, x), protobuf_c_message_pack(b, y), memcmp(x, y, na) == 0);
	free(x);
	free(y);
	return same;
}

void ex_describe_exit(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "Command exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "Command terminated with signal %s%s", strsignal(WTERMSIG(st)),
		         WCOREDUMP(st) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "Command ended with wait status %d", st);
}

/* An empty CheckStatusInfo of the task's check type, as Mesos attaches to
 * every status it builds when the task defines a check. Only a valid check
 * gets one: the agent refuses every UPDATE whose CheckStatusInfo has type
 * UNKNOWN, and the checker skips invalid checks anyway. */
static void empty_check(const Mesos__V1__CheckInfo *ci, Mesos__V1__CheckStatusInfo *cs,
                        Mesos__V1__CheckStatusInfo__Command *cmd,
                        Mesos__V1__CheckStatusInfo__Http *http,
                        Mesos__V1__CheckStatusInfo__Tcp *tcp)
{
	cs->has_type = 1;
	cs->type = ci->type;
	if (ci->type == MESOS__V1__CHECK_INFO__TYPE__COMMAND)
		cs->command = cmd;
	else if (ci->type == MESOS__V1__CHECK_INFO__TYPE__HTTP)
		cs->http = http;
	else if (ci->type == MESOS__V1__CHECK_INFO__TYPE__TCP)
		cs->tcp = tcp;
}

static Mesos__V1__TaskStatus *status_build(struct executor *ex, const struct ex_status_spec *s)
{
	Mesos__V1__TaskStatus st = MESOS__V1__TASK_STATUS__INIT;
	Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
	Mesos__V1__ExecutorID eid = MESOS__V1__EXECUTOR_ID__INIT;
	Mesos__V1__CheckStatusInfo cs = MESOS__V1__CHECK_STATUS_INFO__INIT;
	Mesos__V1__CheckStatusInfo__Command cmd = MESOS__V1__CHECK_STATUS_INFO__COMMAND__INIT;
	Mesos__V1__CheckStatusInfo__Http http = MESOS__V1__CHECK_STATUS_INFO__HTTP__INIT;
	Mesos__V1__CheckStatusInfo__Tcp tcp = MESOS__V1__CHECK_STATUS_INFO__TCP__INIT;
	uint8_t uuid[16];

	tid.value = (char *)s->task_id;
	st.task_id = &tid;
	st.state = s->state;
	eid.value = ex->cfg->executor_id;
	st.executor_id = &eid;
	st.has_source = 1;
	st.source = MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR;
	ex->src->uuid(ex->src->ctx, uuid);
	st.has_uuid = 1;
	st.uuid.data = uuid;
	st.uuid.len = 16;
	st.has_timestamp = 1;
	st.timestamp = ex->src->wallclock(ex->src->ctx);
	st.message = (char *)s->message;
	if (s->reason >= 0) {
		st.has_reason = 1;
		st.reason = s->reason;
	}
	if (s->healthy >= 0) {
		st.has_healthy = 1;
		st.healthy = s->healthy;
	}
	bool ours = ex->task && strcmp(s->task_id, ex_task_id(ex)) == 0;
	if (ours && ex->last_check)
		st.check_status = ex->last_check;
	else if (ours && ex->task->check && check_validate(ex->task->check, NULL, 0) == 0)
		empty_check(ex->task->check, &cs, &cmd, &http, &tcp), st.check_status = &cs;
	return (Mesos__V1__TaskStatus *)ex_copy_msg(&st.base);
}

void ex_send_status(struct executor *ex, Mesos__V1__TaskStatus *st)
{
	if (!st) {
		log_error("out of memory building a status update");
		return;
	}
	char uuid[37] = "";
	if (st->uuid.len == 16)
		uuid4_format(st->uuid.data, uuid);
	log_fields(LOG_INFO, "status update", "state", mesos_task_state_name(st->state), "uuid",
	           uuid, "healthy", st->has_healthy ? (st->healthy ? "true" : "false") : NULL,
	           "reason", st->has_reason ? mesos_reason_name(st->reason) : NULL, "message",
	           st->message, "for_task", st->task_id->value, NULL);
	if (ex->task && strcmp(st->task_id->value, ex_task_id(ex)) == 0) {
		if (ex->last_status)
			protobuf_c_message_free_unpacked(&ex->last_status->base, NULL);
		ex->last_status = (Mesos__V1__TaskStatus *)ex_copy_msg(&st->base);
	}
	if (ledger_add(&ex->ledger, st, ex_now(ex)) < 0) {
		log_error("%zu updates are waiting for acknowledgement "
		          "(ALLEGRO_EXECUTOR_STATE_UPDATE_BUFFER_SIZE): dropping this %s update",
		          ex->ledger.n, mesos_task_state_name(st->state));
		protobuf_c_message_free_unpacked(&st->base, NULL);
		return;
	}
	struct ex_effect e = {.kind = EX_FX_UPDATE};
	e.body = ex_update_body(ex, st, ex->cfg->encoding, &e.len);
	if (e.body)
		ex_push(ex, &e);
	else /* kept in the ledger: the next resend or SUBSCRIBE carries it */
		log_error("out of memory encoding a %s update", mesos_task_state_name(st->state));
	ex_arm_resend(ex);
}

void ex_send_new(struct executor *ex, const char *tid, int state, const char *message, int reason,
                 int healthy)
{
	struct ex_status_spec s = {tid, state, message, reason, healthy};
	ex_send_status(ex, status_build(ex, &s));
}

Mesos__V1__TaskStatus *ex_status_again(struct executor *ex, int reason)
{
	Mesos__V1__TaskStatus *st;
	uint8_t uuid[16];

	if (!ex->last_status)
		return NULL;
	st = (Mesos__V1__TaskStatus *)ex_copy_msg(&ex->last_status->base);
	if (!st)
		return NULL;
	ex->src->uuid(ex->src->ctx, uuid);
	memcpy(st->uuid.data, uuid, 16);
	st->timestamp = ex->src->wallclock(ex->src->ctx);
	st->has_reason = 1;
	st->reason = reason;
	free(st->message);
	st->message = NULL;
	return st;
}

/* The terminal state, reason, healthy flag and message, from the cause
 * (Mesos' command executor: FINISHED or FAILED by the exit status, KILLED
 * for a kill; reasons as in CommandExecutor::reaped). */
static void terminal_fields(struct executor *ex, struct ex_status_spec *s, char *buf, size_t len)
{
	s->task_id = ex_task_id(ex);
	s->reason = -1;
	s->healthy = -1;
	s->message = buf;
	if (ex->cause_message[0])
		snprintf(buf, len, "%s", ex->cause_message);
	else if (ex->main_status >= 0 && ex->main_exited)
		ex_describe_exit(ex->main_status, buf, len);
	switch (ex->cause) {
	case EX_CAUSE_EXITED:
		s->state = WIFEXITED(ex->main_status) && WEXITSTATUS(ex->main_status) == 0
		               ? MESOS__V1__TASK_STATE__TASK_FINISHED
		               : MESOS__V1__TASK_STATE__TASK_FAILED;
		break;
	case EX_CAUSE_MAX_COMPLETION:
		s->state = MESOS__V1__TASK_STATE__TASK_FAILED;
		s->reason = MESOS__V1__TASK_STATUS__REASON__REASON_MAX_COMPLETION_TIME_REACHED;
		snprintf(buf, len, "Task exceeded its max_completion_time");
		break;
	case EX_CAUSE_HOOK_FAILED:
		s->state = MESOS__V1__TASK_STATE__TASK_FAILED;
		break;
	case EX_CAUSE_LAUNCH_FAILED:
		s->state = MESOS__V1__TASK_STATE__TASK_FAILED;
		s->reason = MESOS__V1__TASK_STATUS__REASON__REASON_COMMAND_EXECUTOR_FAILED;
		break;
	case EX_CAUSE_HEALTH:
	case EX_CAUSE_EXPIRED:
		s->state = MESOS__V1__TASK_STATE__TASK_KILLED;
		s->healthy = 0;
		break;
	default:
		s->state = MESOS__V1__TASK_STATE__TASK_KILLED;
		break;
	}
}

void ex_send_terminal(struct executor *ex)
{
	char msg[600] = "";
	struct ex_status_spec s;
	terminal_fields(ex, &s, msg, sizeof(msg));
	ex_send_status(ex, status_build(ex, &s));
}
