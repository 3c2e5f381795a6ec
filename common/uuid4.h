/* Random (version 4) UUIDs from libuuid: status update uuids, task ids. */
#ifndef COMMON_UUID4_H
#define COMMON_UUID4_H

#include <stdint.h>

void uuid4_new(uint8_t out[16]);
/* Canonical 36-character form plus NUL. */
void uuid4_format(const uint8_t id[16], char out[37]);
/* A v1 (time-based) UUID string, as Marathon puts in instance ids. */
void uuid1_string(char out[37]);

#endif
