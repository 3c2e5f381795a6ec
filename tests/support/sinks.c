/* Line sinks over TCP and UDP (see sinks.h): one thread per sink, polling
 * a control pipe, the listener (or the UDP socket) and the connections.
 * Commands from the test (down, up, reading, stop) go through the pipe and
 * are acknowledged, so when sink_down returns the port is really closed. */
#include "sinks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define CONN_BUF  (2 * 1024 * 1024)

enum cmd { CMD_NONE, CMD_DOWN, CMD_UP, CMD_READ, CMD_NOREAD, CMD_STOP };

struct conn {
	int fd;
	char *buf; /* the unfinished line */
	size_t len;
};

struct sink {
	enum sink_kind kind;
	int flags;
	unsigned port;
	char addr[32];
	pthread_t th;
	int wake[2];
	int lfd; /* listener or UDP socket; -1 while down (thread only) */
	struct conn c[MAX_CONNS];
	int nc;
	bool reading;

	pthread_mutex_t mu; /* guards what follows */
	pthread_cond_t cv;
	enum cmd cmd;
	int cmd_result;
	bool cmd_done;
	char **rec;
	size_t nrec, cap, nbytes, nconns;
};

static int open_socket(struct sink *s, unsigned port)
{
	int fd =
	    socket(AF_INET, (s->kind == SINK_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(a);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->kind == SINK_UDP) {
		int big = 8 * 1024 * 1024;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (s->kind == SINK_TCP && listen(fd, 64) < 0) ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	s->port = ntohs(a.sin_port);
	return fd;
}

static void record(struct sink *s, const char *p, size_t n)
{
	pthread_mutex_lock(&s->mu);
	s->nbytes += n;
	if (!(s->flags & SINK_COUNT_ONLY)) {
		if (s->nrec == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 256;
			char **nr = realloc(s->rec, cap * sizeof(*nr));
			if (nr) {
				s->rec = nr;
				s->cap = cap;
			}
		}
		if (s->nrec < s->cap)
			s->rec[s->nrec] = strndup(p, n);
	}
	s->nrec++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void close_conn(struct sink *s, int i)
{
	close(s->c[i].fd);
	free(s->c[i].buf);
	s->c[i] = s->c[--s->nc];
}

static void close_all(struct sink *s)
{
	while (s->nc)
		close_conn(s, 0);
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
}

/* Counting only: one lock per read, however many lines it holds. */
static void count_lines(struct sink *s, const char *p, size_t n)
{
	size_t lines = 0;
	for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
		lines++;
	pthread_mutex_lock(&s->mu);
	s->nbytes += n;
	s->nrec += lines;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Reads what a connection has; false when it is finished. */
static bool read_conn(struct sink *s, struct conn *c)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (s->flags & SINK_COUNT_ONLY) {
			count_lines(s, buf, (size_t)n);
			continue;
		}
		const char *p = buf;
		size_t left = (size_t)n;
		while (left) {
			const char *nl = memchr(p, '\n', left);
			size_t take = nl ? (size_t)(nl - p) : left;
			if (c->len + take > CONN_BUF) /* absurd line: keep the start */
				take = CONN_BUF - c->len;
			memcpy(c->buf + c->len, p, take);
			c->len += take;
			if (!nl)
				break;
			record(s, c->buf, c->len);
			c->len = 0;
			left -= (size_t)(nl - p) + 1;
			p = nl + 1;
		}
	}
}

static void read_udp(struct sink *s)
{
	static char buf[70000];
	for (;;) {
		ssize_t n = recv(s->lfd, buf, sizeof(buf), 0);
		if (n < 0)
			return;
		size_t len = (size_t)n;
		if (len && buf[len - 1] == '\n')
			len--;
		record(s, buf, len);
	}
}

static void accept_conns(struct sink *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (s->nc == MAX_CONNS) {
			close(fd);
			continue;
		}
		s->c[s->nc++] = (struct conn){fd, malloc(CONN_BUF), 0};
		pthread_mutex_lock(&s->mu);
		s->nconns++;
		pthread_mutex_unlock(&s->mu);
	}
}

/* Runs a command from the test; returns false on CMD_STOP. */
static bool run_cmd(struct sink *s)
{
	char b[64];
	while (read(s->wake[0], b, sizeof(b)) > 0)
		;
	pthread_mutex_lock(&s->mu);
	enum cmd cmd = s->cmd;
	int rc = 0;
	switch (cmd) {
	case CMD_DOWN:
		close_all(s);
		break;
	case CMD_UP:
		if (s->lfd < 0)
			s->lfd = open_socket(s, s->port);
		rc = s->lfd >= 0 ? 0 : -1;
		break;
	case CMD_READ:
		s->reading = true;
		break;
	case CMD_NOREAD:
		s->reading = false;
		break;
	case CMD_STOP:
		close_all(s);
		break;
	case CMD_NONE:
		break;
	}
	s->cmd = CMD_NONE;
	s->cmd_result = rc;
	s->cmd_done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return cmd != CMD_STOP;
}

static void *run(void *arg)
{
	struct sink *s = arg;
	struct pollfd p[MAX_CONNS + 2];
	for (;;) {
		int n = 0;
		p[n++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
		if (s->lfd >= 0)
			p[n++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
		int first_conn = n;
		if (s->reading)
			for (int i = 0; i < s->nc; i++)
				p[n++] = (struct pollfd){.fd = s->c[i].fd, .events = POLLIN};
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		if (p[0].revents && !run_cmd(s))
			return NULL;
		if (p[0].revents)
			continue; /* the set of fds may have changed */
		if (s->lfd >= 0 && p[1].revents) {
			if (s->kind == SINK_UDP)
				read_udp(s);
			else
				accept_conns(s);
		}
		/* walk backwards: close_conn moves the last connection */
		for (int k = n - 1; k >= first_conn; k--) {
			if (!p[k].revents)
				continue;
			int i = k - first_conn;
			if (i < s->nc && s->c[i].fd == p[k].fd && !read_conn(s, &s->c[i]))
				close_conn(s, i);
		}
	}
}

static int command(struct sink *s, enum cmd cmd)
{
	pthread_mutex_lock(&s->mu);
	s->cmd = cmd;
	s->cmd_done = false;
	pthread_mutex_unlock(&s->mu);
	ssize_t w = write(s->wake[1], "x", 1);
	(void)w;
	pthread_mutex_lock(&s->mu);
	while (!s->cmd_done)
		pthread_cond_wait(&s->cv, &s->mu);
	int rc = s->cmd_result;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

struct sink *sink_start(enum sink_kind kind, unsigned port, int flags)
{
	struct sink *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->kind = kind;
	s->flags = flags;
	s->reading = true;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->lfd = open_socket(s, port);
	if (s->lfd < 0 || pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		if (s->lfd >= 0)
			close(s->lfd);
		free(s);
		return NULL;
	}
	snprintf(s->addr, sizeof(s->addr), "127.0.0.1:%u", s->port);
	if (pthread_create(&s->th, NULL, run, s) != 0) {
		close(s->lfd);
		close(s->wake[0]);
		close(s->wake[1]);
		free(s);
		return NULL;
	}
	return s;
}

void sink_stop(struct sink *s)
{
	if (!s)
		return;
	command(s, CMD_STOP);
	pthread_join(s->th, NULL);
	close(s->wake[0]);
	close(s->wake[1]);
	for (size_t i = 0; i < s->nrec && i < s->cap; i++)
		free(s->rec[i]);
	free(s->rec);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

unsigned sink_port(const struct sink *s)
{
	return s->port;
}
const char *sink_addr(const struct sink *s)
{
	return s->addr;
}
void sink_down(struct sink *s)
{
	command(s, CMD_DOWN);
}
int sink_up(struct sink *s)
{
	return command(s, CMD_UP);
}
void sink_set_reading(struct sink *s, bool reading)
{
	command(s, reading ? CMD_READ : CMD_NOREAD);
}

size_t sink_count(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->nrec;
	pthread_mutex_unlock(&s->mu);
	return n;
}

size_t sink_bytes(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->nbytes;
	pthread_mutex_unlock(&s->mu);
	return n;
}

size_t sink_connections(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->nconns;
	pthread_mutex_unlock(&s->mu);
	return n;
}

char *sink_record(struct sink *s, size_t i)
{
	pthread_mutex_lock(&s->mu);
	char *r = i < s->nrec && i < s->cap && s->rec[i] ? strdup(s->rec[i]) : NULL;
	pthread_mutex_unlock(&s->mu);
	return r;
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

size_t sink_wait(struct sink *s, size_t n, int timeout_ms)
{
	struct timespec end;
	deadline_in(&end, timeout_ms);
	pthread_mutex_lock(&s->mu);
	while (s->nrec < n && pthread_cond_timedwait(&s->cv, &s->mu, &end) != ETIMEDOUT)
		;
	size_t got = s->nrec;
	pthread_mutex_unlock(&s->mu);
	return got;
}

bool sink_graphite(struct sink *s, const char *path, double *value, long *ts)
{
	bool found = false;
	size_t plen = strlen(path);
	pthread_mutex_lock(&s->mu);
	for (size_t i = s->nrec < s->cap ? s->nrec : s->cap; i-- > 0 && !found;) {
		const char *r = s->rec[i];
		if (!r || strncmp(r, path, plen) != 0 || r[plen] != ' ')
			continue;
		double v;
		long t;
		if (sscanf(r + plen + 1, "%lf %ld", &v, &t) == 2) {
			found = true;
			if (value)
				*value = v;
			if (ts)
				*ts = t;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

bool sink_graphite_wait(struct sink *s, const char *path, double *value, int timeout_ms)
{
	struct timespec end;
	deadline_in(&end, timeout_ms);
	for (;;) {
		if (sink_graphite(s, path, value, NULL))
			return true;
		pthread_mutex_lock(&s->mu);
		int rc = pthread_cond_timedwait(&s->cv, &s->mu, &end);
		pthread_mutex_unlock(&s->mu);
		if (rc == ETIMEDOUT)
			return sink_graphite(s, path, value, NULL);
	}
}
