/* Helpers shared by the cmocka tests: paths of the real binaries, temporary
 * directories, starting a fake server and reading its address, waiting with
 * a deadline, and tiny HTTP requests. Integration tests only ever talk to
 * 127.0.0.1. */
#ifndef TESTS_SUPPORT_TESTSUPPORT_H
#define TESTS_SUPPORT_TESTSUPPORT_H

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

/* $NAME from the environment (set by ctest), or the fallback. */
const char *ts_env(const char *name, const char *fallback);
/* A fresh directory under $TMPDIR; malloc'd path. */
char *ts_mkdtemp(const char *prefix);
/* rm -rf, for directories made by ts_mkdtemp. */
void ts_rmtree(const char *path);

struct ts_proc {
	pid_t pid;
	int out_fd;     /* child's stdout, readable */
	char addr[128]; /* "127.0.0.1:PORT" from its "listening on http://..." line */
	char log[512];  /* path of its stderr log */
};

/* Starts argv[0] with stdout on a pipe and stderr to a log file; when
 * `wait_listen`, waits (up to 10 s) for the "listening on http://" line.
 * Returns 0 or -1. */
int ts_spawn(struct ts_proc *p, char *const argv[], char *const envp[], bool wait_listen);
/* Sends sig and waits up to timeout_ms; SIGKILL after. Returns the wait status. */
int ts_stop(struct ts_proc *p, int sig, int timeout_ms);
/* Waits for exit up to timeout_ms; returns the wait status or -1 on timeout. */
int ts_wait(struct ts_proc *p, int timeout_ms);
/* Runs argv to its end (up to timeout_ms, then SIGKILL) with everything it
 * prints on stdout in out (NUL-terminated, cut at len). Returns the wait
 * status, or -1 when it could not start or had to be killed. */
int ts_run(char *const argv[], char *out, size_t len, int timeout_ms);
/* Reads what the process printed on stdout so far into buf (NUL-terminated). */
size_t ts_read_stdout(struct ts_proc *p, char *buf, size_t len, int timeout_ms);

struct ts_http {
	long status;
	char *body; /* malloc'd, NUL-terminated */
	size_t body_len;
	char content_type[128];
	char headers[4096]; /* raw response headers */
};
/* The value of response header `name` (any case) into buf, or NULL. */
const char *ts_http_header(const struct ts_http *r, const char *name, char *buf, size_t len);
/* One blocking request; headers are "Name: value" strings ended by NULL. */
int ts_http(struct ts_http *res, const char *method, const char *url, const char *const *headers,
            const void *body, size_t body_len);
void ts_http_free(struct ts_http *res);
/* One request to http://ADDR PATH (addr "127.0.0.1:PORT", body a string or
 * NULL) that must get an answer (the test fails if none comes). Returns the
 * status; the whole answer goes to *out when out is set (ts_http_free it). */
long ts_request(const char *addr, const char *method, const char *path, const char *body,
                const char *const *headers, struct ts_http *out);

/* A fake environment for struct envcfg's lookup hook (tests of settings):
 * ts_fakeenv_set adds or replaces NAME (both copied), ts_fakeenv_clear
 * empties it; pass ts_fakeenv_lookup as envcfg.lookup. */
void ts_fakeenv_set(const char *name, const char *value);
void ts_fakeenv_clear(void);
const char *ts_fakeenv_lookup(const char *name, void *data);

/* Every log line (any level) captured through the logger's sink, to look
 * for a message or for a secret that must not be there. */
void ts_logs_capture(void); /* clears the capture and installs the sink */
void ts_logs_release(void); /* removes the sink */
const char *ts_logs(void);

/* A TaskInfo from Mesos' JSON (pbjson); fails the test when it is not one.
 * Free with protobuf_c_message_free_unpacked. */
struct Mesos__V1__TaskInfo;
struct Mesos__V1__TaskInfo *ts_task_from_json(const char *json);

struct hook;
/* The built-in hook with this name (hooks/builtin.c); fails the test if none. */
struct hook *ts_builtin_hook(const char *name);
/* Initialises a hook from the fake environment (ts_fakeenv_set); fails the
 * test unless the hook says it is enabled (init returns 1). */
void ts_hook_init(struct hook *h);
/* A test's teardown for a hook test: the hook destroyed if it was
 * initialised, the log capture released. */
void ts_hook_teardown(struct hook *h);

/* Starts a fake (fakeconsul, fakevaas) on 127.0.0.1:0 with `extra` arguments
 * (NULL-ended, or NULL): the binary is $<bin_env>, else `fallback`. When it
 * is not built, *built is false and 0 is returned (its tests skip); -1 when it
 * would not start. */
int ts_start_fake(struct ts_proc *p, const char *bin_env, const char *fallback,
                  const char *const *extra, bool *built);

/* ---- TLS with Debian's openssl tool (scripts/deps.sh installs it) */

#define TS_OPENSSL "/usr/bin/openssl"
/* Whether the openssl tool is there (tests that need it skip otherwise). */
bool ts_have_openssl(void);
/* A fresh self-signed EC certificate for 127.0.0.1 and localhost, valid a
 * day: DIR/NAME.pem and DIR/NAME.key. Returns 0 or -1. */
int ts_make_cert(const char *dir, const char *name);
/* `openssl s_server -www` on 127.0.0.1 with DIR/NAME.pem and .key, `extra`
 * arguments (NULL-ended, or NULL; "-Verify 1 -CAfile F" asks for a client
 * certificate); it answers every GET with 200 and a status page. Waits until
 * it accepts; its port in *port. Returns 0 or -1. */
int ts_tls_server(struct ts_proc *p, const char *dir, const char *name, const char *const *extra,
                  unsigned *port);
/* A self-signed P-256 certificate (CN `cn`) valid from an hour ago until
 * not_after, as PEM text; malloc'd. Made with mbedTLS, in process; fails the
 * test on error. */
char *ts_self_signed_pem(time_t not_after, const char *cn);
/* A port on 127.0.0.1 that nothing listens on (bound, then closed). */
unsigned ts_free_port(void);

/* Reads a whole file; malloc'd, NUL-terminated, or NULL. */
char *ts_read_file(const char *path, size_t *len);
/* Milliseconds on the monotonic clock. */
int64_t ts_now_ms(void);
void ts_sleep_ms(int ms);

#endif
