/* Unacknowledged status updates (see ledger.h). */
#include "ledger.h"

#include <stdlib.h>
#include <string.h>

void ledger_init(struct ledger *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max ? max : 1024;
}

void ledger_free(struct ledger *l)
{
	for (size_t i = 0; i < l->n; i++)
		protobuf_c_message_free_unpacked(&l->e[i].status->base, NULL);
	free(l->e);
	l->e = NULL;
	l->n = l->cap = 0;
}

int ledger_add(struct ledger *l, Mesos__V1__TaskStatus *status, int64_t now_ns)
{
	if (l->n >= l->max)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct ledger_entry *ne = realloc(l->e, cap * sizeof(*ne));
		if (!ne)
			return -1;
		l->e = ne;
		l->cap = cap;
	}
	l->e[l->n++] = (struct ledger_entry){.status = status,
	                                     .next_resend_ns = now_ns + LEDGER_RESEND_FIRST_NS,
	                                     .backoff_ns = LEDGER_RESEND_FIRST_NS};
	l->sent++;
	return 0;
}

int ledger_ack(struct ledger *l, const ProtobufCBinaryData *uuid, const char *task_id,
               int64_t *out_state)
{
	for (size_t i = 0; i < l->n; i++) {
		Mesos__V1__TaskStatus *st = l->e[i].status;
		if (st->uuid.len != uuid->len || memcmp(st->uuid.data, uuid->data, uuid->len) != 0)
			continue;
		if (task_id && strcmp(st->task_id->value, task_id) != 0)
			return -1;
		*out_state = st->state;
		protobuf_c_message_free_unpacked(&st->base, NULL);
		memmove(&l->e[i], &l->e[i + 1], (l->n - i - 1) * sizeof(l->e[0]));
		l->n--;
		l->acked++;
		l->task_acked = true;
		return 0;
	}
	return -1;
}

size_t ledger_due(struct ledger *l, int64_t now_ns, const Mesos__V1__TaskStatus **out, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < l->n && k < max; i++) {
		struct ledger_entry *e = &l->e[i];
		if (e->next_resend_ns > now_ns)
			continue;
		e->backoff_ns *= 2;
		if (e->backoff_ns > LEDGER_RESEND_MAX_NS)
			e->backoff_ns = LEDGER_RESEND_MAX_NS;
		e->next_resend_ns = now_ns + e->backoff_ns;
		out[k++] = e->status;
		l->resent++;
	}
	return k;
}

int64_t ledger_next_due(const struct ledger *l)
{
	int64_t next = -1;
	for (size_t i = 0; i < l->n; i++)
		if (next < 0 || l->e[i].next_resend_ns < next)
			next = l->e[i].next_resend_ns;
	return next;
}

void ledger_reschedule(struct ledger *l, int64_t now_ns)
{
	for (size_t i = 0; i < l->n; i++) {
		l->e[i].backoff_ns = LEDGER_RESEND_FIRST_NS;
		l->e[i].next_resend_ns = now_ns + LEDGER_RESEND_FIRST_NS;
	}
}
