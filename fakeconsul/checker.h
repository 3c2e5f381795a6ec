/* Runs the checks the fake agent is given, as a real agent does: HTTP checks
 * with common/httpc.h and TCP checks with uv_tcp_connect, every Interval and
 * within Timeout (10 s by default), the first one after a short random
 * stagger; TTL checks turn critical ("TTL expired") when not updated in time.
 * Results are reported by check ID, so a check removed meanwhile is simply
 * not found. */
#ifndef FAKECONSUL_CHECKER_H
#define FAKECONSUL_CHECKER_H

#include "catalog.h"

#include <uv.h>

struct httpc;
struct checker;

typedef void (*checker_result_fn)(void *data, const char *check_id, const char *status,
                                  const char *output);

/* Starts running check k (its definition is copied). Returns NULL for the
 * types fakeconsul accepts but does not run (gRPC, UDP, H2PING, alias,
 * OSService): they keep their status until /_fake/check/ sets it. */
struct checker *checker_start(uv_loop_t *loop, struct httpc *http, const struct cat_check *k,
                              checker_result_fn fn, void *data);
/* A TTL check was updated: its TTL starts again. */
void checker_ttl_reset(struct checker *c);
/* Stops it: no result is reported after this; memory is freed once the
 * handles are closed. */
void checker_stop(struct checker *c);

#endif
