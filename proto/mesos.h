/* The Mesos executor wire format in one place: encoding selection, Event and
 * Call (de)serialisation in protobuf or JSON, the agent's validation rules for
 * executor calls, and names of enum values for logs and timelines.
 * Generated message types come from mesos/v1/{mesos,executor/executor}.proto. */
#ifndef PROTO_MESOS_H
#define PROTO_MESOS_H

#include "mesos/v1/executor/executor.pb-c.h"
#include "mesos/v1/mesos.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef Mesos__V1__Executor__Event mesos_event;
typedef Mesos__V1__Executor__Call mesos_call;

enum mesos_encoding { MESOS_PROTOBUF, MESOS_JSON };

#define MESOS_CT_PROTOBUF "application/x-protobuf"
#define MESOS_CT_JSON     "application/json"

const char *mesos_content_type(enum mesos_encoding enc);
/* Exact match, as the agent compares Content-Type; -1 for anything else. */
int mesos_encoding_from_content_type(const char *ct);

/* Decoders return a message to free with protobuf_c_message_free_unpacked
 * (msg, NULL), or NULL with the reason in err. */
mesos_event *mesos_event_decode(enum mesos_encoding enc, const uint8_t *buf, size_t len, char *err,
                                size_t errlen);
mesos_call *mesos_call_decode(enum mesos_encoding enc, const uint8_t *buf, size_t len, char *err,
                              size_t errlen);
/* Encoders return malloc'd bytes (caller frees) and set *len. With
 * `agent_style`, JSON also carries unset fields that have proto defaults. */
uint8_t *mesos_encode(enum mesos_encoding enc, const ProtobufCMessage *msg, bool agent_style,
                      size_t *len);

/* The agent's validateExecutorCall (Mesos src/common/validation.cpp): 0, or
 * -1 with the message the
 * agent would put after "Failed to validate Executor::Call: ". */
int mesos_validate_call(const mesos_call *call, char *err, size_t errlen);
/* A valid status update uuid: 16 bytes, RFC 4122 version 1..5. */
bool mesos_uuid_valid(const ProtobufCBinaryData *uuid);

const char *mesos_task_state_name(int state);
const char *mesos_event_type_name(int type);
const char *mesos_call_type_name(int type);
const char *mesos_reason_name(int reason);
bool mesos_task_state_terminal(int state);

/* Label lookup: the value of the first label with this key, "" for a label
 * without value, NULL when absent. */
const char *mesos_label(const Mesos__V1__Labels *labels, const char *key);

#endif
