/* Events on an executor's SUBSCRIBE stream: each Event is encoded in the
 * stream's negotiated type (JSON in the agent's style, with defaulted
 * fields) and written as one RecordIO record in one chunk. Also the stream's
 * attachment to its executor and the HEARTBEAT timer. */
#include "internal.h"

#include "common/base64.h"
#include "common/duration.h"
#include "common/uuid4.h"
#include "proto/recordio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void describe(const mesos_event *ev, char *buf, size_t len)
{
	const char *name = mesos_event_type_name(ev->type);
	switch (ev->type) {
	case MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH:
		snprintf(buf, len, "%s task %s", name, ev->launch->task->task_id->value);
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__KILL:
		if (ev->kill->kill_policy && ev->kill->kill_policy->grace_period) {
			char d[32];
			duration_format_mesos(ev->kill->kill_policy->grace_period->nanoseconds, d,
			                      sizeof(d));
			snprintf(buf, len, "%s task %s (kill_policy grace %s)", name,
			         ev->kill->task_id->value, d);
		} else {
			snprintf(buf, len, "%s task %s", name, ev->kill->task_id->value);
		}
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED: {
		char u[37] = "?";
		if (ev->acknowledged->uuid.len == 16)
			uuid4_format(ev->acknowledged->uuid.data, u);
		snprintf(buf, len, "%s task %s uuid %s", name, ev->acknowledged->task_id->value, u);
		break;
	}
	case MESOS__V1__EXECUTOR__EVENT__TYPE__MESSAGE:
		snprintf(buf, len, "%s (%zu bytes)", name, ev->message->data.len);
		break;
	default:
		snprintf(buf, len, "%s", name);
	}
}

int fa_stream_send(struct fa_executor *e, const mesos_event *ev)
{
	if (!e->stream || httpd_stream_closed(e->stream))
		return -1;
	size_t len = 0, rlen = 0;
	uint8_t *payload = mesos_encode(e->enc, &ev->base, true, &len);
	uint8_t *rec = payload ? recordio_encode(payload, len, &rlen) : NULL;
	int rc = rec ? httpd_stream_write(e->stream, rec, rlen) : -1;
	free(payload);
	free(rec);
	if (rc == 0) {
		char text[512];
		describe(ev, text, sizeof(text));
		const char *task = ev->launch         ? ev->launch->task->task_id->value
		                   : ev->kill         ? ev->kill->task_id->value
		                   : ev->acknowledged ? ev->acknowledged->task_id->value
		                                      : NULL;
		fa_note(e->agent, FA_NOTE_EVENT, e, task, "%s", text);
	}
	return rc;
}

int fa_send_subscribed(struct fa_executor *e)
{
	Mesos__V1__ContainerID cid = MESOS__V1__CONTAINER_ID__INIT;
	cid.value = e->container_id;
	Mesos__V1__Executor__Event__Subscribed sub = MESOS__V1__EXECUTOR__EVENT__SUBSCRIBED__INIT;
	sub.executor_info = e->info;
	sub.framework_info = e->agent->framework;
	sub.agent_info = e->agent->agent_info;
	sub.container_id = &cid;
	mesos_event ev = MESOS__V1__EXECUTOR__EVENT__INIT;
	ev.has_type = true;
	ev.type = MESOS__V1__EXECUTOR__EVENT__TYPE__SUBSCRIBED;
	ev.subscribed = &sub;
	return fa_stream_send(e, &ev);
}

int fa_send_launch(struct fa_executor *e, struct fa_task *t)
{
	Mesos__V1__Executor__Event__Launch l = MESOS__V1__EXECUTOR__EVENT__LAUNCH__INIT;
	l.task = t->info;
	mesos_event ev = MESOS__V1__EXECUTOR__EVENT__INIT;
	ev.has_type = true;
	ev.type = MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH;
	ev.launch = &l;
	return fa_stream_send(e, &ev);
}

int fa_send_kill(struct fa_executor *e, const char *task_id, int64_t grace)
{
	Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
	tid.value = (char *)task_id;
	Mesos__V1__DurationInfo d = MESOS__V1__DURATION_INFO__INIT;
	d.nanoseconds = grace;
	Mesos__V1__KillPolicy kp = MESOS__V1__KILL_POLICY__INIT;
	kp.grace_period = &d;
	Mesos__V1__Executor__Event__Kill k = MESOS__V1__EXECUTOR__EVENT__KILL__INIT;
	k.task_id = &tid;
	if (grace >= 0)
		k.kill_policy = &kp;
	mesos_event ev = MESOS__V1__EXECUTOR__EVENT__INIT;
	ev.has_type = true;
	ev.type = MESOS__V1__EXECUTOR__EVENT__TYPE__KILL;
	ev.kill = &k;
	return fa_stream_send(e, &ev);
}

int fa_send_ack(struct fa_executor *e, const char *task_id, const uint8_t uuid[16])
{
	Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
	tid.value = (char *)task_id;
	Mesos__V1__Executor__Event__Acknowledged ack =
	    MESOS__V1__EXECUTOR__EVENT__ACKNOWLEDGED__INIT;
	ack.task_id = &tid;
	ack.uuid.data = (uint8_t *)uuid;
	ack.uuid.len = 16;
	mesos_event ev = MESOS__V1__EXECUTOR__EVENT__INIT;
	ev.has_type = true;
	ev.type = MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED;
	ev.acknowledged = &ack;
	return fa_stream_send(e, &ev);
}

int fa_send_simple(struct fa_executor *e, int type)
{
	mesos_event ev = MESOS__V1__EXECUTOR__EVENT__INIT;
	ev.has_type = true;
	ev.type = (Mesos__V1__Executor__Event__Type)type;
	return fa_stream_send(e, &ev);
}

int fa_send_message(struct fa_executor *e, const void *data, size_t len)
{
	Mesos__V1__Executor__Event__Message m = MESOS__V1__EXECUTOR__EVENT__MESSAGE__INIT;
	m.data.data = (uint8_t *)data;
	m.data.len = len;
	mesos_event ev = MESOS__V1__EXECUTOR__EVENT__INIT;
	ev.has_type = true;
	ev.type = MESOS__V1__EXECUTOR__EVENT__TYPE__MESSAGE;
	ev.message = &m;
	return fa_stream_send(e, &ev);
}

/* ------------------------------------------------------------ attachment */

/* Called by the scaffold when the executor's connection ends. Releasing the
 * stream here would free it under the scaffold's feet, so it is parked. */
static void on_stream_closed(struct httpd_stream *s, void *data)
{
	struct fa_executor *e = data;
	struct fa_agent *a = e->agent;
	if (e->stream == s) {
		e->stream = NULL;
		if (!a->stopping && e->state != FA_EXEC_TERMINATED)
			fa_note(a, FA_NOTE_INFO, e, NULL, "executor closed its event stream");
	}
	if (a->n_dead == a->cap_dead) {
		size_t cap = a->cap_dead ? a->cap_dead * 2 : 16;
		struct httpd_stream **nd = realloc(a->dead, cap * sizeof(*nd));
		if (!nd)
			return; /* leaks one small struct rather than crash */
		a->dead = nd;
		a->cap_dead = cap;
	}
	a->dead[a->n_dead++] = s;
}

void fa_streams_reap(struct fa_agent *a)
{
	for (size_t i = 0; i < a->n_dead; i++)
		httpd_stream_release(a->dead[i]);
	a->n_dead = 0;
	if (a->stopping) {
		free(a->dead);
		a->dead = NULL;
		a->cap_dead = 0;
	}
}

void fa_stream_close(struct fa_executor *e, bool abort)
{
	struct httpd_stream *s = e->stream;
	if (!s)
		return;
	e->stream = NULL;
	httpd_stream_end(s, abort);
	httpd_stream_release(s);
}

void fa_stream_attach(struct fa_executor *e, struct httpd_stream *s, enum mesos_encoding enc)
{
	if (e->stream) {
		fa_note(e->agent, FA_NOTE_INFO, e, NULL,
		        "closing the executor's previous event stream");
		fa_stream_close(e, false);
	}
	e->stream = s;
	e->enc = enc;
}

static void on_heartbeat(uv_timer_t *t)
{
	struct fa_executor *e = t->data;
	fa_send_simple(e, MESOS__V1__EXECUTOR__EVENT__TYPE__HEARTBEAT);
}

void fa_heartbeat_start(struct fa_executor *e)
{
	uint64_t ms = (uint64_t)(e->agent->cfg.heartbeat_interval / 1000000);
	if (ms == 0)
		ms = 1;
	uv_timer_start(&e->heartbeat, on_heartbeat, ms, ms);
}

/* The callback to give httpd_stream_open for an executor's stream. */
httpd_stream_closed_cb fa_stream_closed_cb(void)
{
	return on_stream_closed;
}
