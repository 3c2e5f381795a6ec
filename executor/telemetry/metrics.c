/* Metrics registry and reporter (see metrics.h). The registry is a sorted
 * array searched by name; a report collects the sources and the process
 * gauges, renders the text and either logs it or sends it to Graphite over
 * a fresh TCP connection (resolve, connect, write, close), which is how
 * Graphite clients usually talk to carbon. One report is in flight at a
 * time; one still unfinished when the next is due is abandoned. */
#include "metrics.h"

#include "common/log.h"
#include "executor/telemetry/runenv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum kind { COUNTER, GAUGE, TIMING };

struct entry {
	char *name; /* owned */
	enum kind kind;
	double value; /* counter or gauge */
	uint64_t count;
	double sum, max;
};

struct source {
	metrics_source_fn fn;
	void *data;
};

/* One report on its way to Graphite; freed in close_cb. */
struct send {
	struct metrics *m; /* NULL once abandoned */
	uv_getaddrinfo_t resolve;
	uv_connect_t connect;
	uv_write_t write;
	uv_tcp_t tcp;
	bool tcp_open, resolving, done;
	char *text; /* owned */
	size_t len;
};

struct metrics {
	uv_loop_t *loop;
	uv_timer_t timer;
	char *host;      /* Graphite host, owned; NULL: log */
	char port[8];    /* Graphite port as text */
	char path[1024]; /* "<prefix>.<host>.<executor>." */
	uint64_t interval_ms;
	struct entry *e; /* sorted by name, owned */
	size_t n, cap;
	struct source src[8];
	size_t nsrc;
	struct send *inflight;
	struct metrics_stats st;
	bool failing; /* the last report failed (log once per streak) */
	bool closing;
	/* for process.cpu_percent */
	uint64_t last_hr;
	double last_cpu;
	uint64_t start_hr;
};

/* ------------------------------------------------------------ registry */

static struct entry *find(const struct metrics *m, const char *name, size_t *pos)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->e[mid].name, name);
		if (c == 0)
			return &m->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return NULL;
}

static struct entry *get(struct metrics *m, const char *name, enum kind kind)
{
	size_t pos;
	struct entry *e = find(m, name, &pos);
	if (e)
		return e;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 32;
		struct entry *ne = realloc(m->e, cap * sizeof(*ne));
		if (!ne)
			return NULL;
		m->e = ne;
		m->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return NULL;
	memmove(&m->e[pos + 1], &m->e[pos], (m->n - pos) * sizeof(*m->e));
	m->n++;
	e = &m->e[pos];
	memset(e, 0, sizeof(*e));
	e->name = copy;
	e->kind = kind;
	return e;
}

void metrics_add(struct metrics *m, const char *name, int64_t delta)
{
	struct entry *e = m ? get(m, name, COUNTER) : NULL;
	if (e)
		e->value += (double)delta;
}

void metrics_set(struct metrics *m, const char *name, double value)
{
	struct entry *e = m ? get(m, name, GAUGE) : NULL;
	if (e)
		e->value = value;
}

void metrics_observe(struct metrics *m, const char *name, double value)
{
	struct entry *e = m ? get(m, name, TIMING) : NULL;
	if (!e)
		return;
	e->count++;
	e->sum += value;
	if (e->count == 1 || value > e->max)
		e->max = value;
	e->value = (double)e->count;
}

double metrics_get(const struct metrics *m, const char *name)
{
	const struct entry *e = m ? find(m, name, NULL) : NULL;
	return e ? e->value : 0;
}

void metrics_add_source(struct metrics *m, metrics_source_fn fn, void *data)
{
	if (m && m->nsrc < sizeof(m->src) / sizeof(m->src[0]))
		m->src[m->nsrc++] = (struct source){fn, data};
}

void metrics_remove_source(struct metrics *m, metrics_source_fn fn, void *data)
{
	for (size_t i = 0; m && i < m->nsrc; i++)
		if (m->src[i].fn == fn && m->src[i].data == data) {
			m->src[i] = m->src[--m->nsrc];
			return;
		}
}

void metrics_stats(const struct metrics *m, struct metrics_stats *out)
{
	if (m)
		*out = m->st;
	else
		memset(out, 0, sizeof(*out));
}

/* ------------------------------------------------------------ rendering */

static int fmt_value(char *buf, size_t len, double v)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		return snprintf(buf, len, "%lld", (long long)v);
	return snprintf(buf, len, "%.3f", isfinite(v) ? v : 0.0);
}

struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put_line(struct text *t, const char *prefix, const char *name, const char *suffix,
                     double v, long ts, bool logfmt)
{
	char val[64];
	fmt_value(val, sizeof(val), v);
	size_t need = strlen(prefix) + strlen(name) + strlen(suffix) + strlen(val) + 40;
	if (t->oom)
		return;
	if (t->len + need > t->cap) {
		size_t cap = (t->cap ? t->cap * 2 : 4096) + need;
		char *nb = realloc(t->buf, cap);
		if (!nb) {
			t->oom = true;
			return;
		}
		t->buf = nb;
		t->cap = cap;
	}
	if (logfmt)
		t->len += (size_t)snprintf(t->buf + t->len, t->cap - t->len, "%s%s%s=%s",
		                           t->len ? " " : "", name, suffix, val);
	else
		t->len += (size_t)snprintf(t->buf + t->len, t->cap - t->len, "%s%s%s %s %ld\n",
		                           prefix, name, suffix, val, ts);
}

char *metrics_render(struct metrics *m, const char *prefix, long ts, bool logfmt, size_t *len)
{
	struct text t = {0};
	for (size_t i = 0; i < m->n; i++) {
		const struct entry *e = &m->e[i];
		if (e->kind == TIMING) {
			put_line(&t, prefix, e->name, ".count", (double)e->count, ts, logfmt);
			put_line(&t, prefix, e->name, ".mean", e->count ? e->sum / e->count : 0, ts,
			         logfmt);
			put_line(&t, prefix, e->name, ".max", e->max, ts, logfmt);
		} else {
			put_line(&t, prefix, e->name, "", e->value, ts, logfmt);
		}
	}
	if (t.oom || !t.buf) {
		free(t.buf);
		t.buf = t.oom ? NULL : strdup("");
		t.len = 0;
	}
	if (len)
		*len = t.len;
	return t.buf;
}

void metrics_path_prefix(const char *prefix, const char *hostname, const char *executor_id,
                         char *buf, size_t len)
{
	char host[256], exec[256];
	runenv_graphite_segment(hostname, host, sizeof(host));
	runenv_graphite_segment(executor_id, exec, sizeof(exec));
	snprintf(buf, len, "%s.%s.%s.", prefix, host, exec);
}

/* ------------------------------------------------------------ sending */

static void send_close_cb(uv_handle_t *h)
{
	struct send *s = h->data;
	free(s->text);
	free(s);
}

/* Ends a send: counts it (unless abandoned) and releases it. */
static void send_finish(struct send *s, int status, const char *what)
{
	struct metrics *m = s->m;
	if (s->done)
		return;
	s->done = true;
	if (m) {
		m->inflight = NULL;
		if (status == 0) {
			m->st.sent++;
			if (m->failing)
				log_info("metrics: Graphite at %s:%s reachable again", m->host,
				         m->port);
			m->failing = false;
		} else {
			m->st.failed++;
			if (!m->failing)
				log_warn("metrics: cannot send to Graphite at %s:%s: %s: %s "
				         "(further failures are counted, not logged)",
				         m->host, m->port, what, uv_strerror(status));
			m->failing = true;
		}
	}
	if (s->tcp_open) {
		if (!uv_is_closing((uv_handle_t *)&s->tcp))
			uv_close((uv_handle_t *)&s->tcp, send_close_cb);
	} else if (!s->resolving) {
		free(s->text);
		free(s);
	}
	if (m && m->closing)
		metrics_close(m); /* finish closing now that nothing is in flight */
}

static void on_written(uv_write_t *w, int status)
{
	struct send *s = w->data;
	send_finish(s, status, "write");
}

static void on_connected(uv_connect_t *c, int status)
{
	struct send *s = c->data;
	if (status < 0) {
		send_finish(s, status, "connect");
		return;
	}
	if (s->done)
		return;
	uv_buf_t b = uv_buf_init(s->text, (unsigned)s->len);
	s->write.data = s;
	int rc = uv_write(&s->write, (uv_stream_t *)&s->tcp, &b, 1, on_written);
	if (rc < 0)
		send_finish(s, rc, "write");
}

static void on_resolved(uv_getaddrinfo_t *r, int status, struct addrinfo *ai)
{
	struct send *s = r->data;
	s->resolving = false;
	if (status < 0 || s->done || !s->m) {
		uv_freeaddrinfo(ai);
		if (s->done) {
			free(s->text);
			free(s);
		} else {
			send_finish(s, status < 0 ? status : UV_ECANCELED, "resolve");
		}
		return;
	}
	int rc = uv_tcp_init(s->m->loop, &s->tcp);
	if (rc == 0) {
		s->tcp_open = true;
		s->tcp.data = s;
		s->connect.data = s;
		rc = uv_tcp_connect(&s->connect, &s->tcp, ai->ai_addr, on_connected);
	}
	uv_freeaddrinfo(ai);
	if (rc < 0)
		send_finish(s, rc, "connect");
}

/* Abandons the report in flight (it took longer than an interval). */
static void abandon(struct metrics *m)
{
	struct send *s = m->inflight;
	if (!s)
		return;
	m->st.superseded++;
	s->m = NULL;
	m->inflight = NULL;
	if (s->resolving) {
		s->done = true;
		uv_cancel((uv_req_t *)&s->resolve); /* on_resolved frees it */
	} else {
		send_finish(s, UV_ECANCELED, "abandoned");
	}
}

static void send_report(struct metrics *m, char *text, size_t len)
{
	struct send *s = calloc(1, sizeof(*s));
	if (!s) {
		free(text);
		m->st.failed++;
		return;
	}
	s->m = m;
	s->text = text;
	s->len = len;
	s->resolve.data = s;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	s->resolving = true;
	m->inflight = s;
	int rc = uv_getaddrinfo(m->loop, &s->resolve, on_resolved, m->host, m->port, &hints);
	if (rc < 0) {
		s->resolving = false;
		send_finish(s, rc, "resolve");
	}
}

/* ------------------------------------------------------------ reporting */

static double cpu_seconds(void)
{
	uv_rusage_t ru;
	if (uv_getrusage(&ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void collect(struct metrics *m)
{
	for (size_t i = 0; i < m->nsrc; i++)
		m->src[i].fn(m->src[i].data, m);

	size_t rss = 0;
	if (uv_resident_set_memory(&rss) == 0)
		metrics_set(m, "process.rss_bytes", (double)rss);
	uint64_t now = uv_hrtime();
	double cpu = cpu_seconds();
	metrics_set(m, "process.cpu_seconds", cpu);
	if (now - m->last_hr >= 100000000) { /* shorter spans say nothing */
		metrics_set(m, "process.cpu_percent",
		            100.0 * (cpu - m->last_cpu) / ((double)(now - m->last_hr) / 1e9));
		m->last_cpu = cpu;
		m->last_hr = now;
	}
	metrics_set(m, "process.uptime_seconds", (double)(now - m->start_hr) / 1e9);
}

void metrics_flush(struct metrics *m)
{
	if (!m)
		return;
	collect(m);
	m->st.reports++;
	size_t len;
	if (!m->host) {
		char *text = metrics_render(m, "", 0, true, &len);
		if (text)
			log_info("metrics %s", text);
		free(text);
		return;
	}
	abandon(m);
	char *text = metrics_render(m, m->path, (long)time(NULL), false, &len);
	if (!text) {
		m->st.failed++;
		return;
	}
	send_report(m, text, len);
}

static void on_tick(uv_timer_t *t)
{
	struct metrics *m = t->data;
	if (m->closing) { /* the last report's deadline */
		abandon(m);
		metrics_close(m);
		return;
	}
	metrics_flush(m);
}

/* ------------------------------------------------------------ lifecycle */

struct metrics *metrics_new(uv_loop_t *loop, const struct metrics_config *cfg, char *err,
                            size_t errlen)
{
	int port = cfg->graphite_port ? cfg->graphite_port : METRICS_DEFAULT_PORT;
	const char *prefix = cfg->prefix ? cfg->prefix : METRICS_DEFAULT_PREFIX;
	int64_t interval = cfg->interval_ns > 0 ? cfg->interval_ns : METRICS_DEFAULT_INTERVAL_NS;

	if (port < 1 || port > 65535) {
		snprintf(err, errlen, "ALLEGRO_EXECUTOR_GRAPHITE_PORT: expected 1 to 65535, got %d",
		         port);
		return NULL;
	}
	if (!*prefix || strchr(prefix, ' ')) {
		snprintf(err, errlen,
		         "ALLEGRO_EXECUTOR_GRAPHITE_PREFIX: expected a dotted path without "
		         "blanks, got '%s'",
		         prefix);
		return NULL;
	}
	if (interval < 1000000) {
		snprintf(err, errlen, "ALLEGRO_EXECUTOR_METRICS_INTERVAL: expected at least 1ms");
		return NULL;
	}
	struct metrics *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->loop = loop;
	if (cfg->graphite_host && *cfg->graphite_host)
		m->host = strdup(cfg->graphite_host);
	snprintf(m->port, sizeof(m->port), "%d", port);
	char host[256];
	if (cfg->hostname)
		snprintf(host, sizeof(host), "%s", cfg->hostname);
	else
		runenv_hostname(NULL, host, sizeof(host));
	metrics_path_prefix(prefix, host, cfg->executor_id ? cfg->executor_id : "unknown", m->path,
	                    sizeof(m->path));
	m->interval_ms = (uint64_t)(interval / 1000000);
	m->start_hr = m->last_hr = uv_hrtime();
	m->last_cpu = cpu_seconds();
	uv_timer_init(loop, &m->timer);
	m->timer.data = m;
	uv_unref((uv_handle_t *)&m->timer);
	return m;
}

void metrics_start(struct metrics *m)
{
	if (!m)
		return;
	if (m->host)
		log_info("metrics: reporting to Graphite at %s:%s every %llums as %s*", m->host,
		         m->port, (unsigned long long)m->interval_ms, m->path);
	else
		log_info("metrics: no ALLEGRO_EXECUTOR_GRAPHITE_HOST, logging them every %llums",
		         (unsigned long long)m->interval_ms);
	uv_timer_start(&m->timer, on_tick, m->interval_ms, m->interval_ms);
}

static void timer_closed(uv_handle_t *h)
{
	struct metrics *m = h->data;
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].name);
	free(m->e);
	free(m->host);
	free(m);
}

/* First call: stop, make the last report and wait for it (1 s at most).
 * Called again by send_finish or the deadline: release everything. */
void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	if (!m->closing) {
		m->closing = true;
		uv_timer_stop(&m->timer);
		m->closing = false; /* metrics_flush must not see a closing reporter */
		metrics_flush(m);
		m->closing = true;
		if (m->inflight) {
			uv_timer_start(&m->timer, on_tick, 1000, 0);
			return;
		}
	}
	if (m->inflight || uv_is_closing((uv_handle_t *)&m->timer))
		return;
	uv_timer_stop(&m->timer);
	uv_close((uv_handle_t *)&m->timer, timer_closed);
}
