/* Fuzzes protobuf Event decoding (proto/mesos.h) and the JSON writer on
 * whatever protobuf-c accepts, the same bytes also as a Call. Properties:
 * a decoded message packs to bytes that decode and pack identically; its
 * JSON, when it reads back (unknown enum values in required fields and
 * non-finite doubles cannot be written), writes the same JSON again. */
#include "fuzz.h"

#include "proto/mesos.h"
#include "proto/pbjson.h"

#include <string.h>

static void exercise(const ProtobufCMessageDescriptor *d, ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *bytes = malloc(len + 1);
	CHECK(bytes != NULL);
	CHECK(protobuf_c_message_pack(m, bytes) == len);
	ProtobufCMessage *again = protobuf_c_message_unpack(d, NULL, len, bytes);
	CHECK(again != NULL);
	CHECK(protobuf_c_message_get_packed_size(again) == len);
	uint8_t *bytes2 = malloc(len + 1);
	CHECK(bytes2 != NULL);
	protobuf_c_message_pack(again, bytes2);
	CHECK(memcmp(bytes, bytes2, len) == 0);
	free(bytes2);
	free(bytes);
	protobuf_c_message_free_unpacked(again, NULL);

	for (int flags = 0; flags <= PBJSON_EMIT_DEFAULTS; flags += PBJSON_EMIT_DEFAULTS) {
		char err[256];
		char *json = pbjson_encode(m, flags, NULL);
		CHECK(json != NULL);
		ProtobufCMessage *back = pbjson_decode(d, json, strlen(json), err, sizeof(err));
		if (back) {
			char *json2 = pbjson_encode(back, flags, NULL);
			CHECK(json2 != NULL);
			if (strcmp(json, json2) != 0) {
				fprintf(stderr, "first:  %s\nsecond: %s\n", json, json2);
				CHECK(!"JSON is stable");
			}
			free(json2);
			protobuf_c_message_free_unpacked(back, NULL);
		} else {
			CHECK(err[0] != '\0');
		}
		free(json);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	mesos_event *e = mesos_event_decode(MESOS_PROTOBUF, data, size, err, sizeof(err));
	if (e) {
		exercise(&mesos__v1__executor__event__descriptor, &e->base);
		mesos_event_type_name(e->type);
		protobuf_c_message_free_unpacked(&e->base, NULL);
	} else {
		CHECK(err[0] != '\0');
	}
	mesos_call *c = mesos_call_decode(MESOS_PROTOBUF, data, size, err, sizeof(err));
	if (c) {
		exercise(&mesos__v1__executor__call__descriptor, &c->base);
		if (mesos_validate_call(c, err, sizeof(err)) != 0)
			CHECK(err[0] != '\0');
		protobuf_c_message_free_unpacked(&c->base, NULL);
	}
	return 0;
}
