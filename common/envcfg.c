/* Environment variable parsing with collected errors (see envcfg.h). */
#include "envcfg.h"

#include "duration.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void envcfg_fail(struct envcfg *e, const char *fmt, ...)
{
	size_t n = strlen(e->errors);
	va_list ap;
	if (n && n + 2 < sizeof(e->errors)) {
		strcat(e->errors, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	if (n < sizeof(e->errors))
		vsnprintf(e->errors + n, sizeof(e->errors) - n, fmt, ap);
	va_end(ap);
	e->nerrors++;
}

const char *envcfg_get(struct envcfg *e, const char *name)
{
	return e->lookup ? e->lookup(name, e->lookup_data) : getenv(name);
}

const char *envcfg_allegro(struct envcfg *e, const char *suffix, const char **used)
{
	static __thread char full[128];
	snprintf(full, sizeof(full), "ALLEGRO_EXECUTOR_%s", suffix);
	const char *v = envcfg_get(e, full);
	if (v) {
		if (used)
			*used = full;
		return v;
	}
	v = envcfg_get(e, suffix);
	if (used)
		*used = v ? suffix : full;
	return v;
}

bool envcfg_bool(struct envcfg *e, const char *name, const char *v, bool def)
{
	static const char *yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *no[] = {"0", "f", "F", "false", "FALSE", "False"};
	if (!v)
		return def;
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, yes[i]) == 0)
			return true;
		if (strcmp(v, no[i]) == 0)
			return false;
	}
	envcfg_fail(e, "%s: expected true or false, got '%s'", name, v);
	return def;
}

int64_t envcfg_duration(struct envcfg *e, const char *name, const char *v, int64_t def)
{
	int64_t ns;
	if (!v)
		return def;
	if (duration_parse(v, &ns) < 0 || ns < 0) {
		envcfg_fail(e, "%s: expected a duration like 5s, 1m30s or 5secs, got '%s'", name,
		            v);
		return def;
	}
	return ns;
}

int64_t envcfg_mesos_duration(struct envcfg *e, const char *name, const char *v, int64_t def)
{
	int64_t ns;
	if (!v)
		return def;
	if (duration_parse_mesos(v, &ns) < 0) {
		envcfg_fail(e,
		            "%s: expected a Mesos duration like 5secs, 250ms or 15mins, got '%s'",
		            name, v);
		return def;
	}
	return ns;
}

long envcfg_long(struct envcfg *e, const char *name, const char *v, long def, long min, long max)
{
	char *end;
	if (!v)
		return def;
	errno = 0;
	long n = strtol(v, &end, 10);
	/* strtol skips leading blanks and saturates on overflow: refuse both. */
	if (!*v || isspace((unsigned char)*v) || *end || errno || n < min || n > max) {
		envcfg_fail(e, "%s: expected an integer from %ld to %ld, got '%s'", name, min, max,
		            v);
		return def;
	}
	return n;
}
