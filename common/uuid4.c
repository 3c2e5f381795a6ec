/* UUIDs and random bytes from the kernel (see uuid4.h). */
#include "uuid4.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static int from_urandom(uint8_t *p, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	close(fd);
	return 0;
}

/* Unique, not secret: the last resort when the kernel gives nothing. */
static void from_clock(uint8_t *p, size_t len)
{
	static atomic_uint_fast64_t counter;
	static atomic_flag warned = ATOMIC_FLAG_INIT;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t x = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	x ^= (uint64_t)getpid() << 40 ^ atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
	if (!atomic_flag_test_and_set(&warned))
		log_warn("no random bytes from getrandom or /dev/urandom: ids come from the clock");
}

void uuid4_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t left = len;
	while (left) {
		ssize_t r = getrandom(p, left, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break; /* ENOSYS: a kernel before 3.17 */
		p += r;
		left -= (size_t)r;
	}
	if (left && from_urandom(p, left) < 0)
		from_clock(p, left);
}

void uuid4_new(uint8_t out[16])
{
	uuid4_random(out, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40); /* version 4 */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

void uuid4_format(const uint8_t id[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[id[i] >> 4];
		*o++ = hex[id[i] & 15];
	}
	*o = '\0';
}

void uuid1_string(char out[37])
{
	/* 100 ns ticks from 1582-10-15 to 1970-01-01 */
	const uint64_t gregorian_offset = 0x01b21dd213814000u;
	struct timespec ts;
	uint8_t rnd[8], u[16];
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t t =
	    (uint64_t)ts.tv_sec * 10000000u + (uint64_t)ts.tv_nsec / 100 + gregorian_offset;
	uuid4_random(rnd, sizeof(rnd));
	uint32_t low = (uint32_t)t;
	uint16_t mid = (uint16_t)(t >> 32), hi = (uint16_t)((t >> 48) & 0x0fff) | 0x1000;
	u[0] = (uint8_t)(low >> 24);
	u[1] = (uint8_t)(low >> 16);
	u[2] = (uint8_t)(low >> 8);
	u[3] = (uint8_t)low;
	u[4] = (uint8_t)(mid >> 8);
	u[5] = (uint8_t)mid;
	u[6] = (uint8_t)(hi >> 8);
	u[7] = (uint8_t)hi;
	u[8] = (uint8_t)((rnd[0] & 0x3f) | 0x80); /* clock sequence, RFC 4122 variant */
	u[9] = rnd[1];
	memcpy(u + 10, rnd + 2, 6);
	u[10] |= 0x01; /* a random node id, not a MAC */
	uuid4_format(u, out);
}
