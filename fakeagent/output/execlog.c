/* An executor's logfmt stderr, followed (see execlog.h). */
#include "execlog.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void execlog_init(struct execlog *x, execlog_line_fn on_line, void *data)
{
	memset(x, 0, sizeof(*x));
	x->on_line = on_line;
	x->data = data;
}

void execlog_open(struct execlog *x, const char *path)
{
	free(x->path);
	x->path = strdup(path);
	x->offset = 0;
	x->plen = 0;
}

/* Reads one value at p (quoted with \" \\ \n \t \xNN escapes, or bare up to
 * a space) into out; returns where it ends. */
static const char *read_value(const char *p, char *out, size_t len)
{
	size_t o = 0;
	bool quoted = *p == '"';
	if (quoted)
		p++;
	while (*p && (quoted ? *p != '"' : *p != ' ')) {
		char c = *p++;
		if (quoted && c == '\\' && *p) {
			c = *p++;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'x' && p[0] && p[1]) {
				char hex[3] = {p[0], p[1], '\0'};
				c = (char)strtol(hex, NULL, 16);
				p += 2;
			}
		}
		if (o + 1 < len)
			out[o++] = c;
	}
	if (len)
		out[o] = '\0';
	return quoted && *p == '"' ? p + 1 : p;
}

bool execlog_field(const char *line, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);
	const char *p = line;
	char skip[2];
	while (*p) {
		while (*p == ' ')
			p++;
		const char *k = p;
		while (*p && *p != '=' && *p != ' ')
			p++;
		if (*p != '=')
			continue; /* a bare word */
		bool hit = (size_t)(p - k) == kl && !strncmp(k, key, kl);
		p = read_value(p + 1, hit ? out : skip, hit ? len : sizeof(skip));
		if (hit)
			return true;
	}
	return false;
}

static void add_line(struct execlog *x, const char *text)
{
	struct execlog_line l = {{0}, NULL};
	char msg[4096];
	if (!execlog_field(text, "level", l.level, sizeof(l.level)) ||
	    !execlog_field(text, "msg", msg, sizeof(msg)))
		return;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct execlog_line *nl = realloc(x->lines, cap * sizeof(*nl));
		if (!nl)
			return;
		x->lines = nl;
		x->cap = cap;
	}
	l.msg = strdup(msg);
	if (!l.msg)
		return;
	x->lines[x->n++] = l;
	if (x->on_line)
		x->on_line(x->data, &l);
}

void execlog_poll(struct execlog *x)
{
	if (!x->path)
		return;
	int fd = open(x->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[8192];
	ssize_t n;
	while ((n = pread(fd, buf, sizeof(buf), x->offset)) > 0) {
		x->offset += n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n' && x->plen + 1 < sizeof(x->partial)) {
				x->partial[x->plen++] = buf[i];
				continue;
			}
			if (buf[i] != '\n')
				continue; /* an overlong line: the rest of it is dropped */
			x->partial[x->plen] = '\0';
			x->plen = 0;
			add_line(x, x->partial);
		}
	}
	close(fd);
}

long execlog_find(const struct execlog *x, size_t from, const char *text)
{
	for (size_t i = from; i < x->n; i++)
		if (strstr(x->lines[i].msg, text))
			return (long)i;
	return -1;
}

void execlog_free(struct execlog *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->lines[i].msg);
	free(x->lines);
	free(x->path);
	x->lines = NULL;
	x->path = NULL;
	x->n = x->cap = 0;
}
