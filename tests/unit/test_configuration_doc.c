/* docs/configuration.md against the code: every variable `executor --help`
 * lists (executor/config.c's table and hooks/builtin.c's hook_settings) has
 * a row on the page with the same default, and the built-in hooks really
 * use those defaults (their own time limits, computed from the page's
 * values, are what init sets). */
#include "testsupport.h"

#include "common/duration.h"
#include "executor/config.h"
#include "hooks/hook.h"
#include "hooks/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_doc(void)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/docs/configuration.md", ts_env("SOURCE_DIR", "."));
	char *doc = ts_read_file(path, NULL);
	assert_non_null(doc);
	return doc;
}

/* The default cell of NAME's row ("| `NAME` | default | ..."), copied into
 * buf; false when the page has no such row. */
static bool doc_default(const char *doc, const char *name, char *buf, size_t len)
{
	char key[200];
	snprintf(key, sizeof(key), "| `%s` |", name);
	const char *row = strstr(doc, key);
	if (!row)
		return false;
	const char *cell = row + strlen(key);
	const char *end = strchr(cell, '|');
	assert_non_null(end);
	snprintf(buf, len, "%.*s", (int)(end - cell), cell);
	return true;
}

/* A duration given in the page's default cell as `5s`. */
static int64_t doc_duration_ms(const char *doc, const char *name)
{
	char cell[256];
	assert_true(doc_default(doc, name, cell, sizeof(cell)));
	const char *q = strchr(cell, '`');
	assert_non_null(q);
	char v[64];
	snprintf(v, sizeof(v), "%.*s", (int)strcspn(q + 1, "`"), q + 1);
	int64_t ns;
	if (duration_parse(v, &ns) != 0)
		fail_msg("%s: the page's default '%s' is no duration", name, v);
	return ns / 1000000;
}

static void test_every_variable_of_help_is_documented_with_its_default(void **state)
{
	char *help = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&help, &len);
	assert_non_null(out);
	ex_config_help(out);
	fclose(out);
	char *doc = read_doc();
	int checked = 0, bad = 0;
	char *save = NULL;
	for (char *ln = strtok_r(help, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char name[128];
		if (sscanf(ln, "  %127[A-Z0-9_]", name) != 1 || strlen(name) < 4)
			continue;
		char cell[512];
		if (!doc_default(doc, name, cell, sizeof(cell))) {
			fprintf(stderr, "configuration.md has no row for %s\n", name);
			bad++;
			continue;
		}
		checked++;
		const char *d = strstr(ln, "[default: ");
		if (!d || d[10] == ']')
			continue; /* no default, or empty */
		char def[128], quoted[140];
		snprintf(def, sizeof(def), "%.*s", (int)strcspn(d + 10, "]"), d + 10);
		snprintf(quoted, sizeof(quoted), "`%s`", def);
		if (!strstr(cell, quoted)) {
			fprintf(stderr, "%s: --help's default is %s, configuration.md says%s\n",
			        name, quoted, cell);
			bad++;
		}
	}
	printf("configuration.md: %d variables of --help checked\n", checked);
	assert_true(checked > 60);
	assert_int_equal(bad, 0);
	free(doc);
	free(help);
}

static int teardown_vaas(void **state)
{
	ts_hook_teardown(ts_builtin_hook("vaas"));
	ts_fakeenv_clear();
	return 0;
}

/* The VaaS hook's own limit is three requests with every retry and the
 * asynchronous wait, plus 5 s: with the page's defaults for the request
 * timeout and the wait, nothing else. */
static void test_vaas_uses_the_documented_request_timeout_and_async_wait(void **state)
{
	char *doc = read_doc();
	int64_t timeout = doc_duration_ms(doc, "ALLEGRO_EXECUTOR_VAAS_TIMEOUT");
	int64_t wait = doc_duration_ms(doc, "ALLEGRO_EXECUTOR_VAAS_ASYNC_TIMEOUT");
	free(doc);
	assert_true(wait >= 300000); /* VaaS's Celery soft limit: a VCL reload may take that */
	struct hook *h = ts_builtin_hook("vaas");
	ts_fakeenv_clear();
	ts_hook_init(h);
	assert_int_equal(h->timeout_ms, 3 * hookhttp_budget_ms(timeout, 4, 250) + wait + 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_variable_of_help_is_documented_with_its_default),
	    cmocka_unit_test_teardown(test_vaas_uses_the_documented_request_timeout_and_async_wait,
	                              teardown_vaas),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
