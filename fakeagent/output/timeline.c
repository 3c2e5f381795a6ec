/* Timeline lines (see timeline.h):
 *   14:03:07.512  +0.214s  event     SUBSCRIBED
 *   14:03:07.530  +0.232s  update    TASK_RUNNING from executor
 *                                      a continuation line */
#include "timeline.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RESET      "\033[0m"
#define INDENT     35  /* width of "14:03:07.512    +0.214s  event     " */
#define JSON_WIDTH 100 /* wrap timeline_json's lines about there */

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
	tl->brief = false;
	tl->n_alias = 0;
}

void timeline_free(struct timeline *tl)
{
	for (size_t i = 0; i < tl->n_alias; i++) {
		free(tl->alias[i].from);
		free(tl->alias[i].to);
	}
	tl->n_alias = 0;
}

void timeline_alias(struct timeline *tl, const char *from, const char *to)
{
	if (!from || !*from || tl->n_alias == sizeof(tl->alias) / sizeof(tl->alias[0]))
		return;
	char *f = strdup(from), *t = strdup(to);
	if (!f || !t) {
		free(f);
		free(t);
		return;
	}
	tl->alias[tl->n_alias].from = f;
	tl->alias[tl->n_alias].to = t;
	tl->n_alias++;
}

/* Writes text with the aliases replaced. */
static void put_aliased(struct timeline *tl, const char *text)
{
	while (*text) {
		size_t best = 0, len = strlen(text);
		const char *at = text + len;
		for (size_t i = 0; i < tl->n_alias; i++) {
			const char *p = strstr(text, tl->alias[i].from);
			if (p && (p < at || (p == at && strlen(tl->alias[i].from) >
			                                    strlen(tl->alias[best].from)))) {
				at = p;
				best = i;
			}
		}
		fwrite(text, 1, (size_t)(at - text), tl->out);
		if (!*at)
			return;
		fputs(tl->alias[best].to, tl->out);
		text = at + strlen(tl->alias[best].from);
	}
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
	if (!strcmp(kind, "executor") || !strcmp(kind, "exec log"))
		return "\033[35m";
	if (!strcmp(kind, "consul") || !strcmp(kind, "vaas"))
		return "\033[36m";
	if (!strcmp(kind, "result") || !strcmp(kind, "PASS"))
		return "\033[1m";
	return "\033[2m";
}

static void vline(struct timeline *tl, const char *kind, const char *fmt, va_list ap)
{
	if (tl->quiet)
		return;
	char text[8192];
	vsnprintf(text, sizeof(text), fmt, ap);
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
	put_aliased(tl, text);
	fputc('\n', tl->out);
	fflush(tl->out);
}

void timeline_more(struct timeline *tl, const char *fmt, ...)
{
	if (tl->quiet)
		return;
	char text[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(tl->out, "%*s", INDENT, "");
	put_aliased(tl, text);
	fputc('\n', tl->out);
	fflush(tl->out);
}

/* --- compact JSON */

struct sbuf {
	char *s; /* owned */
	size_t len, cap;
};

static void sb_put(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *ns = realloc(b->s, cap);
		if (!ns)
			return;
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* A member name or a scalar as cJSON prints it (quoted and escaped). */
static void sb_scalar(struct sbuf *b, const cJSON *j)
{
	char *p = cJSON_PrintUnformatted(j);
	sb_put(b, p ? p : "null");
	cJSON_free(p);
}

static void sb_compact(struct sbuf *b, const cJSON *j)
{
	bool obj = cJSON_IsObject(j);
	if (!obj && !cJSON_IsArray(j)) {
		sb_scalar(b, j);
		return;
	}
	sb_put(b, obj ? "{" : "[");
	const cJSON *c;
	cJSON_ArrayForEach (c, j) {
		if (c != j->child)
			sb_put(b, ", ");
		if (obj) {
			cJSON *name = cJSON_CreateString(c->string ? c->string : "");
			sb_scalar(b, name);
			cJSON_Delete(name);
			sb_put(b, ": ");
		}
		sb_compact(b, c);
	}
	sb_put(b, obj ? "}" : "]");
}

static bool is_container(const cJSON *j)
{
	return (cJSON_IsObject(j) || cJSON_IsArray(j)) && j->child;
}

/* `"name": ` for an object member, "" for an array element. */
static void sb_member_name(struct sbuf *b, const cJSON *parent, const cJSON *c)
{
	if (!cJSON_IsObject(parent))
		return;
	cJSON *name = cJSON_CreateString(c->string ? c->string : "");
	sb_scalar(b, name);
	cJSON_Delete(name);
	sb_put(b, ": ");
}

/* Prints lead + j + trail, `indent` columns in: on one line when it fits,
 * else the members packed onto lines aligned after the opening bracket, a
 * member that does not fit on a line of its own broken the same way. */
static void json_block(struct timeline *tl, const cJSON *j, int indent, const char *lead,
                       const char *trail)
{
	struct sbuf b = {0}, line = {0}, lead2 = {0};
	sb_put(&b, lead);
	sb_compact(&b, j);
	sb_put(&b, trail);
	if (!is_container(j) || INDENT + indent + (int)b.len <= JSON_WIDTH) {
		timeline_more(tl, "%*s%s", indent, "", b.s ? b.s : "");
		free(b.s);
		return;
	}
	bool obj = cJSON_IsObject(j);
	int inner = indent + (int)strlen(lead) + 1, at = indent;
	bool fresh = true; /* the line holds no member yet */
	sb_put(&line, lead);
	sb_put(&line, obj ? "{" : "[");
	const cJSON *c;
	cJSON_ArrayForEach (c, j) {
		char close[256];
		snprintf(close, sizeof(close), "%s%s",
		         c->next ? ","
		         : obj   ? "}"
		                 : "]",
		         c->next ? "" : trail);
		b.len = 0;
		sb_member_name(&b, j, c);
		size_t name_len = b.len;
		sb_compact(&b, c);
		sb_put(&b, close);
		if (is_container(c) && INDENT + inner + (int)b.len > JSON_WIDTH) {
			if (!fresh) {
				timeline_more(tl, "%*s%s", at, "", line.s);
				line.len = 0;
				line.s[0] = '\0';
				at = inner;
			}
			lead2.len = 0;
			sb_put(&lead2, line.s);
			b.s[name_len] = '\0';
			sb_put(&lead2, b.s);
			json_block(tl, c, at, lead2.s, close);
			line.len = 0;
			line.s[0] = '\0';
			at = inner;
			fresh = true;
			continue;
		}
		if (!fresh && INDENT + at + (int)(line.len + 1 + b.len) > JSON_WIDTH) {
			timeline_more(tl, "%*s%s", at, "", line.s);
			line.len = 0;
			line.s[0] = '\0';
			at = inner;
			fresh = true;
		}
		if (!fresh)
			sb_put(&line, " ");
		sb_put(&line, b.s);
		fresh = false;
	}
	if (line.len)
		timeline_more(tl, "%*s%s", at, "", line.s);
	free(b.s);
	free(line.s);
	free(lead2.s);
}

void timeline_json(struct timeline *tl, const cJSON *j)
{
	if (!tl->quiet && j)
		json_block(tl, j, 0, "", "");
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
	if (n->kind == FA_NOTE_UPDATE && n->task_id && !tl->brief)
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
