/* Fuzzes the reading of scenario files (scenario_load in
 * fakeagent/scenario/spec.c, format in docs/scenarios.md) without running
 * them: the keys, the steps (kinds, fields and their types, timeouts,
 * titles), the agent settings, and the placeholder substitution of every
 * string value into small buffers. Properties: an error always names the
 * file; substitution never overruns its buffer; nothing leaks. */
#include "fakeagent/scenario/scenario.h"

#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static void values(struct scenario *sc, const struct step *st)
{
	const cJSON *v;
	cJSON_ArrayForEach (v, st->spec) {
		char small[16], big[512];
		if (cJSON_IsString(v)) {
			scenario_subst(sc, v->valuestring, small, sizeof(small));
			CHECK(strlen(small) < sizeof(small));
			scenario_subst(sc, v->valuestring, big, sizeof(big));
			CHECK(strlen(big) < sizeof(big));
		}
		if (v->string) {
			scenario_step_num(sc, st, v->string);
			scenario_step_duration(st, v->string, 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario_opts o = {0};
	struct scenario sc = {.file = "fuzz.json", .opts = &o};
	char err[2048] = "";
	sc.doc = cJSON_ParseWithLength((const char *)data, size);
	if (!cJSON_IsObject(sc.doc)) {
		cJSON_Delete(sc.doc);
		return 0;
	}
	if (scenario_load(&sc, err, sizeof(err)) < 0) {
		CHECK(strncmp(err, "fuzz.json", 9) == 0 || strcmp(err, "out of memory") == 0);
	} else {
		for (size_t i = 0; i < sc.n; i++)
			values(&sc, &sc.steps[i]);
	}
	free(sc.steps);
	envlist_free(&sc.env);
	cJSON_Delete(sc.doc);
	return 0;
}
