/* UUIDs and random bytes from the kernel (getrandom, or /dev/urandom where
 * the kernel predates getrandom, as 3.10 before its backports): status update
 * uuids, task ids, instance ids, and the certificate check's random margin. */
#ifndef COMMON_UUID4_H
#define COMMON_UUID4_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf with len random bytes. Never fails in practice; if neither
 * getrandom nor /dev/urandom answers, the bytes come from the clock and the
 * pid (unique, not secret) and a warning is logged once. */
void uuid4_random(void *buf, size_t len);
/* A random (version 4, RFC 4122 variant) UUID. */
void uuid4_new(uint8_t out[16]);
/* Canonical lower-case 36-character form plus NUL. */
void uuid4_format(const uint8_t id[16], char out[37]);
/* A v1 (time-based) UUID string, as Marathon puts in instance ids: 100 ns
 * ticks since 1582-10-15, a random clock sequence and a random node id with
 * the multicast bit set (RFC 4122 4.5: no MAC address is read). */
void uuid1_string(char out[37]);

#endif
