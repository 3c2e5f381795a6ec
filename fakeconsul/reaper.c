/* Reaping services whose check stays critical (see reaper.h). */
#include "reaper.h"

#include "common/log.h"

#include <stdlib.h>
#include <string.h>

struct reaper {
	uv_timer_t timer;
	struct catalog *cat;
	uint64_t min_timeout_ms;
};

int reaper_pass(struct catalog *cat, uint64_t now_ms, uint64_t min_timeout_ms)
{
	char **due = calloc(cat->nchecks + 1, sizeof(*due));
	size_t ndue = 0;
	if (!due)
		return 0;
	for (size_t i = 0; i < cat->nchecks; i++) {
		const struct cat_check *k = cat->checks[i];
		if (!*k->service_id || k->def.deregister_after_ns <= 0 || !k->critical)
			continue;
		uint64_t after = (uint64_t)(k->def.deregister_after_ns / 1000000);
		if (after < min_timeout_ms)
			after = min_timeout_ms;
		if (now_ms <= k->critical_since_ms + after)
			continue;
		bool seen = false; /* a service with several such checks goes once */
		for (size_t j = 0; j < ndue; j++)
			seen |= strcmp(due[j], k->service_id) == 0;
		if (!seen) {
			log_info(
			    "fakeconsul: check %s has been critical for too long; deregistering "
			    "service %s",
			    k->id, k->service_id);
			due[ndue++] = strdup(k->service_id);
		}
	}
	int removed = 0;
	for (size_t j = 0; j < ndue; j++) {
		removed += due[j] && catalog_remove_service(cat, due[j]) == 0;
		free(due[j]);
	}
	free(due);
	return removed;
}

static void on_tick(uv_timer_t *t)
{
	struct reaper *r = t->data;
	reaper_pass(r->cat, uv_now(t->loop), r->min_timeout_ms);
}

struct reaper *reaper_start(uv_loop_t *loop, struct catalog *cat, uint64_t interval_ms,
                            uint64_t min_timeout_ms)
{
	struct reaper *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->cat = cat;
	r->min_timeout_ms = min_timeout_ms;
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	uint64_t every = interval_ms ? interval_ms : 1;
	uv_timer_start(&r->timer, on_tick, every, every);
	return r;
}

static void closed(uv_handle_t *h)
{
	free(h->data);
}

void reaper_stop(struct reaper *r)
{
	if (!r)
		return;
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, closed);
}
