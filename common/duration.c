/* Duration parsing and formatting in stout's and Go's syntax (see duration.h). */
#include "duration.h"

#include <math.h>
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
	{"h", 3600 * DURATION_NS_PER_SEC}, {"m", 60 * DURATION_NS_PER_SEC},
	{"s", DURATION_NS_PER_SEC},	   {"ms", DURATION_NS_PER_MS},
	{"us", DURATION_NS_PER_US},	   {"\xc2\xb5s", DURATION_NS_PER_US},
	{"ns", 1},
};

/* Parses "[digits][.digits]" at *s; advances *s. Returns -1 when there is no
 * digit at all. */
static int parse_number(const char **s, double *out)
{
	const char *p = *s;
	double v = 0, scale = 1;
	int digits = 0;

	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			scale /= 10;
			v += (*p++ - '0') * scale;
			digits++;
		}
	}
	if (!digits)
		return -1;
	*s = p;
	*out = v;
	return 0;
}

static int to_ns(double v, int64_t unit, int64_t *ns)
{
	double total = v * (double)unit;
	if (!isfinite(total) || total > 9.2e18)
		return -1;
	*ns = (int64_t)llround(total);
	return 0;
}

int duration_parse_mesos(const char *s, int64_t *ns)
{
	double v;

	if (!s || parse_number(&s, &v) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(mesos_units) / sizeof(mesos_units[0]); i++)
		if (strcmp(s, mesos_units[i].name) == 0)
			return to_ns(v, mesos_units[i].ns, ns);
	return -1;
}

int duration_parse_go(const char *s, int64_t *ns)
{
	int64_t total = 0;

	if (!s || !*s)
		return -1;
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	while (*s) {
		double v;
		int64_t part;
		size_t best = 0;
		const struct unit *u = NULL;

		if (parse_number(&s, &v) < 0)
			return -1;
		/* Longest unit name that matches ("ms" before "m"). */
		for (size_t i = 0; i < sizeof(go_units) / sizeof(go_units[0]); i++) {
			size_t l = strlen(go_units[i].name);
			if (l > best && strncmp(s, go_units[i].name, l) == 0) {
				best = l;
				u = &go_units[i];
			}
		}
		if (!u || to_ns(v, u->ns, &part) < 0 || total > INT64_MAX - part)
			return -1;
		total += part;
		s += best;
	}
	*ns = total;
	return 0;
}

int duration_parse(const char *s, int64_t *ns)
{
	if (duration_parse_mesos(s, ns) == 0)
		return 0;
	return duration_parse_go(s, ns);
}

void duration_format_mesos(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		ns = 0;
	for (size_t i = 0; i < sizeof(mesos_units) / sizeof(mesos_units[0]); i++) {
		const struct unit *u = &mesos_units[i];
		if (ns < u->ns && u->ns != 1)
			continue;
		/* Up to 6 decimals, and only if they reproduce ns exactly. */
		for (int prec = 0; prec <= 6; prec++) {
			char tmp[48];
			int64_t back;
			snprintf(tmp, sizeof(tmp), "%.*f%s", prec, (double)ns / (double)u->ns, u->name);
			if (duration_parse_mesos(tmp, &back) == 0 && back == ns) {
				snprintf(buf, len, "%s", tmp);
				return;
			}
		}
	}
	snprintf(buf, len, "%lldns", (long long)ns);
}

/* Go's fractional formatting: integer part, then the fraction without
 * trailing zeros. */
static int fmt_frac(char *buf, size_t len, int64_t v, int64_t unit, const char *name)
{
	int64_t whole = v / unit, frac = v % unit;
	char digits[24] = "";
	if (frac) {
		int width = 0; /* at most 9 digits */
		for (int64_t u = unit; u > 1; u /= 10)
			width++;
		snprintf(digits, sizeof(digits), ".%0*lld", width & 15, (long long)frac);
		size_t l = strlen(digits);
		while (l > 1 && digits[l - 1] == '0')
			digits[--l] = '\0';
	}
	return snprintf(buf, len, "%lld%s%s", (long long)whole, digits, name);
}

void duration_format_go(int64_t ns, char *buf, size_t len)
{
	const char *sign = "";
	if (ns < 0) {
		sign = "-";
		ns = -ns;
	}
	if (ns == 0) {
		snprintf(buf, len, "0s");
	} else if (ns < DURATION_NS_PER_US) {
		snprintf(buf, len, "%s%lldns", sign, (long long)ns);
	} else if (ns < DURATION_NS_PER_MS) {
		int n = snprintf(buf, len, "%s", sign);
		fmt_frac(buf + n, len - (size_t)n, ns, DURATION_NS_PER_US, "\xc2\xb5s");
	} else if (ns < DURATION_NS_PER_SEC) {
		int n = snprintf(buf, len, "%s", sign);
		fmt_frac(buf + n, len - (size_t)n, ns, DURATION_NS_PER_MS, "ms");
	} else {
		int64_t h = ns / (3600 * DURATION_NS_PER_SEC);
		int64_t m = ns / (60 * DURATION_NS_PER_SEC) % 60;
		int64_t rest = ns % (60 * DURATION_NS_PER_SEC);
		int n = snprintf(buf, len, "%s", sign);
		if (h)
			n += snprintf(buf + n, len - (size_t)n, "%lldh", (long long)h);
		if (h || m)
			n += snprintf(buf + n, len - (size_t)n, "%lldm", (long long)m);
		fmt_frac(buf + n, len - (size_t)n, rest, DURATION_NS_PER_SEC, "s");
	}
}
