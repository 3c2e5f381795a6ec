/* What httpd.c and httpd_stream.c share and nothing else sees: the server,
 * its listeners, requests and streams, and the few functions one file calls
 * in the other. Users of the scaffold include httpd.h. */
#ifndef FAKEKIT_HTTPD_INTERNAL_H
#define FAKEKIT_HTTPD_INTERNAL_H

#include "httpd.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct listener {
	struct httpd *d;
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	bool is_unix;
	bool active;
	bool kicked; /* a resume was asked for while MHD_run was running */
};

struct httpd {
	uv_loop_t *loop;
	struct httpd_config cfg;
	struct listener l[2];
	int nlisteners;
	int handles_open;
	char address[80];
	char *unix_path;
	char *tls_cert, *tls_key;   /* copies of the config's PEM text, or NULL */
	struct httpd_req *deferred; /* requests answered later */
	struct httpd_stream *streams;
	bool stopping;
};

enum req_state { REQ_READING, REQ_DISPATCHED, REQ_DEFERRED, REQ_QUEUED };

struct httpd_req {
	struct httpd *d;
	struct listener *l;
	struct MHD_Connection *conn;
	const char *method, *url;
	char *body;
	size_t body_len, body_cap;
	bool too_large;
	enum req_state state;
	bool suspended;
	bool drop;                    /* close the connection instead of answering (httpd_drop) */
	struct MHD_Response *pending; /* reply to queue */
	unsigned pending_status;
	void (*on_abort)(struct httpd_req *, void *);
	void *abort_data;
	struct httpd_req *prev, *next; /* in d->deferred */
};

struct httpd_stream {
	struct httpd *d;
	struct MHD_Connection *conn;
	char *buf;
	size_t len, off, cap;
	bool ended, abort, suspended;
	bool mhd_ref, app_ref; /* freed when both are gone */
	httpd_stream_closed_cb on_closed;
	void *data;
	struct httpd_stream *prev, *next; /* in d->streams */
};

/* --- httpd.c */
/* Resuming only flags a connection inside MHD; this makes MHD run soon. */
void httpd_kick(struct listener *l);
/* Adds "Name: value" strings (NULL-ended, or NULL) to a response. */
void httpd_add_headers(struct MHD_Response *resp, const char *const *headers);
/* Makes resp the request's answer (queued once MHD asks for it); a second
 * answer is logged and dropped. */
void httpd_set_pending(struct httpd_req *r, unsigned status, struct MHD_Response *resp);

/* --- httpd_stream.c */
/* Resumes a stream's connection suspended for want of data. */
void httpd_stream_wake(struct httpd_stream *s);

#endif
