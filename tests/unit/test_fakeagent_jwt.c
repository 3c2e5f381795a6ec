/* fakeagent's executor tokens (fakeagent/agent/jwt.h): the agent's HS256 JWT to
 * the byte (a token computed independently with Python's hmac), and the
 * verification that refuses what libprocess' JWT::parse refuses, in its
 * words. */
#include "testsupport.h"

#include "fakeagent/agent/jwt.h"

#include <stdlib.h>
#include <string.h>

static uint8_t key[JWT_KEY_LEN];

/* {"cid":"c","eid":"e","fid":"f"} signed with the key 01 02 .. 20 */
#define KNOWN                                                                                      \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjaWQiOiJjIiwiZWlkIjoiZSIsImZpZCI6ImYifQ."         \
	"OVbLc2cSuVm6wUrCCf1Or2n14uwno1sPU3snkvZvKzM"

static int setup(void **state)
{
	for (size_t i = 0; i < JWT_KEY_LEN; i++)
		key[i] = (uint8_t)(i + 1);
	return 0;
}

static cJSON *claims_cef(void)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "cid", "c");
	cJSON_AddStringToObject(c, "eid", "e");
	cJSON_AddStringToObject(c, "fid", "f");
	return c;
}

static void test_a_token_is_the_agent_hs256_jwt_to_the_byte(void **state)
{
	cJSON *c = claims_cef();
	char *t = jwt_sign(c, key);
	assert_non_null(t);
	assert_string_equal(t, KNOWN);
	free(t);
	cJSON_Delete(c);
}

static void test_a_good_token_gives_its_claims(void **state)
{
	char err[256];
	cJSON *c = jwt_verify(KNOWN, key, err, sizeof(err));
	assert_non_null(c);
	assert_string_equal(cJSON_GetObjectItem(c, "eid")->valuestring, "e");
	cJSON_Delete(c);
}

/* Refused with an error that starts with `want`. */
static void expect_refused(const char *token, const uint8_t *k, const char *want)
{
	char err[256] = "";
	cJSON *c = jwt_verify(token, k, err, sizeof(err));
	if (c)
		fail_msg("accepted: %s", token);
	if (strncmp(err, want, strlen(want)) != 0 || !want[0])
		fail_msg("'%s': got '%s', want '%s...'", token, err, want);
}

static void test_what_libprocess_refuses_is_refused_in_its_words(void **state)
{
	uint8_t other[JWT_KEY_LEN] = {0};
	expect_refused(KNOWN, other, "Token signature does not match");
	expect_refused("abc", key, "Expected 3 components in token, got 1");
	expect_refused(KNOWN ".x", key, "Expected 3 components in token, got 4");
	/* {"alg":"none"}.{"a":"b"}. */
	expect_refused("eyJhbGciOiJub25lIn0.eyJhIjoiYiJ9.", key,
	               "Token 'alg' value \"none\" does not match, expected \"HS256\"");
	/* {"typ":"JWT"} */
	expect_refused("eyJ0eXAiOiJKV1QifQ.eyJhIjoiYiJ9.x", key,
	               "Failed to locate 'alg' in token JSON header");
	/* {"alg":"HS256","crit":["x"]} */
	expect_refused("eyJhbGciOiJIUzI1NiIsImNyaXQiOlsieCJdfQ.eyJhIjoiYiJ9.x", key,
	               "Token 'crit' field is unsupported");
	/* the header is no base64url */
	expect_refused("e+J.eyJhIjoiYiJ9.x", key,
	               "Failed to decode token header: Failed to base64url-decode: Invalid "
	               "base64url string");
	/* {"alg":"HS256"}.{"exp":1} */
	expect_refused("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.x", key,
	               "Token has expired: exp(1) < now(");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_token_is_the_agent_hs256_jwt_to_the_byte),
	    cmocka_unit_test(test_a_good_token_gives_its_claims),
	    cmocka_unit_test(test_what_libprocess_refuses_is_refused_in_its_words),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
