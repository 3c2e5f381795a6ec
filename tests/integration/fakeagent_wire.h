/* The executor side of the Mesos executor API over raw sockets, for the
 * fakeagent integration tests: one-shot calls (TCP or Unix socket) whose
 * status, headers and body are returned as they came, and SUBSCRIBE streams
 * read chunk by chunk and record by record, so the tests see exactly what an
 * executor would (chunked framing, the zero chunk, a cut connection).
 * Header-only: static functions for test programs. */
#ifndef TESTS_INTEGRATION_FAKEAGENT_WIRE_H
#define TESTS_INTEGRATION_FAKEAGENT_WIRE_H

#include "testsupport.h"

#include "proto/mesos.h"
#include "proto/pbjson.h"
#include "proto/recordio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

struct fw_resp {
	int status;
	char head[8192]; /* status line and headers */
	char *body;      /* malloc'd, NUL-terminated (de-chunked) */
	size_t body_len;
};

/* "127.0.0.1:PORT", or "unix:PATH" */
static inline int fw_connect(const char *addr)
{
	int fd;
	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un su = {.sun_family = AF_UNIX};
		size_t n = strlen(addr + 5);
		if (n >= sizeof(su.sun_path))
			return -1; /* a path that does not fit is not cut short */
		memcpy(su.sun_path, addr + 5, n + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&su, sizeof(su)) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	char host[64];
	const char *colon = strrchr(addr, ':');
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)atoi(colon + 1))};
	inet_pton(AF_INET, host, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int fw_send_request(int fd, const char *method, const char *path,
                                  const char *const *headers, const void *body, size_t len,
                                  bool close_conn)
{
	char head[4096];
	int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: localhost\r\n", method, path);
	for (const char *const *h = headers; h && *h; h++)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "%s\r\n", *h);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n%s\r\n", len,
	              close_conn ? "Connection: close\r\n" : "");
	if (write(fd, head, (size_t)n) != n)
		return -1;
	if (len && write(fd, body, len) != (ssize_t)len)
		return -1;
	return 0;
}

/* Reads what is available within timeout_ms: >0 bytes, 0 EOF, -1 timeout/error. */
static inline ssize_t fw_read(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	return read(fd, buf, len);
}

/* Chunked-body decoder state. */
struct fw_chunks {
	int state;   /* 0 size line, 1 data, 2 CRLF after data, 3 done (zero chunk) */
	size_t left; /* data bytes left in the chunk */
	char line[32];
	size_t line_len;
};

/* Feeds raw bytes; appends de-chunked data to out. */
static inline void fw_dechunk(struct fw_chunks *c, const char *in, size_t n, char **out,
                              size_t *out_len)
{
	for (size_t i = 0; i < n && c->state != 3;) {
		if (c->state == 0) {
			char ch = in[i++];
			if (ch == '\n') {
				c->line[c->line_len] = '\0';
				c->left = strtoul(c->line, NULL, 16);
				c->line_len = 0;
				c->state = c->left ? 1 : 3;
			} else if (ch != '\r' && c->line_len + 1 < sizeof(c->line)) {
				c->line[c->line_len++] = ch;
			}
		} else if (c->state == 1) {
			size_t take = n - i < c->left ? n - i : c->left;
			*out = realloc(*out, *out_len + take + 1);
			memcpy(*out + *out_len, in + i, take);
			*out_len += take;
			(*out)[*out_len] = '\0';
			i += take;
			c->left -= take;
			if (!c->left)
				c->state = 2;
		} else if (c->state == 2) {
			if (in[i++] == '\n')
				c->state = 0;
		}
	}
}

/* Splits a response head from raw bytes; returns the head length or 0. */
static inline size_t fw_head_end(const char *raw, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (raw[i - 3] == '\r' && raw[i - 2] == '\n' && raw[i - 1] == '\r' &&
		    raw[i] == '\n')
			return i + 1;
	return 0;
}

static inline const char *fw_header(const char *head, const char *name, char *val, size_t len)
{
	const char *p = head;
	size_t nl = strlen(name);
	while ((p = strchr(p, '\n'))) {
		p++;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t l = strcspn(v, "\r\n");
			snprintf(val, len, "%.*s", (int)l, v);
			return val;
		}
	}
	return NULL;
}

/* One call on a fresh connection (closed afterwards). */
static inline int fw_call(const char *addr, const char *method, const char *path,
                          const char *const *headers, const void *body, size_t len,
                          struct fw_resp *r)
{
	memset(r, 0, sizeof(*r));
	int fd = fw_connect(addr);
	if (fd < 0 || fw_send_request(fd, method, path, headers, body, len, true) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char *raw = NULL;
	size_t raw_len = 0;
	char buf[65536];
	ssize_t n;
	while ((n = fw_read(fd, buf, sizeof(buf), 10000)) > 0) {
		raw = realloc(raw, raw_len + (size_t)n + 1);
		memcpy(raw + raw_len, buf, (size_t)n);
		raw_len += (size_t)n;
	}
	close(fd);
	size_t he = raw ? fw_head_end(raw, raw_len) : 0;
	if (!he) {
		free(raw);
		return -1;
	}
	snprintf(r->head, sizeof(r->head), "%.*s", (int)he, raw);
	sscanf(raw, "HTTP/1.1 %d", &r->status);
	char te[64];
	if (fw_header(r->head, "Transfer-Encoding", te, sizeof(te)) && strstr(te, "chunked")) {
		struct fw_chunks c = {0};
		fw_dechunk(&c, raw + he, raw_len - he, &r->body, &r->body_len);
	} else {
		r->body_len = raw_len - he;
		r->body = malloc(r->body_len + 1);
		memcpy(r->body, raw + he, r->body_len);
	}
	if (!r->body)
		r->body = calloc(1, 1);
	r->body[r->body_len] = '\0';
	free(raw);
	return 0;
}

static inline void fw_resp_free(struct fw_resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* A body for a call given in JSON: the JSON itself, or the Call packed as
 * protobuf (the JSON must describe a complete Call). malloc'd. */
static inline uint8_t *fw_body(enum mesos_encoding enc, const char *json, size_t *len)
{
	if (enc == MESOS_JSON) {
		*len = strlen(json);
		return (uint8_t *)strdup(json);
	}
	char err[256];
	mesos_call *c =
	    mesos_call_decode(MESOS_JSON, (const uint8_t *)json, strlen(json), err, sizeof(err));
	if (!c) {
		fprintf(stderr, "fw_body: %s: %s\n", json, err);
		return NULL;
	}
	uint8_t *out = mesos_encode(MESOS_PROTOBUF, &c->base, false, len);
	protobuf_c_message_free_unpacked(&c->base, NULL);
	return out;
}

/* POSTs a call (given as JSON) in the encoding `enc` to the executor API. */
static inline int fw_post_call(const char *addr, const char *path, enum mesos_encoding enc,
                               const char *json, const char *const *extra_headers,
                               struct fw_resp *r)
{
	size_t len;
	uint8_t *body = fw_body(enc, json, &len);
	if (!body)
		return -1;
	char ct[64];
	snprintf(ct, sizeof(ct), "Content-Type: %s", mesos_content_type(enc));
	const char *hdrs[16] = {ct};
	size_t n = 1;
	for (const char *const *h = extra_headers; h && *h && n < 15; h++)
		hdrs[n++] = *h;
	int rc = fw_call(addr, "POST", path, hdrs, body, len, r);
	free(body);
	return rc;
}

/* ------------------------------------------------------------ streams */

struct fw_stream {
	int fd;
	int status;
	char head[8192];
	enum mesos_encoding enc;
	struct fw_chunks chunks;
	char *data; /* de-chunked bytes not yet decoded */
	size_t data_len;
	struct recordio_decoder rio;
	mesos_event *queue[64];
	size_t nqueue;
	bool eof;   /* the stream ended: zero chunk or connection closed */
	bool clean; /* ... with the zero chunk */
};

static inline int fw_on_record(void *data, const uint8_t *rec, size_t len)
{
	struct fw_stream *s = data;
	char err[256];
	mesos_event *ev = mesos_event_decode(s->enc, rec, len, err, sizeof(err));
	if (!ev) {
		fprintf(stderr, "undecodable event: %s\n", err);
		return -1;
	}
	if (s->nqueue < 64)
		s->queue[s->nqueue++] = ev;
	else
		protobuf_c_message_free_unpacked(&ev->base, NULL);
	return 0;
}

/* Opens a SUBSCRIBE stream: posts the call, reads the head. Returns 0 with
 * s->status set (the body is read only for 200). */
static inline int fw_subscribe(struct fw_stream *s, const char *addr, const char *path,
                               enum mesos_encoding call_enc, const char *json, const char *accept,
                               const char *const *extra_headers)
{
	memset(s, 0, sizeof(*s));
	recordio_decoder_init(&s->rio, RECORDIO_DEFAULT_MAX);
	size_t len;
	uint8_t *body = fw_body(call_enc, json, &len);
	char ct[64], acc[128];
	snprintf(ct, sizeof(ct), "Content-Type: %s", mesos_content_type(call_enc));
	const char *hdrs[16] = {ct};
	size_t n = 1;
	if (accept) {
		snprintf(acc, sizeof(acc), "Accept: %s", accept);
		hdrs[n++] = acc;
	}
	for (const char *const *h = extra_headers; h && *h && n < 15; h++)
		hdrs[n++] = *h;
	s->fd = fw_connect(addr);
	if (s->fd < 0 || !body ||
	    fw_send_request(s->fd, "POST", path, hdrs, body, len, false) < 0) {
		free(body);
		return -1;
	}
	free(body);
	char raw[16384];
	size_t raw_len = 0, he = 0;
	while (!(he = fw_head_end(raw, raw_len))) {
		ssize_t r = fw_read(s->fd, raw + raw_len, sizeof(raw) - raw_len, 10000);
		if (r <= 0)
			return -1;
		raw_len += (size_t)r;
	}
	snprintf(s->head, sizeof(s->head), "%.*s", (int)he, raw);
	sscanf(raw, "HTTP/1.1 %d", &s->status);
	char ctype[128] = "";
	fw_header(s->head, "Content-Type", ctype, sizeof(ctype));
	s->enc = strcmp(ctype, MESOS_CT_PROTOBUF) == 0 ? MESOS_PROTOBUF : MESOS_JSON;
	if (raw_len > he) {
		fw_dechunk(&s->chunks, raw + he, raw_len - he, &s->data, &s->data_len);
		s->clean = s->eof = s->chunks.state == 3;
	}
	return 0;
}

/* The next event within timeout_ms (caller frees), or NULL on timeout or
 * end of stream (s->eof, s->clean tell which). */
static inline mesos_event *fw_next(struct fw_stream *s, int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	for (;;) {
		if (s->data_len) {
			recordio_decoder_feed(&s->rio, s->data, s->data_len, fw_on_record, s);
			s->data_len = 0;
		}
		if (s->nqueue) {
			mesos_event *ev = s->queue[0];
			memmove(s->queue, s->queue + 1, --s->nqueue * sizeof(s->queue[0]));
			return ev;
		}
		if (s->eof)
			return NULL;
		int left = (int)(end - ts_now_ms());
		if (left <= 0)
			return NULL;
		char buf[65536];
		ssize_t r = fw_read(s->fd, buf, sizeof(buf), left);
		if (r == 0 || (r < 0 && errno == ECONNRESET)) {
			s->eof = true;
			continue;
		}
		if (r < 0)
			continue;
		fw_dechunk(&s->chunks, buf, (size_t)r, &s->data, &s->data_len);
		if (s->chunks.state == 3) /* the zero chunk ends the stream */
			s->clean = s->eof = true;
	}
}

/* Waits for the next event of a type, freeing the others; NULL on timeout. */
static inline mesos_event *fw_expect(struct fw_stream *s, int type, int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	for (;;) {
		int left = (int)(end - ts_now_ms());
		mesos_event *ev = fw_next(s, left > 0 ? left : 0);
		if (!ev || (int)ev->type == type)
			return ev;
		protobuf_c_message_free_unpacked(&ev->base, NULL);
	}
}

/* Reads until the connection closes (true) or timeout_ms passes (false). */
static inline bool fw_wait_eof(struct fw_stream *s, int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	while (!s->eof && ts_now_ms() < end) {
		mesos_event *ev = fw_next(s, (int)(end - ts_now_ms()));
		if (ev)
			protobuf_c_message_free_unpacked(&ev->base, NULL);
	}
	return s->eof;
}

static inline void fw_stream_close(struct fw_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	while (s->nqueue)
		protobuf_c_message_free_unpacked(&s->queue[--s->nqueue]->base, NULL);
	free(s->data);
	s->data = NULL;
	recordio_decoder_free(&s->rio);
}

/* ------------------------------------------------------------ a fake agent under test */

#include "common/base64.h"
#include "common/uuid4.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <sys/wait.h>

#define PATH     "/api/v1/executor"
#define PREFIXED "/slave(1)/api/v1/executor"

struct agent {
	struct ts_proc proc;
	char fid[80];
};

static inline void start_agent_env(struct agent *a, const char *const *extra, char *const *envp)
{
	char *argv[40] = {(char *)ts_env("FAKEAGENT_BIN", "build/fakeagent/fakeagent"), "serve",
	                  "--listen", "127.0.0.1:0"};
	int n = 4;
	for (const char *const *e = extra; e && *e && n < 38; e++)
		argv[n++] = (char *)*e;
	argv[n] = NULL;
	assert_int_equal(ts_spawn(&a->proc, argv, envp, true), 0);
	/* Nobody reads the timeline: give it room so the agent never blocks. */
	fcntl(a->proc.out_fd, F_SETPIPE_SZ, 1 << 20);
	a->fid[0] = '\0';
}

static inline void start_agent(struct agent *a, const char *const *extra)
{
	start_agent_env(a, extra, NULL);
}

static inline void stop_agent(struct agent *a)
{
	int st = ts_stop(&a->proc, SIGTERM, 10000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static inline cJSON *get_json(struct agent *a, const char *path)
{
	struct fw_resp r;
	assert_int_equal(fw_call(a->proc.addr, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	cJSON *j = cJSON_Parse(r.body);
	fw_resp_free(&r);
	assert_non_null(j);
	return j;
}

/* Registers task `tid` with an executor of the same id that no process runs. */
static inline void launch_external(struct agent *a, const char *tid)
{
	char body[512];
	snprintf(
	    body, sizeof(body),
	    "{\"task\":{\"name\":\"%s\",\"task_id\":{\"value\":\"%s\"},"
	    "\"command\":{\"value\":\"sleep 100\"}},\"executor\":\"/bin/true\",\"spawn\":false}",
	    tid, tid);
	struct fw_resp r;
	const char *h[] = {"Content-Type: application/json", NULL};
	assert_int_equal(fw_call(a->proc.addr, "POST", "/_fake/launch", h, body, strlen(body), &r),
	                 0);
	if (r.status != 201)
		fprintf(stderr, "launch: %d %s\n", r.status, r.body);
	assert_int_equal(r.status, 201);
	cJSON *j = cJSON_Parse(r.body);
	snprintf(a->fid, sizeof(a->fid), "%s", cJSON_GetObjectItem(j, "framework_id")->valuestring);
	cJSON_Delete(j);
	fw_resp_free(&r);
}

static inline void post_fake(struct agent *a, const char *path, const char *body, int want)
{
	struct fw_resp r;
	const char *h[] = {"Content-Type: application/json", NULL};
	assert_int_equal(fw_call(a->proc.addr, "POST", path, h, body, strlen(body), &r), 0);
	assert_int_equal(r.status, want);
	fw_resp_free(&r);
}

static inline void new_uuid(char out[32])
{
	uint8_t u[16];
	uuid4_new(u);
	char *b = b64_encode(u, 16);
	snprintf(out, 32, "%s", b);
	free(b);
}

static inline int call_status(struct agent *a, const char *path, enum mesos_encoding enc,
                              const char *json, const char *const *hdrs, char *body_out,
                              size_t body_len)
{
	struct fw_resp r;
	assert_int_equal(fw_post_call(a->proc.addr, path, enc, json, hdrs, &r), 0);
	if (body_out)
		snprintf(body_out, body_len, "%s", r.body);
	int st = r.status;
	fw_resp_free(&r);
	return st;
}

/* The latest update of a task in /state, or NULL. */
static inline const cJSON *last_update(const cJSON *state, const char *tid)
{
	const cJSON *ex;
	const cJSON *fw = cJSON_GetArrayItem(cJSON_GetObjectItem(state, "frameworks"), 0);
	const cJSON *found = NULL;
	cJSON_ArrayForEach (ex, cJSON_GetObjectItem(fw, "executors")) {
		const cJSON *t;
		cJSON_ArrayForEach (t, cJSON_GetObjectItem(ex, "tasks")) {
			if (strcmp(cJSON_GetObjectItem(t, "id")->valuestring, tid) == 0) {
				const cJSON *ups = cJSON_GetObjectItem(t, "updates");
				int n = cJSON_GetArraySize(ups);
				found = n ? cJSON_GetArrayItem(ups, n - 1) : NULL;
			}
		}
	}
	return found;
}

/* Polls /state until the task's latest update has `state`; returns that update's reason. */
static inline char *wait_update(struct agent *a, const char *tid, const char *state, int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	for (;;) {
		cJSON *st = get_json(a, "/state");
		const cJSON *u = last_update(st, tid);
		if (u && strcmp(cJSON_GetObjectItem(u, "state")->valuestring, state) == 0) {
			const cJSON *reason = cJSON_GetObjectItem(u, "reason");
			char *out = strdup(reason ? reason->valuestring : "");
			const cJSON *src = cJSON_GetObjectItem(u, "source");
			size_t l = strlen(out);
			out = realloc(out, l + 64);
			snprintf(out + l, 64, "/%s", src ? src->valuestring : "");
			cJSON_Delete(st);
			return out;
		}
		cJSON_Delete(st);
		if (ts_now_ms() > end)
			fail_msg("task %s never reached %s", tid, state);
		ts_sleep_ms(50);
	}
}

static inline const char *phase(struct agent *a, char *buf, size_t len)
{
	cJSON *st = get_json(a, "/state");
	snprintf(buf, len, "%s", cJSON_GetObjectItem(st, "phase")->valuestring);
	cJSON_Delete(st);
	return buf;
}

static inline void subscribe_json(char *buf, size_t len, const struct agent *a, const char *eid,
                                  const char *extra)
{
	snprintf(buf, len,
	         "{\"type\":\"SUBSCRIBE\",\"executor_id\":{\"value\":\"%s\"},"
	         "\"framework_id\":{\"value\":\"%s\"},\"subscribe\":{%s}}",
	         eid, a->fid, extra ? extra : "");
}

/* Subscribes for executor `eid` with JSON and waits for the LAUNCH of its
 * task: the stream is open in s. */
static inline void subscribe_for_launch(struct agent *a, const char *eid, struct fw_stream *s)
{
	char json[1024];
	subscribe_json(json, sizeof(json), a, eid, NULL);
	assert_int_equal(fw_subscribe(s, a->proc.addr, PATH, MESOS_JSON, json, NULL, NULL), 0);
	mesos_event *ev = fw_expect(s, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	assert_non_null(ev);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
}

/* Registers task `tid` (launch_external) and subscribes for its executor
 * (subscribe_for_launch). */
static inline void subscribe_launched(struct agent *a, const char *tid, struct fw_stream *s)
{
	launch_external(a, tid);
	subscribe_for_launch(a, tid, s);
}

static inline void update_json(char *buf, size_t len, const char *fid, const char *eid,
                               const char *tid, const char *state, const char *uuid,
                               const char *extra_status)
{
	snprintf(buf, len,
	         "{\"type\":\"UPDATE\",\"executor_id\":{\"value\":\"%s\"},"
	         "\"framework_id\":{\"value\":\"%s\"},\"update\":{\"status\":{"
	         "\"task_id\":{\"value\":\"%s\"},\"state\":\"%s\",\"source\":\"SOURCE_EXECUTOR\","
	         "\"uuid\":\"%s\"%s}}}",
	         eid, fid, tid, state, uuid, extra_status ? extra_status : "");
}

/* An UPDATE of task `tid` from executor `eid`, answered 202; with s, its
 * acknowledgement is the next ACKNOWLEDGED event there. */
static inline void posts_update_acked(struct agent *a, struct fw_stream *s, const char *eid,
                                      const char *tid, const char *state)
{
	char json[2048], u[32];
	new_uuid(u);
	update_json(json, sizeof(json), a->fid, eid, tid, state, u, NULL);
	assert_int_equal(call_status(a, PATH, MESOS_JSON, json, NULL, NULL, 0), 202);
	if (!s)
		return;
	mesos_event *ev = fw_expect(s, MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED, 10000);
	assert_non_null(ev); /* acknowledged all the same: the executor must not retry */
	size_t ul;
	uint8_t *raw = b64_decode(u, strlen(u), &ul);
	assert_memory_equal(ev->acknowledged->uuid.data, raw, 16);
	free(raw);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
}

#endif
