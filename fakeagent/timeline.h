/* The readable record of a fake agent's run: one timestamped line per call,
 * event, update, executor start/end and agent action, on stdout, coloured
 * by kind only when stdout is a terminal (and NO_COLOR is unset). */
#ifndef FAKEAGENT_TIMELINE_H
#define FAKEAGENT_TIMELINE_H

#include "agent.h"

#include <stdbool.h>
#include <stdio.h>

struct timeline {
	FILE *out; /* borrowed */
	bool color;
	double start; /* monotonic seconds at init */
	bool quiet;   /* print nothing (the scenario runner prints its own lines) */
};

void timeline_init(struct timeline *tl, FILE *out);
/* An observer (fa_observer_fn) printing each note. */
void timeline_note(void *tl, const struct fa_note *n);
/* A line of a given kind ("result", "scenario", ...). */
void timeline_printf(struct timeline *tl, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints the last `lines` lines of a file, indented (an executor's stderr). */
void timeline_tail(struct timeline *tl, const char *title, const char *path, int lines);

#endif
