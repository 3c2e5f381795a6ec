/* JSON <-> any protobuf-c message, driven by protobuf-c's descriptors, in the
 * dialect of Mesos (stout's JSON::Protobuf and protobuf::parse):
 *   - keys are proto field names (snake_case); unknown keys are ignored;
 *   - enums are name strings (a number is an error; an unknown name drops an
 *     optional field and is an error in a required one);
 *   - bytes are standard padded base64 (padding optional on input);
 *   - 64-bit integers are plain numbers (strings holding numbers accepted);
 *   - repeated fields are arrays, omitted when empty; `null` means unset;
 *   - a missing required field is an error naming its path
 *     ("update.status.task_id").
 * There is no per-message code: every message of every .proto works. */
#ifndef PROTO_PBJSON_H
#define PROTO_PBJSON_H

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

enum {
	/* Also write unset optional fields that have an explicit proto default,
	 * as the Mesos agent does ("shell": true, "port": 5051). */
	PBJSON_EMIT_DEFAULTS = 1,
};

/* Returns a new cJSON object (caller deletes), or NULL when out of memory.
 * 64-bit integers and doubles are raw nodes holding their exact text
 * (cJSON_IsRaw, valuestring), which pbjson_from_json reads back exactly. */
cJSON *pbjson_to_json(const ProtobufCMessage *msg, int flags);
/* Compact JSON text, malloc'd (caller frees); *len gets its length if set. */
char *pbjson_encode(const ProtobufCMessage *msg, int flags, size_t *len);

/* Builds a message of type `desc` from a JSON object. Returns a message to be
 * freed with protobuf_c_message_free_unpacked(msg, NULL), or NULL with a
 * message in err ("update.status.state: unknown enum name 'TASK_FOO'"). */
ProtobufCMessage *pbjson_from_json(const ProtobufCMessageDescriptor *desc, const cJSON *json,
                                   char *err, size_t errlen);
/* The same from JSON text (need not be NUL-terminated). */
ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *text,
                                size_t len, char *err, size_t errlen);

#endif
