/* Token table and rights of the fake Consul agent (see acl.h). */
#include "acl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int acl_add(struct acl *a, const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	size_t len = eq ? (size_t)(eq - spec) : strlen(spec);
	if (!len) {
		snprintf(err, errlen, "--acl-token: the token must not be empty");
		return -1;
	}
	struct acl_token *n = realloc(a->tokens, (a->ntokens + 1) * sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "--acl-token: out of memory");
		return -1;
	}
	a->tokens = n;
	struct acl_token *t = &a->tokens[a->ntokens++];
	memset(t, 0, sizeof(*t));
	t->secret = strndup(spec, len);
	if (!eq)
		return 0;
	t->services = calloc(1, sizeof(char *)); /* a list, possibly empty */
	char *list = strdup(eq + 1), *save = NULL;
	for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		char **m = realloc(t->services, (t->nservices + 1) * sizeof(*m));
		if (!m)
			break;
		t->services = m;
		t->services[t->nservices++] = strdup(s);
	}
	free(list);
	return 0;
}

void acl_free(struct acl *a)
{
	for (size_t i = 0; i < a->ntokens; i++) {
		free(a->tokens[i].secret);
		for (size_t j = 0; j < a->tokens[i].nservices; j++)
			free(a->tokens[i].services[j]);
		free(a->tokens[i].services);
	}
	free(a->tokens);
	memset(a, 0, sizeof(*a));
}

const char *acl_request_token(const char *query, const char *header, const char *authorization,
                              char *bearer_buf, size_t buflen)
{
	if (query && *query)
		return query;
	if (header && *header)
		return header;
	if (authorization && strncasecmp(authorization, "bearer ", 7) == 0) {
		const char *v = authorization + 7;
		while (*v == ' ')
			v++;
		size_t n = strlen(v);
		while (n && isspace((unsigned char)v[n - 1]))
			n--;
		if (n && n < buflen) {
			memcpy(bearer_buf, v, n);
			bearer_buf[n] = '\0';
			return bearer_buf;
		}
	}
	return NULL;
}

int acl_resolve(const struct acl *a, const char *token, struct acl_rights *out)
{
	memset(out, 0, sizeof(*out));
	out->enabled = a->ntokens > 0;
	out->supplied = token && *token;
	if (!out->enabled || !out->supplied)
		return 0;
	for (size_t i = 0; i < a->ntokens; i++)
		if (strcmp(a->tokens[i].secret, token) == 0) {
			out->token = &a->tokens[i];
			return 0;
		}
	return -1;
}

static bool token_covers(const struct acl_token *t, const char *service)
{
	if (!t->services)
		return true;
	for (size_t i = 0; i < t->nservices; i++)
		if (strcmp(t->services[i], service) == 0)
			return true;
	return false;
}

bool acl_can_write(const struct acl_rights *r, const char *service)
{
	return !r->enabled || (r->token && token_covers(r->token, service));
}

bool acl_can_read(const struct acl_rights *r, const char *service)
{
	return !r->enabled || !r->token || token_covers(r->token, service);
}

bool acl_can_write_node(const struct acl_rights *r)
{
	return !r->enabled || (r->token && !r->token->services);
}
