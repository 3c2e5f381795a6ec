/* Facts about the host the executor runs on, read the way the Go executor's
 * runenv package read them: the host name (MESOS_HOSTNAME, else
 * CLOUD_HOSTNAME, else gethostname) and the environment it implies
 * ("prod", "test" or "dev" from a host name like "app-12-prod.dc1.example",
 * else "local"). Log shipping (srchost), metrics (the Graphite prefix) and
 * error reports (server name, environment) share them. */
#ifndef EXECUTOR_TELEMETRY_RUNENV_H
#define EXECUTOR_TELEMETRY_RUNENV_H

#include <stddef.h>

/* Looks a variable up; NULL means getenv. */
typedef const char *(*runenv_getenv_fn)(const char *name);

/* Writes the host name into buf (always NUL-terminated). */
void runenv_hostname(runenv_getenv_fn get, char *buf, size_t len);
/* "prod", "test", "dev" (regex .*-(prod|test|dev)\..*) or "local". A static
 * string. */
const char *runenv_environment(const char *hostname);
/* Copies s into buf with every '.', blank and control character replaced by
 * '_' (one Graphite path segment); always NUL-terminated. */
void runenv_graphite_segment(const char *s, char *buf, size_t len);

#endif
