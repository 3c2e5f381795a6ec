/* Faults injected into an executor's SUBSCRIBE stream (see faults.h). */
#include "faults.h"

#include "internal.h"
#include "proto/pbjson.h"
#include "proto/recordio.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The executor's open stream, or NULL with err. */
static struct fa_executor *streaming(struct fa_agent *a, const char *executor_id, char *err,
                                     size_t errlen)
{
	struct fa_executor *e = fa_agent_executor(a, executor_id);
	if (!e || e->state == FA_EXEC_TERMINATED) {
		snprintf(err, errlen, "executor '%s' is unknown or terminated", executor_id);
		return NULL;
	}
	if (!e->stream || httpd_stream_closed(e->stream)) {
		snprintf(err, errlen, "executor '%s' has no open event stream", executor_id);
		return NULL;
	}
	return e;
}

int fa_fault_drop_stream(struct fa_agent *a, const char *executor_id, char *err, size_t errlen)
{
	struct fa_executor *e = streaming(a, executor_id, err, errlen);
	if (!e)
		return -1;
	fa_note(a, FA_NOTE_WARN, e, NULL, "fault: the executor's event stream is cut");
	fa_stream_close(e, true);
	return 0;
}

/* The first bytes, printable, for the timeline. */
static void preview(const uint8_t *b, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 5 < outlen && i < 40; i++)
		o += (size_t)(isprint(b[i]) ? snprintf(out + o, outlen - o, "%c", b[i])
		                            : snprintf(out + o, outlen - o, "\\x%02x", b[i]));
	out[o] = '\0';
}

static int write_bytes(struct fa_executor *e, const uint8_t *bytes, size_t len, const char *what,
                       char *err, size_t errlen)
{
	char p[200];
	preview(bytes, len, p, sizeof(p));
	if (httpd_stream_write(e->stream, bytes, len) < 0) {
		snprintf(err, errlen, "cannot write to the executor's event stream");
		return -1;
	}
	fa_note(e->agent, FA_NOTE_WARN, e, NULL,
	        "fault: %s written to the event stream (%zu bytes: %s%s)", what, len, p,
	        len > 40 ? "..." : "");
	return 0;
}

int fa_fault_raw(struct fa_agent *a, const char *executor_id, const void *bytes, size_t len,
                 char *err, size_t errlen)
{
	struct fa_executor *e = streaming(a, executor_id, err, errlen);
	return e ? write_bytes(e, bytes, len, "raw bytes", err, errlen) : -1;
}

/* The protobuf encoding of a JSON Event; a numeric type is set as is. */
static uint8_t *event_protobuf(const cJSON *event, size_t *len, char *err, size_t errlen)
{
	cJSON *copy = cJSON_Duplicate(event, true);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(event, "type");
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (cJSON_IsNumber(type))
		cJSON_DeleteItemFromObjectCaseSensitive(copy, "type");
	mesos_event *ev = (mesos_event *)pbjson_from_json(&mesos__v1__executor__event__descriptor,
	                                                  copy, err, errlen);
	cJSON_Delete(copy);
	if (!ev)
		return NULL;
	if (cJSON_IsNumber(type)) {
		ev->has_type = true;
		ev->type = (Mesos__V1__Executor__Event__Type)type->valueint;
	}
	uint8_t *out = malloc(protobuf_c_message_get_packed_size(&ev->base) + 1);
	if (out)
		*len = protobuf_c_message_pack(&ev->base, out);
	else
		snprintf(err, errlen, "out of memory");
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	return out;
}

int fa_fault_event(struct fa_agent *a, const char *executor_id, const cJSON *event, char *err,
                   size_t errlen)
{
	struct fa_executor *e = streaming(a, executor_id, err, errlen);
	if (!e)
		return -1;
	if (!cJSON_IsObject(event)) {
		snprintf(err, errlen, "event: expected a JSON object (a mesos.v1.executor.Event)");
		return -1;
	}
	size_t len = 0, rlen = 0;
	uint8_t *payload = NULL;
	if (e->enc == MESOS_JSON) {
		payload = (uint8_t *)cJSON_PrintUnformatted(event);
		len = payload ? strlen((char *)payload) : 0;
		if (!payload)
			snprintf(err, errlen, "out of memory");
	} else {
		payload = event_protobuf(event, &len, err, errlen);
	}
	if (!payload)
		return -1;
	uint8_t *rec = recordio_encode(payload, len, &rlen);
	free(payload);
	if (!rec) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = write_bytes(e, rec, rlen,
	                     e->enc == MESOS_JSON ? "an event record (json)"
	                                          : "an event record (protobuf)",
	                     err, errlen);
	free(rec);
	return rc;
}
