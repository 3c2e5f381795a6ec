/* The shipper's output side (see logship_parts.h): a bounded queue of
 * entries and one sender per Logstash instance.
 *
 * An entry is checked against the size limit, the rate limit (token bucket)
 * and the buffer bounds, then copied into a ring. TCP instances each take
 * a batch from the ring when they are idle, round-robin, and write it with
 * one uv_write; a batch lost with a broken connection is counted, not
 * resent (it may have partly arrived). A broken or refused connection is
 * retried after a backoff that doubles from 100 ms to 5 s and resets after
 * a successful write. UDP sends one datagram per entry to the next instance
 * in turn, with uv_udp_try_send and uv_udp_send only when the socket is
 * full. Everything runs on the loop; nothing here ever waits. */
#include "logship_parts.h"

#include "common/log.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH_MAX       64
#define BATCH_BYTES     (256 * 1024)
#define BACKOFF_MIN_MS  100
#define BACKOFF_MAX_MS  5000
#define UDP_MAX         65507
#define USER_TIMEOUT_MS 30000 /* unacknowledged data: give the connection up */

struct item {
	char *data; /* owned */
	size_t len;
};

enum dstate { D_RESOLVING, D_CONNECTING, D_READY, D_WAITING, D_CLOSED };

struct dest {
	struct logship_out *o;
	char *addr; /* owned */
	char host[256], port[16];
	enum dstate state;
	bool resolving; /* a getaddrinfo request is out */
	uv_getaddrinfo_t gai;
	uv_timer_t timer; /* connect deadline, then backoff */
	uv_tcp_t tcp;
	bool tcp_open;
	uv_connect_t conn;
	struct sockaddr_storage sa; /* UDP: where to send */
	uint64_t backoff_ms;
	bool failing; /* the failure was logged; log the recovery */
	bool removed; /* no longer a target: close when idle */
	int handles;  /* open: timer, tcp */
	/* the batch being written */
	uv_write_t wr;
	struct item batch[BATCH_MAX];
	uv_buf_t bufs[BATCH_MAX];
	size_t nbatch, batch_bytes;
	bool writing;
};

struct logship_out {
	uv_loop_t *loop;
	struct logship_out_config cfg;
	struct item *ring; /* owned, cfg.buffer_lines slots */
	size_t head, count;
	size_t held, held_bytes; /* in the ring and being written */
	struct logship_bucket bucket;
	struct dest **dests; /* owned */
	size_t nd, rr;
	uv_udp_t udp;
	bool udp_open, udp_busy;
	uv_udp_send_t udp_req;
	struct item udp_item;
	size_t udp_rr;
	uv_timer_t timer; /* flush deadline */
	int handles;      /* open: timer, udp */
	struct logship_out_stats st;
	bool closing, finishing;
	void (*close_cb)(void *data, const struct logship_out_stats *final);
	void *close_data;
};

static void pump(struct logship_out *o);
static void connect_dest(struct dest *d);
static void maybe_free_out(struct logship_out *o);

/* ------------------------------------------------------------ helpers */

int logship_split_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon;
	const char *h = addr;
	size_t hl;
	if (*addr == '[') {
		const char *rb = strchr(addr, ']');
		if (!rb || rb[1] != ':')
			return -1;
		h = addr + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || strchr(addr, ':') != colon)
			return -1;
		hl = (size_t)(colon - addr);
	}
	const char *p = colon + 1;
	char *end;
	long n = strtol(p, &end, 10);
	if (!hl || hl >= hostlen || !*p || *end || n < 1 || n > 65535 ||
	    strspn(p, "0123456789") != strlen(p))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%ld", n);
	return 0;
}

void logship_bucket_init(struct logship_bucket *b, long rate, uint64_t now_ms)
{
	b->rate = rate;
	b->tokens = (double)rate;
	b->last_ms = now_ms;
}

bool logship_bucket_take(struct logship_bucket *b, uint64_t now_ms)
{
	if (b->rate <= 0)
		return true;
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * (double)b->rate / 1000.0;
		if (b->tokens > (double)b->rate)
			b->tokens = (double)b->rate;
		b->last_ms = now_ms;
	}
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

static void release(struct logship_out *o, struct item *it)
{
	o->held--;
	o->held_bytes -= it->len;
	free(it->data);
	it->data = NULL;
}

static bool ring_pop(struct logship_out *o, struct item *it)
{
	if (!o->count)
		return false;
	*it = o->ring[o->head];
	o->head = (o->head + 1) % (size_t)o->cfg.buffer_lines;
	o->count--;
	return true;
}

/* ------------------------------------------------------------ accepting */

void logship_out_send(struct logship_out *o, const char *entry, size_t len)
{
	if (o->closing) {
		o->st.dropped_stop++;
		return;
	}
	if (o->cfg.size_limit > 0 && len > (size_t)o->cfg.size_limit) {
		o->st.dropped_size++;
		return;
	}
	if (!logship_bucket_take(&o->bucket, uv_now(o->loop))) {
		o->st.dropped_rate++;
		return;
	}
	if (o->held >= (size_t)o->cfg.buffer_lines || o->held_bytes + len > o->cfg.buffer_bytes) {
		o->st.dropped_buffer++;
		return;
	}
	char *copy = malloc(len);
	if (!copy) {
		o->st.dropped_buffer++;
		return;
	}
	memcpy(copy, entry, len);
	o->ring[(o->head + o->count) % (size_t)o->cfg.buffer_lines] = (struct item){copy, len};
	o->count++;
	o->held++;
	o->held_bytes += len;
}

void logship_out_kick(struct logship_out *o)
{
	pump(o);
}

void logship_out_stats(const struct logship_out *o, struct logship_out_stats *out)
{
	*out = o->st;
	out->queued = o->held;
	out->targets = o->nd;
}

/* ------------------------------------------------------------ destinations */

static void dest_free_if_done(struct dest *d)
{
	struct logship_out *o = d->o;
	if (d->state != D_CLOSED || d->handles || d->resolving)
		return;
	for (size_t i = 0; i < o->nd; i++)
		if (o->dests[i] == d) {
			memmove(&o->dests[i], &o->dests[i + 1],
			        (o->nd - i - 1) * sizeof(*o->dests));
			o->nd--;
			break;
		}
	free(d->addr);
	free(d);
	maybe_free_out(o);
}

static void dest_handle_closed(uv_handle_t *h)
{
	struct dest *d = h->data;
	if (h == (uv_handle_t *)&d->tcp)
		d->tcp_open = false;
	d->handles--;
	dest_free_if_done(d);
}

static void dest_close(struct dest *d)
{
	if (d->state == D_CLOSED)
		return;
	d->state = D_CLOSED;
	if (d->resolving)
		uv_cancel((uv_req_t *)&d->gai);
	uv_close((uv_handle_t *)&d->timer, dest_handle_closed);
	if (d->tcp_open && !uv_is_closing((uv_handle_t *)&d->tcp))
		uv_close((uv_handle_t *)&d->tcp, dest_handle_closed);
	dest_free_if_done(d);
}

static void on_backoff(uv_timer_t *t)
{
	struct dest *d = t->data;
	if (d->state == D_WAITING)
		connect_dest(d);
}

static void start_backoff(struct dest *d)
{
	if (d->state != D_WAITING)
		return;
	/* wait between half and all of the current step, then double it */
	uint64_t step = d->backoff_ms;
	uint64_t wait = step / 2 + (uv_hrtime() % (step / 2 + 1));
	d->backoff_ms = step * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : step * 2;
	uv_timer_start(&d->timer, on_backoff, wait, 0);
}

static void tcp_closed_then_backoff(uv_handle_t *h)
{
	struct dest *d = h->data;
	d->tcp_open = false;
	d->handles--;
	if (d->state == D_WAITING)
		start_backoff(d);
	else
		dest_free_if_done(d);
}

/* The connection failed or broke: close it and try again later. */
static void dest_fail(struct dest *d, int status, const char *what)
{
	struct logship_out *o = d->o;
	if (d->state == D_CLOSED || d->state == D_WAITING)
		return;
	if (d->state == D_RESOLVING || d->state == D_CONNECTING)
		o->st.connect_failures++;
	if (!d->failing)
		log_warn("log shipping: Logstash at %s: %s: %s; retrying with backoff (lines are "
		         "dropped and counted while it is away)",
		         d->addr, what, uv_strerror(status));
	d->failing = true;
	d->state = D_WAITING;
	uv_timer_stop(&d->timer);
	if (d->tcp_open) {
		if (!uv_is_closing((uv_handle_t *)&d->tcp))
			uv_close((uv_handle_t *)&d->tcp, tcp_closed_then_backoff);
	} else {
		start_backoff(d);
	}
}

static void on_connect_timeout(uv_timer_t *t)
{
	struct dest *d = t->data;
	if (d->state == D_CONNECTING)
		dest_fail(d, UV_ETIMEDOUT, "connect");
}

static void alloc_discard(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	static char sink[512]; /* Logstash sends nothing; anything read is discarded */
	*buf = uv_buf_init(sink, sizeof(sink));
}

static void on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct dest *d = s->data;
	if (nread < 0)
		dest_fail(d, (int)nread, nread == UV_EOF ? "closed the connection" : "read");
}

static void became_ready(struct dest *d)
{
	d->state = D_READY;
	if (d->failing)
		log_info("log shipping: Logstash at %s is back", d->addr);
	d->failing = false;
	pump(d->o);
}

static void on_connect(uv_connect_t *c, int status)
{
	struct dest *d = c->data;
	if (d->state != D_CONNECTING)
		return; /* closed or failed meanwhile */
	uv_timer_stop(&d->timer);
	if (status < 0) {
		dest_fail(d, status, "connect");
		return;
	}
	struct logship_out *o = d->o;
	o->st.connects++;
	uv_tcp_nodelay(&d->tcp, 1);
	unsigned ka = (unsigned)(o->cfg.keepalive_ns / 1000000000);
	uv_tcp_keepalive(&d->tcp, 1, ka ? ka : 1);
	uv_os_fd_t fd;
	if (uv_fileno((uv_handle_t *)&d->tcp, &fd) == 0) {
		unsigned ut = USER_TIMEOUT_MS;
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	}
	uv_read_start((uv_stream_t *)&d->tcp, alloc_discard, on_tcp_read);
	became_ready(d);
}

static void on_resolved(uv_getaddrinfo_t *r, int status, struct addrinfo *ai)
{
	struct dest *d = r->data;
	d->resolving = false;
	if (d->state != D_RESOLVING) {
		uv_freeaddrinfo(ai);
		dest_free_if_done(d);
		return;
	}
	if (status < 0 || !ai) {
		uv_freeaddrinfo(ai);
		dest_fail(d, status < 0 ? status : UV_EAI_NONAME, "resolve");
		return;
	}
	struct logship_out *o = d->o;
	if (o->cfg.udp) {
		memcpy(&d->sa, ai->ai_addr, ai->ai_addrlen);
		uv_freeaddrinfo(ai);
		became_ready(d);
		return;
	}
	int rc = uv_tcp_init(o->loop, &d->tcp);
	if (rc == 0) {
		d->tcp_open = true;
		d->handles++;
		d->tcp.data = d;
		d->conn.data = d;
		d->state = D_CONNECTING;
		rc = uv_tcp_connect(&d->conn, &d->tcp, ai->ai_addr, on_connect);
	}
	uv_freeaddrinfo(ai);
	if (rc < 0) {
		d->state = D_CONNECTING;
		dest_fail(d, rc, "connect");
		return;
	}
	uint64_t ms = (uint64_t)(o->cfg.connect_timeout_ns / 1000000);
	uv_timer_start(&d->timer, on_connect_timeout, ms ? ms : 1, 0);
}

static void connect_dest(struct dest *d)
{
	struct logship_out *o = d->o;
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = o->cfg.udp ? SOCK_DGRAM : SOCK_STREAM};
	d->state = D_RESOLVING;
	d->gai.data = d;
	int rc = uv_getaddrinfo(o->loop, &d->gai, on_resolved, d->host, d->port, &hints);
	if (rc < 0) {
		dest_fail(d, rc, "resolve");
		return;
	}
	d->resolving = true;
}

static struct dest *dest_new(struct logship_out *o, const char *addr)
{
	struct dest *d = calloc(1, sizeof(*d));
	struct dest **nd = realloc(o->dests, (o->nd + 1) * sizeof(*nd));
	if (nd)
		o->dests = nd;
	if (!d || !nd || !(d->addr = strdup(addr)) ||
	    logship_split_addr(addr, d->host, sizeof(d->host), d->port, sizeof(d->port)) < 0) {
		if (d && d->addr)
			log_warn(
			    "log shipping: ignoring Logstash address '%s' (expected host:port)",
			    addr);
		if (d)
			free(d->addr);
		free(d);
		return NULL;
	}
	d->o = o;
	d->backoff_ms = BACKOFF_MIN_MS;
	uv_timer_init(o->loop, &d->timer);
	d->timer.data = d;
	d->tcp.data = d;
	d->handles = 1;
	o->dests[o->nd++] = d;
	connect_dest(d);
	return d;
}

void logship_out_set_targets(struct logship_out *o, const char *const *addrs, size_t n)
{
	if (o->closing)
		return;
	/* gone: close once idle */
	for (size_t i = 0; i < o->nd; i++) {
		struct dest *d = o->dests[i];
		bool keep = false;
		for (size_t k = 0; k < n && !keep; k++)
			keep = strcmp(d->addr, addrs[k]) == 0;
		if (!keep && !d->removed) {
			d->removed = true;
			if (!d->writing)
				dest_close(d); /* freed later, in a close callback */
		}
	}
	/* new */
	for (size_t k = 0; k < n; k++) {
		bool have = false;
		for (size_t i = 0; i < o->nd && !have; i++)
			have = !o->dests[i]->removed && strcmp(o->dests[i]->addr, addrs[k]) == 0;
		if (!have)
			dest_new(o, addrs[k]);
	}
}

/* ------------------------------------------------------------ writing */

static void on_written(uv_write_t *w, int status)
{
	struct dest *d = w->data;
	struct logship_out *o = d->o;
	d->writing = false;
	if (status == 0) {
		o->st.shipped += d->nbatch;
		d->backoff_ms = BACKOFF_MIN_MS;
	} else if (o->finishing) {
		o->st.dropped_stop += d->nbatch;
	} else {
		o->st.dropped_send += d->nbatch;
	}
	for (size_t i = 0; i < d->nbatch; i++)
		release(o, &d->batch[i]);
	d->nbatch = 0;
	if (status < 0)
		dest_fail(d, status, "write");
	if (d->removed)
		dest_close(d);
	pump(o);
}

/* Gives an idle, connected instance the next batch. */
static void write_batch(struct logship_out *o, struct dest *d)
{
	d->nbatch = 0;
	d->batch_bytes = 0;
	while (d->nbatch < BATCH_MAX && d->batch_bytes < BATCH_BYTES &&
	       ring_pop(o, &d->batch[d->nbatch])) {
		struct item *it = &d->batch[d->nbatch];
		d->bufs[d->nbatch] = uv_buf_init(it->data, (unsigned)it->len);
		d->batch_bytes += it->len;
		d->nbatch++;
	}
	if (!d->nbatch)
		return;
	d->wr.data = d;
	d->writing = true;
	int rc = uv_write(&d->wr, (uv_stream_t *)&d->tcp, d->bufs, (unsigned)d->nbatch, on_written);
	if (rc < 0) {
		d->writing = false;
		o->st.dropped_send += d->nbatch;
		for (size_t i = 0; i < d->nbatch; i++)
			release(o, &d->batch[i]);
		d->nbatch = 0;
		dest_fail(d, rc, "write");
	}
}

static struct dest *next_ready(struct logship_out *o, size_t *rr)
{
	for (size_t k = 0; k < o->nd; k++) {
		struct dest *d = o->dests[(*rr + k) % o->nd];
		if (d->state == D_READY && !d->removed && !d->writing) {
			*rr = (*rr + k + 1) % o->nd;
			return d;
		}
	}
	return NULL;
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
	struct logship_out *o = req->data;
	o->udp_busy = false;
	if (status == 0)
		o->st.shipped++;
	else if (o->finishing)
		o->st.dropped_stop++;
	else
		o->st.dropped_send++;
	release(o, &o->udp_item);
	pump(o);
}

static void udp_pump(struct logship_out *o)
{
	struct item it;
	while (!o->udp_busy && o->count) {
		struct dest *d = next_ready(o, &o->udp_rr);
		if (!d)
			return;
		ring_pop(o, &it);
		if (it.len > UDP_MAX) {
			o->st.dropped_size++;
			release(o, &it);
			continue;
		}
		uv_buf_t b = uv_buf_init(it.data, (unsigned)it.len);
		int rc = uv_udp_try_send(&o->udp, &b, 1, (const struct sockaddr *)&d->sa);
		if (rc == UV_EAGAIN) {
			o->udp_item = it;
			o->udp_req.data = o;
			rc = uv_udp_send(&o->udp_req, &o->udp, &b, 1,
			                 (const struct sockaddr *)&d->sa, on_udp_sent);
			if (rc == 0) {
				o->udp_busy = true;
				return;
			}
		}
		if (rc >= 0)
			o->st.shipped++;
		else
			o->st.dropped_send++;
		release(o, &it);
	}
}

static void finish(struct logship_out *o);

static void pump(struct logship_out *o)
{
	if (o->finishing)
		return;
	if (o->cfg.udp) {
		udp_pump(o);
	} else {
		struct dest *d;
		while (o->count && (d = next_ready(o, &o->rr)))
			write_batch(o, d);
	}
	if (o->closing && o->held == 0)
		finish(o);
}

/* ------------------------------------------------------------ lifecycle */

struct logship_out *logship_out_new(uv_loop_t *loop, const struct logship_out_config *cfg)
{
	struct logship_out *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->loop = loop;
	o->cfg = *cfg;
	if (o->cfg.buffer_lines < 1)
		o->cfg.buffer_lines = 1;
	o->ring = calloc((size_t)o->cfg.buffer_lines, sizeof(*o->ring));
	if (!o->ring) {
		free(o);
		return NULL;
	}
	logship_bucket_init(&o->bucket, cfg->rate_limit, uv_now(loop));
	uv_timer_init(loop, &o->timer);
	o->timer.data = o;
	o->handles = 1;
	if (cfg->udp && uv_udp_init(loop, &o->udp) == 0) {
		o->udp.data = o;
		o->udp_open = true;
		o->handles++;
	}
	return o;
}

static void maybe_free_out(struct logship_out *o)
{
	if (!o->finishing || o->handles || o->nd)
		return;
	void (*cb)(void *, const struct logship_out_stats *) = o->close_cb;
	void *data = o->close_data;
	struct logship_out_stats final;
	logship_out_stats(o, &final);
	free(o->dests);
	free(o->ring);
	free(o);
	if (cb)
		cb(data, &final);
}

static void out_handle_closed(uv_handle_t *h)
{
	struct logship_out *o = h->data;
	o->handles--;
	maybe_free_out(o);
}

/* Drops what is left and closes every handle. */
static void finish(struct logship_out *o)
{
	if (o->finishing)
		return;
	o->finishing = true;
	struct item it;
	while (ring_pop(o, &it)) {
		o->st.dropped_stop++;
		release(o, &it);
	}
	uv_timer_stop(&o->timer);
	uv_close((uv_handle_t *)&o->timer, out_handle_closed);
	if (o->udp_open)
		uv_close((uv_handle_t *)&o->udp, out_handle_closed);
	/* a dest is freed only after its handles' close callbacks: the array
	 * does not shrink here */
	for (size_t i = 0; i < o->nd; i++)
		dest_close(o->dests[i]);
	maybe_free_out(o);
}

static void on_flush_deadline(uv_timer_t *t)
{
	finish(t->data);
}

void logship_out_close(struct logship_out *o, uint64_t flush_ms,
                       void (*cb)(void *data, const struct logship_out_stats *final), void *data)
{
	o->closing = true;
	o->close_cb = cb;
	o->close_data = data;
	uv_timer_start(&o->timer, on_flush_deadline, flush_ms, 0);
	pump(o); /* finishes at once when nothing is held */
}
