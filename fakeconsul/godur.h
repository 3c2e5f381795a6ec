/* Go's time.ParseDuration for the fake Consul agent, which reads durations
 * the way Consul does (check intervals, TTLs, ?wait): an optional sign in
 * front of common/duration.h's Go syntax, and Go's error texts
 * ("time: invalid duration \"soon\"", "time: missing unit in duration \"5\"",
 * "time: unknown unit \"x\" in duration \"5x\""). */
#ifndef FAKECONSUL_GODUR_H
#define FAKECONSUL_GODUR_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0 with *ns set, or -1 with Go's error text in err. */
int godur_parse(const char *s, int64_t *ns, char *err, size_t errlen);

#endif
