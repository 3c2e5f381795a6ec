/* A deliberately broken executor, for the tests of `fakeagent conformance`.
 *
 * The agent starts it as the executor. It starts the project's real executor
 * (CONFORMANCE_REAL_EXECUTOR) with MESOS_AGENT_ENDPOINT pointing at itself,
 * and forwards the executor API between the two: the calls to the agent, the
 * event stream back. It makes one mistake, CONFORMANCE_MISTAKE, and passes
 * everything else through untouched, so the pair is the real executor with
 * exactly that mistake:
 *
 *   never-subscribes           runs nothing and never calls the agent
 *   finished-as-failed         TASK_FINISHED becomes TASK_FAILED in UPDATE calls
 *                              (and in a SUBSCRIBE's unacknowledged updates)
 *   ignores-kill-grace         the kill policy of a LAUNCHed task, and of every
 *                              KILL, becomes a 0s grace: SIGKILL right after SIGTERM
 *   leaves-grandchild          the executor's prctl(PR_SET_CHILD_SUBREAPER) is
 *                              turned into a no-op (seccomp), so orphans of its
 *                              task are re-parented here, out of its reach
 *   exits-before-terminal-ack  once the agent accepted a terminal update, the
 *                              executor is killed and this process exits 0
 *   drops-unacknowledged       SUBSCRIBE calls lose their unacknowledged updates
 *   crashes-on-unknown-event   an event of a type Mesos does not define aborts it
 *
 * Test code: not built into anything shipped. */
#include "common/httpc.h"
#include "fakekit/httpd.h"
#include "proto/mesos.h"
#include "proto/recordio.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#if defined(__x86_64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

extern char **environ;

enum mistake {
	NEVER_SUBSCRIBES,
	FINISHED_AS_FAILED,
	IGNORES_KILL_GRACE,
	LEAVES_GRANDCHILD,
	EXITS_BEFORE_TERMINAL_ACK,
	DROPS_UNACKNOWLEDGED,
	CRASHES_ON_UNKNOWN_EVENT,
};

static const char *const mistake_names[] = {"never-subscribes",          "finished-as-failed",
                                            "ignores-kill-grace",        "leaves-grandchild",
                                            "exits-before-terminal-ack", "drops-unacknowledged",
                                            "crashes-on-unknown-event"};

struct proxy {
	uv_loop_t *loop;
	struct httpd *server;
	struct httpc *client;
	char agent[256]; /* the real agent's HOST:PORT */
	enum mistake mistake;
	pid_t executor;
	uv_signal_t sigchld, sigterm;
};

/* One call of the executor on its way to the agent and back. */
struct exchange {
	struct proxy *p;
	struct httpd_req *req;       /* the executor's call, answered once */
	struct httpc_req *up;        /* the same call to the agent; NULL once done */
	struct httpd_stream *stream; /* SUBSCRIBE: the executor's event stream */
	bool subscribe, terminal;
	enum mesos_encoding enc; /* of the event stream */
	struct recordio_decoder dec;
	char *body; /* owned: a refused SUBSCRIBE's answer */
	size_t len;
};

static void die(const char *what)
{
	fprintf(stderr, "interposer: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ------------------------------------------------------------ the mistakes */

static bool mutate_call(struct proxy *p, mesos_call *c)
{
	bool changed = false;
	if (p->mistake == FINISHED_AS_FAILED) {
		Mesos__V1__Executor__Call__Update u = MESOS__V1__EXECUTOR__CALL__UPDATE__INIT;
		Mesos__V1__Executor__Call__Update *one[] = {c->update ? c->update : &u};
		Mesos__V1__Executor__Call__Update **ups =
		    c->subscribe ? c->subscribe->unacknowledged_updates : one;
		size_t n = c->subscribe ? c->subscribe->n_unacknowledged_updates : 1;
		for (size_t i = 0; i < n; i++)
			if (ups[i]->status &&
			    ups[i]->status->state == MESOS__V1__TASK_STATE__TASK_FINISHED) {
				ups[i]->status->state = MESOS__V1__TASK_STATE__TASK_FAILED;
				changed = true;
			}
	}
	if (p->mistake == DROPS_UNACKNOWLEDGED && c->subscribe &&
	    c->subscribe->n_unacknowledged_updates) {
		for (size_t i = 0; i < c->subscribe->n_unacknowledged_updates; i++)
			protobuf_c_message_free_unpacked(
			    &c->subscribe->unacknowledged_updates[i]->base, NULL);
		c->subscribe->n_unacknowledged_updates = 0;
		changed = true;
	}
	return changed;
}

static void zero_grace(Mesos__V1__KillPolicy **kp, bool create)
{
	if (!*kp && create) {
		*kp = malloc(sizeof(**kp));
		if (!*kp)
			return;
		mesos__v1__kill_policy__init(*kp);
	}
	if (!*kp)
		return;
	if (!(*kp)->grace_period) {
		(*kp)->grace_period = malloc(sizeof(*(*kp)->grace_period));
		if (!(*kp)->grace_period)
			return;
		mesos__v1__duration_info__init((*kp)->grace_period);
	}
	(*kp)->grace_period->nanoseconds = 0;
}

static __attribute__((noreturn)) void crash(struct proxy *p)
{
	struct rlimit none = {0, 0};
	kill(p->executor, SIGKILL);
	setrlimit(RLIMIT_CORE, &none);
	signal(SIGABRT, SIG_DFL);
	abort();
}

/* One event on its way to the executor: the bytes to write (framed), or
 * NULL to pass the record on as it came. */
static uint8_t *mutate_event(struct exchange *x, const uint8_t *rec, size_t len, size_t *out_len)
{
	struct proxy *p = x->p;
	char err[256];
	mesos_event *ev = mesos_event_decode(x->enc, rec, len, err, sizeof(err));
	if (!ev)
		return NULL; /* not an event at all: the executor's own problem */
	uint8_t *out = NULL;
	if (p->mistake == CRASHES_ON_UNKNOWN_EVENT &&
	    (!ev->has_type || ev->type == MESOS__V1__EXECUTOR__EVENT__TYPE__UNKNOWN ||
	     !protobuf_c_enum_descriptor_get_value(&mesos__v1__executor__event__type__descriptor,
	                                           (int)ev->type)))
		crash(p);
	if (p->mistake == IGNORES_KILL_GRACE && (ev->kill || (ev->launch && ev->launch->task))) {
		if (ev->kill)
			zero_grace(&ev->kill->kill_policy, true);
		else
			zero_grace(&ev->launch->task->kill_policy, false);
		size_t n;
		uint8_t *payload = mesos_encode(x->enc, &ev->base, true, &n);
		if (payload)
			out = recordio_encode(payload, n, out_len);
		free(payload);
	}
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	return out;
}

static int on_record(void *data, const uint8_t *rec, size_t len)
{
	struct exchange *x = data;
	size_t n;
	uint8_t *out = mutate_event(x, rec, len, &n);
	if (!out)
		out = recordio_encode(rec, len, &n);
	int rc = out ? httpd_stream_write(x->stream, out, n) : -1;
	free(out);
	return rc < 0 ? 1 : 0;
}

/* ------------------------------------------------------------ forwarding */

static void release(struct exchange *x)
{
	if (x->stream) {
		httpd_stream_release(x->stream);
		x->stream = NULL;
	}
	recordio_decoder_free(&x->dec);
	free(x->body);
	free(x);
}

static void on_stream_closed(struct httpd_stream *s, void *data)
{
	struct exchange *x = data; /* the executor let go of its stream */
	if (!x->stream)
		return; /* on_done is ending it */
	if (x->up)
		httpc_cancel(x->up);
	x->up = NULL;
	release(x);
}

static int on_response(void *data, long status, const char *content_type)
{
	struct exchange *x = data;
	int enc = mesos_encoding_from_content_type(content_type);
	if (status != 200 || enc < 0)
		return 0;
	x->enc = (enum mesos_encoding)enc;
	recordio_decoder_init(&x->dec, RECORDIO_DEFAULT_MAX);
	x->stream = httpd_stream_open(x->req, 200, content_type, NULL, on_stream_closed, x);
	return x->stream ? 0 : 1;
}

static int on_data(void *data, const char *bytes, size_t len)
{
	struct exchange *x = data;
	if (!x->stream) { /* a refused SUBSCRIBE: its answer, kept for on_done */
		char *b = realloc(x->body, x->len + len + 1);
		if (!b)
			return 1;
		memcpy(b + x->len, bytes, len);
		x->body = b;
		x->len += len;
		return 0;
	}
	if (x->p->mistake != IGNORES_KILL_GRACE && x->p->mistake != CRASHES_ON_UNKNOWN_EVENT)
		return httpd_stream_write(x->stream, bytes, len) < 0;
	/* A stream that cannot be framed is cut, as the real executor would
	 * find it broken: it re-subscribes. */
	return recordio_decoder_feed(&x->dec, bytes, len, on_record, x) != 0;
}

static void on_done(void *data, const struct httpc_result *res)
{
	struct exchange *x = data;
	struct proxy *p = x->p;
	x->up = NULL;
	if (x->stream) {
		struct httpd_stream *s = x->stream;
		x->stream = NULL; /* this exchange ends here, not in on_stream_closed */
		httpd_stream_end(s, res->curl_code != 0);
		httpd_stream_release(s);
	} else if (res->status == 0) {
		httpd_drop(x->req); /* the agent is gone: so is the connection */
	} else {
		const char *body = x->subscribe ? x->body : res->body;
		size_t len = x->subscribe ? x->len : res->body_len;
		httpd_reply(x->req, (unsigned)res->status, res->content_type, body ? body : "", len,
		            NULL);
	}
	if (x->terminal && res->status == 202 && p->mistake == EXITS_BEFORE_TERMINAL_ACK) {
		kill(p->executor, SIGKILL);
		_exit(0);
	}
	release(x);
}

static void on_abort(struct httpd_req *r, void *data)
{
	struct exchange *x = data;
	if (x->up)
		httpc_cancel(x->up);
	x->up = NULL;
	release(x);
}

static void add_header(const char **h, size_t *n, char *buf, size_t len, struct httpd_req *r,
                       const char *name)
{
	const char *v = httpd_header(r, name);
	if (v && snprintf(buf, len, "%s: %s", name, v) < (int)len)
		h[(*n)++] = buf;
}

static void on_call(struct httpd_req *r, void *data)
{
	struct proxy *p = data;
	char err[256], url[1300], hbuf[3][1024];
	size_t len, out_len = 0, nh = 0;
	const char *body = httpd_body(r, &len), *headers[4];
	struct exchange *x = calloc(1, sizeof(*x));
	if (!x) {
		httpd_reply_text(r, 500, "interposer: out of memory");
		return;
	}
	x->p = p;
	x->req = r;
	uint8_t *out = NULL;
	int enc = mesos_encoding_from_content_type(httpd_header(r, "Content-Type"));
	mesos_call *c = enc < 0 ? NULL
	                        : mesos_call_decode((enum mesos_encoding)enc, (const uint8_t *)body,
	                                            len, err, sizeof(err));
	if (c) {
		x->subscribe = c->type == MESOS__V1__EXECUTOR__CALL__TYPE__SUBSCRIBE;
		x->terminal = c->update && c->update->status &&
		              mesos_task_state_terminal(c->update->status->state);
		if (mutate_call(p, c))
			out = mesos_encode((enum mesos_encoding)enc, &c->base, false, &out_len);
		protobuf_c_message_free_unpacked(&c->base, NULL);
	}
	add_header(headers, &nh, hbuf[0], sizeof(hbuf[0]), r, "Content-Type");
	add_header(headers, &nh, hbuf[1], sizeof(hbuf[1]), r, "Accept");
	add_header(headers, &nh, hbuf[2], sizeof(hbuf[2]), r, "Authorization");
	headers[nh] = NULL;
	snprintf(url, sizeof(url), "http://%s%s", p->agent, httpd_path(r));
	x->up = httpc_start(p->client, &(struct httpc_opts){
	                                   .method = httpd_method(r),
	                                   .url = url,
	                                   .headers = headers,
	                                   .body = out ? (const void *)out : body,
	                                   .body_len = out ? out_len : len,
	                                   .on_response = x->subscribe ? on_response : NULL,
	                                   .on_data = x->subscribe ? on_data : NULL,
	                                   .on_done = on_done,
	                                   .data = x,
	                               });
	free(out);
	if (!x->up) {
		release(x);
		httpd_reply_text(r, 502, "interposer: cannot call the agent");
		return;
	}
	httpd_defer(r, on_abort, x);
}

/* ------------------------------------------------------------ the executor */

/* prctl(PR_SET_CHILD_SUBREAPER, ...) returns 0 and does nothing. */
static int neuter_subreaper(void)
{
#ifdef THIS_AUDIT_ARCH
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_prctl, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_CHILD_SUBREAPER, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static char **executor_env(const char *endpoint)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 3, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; env && i < n; i++)
		if (strncmp(environ[i], "CONFORMANCE_", 12) &&
		    strncmp(environ[i], "MESOS_AGENT_ENDPOINT=", 21) &&
		    strncmp(environ[i], "MESOS_SLAVE_PID=", 16))
			env[k++] = environ[i];
	if (env && (asprintf(&env[k++], "MESOS_AGENT_ENDPOINT=%s", endpoint) < 0 ||
	            asprintf(&env[k++], "MESOS_SLAVE_PID=slave(1)@%s", endpoint) < 0))
		return NULL;
	return env;
}

static pid_t start_executor(struct proxy *p, const char *path, char **argv)
{
	char **env = executor_env(httpd_address(p->server));
	if (!env)
		die("environment");
	pid_t pid = fork();
	if (pid == 0) {
		if (p->mistake == LEAVES_GRANDCHILD && neuter_subreaper() < 0) {
			fprintf(stderr, "interposer: seccomp: %s\n", strerror(errno));
			_exit(127);
		}
		argv[0] = (char *)path;
		execve(path, argv, env);
		fprintf(stderr, "interposer: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		die("fork");
	return pid;
}

static void on_sigchld(uv_signal_t *h, int sig)
{
	struct proxy *p = h->data;
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) /* orphans too, when a subreaper */
		if (pid == p->executor)
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static void on_sigterm(uv_signal_t *h, int sig)
{
	struct proxy *p = h->data;
	kill(p->executor, sig);
}

int main(int argc, char **argv)
{
	static struct proxy p;
	const char *m = getenv("CONFORMANCE_MISTAKE"), *real = getenv("CONFORMANCE_REAL_EXECUTOR");
	const char *agent = getenv("MESOS_AGENT_ENDPOINT");
	size_t i = 0;
	while (m && i < sizeof(mistake_names) / sizeof(mistake_names[0]) &&
	       strcmp(m, mistake_names[i]))
		i++;
	if (!m || i == sizeof(mistake_names) / sizeof(mistake_names[0]) || !real || !agent) {
		fprintf(stderr,
		        "interposer: needs CONFORMANCE_MISTAKE (one of never-subscribes, ...), "
		        "CONFORMANCE_REAL_EXECUTOR and MESOS_AGENT_ENDPOINT\n");
		return 2;
	}
	p.mistake = (enum mistake)i;
	if (p.mistake == NEVER_SUBSCRIBES)
		for (;;)
			pause();
	snprintf(p.agent, sizeof(p.agent), "%s", agent);
	signal(SIGPIPE, SIG_IGN);
	if (p.mistake == LEAVES_GRANDCHILD && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die("prctl(PR_SET_CHILD_SUBREAPER)");
	p.loop = uv_default_loop();
	char err[256];
	struct httpd_config cfg = {
	    .name = "interposer", .listen = "127.0.0.1:0", .fallback = on_call, .data = &p};
	p.server = httpd_start(p.loop, &cfg, err, sizeof(err));
	p.client = httpc_new(p.loop);
	if (!p.server || !p.client) {
		fprintf(stderr, "interposer: %s\n", p.server ? "no HTTP client" : err);
		return 2;
	}
	uv_signal_init(p.loop, &p.sigchld);
	uv_signal_init(p.loop, &p.sigterm);
	p.sigchld.data = p.sigterm.data = &p;
	uv_signal_start(&p.sigchld, on_sigchld, SIGCHLD);
	uv_signal_start(&p.sigterm, on_sigterm, SIGTERM);
	p.executor = start_executor(&p, real, argv);
	(void)argc;
	uv_run(p.loop, UV_RUN_DEFAULT);
	return 0;
}
