/* Certificate expiry (task label validate-certificate=true, docs/labels.md):
 * the task's CERTIFICATE variable holds a PEM certificate; the task is killed
 * at its NotAfter minus a random margin in
 * [0, ALLEGRO_EXECUTOR_RANDOM_EXPIRATION_RANGE), so that tasks sharing a
 * certificate do not all die at once.
 *
 * Wiring: runtime.c, launching the task once its environment is built and
 * before spawning, calls cert_check; a bad certificate fails the launch, a
 * good one gives the delay cert_delay_ms(kill_at, now) that it reports with
 * ex_launched. The state machine arms EX_TIMER_CERT with it and, when it
 * fires, sends TASK_RUNNING healthy=false EX_CERT_EXPIRED_MESSAGE and kills
 * the task. The margin is drawn once per launch, so a restarted executor
 * draws anew. */
#ifndef EXECUTOR_CERT_H
#define EXECUTOR_CERT_H

#include "proto/mesos.h"

#include <stddef.h>
#include <stdint.h>

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
