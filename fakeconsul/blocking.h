/* Consul's blocking queries for the fake agent: a catalog or health read with
 * ?index=N is held while the result's index is <= N, up to ?wait (default
 * 5m, at most 10m, plus up to wait/16 of jitter), and answered as soon as a
 * change moves the index past N. Every answer carries X-Consul-Index,
 * X-Consul-KnownLeader: true and X-Consul-LastContact: 0. */
#ifndef FAKECONSUL_BLOCKING_H
#define FAKECONSUL_BLOCKING_H

#include "common/httpd.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct blocking;

struct blocking_result {
	cJSON *body;    /* owned by the caller of the query, handed to the reply */
	uint64_t index; /* the result's index (>= 1) */
	bool filtered;  /* ACLs hid something: X-Consul-Results-Filtered-By-ACLs */
};

/* Computes a query's current result for request r. */
typedef void (*blocking_query_fn)(struct httpd_req *r, void *data, struct blocking_result *out);

struct blocking *blocking_new(uv_loop_t *loop);
/* Answers r now, or holds it as described above; 400 "Invalid index" or
 * "Invalid wait time" for bad parameters. */
void blocking_serve(struct blocking *b, struct httpd_req *r, blocking_query_fn q, void *data);
/* Something changed: held queries whose index moved are answered. */
void blocking_notify(struct blocking *b);
/* Number of held queries. */
int blocking_count(const struct blocking *b);
/* Frees it. Call after httpd_stop (which aborts held requests). */
void blocking_free(struct blocking *b);

#endif
