/* The agent's reaping of services whose check stays critical (Consul's
 * reapServices): every check reap interval (30 s in Consul) a pass removes
 * the service of each check that has DeregisterCriticalServiceAfter and has
 * been critical for longer than that, or than the minimum when that is
 * shorter (check_deregister_interval_min, 1 minute in Consul). Consul's own
 * tests shorten both; so can fakeconsul's (--check-reap-interval,
 * --check-deregister-interval-min). */
#ifndef FAKECONSUL_REAPER_H
#define FAKECONSUL_REAPER_H

#include "catalog.h"

#include <stdint.h>
#include <uv.h>

#define REAPER_INTERVAL_MS    (30 * 1000)
#define REAPER_MIN_TIMEOUT_MS (60 * 1000)

struct reaper;

/* Starts the passes on the loop. Returns NULL when it cannot. */
struct reaper *reaper_start(uv_loop_t *loop, struct catalog *cat, uint64_t interval_ms,
                            uint64_t min_timeout_ms);
/* Stops them; frees once its timer is closed. */
void reaper_stop(struct reaper *r);
/* One pass at now_ms (pure): removes the services due and returns how many. */
int reaper_pass(struct catalog *cat, uint64_t now_ms, uint64_t min_timeout_ms);

#endif
