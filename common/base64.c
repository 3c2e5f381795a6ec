/* base64 via OpenSSL's EVP block functions (see base64.h). */
#include "base64.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

char *b64_encode(const uint8_t *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
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
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		goto out;
	int got = n ? EVP_DecodeBlock(out, (unsigned char *)clean, (int)n) : 0;
	if (got < 0) {
		free(out);
		out = NULL;
		goto out;
	}
	*out_len = (size_t)got - missing;
out:
	free(clean);
	return out;
}
