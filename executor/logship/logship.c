/* Log shipping (see logship.h): the task's pipes read on the loop, the
 * sandbox copy, and the pieces of logship_parts.h wired together. */
#include "logship.h"

#include "common/log.h"
#include "executor/logship/logship_parts.h"
#include "executor/telemetry/runenv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)
#define PIPE_SIZE  (1024 * 1024) /* room for bursts while the loop is busy */

struct stream {
	struct logship *ls;
	const char *name; /* "stdout", "stderr" */
	uv_pipe_t pipe;
	bool open; /* the handle is not closed or closing */
	int copy_fd;
	struct logship_lines lines;
	char rbuf[READ_CHUNK];
};

struct logship {
	uv_loop_t *loop;
	struct stream out, err;
	struct logship_shaper shaper;
	struct logship_out *o;         /* NULL once closed */
	struct logship_consul *consul; /* NULL for a fixed address */
	uv_timer_t timer;              /* the flush deadline of logship_stop */
	bool copy_output;
	uint64_t flush_ms, stop_at;
	struct timespec now; /* when the chunk being split was read */
	struct metrics *metrics;
	struct {
		uint64_t lines, cut, not_json, copy_failed;
	} st;
	struct logship_out_stats last; /* the output's numbers when it closed */
	int handles;                   /* pipes and timer not yet closed */
	bool stopping, out_closing;
};

/* ------------------------------------------------------------ config */

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void logship_config_init(struct logship_config *lc, const struct ex_config *cfg)
{
	memset(lc, 0, sizeof(*lc));
	lc->protocol = cfg->logstash_protocol;
	lc->address =
	    cfg->logstash_address && *cfg->logstash_address ? cfg->logstash_address : NULL;
	lc->service =
	    cfg->logstash_service && *cfg->logstash_service ? cfg->logstash_service : NULL;
	lc->refresh_ns = cfg->logstash_refresh_ns;
	lc->rate_limit = cfg->logstash_rate_limit;
	lc->size_limit = cfg->logstash_size_limit;
	lc->buffer_lines = cfg->servicelog_buffer;
	lc->connect_timeout_ns = cfg->logstash_timeout_ns;
	lc->keepalive_ns = cfg->logstash_keepalive_ns;
	lc->flush_ns = cfg->servicelog_flush_ns;
	lc->ignore_keys = cfg->servicelog_ignore_keys;
	lc->copy_output = cfg->servicelog_copy_output;
	lc->executor_id = cfg->executor_id;
	runenv_hostname(NULL, lc->hostname_buf, sizeof(lc->hostname_buf));
	lc->hostname = lc->hostname_buf;
	lc->region = env_nonempty("CLOUD_REGION");
	lc->zone = env_nonempty("CLOUD_AVAILABILITY_ZONE");
	lc->stdout_copy_fd = STDOUT_FILENO;
	lc->stderr_copy_fd = STDERR_FILENO;

	/* the Consul agent, as the Consul hook (and Go's api.DefaultConfig) reach it;
	 * a bad setting fails discovery only, when a task asks for it */
	struct envcfg e = {0};
	if (consul_client_load(&lc->consul, &e) < 0)
		snprintf(lc->consul_error, sizeof(lc->consul_error), "%.480s",
		         e.nerrors ? e.errors : "out of memory");
}

void logship_config_free(struct logship_config *lc)
{
	consul_client_free(&lc->consul);
}

/* ------------------------------------------------------------ the sandbox copy */

static void copy_out(struct logship *ls, int fd, const char *p, size_t n, bool newline)
{
	struct iovec iov[2] = {{(void *)p, n}, {"\n", newline ? 1 : 0}};
	int cnt = 2;
	struct iovec *v = iov;
	if (fd < 0)
		return;
	while (cnt > 0) {
		ssize_t w = writev(fd, v, cnt);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) { /* EAGAIN on a non-blocking fd, EPIPE, ENOSPC: lose it */
			ls->st.copy_failed++;
			return;
		}
		while (cnt > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			cnt--;
		}
		if (cnt > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
}

/* ------------------------------------------------------------ reading */

static void on_line(void *data, const char *line, size_t len, bool cut)
{
	struct stream *s = data;
	struct logship *ls = s->ls;
	size_t n;

	ls->st.lines++;
	if (cut)
		ls->st.cut++;
	const char *entry = logship_shape(&ls->shaper, line, len, &ls->now, &n);
	if (!entry) {
		ls->st.not_json++;
		if (!ls->copy_output) /* it stays in the sandbox, as Go left it */
			copy_out(ls, s->copy_fd, line, len, true);
		return;
	}
	if (ls->o)
		logship_out_send(ls->o, entry, n);
}

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct stream *s = h->data;
	*buf = uv_buf_init(s->rbuf, sizeof(s->rbuf));
}

static void maybe_close_out(struct logship *ls);
static void maybe_free(struct logship *ls);

static void stream_closed(uv_handle_t *h)
{
	struct stream *s = h->data;
	struct logship *ls = s->ls;
	logship_lines_free(&s->lines);
	ls->handles--;
	if (ls->stopping)
		maybe_close_out(ls);
	maybe_free(ls);
}

static void stream_close(struct stream *s)
{
	if (!s->open)
		return;
	s->open = false;
	logship_lines_finish(&s->lines);
	if (s->ls->o)
		logship_out_kick(s->ls->o);
	uv_close((uv_handle_t *)&s->pipe, stream_closed);
}

static void on_read(uv_stream_t *h, ssize_t n, const uv_buf_t *buf)
{
	struct stream *s = h->data;
	struct logship *ls = s->ls;
	if (n > 0) {
		if (ls->copy_output)
			copy_out(ls, s->copy_fd, buf->base, (size_t)n, false);
		clock_gettime(CLOCK_REALTIME, &ls->now);
		logship_lines_feed(&s->lines, buf->base, (size_t)n);
		if (ls->o)
			logship_out_kick(ls->o);
	} else if (n < 0) {
		if (n != UV_EOF)
			log_warn("log shipping: reading the task's %s: %s", s->name,
			         uv_strerror((int)n));
		stream_close(s);
	}
}

/* Makes a pipe; the read end (non-blocking, in the loop) goes to s, the
 * write end (close-on-exec) to *wfd. */
static int stream_open(struct logship *ls, struct stream *s, const char *name, int copy_fd,
                       int *wfd, char *err, size_t errlen)
{
	int fds[2];
	s->ls = ls;
	s->name = name;
	s->copy_fd = copy_fd;
	logship_lines_init(&s->lines, LOGSHIP_LINE_MAX, on_line, s);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "log shipping: pipe for the task's %s: %s", name,
		         strerror(errno));
		return -1;
	}
	fcntl(fds[0], F_SETPIPE_SZ, PIPE_SIZE); /* best effort: the default is 64 KiB */
	uv_pipe_init(ls->loop, &s->pipe, 0);
	s->pipe.data = s;
	int rc = uv_pipe_open(&s->pipe, fds[0]);
	if (rc < 0)
		close(fds[0]);
	else
		rc = uv_read_start((uv_stream_t *)&s->pipe, alloc_cb, on_read);
	s->open = true;
	ls->handles++;
	if (rc < 0) {
		snprintf(err, errlen, "log shipping: reading the task's %s: %s", name,
		         uv_strerror(rc));
		close(fds[1]);
		return -1;
	}
	*wfd = fds[1];
	return 0;
}

/* ------------------------------------------------------------ stats */

void logship_stats(const struct logship *ls, struct logship_stats *out)
{
	struct logship_out_stats o;
	memset(out, 0, sizeof(*out));
	if (!ls)
		return;
	if (ls->o)
		logship_out_stats(ls->o, &o);
	else
		o = ls->last;
	out->lines = ls->st.lines;
	out->cut = ls->st.cut;
	out->not_json = ls->st.not_json;
	out->copy_failed = ls->st.copy_failed;
	out->shipped = o.shipped;
	out->dropped_buffer = o.dropped_buffer;
	out->dropped_rate = o.dropped_rate;
	out->dropped_size = o.dropped_size;
	out->dropped_send = o.dropped_send;
	out->dropped_stop = o.dropped_stop;
	out->connects = o.connects;
	out->connect_failures = o.connect_failures;
	out->queued = o.queued;
	out->targets = o.targets;
}

static void publish(void *data, struct metrics *m)
{
	struct logship_stats s;
	logship_stats(data, &s);
	metrics_set(m, "logship.lines", (double)s.lines);
	metrics_set(m, "logship.cut", (double)s.cut);
	metrics_set(m, "logship.not_json", (double)s.not_json);
	metrics_set(m, "logship.shipped", (double)s.shipped);
	metrics_set(m, "logship.dropped.buffer", (double)s.dropped_buffer);
	metrics_set(m, "logship.dropped.rate", (double)s.dropped_rate);
	metrics_set(m, "logship.dropped.size", (double)s.dropped_size);
	metrics_set(m, "logship.dropped.send", (double)s.dropped_send);
	metrics_set(m, "logship.dropped.stop", (double)s.dropped_stop);
	metrics_set(m, "logship.copy_failed", (double)s.copy_failed);
	metrics_set(m, "logship.connects", (double)s.connects);
	metrics_set(m, "logship.connect_failures", (double)s.connect_failures);
	metrics_set(m, "logship.queued", (double)s.queued);
	metrics_set(m, "logship.targets", (double)s.targets);
}

/* ------------------------------------------------------------ lifecycle */

static void on_targets(void *data, const char *const *addrs, size_t n)
{
	struct logship *ls = data;
	if (ls->o)
		logship_out_set_targets(ls->o, addrs, n);
}

static int check_transport(const struct logship_config *c, bool *udp, char *err, size_t errlen)
{
	const char *proto = c->protocol && *c->protocol ? c->protocol : "tcp";
	char host[256], port[16];
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) {
		snprintf(err, errlen,
		         "ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_PROTOCOL: expected tcp or udp, got "
		         "'%s'",
		         proto);
		return -1;
	}
	*udp = strcmp(proto, "udp") == 0;
	if (c->service && *c->service && c->consul_error[0]) {
		snprintf(err, errlen, "log shipping: Consul discovery: %s", c->consul_error);
		return -1;
	}
	if (c->service && *c->service)
		return 0;
	if (!c->address || !*c->address) {
		snprintf(err, errlen,
		         "log-scraping=logstash, but neither "
		         "ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_ADDRESS nor "
		         "ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_DISCOVERY_SERVICE_NAME is set");
		return -1;
	}
	if (logship_split_addr(c->address, host, sizeof(host), port, sizeof(port)) < 0) {
		snprintf(err, errlen,
		         "ALLEGRO_EXECUTOR_SERVICELOG_LOGSTASH_ADDRESS: expected host:port, got "
		         "'%.200s'",
		         c->address);
		return -1;
	}
	return 0;
}

static void free_logship(struct logship *ls)
{
	logship_shaper_free(&ls->shaper);
	free(ls);
}

static void maybe_free(struct logship *ls)
{
	if (ls->handles == 0 && !ls->o && ls->stopping)
		free_logship(ls);
}

static void timer_closed(uv_handle_t *h)
{
	struct logship *ls = h->data;
	ls->handles--;
	maybe_free(ls);
}

static void log_summary(const struct logship *ls)
{
	struct logship_stats s;
	logship_stats(ls, &s);
	log_info("log shipping: done: %llu lines read, %llu shipped, %llu left in the sandbox; "
	         "dropped: buffer=%llu rate=%llu size=%llu send=%llu stop=%llu",
	         (unsigned long long)s.lines, (unsigned long long)s.shipped,
	         (unsigned long long)s.not_json, (unsigned long long)s.dropped_buffer,
	         (unsigned long long)s.dropped_rate, (unsigned long long)s.dropped_size,
	         (unsigned long long)s.dropped_send, (unsigned long long)s.dropped_stop);
}

static void on_out_closed(void *data, const struct logship_out_stats *final)
{
	struct logship *ls = data;
	if (final) {
		ls->last = *final;
		log_summary(ls);
	}
	uv_timer_stop(&ls->timer);
	uv_close((uv_handle_t *)&ls->timer, timer_closed);
	maybe_free(ls);
}

/* Once both pipes are done: flush for what is left of the deadline. */
static void maybe_close_out(struct logship *ls)
{
	if (ls->out_closing || ls->out.open || ls->err.open)
		return;
	ls->out_closing = true;
	if (!ls->o) { /* logship_start failed before it had an output */
		on_out_closed(ls, NULL);
		return;
	}
	uint64_t now = uv_now(ls->loop);
	struct logship_out *o = ls->o;
	logship_out_stats(o, &ls->last);
	ls->o = NULL; /* from here on, stats come from ls->last */
	logship_out_close(o, ls->stop_at > now ? ls->stop_at - now : 0, on_out_closed, ls);
}

static void on_deadline(uv_timer_t *t)
{
	struct logship *ls = t->data;
	stream_close(&ls->out);
	stream_close(&ls->err);
	maybe_close_out(ls);
}

void logship_stop(struct logship *ls)
{
	if (!ls || ls->stopping)
		return;
	ls->stopping = true;
	if (ls->metrics) {
		publish(ls, ls->metrics);
		metrics_remove_source(ls->metrics, publish, ls);
	}
	logship_consul_stop(ls->consul);
	ls->consul = NULL;
	ls->stop_at = uv_now(ls->loop) + ls->flush_ms;
	uv_timer_start(&ls->timer, on_deadline, ls->flush_ms, 0);
	maybe_close_out(ls);
}

int logship_start(uv_loop_t *loop, const struct logship_config *cfg,
                  const Mesos__V1__TaskInfo *task, char *const *task_env, struct logship **out,
                  int *stdout_fd, int *stderr_fd, char *err, size_t errlen)
{
	*out = NULL;
	*stdout_fd = *stderr_fd = -1;
	const char *mode = task ? mesos_label(task->labels, "log-scraping") : NULL;
	if (!mode)
		return 1;
	if (strcmp(mode, "logstash") != 0) {
		log_warn("log-scraping=%s is not supported (only logstash): the task's output goes "
		         "to the sandbox only",
		         mode);
		return 1;
	}
	long long scid;
	bool udp;
	if (logship_parse_scid(mesos_label(task->labels, "scId"), &scid, err, errlen) < 0 ||
	    check_transport(cfg, &udp, err, errlen) < 0)
		return -1;

	struct logship *ls = calloc(1, sizeof(*ls));
	if (!ls) {
		snprintf(err, errlen, "log shipping: out of memory");
		return -1;
	}
	ls->loop = loop;
	ls->copy_output = cfg->copy_output;
	ls->flush_ms = (uint64_t)((cfg->flush_ns > 0 ? cfg->flush_ns : 1000000000LL) / 1000000);
	ls->metrics = cfg->metrics;
	const char *all = mesos_label(task->labels, "log-scraping-all");
	char host[256];
	if (cfg->hostname)
		snprintf(host, sizeof(host), "%s", cfg->hostname);
	else
		runenv_hostname(NULL, host, sizeof(host));
	struct logship_shape_opts so = {.ignore_keys = cfg->ignore_keys,
	                                .instance_id = cfg->executor_id,
	                                .scid = scid,
	                                .srchost = host,
	                                .region = cfg->region,
	                                .zone = cfg->zone,
	                                .wrap_invalid = all && *all};
	struct logship_out_config oc = {
	    .udp = udp,
	    .buffer_lines = cfg->buffer_lines > 0 ? cfg->buffer_lines : 2000,
	    .buffer_bytes = cfg->buffer_bytes ? cfg->buffer_bytes : LOGSHIP_BUFFER_BYTES,
	    .rate_limit = cfg->rate_limit,
	    .size_limit = cfg->size_limit,
	    .connect_timeout_ns =
	        cfg->connect_timeout_ns > 0 ? cfg->connect_timeout_ns : 2000000000LL,
	    .keepalive_ns = cfg->keepalive_ns > 0 ? cfg->keepalive_ns : 5000000000LL,
	};
	uv_timer_init(loop, &ls->timer);
	ls->timer.data = ls;
	ls->handles = 1;
	if (logship_shaper_init(&ls->shaper, &so) < 0 || !(ls->o = logship_out_new(loop, &oc))) {
		snprintf(err, errlen, "log shipping: out of memory");
		goto fail;
	}
	if (stream_open(ls, &ls->out, "stdout", cfg->stdout_copy_fd, stdout_fd, err, errlen) < 0 ||
	    stream_open(ls, &ls->err, "stderr", cfg->stderr_copy_fd, stderr_fd, err, errlen) < 0)
		goto fail;

	if (cfg->service && *cfg->service) {
		ls->consul = logship_consul_start(loop, &cfg->consul, cfg->service, cfg->refresh_ns,
		                                  on_targets, ls);
		if (!ls->consul) {
			snprintf(err, errlen, "log shipping: cannot start Consul discovery");
			goto fail;
		}
	} else {
		const char *addrs[] = {cfg->address};
		logship_out_set_targets(ls->o, addrs, 1);
	}
	if (ls->metrics)
		metrics_add_source(ls->metrics, publish, ls);
	log_info("log shipping: the task's JSON lines go to Logstash over %s at %s%s (scId %lld)",
	         udp ? "udp" : "tcp", ls->consul ? "the passing instances of " : "",
	         ls->consul ? cfg->service : cfg->address, scid);
	*out = ls;
	return 0;

fail:
	if (*stdout_fd >= 0)
		close(*stdout_fd);
	if (*stderr_fd >= 0)
		close(*stderr_fd);
	*stdout_fd = *stderr_fd = -1;
	ls->metrics = NULL;
	ls->flush_ms = 0;
	logship_stop(ls); /* closes what was opened and frees, on the loop */
	return -1;
}
