/* The connection to the Mesos agent: the SUBSCRIBE event stream on one
 * connection, every other call on another, both through the shared libcurl
 * multi handle on the loop. RecordIO is decoded as bytes arrive and each
 * Event handed over; a broken stream (EOF, transport error, malformed or
 * oversized record) is reported as a disconnection, and re-SUBSCRIBE attempts
 * follow, the first at once, then each after a random backoff in
 * [0, MESOS_SUBSCRIPTION_BACKOFF_MAX], as the official library does; an
 * answer that refuses SUBSCRIBE (503 while the agent recovers) is retried the
 * same way. Calls are sent one at a time, in order. */
#ifndef EXECUTOR_AGENT_H
#define EXECUTOR_AGENT_H

#include "common/httpc.h"
#include "executor/config.h"
#include "proto/mesos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct agent_cbs {
	/* Takes ownership of ev. */
	void (*on_event)(void *data, mesos_event *ev);
	/* The agent answered a SUBSCRIBE, whatever the status (a 503 while it
	 * recovers included): it is reachable again. May be NULL. */
	void (*on_connected)(void *data);
	/* The stream ended, or a SUBSCRIBE attempt failed. */
	void (*on_disconnected)(void *data);
	/* The body of the next SUBSCRIBE (malloc'd; the agent frees it). */
	uint8_t *(*subscribe_body)(void *data, enum mesos_encoding enc, size_t *len);
	void *data;
};

struct agent;

struct agent *agent_new(uv_loop_t *loop, struct httpc *http, const struct ex_config *cfg,
                        const struct agent_cbs *cbs);
/* First SUBSCRIBE now; later ones after a backoff, for as long as the agent
 * keeps reconnecting (agent_stop_reconnecting ends that). */
void agent_start(struct agent *a);
void agent_stop_reconnecting(struct agent *a);
/* Queues a call; takes ownership of body. Dropped (with a log line) when
 * not subscribed: unacknowledged updates travel in the next SUBSCRIBE. */
void agent_call(struct agent *a, const char *what, uint8_t *body, size_t len);
/* Stops everything; frees once its handles are closed. */
void agent_close(struct agent *a);

/* Statistics for logs and benchmarks. */
struct agent_stats {
	unsigned long subscribes, reconnects, calls, call_failures, events;
};
void agent_stats(const struct agent *a, struct agent_stats *out);

#endif
