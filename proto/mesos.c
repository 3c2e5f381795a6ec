/* Event/Call codecs, the agent's executor-call validation and enum names
 * (see mesos.h). */
#include "mesos.h"

#include "pbjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mesos_content_type(enum mesos_encoding enc)
{
	return enc == MESOS_JSON ? MESOS_CT_JSON : MESOS_CT_PROTOBUF;
}

int mesos_encoding_from_content_type(const char *ct)
{
	if (!ct)
		return -1;
	if (strcmp(ct, MESOS_CT_JSON) == 0)
		return MESOS_JSON;
	if (strcmp(ct, MESOS_CT_PROTOBUF) == 0)
		return MESOS_PROTOBUF;
	return -1;
}

/* Whether m or a message inside it holds a field numbered 0. protobuf-c
 * accepts one written as an overlong varint (0x80 0x00) and keeps it as an
 * unknown field, then packs bytes it cannot read back; C++ protobuf, the
 * agent's, rejects the message. Found by fuzz/fuzz_pb_event. */
static bool has_field_zero(const ProtobufCMessage *m)
{
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return true;
	for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
		const char *p = (const char *)m + f->offset;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			for (size_t k = 0; k < n; k++)
				if (has_field_zero((*(ProtobufCMessage *const *const *)p)[k]))
					return true;
		} else if (*(ProtobufCMessage *const *)p &&
		           has_field_zero(*(ProtobufCMessage *const *)p)) {
			return true;
		}
	}
	return false;
}

static ProtobufCMessage *decode(const ProtobufCMessageDescriptor *d, enum mesos_encoding enc,
                                const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	if (enc == MESOS_JSON)
		return pbjson_decode(d, (const char *)buf, len, err, errlen);
	ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, buf);
	if (m && has_field_zero(m)) {
		protobuf_c_message_free_unpacked(m, NULL);
		if (err && errlen)
			snprintf(err, errlen,
			         "%zu bytes are not a valid %s protobuf (field number 0)", len,
			         d->name);
		return NULL;
	}
	if (!m && err && errlen)
		snprintf(err, errlen, "%zu bytes are not a valid %s protobuf", len, d->name);
	return m;
}

mesos_event *mesos_event_decode(enum mesos_encoding enc, const uint8_t *buf, size_t len, char *err,
                                size_t errlen)
{
	return (mesos_event *)decode(&mesos__v1__executor__event__descriptor, enc, buf, len, err,
	                             errlen);
}

mesos_call *mesos_call_decode(enum mesos_encoding enc, const uint8_t *buf, size_t len, char *err,
                              size_t errlen)
{
	return (mesos_call *)decode(&mesos__v1__executor__call__descriptor, enc, buf, len, err,
	                            errlen);
}

uint8_t *mesos_encode(enum mesos_encoding enc, const ProtobufCMessage *msg, bool agent_style,
                      size_t *len)
{
	if (enc == MESOS_JSON)
		return (uint8_t *)pbjson_encode(msg, agent_style ? PBJSON_EMIT_DEFAULTS : 0, len);
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *out = malloc(n ? n : 1);
	if (out)
		*len = protobuf_c_message_pack(msg, out);
	return out;
}

bool mesos_uuid_valid(const ProtobufCBinaryData *uuid)
{
	if (uuid->len != 16)
		return false;
	unsigned version = uuid->data[6] >> 4;
	return version >= 1 && version <= 5;
}

static int check_status_valid(const Mesos__V1__CheckStatusInfo *cs, char *err, size_t errlen)
{
	if (!cs->has_type || cs->type == MESOS__V1__CHECK_INFO__TYPE__UNKNOWN) {
		snprintf(err, errlen, "CheckStatusInfo must specify a type other than UNKNOWN");
		return -1;
	}
	const char *missing = NULL;
	switch (cs->type) {
	case MESOS__V1__CHECK_INFO__TYPE__COMMAND:
		missing =
		    cs->command ? NULL : "Expecting 'command' to be set for COMMAND check's status";
		break;
	case MESOS__V1__CHECK_INFO__TYPE__HTTP:
		missing = cs->http ? NULL : "Expecting 'http' to be set for HTTP check's status";
		break;
	case MESOS__V1__CHECK_INFO__TYPE__TCP:
		missing = cs->tcp ? NULL : "Expecting 'tcp' to be set for TCP check's status";
		break;
	default:
		break;
	}
	if (missing) {
		snprintf(err, errlen, "%s", missing);
		return -1;
	}
	return 0;
}

int mesos_validate_call(const mesos_call *c, char *err, size_t errlen)
{
	if (!c->has_type) {
		snprintf(err, errlen, "Expecting 'type' to be present");
		return -1;
	}
	/* Decoded calls always have both (they are required fields); a call
	 * built by hand might not. */
	if (!c->executor_id || !c->executor_id->value) {
		snprintf(err, errlen, "Expecting 'executor_id' to be present");
		return -1;
	}
	if (!c->framework_id || !c->framework_id->value) {
		snprintf(err, errlen, "Expecting 'framework_id' to be present");
		return -1;
	}
	switch (c->type) {
	case MESOS__V1__EXECUTOR__CALL__TYPE__SUBSCRIBE:
		if (!c->subscribe) {
			snprintf(err, errlen, "Expecting 'subscribe' to be present");
			return -1;
		}
		return 0;
	case MESOS__V1__EXECUTOR__CALL__TYPE__MESSAGE:
		if (!c->message) {
			snprintf(err, errlen, "Expecting 'message' to be present");
			return -1;
		}
		return 0;
	case MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE:
		break;
	default:
		return 0;
	}
	if (!c->update) {
		snprintf(err, errlen, "Expecting 'update' to be present");
		return -1;
	}
	const Mesos__V1__TaskStatus *st = c->update->status;
	const char *eid = c->executor_id->value;
	if (!st) {
		snprintf(err, errlen, "Expecting 'update.status' to be present");
		return -1;
	}
	if (!st->has_uuid) {
		snprintf(err, errlen, "Expecting 'uuid' to be present");
		return -1;
	}
	if (!mesos_uuid_valid(&st->uuid)) { /* stout's UUID::fromBytes */
		snprintf(err, errlen, "Not a valid UUID");
		return -1;
	}
	if (st->executor_id && strcmp(st->executor_id->value, eid) != 0) {
		snprintf(err, errlen,
		         "ExecutorID in Call: %s does not match ExecutorID in TaskStatus: %s", eid,
		         st->executor_id->value);
		return -1;
	}
	if (!st->has_source || st->source != MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR) {
		snprintf(err, errlen,
		         "Received Call from executor %s of framework %s with invalid source, "
		         "expecting 'SOURCE_EXECUTOR'",
		         eid, c->framework_id->value);
		return -1;
	}
	if (st->state == MESOS__V1__TASK_STATE__TASK_STAGING) {
		snprintf(
		    err, errlen,
		    "Received TASK_STAGING from executor %s of framework %s which is not allowed",
		    eid, c->framework_id->value);
		return -1;
	}
	if (st->check_status)
		return check_status_valid(st->check_status, err, errlen);
	return 0;
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	return ev ? ev->name : "UNKNOWN";
}

const char *mesos_task_state_name(int s)
{
	return enum_name(&mesos__v1__task_state__descriptor, s);
}

const char *mesos_event_type_name(int t)
{
	return enum_name(&mesos__v1__executor__event__type__descriptor, t);
}

const char *mesos_call_type_name(int t)
{
	return enum_name(&mesos__v1__executor__call__type__descriptor, t);
}

const char *mesos_reason_name(int r)
{
	return enum_name(&mesos__v1__task_status__reason__descriptor, r);
}

bool mesos_task_state_terminal(int s)
{
	switch (s) {
	case MESOS__V1__TASK_STATE__TASK_FINISHED:
	case MESOS__V1__TASK_STATE__TASK_FAILED:
	case MESOS__V1__TASK_STATE__TASK_KILLED:
	case MESOS__V1__TASK_STATE__TASK_ERROR:
	case MESOS__V1__TASK_STATE__TASK_LOST:
	case MESOS__V1__TASK_STATE__TASK_DROPPED:
	case MESOS__V1__TASK_STATE__TASK_GONE:
	case MESOS__V1__TASK_STATE__TASK_GONE_BY_OPERATOR:
		return true;
	default:
		return false;
	}
}

const char *mesos_label(const Mesos__V1__Labels *labels, const char *key)
{
	if (!labels)
		return NULL;
	for (size_t i = 0; i < labels->n_labels; i++)
		if (strcmp(labels->labels[i]->key, key) == 0)
			return labels->labels[i]->value ? labels->labels[i]->value : "";
	return NULL;
}
