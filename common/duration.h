/* Durations as 64-bit nanoseconds, in the two spellings users meet:
 * Mesos/stout ("5secs", "1.5secs", "250ms", "15mins", "2hrs", "1days",
 * "1weeks", "10us", "7ns"), used by the agent's environment, and Go
 * ("5s", "1m30s", "300ms", "1.5h"), used by ALLEGRO_EXECUTOR_* variables and
 * Consul. */
#ifndef COMMON_DURATION_H
#define COMMON_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define DURATION_NS_PER_US  1000LL
#define DURATION_NS_PER_MS  1000000LL
#define DURATION_NS_PER_SEC 1000000000LL

/* stout syntax: a non-negative decimal number and one unit, no space.
 * Returns 0 or -1 (malformed, negative, or out of range). */
int duration_parse_mesos(const char *s, int64_t *ns);
/* Go syntax: one or more number+unit terms (ns, us, µs, ms, s, m, h), or "0". */
int duration_parse_go(const char *s, int64_t *ns);
/* Either syntax (Mesos first). */
int duration_parse(const char *s, int64_t *ns);

/* stout spelling with the largest unit that keeps the number exact:
 * 5000000000 -> "5secs", 1500000000 -> "1.5secs", 90 s -> "1.5mins". */
void duration_format_mesos(int64_t ns, char *buf, size_t len);
/* Go spelling, as time.Duration.String(): "5s", "1m0s", "1.5s", "250ms". */
void duration_format_go(int64_t ns, char *buf, size_t len);

static inline double duration_to_secs(int64_t ns)
{
	return (double)ns / 1e9;
}
/* Rounded to the nearest nanosecond; NaN gives 0 and values beyond int64
 * saturate (converting them would be undefined). */
static inline int64_t duration_from_secs(double s)
{
	double ns = s * 1e9 + (s >= 0 ? 0.5 : -0.5);
	if (ns != ns)
		return 0;
	if (ns >= 0x1p63)
		return INT64_MAX;
	if (ns <= -0x1p63)
		return INT64_MIN;
	return (int64_t)ns;
}

#endif
