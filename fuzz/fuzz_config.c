/* Fuzzes the text parsers behind configuration: durations in both
 * spellings (common/duration.h), typed environment values
 * (common/envcfg.h) and base64 (common/base64.h). Properties: a parsed
 * duration formats to text that parses back to the same value; any int64
 * formats and parses back; base64 decodes what it encodes; every envcfg
 * error names the variable. */
#include "fuzz.h"

#include "common/base64.h"
#include "common/duration.h"
#include "common/envcfg.h"

#include <limits.h>
#include <string.h>

static void durations(const char *s)
{
	char buf[64];
	int64_t ns, back;

	if (duration_parse_mesos(s, &ns) == 0) {
		CHECK(ns >= 0);
		duration_format_mesos(ns, buf, sizeof(buf));
		CHECK(duration_parse_mesos(buf, &back) == 0 && back == ns);
	}
	if (duration_parse_go(s, &ns) == 0) {
		CHECK(ns >= 0);
		duration_format_go(ns, buf, sizeof(buf));
		CHECK(duration_parse_go(buf, &back) == 0 && back == ns);
	}
	if (duration_parse(s, &ns) == 0)
		CHECK(ns >= 0);
}

static void any_int64(const uint8_t *data, size_t size)
{
	int64_t v, back;
	char buf[64], tiny[5];
	if (size < sizeof(v))
		return;
	memcpy(&v, data, sizeof(v));
	duration_format_go(v, buf, sizeof(buf));
	duration_format_go(v, tiny, sizeof(tiny)); /* truncated, never overrun */
	CHECK(strlen(tiny) < sizeof(tiny));
	if (v >= 0)
		CHECK(duration_parse_go(buf, &back) == 0 && back == v);
	duration_format_mesos(v, buf, sizeof(buf));
	duration_format_mesos(v, tiny, sizeof(tiny));
	CHECK(duration_parse_mesos(buf, &back) == 0 && back == (v < 0 ? 0 : v));
	(void)duration_from_secs((double)v * 1e-3);
}

static void env_values(const char *s)
{
	struct envcfg e = {0};
	envcfg_bool(&e, "FUZZ_BOOL", s, false);
	envcfg_duration(&e, "FUZZ_DURATION", s, 0);
	envcfg_mesos_duration(&e, "FUZZ_MESOS_DURATION", s, 0);
	long n = envcfg_long(&e, "FUZZ_LONG", s, 7, -1000, 1000);
	CHECK(n >= -1000 && n <= 1000);
	CHECK(strlen(e.errors) < sizeof(e.errors));
	if (e.nerrors)
		CHECK(strncmp(e.errors, "FUZZ_", 5) == 0);
}

static void base64(const uint8_t *data, size_t size)
{
	size_t n;
	uint8_t *raw = b64_decode((const char *)data, size, &n);
	if (raw) {
		char *text = b64_encode(raw, n);
		CHECK(text != NULL);
		size_t n2;
		uint8_t *raw2 = b64_decode(text, strlen(text), &n2);
		CHECK(raw2 != NULL && n2 == n && memcmp(raw, raw2, n) == 0);
		free(raw2);
		free(text);
		free(raw);
	}
	char *text = b64_encode(data, size);
	CHECK(text != NULL && strlen(text) == 4 * ((size + 2) / 3));
	raw = b64_decode(text, strlen(text), &n);
	CHECK(raw != NULL && n == size && memcmp(raw, data, size) == 0);
	free(raw);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	durations(s);
	env_values(s);
	free(s);
	any_int64(data, size);
	base64(data, size);
	return 0;
}
