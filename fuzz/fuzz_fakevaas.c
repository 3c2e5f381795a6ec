/* Fuzzes fakevaas's reading of a backend written through its API
 * (fakevaas/backend_form.h: tastypie hydration, then Django's form), as
 * POST /api/v0.1/backend/ (the first input byte odd) or PATCH of a seeded
 * backend (even) sees it, against VaaS's development data. Properties: a
 * body is accepted with a normalised row (address, port, dc and director
 * ids) that renders as tastypie renders it, or refused with 400 (500 where
 * tastypie crashes) and a JSON error; nothing leaks. */
#include "fuzz.h"

#include "fakevaas/seed.h"
#include "fakevaas/store.h"
#include "fakevaas/backend_form.h"

#include <string.h>

extern const char fakevaas_dev_data[];
extern const size_t fakevaas_dev_data_len;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vstore s;
	static bool loaded;
	char err[512];
	if (!loaded) {
		CHECK(seed_load(&s, fakevaas_dev_data, fakevaas_dev_data_len, "dev-data.json", err,
		                sizeof(err)) == 0);
		loaded = true;
	}
	if (size < 1)
		return 0;
	cJSON *input = cJSON_ParseWithLength((const char *)data + 1, size - 1);
	if (!input)
		return 0;
	const cJSON *existing = data[0] & 1 ? NULL : cJSON_GetArrayItem(s.backends, 0);
	int self_id = 0;
	if (existing) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(existing, "id");
		self_id = cJSON_IsNumber(id) ? id->valueint : 0;
	}
	cJSON *row = NULL, *error = NULL;
	int rc = bform_build(&s, input, existing, self_id, &row, &error);
	if (rc == 0) {
		CHECK(row != NULL && error == NULL);
		CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(row, "address")));
		cJSON *shown = store_backend_json(&s, row);
		CHECK(shown != NULL);
		cJSON_Delete(shown);
	} else {
		CHECK((rc == 400 || rc == 500) && row == NULL && error != NULL);
		char *text = cJSON_PrintUnformatted(error);
		CHECK(text != NULL);
		free(text);
	}
	cJSON_Delete(row);
	cJSON_Delete(error);
	cJSON_Delete(input);
	return 0;
}
