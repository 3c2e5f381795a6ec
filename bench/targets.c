/* The servers the executor's health checks probe during a benchmark, on the
 * driver's loop, each counting what reaches it: an HTTP server (the fakes'
 * microhttpd scaffold) answering GET /health with 200, and a TCP listener
 * that accepts each connection and closes it. The counts tell the driver how
 * many probes the executor made in a CPU-time window. */
#include "targets.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ HTTP */

static void on_health(struct httpd_req *r, void *data)
{
	struct target *t = data;
	t->count++;
	httpd_reply(r, 200, "text/plain", "ok\n", 3, NULL);
}

static const struct httpd_route routes[] = {
    {"GET", "/health", on_health},
    {NULL, NULL, NULL},
};

static int http_start(struct target *t, uv_loop_t *loop, char *err, size_t errlen)
{
	struct httpd_config cfg = {
	    .name = "bench-target", .listen = "127.0.0.1:0", .routes = routes, .data = t};
	t->httpd = httpd_start(loop, &cfg, err, errlen);
	if (!t->httpd)
		return -1;
	const char *colon = strrchr(httpd_address(t->httpd), ':');
	t->port = colon ? atoi(colon + 1) : 0;
	return 0;
}

/* ------------------------------------------------------------ TCP */

static void conn_closed(uv_handle_t *h)
{
	free(h);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct target *t = server->data;
	if (status < 0)
		return;
	uv_tcp_t *c = malloc(sizeof(*c));
	if (!c)
		return;
	uv_tcp_init(server->loop, c);
	if (uv_accept(server, (uv_stream_t *)c) == 0)
		t->count++;
	uv_close((uv_handle_t *)c, conn_closed);
}

static int tcp_start(struct target *t, uv_loop_t *loop, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	struct sockaddr_storage bound;
	int len = sizeof(bound);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	uv_tcp_init(loop, &t->tcp);
	t->tcp.data = t;
	t->tcp_open = true;
	int rc = uv_tcp_bind(&t->tcp, (const struct sockaddr *)&sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&t->tcp, 1024, on_connection);
	if (rc == 0)
		rc = uv_tcp_getsockname(&t->tcp, (struct sockaddr *)&bound, &len);
	if (rc != 0) {
		snprintf(err, errlen, "TCP target on 127.0.0.1: %s", uv_strerror(rc));
		return -1;
	}
	t->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	return 0;
}

/* ------------------------------------------------------------ both */

int target_start(struct target *t, enum target_kind kind, uv_loop_t *loop, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	return kind == TARGET_HTTP ? http_start(t, loop, err, errlen)
	                           : tcp_start(t, loop, err, errlen);
}

void target_stop(struct target *t)
{
	if (t->httpd)
		httpd_stop(t->httpd);
	t->httpd = NULL;
	if (t->tcp_open)
		uv_close((uv_handle_t *)&t->tcp, NULL);
	t->tcp_open = false;
}
