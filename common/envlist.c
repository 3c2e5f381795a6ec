/* Building a process environment (see envlist.h). */
#include "envlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The index of NAME (nl bytes) in the list, or n. */
static size_t find(const struct envlist *l, const char *name, size_t nl)
{
	size_t i = 0;
	while (i < l->n && !(strncmp(l->v[i], name, nl) == 0 && l->v[i][nl] == '='))
		i++;
	return i;
}

/* Sets the name of nl bytes at `name` to value. */
static int set(struct envlist *l, const char *name, size_t nl, const char *value)
{
	if (nl == 0 || memchr(name, '=', nl)) {
		errno = EINVAL;
		return -1;
	}
	char *kv;
	if (asprintf(&kv, "%.*s=%s", (int)nl, name, value ? value : "") < 0)
		return -1;
	size_t i = find(l, name, nl);
	if (i < l->n) {
		free(l->v[i]);
		l->v[i] = kv;
		return 0;
	}
	if (l->n + 2 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv) {
			free(kv);
			return -1;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = kv;
	l->v[l->n] = NULL;
	return 0;
}

int envlist_set(struct envlist *l, const char *name, const char *value)
{
	return set(l, name, strlen(name), value);
}

int envlist_put(struct envlist *l, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq) {
		errno = EINVAL;
		return -1;
	}
	return set(l, kv, (size_t)(eq - kv), eq + 1);
}

const char *envlist_get(char *const *env, const char *name)
{
	size_t nl = strlen(name);
	for (char *const *e = env; e && *e; e++)
		if (strncmp(*e, name, nl) == 0 && (*e)[nl] == '=')
			return *e + nl + 1;
	return NULL;
}

char **envlist_take(struct envlist *l)
{
	char **v = l->v ? l->v : calloc(1, sizeof(*v));
	*l = (struct envlist){0};
	return v;
}

void envlist_free(struct envlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct envlist){0};
}
