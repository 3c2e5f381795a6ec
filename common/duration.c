/* Duration parsing and formatting in stout's and Go's syntax (see duration.h). */
#include "duration.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit {
	const char *name;
	int64_t ns;
};

/* Largest first: the formatter walks this list. */
static const struct unit mesos_units[] = {
    {"weeks", 7 * 24 * 3600 * DURATION_NS_PER_SEC},
    {"days", 24 * 3600 * DURATION_NS_PER_SEC},
    {"hrs", 3600 * DURATION_NS_PER_SEC},
    {"mins", 60 * DURATION_NS_PER_SEC},
    {"secs", DURATION_NS_PER_SEC},
    {"ms", DURATION_NS_PER_MS},
    {"us", DURATION_NS_PER_US},
    {"ns", 1},
};

static const struct unit go_units[] = {
    {"h", 3600 * DURATION_NS_PER_SEC},
    {"m", 60 * DURATION_NS_PER_SEC},
    {"s", DURATION_NS_PER_SEC},
    {"ms", DURATION_NS_PER_MS},
    {"us", DURATION_NS_PER_US},
    {"\xc2\xb5s", DURATION_NS_PER_US},
    {"\xce\xbcs", DURATION_NS_PER_US}, /* Greek mu, which Go accepts too */
    {"ns", 1},
};

/* Reads "[digits][.digits]" at *s and scales it by `unit` exactly, as Go's
 * time.ParseDuration does: the integer part as a uint64, the fraction as an
 * integer over a power of ten (digits past the 18th are ignored, they are
 * far below a nanosecond), truncated to whole nanoseconds. Advances *s.
 * Returns -1 when there is no digit or the result does not fit in int64. */
static int parse_term(const char **s, uint64_t unit, uint64_t *ns)
{
	const char *p = *s;
	uint64_t whole = 0, frac = 0, scale = 1;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (scale < 1000000000000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
	}
	if (!digits || whole > (uint64_t)INT64_MAX / unit)
		return -1;
	/* 128 bits: frac * unit reaches 10^18 * 6.048 * 10^14. */
	uint64_t v = whole * unit + (uint64_t)((unsigned __int128)frac * unit / scale);
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*s = p;
	*ns = v;
	return 0;
}

/* The unit named at the start of s: the longest match ("ms" before "m"). */
static const struct unit *match_unit(const char *s, const struct unit *units, size_t n)
{
	const struct unit *best = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(units[i].name);
		if (strncmp(s, units[i].name, l) == 0 && (!best || l > strlen(best->name)))
			best = &units[i];
	}
	return best;
}

int duration_parse_mesos(const char *s, int64_t *ns)
{
	const char *unit_at = s;
	uint64_t v;

	if (!s)
		return -1;
	while ((*unit_at >= '0' && *unit_at <= '9') || *unit_at == '.')
		unit_at++;
	for (size_t i = 0; i < sizeof(mesos_units) / sizeof(mesos_units[0]); i++) {
		if (strcmp(unit_at, mesos_units[i].name) != 0)
			continue;
		if (parse_term(&s, (uint64_t)mesos_units[i].ns, &v) < 0 || s != unit_at)
			return -1;
		*ns = (int64_t)v;
		return 0;
	}
	return -1;
}

int duration_parse_go(const char *s, int64_t *ns)
{
	uint64_t total = 0;

	if (!s || !*s)
		return -1;
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	while (*s) {
		const char *num = s;
		uint64_t part;

		while ((*s >= '0' && *s <= '9') || *s == '.')
			s++;
		const struct unit *u =
		    match_unit(s, go_units, sizeof(go_units) / sizeof(go_units[0]));
		const char *p = num;
		if (!u || parse_term(&p, (uint64_t)u->ns, &part) < 0 || p != s ||
		    total > (uint64_t)INT64_MAX - part)
			return -1;
		total += part;
		s += strlen(u->name);
	}
	*ns = (int64_t)total;
	return 0;
}

int duration_parse(const char *s, int64_t *ns)
{
	if (duration_parse_mesos(s, ns) == 0)
		return 0;
	return duration_parse_go(s, ns);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Writes ns in `unit` as a terminating decimal if there is one:
 * rem/unit terminates when unit/gcd(rem, unit) has no prime factor but 2
 * and 5, and then needs max(twos, fives) digits. Returns 0, or -1. */
static int format_exact(uint64_t ns, const struct unit *u, char *buf, size_t len)
{
	uint64_t unit = (uint64_t)u->ns, whole = ns / unit, rem = ns % unit;
	if (!rem) {
		snprintf(buf, len, "%llu%s", (unsigned long long)whole, u->name);
		return 0;
	}
	uint64_t g = gcd(rem, unit), d = unit / g, pow10 = 1;
	int twos = 0, fives = 0;
	for (; d % 2 == 0; d /= 2)
		twos++;
	for (; d % 5 == 0; d /= 5)
		fives++;
	if (d != 1)
		return -1;
	int digits = twos > fives ? twos : fives;
	for (int i = 0; i < digits; i++)
		pow10 *= 10; /* at most 10^16: the largest unit is 2^16 * 5^11 * 189 ns */
	uint64_t frac = rem / g * (pow10 / (unit / g));
	snprintf(buf, len, "%llu.%0*llu%s", (unsigned long long)whole, digits,
	         (unsigned long long)frac, u->name);
	return 0;
}

void duration_format_mesos(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		ns = 0;
	for (size_t i = 0; i < sizeof(mesos_units) / sizeof(mesos_units[0]); i++) {
		const struct unit *u = &mesos_units[i];
		if ((ns >= u->ns || u->ns == 1) && format_exact((uint64_t)ns, u, buf, len) == 0)
			return;
	}
}

/* Appends to buf at *n without running past len (snprintf returns the
 * length it wanted, which may exceed what fit). */
static void append(char *buf, size_t len, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	if (*n >= len)
		return;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n = *n + (size_t)w < len ? *n + (size_t)w : len;
}

/* Go's fractional formatting: integer part, then the fraction without
 * trailing zeros. */
static void append_frac(char *buf, size_t len, size_t *n, uint64_t v, uint64_t unit,
                        const char *name)
{
	uint64_t whole = v / unit, frac = v % unit;
	char digits[24] = "";
	if (frac) {
		int width = 0; /* at most 9 digits */
		for (uint64_t u = unit; u > 1; u /= 10)
			width++;
		snprintf(digits, sizeof(digits), ".%0*llu", width & 15, (unsigned long long)frac);
		size_t l = strlen(digits);
		while (l > 1 && digits[l - 1] == '0')
			digits[--l] = '\0';
	}
	append(buf, len, n, "%llu%s%s", (unsigned long long)whole, digits, name);
}

void duration_format_go(int64_t ns, char *buf, size_t len)
{
	/* The magnitude as unsigned: -INT64_MIN does not fit in int64. */
	uint64_t v = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
	const uint64_t us = DURATION_NS_PER_US, ms = DURATION_NS_PER_MS, sec = DURATION_NS_PER_SEC;
	size_t n = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (ns < 0)
		append(buf, len, &n, "-");
	if (v == 0) {
		append(buf, len, &n, "0s");
	} else if (v < us) {
		append(buf, len, &n, "%lluns", (unsigned long long)v);
	} else if (v < ms) {
		append_frac(buf, len, &n, v, us, "\xc2\xb5s");
	} else if (v < sec) {
		append_frac(buf, len, &n, v, ms, "ms");
	} else {
		uint64_t h = v / (3600 * sec), m = v / (60 * sec) % 60, rest = v % (60 * sec);
		if (h)
			append(buf, len, &n, "%lluh", (unsigned long long)h);
		if (h || m)
			append(buf, len, &n, "%llum", (unsigned long long)m);
		append_frac(buf, len, &n, rest, sec, "s");
	}
}
