/* Event and Call codecs (proto/mesos.h): every Call and Event type, with
 * every field of every message they reach set somewhere in the fixtures
 * (tests/unit/fixtures/), round-trips through protobuf and through JSON back
 * to the same packed bytes; the UPDATE call's JSON has exactly the shape the
 * agent reads (stout's JSON::Protobuf, then Mesos src/common/validation.cpp
 * validateExecutorCall); content types, enum names and labels. */
#include "testsupport.h"

#include "common/base64.h"
#include "common/uuid4.h"
#include "proto/mesos.h"
#include "proto/pbjson.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_DESC  (&mesos__v1__executor__call__descriptor)
#define EVENT_DESC (&mesos__v1__executor__event__descriptor)

static char err[256];

struct packed {
	uint8_t *data; /* owned */
	size_t len;
};

static struct packed pack(const ProtobufCMessage *m)
{
	struct packed p = {.len = protobuf_c_message_get_packed_size(m)};
	p.data = malloc(p.len + 1);
	assert_non_null(p.data);
	assert_int_equal(protobuf_c_message_pack(m, p.data), p.len);
	return p;
}

static void assert_packed_equal(struct packed a, struct packed b, const char *what)
{
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		fail_msg("%s: packed bytes differ (%zu vs %zu bytes)", what, a.len, b.len);
}

/* The fixture files for "call" or "event", sorted; globfree() after. */
static void fixtures(const char *kind, glob_t *g)
{
	char pattern[1024];
	snprintf(pattern, sizeof(pattern), "%s/tests/unit/fixtures/%s_*.json",
	         ts_env("SOURCE_DIR", "."), kind);
	assert_int_equal(glob(pattern, 0, NULL, g), 0);
	assert_true(g->gl_pathc > 0);
}

static ProtobufCMessage *load(const ProtobufCMessageDescriptor *d, const char *path)
{
	size_t len;
	char *text = ts_read_file(path, &len);
	assert_non_null(text);
	ProtobufCMessage *m = pbjson_decode(d, text, len, err, sizeof(err));
	if (!m)
		fail_msg("%s: %s", path, err);
	free(text);
	return m;
}

static ProtobufCMessage *decode_as(const ProtobufCMessageDescriptor *d, enum mesos_encoding enc,
                                   const uint8_t *buf, size_t len)
{
	if (d == CALL_DESC)
		return (ProtobufCMessage *)mesos_call_decode(enc, buf, len, err, sizeof(err));
	return (ProtobufCMessage *)mesos_event_decode(enc, buf, len, err, sizeof(err));
}

/* Whether every key of a is in b with an equal value (b may have more). */
static bool json_subset(const cJSON *a, const cJSON *b)
{
	if (cJSON_IsObject(a)) {
		const cJSON *e;
		if (!cJSON_IsObject(b))
			return false;
		cJSON_ArrayForEach (e, a) {
			if (!json_subset(e, cJSON_GetObjectItemCaseSensitive(b, e->string)))
				return false;
		}
		return true;
	}
	if (cJSON_IsArray(a)) {
		if (!cJSON_IsArray(b) || cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
			return false;
		for (int i = 0; i < cJSON_GetArraySize(a); i++)
			if (!json_subset(cJSON_GetArrayItem(a, i), cJSON_GetArrayItem(b, i)))
				return false;
		return true;
	}
	return b && cJSON_Compare(a, b, true);
}

static void round_trip_file(const ProtobufCMessageDescriptor *d, const char *path)
{
	size_t len;
	char *text = ts_read_file(path, &len);
	ProtobufCMessage *m = load(d, path);
	struct packed want = pack(m);

	/* protobuf */
	uint8_t *pb = mesos_encode(MESOS_PROTOBUF, m, false, &len);
	assert_non_null(pb);
	ProtobufCMessage *back = decode_as(d, MESOS_PROTOBUF, pb, len);
	if (!back)
		fail_msg("%s: protobuf decode: %s", path, err);
	struct packed got = pack(back);
	assert_packed_equal(want, got, path);
	free(got.data);
	protobuf_c_message_free_unpacked(back, NULL);
	free(pb);

	/* JSON, plain: the same message, and the same JSON as the fixture */
	uint8_t *js = mesos_encode(MESOS_JSON, m, false, &len);
	assert_non_null(js);
	back = decode_as(d, MESOS_JSON, js, len);
	if (!back)
		fail_msg("%s: JSON decode of %s: %s", path, (char *)js, err);
	got = pack(back);
	assert_packed_equal(want, got, path);
	free(got.data);
	protobuf_c_message_free_unpacked(back, NULL);
	cJSON *fixture = cJSON_Parse(text), *plain = cJSON_Parse((char *)js);
	if (!cJSON_Compare(fixture, plain, true))
		fail_msg("%s: re-encoded JSON differs from the fixture:\n%s", path, (char *)js);

	/* JSON, agent style: the plain JSON plus defaults, and stable */
	uint8_t *agent = mesos_encode(MESOS_JSON, m, true, &len);
	assert_non_null(agent);
	cJSON *agent_tree = cJSON_Parse((char *)agent);
	if (!json_subset(plain, agent_tree))
		fail_msg("%s: agent-style JSON lost keys:\n%s", path, (char *)agent);
	back = decode_as(d, MESOS_JSON, agent, len);
	assert_non_null(back);
	uint8_t *agent2 = mesos_encode(MESOS_JSON, back, true, &len);
	assert_string_equal((char *)agent2, (char *)agent);
	protobuf_c_message_free_unpacked(back, NULL);

	free(agent2);
	cJSON_Delete(agent_tree);
	free(agent);
	cJSON_Delete(fixture);
	cJSON_Delete(plain);
	free(js);
	free(want.data);
	protobuf_c_message_free_unpacked(m, NULL);
	free(text);
}

static void test_every_call_fixture_round_trips_through_protobuf_and_json(void **state)
{
	glob_t g;
	fixtures("call", &g);
	for (size_t i = 0; i < g.gl_pathc; i++)
		round_trip_file(CALL_DESC, g.gl_pathv[i]);
	globfree(&g);
}

static void test_every_event_fixture_round_trips_through_protobuf_and_json(void **state)
{
	glob_t g;
	fixtures("event", &g);
	for (size_t i = 0; i < g.gl_pathc; i++)
		round_trip_file(EVENT_DESC, g.gl_pathv[i]);
	globfree(&g);
}

/* Every value of the `type` enum appears in some fixture. */
static void assert_every_type_has_a_fixture(const char *kind, const ProtobufCMessageDescriptor *d)
{
	const ProtobufCFieldDescriptor *tf =
	    protobuf_c_message_descriptor_get_field_by_name(d, "type");
	const ProtobufCEnumDescriptor *ed = tf->descriptor;
	bool seen[64] = {false};
	glob_t g;
	fixtures(kind, &g);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		ProtobufCMessage *m = load(d, g.gl_pathv[i]);
		int type = *(int *)((char *)m + tf->offset);
		assert_true(type >= 0 && type < 64);
		seen[type] = true;
		protobuf_c_message_free_unpacked(m, NULL);
	}
	globfree(&g);
	for (unsigned i = 0; i < ed->n_values; i++)
		if (!seen[ed->values[i].value])
			fail_msg("no %s fixture of type %s", kind, ed->values[i].name);
}

static void test_every_call_and_event_type_has_a_fixture(void **state)
{
	assert_every_type_has_a_fixture("call", CALL_DESC);
	assert_every_type_has_a_fixture("event", EVENT_DESC);
}

/* ------------------------------------------------ field coverage */

#define MAX_FIELDS 1024

struct coverage {
	const ProtobufCFieldDescriptor *f[MAX_FIELDS];
	int n;
};

static void cover(struct coverage *c, const ProtobufCFieldDescriptor *f)
{
	for (int i = 0; i < c->n; i++)
		if (c->f[i] == f)
			return;
	assert_true(c->n < MAX_FIELDS);
	c->f[c->n++] = f;
}

static bool covered(const struct coverage *c, const ProtobufCFieldDescriptor *f)
{
	for (int i = 0; i < c->n; i++)
		if (c->f[i] == f)
			return true;
	return false;
}

/* Marks every field set in m (and in the messages it holds). */
static void mark_set_fields(struct coverage *c, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *p = (const char *)m + f->offset;
		size_t n = 1;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)((const char *)m + f->quantifier_offset);
			if (!n)
				continue;
			if (f->type == PROTOBUF_C_TYPE_MESSAGE)
				for (size_t k = 0; k < n; k++)
					mark_set_fields(c, (*(ProtobufCMessage *const **)p)[k]);
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE ||
		           f->type == PROTOBUF_C_TYPE_STRING) {
			const void *ptr = *(void *const *)p;
			if (!ptr)
				continue;
			if (f->type == PROTOBUF_C_TYPE_MESSAGE)
				mark_set_fields(c, ptr);
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		           !*(const protobuf_c_boolean *)((const char *)m + f->quantifier_offset)) {
			continue;
		}
		cover(c, f);
	}
}

/* Fails naming every field of a message reachable from d that no fixture
 * sets. */
static void find_uncovered(const struct coverage *c, const ProtobufCMessageDescriptor *d,
                           const ProtobufCMessageDescriptor **visited, int *nvisited, char *missing,
                           size_t len)
{
	for (int i = 0; i < *nvisited; i++)
		if (visited[i] == d)
			return;
	visited[(*nvisited)++] = d;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (!covered(c, f)) {
			size_t n = strlen(missing);
			snprintf(missing + n, len - n, " %s.%s", d->name, f->name);
		}
		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			find_uncovered(c, f->descriptor, visited, nvisited, missing, len);
	}
}

static void test_fixtures_set_every_field_of_every_message_calls_and_events_reach(void **state)
{
	static struct coverage c;
	const ProtobufCMessageDescriptor *visited[256];
	int nvisited = 0;
	char missing[4096] = "";
	const char *kinds[] = {"call", "event"};
	const ProtobufCMessageDescriptor *descs[] = {CALL_DESC, EVENT_DESC};

	for (int k = 0; k < 2; k++) {
		glob_t g;
		fixtures(kinds[k], &g);
		for (size_t i = 0; i < g.gl_pathc; i++) {
			ProtobufCMessage *m = load(descs[k], g.gl_pathv[i]);
			mark_set_fields(&c, m);
			protobuf_c_message_free_unpacked(m, NULL);
		}
		globfree(&g);
	}
	for (int k = 0; k < 2; k++)
		find_uncovered(&c, descs[k], visited, &nvisited, missing, sizeof(missing));
	if (missing[0])
		fail_msg("fields no fixture sets:%s", missing);
	assert_true(nvisited > 40);
}

/* ------------------------------------------------ the UPDATE call */

/* Asserts that obj has exactly these keys (NULL-terminated). */
static void assert_keys(const cJSON *obj, ...)
{
	va_list ap;
	int want = 0;
	const char *k;
	assert_true(cJSON_IsObject(obj));
	va_start(ap, obj);
	while ((k = va_arg(ap, const char *))) {
		if (!cJSON_HasObjectItem(obj, k))
			fail_msg("key '%s' missing in %s", k, cJSON_PrintUnformatted(obj));
		want++;
	}
	va_end(ap);
	assert_int_equal(cJSON_GetArraySize(obj), want);
}

static const char *str_at(const cJSON *obj, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, a);
	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

/* An UPDATE built the way an executor builds one. */
struct update {
	mesos_call call;
	Mesos__V1__ExecutorID eid;
	Mesos__V1__FrameworkID fid;
	Mesos__V1__TaskID tid;
	Mesos__V1__Executor__Call__Update update;
	Mesos__V1__TaskStatus status;
	uint8_t uuid[16];
};

static void update_build(struct update *u)
{
	*u = (struct update){.call = MESOS__V1__EXECUTOR__CALL__INIT,
	                     .eid = MESOS__V1__EXECUTOR_ID__INIT,
	                     .fid = MESOS__V1__FRAMEWORK_ID__INIT,
	                     .tid = MESOS__V1__TASK_ID__INIT,
	                     .update = MESOS__V1__EXECUTOR__CALL__UPDATE__INIT,
	                     .status = MESOS__V1__TASK_STATUS__INIT};
	u->eid.value = "e1";
	u->fid.value = "f1";
	u->tid.value = "t1";
	uuid4_new(u->uuid);
	u->status.task_id = &u->tid;
	u->status.state = MESOS__V1__TASK_STATE__TASK_RUNNING;
	u->status.has_source = 1;
	u->status.source = MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR;
	u->status.executor_id = &u->eid;
	u->status.has_uuid = 1;
	u->status.uuid.data = u->uuid;
	u->status.uuid.len = 16;
	u->update.status = &u->status;
	u->call.executor_id = &u->eid;
	u->call.framework_id = &u->fid;
	u->call.has_type = 1;
	u->call.type = MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE;
	u->call.update = &u->update;
}

static void test_update_call_json_has_exactly_the_fields_the_agent_reads(void **state)
{
	struct update u;
	size_t len;
	update_build(&u);
	char *js = (char *)mesos_encode(MESOS_JSON, &u.call.base, false, &len);
	cJSON *j = cJSON_Parse(js);
	assert_non_null(j);

	assert_keys(j, "type", "executor_id", "framework_id", "update", NULL);
	assert_string_equal(str_at(j, "type", NULL), "UPDATE");
	assert_keys(cJSON_GetObjectItem(j, "executor_id"), "value", NULL);
	assert_string_equal(str_at(j, "executor_id", "value"), "e1");
	assert_string_equal(str_at(j, "framework_id", "value"), "f1");
	const cJSON *update = cJSON_GetObjectItem(j, "update");
	assert_keys(update, "status", NULL);
	const cJSON *st = cJSON_GetObjectItem(update, "status");
	assert_keys(st, "task_id", "state", "source", "executor_id", "uuid", NULL);
	assert_string_equal(str_at(st, "task_id", "value"), "t1");
	assert_string_equal(str_at(st, "state", NULL), "TASK_RUNNING");
	assert_string_equal(str_at(st, "source", NULL), "SOURCE_EXECUTOR");
	assert_string_equal(str_at(st, "executor_id", "value"), "e1");

	const char *uuid = str_at(st, "uuid", NULL);
	assert_int_equal(strlen(uuid), 24);
	assert_string_equal(uuid + 22, "==");
	size_t n;
	uint8_t *raw = b64_decode(uuid, 24, &n);
	assert_int_equal(n, 16);
	assert_memory_equal(raw, u.uuid, 16);
	assert_int_equal(raw[6] >> 4, 4); /* version 4 */
	assert_int_equal(raw[8] >> 6, 2); /* RFC 4122 variant */
	free(raw);

	assert_int_equal(mesos_validate_call(&u.call, err, sizeof(err)), 0);
	cJSON_Delete(j);
	free(js);
}

static void test_update_call_with_a_known_uuid_encodes_to_the_expected_json(void **state)
{
	static const char want[] =
	    "{\"type\":\"UPDATE\",\"executor_id\":{\"value\":\"e1\"},\"framework_id\":{\"value\":"
	    "\"f1\"},\"update\":{\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"TASK_"
	    "RUNNING\",\"source\":\"SOURCE_EXECUTOR\",\"executor_id\":{\"value\":\"e1\"},"
	    "\"uuid\":\"q83vEjRWR5iqu8zd7v8AEQ==\"}}}";
	struct update u;
	size_t n;
	update_build(&u);
	uint8_t *raw = b64_decode("q83vEjRWR5iqu8zd7v8AEQ==", 24, &n);
	assert_int_equal(n, 16);
	memcpy(u.uuid, raw, 16);
	free(raw);
	char *js = (char *)mesos_encode(MESOS_JSON, &u.call.base, false, &n);
	cJSON *a = cJSON_Parse(js), *b = cJSON_Parse(want);
	if (!cJSON_Compare(a, b, true))
		fail_msg("encoded %s\nwanted  %s", js, want);
	cJSON_Delete(a);
	cJSON_Delete(b);
	free(js);
}

static void test_minimal_call_bodies_decode_validate_and_reencode_unchanged(void **state)
{
	static const char *bodies[] = {
	    "{\"type\":\"SUBSCRIBE\",\"executor_id\":{\"value\":\"e1\"},\"framework_id\":{"
	    "\"value\":\"f1\"},\"subscribe\":{}}",
	    "{\"type\":\"UPDATE\",\"executor_id\":{\"value\":\"e1\"},\"framework_id\":{\"value\":"
	    "\"f1\"},\n \"update\":{\"status\":{\"task_id\":{\"value\":\"t1\"},\"state\":\"TASK_"
	    "RUNNING\",\"source\":\"SOURCE_EXECUTOR\",\n \"executor_id\":{\"value\":\"e1\"},"
	    "\"uuid\":\"q83vEjRWR5iqu8zd7v8AEQ==\"}}}",
	    "{\"type\":\"MESSAGE\",\"executor_id\":{\"value\":\"e1\"},\"framework_id\":{\"value\":"
	    "\"f1\"},\"message\":{\"data\":\"aGk=\"}}",
	};
	for (size_t i = 0; i < 3; i++) {
		size_t len;
		mesos_call *c = mesos_call_decode(MESOS_JSON, (const uint8_t *)bodies[i],
		                                  strlen(bodies[i]), err, sizeof(err));
		if (!c)
			fail_msg("%s: %s", bodies[i], err);
		if (mesos_validate_call(c, err, sizeof(err)) != 0)
			fail_msg("%s: %s", bodies[i], err);
		char *js = (char *)mesos_encode(MESOS_JSON, &c->base, false, &len);
		cJSON *a = cJSON_Parse(js), *b = cJSON_Parse(bodies[i]);
		assert_true(cJSON_Compare(a, b, true));
		cJSON_Delete(a);
		cJSON_Delete(b);
		free(js);
		protobuf_c_message_free_unpacked(&c->base, NULL);
	}
}

/* ------------------------------------------------ protobuf errors */

static void test_protobuf_garbage_is_rejected_naming_the_message(void **state)
{
	static const uint8_t junk[] = {0xff, 0xff, 0xff};
	assert_null(mesos_event_decode(MESOS_PROTOBUF, junk, sizeof(junk), err, sizeof(err)));
	assert_string_equal(err, "3 bytes are not a valid mesos.v1.executor.Event protobuf");
	assert_null(mesos_call_decode(MESOS_PROTOBUF, junk, 2, err, sizeof(err)));
	assert_string_equal(err, "2 bytes are not a valid mesos.v1.executor.Call protobuf");
}

static void test_protobuf_field_number_zero_is_rejected_like_the_agent_does(void **state)
{
	/* Field 0 (its tag an overlong varint, 0x80 0x00) before an
	 * Event.message: protobuf-c alone accepts it, then packs bytes it
	 * cannot read back. */
	static const uint8_t bytes[] = {0x80, 0x00, 0x05, 0x32, 0x06, 0x0a,
	                                0x04, 0x00, 0xff, 0x0a, 0x0d};
	assert_null(mesos_event_decode(MESOS_PROTOBUF, bytes, sizeof(bytes), err, sizeof(err)));
	assert_string_equal(
	    err, "11 bytes are not a valid mesos.v1.executor.Event protobuf (field number 0)");
	/* The same inside Call.subscribe, and that call without it as a control. */
	static const uint8_t nested[] = {0x0a, 0x03, 0x0a, 0x01, 'e',  0x12, 0x03, 0x0a, 0x01,
	                                 'f',  0x18, 0x01, 0x22, 0x03, 0x80, 0x00, 0x00};
	assert_null(mesos_call_decode(MESOS_PROTOBUF, nested, sizeof(nested), err, sizeof(err)));
	assert_non_null(strstr(err, "(field number 0)"));
	uint8_t control[sizeof(nested)];
	memcpy(control, nested, 13);
	control[13] = 0x00; /* an empty subscribe */
	mesos_call *c = mesos_call_decode(MESOS_PROTOBUF, control, 14, err, sizeof(err));
	assert_non_null(c);
	assert_non_null(c->subscribe);
	protobuf_c_message_free_unpacked(&c->base, NULL);
}

static void test_protobuf_call_missing_required_ids_is_rejected(void **state)
{
	/* type = HEARTBEAT (field 3, varint 4), no executor_id/framework_id */
	static const uint8_t bytes[] = {0x18, 0x04};
	assert_null(mesos_call_decode(MESOS_PROTOBUF, bytes, sizeof(bytes), err, sizeof(err)));
	assert_non_null(strstr(err, "not a valid mesos.v1.executor.Call"));
}

static void
test_empty_record_is_an_event_of_unknown_type_in_protobuf_and_an_error_in_json(void **state)
{
	mesos_event *e = mesos_event_decode(MESOS_PROTOBUF, (const uint8_t *)"", 0, err, 256);
	assert_non_null(e);
	assert_false(e->has_type);
	protobuf_c_message_free_unpacked(&e->base, NULL);
	assert_null(mesos_event_decode(MESOS_JSON, (const uint8_t *)"", 0, err, sizeof(err)));
	assert_string_equal(err, "invalid JSON near byte 0");
}

static void test_unknown_protobuf_fields_survive_a_round_trip(void **state)
{
	/* HEARTBEAT event, then field 99 (varint 150) and field 100 (bytes "ab"),
	 * as a newer agent might send. */
	static const uint8_t bytes[] = {0x08, 0x09, 0x98, 0x06, 0x96, 0x01,
	                                0xa2, 0x06, 0x02, 'a',  'b'};
	mesos_event *e = mesos_event_decode(MESOS_PROTOBUF, bytes, sizeof(bytes), err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(e->type, MESOS__V1__EXECUTOR__EVENT__TYPE__HEARTBEAT);
	struct packed p = pack(&e->base);
	assert_int_equal(p.len, sizeof(bytes));
	assert_memory_equal(p.data, bytes, sizeof(bytes));
	/* JSON has no way to carry them and leaves them out. */
	size_t len;
	char *js = (char *)mesos_encode(MESOS_JSON, &e->base, false, &len);
	assert_string_equal(js, "{\"type\":\"HEARTBEAT\"}");
	free(js);
	free(p.data);
	protobuf_c_message_free_unpacked(&e->base, NULL);
}

/* ------------------------------------------------ small helpers */

static void test_content_types_match_exactly_like_the_agent(void **state)
{
	assert_int_equal(mesos_encoding_from_content_type("application/json"), MESOS_JSON);
	assert_int_equal(mesos_encoding_from_content_type("application/x-protobuf"),
	                 MESOS_PROTOBUF);
	assert_int_equal(mesos_encoding_from_content_type("application/json; charset=utf-8"), -1);
	assert_int_equal(mesos_encoding_from_content_type("Application/JSON"), -1);
	assert_int_equal(mesos_encoding_from_content_type(""), -1);
	assert_int_equal(mesos_encoding_from_content_type(NULL), -1);
	assert_string_equal(mesos_content_type(MESOS_JSON), "application/json");
	assert_string_equal(mesos_content_type(MESOS_PROTOBUF), "application/x-protobuf");
}

static void test_enum_values_have_their_mesos_names(void **state)
{
	assert_string_equal(mesos_task_state_name(MESOS__V1__TASK_STATE__TASK_STAGING),
	                    "TASK_STAGING");
	assert_string_equal(mesos_task_state_name(0), "TASK_STARTING");
	assert_string_equal(mesos_task_state_name(999), "UNKNOWN");
	assert_string_equal(mesos_event_type_name(MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH_GROUP),
	                    "LAUNCH_GROUP");
	assert_string_equal(mesos_call_type_name(MESOS__V1__EXECUTOR__CALL__TYPE__HEARTBEAT),
	                    "HEARTBEAT");
	assert_string_equal(mesos_reason_name(12), "REASON_AGENT_RESTARTED");
	assert_string_equal(mesos_reason_name(34), "REASON_AGENT_DRAINING");
}

static void test_terminal_states_are_exactly_the_final_ones(void **state)
{
	static const int terminal[] = {2, 3, 4, 5, 7, 9, 11, 12}; /* FINISHED..GONE_BY_OPERATOR */
	for (int s = 0; s <= 13; s++) {
		bool want = false;
		for (size_t i = 0; i < sizeof(terminal) / sizeof(terminal[0]); i++)
			want = want || terminal[i] == s;
		if (mesos_task_state_terminal(s) != want)
			fail_msg("%s terminal=%d", mesos_task_state_name(s), !want);
	}
}

static void test_label_lookup_finds_the_first_match(void **state)
{
	Mesos__V1__Label a = MESOS__V1__LABEL__INIT, b = MESOS__V1__LABEL__INIT,
	                 c = MESOS__V1__LABEL__INIT;
	Mesos__V1__Label *all[] = {&a, &b, &c};
	Mesos__V1__Labels labels = MESOS__V1__LABELS__INIT;
	a.key = "consul";
	b.key = "tier";
	b.value = "web";
	c.key = "tier";
	c.value = "db";
	labels.n_labels = 3;
	labels.labels = all;
	assert_string_equal(mesos_label(&labels, "consul"), "");
	assert_string_equal(mesos_label(&labels, "tier"), "web");
	assert_null(mesos_label(&labels, "absent"));
	assert_null(mesos_label(NULL, "tier"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_call_fixture_round_trips_through_protobuf_and_json),
	    cmocka_unit_test(test_every_event_fixture_round_trips_through_protobuf_and_json),
	    cmocka_unit_test(test_every_call_and_event_type_has_a_fixture),
	    cmocka_unit_test(test_fixtures_set_every_field_of_every_message_calls_and_events_reach),
	    cmocka_unit_test(test_update_call_json_has_exactly_the_fields_the_agent_reads),
	    cmocka_unit_test(test_update_call_with_a_known_uuid_encodes_to_the_expected_json),
	    cmocka_unit_test(test_minimal_call_bodies_decode_validate_and_reencode_unchanged),
	    cmocka_unit_test(test_protobuf_garbage_is_rejected_naming_the_message),
	    cmocka_unit_test(test_protobuf_field_number_zero_is_rejected_like_the_agent_does),
	    cmocka_unit_test(test_protobuf_call_missing_required_ids_is_rejected),
	    cmocka_unit_test(
	        test_empty_record_is_an_event_of_unknown_type_in_protobuf_and_an_error_in_json),
	    cmocka_unit_test(test_unknown_protobuf_fields_survive_a_round_trip),
	    cmocka_unit_test(test_content_types_match_exactly_like_the_agent),
	    cmocka_unit_test(test_enum_values_have_their_mesos_names),
	    cmocka_unit_test(test_terminal_states_are_exactly_the_final_ones),
	    cmocka_unit_test(test_label_lookup_finds_the_first_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
