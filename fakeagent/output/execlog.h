/* Follows an executor's stderr file while a scenario runs. The executor logs
 * logfmt lines (common/log.h: level=info time=... msg="..." key=value);
 * execlog_poll reads what was appended since the last call, and keeps every
 * complete line's level and msg in order, so a scenario can wait for a
 * message (expect-executor-log) and print the interesting ones in its
 * timeline. Lines that are not logfmt (a task's own output) are skipped. */
#ifndef FAKEAGENT_OUTPUT_EXECLOG_H
#define FAKEAGENT_OUTPUT_EXECLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct execlog_line {
	char level[8]; /* "info" */
	char *msg;     /* owned, unescaped */
};

typedef void (*execlog_line_fn)(void *data, const struct execlog_line *l);

struct execlog {
	char *path; /* owned; NULL until execlog_open */
	off_t offset;
	char partial[16384]; /* the last line read, not ended yet */
	size_t plen;
	struct execlog_line *lines; /* owned array */
	size_t n, cap;
	execlog_line_fn on_line; /* for each new line, may be NULL */
	void *data;
};

void execlog_init(struct execlog *x, execlog_line_fn on_line, void *data);
/* Starts following `path` from its beginning (copied). */
void execlog_open(struct execlog *x, const char *path);
/* Reads the lines appended since the last poll; a missing file is no error. */
void execlog_poll(struct execlog *x);
/* The index of the first line at or after `from` whose msg contains `text`,
 * or -1. */
long execlog_find(const struct execlog *x, size_t from, const char *text);
void execlog_free(struct execlog *x);

/* The value of `key` in one logfmt line, unquoted and unescaped, into out
 * (truncated to len). Returns false when the line has no such key. */
bool execlog_field(const char *line, const char *key, char *out, size_t len);

#endif
