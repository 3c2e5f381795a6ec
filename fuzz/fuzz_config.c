/* Fuzzes the text parsers behind configuration: durations in both
 * spellings (common/duration.h), typed environment values
 * (common/envcfg.h), base64 (common/base64.h), and, reading the input as
 * NAME=VALUE lines, the executor's whole environment (executor/config.h) and
 * every built-in hook's settings (hooks/hook.h), plus each line as a hook's
 * environment entry (hook_setenv). Properties: a parsed duration formats to
 * text that parses back to the same value; any int64 formats and parses
 * back; base64 decodes what it encodes; every envcfg error names the
 * variable; a configuration that loads has an agent URL and sane numbers; a
 * hook environment entry is accepted only as KEY=VALUE with KEY an
 * identifier; nothing leaks. */
#include "fuzz.h"

#include "common/base64.h"
#include "common/duration.h"
#include "common/envcfg.h"
#include "common/log.h"
#include "common/str.h"
#include "executor/config.h"
#include "hooks/hook.h"

#include <ctype.h>

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

/* The input as an environment: NAME=VALUE lines. */
struct env {
	char *names[64], *values[64];
	size_t n;
};

static const char *env_lookup(const char *name, void *data)
{
	const struct env *e = data;
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->names[i], name) == 0)
			return e->values[i];
	return NULL;
}

static bool identifier(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

static void environment(char *text)
{
	struct env e = {0};
	struct hook_result res = {0};
	for (char *line = strtok(text, "\n"); line && e.n < 64; line = strtok(NULL, "\n")) {
		size_t before = res.nsetenv;
		int rc = hook_setenv(&res, line);
		const char *eq = strchr(line, '=');
		bool valid = eq && identifier(line, (size_t)(eq - line));
		CHECK(valid ? rc == 0 && res.nsetenv == before + 1
		            : rc == -1 && res.nsetenv == before && res.error[0]);
		if (!eq)
			continue;
		*(char *)eq = '\0';
		e.names[e.n] = line;
		e.values[e.n++] = (char *)eq + 1;
	}
	strv_free_n(res.setenv, res.nsetenv);

	struct envcfg cfg = {.lookup = env_lookup, .lookup_data = &e};
	struct ex_config c;
	if (ex_config_load(&c, &cfg) == 0) {
		CHECK(c.url && c.sandbox && c.framework_id && c.executor_id);
		CHECK(c.update_buffer >= 1 && c.shutdown_grace_ns >= 0 && c.kill_grace_ns >= 0);
	} else {
		CHECK(cfg.nerrors > 0 || !c.url);
	}
	ex_config_free(&c);

	for (struct hook *const *h = hook_builtin; *h; h++) {
		struct envcfg hc = {.lookup = env_lookup, .lookup_data = &e};
		int on = (*h)->init(*h, &hc);
		CHECK(on == 0 || on == 1);
		CHECK(!on || hc.nerrors == 0);
		if (on && (*h)->destroy)
			(*h)->destroy(*h);
		(*h)->state = NULL;
	}
	log_shutdown(); /* forgets the secrets the hooks registered */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		log_set_level(getenv("FUZZ_LOG") ? LOG_DEBUG : (enum log_level)(LOG_ERROR + 1));
		quiet = true;
	}
	char *s = malloc(size + 1);
	CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	durations(s);
	env_values(s);
	environment(s); /* cuts s into lines */
	free(s);
	any_int64(data, size);
	base64(data, size);
	return 0;
}
