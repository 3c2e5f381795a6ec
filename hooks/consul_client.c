/* The Consul agent's address, credentials and TLS settings, read as
 * Consul's Go client reads them (see consul_client.h). */
#include "consul_client.h"

#include "common/log.h"
#include "common/str.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void consul_client_free(struct consul_client *c)
{
	free(c->base);
	free(c->token_header);
	free(c->unix_socket);
	free(c->userpwd);
	free(c->ca_file);
	free(c->ca_path);
	free(c->client_cert);
	free(c->client_key);
	free(c->connect_to);
	memset(c, 0, sizeof(*c));
}

int consul_client_copy(struct consul_client *dst, const struct consul_client *src)
{
	*dst = *src;
	char **fields[] = {&dst->base,        &dst->token_header, &dst->unix_socket,
	                   &dst->userpwd,     &dst->ca_file,      &dst->ca_path,
	                   &dst->client_cert, &dst->client_key,   &dst->connect_to};
	bool ok = true;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (*fields[i] && !(*fields[i] = strdup(*fields[i])))
			ok = false;
	if (!ok)
		consul_client_free(dst);
	return ok ? 0 : -1;
}

struct hookhttp_conn consul_client_conn(const struct consul_client *c)
{
	return (struct hookhttp_conn){.unix_socket = c->unix_socket,
	                              .userpwd = c->userpwd,
	                              .ca_file = c->ca_file,
	                              .ca_path = c->ca_path,
	                              .client_cert = c->client_cert,
	                              .client_key = c->client_key,
	                              .connect_to = c->connect_to,
	                              .insecure = c->insecure};
}

/* The token file's content without surrounding blanks (malloc'd; "" when
 * empty), or NULL with an envcfg error. */
static char *read_token_file(struct envcfg *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		envcfg_fail(cfg, "CONSUL_HTTP_TOKEN_FILE: cannot read '%s': %s", path,
		            strerror(errno));
		return NULL;
	}
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *s = buf;
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	char *tok = strndup(s, len);
	explicit_bzero(buf, sizeof(buf));
	return tok;
}

/* The ACL token's header: CONSUL_HTTP_TOKEN_FILE (not empty) wins, as in
 * api.go's NewClient; else the first token variable that is set. */
static int load_token(struct consul_client *c, struct envcfg *cfg)
{
	char *tok = NULL;
	const char *file = envcfg_get(cfg, "CONSUL_HTTP_TOKEN_FILE");
	if (file && *file) {
		if (!(tok = read_token_file(cfg, file)))
			return -1;
		if (!*tok) {
			free(tok);
			tok = NULL;
		}
	}
	static const char *const vars[] = {"ALLEGRO_EXECUTOR_CONSUL_TOKEN", "CONSUL_TOKEN",
	                                   "CONSUL_HTTP_TOKEN"};
	for (size_t i = 0; i < 3 && !tok; i++)
		tok = str_dup_nonempty(envcfg_get(cfg, vars[i]));
	if (!tok)
		return 0;
	log_add_secret(tok);
	int rc = asprintf(&c->token_header, "X-Consul-Token: %s", tok);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	if (rc < 0) {
		c->token_header = NULL;
		return -1;
	}
	return 0;
}

/* CONSUL_HTTP_AUTH: "user:password", or "user" with an empty password. */
static int load_auth(struct consul_client *c, struct envcfg *cfg)
{
	const char *auth = envcfg_get(cfg, "CONSUL_HTTP_AUTH");
	if (!auth || !*auth)
		return 0;
	const char *colon = strchr(auth, ':');
	if (colon && colon[1])
		log_add_secret(colon + 1);
	log_add_secret(auth);
	if (asprintf(&c->userpwd, "%s%s", auth, colon ? "" : ":") < 0) {
		c->userpwd = NULL;
		return -1;
	}
	return 0;
}

/* The host of "host[:port]" ("[v6]:port" kept in brackets) into host, its
 * port (or "") into port. */
static void split_host_port(const char *hp, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon = strrchr(hp, ':');
	const char *bracket = strrchr(hp, ']');
	if (colon && (!bracket || colon > bracket)) {
		snprintf(host, hlen, "%.*s", (int)(colon - hp), hp);
		snprintf(port, plen, "%s", colon + 1);
	} else {
		snprintf(host, hlen, "%s", hp);
		snprintf(port, plen, "%s", "");
	}
}

/* CONSUL_HTTP_ADDR with CONSUL_HTTP_SSL and CONSUL_TLS_SERVER_NAME, as
 * api.go's NewClient reads them, into base, unix_socket and connect_to. */
static int load_address(struct consul_client *c, struct envcfg *cfg)
{
	const char *v = envcfg_get(cfg, "CONSUL_HTTP_ADDR");
	const char *addr = v && *v ? v : CONSUL_DEFAULT_ADDR;
	bool ssl = envcfg_bool(cfg, "CONSUL_HTTP_SSL", envcfg_get(cfg, "CONSUL_HTTP_SSL"), false);
	const char *rest = addr;
	const char *sep = strstr(addr, "://");
	if (sep) {
		size_t n = (size_t)(sep - addr);
		rest = sep + 3;
		if (n == 5 && strncmp(addr, "https", 5) == 0) {
			ssl = true;
		} else if (n == 4 && strncmp(addr, "unix", 4) == 0) {
			if (!*rest) {
				envcfg_fail(cfg,
				            "CONSUL_HTTP_ADDR: expected unix:///path/to/socket, "
				            "got '%s'",
				            addr);
				return -1;
			}
			c->unix_socket = strdup(rest);
			rest = "localhost";
		} else if (!(n == 4 && strncmp(addr, "http", 4) == 0)) {
			/* "http" keeps CONSUL_HTTP_SSL's choice: api.go never reverts to http */
			envcfg_fail(
			    cfg,
			    "CONSUL_HTTP_ADDR: unknown scheme '%.*s' (expected http, https or "
			    "unix), got '%s'",
			    (int)(n < 16 ? n : 16), addr, strchr(addr, '@') ? "[redacted]" : addr);
			return -1;
		}
	}
	/* host[:port] and, for http(s), an optional path prefix (a proxy's) */
	size_t hn = c->unix_socket ? strlen(rest) : strcspn(rest, "/");
	const char *prefix = rest + hn;
	size_t pn = strlen(prefix);
	while (pn && prefix[pn - 1] == '/')
		pn--;
	if (hn == 0 || memchr(rest, '@', hn) || strcspn(rest, " \t") < hn + pn ||
	    strstr(rest, "://")) {
		envcfg_fail(cfg,
		            "CONSUL_HTTP_ADDR: expected host:port, http(s)://host:port[/prefix] or "
		            "unix:///path (credentials belong in CONSUL_HTTP_AUTH or "
		            "CONSUL_HTTP_TOKEN), got '%s'",
		            strchr(addr, '@') ? "[redacted]" : addr);
		return -1;
	}
	char hostport[512], host[512], port[32];
	snprintf(hostport, sizeof(hostport), "%.*s", (int)hn, rest);
	split_host_port(hostport, host, sizeof(host), port, sizeof(port));

	const char *name = envcfg_get(cfg, "CONSUL_TLS_SERVER_NAME");
	char sni[512] = "";
	if (name && *name) {
		char ignored[32];
		split_host_port(name, sni, sizeof(sni), ignored, sizeof(ignored));
	}
	const char *url_host = host;
	if (sni[0] && ssl) { /* the URL names the server; the connection goes to host */
		url_host = sni;
		if (!c->unix_socket &&
		    asprintf(&c->connect_to, "%s:%s:%s:%s", sni, port, host, port) < 0) {
			c->connect_to = NULL;
			return -1;
		}
	}
	if (asprintf(&c->base, "%s://%s%s%s%.*s", ssl ? "https" : "http", url_host,
	             port[0] ? ":" : "", port, (int)(c->unix_socket ? 0 : pn),
	             c->unix_socket ? "" : prefix) < 0) {
		c->base = NULL;
		return -1;
	}
	return 0;
}

int consul_client_load(struct consul_client *c, struct envcfg *cfg)
{
	memset(c, 0, sizeof(*c));
	int errors = cfg->nerrors;
	int rc = load_address(c, cfg);
	if (rc == 0)
		rc = load_token(c, cfg);
	if (rc == 0)
		rc = load_auth(c, cfg);
	c->ca_file = str_dup_nonempty(envcfg_get(cfg, "CONSUL_CACERT"));
	c->ca_path = str_dup_nonempty(envcfg_get(cfg, "CONSUL_CAPATH"));
	c->client_cert = str_dup_nonempty(envcfg_get(cfg, "CONSUL_CLIENT_CERT"));
	c->client_key = str_dup_nonempty(envcfg_get(cfg, "CONSUL_CLIENT_KEY"));
	if (!c->client_cert != !c->client_key)
		envcfg_fail(cfg, "CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY go together: give both "
		                 "or neither");
	const char *verify = envcfg_get(cfg, "CONSUL_HTTP_SSL_VERIFY");
	c->insecure = !envcfg_bool(cfg, "CONSUL_HTTP_SSL_VERIFY", verify, true);
	if (rc < 0 && cfg->nerrors == errors)
		envcfg_fail(cfg, "consul: out of memory");
	if (cfg->nerrors > errors) {
		consul_client_free(c);
		return -1;
	}
	return 0;
}
