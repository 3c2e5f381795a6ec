/* Fuzzes the JSON codec (proto/pbjson.h) on Event, or on Call when built
 * with FUZZ_JSON_CALL. Property: whatever decodes re-encodes, in plain and
 * agent style, to JSON that decodes to the same message (identical packed
 * bytes), agent-style JSON is stable, and the protobuf form round-trips.
 * Calls also go through the agent's validation. */
#include "fuzz.h"

#include "proto/mesos.h"
#include "proto/pbjson.h"

#include <string.h>

#ifdef FUZZ_JSON_CALL
#define DESC (&mesos__v1__executor__call__descriptor)
#else
#define DESC (&mesos__v1__executor__event__descriptor)
#endif

struct packed {
	uint8_t *data; /* owned */
	size_t len;
};

static struct packed pack(const ProtobufCMessage *m)
{
	struct packed p = {.len = protobuf_c_message_get_packed_size(m)};
	p.data = malloc(p.len + 1);
	CHECK(p.data != NULL);
	CHECK(protobuf_c_message_pack(m, p.data) == p.len);
	return p;
}

static ProtobufCMessage *decode_text(const char *text)
{
	char err[256] = "";
	ProtobufCMessage *m = pbjson_decode(DESC, text, strlen(text), err, sizeof(err));
	if (!m)
		fprintf(stderr, "re-decoding %s failed: %s\n", text, err);
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	ProtobufCMessage *m = pbjson_decode(DESC, (const char *)data, size, err, sizeof(err));
	if (!m) {
		CHECK(err[0] != '\0'); /* a rejection always says why */
		return 0;
	}
	struct packed want = pack(m);

	char *plain = pbjson_encode(m, 0, NULL);
	CHECK(plain != NULL);
	ProtobufCMessage *back = decode_text(plain);
	CHECK(back != NULL);
	struct packed got = pack(back);
	CHECK(got.len == want.len && memcmp(got.data, want.data, want.len) == 0);
	free(got.data);
	protobuf_c_message_free_unpacked(back, NULL);

	char *agent = pbjson_encode(m, PBJSON_EMIT_DEFAULTS, NULL);
	CHECK(agent != NULL);
	back = decode_text(agent);
	CHECK(back != NULL);
	char *agent2 = pbjson_encode(back, PBJSON_EMIT_DEFAULTS, NULL);
	CHECK(agent2 != NULL && strcmp(agent, agent2) == 0);
	free(agent2);
	protobuf_c_message_free_unpacked(back, NULL);

	back = protobuf_c_message_unpack(DESC, NULL, want.len, want.data);
	CHECK(back != NULL);
	got = pack(back);
	CHECK(got.len == want.len && memcmp(got.data, want.data, want.len) == 0);
	free(got.data);
	protobuf_c_message_free_unpacked(back, NULL);

#ifdef FUZZ_JSON_CALL
	if (mesos_validate_call((const mesos_call *)m, err, sizeof(err)) != 0)
		CHECK(err[0] != '\0');
#endif
	free(agent);
	free(plain);
	free(want.data);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
