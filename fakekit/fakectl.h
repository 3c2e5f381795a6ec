/* What every fake server shares beyond the HTTP scaffold (httpd.h): the
 * options they all take (--listen, --allow-remote), the serve-until-signal
 * main loop, and the /_fake/ control paths that tests use on any fake:
 *
 *   POST   /_fake/fail      {"status":503,"count":2,"body":"...","content_type":"...",
 *                            "method":"PUT","path":"/v1/agent/","delay_ms":0}
 *          the next `count` matching requests (default 1, -1 = until cleared)
 *          get `status` with `body` (plain text) instead of being handled;
 *          with "close": true instead of a status, they get no answer at all:
 *          the connection is closed (after delay_ms), as by a crashing server
 *   POST   /_fake/delay     {"ms":2000,"count":1,"method":...,"path":...}
 *          the next `count` matching requests are handled `ms` later
 *   GET    /_fake/faults    the pending rules;  DELETE /_fake/faults clears them
 *   GET    /_fake/requests  every request served so far (not /_fake/ ones),
 *                           oldest first: method, path, query, headers, body
 *   DELETE /_fake/requests  forgets them
 *
 * `method` and `path` (a prefix of the decoded path) restrict a rule; rules
 * are tried in the order they were added. Other /_fake/ paths are left to
 * the fake's own routes, and so is every /_fake/ path asked for on a Unix
 * socket (fakeagent's --domain-socket serves the executor API only). */
#ifndef FAKEKIT_FAKECTL_H
#define FAKEKIT_FAKECTL_H

#include "httpd.h"

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct fakectl_opts {
	const char *listen; /* --listen HOST:PORT (points into argv) */
	bool allow_remote;  /* --allow-remote */
	/* --tls-cert FILE --tls-key FILE (PEM): serve HTTPS on --listen;
	 * --unix-socket PATH: also serve (plain HTTP) on that socket. For
	 * clients' TLS and Unix socket settings (Consul's CONSUL_CACERT, ...). */
	const char *tls_cert_file, *tls_key_file, *unix_socket;
};

/* Takes argv[*i] (and its value) when it is a common option (--listen,
 * --allow-remote, --tls-cert, --tls-key, --unix-socket), advancing *i
 * past it. Returns 1 when taken, 0 when it is not a common option, -1 with
 * err filled when its value is missing. */
int fakectl_parse_arg(struct fakectl_opts *o, int argc, char **argv, int *i, char *err,
                      size_t errlen);

struct fakectl;

struct fakectl *fakectl_new(uv_loop_t *loop);
/* Puts the fault injector and request log in front of cfg's routes. */
void fakectl_attach(struct fakectl *c, struct httpd_config *cfg);
/* The pending rules, as GET /_fake/faults shows them (caller owns). */
cJSON *fakectl_faults_json(const struct fakectl *c);
/* Stops timers; delayed requests are aborted by httpd_stop, which must come
 * first. Frees once every handle is closed. */
void fakectl_close(struct fakectl *c);

struct fakectl_server {
	const char *name;                 /* for logs */
	const struct fakectl_opts *opts;  /* where to listen */
	const char *default_listen;       /* when opts->listen is NULL */
	const struct httpd_route *routes; /* ended by {NULL} */
	httpd_handler fallback;           /* may be NULL */
	void *data;                       /* handler data */
	/* Runs on SIGINT/SIGTERM after the server stopped: close the fake's
	 * own handles so the loop can end. */
	void (*on_stop)(void *data);
};

/* Serves until SIGINT or SIGTERM: starts the server with fakectl in front,
 * prints the "listening on http://HOST:PORT" line, runs the loop until every
 * handle is closed, then closes the loop. Returns main's exit status (1 when
 * the server cannot start, with the reason logged). */
int fakectl_serve(uv_loop_t *loop, const struct fakectl_server *s);

#endif
