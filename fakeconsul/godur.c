/* Go's time.ParseDuration: sign and error texts (see godur.h). The value
 * itself comes from common/duration.c; this file only tells Go's three kinds
 * of refusal apart, scanning the terms as Go does. */
#include "godur.h"

#include "common/duration.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool known_unit(const char *u, size_t n)
{
	static const char *const units[] = {"ns", "us", "\xc2\xb5s", "\xce\xbcs",
	                                    "ms", "s",  "m",         "h"};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i]) == n && strncmp(units[i], u, n) == 0)
			return true;
	return false;
}

/* Go quotes the original text with strconv.Quote; these texts hold no
 * control characters worth escaping beyond quotes and backslashes. */
static void quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	if (len < 3) {
		buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

int godur_parse(const char *orig, int64_t *ns, char *err, size_t errlen)
{
	char q[256], uq[64];
	const char *s = orig ? orig : "";
	bool neg = false;

	quote(s, q, sizeof(q));
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (!*s)
		goto invalid;
	for (const char *p = s; *p;) {
		if (!is_digit(*p) && *p != '.')
			goto invalid;
		int digits = 0;
		for (; is_digit(*p); p++)
			digits++;
		if (*p == '.')
			for (p++; is_digit(*p); p++)
				digits++;
		if (!digits)
			goto invalid;
		const char *u = p;
		while (*p && *p != '.' && !is_digit(*p))
			p++;
		if (p == u) {
			snprintf(err, errlen, "time: missing unit in duration %s", q);
			return -1;
		}
		if (!known_unit(u, (size_t)(p - u))) {
			char unit[32];
			snprintf(unit, sizeof(unit), "%.*s", (int)(p - u), u);
			quote(unit, uq, sizeof(uq));
			snprintf(err, errlen, "time: unknown unit %s in duration %s", uq, q);
			return -1;
		}
	}
	int64_t v;
	if (duration_parse_go(s, &v) < 0) /* well formed: it overflows */
		goto invalid;
	*ns = neg ? -v : v;
	return 0;
invalid:
	snprintf(err, errlen, "time: invalid duration %s", q);
	return -1;
}
