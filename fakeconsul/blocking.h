/* Consul's blocking queries for the fake agent, of two kinds:
 *  - by index (catalog and health reads, Consul's blockingquery.Query): with
 *    ?index=N the read is held while the result's index is <= N and answered
 *    as soon as a change moves it past N; every answer carries
 *    X-Consul-Index, X-Consul-KnownLeader: true and X-Consul-LastContact: 0;
 *  - by content hash (GET /v1/agent/service/:id, the agent's
 *    LocalBlockingQuery): with ?hash=H the read is held while the answer's
 *    hash is H, and answered when it changes or fails (the service is gone);
 *    the answer carries X-Consul-ContentHash.
 * Either way the wait is ?wait, Consul's default (5 minutes) when it is
 * absent, zero or negative, at most 10 minutes, plus up to wait/16 of jitter;
 * when it runs out the current result is the answer. */
#ifndef FAKECONSUL_BLOCKING_H
#define FAKECONSUL_BLOCKING_H

#include "fakekit/httpd.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define BLOCKING_WAIT_DEFAULT_MS (5 * 60 * 1000)
#define BLOCKING_WAIT_MAX_MS     (10 * 60 * 1000)

struct blocking;

struct blocking_result {
	cJSON *body;    /* owned by the caller of the query, handed to the reply */
	uint64_t index; /* the result's index (>= 1) */
	bool filtered;  /* ACLs hid something: X-Consul-Results-Filtered-By-ACLs */
};

/* Computes an index query's current result for request r. */
typedef void (*blocking_query_fn)(struct httpd_req *r, void *data, struct blocking_result *out);

struct blocking_hashed {
	unsigned status; /* 200, or the error's status with its text in `error` */
	cJSON *body;     /* 200: the answer, handed to the reply */
	char hash[64];   /* 200: the answer's content hash */
	char error[256];
};

/* Computes a hash query's current answer for request r. */
typedef void (*blocking_hash_fn)(struct httpd_req *r, void *data, struct blocking_hashed *out);

struct blocking *blocking_new(uv_loop_t *loop);
/* Reads ?index and ?wait as Consul's parseWait does; answers 400 "Invalid
 * wait time" or "Invalid index" and returns -1 when one does not parse. */
int blocking_parse(struct httpd_req *r, uint64_t *index, int64_t *wait_ns);
/* How long a query with this ?wait is held: Consul's default, cap and
 * jitter (`jitter` is a random number). */
uint64_t blocking_wait_ms(int64_t wait_ns, unsigned jitter);
/* Parses ?index and ?wait, then answers r now or holds it by index. */
void blocking_serve(struct blocking *b, struct httpd_req *r, blocking_query_fn q, void *data);
/* Answers r now, or holds it by hash when `hash` is not empty (?wait
 * already parsed into wait_ns). */
void blocking_serve_hash(struct blocking *b, struct httpd_req *r, const char *hash, int64_t wait_ns,
                         blocking_hash_fn q, void *data);
/* Something changed: held queries whose result moved are answered. */
void blocking_notify(struct blocking *b);
/* Number of held queries. */
int blocking_count(const struct blocking *b);
/* Frees it. Call after httpd_stop (which aborts held requests). */
void blocking_free(struct blocking *b);

#endif
