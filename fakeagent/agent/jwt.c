/* Executor tokens: HS256 JSON Web Tokens (see jwt.h). */
#include "jwt.h"

#include "common/base64.h"

#include <mbedtls/md.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* ------------------------------------------------------------ base64url */

/* base64url without padding (RFC 7515, section 2); malloc'd, or NULL. */
static char *b64url_encode(const uint8_t *data, size_t len)
{
	char *s = b64_encode(data, len);
	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	s[strcspn(s, "=")] = '\0';
	return s;
}

/* The bytes of a base64url text (padding optional; any other character
 * refused); malloc'd with *out_len, or NULL. */
static uint8_t *b64url_decode(const char *text, size_t len, size_t *out_len)
{
	char *std = malloc(len + 1);
	if (!std)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '=' && i + 2 >= len) /* padding, at the end only */
			continue;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_')) {
			free(std);
			return NULL;
		}
		std[n++] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	uint8_t *out = n % 4 == 1 ? NULL : b64_decode(std, n, out_len);
	free(std);
	return out;
}

/* HMAC-SHA256 of the signing input, base64url; malloc'd, or NULL. */
static char *mac(const char *input, size_t len, const uint8_t key[JWT_KEY_LEN])
{
	uint8_t md[32];
	const mbedtls_md_info_t *sha256 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	if (!sha256 ||
	    mbedtls_md_hmac(sha256, key, JWT_KEY_LEN, (const uint8_t *)input, len, md) != 0)
		return NULL;
	return b64url_encode(md, sizeof(md));
}

/* Whether a and b (n bytes each) are equal, in a time that does not depend on
 * where they differ. */
static bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (uint8_t)(a[i] ^ b[i]);
	return diff == 0;
}

/* ------------------------------------------------------------ signing */

char *jwt_sign(const cJSON *claims, const uint8_t key[JWT_KEY_LEN])
{
	char *payload = cJSON_PrintUnformatted(claims);
	char *h = b64url_encode((const uint8_t *)HEADER, strlen(HEADER));
	char *p = payload ? b64url_encode((const uint8_t *)payload, strlen(payload)) : NULL;
	char *input = NULL, *sig = NULL, *token = NULL;
	if (h && p && asprintf(&input, "%s.%s", h, p) >= 0 &&
	    (sig = mac(input, strlen(input), key)) && asprintf(&token, "%s.%s", input, sig) < 0)
		token = NULL;
	free(payload);
	free(h);
	free(p);
	free(input);
	free(sig);
	return token;
}

/* ------------------------------------------------------------ checking */

/* A part of the token decoded as a JSON object, or NULL with err saying
 * why in libprocess' words. */
static cJSON *decode_part(const char *part, size_t len, char *err, size_t errlen)
{
	size_t n;
	uint8_t *raw = b64url_decode(part, len, &n);
	if (!raw) {
		snprintf(err, errlen, "Failed to base64url-decode: Invalid base64url string");
		return NULL;
	}
	cJSON *j = cJSON_ParseWithLength((const char *)raw, n);
	free(raw);
	if (!j || !cJSON_IsObject(j)) {
		snprintf(err, errlen, "Failed to parse into JSON: %s",
		         j ? "Unexpected JSON type parsed" : "syntax error");
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static bool header_ok(const char *part, size_t len, char *err, size_t errlen)
{
	char why[256];
	cJSON *h = decode_part(part, len, why, sizeof(why));
	if (!h) {
		snprintf(err, errlen, "Failed to decode token header: %s", why);
		return false;
	}
	const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
	bool ok = false;
	if (typ && !cJSON_IsString(typ))
		snprintf(err, errlen, "Token 'typ' is not a string");
	else if (!alg)
		snprintf(err, errlen, "Failed to locate 'alg' in token JSON header");
	else if (!cJSON_IsString(alg))
		snprintf(err, errlen, "Token 'alg' field is not a string");
	else if (strcmp(alg->valuestring, "none") && strcmp(alg->valuestring, "HS256") &&
	         strcmp(alg->valuestring, "RS256"))
		snprintf(err, errlen, "Unsupported token algorithm: %.100s", alg->valuestring);
	else if (cJSON_GetObjectItemCaseSensitive(h, "crit"))
		snprintf(err, errlen, "Token 'crit' field is unsupported");
	else if (strcmp(alg->valuestring, "HS256"))
		snprintf(err, errlen, "Token 'alg' value \"%s\" does not match, expected \"HS256\"",
		         alg->valuestring);
	else
		ok = true;
	cJSON_Delete(h);
	return ok;
}

static cJSON *payload_of(const char *part, size_t len, char *err, size_t errlen)
{
	char why[256];
	cJSON *p = decode_part(part, len, why, sizeof(why));
	if (!p) {
		snprintf(err, errlen, "Failed to decode token payload: %s", why);
		return NULL;
	}
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(p, "exp");
	if (exp && !cJSON_IsNumber(exp)) {
		snprintf(err, errlen, "JSON payload 'exp' field is not a number");
	} else if (exp && exp->valuedouble < (double)time(NULL)) {
		snprintf(err, errlen, "Token has expired: exp(%.0f) < now(%lld)", exp->valuedouble,
		         (long long)time(NULL));
	} else {
		return p;
	}
	cJSON_Delete(p);
	return NULL;
}

cJSON *jwt_verify(const char *token, const uint8_t key[JWT_KEY_LEN], char *err, size_t errlen)
{
	const char *dot1 = strchr(token, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
		size_t parts = 1;
		for (const char *p = token; *p; p++)
			parts += *p == '.';
		snprintf(err, errlen, "Expected 3 components in token, got %zu", parts);
		return NULL;
	}
	if (!header_ok(token, (size_t)(dot1 - token), err, errlen))
		return NULL;
	cJSON *claims = payload_of(dot1 + 1, (size_t)(dot2 - dot1 - 1), err, errlen);
	if (!claims)
		return NULL;
	size_t sig_len;
	uint8_t *sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig_len);
	char *want = mac(token, (size_t)(dot2 - token), key);
	size_t want_len;
	uint8_t *want_raw = want ? b64url_decode(want, strlen(want), &want_len) : NULL;
	if (!sig) {
		snprintf(err, errlen,
		         "Failed to base64url-decode token signature: Invalid base64url string");
	} else if (!want_raw) {
		snprintf(err, errlen, "Failed to generate HMAC signature: out of memory");
	} else if (sig_len != want_len || !same_bytes(sig, want_raw, sig_len)) {
		snprintf(err, errlen, "Token signature does not match");
	} else {
		free(sig);
		free(want);
		free(want_raw);
		return claims;
	}
	free(sig);
	free(want);
	free(want_raw);
	cJSON_Delete(claims);
	return NULL;
}
