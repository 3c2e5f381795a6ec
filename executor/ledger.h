/* The status-update ledger: every update the executor has sent and the agent
 * has not acknowledged yet, in the order they were sent, with their resend
 * schedule; and whether the task has had any update acknowledged (else it
 * goes into a re-SUBSCRIBE's unacknowledged_tasks). Pure data: no I/O. */
#ifndef EXECUTOR_LEDGER_H
#define EXECUTOR_LEDGER_H

#include "proto/mesos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEDGER_RESEND_FIRST_NS (2 * 1000000000LL)
#define LEDGER_RESEND_MAX_NS   (60 * 1000000000LL)

struct ledger_entry {
	Mesos__V1__TaskStatus *status; /* owned */
	int64_t next_resend_ns;        /* when to post it again */
	int64_t backoff_ns;
};

struct ledger {
	struct ledger_entry *e; /* owned array, oldest first */
	size_t n, cap;
	size_t max;      /* bound on unacknowledged updates */
	bool task_acked; /* any update of the launched task was acknowledged */
	unsigned long sent, acked, resent;
};

void ledger_init(struct ledger *l, size_t max);
void ledger_free(struct ledger *l);
/* Takes ownership of status (which must carry a uuid). Returns -1 when the
 * ledger is full (the update is still owned by the caller then). */
int ledger_add(struct ledger *l, Mesos__V1__TaskStatus *status, int64_t now_ns);
/* Removes the update with this uuid. Returns its state (a TaskState) or -1
 * for an unknown uuid; *task_id_match tells whether the task id agrees. */
int ledger_ack(struct ledger *l, const ProtobufCBinaryData *uuid, const char *task_id,
               int64_t *out_state);
/* Entries due for a resend at now_ns get their next time pushed back
 * (doubling); returns how many were written to out (borrowed pointers). */
size_t ledger_due(struct ledger *l, int64_t now_ns, const Mesos__V1__TaskStatus **out, size_t max);
/* Earliest next_resend_ns, or -1 when empty. */
int64_t ledger_next_due(const struct ledger *l);
/* Every entry becomes due again `delay_ns` from now (after a resubscribe). */
void ledger_reschedule(struct ledger *l, int64_t now_ns);

#endif
