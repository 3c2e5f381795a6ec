/* Chunked streams (see httpd.h): a response whose body MHD pulls through a
 * callback from a buffer the application fills as events happen. With
 * nothing buffered the connection is suspended; a write or the end resumes
 * it. A stream is freed once both MHD (its connection is done) and the
 * application (httpd_stream_release) let go of it. */
#include "httpd.h"
#include "httpd_internal.h"

#include "common/dlist.h"

#include <stdlib.h>
#include <string.h>

static void stream_maybe_free(struct httpd_stream *s)
{
	if (s->mhd_ref || s->app_ref)
		return;
	free(s->buf);
	free(s);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct httpd_stream *s = cls;
	size_t avail = s->len - s->off;

	if (avail) {
		size_t n = avail < max ? avail : max;
		memcpy(buf, s->buf + s->off, n);
		s->off += n;
		if (s->off == s->len)
			s->off = s->len = 0;
		return (ssize_t)n;
	}
	if (s->ended)
		return s->abort ? MHD_CONTENT_READER_END_WITH_ERROR
		                : MHD_CONTENT_READER_END_OF_STREAM;
	s->suspended = true;
	MHD_suspend_connection(s->conn);
	return 0;
}

static void stream_mhd_done(void *cls)
{
	struct httpd_stream *s = cls;

	s->ended = true;
	s->mhd_ref = false;
	DLIST_DEL(s->d->streams, s);
	if (s->app_ref && s->on_closed)
		s->on_closed(s, s->data);
	stream_maybe_free(s);
}

struct httpd_stream *httpd_stream_open(struct httpd_req *r, unsigned status,
                                       const char *content_type, const char *const *headers,
                                       httpd_stream_closed_cb on_closed, void *data)
{
	struct httpd_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	struct MHD_Response *resp = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s, stream_mhd_done);
	if (!resp) {
		free(s);
		return NULL;
	}
	s->d = r->d;
	s->conn = r->conn;
	s->mhd_ref = s->app_ref = true;
	s->on_closed = on_closed;
	s->data = data;
	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	httpd_add_headers(resp, headers);
	DLIST_ADD(r->d->streams, s);
	httpd_set_pending(r, status, resp);
	return s;
}

void httpd_stream_wake(struct httpd_stream *s)
{
	if (s->suspended && s->mhd_ref) {
		s->suspended = false;
		MHD_resume_connection(s->conn);
		for (int i = 0; i < s->d->nlisteners; i++)
			httpd_kick(&s->d->l[i]);
	}
}

int httpd_stream_write(struct httpd_stream *s, const void *bytes, size_t len)
{
	if (s->ended || !s->mhd_ref)
		return -1;
	if (s->len + len > s->cap) {
		if (s->off) { /* compact first */
			memmove(s->buf, s->buf + s->off, s->len - s->off);
			s->len -= s->off;
			s->off = 0;
		}
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + len)
			cap *= 2;
		if (cap != s->cap) {
			char *nb = realloc(s->buf, cap);
			if (!nb)
				return -1;
			s->buf = nb;
			s->cap = cap;
		}
	}
	memcpy(s->buf + s->len, bytes, len);
	s->len += len;
	httpd_stream_wake(s);
	return 0;
}

void httpd_stream_end(struct httpd_stream *s, bool abort)
{
	if (s->ended)
		return;
	s->ended = true;
	s->abort = abort;
	if (abort)
		s->len = s->off = 0;
	httpd_stream_wake(s);
}

bool httpd_stream_closed(const struct httpd_stream *s)
{
	return s->ended || !s->mhd_ref;
}

void httpd_stream_release(struct httpd_stream *s)
{
	s->app_ref = false;
	s->on_closed = NULL;
	stream_maybe_free(s);
}
