/* The agent connection (see agent.h). */
#include "agent.h"

#include "common/log.h"
#include "proto/recordio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEARTBEAT_CALL_MS   (30ull * 60 * 1000) /* the official library's interval */
#define MIN_BACKOFF_MS      50
#define CALL_RETRY_FIRST_MS 100 /* an UPDATE the agent could not take, tried again */
#define CALL_RETRY_MAX_MS   2000

struct call {
	struct call *next;
	char what[24];
	uint8_t *body;
	size_t len;
};

struct agent {
	uv_loop_t *loop;
	struct httpc *http;
	const struct ex_config *cfg;
	struct agent_cbs cbs;

	struct httpc_req *stream; /* the SUBSCRIBE request, while open */
	enum mesos_encoding stream_enc;
	struct recordio_decoder dec;
	bool got_200, subscribed, reconnect, closing;
	char stream_error[320];
	uv_timer_t retry_timer, heartbeat_timer, response_timer;
	uv_timer_t call_retry_timer; /* running: the head call waits to be tried again */
	unsigned call_retry_ms;

	struct call *head, *tail; /* calls waiting; head is in flight when busy */
	struct httpc_req *in_flight;

	char auth[4200];
	const char *headers_stream[4], *headers_call[4];
	char ct[64], accept[64];
	struct agent_stats stats;
	int open_handles;
};

static void subscribe(struct agent *a);
static void pump_calls(struct agent *a);

static unsigned backoff_ms(const struct agent *a)
{
	uint64_t max = (uint64_t)(a->cfg->backoff_max_ns / 1000000);
	if (max < MIN_BACKOFF_MS)
		max = MIN_BACKOFF_MS;
	/* Uniform in [MIN, max], as Mesos' executor library waits uniformly. */
	return MIN_BACKOFF_MS + (unsigned)(random() % (max - MIN_BACKOFF_MS + 1));
}

static void on_retry(uv_timer_t *t)
{
	subscribe(t->data);
}

/* at_once: the first attempt after losing a subscribed stream goes out now,
 * as the executor library's backoff() connects before it waits. */
static void schedule_retry(struct agent *a, bool at_once)
{
	if (!a->reconnect || a->closing)
		return;
	unsigned ms = at_once ? MIN_BACKOFF_MS : backoff_ms(a);
	log_debug("re-SUBSCRIBE in %u ms", ms);
	uv_timer_start(&a->retry_timer, on_retry, ms, 0);
}

/* The stream is over, for whatever reason. */
static void stream_lost(struct agent *a, const char *why)
{
	bool was = a->subscribed;
	a->stream = NULL;
	a->subscribed = false;
	uv_timer_stop(&a->response_timer);
	recordio_decoder_reset(&a->dec);
	if (was)
		log_warn("event stream ended: %s", why);
	else
		log_warn("SUBSCRIBE failed: %s", why);
	a->stats.reconnects++;
	if (a->cbs.on_disconnected)
		a->cbs.on_disconnected(a->cbs.data);
	schedule_retry(a, was);
}

static int on_record(void *data, const uint8_t *rec, size_t len)
{
	struct agent *a = data;
	char err[256];
	mesos_event *ev = mesos_event_decode(a->stream_enc, rec, len, err, sizeof(err));
	if (!ev) {
		snprintf(a->stream_error, sizeof(a->stream_error), "malformed event (%s)", err);
		return 1; /* treated as a broken stream */
	}
	a->stats.events++;
	if (ev->type == MESOS__V1__EXECUTOR__EVENT__TYPE__SUBSCRIBED && !a->subscribed) {
		a->subscribed = true;
		pump_calls(a);
	}
	log_debug("event %s", mesos_event_type_name(ev->type));
	a->cbs.on_event(a->cbs.data, ev);
	return a->closing ? 1 : 0;
}

static int stream_response(void *data, long status, const char *ct)
{
	struct agent *a = data;
	uv_timer_stop(&a->response_timer);
	if (a->cbs.on_connected)
		a->cbs.on_connected(a->cbs.data);
	if (status != 200) {
		snprintf(a->stream_error, sizeof(a->stream_error), "agent answered %ld%s", status,
		         status == 503   ? " (recovering)"
		         : status == 404 ? " (not ready)"
		                         : "");
		return 1;
	}
	int enc = mesos_encoding_from_content_type(ct);
	a->stream_enc = enc >= 0 ? (enum mesos_encoding)enc : a->cfg->encoding;
	a->got_200 = true;
	a->stats.subscribes++;
	return 0;
}

static int stream_data(void *data, const char *bytes, size_t len)
{
	struct agent *a = data;
	int rc = recordio_decoder_feed(&a->dec, bytes, len, on_record, a);
	if (rc < 0)
		snprintf(a->stream_error, sizeof(a->stream_error), "bad RecordIO framing (%s)",
		         a->dec.err);
	return rc != 0;
}

static void stream_done(void *data, const struct httpc_result *res)
{
	struct agent *a = data;
	char why[400];
	if (a->stream_error[0])
		snprintf(why, sizeof(why), "%s", a->stream_error);
	else if (res->error)
		snprintf(why, sizeof(why), "%s", res->error);
	else if (recordio_decoder_finish(&a->dec) < 0)
		snprintf(why, sizeof(why), "%s", a->dec.err);
	else
		snprintf(why, sizeof(why), "the agent closed it");
	stream_lost(a, why);
}

static void on_response_timeout(uv_timer_t *t)
{
	struct agent *a = t->data;
	if (!a->stream || a->got_200)
		return;
	httpc_cancel(a->stream);
	stream_lost(a, "no answer to SUBSCRIBE in time");
}

static void subscribe(struct agent *a)
{
	size_t len = 0;
	uint8_t *body;

	if (a->closing || a->stream)
		return;
	body = a->cbs.subscribe_body(a->cbs.data, a->cfg->encoding, &len);
	if (!body) {
		log_error("cannot build SUBSCRIBE: out of memory");
		schedule_retry(a, false);
		return;
	}
	a->got_200 = false;
	a->stream_error[0] = '\0';
	recordio_decoder_reset(&a->dec);
	a->stream = httpc_start(a->http, &(struct httpc_opts){
	                                     .method = "POST",
	                                     .url = a->cfg->url,
	                                     .unix_socket = a->cfg->unix_path,
	                                     .headers = a->headers_stream,
	                                     .body = body,
	                                     .body_len = len,
	                                     .insecure = !a->cfg->tls_verify,
	                                     .ca_file = a->cfg->ssl_ca_file,
	                                     .ca_dir = a->cfg->ssl_ca_dir,
	                                     .client_cert = a->cfg->ssl_cert_file,
	                                     .client_key = a->cfg->ssl_key_file,
	                                     .on_response = stream_response,
	                                     .on_data = stream_data,
	                                     .on_done = stream_done,
	                                     .data = a,
	                                 });
	free(body);
	if (!a->stream) {
		log_error("cannot start SUBSCRIBE request");
		schedule_retry(a, false);
		return;
	}
	/* This timer bounds the connection and the answer together; a curl
	 * connect timeout on the stream would outlive the connection as a timer
	 * that wakes the idle executor once, 10 s after it started. */
	uv_timer_start(&a->response_timer, on_response_timeout,
	               (uint64_t)(a->cfg->http_timeout_ns / 1000000), 0);
	log_debug("SUBSCRIBE sent (%zu bytes)", len);
}

/* ------------------------------------------------------------ calls */

static void call_free(struct call *c)
{
	free(c->body);
	free(c);
}

static void on_call_retry(uv_timer_t *t)
{
	pump_calls(t->data);
}

static void call_done(void *data, const struct httpc_result *res)
{
	struct agent *a = data;
	struct call *c = a->head;
	a->in_flight = NULL;
	/* An UPDATE the agent could not take now (503 while it recovers, another
	 * 5xx, no answer) is tried again before anything queued behind it: the
	 * agent must see updates in the order they were sent, or a late one
	 * overwrites a newer state. Once the stream is gone, the next SUBSCRIBE
	 * carries it with the others, in order. */
	if (res->status != 202 && a->subscribed && !a->closing && strcmp(c->what, "UPDATE") == 0 &&
	    (res->error || res->status >= 500)) {
		a->stats.call_failures++;
		if (res->error)
			log_warn("UPDATE call failed: %s: trying again in %u ms", res->error,
			         a->call_retry_ms);
		else
			log_warn("UPDATE call answered %ld (%.200s): trying again in %u ms",
			         res->status, res->body ? res->body : "", a->call_retry_ms);
		uv_timer_start(&a->call_retry_timer, on_call_retry, a->call_retry_ms, 0);
		a->call_retry_ms = a->call_retry_ms * 2 > CALL_RETRY_MAX_MS ? CALL_RETRY_MAX_MS
		                                                            : a->call_retry_ms * 2;
		return;
	}
	a->call_retry_ms = CALL_RETRY_FIRST_MS;
	a->head = c->next;
	if (!a->head)
		a->tail = NULL;
	if (res->status != 202) {
		a->stats.call_failures++;
		if (res->error)
			log_warn("%s call failed: %s", c->what, res->error);
		else
			log_warn("%s call answered %ld: %.200s", c->what, res->status, res->body);
	}
	call_free(c);
	pump_calls(a);
}

static void pump_calls(struct agent *a)
{
	if (a->in_flight || !a->head || a->closing)
		return;
	if (!a->subscribed) { /* drop: the next SUBSCRIBE carries what matters */
		uv_timer_stop(&a->call_retry_timer);
		a->call_retry_ms = CALL_RETRY_FIRST_MS;
		while (a->head) {
			struct call *c = a->head;
			a->head = c->next;
			log_debug("%s call dropped while not subscribed", c->what);
			call_free(c);
		}
		a->tail = NULL;
		return;
	}
	if (uv_is_active((uv_handle_t *)&a->call_retry_timer))
		return; /* on_call_retry sends the head again */
	struct call *c = a->head;
	a->stats.calls++;
	a->in_flight =
	    httpc_start(a->http, &(struct httpc_opts){
	                             .method = "POST",
	                             .url = a->cfg->url,
	                             .unix_socket = a->cfg->unix_path,
	                             .headers = a->headers_call,
	                             .body = c->body,
	                             .body_len = c->len,
	                             .timeout_ms = a->cfg->http_timeout_ns / 1000000,
	                             .connect_timeout_ms = a->cfg->http_timeout_ns / 1000000,
	                             .insecure = !a->cfg->tls_verify,
	                             .ca_file = a->cfg->ssl_ca_file,
	                             .ca_dir = a->cfg->ssl_ca_dir,
	                             .client_cert = a->cfg->ssl_cert_file,
	                             .client_key = a->cfg->ssl_key_file,
	                             .on_done = call_done,
	                             .data = a,
	                         });
	if (!a->in_flight) {
		a->head = c->next;
		if (!a->head)
			a->tail = NULL;
		log_error("cannot start %s call", c->what);
		call_free(c);
	}
}

void agent_call(struct agent *a, const char *what, uint8_t *body, size_t len)
{
	struct call *c = calloc(1, sizeof(*c));
	if (!c || !body) {
		free(c);
		free(body);
		log_error("out of memory queueing a %s call", what);
		return;
	}
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->body = body;
	c->len = len;
	if (a->tail)
		a->tail->next = c;
	else
		a->head = c;
	a->tail = c;
	pump_calls(a);
}

static void on_heartbeat(uv_timer_t *t)
{
	struct agent *a = t->data;
	Mesos__V1__Executor__Call call = MESOS__V1__EXECUTOR__CALL__INIT;
	Mesos__V1__ExecutorID eid = MESOS__V1__EXECUTOR_ID__INIT;
	Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
	size_t len;
	eid.value = a->cfg->executor_id;
	fid.value = a->cfg->framework_id;
	call.executor_id = &eid;
	call.framework_id = &fid;
	call.has_type = 1;
	call.type = MESOS__V1__EXECUTOR__CALL__TYPE__HEARTBEAT;
	uint8_t *body = mesos_encode(a->cfg->encoding, &call.base, false, &len);
	agent_call(a, "HEARTBEAT", body, len);
}

/* ------------------------------------------------------------ lifecycle */

struct agent *agent_new(uv_loop_t *loop, struct httpc *http, const struct ex_config *cfg,
                        const struct agent_cbs *cbs)
{
	struct agent *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->loop = loop;
	a->http = http;
	a->cfg = cfg;
	a->cbs = *cbs;
	a->reconnect = true;
	recordio_decoder_init(&a->dec, RECORDIO_DEFAULT_MAX);
	const char *type = mesos_content_type(cfg->encoding);
	snprintf(a->ct, sizeof(a->ct), "Content-Type: %s", type);
	snprintf(a->accept, sizeof(a->accept), "Accept: %s", type);
	int n = 0;
	a->headers_stream[n] = a->ct;
	a->headers_call[n++] = a->ct;
	a->headers_stream[n] = a->accept;
	a->headers_call[n++] = a->accept;
	if (cfg->auth_token) {
		snprintf(a->auth, sizeof(a->auth), "Authorization: Bearer %s", cfg->auth_token);
		a->headers_stream[n] = a->auth;
		a->headers_call[n++] = a->auth;
	}
	uv_timer_init(loop, &a->retry_timer);
	uv_timer_init(loop, &a->heartbeat_timer);
	uv_timer_init(loop, &a->response_timer);
	uv_timer_init(loop, &a->call_retry_timer);
	a->retry_timer.data = a->heartbeat_timer.data = a->response_timer.data = a;
	a->call_retry_timer.data = a;
	a->call_retry_ms = CALL_RETRY_FIRST_MS;
	a->open_handles = 4;
	return a;
}

void agent_start(struct agent *a)
{
	uv_timer_start(&a->heartbeat_timer, on_heartbeat, HEARTBEAT_CALL_MS, HEARTBEAT_CALL_MS);
	subscribe(a);
}

void agent_stop_reconnecting(struct agent *a)
{
	a->reconnect = false;
}

void agent_stats(const struct agent *a, struct agent_stats *out)
{
	*out = a->stats;
}

static void handle_closed(uv_handle_t *h)
{
	struct agent *a = h->data;
	if (--a->open_handles == 0) {
		recordio_decoder_free(&a->dec);
		free(a);
	}
}

void agent_close(struct agent *a)
{
	a->closing = true;
	if (a->stream)
		httpc_cancel(a->stream);
	if (a->in_flight)
		httpc_cancel(a->in_flight);
	while (a->head) {
		struct call *c = a->head;
		a->head = c->next;
		call_free(c);
	}
	uv_close((uv_handle_t *)&a->retry_timer, handle_closed);
	uv_close((uv_handle_t *)&a->heartbeat_timer, handle_closed);
	uv_close((uv_handle_t *)&a->response_timer, handle_closed);
	uv_close((uv_handle_t *)&a->call_retry_timer, handle_closed);
}
