/* The readable record of a fake agent's run: one timestamped line per call,
 * event, update, executor start/end and agent action, on stdout, coloured
 * by kind only when stdout is a terminal (and NO_COLOR is unset). Long ids
 * can be printed as short aliases ("${TASK_ID}"); JSON documents are shown
 * compact and wrapped under the line that introduces them. */
#ifndef FAKEAGENT_OUTPUT_TIMELINE_H
#define FAKEAGENT_OUTPUT_TIMELINE_H

#include "fakeagent/agent/agent.h"

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <stdio.h>

struct timeline {
	FILE *out; /* borrowed */
	bool color;
	double start; /* monotonic seconds at init */
	bool quiet;   /* print nothing (the scenario runner prints its own lines) */
	bool brief;   /* update lines without their "(task ...)" suffix */
	struct {
		char *from; /* owned */
		char *to;   /* owned */
	} alias[4];         /* replaced in every line printed */
	size_t n_alias;
};

void timeline_init(struct timeline *tl, FILE *out);
/* Frees the aliases. */
void timeline_free(struct timeline *tl);
/* From now on `from` is printed as `to` (at most 4 aliases; both copied). */
void timeline_alias(struct timeline *tl, const char *from, const char *to);
/* An observer (fa_observer_fn) printing each note. */
void timeline_note(void *tl, const struct fa_note *n);
/* A line of a given kind ("result", "scenario", ...). */
void timeline_printf(struct timeline *tl, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A continuation line: no time or kind, indented under the text column. */
void timeline_more(struct timeline *tl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON value as continuation lines: compact (`{"a": 1, "b": [2, 3]}`),
 * wrapped between the top-level members to about 100 columns. */
void timeline_json(struct timeline *tl, const cJSON *j);
/* Prints the last `lines` lines of a file, indented (an executor's stderr). */
void timeline_tail(struct timeline *tl, const char *title, const char *path, int lines);

#endif
