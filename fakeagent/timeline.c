/* Timeline lines (see timeline.h):
 *   14:03:07.512  +0.214s  event     SUBSCRIBED
 *   14:03:07.530  +0.232s  update    TASK_RUNNING from executor */
#include "timeline.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RESET "\033[0m"

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void timeline_init(struct timeline *tl, FILE *out)
{
	const char *nc = getenv("NO_COLOR");
	tl->out = out;
	tl->color = isatty(fileno(out)) && !(nc && *nc);
	tl->start = mono();
	tl->quiet = false;
}

static const char *colour_of(const char *kind)
{
	if (!strcmp(kind, "call"))
		return "\033[36m";
	if (!strcmp(kind, "event"))
		return "\033[34m";
	if (!strcmp(kind, "update"))
		return "\033[32m";
	if (!strcmp(kind, "warn"))
		return "\033[33m";
	if (!strcmp(kind, "reject") || !strcmp(kind, "FAIL"))
		return "\033[31m";
	if (!strcmp(kind, "executor"))
		return "\033[35m";
	if (!strcmp(kind, "result") || !strcmp(kind, "PASS"))
		return "\033[1m";
	return "\033[2m";
}

static void vline(struct timeline *tl, const char *kind, const char *fmt, va_list ap)
{
	if (tl->quiet)
		return;
	struct timeval tv;
	struct tm tm;
	char clock[16];
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	fprintf(tl->out, "%s.%03ld %+9.3fs  ", clock, (long)(tv.tv_usec / 1000),
	        mono() - tl->start);
	if (tl->color)
		fprintf(tl->out, "%s%-8s" RESET "  ", colour_of(kind), kind);
	else
		fprintf(tl->out, "%-8s  ", kind);
	vfprintf(tl->out, fmt, ap);
	fputc('\n', tl->out);
	fflush(tl->out);
}

void timeline_printf(struct timeline *tl, const char *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(tl, kind, fmt, ap);
	va_end(ap);
}

static void line(struct timeline *tl, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void line(struct timeline *tl, const char *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(tl, kind, fmt, ap);
	va_end(ap);
}

void timeline_note(void *data, const struct fa_note *n)
{
	struct timeline *tl = data;
	static const char *kinds[] = {"agent", "warn",   "call",     "reject",
	                              "event", "update", "executor", "executor"};
	if (n->kind == FA_NOTE_UPDATE && n->task_id)
		line(tl, kinds[n->kind], "%s  (task %s)", n->text, n->task_id);
	else
		line(tl, kinds[n->kind], "%s", n->text);
}

void timeline_tail(struct timeline *tl, const char *title, const char *path, int lines)
{
	if (tl->quiet)
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char *ring[64] = {0};
	if (lines > 64)
		lines = 64;
	int n = 0;
	char buf[1024];
	while (fgets(buf, sizeof(buf), f)) {
		free(ring[n % lines]);
		ring[n % lines] = strdup(buf);
		n++;
	}
	fclose(f);
	if (n == 0)
		return;
	fprintf(tl->out, "%s (%s):\n", title, path);
	for (int i = n > lines ? n - lines : 0; i < n; i++) {
		char *l = ring[i % lines];
		fprintf(tl->out, "    %s%s", l, l[strlen(l) - 1] == '\n' ? "" : "\n");
	}
	for (int i = 0; i < lines; i++)
		free(ring[i]);
	fflush(tl->out);
}
