/* fakeconsul for the integration tests: the real binary started on
 * 127.0.0.1:0 (a fresh one per test with setup/teardown, which also checks
 * that SIGTERM stops it cleanly), requests to it, and the readers the tests
 * share. Header-only: static functions for test programs. */
#ifndef TESTS_INTEGRATION_FAKECONSUL_FIXTURE_H
#define TESTS_INTEGRATION_FAKECONSUL_FIXTURE_H

#include "testsupport.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

struct fc {
	struct ts_proc proc;
};

static inline int start(struct fc *f, const char *const *extra)
{
	char *argv[16] = {(char *)ts_env("FAKECONSUL_BIN", "fakeconsul"), "--listen",
	                  "127.0.0.1:0"};
	int n = 3;
	for (const char *const *e = extra; e && *e && n < 15; e++)
		argv[n++] = (char *)*e;
	argv[n] = NULL;
	return ts_spawn(&f->proc, argv, NULL, true);
}

static inline int setup(void **state)
{
	struct fc *f = calloc(1, sizeof(*f));
	if (start(f, NULL) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fc *f = *state;
	int st = ts_stop(&f->proc, SIGTERM, 10000);
	free(f);
	/* A clean SIGTERM shutdown exits 0. */
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* One request; returns the status, the body in *body (malloc'd) if asked. */
static inline long req(struct fc *f, const char *method, const char *path, const char *body,
                       const char *const *headers, struct ts_http *out)
{
	return ts_request(f->proc.addr, method, path, body, headers, out);
}

static inline cJSON *get_json(struct fc *f, const char *path)
{
	struct ts_http r;
	assert_int_equal(req(f, "GET", path, NULL, NULL, &r), 200);
	cJSON *j = cJSON_Parse(r.body);
	assert_non_null(j);
	ts_http_free(&r);
	return j;
}

static inline void assert_text(struct fc *f, const char *method, const char *path, const char *body,
                               long status, const char *text)
{
	struct ts_http r;
	assert_int_equal(req(f, method, path, body, NULL, &r), status);
	assert_string_equal(r.body, text);
	ts_http_free(&r);
}

static inline const char *str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* Waits (up to 20 s) until the check has this status. */
static inline bool wait_check_status(struct fc *f, const char *check_id, const char *status)
{
	for (int64_t end = ts_now_ms() + 20000; ts_now_ms() < end; ts_sleep_ms(50)) {
		cJSON *checks = get_json(f, "/v1/agent/checks");
		const char *s =
		    str_at(cJSON_GetObjectItemCaseSensitive(checks, check_id), "Status", NULL);
		bool ok = s && strcmp(s, status) == 0;
		cJSON_Delete(checks);
		if (ok)
			return true;
	}
	return false;
}

#endif
