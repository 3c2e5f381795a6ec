/* The fake agent's ACLs: a table of tokens given on the command line
 * (--acl-token TOKEN for every right, --acl-token TOKEN=web,api for write
 * and read on those service names only). With no token configured ACLs are
 * off and tokens are ignored. With tokens, requests without one act as an
 * anonymous token that may read everything and write nothing, an unknown
 * token gets 403 "ACL not found", a missing right 403 "Permission denied".
 * Token values are secrets: they never appear in logs. */
#ifndef FAKECONSUL_ACL_H
#define FAKECONSUL_ACL_H

#include <stdbool.h>
#include <stddef.h>

struct acl_token {
	char *secret;    /* owned */
	char **services; /* owned; NULL: every service */
	size_t nservices;
};

struct acl {
	struct acl_token *tokens; /* owned */
	size_t ntokens;
};

/* What one request may do. */
struct acl_rights {
	bool enabled;                  /* ACLs are on */
	bool supplied;                 /* the request carried a token */
	const struct acl_token *token; /* NULL: anonymous */
};

/* Adds "TOKEN" or "TOKEN=svc1,svc2". Returns 0 or -1 with err filled. */
int acl_add(struct acl *a, const char *spec, char *err, size_t errlen);
void acl_free(struct acl *a);

/* The token a request carries, in Consul's order: ?token=, X-Consul-Token,
 * Authorization: Bearer. NULL when none (empty values count as none). The
 * result points into one of the arguments, or into `bearer_buf`. */
const char *acl_request_token(const char *query, const char *header, const char *authorization,
                              char *bearer_buf, size_t buflen);
/* Resolves a request's token. Returns 0, or -1 for an unknown token. */
int acl_resolve(const struct acl *a, const char *token, struct acl_rights *out);
bool acl_can_write(const struct acl_rights *r, const char *service);
bool acl_can_read(const struct acl_rights *r, const char *service);
/* Node-level writes (checks without a service). */
bool acl_can_write_node(const struct acl_rights *r);

#endif
