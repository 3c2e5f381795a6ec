/* How to reach the local Consul agent: the settings Consul's own Go client
 * reads (hashicorp/consul api/api.go, DefaultConfig and NewClient), which the
 * Go executor used through api.DefaultConfig(), plus its ACL token names.
 *
 *   CONSUL_HTTP_ADDR        host:port (127.0.0.1:8500), http://host:port[/prefix],
 *                           https://host:port[/prefix], or unix:///path/to.sock
 *   CONSUL_HTTP_SSL         https for an address without a scheme; http:// never
 *                           turns it off (api.go: "never revert to http")
 *   CONSUL_HTTP_SSL_VERIFY  false: do not verify the agent's certificate
 *   CONSUL_CACERT           CA certificates (PEM) to verify it with
 *   CONSUL_CAPATH           a directory of CA certificates
 *   CONSUL_CLIENT_CERT      a client certificate (PEM) for mTLS, with
 *   CONSUL_CLIENT_KEY       its key: both or neither
 *   CONSUL_TLS_SERVER_NAME  the name to ask for (SNI) and verify, instead of
 *                           the address's host (a port after it is ignored)
 *   CONSUL_HTTP_AUTH        user[:password]: HTTP basic authentication
 *   CONSUL_HTTP_TOKEN_FILE  a file holding the ACL token: wins over every
 *                           token variable when it is not empty (api.go)
 *   ALLEGRO_EXECUTOR_CONSUL_TOKEN, else CONSUL_TOKEN (the Go executor's
 *   envconfig), else CONSUL_HTTP_TOKEN (api.go's fallback): the ACL token
 *
 * The token and the basic-auth password become log secrets; they only ever
 * travel in headers (X-Consul-Token, Authorization). Stricter than api.go:
 * a malformed value is a configuration error, not a warning. */
#ifndef HOOKS_CONSUL_CLIENT_H
#define HOOKS_CONSUL_CLIENT_H

#include "common/envcfg.h"
#include "hooks/http.h"

#include <stdbool.h>

/* Every string is owned, or NULL when not set. */
struct consul_client {
	char *base;         /* "http://127.0.0.1:8500", "https://consul.x:8501/prefix": no slash at
	                     * the end; with a Unix socket the host is "localhost" */
	char *token_header; /* "X-Consul-Token: ..." */
	char *unix_socket;  /* unix:// path */
	char *userpwd;      /* CONSUL_HTTP_AUTH as "user:password" */
	char *ca_file, *ca_path;        /* CONSUL_CACERT, CONSUL_CAPATH */
	char *client_cert, *client_key; /* CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY */
	char *connect_to; /* CONSUL_TLS_SERVER_NAME: "name:port:host:port" (base names it) */
	bool insecure;    /* CONSUL_HTTP_SSL_VERIFY=false */
};

#define CONSUL_DEFAULT_ADDR "127.0.0.1:8500"

/* Reads the settings; problems go to cfg's errors, each naming its variable
 * (a token never shown). Returns 0, or -1 when something is wrong (c is
 * then freed). */
int consul_client_load(struct consul_client *c, struct envcfg *cfg);
void consul_client_free(struct consul_client *c);
/* A deep copy into dst (freed with consul_client_free). 0, or -1 when out of
 * memory (dst is then empty). */
int consul_client_copy(struct consul_client *dst, const struct consul_client *src);
/* The connection settings for a hookhttp request (borrowing c's strings). */
struct hookhttp_conn consul_client_conn(const struct consul_client *c);

#endif
