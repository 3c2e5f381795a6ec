/* logfmt logger (see log.h). Each line is built in one buffer and written
 * with a single write(2), so lines from the hook threads do not interleave. */
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONTEXT    6
#define MAX_SECRETS    8
#define LINE_MAX_BYTES 8192

static struct {
	enum log_level min;
	struct {
		char *key, *value;
	} ctx[MAX_CONTEXT];
	char *secrets[MAX_SECRETS];
	log_sink_fn sink;
	void *sink_data;
	enum log_level sink_min;
	pthread_mutex_t mu;
	pthread_mutex_t sink_mu; /* held while the sink runs and while it is replaced */
} L = {.min = LOG_INFO, .mu = PTHREAD_MUTEX_INITIALIZER, .sink_mu = PTHREAD_MUTEX_INITIALIZER};

static const char *level_name[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level min)
{
	L.min = min;
}
enum log_level log_get_level(void)
{
	return L.min;
}

void log_set_context(const char *key, const char *value)
{
	pthread_mutex_lock(&L.mu);
	int free_slot = -1;
	for (int i = 0; i < MAX_CONTEXT; i++) {
		if (L.ctx[i].key && strcmp(L.ctx[i].key, key) == 0) {
			free(L.ctx[i].value);
			if (value) {
				L.ctx[i].value = strdup(value);
			} else {
				free(L.ctx[i].key);
				L.ctx[i].key = L.ctx[i].value = NULL;
			}
			pthread_mutex_unlock(&L.mu);
			return;
		}
		if (!L.ctx[i].key && free_slot < 0)
			free_slot = i;
	}
	if (value && free_slot >= 0) {
		L.ctx[free_slot].key = strdup(key);
		L.ctx[free_slot].value = strdup(value);
	}
	pthread_mutex_unlock(&L.mu);
}

void log_add_secret(const char *secret)
{
	if (!secret || strlen(secret) < 3) /* too short to redact without mangling */
		return;
	pthread_mutex_lock(&L.mu);
	for (int i = 0; i < MAX_SECRETS; i++) {
		if (L.secrets[i] && strcmp(L.secrets[i], secret) == 0)
			break;
		if (!L.secrets[i]) {
			L.secrets[i] = strdup(secret);
			break;
		}
	}
	pthread_mutex_unlock(&L.mu);
}

void log_set_sink(enum log_level min, log_sink_fn fn, void *data)
{
	pthread_mutex_lock(&L.sink_mu);
	L.sink_min = min;
	L.sink_data = data;
	L.sink = fn;
	pthread_mutex_unlock(&L.sink_mu);
}

void log_shutdown(void)
{
	pthread_mutex_lock(&L.mu);
	for (int i = 0; i < MAX_CONTEXT; i++) {
		free(L.ctx[i].key);
		free(L.ctx[i].value);
		L.ctx[i].key = L.ctx[i].value = NULL;
	}
	for (int i = 0; i < MAX_SECRETS; i++) {
		free(L.secrets[i]);
		L.secrets[i] = NULL;
	}
	pthread_mutex_unlock(&L.mu);
}

struct line {
	char buf[LINE_MAX_BYTES];
	size_t len;
};

/* Appends what fits, keeping two bytes for the newline and the NUL. */
static void put(struct line *l, const char *s, size_t n)
{
	if (l->len >= sizeof(l->buf) - 2)
		return;
	if (l->len + n > sizeof(l->buf) - 2)
		n = sizeof(l->buf) - 2 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static int needs_quotes(const char *v)
{
	if (!*v)
		return 1;
	for (; *v; v++)
		if (*v <= ' ' || *v == '"' || *v == '=' || *v == '\\' || (unsigned char)*v >= 0x7f)
			return 1;
	return 0;
}

/* Appends v as a logfmt value: quoted and escaped when it has to be. */
static void put_value(struct line *l, const char *v)
{
	if (!needs_quotes(v)) {
		put(l, v, strlen(v));
		return;
	}
	put(l, "\"", 1);
	for (; *v; v++) {
		char esc[8];
		unsigned char c = (unsigned char)*v;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(l, esc, 2);
		} else if (c == '\n') {
			put(l, "\\n", 2);
		} else if (c == '\t') {
			put(l, "\\t", 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			put(l, esc, 4);
		} else {
			put(l, (const char *)v, 1);
		}
	}
	put(l, "\"", 1);
}

/* Copies v into out (len bytes) with every registered secret replaced by
 * "[redacted]", longest secret first where two start at the same place.
 * Works on the raw value, before quoting, so a secret holding a quote or a
 * backslash is found too. Called with L.mu held. */
static const char *redact(const char *v, char *out, size_t len)
{
	static const char mark[] = "[redacted]";
	size_t n = 0;

	while (*v) {
		size_t hit = 0;
		for (int i = 0; i < MAX_SECRETS && L.secrets[i]; i++) {
			size_t sl = strlen(L.secrets[i]);
			if (sl > hit && strncmp(v, L.secrets[i], sl) == 0)
				hit = sl;
		}
		if (hit) {
			for (size_t k = 0; k < sizeof(mark) - 1 && n + 1 < len; k++)
				out[n++] = mark[k];
			v += hit;
		} else {
			if (n + 1 < len)
				out[n++] = *v;
			v++;
		}
	}
	out[n] = '\0';
	return out;
}

/* Appends " key=value". Called with L.mu held. */
static void put_field(struct line *l, const char *k, const char *v)
{
	char clean[LINE_MAX_BYTES];
	put(l, " ", 1);
	put(l, k, strlen(k));
	put(l, "=", 1);
	put_value(l, redact(v ? v : "", clean, sizeof(clean)));
}

static void emit(enum log_level lvl, const char *msg, va_list *kv)
{
	struct line l = {.len = 0};
	struct timeval tv;
	struct tm tm;
	char ts[40];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03dZ", (int)(tv.tv_usec / 1000));

	pthread_mutex_lock(&L.mu);
	put(&l, "level=", 6);
	put(&l, level_name[lvl], strlen(level_name[lvl]));
	put_field(&l, "time", ts);
	put_field(&l, "msg", msg);
	if (kv) {
		const char *k;
		while ((k = va_arg(*kv, const char *))) {
			const char *v = va_arg(*kv, const char *);
			put_field(&l, k, v);
		}
	}
	for (int i = 0; i < MAX_CONTEXT; i++)
		if (L.ctx[i].key)
			put_field(&l, L.ctx[i].key, L.ctx[i].value);
	pthread_mutex_unlock(&L.mu);
	l.buf[l.len] = '\0';
	pthread_mutex_lock(&L.sink_mu);
	if (L.sink && lvl >= L.sink_min)
		L.sink(L.sink_data, lvl, l.buf);
	pthread_mutex_unlock(&L.sink_mu);
	l.buf[l.len++] = '\n';
	ssize_t w = write(STDERR_FILENO, l.buf, l.len);
	(void)w;
}

void log_vprintf(enum log_level lvl, const char *fmt, va_list ap)
{
	char fallback[LINE_MAX_BYTES / 2];
	char *msg = NULL;

	if (lvl < L.min)
		return;
	/* Formatted whole, so that truncation to the line length happens after
	 * redaction and cannot leave half a secret behind. */
	if (vasprintf(&msg, fmt, ap) < 0) {
		msg = NULL;
		snprintf(fallback, sizeof(fallback), "(log message lost: out of memory)");
	}
	emit(lvl, msg ? msg : fallback, NULL);
	free(msg);
}

void log_printf(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vprintf(lvl, fmt, ap);
	va_end(ap);
}

void log_fields(enum log_level lvl, const char *msg, ...)
{
	va_list ap;

	if (lvl < L.min)
		return;
	va_start(ap, msg);
	emit(lvl, msg, &ap);
	va_end(ap);
}
