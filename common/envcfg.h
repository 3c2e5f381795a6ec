/* Typed reads of environment variables with errors that name the variable
 * and the expected form. Errors are collected, not fatal, so a caller can
 * report every bad variable in one line and exit once.
 *
 *   struct envcfg e = {0};
 *   envcfg_duration(&e, "ALLEGRO_EXECUTOR_KILL_POLICY_GRACE_PERIOD", 5 * NS, &grace);
 *   if (e.nerrors) die(e.errors);
 */
#ifndef COMMON_ENVCFG_H
#define COMMON_ENVCFG_H

#include <stdbool.h>
#include <stdint.h>

struct envcfg {
	int nerrors;
	char errors[2048]; /* "NAME: expected ..., got 'x'; NAME2: ..." */
	/* Looks a name up; getenv when NULL (tests pass their own). */
	const char *(*lookup)(const char *name, void *data);
	void *lookup_data;
};

void envcfg_fail(struct envcfg *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *envcfg_get(struct envcfg *e, const char *name);

/* ALLEGRO_EXECUTOR_<suffix>, else the bare <suffix> (the Go executor's
 * fallback); *used gets the name that was found (may be NULL). */
const char *envcfg_allegro(struct envcfg *e, const char *suffix, const char **used);

/* Each reads `name` (or keeps def when unset) and reports malformed values.
 * Booleans take Go's spellings (1, t, true, TRUE, 0, f, false, ...). */
bool envcfg_bool(struct envcfg *e, const char *name, const char *value, bool def);
int64_t envcfg_duration(struct envcfg *e, const char *name, const char *value, int64_t def);
int64_t envcfg_mesos_duration(struct envcfg *e, const char *name, const char *value, int64_t def);
long envcfg_long(struct envcfg *e, const char *name, const char *value, long def, long min,
                 long max);

#endif
