/* Standard base64 (alphabet +/, '=' padding) through mbedTLS, as Mesos writes
 * bytes fields in JSON. The decoder tolerates missing padding and
 * whitespace, and rejects any other character. */
#ifndef COMMON_BASE64_H
#define COMMON_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Returns a malloc'd NUL-terminated string, or NULL when out of memory. */
char *b64_encode(const uint8_t *data, size_t len);
/* Returns a malloc'd buffer (never NULL on success, even for 0 bytes) and
 * sets *out_len, or NULL for malformed input or out of memory. */
uint8_t *b64_decode(const char *text, size_t text_len, size_t *out_len);

#endif
