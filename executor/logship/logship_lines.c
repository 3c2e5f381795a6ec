/* A byte stream cut into lines (see logship_parts.h). Complete lines are
 * handed over straight from the caller's buffer; only an unfinished line is
 * copied, into a buffer that grows up to the maximum. A line longer than
 * the maximum comes out as pieces, each cut at a UTF-8 character boundary. */
#include "logship_parts.h"

#include <stdlib.h>
#include <string.h>

static bool continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

size_t logship_utf8_cut(const char *p, size_t n, unsigned char next)
{
	if (!continuation(next))
		return n;
	size_t i = n;
	while (i > 0 && n - i < 4 && continuation((unsigned char)p[i - 1]))
		i--;
	/* p[i - 1] should be the lead byte of the character `next` continues */
	if (i > 0 && n - i < 4 && ((unsigned char)p[i - 1] & 0xC0) == 0xC0)
		return i - 1 > 0 ? i - 1 : n;
	return n; /* not UTF-8: cut where the limit is */
}

void logship_lines_init(struct logship_lines *l, size_t max, logship_line_fn fn, void *data)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
	l->fn = fn;
	l->data = data;
}

void logship_lines_free(struct logship_lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = 0;
}

static bool carry(struct logship_lines *l, const char *p, size_t n)
{
	if (l->len + n > l->max)
		return false;
	if (l->len + n > l->cap) {
		size_t cap = l->cap ? l->cap : 4096;
		while (cap < l->len + n)
			cap *= 2;
		if (cap > l->max)
			cap = l->max;
		char *nb = realloc(l->buf, cap);
		if (!nb)
			return false;
		l->buf = nb;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	return true;
}

/* Hands over the pieces of p[0..n) that are too long, leaving in *p, *n a
 * rest of at most max bytes. */
static void cut_pieces(struct logship_lines *l, const char **p, size_t *n)
{
	while (*n > l->max) {
		size_t c = logship_utf8_cut(*p, l->max, (unsigned char)(*p)[l->max]);
		l->fn(l->data, *p, c, true);
		l->cutting = true;
		*p += c;
		*n -= c;
	}
}

void logship_lines_feed(struct logship_lines *l, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;

		if (l->len == 0) {
			const char *q = p;
			size_t m = take;
			if (nl) {
				/* a whole line: pieces, then the rest as the last */
				bool was_cut = m > l->max;
				cut_pieces(l, &q, &m);
				l->fn(l->data, q, m, was_cut || l->cutting);
				l->cutting = false;
				p = nl + 1;
				n -= take + 1;
				continue;
			}
			/* the start of a line: cut what is too long, keep the rest */
			if (m >= l->max + 1)
				cut_pieces(l, &q, &m);
			if (!carry(l, q, m)) /* out of memory: lose the fragment */
				l->cutting = true;
			return;
		}

		/* continuing a carried line */
		while (l->len + take > l->max) {
			size_t room = l->max - l->len;
			carry(l, p, room);
			size_t c = logship_utf8_cut(l->buf, l->len, (unsigned char)p[room]);
			l->fn(l->data, l->buf, c, true);
			l->cutting = true;
			memmove(l->buf, l->buf + c, l->len - c);
			l->len -= c;
			p += room;
			n -= room;
			take -= room;
		}
		carry(l, p, take);
		p += take;
		n -= take;
		if (nl) {
			l->fn(l->data, l->buf, l->len, l->cutting);
			l->cutting = false;
			l->len = 0;
			p++;
			n--;
		}
	}
}

void logship_lines_finish(struct logship_lines *l)
{
	if (l->len)
		l->fn(l->data, l->buf, l->len, l->cutting);
	l->len = 0;
	l->cutting = false;
}
