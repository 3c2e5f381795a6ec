/* Fuzzes the fake agent's reading of an executor's call
 * (fakeagent/agent/endpoint.c's path): the body decoded as the Content-Type
 * says (JSON text parsed, then converted to a Call; or protobuf), validated
 * as the agent validates it (mesos_validate_call), and the Accept header
 * negotiated.
 * The first input byte picks the encoding and which encodings the agent
 * allows; the rest is the body, and also the Accept header. Properties: a
 * refused call always says why; an accepted UPDATE carries a valid uuid and
 * a status from the executor; a negotiated stream encoding is one the agent
 * allows; nothing leaks. */
#include "fuzz.h"

#include "fakeagent/agent/internal.h"
#include "proto/mesos.h"
#include "proto/pbjson.h"

#include <string.h>

static mesos_call *decode(enum mesos_encoding enc, const uint8_t *body, size_t len)
{
	char err[512] = "";
	if (enc == MESOS_PROTOBUF) {
		mesos_call *c = mesos_call_decode(enc, body, len, err, sizeof(err));
		CHECK(c || err[0]);
		return c;
	}
	cJSON *j = cJSON_ParseWithLength((const char *)body, len);
	if (!j || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return NULL;
	}
	mesos_call *c = (mesos_call *)pbjson_from_json(&mesos__v1__executor__call__descriptor, j,
	                                               err, sizeof(err));
	cJSON_Delete(j);
	CHECK(c || err[0]);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum mesos_encoding enc = data[0] & 1 ? MESOS_JSON : MESOS_PROTOBUF;
	int only = (data[0] >> 1) % 3 - 1; /* -1 both, 0 protobuf, 1 json */
	mesos_call *c = decode(enc, data + 1, size - 1);
	if (c) {
		char err[512] = "";
		if (mesos_validate_call(c, err, sizeof(err)) != 0) {
			CHECK(err[0] != '\0');
		} else if (c->type == MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE) {
			const Mesos__V1__TaskStatus *st = c->update->status;
			CHECK(mesos_uuid_valid(&st->uuid));
			CHECK(st->source == MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR);
			CHECK(st->task_id && st->task_id->value);
			mesos_task_state_name(st->state);
		}
		mesos_call_type_name(c->type);
		protobuf_c_message_free_unpacked(&c->base, NULL);
	}
	char *accept = strndup((const char *)data + 1, size - 1);
	CHECK(accept != NULL);
	int got = fa_accept_negotiate(accept, only);
	CHECK(got == -1 || got == MESOS_JSON || got == MESOS_PROTOBUF);
	CHECK(got == -1 || only < 0 || got == only);
	free(accept);
	return 0;
}
