/* Fuzzes fakeconsul's decoding of request bodies (fakeconsul/svcdef.h): PUT
 * /v1/agent/service/register and /v1/agent/check/register, the way Consul's
 * agent decodes them. Properties: a body is either accepted, with a name,
 * an id, tags and meta present and checks that each have a known type or
 * none, or refused with 400 and Consul's text (or SVCDEF_AGENT_PANICS, with
 * the reason, for what crashes Consul's agent); nothing leaks. */
#include "fuzz.h"

#include "fakeconsul/svcdef.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	struct svcdef d;
	int rc = svcdef_parse((const char *)data, size, &d, err, sizeof(err));
	if (rc == 0) {
		CHECK(d.name && d.name[0] && d.id && d.id[0]);
		CHECK(cJSON_IsArray(d.tags) && cJSON_IsObject(d.meta));
		for (size_t i = 0; i < d.nchecks; i++) {
			checkdef_type(&d.checks[i]);
			CHECK(!d.checks[i].status || !d.checks[i].status[0] ||
			      checkdef_valid_status(d.checks[i].status));
		}
	} else {
		CHECK((rc == 400 || rc == SVCDEF_AGENT_PANICS) && err[0] != '\0');
	}
	svcdef_free(&d); /* the caller frees whatever the result, as agent_api.c does */
	struct checkdef c;
	err[0] = '\0';
	rc = checkdef_parse_register((const char *)data, size, &c, err, sizeof(err));
	if (rc == 0) {
		CHECK(c.check_id && c.check_id[0]);
		checkdef_type(&c);
	} else {
		CHECK(rc == 400 && err[0] != '\0');
	}
	checkdef_free(&c);
	return 0;
}
