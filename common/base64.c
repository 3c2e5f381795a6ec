/* base64 through mbedTLS (see base64.h). mbedTLS wants whole, padded blocks
 * and tolerates only line breaks and some spaces; Mesos' JSON may drop the
 * padding. So the text is first reduced to its alphabet characters, checked,
 * and padded, then decoded. */
#include "base64.h"

#include <mbedtls/base64.h>
#include <stdlib.h>
#include <string.h>

char *b64_encode(const uint8_t *data, size_t len)
{
	size_t size = 4 * ((len + 2) / 3) + 1, n = 0;
	char *out = malloc(size);
	if (!out)
		return NULL;
	if (mbedtls_base64_encode((unsigned char *)out, size, &n, data, len) != 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}

static int is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

uint8_t *b64_decode(const char *text, size_t text_len, size_t *out_len)
{
	/* Keep only alphabet characters; padding only at the end. */
	char *clean = malloc(text_len + 4);
	size_t n = 0, pad = 0;
	uint8_t *out = NULL;

	if (!clean)
		return NULL;
	for (size_t i = 0; i < text_len; i++) {
		char c = text[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (!is_b64(c) || pad)
			goto out;
		clean[n++] = c;
	}
	/* Padding, when present, must be exactly what the last block lacks. */
	size_t missing = (4 - n % 4) % 4;
	if (n % 4 == 1 || (pad && pad != missing))
		goto out;
	for (size_t i = 0; i < missing; i++)
		clean[n++] = '=';
	size_t cap = n / 4 * 3 + 1, got = 0;
	out = malloc(cap);
	if (!out)
		goto out;
	if (mbedtls_base64_decode(out, cap, &got, (unsigned char *)clean, n) != 0) {
		free(out);
		out = NULL;
		goto out;
	}
	*out_len = got;
out:
	free(clean);
	return out;
}
