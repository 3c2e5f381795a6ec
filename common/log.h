/* logfmt logging on stderr:
 *   level=info time=2026-11-30T08:00:00.123Z msg="task launched" task_id=t1
 * One process-wide logger: a minimum level, a few context fields appended to
 * every line (component, executor and task ids), and a list of secrets that
 * are replaced by "[redacted]" wherever they would appear. */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdarg.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level min);
enum log_level log_get_level(void);
/* Sets (or with value NULL removes) a context field; both strings are copied. */
void log_set_context(const char *key, const char *value);
/* Registers a secret (copied); it never appears in a log line. */
void log_add_secret(const char *secret);
/* Extra destination for lines of this level or worse (error reports); the
 * hook receives the formatted line without a newline. It runs on the thread
 * that logged, under a lock that log_set_sink also takes (so once
 * log_set_sink returns, the old sink is no longer running); it must not log. */
typedef void (*log_sink_fn)(void *data, enum log_level lvl, const char *msg);
void log_set_sink(enum log_level min, log_sink_fn fn, void *data);
/* Frees the context and the secrets. */
void log_shutdown(void);

void log_printf(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vprintf(enum log_level lvl, const char *fmt, va_list ap);
/* msg, then key/value pairs of strings, ended by NULL. */
void log_fields(enum log_level lvl, const char *msg, ...);

#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_printf(LOG_ERROR, __VA_ARGS__)

#endif
