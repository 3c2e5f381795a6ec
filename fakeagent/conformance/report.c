/* What a failed run shows besides its verdict: the last things the executor
 * did, read back from the run's timeline (fakeagent/output/timeline.h). Its lines are
 *   14:03:07.512    +0.214s  update    TASK_RUNNING from executor ...
 * (clock, seconds since the run began, kind, text); the clock is dropped. */
#include "conformance.h"

#include "common/file.h"

#include <stdlib.h>
#include <string.h>

#define KIND_COL       25 /* "14:03:07.512 " + "%+9.3fs" + "  " */
#define TEXT_COL       35
#define LINE_MAX_SHOWN 200

/* The kinds that say what the executor did, and the calls left out as twins
 * of an update line. */
static bool shown(const char *line)
{
	static const char *const kinds[] = {"call ", "reject ", "update ", "executor ", "warn "};
	if (strlen(line) <= TEXT_COL || line[0] == ' ')
		return false;
	const char *kind = line + KIND_COL;
	if (!strncmp(kind, "call ", 5) &&
	    (!strncmp(line + TEXT_COL, "UPDATE ", 7) || !strncmp(line + TEXT_COL, "HEARTBEAT", 9)))
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(kind, kinds[i], strlen(kinds[i])))
			return true;
	return false;
}

char *cf_timeline_tail(const char *log_path, int lines, int indent)
{
	char err[256];
	char *text = file_read(log_path, NULL, err, sizeof(err));
	if (!text)
		return strdup("");
	const char **pick = calloc((size_t)lines, sizeof(*pick));
	size_t n = 0;
	for (char *line = strtok(text, "\n"); line && pick; line = strtok(NULL, "\n")) {
		if (strlen(line) > KIND_COL && !strncmp(line + KIND_COL, "FAIL ", 5))
			break;
		if (!shown(line))
			continue;
		if (n == (size_t)lines)
			memmove(pick, pick + 1, --n * sizeof(*pick));
		pick[n++] = line + 13;
	}
	size_t cap = n * (LINE_MAX_SHOWN + (size_t)indent + 2) + 1, o = 0;
	char *out = malloc(cap);
	if (out)
		out[0] = '\0';
	for (size_t i = 0; out && i < n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%*s%.*s\n", indent, "", LINE_MAX_SHOWN,
		                      pick[i]);
	free(pick);
	free(text);
	return out ? out : strdup("");
}
