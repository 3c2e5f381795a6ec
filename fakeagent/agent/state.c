/* Task bookkeeping as the agent's status update manager sees it: status
 * updates from executors (ignored for a foreign agent_id or an unknown task,
 * duplicates re-acknowledged, and refused as updateTaskState refuses them:
 * anything after a terminal update, a non-terminal one for a queued task), acknowledgements
 * (delayed or dropped on request), the agent's own terminal updates when an executor goes away, and
 * the /state document. */
#include "internal.h"

#include "common/base64.h"
#include "common/dlist.h"
#include "common/duration.h"
#include "common/uuid4.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>

static double now_secs(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

struct fa_task *fa_task_find(struct fa_agent *a, const char *task_id)
{
	struct fa_task *found = NULL;
	for (struct fa_executor *e = a->executors; e; e = e->next) {
		for (struct fa_task *t = e->tasks; t; t = t->next)
			if (strcmp(t->info->task_id->value, task_id) == 0)
				found = t;
	}
	return found;
}

static struct fa_update *record(struct fa_task *t)
{
	if (t->n_updates == t->cap_updates) {
		size_t cap = t->cap_updates ? t->cap_updates * 2 : 8;
		struct fa_update *nu = realloc(t->updates, cap * sizeof(*nu));
		if (!nu)
			return NULL;
		t->updates = nu;
		t->cap_updates = cap;
	}
	struct fa_update *u = &t->updates[t->n_updates++];
	memset(u, 0, sizeof(*u));
	u->reason = -1;
	u->healthy = -1;
	u->received_at = now_secs();
	return u;
}

/* ------------------------------------------------------------ acknowledgements */

static void ack_closed(uv_handle_t *h)
{
	struct fa_ack *k = h->data;
	free(k->task_id);
	free(k);
}

static void ack_remove(struct fa_ack *k)
{
	struct fa_agent *a = k->agent;
	DLIST_DEL(a->acks, k);
	uv_close((uv_handle_t *)&k->timer, ack_closed);
}

static void on_ack_timer(uv_timer_t *t)
{
	struct fa_ack *k = t->data;
	struct fa_executor *e = k->exec;
	if (fa_send_ack(e, k->task_id, k->uuid) == 0) {
		struct fa_task *task = fa_task_find(k->agent, k->task_id);
		for (size_t i = 0; task && i < task->n_updates; i++)
			if (memcmp(task->updates[i].uuid, k->uuid, 16) == 0)
				task->updates[i].acknowledged = true;
	} else {
		fa_note(k->agent, FA_NOTE_WARN, e, k->task_id,
		        "ACKNOWLEDGED for %s lost: executor not connected", k->task_id);
	}
	ack_remove(k);
}

static void queue_ack(struct fa_agent *a, struct fa_task *t, const uint8_t uuid[16])
{
	struct fa_executor *e = t->exec;
	if (e->acks_dropped < a->cfg.drop_acks) {
		e->acks_dropped++;
		fa_note(a, FA_NOTE_WARN, e, t->info->task_id->value,
		        "acknowledgement dropped on purpose (%d of %d)", e->acks_dropped,
		        a->cfg.drop_acks);
		return;
	}
	struct fa_ack *k = calloc(1, sizeof(*k));
	if (!k)
		return;
	k->agent = a;
	k->exec = e;
	k->task_id = strdup(t->info->task_id->value);
	memcpy(k->uuid, uuid, 16);
	uv_timer_init(a->loop, &k->timer);
	k->timer.data = k;
	DLIST_ADD(a->acks, k);
	/* Always after the current call: ACKs of a SUBSCRIBE's updates follow SUBSCRIBED. */
	uv_timer_start(&k->timer, on_ack_timer, (uint64_t)(a->cfg.ack_delay / 1000000), 0);
}

void fa_acks_cancel_all(struct fa_agent *a)
{
	while (a->acks)
		ack_remove(a->acks);
}

/* ------------------------------------------------------------ updates */

/* Whether the agent's Executor::updateTaskState refuses an update to
 * `state` for t, and why, in its words: nothing follows a terminal update,
 * and a task still queued at the agent can only be ended. A refused update
 * is acknowledged all the same, so the executor does not retry it. */
static bool refusal(const struct fa_task *t, int state, char *why, size_t len)
{
	if (mesos_task_state_terminal(t->state)) {
		snprintf(why, len, "Task is already terminated with state %s",
		         mesos_task_state_name(t->state));
		return true;
	}
	if (!t->delivered && !mesos_task_state_terminal(state)) {
		snprintf(why, len, "Cannot send non-terminal update for queued task");
		return true;
	}
	return false;
}

void fa_status_from_executor(struct fa_agent *a, const Mesos__V1__TaskStatus *st)
{
	const char *tid = st->task_id->value;
	if (a->fw_state != FA_FW_RUNNING) { /* it could not acknowledge it */
		fa_note(a, FA_NOTE_WARN, NULL, tid,
		        "%s for task %s ignored: the framework is terminating (no ACK)",
		        mesos_task_state_name(st->state), tid);
		return;
	}
	if (st->agent_id && strcmp(st->agent_id->value, a->agent_id) != 0) {
		fa_note(a, FA_NOTE_WARN, NULL, tid,
		        "%s for task %s ignored: its agent_id '%s' is not this agent's (no ACK)",
		        mesos_task_state_name(st->state), tid, st->agent_id->value);
		return;
	}
	struct fa_task *t = fa_task_find(a, tid);
	if (!t) {
		fa_note(a, FA_NOTE_WARN, NULL, tid, "%s for unknown task %s ignored (no ACK)",
		        mesos_task_state_name(st->state), tid);
		return;
	}
	for (size_t i = 0; i < t->n_updates; i++) {
		if (st->uuid.len == 16 && memcmp(t->updates[i].uuid, st->uuid.data, 16) == 0) {
			fa_note(a, FA_NOTE_INFO, t->exec, tid,
			        "duplicate %s for %s: acknowledged again",
			        mesos_task_state_name(st->state), tid);
			queue_ack(a, t, st->uuid.data);
			return;
		}
	}
	char why[160];
	bool refused = refusal(t, st->state, why, sizeof(why));
	struct fa_update *u = record(t);
	if (!u)
		return;
	u->state = st->state;
	u->source = st->has_source ? (int)st->source : 0;
	u->reason = st->has_reason ? (int)st->reason : -1;
	u->healthy = st->has_healthy ? st->healthy : -1;
	u->message = st->message ? strdup(st->message) : NULL;
	u->timestamp = st->has_timestamp ? st->timestamp : 0;
	u->ignored = refused ? strdup(why) : NULL;
	memcpy(u->uuid, st->uuid.data, 16);
	if (!refused)
		t->state = st->state;
	fa_note_update(a, t, u);
	queue_ack(a, t, st->uuid.data);
}

void fa_status_from_agent(struct fa_agent *a, struct fa_task *t, int state, int reason,
                          const char *message, int source)
{
	struct fa_update *u = record(t);
	if (!u)
		return;
	u->state = state;
	u->source = source >= 0 ? source : MESOS__V1__TASK_STATUS__SOURCE__SOURCE_AGENT;
	u->reason = reason;
	u->message = message ? strdup(message) : NULL;
	u->timestamp = u->received_at;
	uuid4_new(u->uuid);
	t->state = state;
	fa_note_update(a, t, u);
}

static void describe_exit(const struct fa_executor *e, char *buf, size_t len)
{
	if (!e->spawned)
		snprintf(buf, len, "executor terminated (no process was run for it)");
	else if (!e->exited)
		snprintf(buf, len, "executor terminated (process %d killed)", (int)e->pid);
	else if (WIFEXITED(e->wait_status))
		snprintf(buf, len, "executor process %d exited with status %d", (int)e->pid,
		         WEXITSTATUS(e->wait_status));
	else if (WIFSIGNALED(e->wait_status))
		snprintf(buf, len, "executor process %d killed by signal %d (%s)", (int)e->pid,
		         WTERMSIG(e->wait_status), strsignal(WTERMSIG(e->wait_status)));
	else
		snprintf(buf, len, "executor process %d ended", (int)e->pid);
}

void fa_executor_terminated(struct fa_executor *e, enum fa_destroy_reason why)
{
	struct fa_agent *a = e->agent;
	if (e->state == FA_EXEC_TERMINATED)
		return;
	e->state = FA_EXEC_TERMINATED;
	uv_timer_stop(&e->deadline);
	uv_timer_stop(&e->heartbeat);
	fa_stream_close(e, false);
	char text[256];
	describe_exit(e, text, sizeof(text));
	fa_note_exec_end(a, e, text);
	if (why == FA_DESTROY_AGENT_STOP)
		return;
	/* No updates a terminating framework cannot acknowledge, nor for a
	 * framework the agent forgot in a restart (the master reconciles). */
	if (a->fw_state != FA_FW_RUNNING || why == FA_DESTROY_ORPHAN) {
		fa_framework_check_idle(a);
		return;
	}

	bool partition_aware =
	    fa_framework_has(a, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE);
	int state = MESOS__V1__TASK_STATE__TASK_FAILED;
	int reason = MESOS__V1__TASK_STATUS__REASON__REASON_EXECUTOR_TERMINATED;
	int source = -1;
	char msg[160] = "Executor terminated", d[32];
	switch (why) {
	case FA_DESTROY_REGISTRATION:
		reason = MESOS__V1__TASK_STATUS__REASON__REASON_EXECUTOR_REGISTRATION_TIMEOUT;
		duration_format_mesos(a->cfg.registration_timeout, d, sizeof(d));
		snprintf(msg, sizeof(msg), "Executor did not register within %s", d);
		break;
	case FA_DESTROY_REREGISTRATION:
		state = partition_aware ? MESOS__V1__TASK_STATE__TASK_GONE
		                        : MESOS__V1__TASK_STATE__TASK_LOST;
		reason = MESOS__V1__TASK_STATUS__REASON__REASON_EXECUTOR_REREGISTRATION_TIMEOUT;
		duration_format_mesos(a->cfg.reregistration_timeout, d, sizeof(d));
		snprintf(msg, sizeof(msg), "Executor did not reregister within %s", d);
		break;
	default:
		break;
	}
	for (struct fa_task *t = e->tasks; t; t = t->next)
		if (!mesos_task_state_terminal(t->state))
			fa_status_from_agent(a, t, state, reason, msg, source);
}

/* ------------------------------------------------------------ /state */

static const char *enum_value_name(const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	return ev ? ev->name : "UNKNOWN";
}

cJSON *fa_update_json(const struct fa_update *u)
{
	cJSON *j = cJSON_CreateObject();
	char id[37];
	uuid4_format(u->uuid, id);
	cJSON_AddStringToObject(j, "state", mesos_task_state_name(u->state));
	cJSON_AddStringToObject(
	    j, "source", enum_value_name(&mesos__v1__task_status__source__descriptor, u->source));
	if (u->reason >= 0)
		cJSON_AddStringToObject(j, "reason", mesos_reason_name(u->reason));
	if (u->healthy >= 0)
		cJSON_AddBoolToObject(j, "healthy", u->healthy);
	if (u->message)
		cJSON_AddStringToObject(j, "message", u->message);
	cJSON_AddStringToObject(j, "uuid", id);
	if (u->timestamp > 0)
		cJSON_AddNumberToObject(j, "timestamp", u->timestamp);
	cJSON_AddNumberToObject(j, "received_at", u->received_at);
	cJSON_AddBoolToObject(j, "acknowledged", u->acknowledged);
	if (u->ignored)
		cJSON_AddStringToObject(j, "ignored", u->ignored);
	return j;
}

static cJSON *task_json(const struct fa_task *t)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", t->info->task_id->value);
	cJSON_AddStringToObject(j, "name", t->info->name);
	cJSON_AddStringToObject(j, "state", mesos_task_state_name(t->state));
	cJSON_AddBoolToObject(j, "delivered", t->delivered);
	cJSON *ups = cJSON_AddArrayToObject(j, "updates");
	for (size_t i = 0; i < t->n_updates; i++)
		cJSON_AddItemToArray(ups, fa_update_json(&t->updates[i]));
	return j;
}

static cJSON *executor_json(const struct fa_executor *e)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", e->info->executor_id->value);
	cJSON_AddStringToObject(j, "container_id", e->container_id);
	cJSON_AddStringToObject(j, "state", fa_exec_state_name(e->state));
	cJSON_AddStringToObject(j, "sandbox", e->sandbox ? e->sandbox : "");
	if (e->spawned)
		cJSON_AddNumberToObject(j, "pid", e->pid);
	if (e->exited) {
		if (WIFEXITED(e->wait_status))
			cJSON_AddNumberToObject(j, "exit_status", WEXITSTATUS(e->wait_status));
		else if (WIFSIGNALED(e->wait_status))
			cJSON_AddNumberToObject(j, "exit_signal", WTERMSIG(e->wait_status));
	}
	cJSON_AddBoolToObject(j, "connected", e->stream != NULL);
	if (e->stream)
		cJSON_AddStringToObject(j, "encoding", mesos_content_type(e->enc));
	cJSON *tasks = cJSON_AddArrayToObject(j, "tasks");
	for (const struct fa_task *t = e->tasks; t; t = t->next)
		cJSON_AddItemToArray(tasks, task_json(t));
	return j;
}

cJSON *fa_agent_state_json(struct fa_agent *a)
{
	cJSON *j = cJSON_CreateObject();
	char pid[160];
	snprintf(pid, sizeof(pid), "slave(1)@%s", fa_agent_address(a));
	cJSON_AddStringToObject(j, "id", a->agent_id);
	cJSON_AddStringToObject(j, "hostname", a->hostname);
	cJSON_AddStringToObject(j, "pid", pid);
	cJSON_AddStringToObject(j, "containers", container_kind_name(a->containers));
	cJSON_AddStringToObject(j, "phase",
	                        a->phase == FA_PHASE_UP     ? "running"
	                        : a->phase == FA_PHASE_DOWN ? "down"
	                                                    : "recovering");
	cJSON *fws = cJSON_AddArrayToObject(j, "frameworks");
	cJSON *fw = cJSON_CreateObject();
	cJSON_AddItemToArray(fws, fw);
	cJSON_AddStringToObject(fw, "id", a->framework_id);
	cJSON_AddStringToObject(fw, "name", a->framework->name);
	cJSON_AddBoolToObject(fw, "checkpoint", a->cfg.checkpoint);
	cJSON *caps = cJSON_AddArrayToObject(fw, "capabilities");
	for (size_t i = 0; i < a->framework->n_capabilities; i++)
		cJSON_AddItemToArray(caps,
		                     cJSON_CreateString(enum_value_name(
		                         &mesos__v1__framework_info__capability__type__descriptor,
		                         a->framework->capabilities[i]->type)));
	cJSON *execs = cJSON_AddArrayToObject(fw, "executors");
	for (const struct fa_executor *e = a->executors; e; e = e->next)
		cJSON_AddItemToArray(execs, executor_json(e));
	return j;
}
