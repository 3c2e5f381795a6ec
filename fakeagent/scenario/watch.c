/* What the scenario sees while it runs: the agent's notes (the calls it
 * accepted, recorded for expect-call; every note in the timeline, fewer in
 * a brief one) and the executor's log lines the file asks to show. */
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void record_call(struct scenario *sc, const char *text)
{
	if (sc->n_calls == sc->cap_calls) {
		size_t cap = sc->cap_calls ? sc->cap_calls * 2 : 16;
		char **nc = realloc(sc->calls, cap * sizeof(*nc));
		if (!nc)
			return;
		sc->calls = nc;
		sc->cap_calls = cap;
	}
	char *copy = strdup(text);
	if (copy)
		sc->calls[sc->n_calls++] = copy;
}

/* In a brief timeline: what a reader does not need (the UPDATE call is the
 * update line's twin; acknowledgements and heartbeats are routine). */
static bool brief_hides(const struct fa_note *n)
{
	const char *t = n->text;
	return (n->kind == FA_NOTE_CALL &&
	        (!strncmp(t, "UPDATE ", 7) || !strncmp(t, "HEARTBEAT", 9))) ||
	       (n->kind == FA_NOTE_EVENT &&
	        (!strncmp(t, "ACKNOWLEDGED", 12) || !strncmp(t, "HEARTBEAT", 9)));
}

void scenario_observe(void *data, const struct fa_note *n)
{
	struct scenario *sc = data;
	execlog_poll(&sc->xlog); /* what the executor logged before this */
	if (n->kind == FA_NOTE_CALL)
		record_call(sc, n->text);
	if (!sc->brief) {
		timeline_note(&sc->tl, n);
	} else if (n->kind == FA_NOTE_EXEC_UP) { /* the sandbox is gone after a pass */
		struct fa_note up = *n;
		char text[1024];
		snprintf(text, sizeof(text), "%s", n->text);
		char *sb = strstr(text, ", sandbox ");
		if (sb)
			*sb = '\0';
		up.text = text;
		timeline_note(&sc->tl, &up);
	} else if (!brief_hides(n)) {
		timeline_note(&sc->tl, n);
	}
	if ((n->kind == FA_NOTE_UPDATE || n->kind == FA_NOTE_EXEC_END || n->kind == FA_NOTE_CALL) &&
	    sc->cur < sc->n && !sc->probe)
		scenario_schedule(sc, 0);
}

static bool log_line_shown(const struct scenario *sc, const struct execlog_line *l)
{
	if (cJSON_IsTrue(sc->xlog_show))
		return strcmp(l->level, "debug") != 0;
	const cJSON *f;
	cJSON_ArrayForEach (f, sc->xlog_show)
		if (strstr(l->msg, f->valuestring))
			return true;
	return false;
}

void scenario_log_line(void *data, const struct execlog_line *l)
{
	struct scenario *sc = data;
	if (!log_line_shown(sc, l))
		return;
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", l->msg);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	bool plain = !strcmp(l->level, "info") || !strcmp(l->level, "debug");
	timeline_printf(&sc->tl, "exec log", "%s%s%s", plain ? "" : l->level, plain ? "" : ": ",
	                msg);
}

void scenario_log_timer(uv_timer_t *t)
{
	struct scenario *sc = t->data;
	execlog_poll(&sc->xlog);
}
