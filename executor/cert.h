/* Certificate expiry (task label validate-certificate=true): the task's
 * CERTIFICATE variable holds a PEM certificate; the task is killed at its
 * NotAfter minus a random margin in [0, ALLEGRO_EXECUTOR_RANDOM_EXPIRATION_RANGE),
 * so that tasks sharing a certificate do not all die at once. Spec §3 step 3.
 *
 * Wiring (runtime.c): in the launch effect, once the task's environment is
 * built and before spawning,
 *     double kill_at;
 *     int rc = cert_check(task, env, cfg->cert_random_range_ns, fx_wallclock(),
 *                         &kill_at, err, errlen);
 *     if (rc < 0) return -1;               launch fails with err
 *     if (rc == 0) arm a uv timer for cert_delay_ms(kill_at, now) that calls
 *                  ex_expire(ex, CERT_EXPIRED_MESSAGE)
 * The margin is drawn once per launch, so a restarted executor draws anew. */
#ifndef CERT_H
#define CERT_H

#include "proto/mesos.h"

#include <stddef.h>
#include <stdint.h>

#define CERT_EXPIRED_MESSAGE "Certificate expired"
/* The range used when the configured one is <= 0 (the Go executor's). */
#define CERT_DEFAULT_RANGE_NS (3LL * 3600 * 1000000000)

/* Returns 1 when the task has no label validate-certificate=true (nothing to
 * do); 0 with *kill_at_wallclock (seconds since the epoch) when it has one
 * and the certificate is good; -1 with err ("problem with certificate:
 * missing certificate ...", "... not valid ...", "... expires at ... before
 * the kill time ...") when the launch must fail. `task_env` is the task's
 * "KEY=VALUE" array (NULL-terminated); the first CERTIFICATE= entry counts. */
int cert_check(const Mesos__V1__TaskInfo *task, char *const *task_env, int64_t random_range_ns,
               double now_wallclock, double *kill_at_wallclock, char *err, size_t errlen);

/* NotAfter of the first certificate in a PEM text, in seconds since the
 * epoch. Returns 0, or -1 with err. */
int cert_not_after(const char *pem, double *not_after, char *err, size_t errlen);

/* Milliseconds from now until kill_at, rounded up, for a uv timer (0 when
 * already past). */
uint64_t cert_delay_ms(double kill_at_wallclock, double now_wallclock);

#endif
