/* The descriptor-driven JSON codec (proto/pbjson.h) in Mesos' dialect
 * (stout's JSON::Protobuf and protobuf::parse, Mesos
 * 3rdparty/stout/include/stout/protobuf.hpp): defaults written only in agent style, exact 64-bit
 * integers, enums by name only, unknown keys ignored, null as unset, required fields reported with
 * their path, base64 bytes, and clear errors for bad input. */
#include "testsupport.h"

#include "proto/mesos.h"
#include "proto/pbjson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[256];

static ProtobufCMessage *decode(const ProtobufCMessageDescriptor *d, const char *json)
{
	err[0] = '\0';
	return pbjson_decode(d, json, strlen(json), err, sizeof(err));
}

/* Decoding must fail with exactly this message. */
static void assert_decode_error(const ProtobufCMessageDescriptor *d, const char *json,
                                const char *want)
{
	ProtobufCMessage *m = decode(d, json);
	if (m) {
		protobuf_c_message_free_unpacked(m, NULL);
		fail_msg("'%s' decoded, expected error '%s'", json, want);
	}
	if (strcmp(err, want) != 0)
		fail_msg("'%s': error '%s', expected '%s'", json, err, want);
}

static char *encode(const void *msg, int flags)
{
	char *s = pbjson_encode(msg, flags, NULL);
	assert_non_null(s);
	return s;
}

#define CALL_DESC (&mesos__v1__executor__call__descriptor)
#define IDS       "\"executor_id\":{\"value\":\"e1\"},\"framework_id\":{\"value\":\"f1\"}"

/* ---------------------------------------------------------- defaults */

static void test_agent_style_writes_unset_fields_that_have_proto_defaults(void **state)
{
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	Mesos__V1__AgentInfo agent = MESOS__V1__AGENT_INFO__INIT;
	Mesos__V1__FrameworkInfo fw;
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	Mesos__V1__Environment__Variable var = MESOS__V1__ENVIRONMENT__VARIABLE__INIT;
	/* Not FRAMEWORK_INFO__INIT: it sets the deprecated `role`, which clang
	 * warns about. */
	mesos__v1__framework_info__init(&fw);
	cmd.value = "sleep 10";
	agent.hostname = "a1";
	fw.user = "root";
	fw.name = "marathon";
	var.name = "A";

	char *s = encode(&cmd, PBJSON_EMIT_DEFAULTS);
	assert_string_equal(s, "{\"value\":\"sleep 10\",\"shell\":true}");
	free(s);
	s = encode(&agent, PBJSON_EMIT_DEFAULTS);
	assert_string_equal(s, "{\"hostname\":\"a1\",\"port\":5051}");
	free(s);
	/* The deprecated `role` has no default in our proto and is not written. */
	s = encode(&fw, PBJSON_EMIT_DEFAULTS);
	assert_string_equal(s, "{\"user\":\"root\",\"name\":\"marathon\",\"failover_timeout\":0,"
	                       "\"checkpoint\":false}");
	free(s);
	s = encode(&hc, PBJSON_EMIT_DEFAULTS);
	assert_string_equal(s,
	                    "{\"delay_seconds\":15,\"interval_seconds\":10,\"timeout_seconds\":20,"
	                    "\"consecutive_failures\":3,\"grace_period_seconds\":10}");
	free(s);
	s = encode(&var, PBJSON_EMIT_DEFAULTS);
	assert_string_equal(s, "{\"name\":\"A\",\"type\":\"VALUE\"}");
	free(s);
}

static void test_plain_style_writes_only_fields_that_are_set(void **state)
{
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	Mesos__V1__AgentInfo agent = MESOS__V1__AGENT_INFO__INIT;
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	cmd.value = "sleep 10";
	agent.hostname = "a1";

	char *s = encode(&cmd, 0);
	assert_string_equal(s, "{\"value\":\"sleep 10\"}");
	free(s);
	s = encode(&agent, 0);
	assert_string_equal(s, "{\"hostname\":\"a1\"}");
	free(s);
	s = encode(&hc, 0);
	assert_string_equal(s, "{}");
	free(s);
}

static void test_explicitly_set_fields_win_over_defaults_in_both_styles(void **state)
{
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	cmd.has_shell = 1;
	cmd.shell = 0;
	char *s = encode(&cmd, 0);
	assert_string_equal(s, "{\"shell\":false}");
	free(s);
	s = encode(&cmd, PBJSON_EMIT_DEFAULTS);
	assert_string_equal(s, "{\"shell\":false}");
	free(s);
}

static void test_enum_number_without_a_name_is_written_as_unset(void **state)
{
	Mesos__V1__Environment__Variable var = MESOS__V1__ENVIRONMENT__VARIABLE__INIT;
	var.name = "A";
	var.has_type = 1;
	var.type = 99; /* from a newer agent's protobuf */
	char *s = encode(&var, 0);
	assert_string_equal(s, "{\"name\":\"A\"}");
	free(s);
	s = encode(&var, PBJSON_EMIT_DEFAULTS);
	assert_string_equal(s, "{\"name\":\"A\",\"type\":\"VALUE\"}");
	free(s);
}

static void test_decoding_leaves_absent_defaulted_fields_unset(void **state)
{
	Mesos__V1__CommandInfo *cmd =
	    (void *)decode(&mesos__v1__command_info__descriptor, "{\"value\":\"x\"}");
	assert_non_null(cmd);
	assert_false(cmd->has_shell);
	assert_true(cmd->shell); /* the generated default still reads true */
	protobuf_c_message_free_unpacked(&cmd->base, NULL);
}

/* -------------------------------------------------------- 64-bit ints */

static void test_64_bit_integers_are_plain_numbers_and_round_trip_exactly(void **state)
{
	static const int64_t ivals[] = {
	    INT64_MAX, INT64_MIN, (1LL << 53) + 1, -((1LL << 53) + 1), 1700000000123456789LL, 0};
	for (size_t i = 0; i < sizeof(ivals) / sizeof(ivals[0]); i++) {
		Mesos__V1__DurationInfo d = MESOS__V1__DURATION_INFO__INIT;
		char want[64];
		d.nanoseconds = ivals[i];
		char *s = encode(&d, 0);
		snprintf(want, sizeof(want), "{\"nanoseconds\":%lld}", (long long)ivals[i]);
		assert_string_equal(s, want);
		Mesos__V1__DurationInfo *back =
		    (void *)decode(&mesos__v1__duration_info__descriptor, s);
		assert_non_null(back);
		if (back->nanoseconds != ivals[i])
			fail_msg("%s decoded as %lld", s, (long long)back->nanoseconds);
		protobuf_c_message_free_unpacked(&back->base, NULL);
		free(s);
	}

	Mesos__V1__Value__Range r = MESOS__V1__VALUE__RANGE__INIT;
	r.begin = (1ULL << 53) + 1;
	r.end = UINT64_MAX;
	char *s = encode(&r, 0);
	assert_string_equal(s, "{\"begin\":9007199254740993,\"end\":18446744073709551615}");
	Mesos__V1__Value__Range *back = (void *)decode(&mesos__v1__value__range__descriptor, s);
	assert_non_null(back);
	assert_true(back->begin == (1ULL << 53) + 1);
	assert_true(back->end == UINT64_MAX);
	protobuf_c_message_free_unpacked(&back->base, NULL);
	free(s);
}

static void test_numbers_in_strings_are_accepted(void **state)
{
	Mesos__V1__DurationInfo *d = (void *)decode(&mesos__v1__duration_info__descriptor,
	                                            "{\"nanoseconds\":\"-9223372036854775808\"}");
	assert_non_null(d);
	assert_true(d->nanoseconds == INT64_MIN);
	protobuf_c_message_free_unpacked(&d->base, NULL);

	Mesos__V1__Value__Range *r =
	    (void *)decode(&mesos__v1__value__range__descriptor,
	                   "{\"begin\":\"31000\",\"end\":\"18446744073709551615\"}");
	assert_non_null(r);
	assert_true(r->begin == 31000 && r->end == UINT64_MAX);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	Mesos__V1__AgentInfo *a = (void *)decode(&mesos__v1__agent_info__descriptor,
	                                         "{\"hostname\":\"h\",\"port\":\"5052\"}");
	assert_non_null(a);
	assert_true(a->has_port && a->port == 5052);
	protobuf_c_message_free_unpacked(&a->base, NULL);

	Mesos__V1__Value__Scalar *sc =
	    (void *)decode(&mesos__v1__value__scalar__descriptor, "{\"value\":\"0.25\"}");
	assert_non_null(sc);
	assert_true(sc->value == 0.25);
	protobuf_c_message_free_unpacked(&sc->base, NULL);
}

static void test_numbers_out_of_range_or_malformed_are_rejected(void **state)
{
	const ProtobufCMessageDescriptor *dur = &mesos__v1__duration_info__descriptor;
	const ProtobufCMessageDescriptor *rng = &mesos__v1__value__range__descriptor;
	const ProtobufCMessageDescriptor *agent = &mesos__v1__agent_info__descriptor;
	const ProtobufCMessageDescriptor *port = &mesos__v1__port__descriptor;

	assert_decode_error(dur, "{\"nanoseconds\":1.5}", "nanoseconds: expected a 64-bit integer");
	assert_decode_error(dur, "{\"nanoseconds\":\"12abc\"}",
	                    "nanoseconds: expected a 64-bit integer");
	assert_decode_error(dur, "{\"nanoseconds\":\"\"}",
	                    "nanoseconds: expected a 64-bit integer");
	assert_decode_error(dur, "{\"nanoseconds\":1e300}",
	                    "nanoseconds: expected a 64-bit integer");
	assert_decode_error(dur, "{\"nanoseconds\":-1e300}",
	                    "nanoseconds: expected a 64-bit integer");
	assert_decode_error(dur, "{\"nanoseconds\":9223372036854775808}",
	                    "nanoseconds: expected a 64-bit integer");
	assert_decode_error(dur, "{\"nanoseconds\":\"9223372036854775808\"}",
	                    "nanoseconds: expected a 64-bit integer");
	assert_decode_error(dur, "{\"nanoseconds\":true}",
	                    "nanoseconds: expected a 64-bit integer");
	assert_decode_error(rng, "{\"begin\":-1,\"end\":1}",
	                    "begin: expected an unsigned 64-bit integer");
	assert_decode_error(rng, "{\"begin\":\"-1\",\"end\":1}",
	                    "begin: expected an unsigned 64-bit integer");
	assert_decode_error(rng, "{\"begin\":18446744073709551616,\"end\":1}",
	                    "begin: expected an unsigned 64-bit integer");
	assert_decode_error(rng, "{\"begin\":1e20,\"end\":1}",
	                    "begin: expected an unsigned 64-bit integer");
	assert_decode_error(agent, "{\"hostname\":\"h\",\"port\":2147483648}",
	                    "port: expected a 32-bit integer");
	assert_decode_error(port, "{\"number\":4294967296}",
	                    "number: expected an unsigned 32-bit integer");
	assert_decode_error(port, "{\"number\":-1}", "number: expected an unsigned 32-bit integer");
}

static void test_non_finite_doubles_are_rejected_on_input_and_left_out_on_output(void **state)
{
	const ProtobufCMessageDescriptor *sc = &mesos__v1__value__scalar__descriptor;
	assert_decode_error(sc, "{\"value\":1e999}", "value: expected a number");
	assert_decode_error(sc, "{\"value\":-1e999}", "value: expected a number");
	assert_decode_error(sc, "{\"value\":\"inf\"}", "value: expected a number");
	assert_decode_error(sc, "{\"value\":\"NaN\"}", "value: expected a number");

	Mesos__V1__TaskStatus st = MESOS__V1__TASK_STATUS__INIT;
	Mesos__V1__TaskID id = MESOS__V1__TASK_ID__INIT;
	id.value = "t";
	st.task_id = &id;
	st.has_timestamp = 1;
	st.timestamp = INFINITY;
	Mesos__V1__HealthCheck hc = MESOS__V1__HEALTH_CHECK__INIT;
	hc.has_delay_seconds = 1;
	hc.delay_seconds = NAN;
	char *s = encode(&hc, PBJSON_EMIT_DEFAULTS); /* unwritable: the default instead */
	assert_non_null(strstr(s, "{\"delay_seconds\":15,"));
	free(s);
	s = encode(&st, 0);
	/* (TASK_STATUS__INIT leaves state at TASK_STAGING, the first value the
	 * proto declares, as in Mesos: a status must always set its state.) */
	assert_string_equal(s, "{\"task_id\":{\"value\":\"t\"},\"state\":\"TASK_STAGING\"}");
	free(s);
}

static void test_doubles_are_written_with_the_digits_they_need_and_read_back_exactly(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
	    {0.5, "0.5"},
	    {128, "128"},
	    {1700000000.25, "1700000000.25"},
	    {0.1 + 0.2, "0.30000000000000004"}, /* cJSON alone writes 0.3 */
	    {1.7000038758200197e+24, "1.7000038758200197e+24"},
	    {-0.0, "-0"}, /* cJSON alone writes 0 */
	    {5e-324, "4.94065645841247e-324"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Mesos__V1__Value__Scalar sc = MESOS__V1__VALUE__SCALAR__INIT;
		char want[64];
		sc.value = cases[i].v;
		char *s = encode(&sc, 0);
		snprintf(want, sizeof(want), "{\"value\":%s}", cases[i].text);
		assert_string_equal(s, want);
		Mesos__V1__Value__Scalar *back =
		    (void *)decode(&mesos__v1__value__scalar__descriptor, s);
		assert_non_null(back);
		assert_memory_equal(&back->value, &cases[i].v, sizeof(double));
		protobuf_c_message_free_unpacked(&back->base, NULL);
		free(s);
	}
}

static void test_json_trees_from_to_json_read_back_exactly(void **state)
{
	Mesos__V1__DurationInfo d = MESOS__V1__DURATION_INFO__INIT;
	d.nanoseconds = INT64_MAX - 1;
	cJSON *tree = pbjson_to_json(&d.base, 0);
	assert_non_null(tree);
	Mesos__V1__DurationInfo *back =
	    (void *)pbjson_from_json(&mesos__v1__duration_info__descriptor, tree, err, sizeof(err));
	assert_non_null(back);
	assert_true(back->nanoseconds == INT64_MAX - 1);
	protobuf_c_message_free_unpacked(&back->base, NULL);
	cJSON_Delete(tree);
}

/* -------------------------------------------------------------- enums */

static void test_enum_given_as_number_is_rejected(void **state)
{
	assert_decode_error(CALL_DESC, "{\"type\":1," IDS ",\"subscribe\":{}}",
	                    "type: expected an enum name string");
	assert_decode_error(CALL_DESC,
	                    "{\"type\":\"UPDATE\"," IDS
	                    ",\"update\":{\"status\":{\"task_id\":{\"value\":\"t\"},\"state\":1}}}",
	                    "update.status.state: expected an enum name string");
}

static void test_unknown_enum_name_in_optional_field_leaves_it_unset(void **state)
{
	mesos_call *c = (void *)decode(CALL_DESC, "{\"type\":\"FUTURE_CALL\"," IDS "}");
	assert_non_null(c);
	assert_false(c->has_type);
	protobuf_c_message_free_unpacked(&c->base, NULL);

	/* Inside a repeated message: the element stays, its field is dropped. */
	Mesos__V1__FrameworkInfo *fw = (void *)decode(
	    &mesos__v1__framework_info__descriptor,
	    "{\"user\":\"u\",\"name\":\"n\",\"capabilities\":[{\"type\":\"TIME_TRAVEL\"},"
	    "{\"type\":\"PARTITION_AWARE\"}]}");
	assert_non_null(fw);
	assert_int_equal(fw->n_capabilities, 2);
	assert_false(fw->capabilities[0]->has_type);
	assert_int_equal(fw->capabilities[1]->type,
	                 MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE);
	protobuf_c_message_free_unpacked(&fw->base, NULL);
}

static void test_unknown_enum_name_in_required_field_is_an_error_with_its_path(void **state)
{
	assert_decode_error(
	    CALL_DESC,
	    "{\"type\":\"UPDATE\"," IDS
	    ",\"update\":{\"status\":{\"task_id\":{\"value\":\"t\"},\"state\":\"TASK_FOO\"}}}",
	    "update.status.state: unknown enum name 'TASK_FOO'");
}

/* ------------------------------------------------- keys, null, paths */

static void test_unknown_keys_are_ignored_at_every_level(void **state)
{
	mesos_call *c =
	    (void *)decode(CALL_DESC, "{\"type\":\"MESSAGE\",\"future\":[1,{\"x\":null}]," IDS
	                              ",\"message\":{\"data\":\"aGk=\",\"extra\":true},"
	                              "\"executorId\":{\"value\":\"camel\"}}");
	assert_non_null(c);
	assert_string_equal(c->executor_id->value, "e1");
	assert_int_equal(c->message->data.len, 2);
	assert_memory_equal(c->message->data.data, "hi", 2);
	protobuf_c_message_free_unpacked(&c->base, NULL);
}

static void test_camel_case_names_do_not_stand_in_for_snake_case(void **state)
{
	assert_decode_error(CALL_DESC,
	                    "{\"type\":\"HEARTBEAT\",\"executorId\":{\"value\":\"e\"},"
	                    "\"frameworkId\":{\"value\":\"f\"}}",
	                    "executor_id: missing required field");
}

static void test_null_means_unset(void **state)
{
	mesos_call *c =
	    (void *)decode(CALL_DESC, "{\"type\":null," IDS ",\"subscribe\":null,\"update\":null}");
	assert_non_null(c);
	assert_false(c->has_type);
	assert_null(c->subscribe);
	assert_null(c->update);
	protobuf_c_message_free_unpacked(&c->base, NULL);

	assert_decode_error(CALL_DESC,
	                    "{\"type\":\"HEARTBEAT\",\"executor_id\":null,"
	                    "\"framework_id\":{\"value\":\"f\"}}",
	                    "executor_id: missing required field");
	assert_decode_error(&mesos__v1__command_info__descriptor, "{\"arguments\":[\"a\",null]}",
	                    "arguments: null inside an array");
}

static void test_missing_required_field_is_reported_with_its_path(void **state)
{
	assert_decode_error(CALL_DESC,
	                    "{\"type\":\"UPDATE\"," IDS
	                    ",\"update\":{\"status\":{\"state\":\"TASK_RUNNING\"}}}",
	                    "update.status.task_id: missing required field");
	assert_decode_error(CALL_DESC, "{\"type\":\"UPDATE\"," IDS ",\"update\":{}}",
	                    "update.status: missing required field");
	assert_decode_error(CALL_DESC,
	                    "{\"type\":\"UPDATE\"," IDS
	                    ",\"update\":{\"status\":{\"task_id\":{},\"state\":\"TASK_RUNNING\"}}}",
	                    "update.status.task_id.value: missing required field");
	assert_decode_error(
	    CALL_DESC,
	    "{\"type\":\"SUBSCRIBE\"," IDS ",\"subscribe\":{\"unacknowledged_tasks\":["
	    "{\"name\":\"t\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"a\"}},"
	    "{\"name\":\"u\",\"task_id\":{\"value\":\"u\"}}]}}",
	    "subscribe.unacknowledged_tasks.agent_id: missing required field");
	assert_decode_error(CALL_DESC, "{}", "executor_id: missing required field");
}

/* -------------------------------------------------------------- bytes */

static void test_bytes_are_padded_standard_base64(void **state)
{
	Mesos__V1__Executor__Call__Message msg = MESOS__V1__EXECUTOR__CALL__MESSAGE__INIT;
	static const uint8_t raw[] = {0xfb, 0xff, 0x00, 'h'};
	msg.data.data = (uint8_t *)raw;
	msg.data.len = sizeof(raw);
	char *s = encode(&msg, 0);
	assert_string_equal(s, "{\"data\":\"+/8AaA==\"}");
	free(s);
}

static void test_base64_without_padding_or_with_whitespace_is_accepted(void **state)
{
	const ProtobufCMessageDescriptor *d = &mesos__v1__executor__call__message__descriptor;
	static const char *ok[] = {"{\"data\":\"aGk\"}", "{\"data\":\"aGk=\"}",
	                           "{\"data\":\"a G\\nk=\"}"};
	for (size_t i = 0; i < 3; i++) {
		Mesos__V1__Executor__Call__Message *m = (void *)decode(d, ok[i]);
		if (!m)
			fail_msg("%s: %s", ok[i], err);
		assert_int_equal(m->data.len, 2);
		assert_memory_equal(m->data.data, "hi", 2);
		protobuf_c_message_free_unpacked(&m->base, NULL);
	}
	Mesos__V1__Executor__Call__Message *m = (void *)decode(d, "{\"data\":\"\"}");
	assert_non_null(m);
	assert_int_equal(m->data.len, 0);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_bad_base64_is_rejected_with_the_field_path(void **state)
{
	assert_decode_error(CALL_DESC,
	                    "{\"type\":\"UPDATE\"," IDS
	                    ",\"update\":{\"status\":{\"task_id\":{\"value\":\"t\"},"
	                    "\"state\":\"TASK_RUNNING\",\"uuid\":\"not base64!\"}}}",
	                    "update.status.uuid: invalid base64");
	const ProtobufCMessageDescriptor *d = &mesos__v1__executor__call__message__descriptor;
	assert_decode_error(d, "{\"data\":\"a-_b\"}", "data: invalid base64"); /* URL alphabet */
	assert_decode_error(d, "{\"data\":\"aGk=a\"}", "data: invalid base64");
	assert_decode_error(d, "{\"data\":\"aGlhY\"}", "data: invalid base64");
	assert_decode_error(d, "{\"data\":42}", "data: expected a base64 string");
}

/* ------------------------------------------------------- other errors */

static void test_malformed_json_text_is_rejected_with_a_position(void **state)
{
	/* cJSON points at the last byte it could make sense of. */
	assert_null(decode(CALL_DESC, "{\"type\":\"x\",,}"));
	assert_string_equal(err, "invalid JSON near byte 13");
	assert_decode_error(CALL_DESC, "", "invalid JSON near byte 0");
	assert_decode_error(CALL_DESC, "MALFORMED_CONTENT", "invalid JSON near byte 0");
}

static void test_trailing_garbage_after_the_json_object_is_rejected(void **state)
{
	assert_decode_error(CALL_DESC, "{\"type\":\"HEARTBEAT\"," IDS "} trailing",
	                    "invalid JSON: unexpected text at byte 80");
	/* Whitespace after the object is fine. */
	mesos_call *c = (void *)decode(CALL_DESC, "{\"type\":\"HEARTBEAT\"," IDS "} \n");
	assert_non_null(c);
	protobuf_c_message_free_unpacked(&c->base, NULL);
}

static void test_text_need_not_be_nul_terminated(void **state)
{
	char buf[64];
	memcpy(buf, "{\"value\":\"x\"}garbage", 20);
	ProtobufCMessage *m =
	    pbjson_decode(&mesos__v1__task_id__descriptor, buf, 13, err, sizeof(err));
	assert_non_null(m);
	assert_string_equal(((Mesos__V1__TaskID *)m)->value, "x");
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_values_of_the_wrong_json_type_are_rejected(void **state)
{
	assert_decode_error(CALL_DESC, "[]", "(root): expected a JSON object");
	assert_decode_error(CALL_DESC, "\"HEARTBEAT\"", "(root): expected a JSON object");
	assert_decode_error(CALL_DESC, "{\"type\":\"UPDATE\"," IDS ",\"update\":{\"status\":[]}}",
	                    "update.status: expected a JSON object");
	assert_decode_error(&mesos__v1__command_info__descriptor, "{\"shell\":\"yes\"}",
	                    "shell: expected true or false");
	assert_decode_error(&mesos__v1__command_info__descriptor, "{\"value\":5}",
	                    "value: expected a string");
	assert_decode_error(&mesos__v1__command_info__descriptor, "{\"arguments\":\"a b\"}",
	                    "arguments: expected an array");
	assert_decode_error(&mesos__v1__value__scalar__descriptor, "{\"value\":\"fast\"}",
	                    "value: expected a number");
}

static void test_deeply_nested_messages_are_refused_not_overflowed(void **state)
{
	char json[2048] = "";
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n,
		                      "{\"value\":\"c%d\",\"parent\":", i);
	n += (size_t)snprintf(json + n, sizeof(json) - n, "{\"value\":\"root\"}");
	for (int i = 0; i < 40; i++)
		json[n++] = '}';
	json[n] = '\0';
	ProtobufCMessage *m = decode(&mesos__v1__container_id__descriptor, json);
	assert_null(m);
	assert_non_null(strstr(err, "parent: nested too deeply"));
}

static void test_long_error_paths_are_truncated_safely(void **state)
{
	char small[12];
	const char *json =
	    "{\"type\":\"UPDATE\"," IDS ",\"update\":{\"status\":{\"state\":\"TASK_RUNNING\"}}}";
	ProtobufCMessage *m = pbjson_decode(CALL_DESC, json, strlen(json), small, sizeof(small));
	assert_null(m);
	assert_string_equal(small, "update.stat");
	/* No buffer at all is allowed too. */
	assert_null(pbjson_decode(CALL_DESC, json, strlen(json), NULL, 0));
}

static void test_repeated_fields_are_arrays_and_omitted_when_empty(void **state)
{
	Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
	char *args[] = {"a", "b c"};
	char *s = encode(&cmd, 0);
	assert_string_equal(s, "{}");
	free(s);
	cmd.n_arguments = 2;
	cmd.arguments = args;
	s = encode(&cmd, 0);
	assert_string_equal(s, "{\"arguments\":[\"a\",\"b c\"]}");
	free(s);
	Mesos__V1__CommandInfo *back =
	    (void *)decode(&mesos__v1__command_info__descriptor, "{\"arguments\":[],\"uris\":[]}");
	assert_non_null(back);
	assert_int_equal(back->n_arguments, 0);
	assert_int_equal(back->n_uris, 0);
	protobuf_c_message_free_unpacked(&back->base, NULL);
}

static void test_to_json_returns_a_tree_and_encode_reports_the_length(void **state)
{
	Mesos__V1__TaskID id = MESOS__V1__TASK_ID__INIT;
	id.value = "t\"1";
	cJSON *j = pbjson_to_json(&id.base, 0);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "value")->valuestring, "t\"1");
	cJSON_Delete(j);
	size_t len = 0;
	char *s = pbjson_encode(&id.base, 0, &len);
	assert_string_equal(s, "{\"value\":\"t\\\"1\"}");
	assert_int_equal(len, strlen(s));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_agent_style_writes_unset_fields_that_have_proto_defaults),
	    cmocka_unit_test(test_plain_style_writes_only_fields_that_are_set),
	    cmocka_unit_test(test_explicitly_set_fields_win_over_defaults_in_both_styles),
	    cmocka_unit_test(test_enum_number_without_a_name_is_written_as_unset),
	    cmocka_unit_test(test_decoding_leaves_absent_defaulted_fields_unset),
	    cmocka_unit_test(test_64_bit_integers_are_plain_numbers_and_round_trip_exactly),
	    cmocka_unit_test(test_numbers_in_strings_are_accepted),
	    cmocka_unit_test(test_numbers_out_of_range_or_malformed_are_rejected),
	    cmocka_unit_test(test_non_finite_doubles_are_rejected_on_input_and_left_out_on_output),
	    cmocka_unit_test(
	        test_doubles_are_written_with_the_digits_they_need_and_read_back_exactly),
	    cmocka_unit_test(test_json_trees_from_to_json_read_back_exactly),
	    cmocka_unit_test(test_enum_given_as_number_is_rejected),
	    cmocka_unit_test(test_unknown_enum_name_in_optional_field_leaves_it_unset),
	    cmocka_unit_test(test_unknown_enum_name_in_required_field_is_an_error_with_its_path),
	    cmocka_unit_test(test_unknown_keys_are_ignored_at_every_level),
	    cmocka_unit_test(test_camel_case_names_do_not_stand_in_for_snake_case),
	    cmocka_unit_test(test_null_means_unset),
	    cmocka_unit_test(test_missing_required_field_is_reported_with_its_path),
	    cmocka_unit_test(test_bytes_are_padded_standard_base64),
	    cmocka_unit_test(test_base64_without_padding_or_with_whitespace_is_accepted),
	    cmocka_unit_test(test_bad_base64_is_rejected_with_the_field_path),
	    cmocka_unit_test(test_malformed_json_text_is_rejected_with_a_position),
	    cmocka_unit_test(test_trailing_garbage_after_the_json_object_is_rejected),
	    cmocka_unit_test(test_text_need_not_be_nul_terminated),
	    cmocka_unit_test(test_values_of_the_wrong_json_type_are_rejected),
	    cmocka_unit_test(test_deeply_nested_messages_are_refused_not_overflowed),
	    cmocka_unit_test(test_long_error_paths_are_truncated_safely),
	    cmocka_unit_test(test_repeated_fields_are_arrays_and_omitted_when_empty),
	    cmocka_unit_test(test_to_json_returns_a_tree_and_encode_reports_the_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
