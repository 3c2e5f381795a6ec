/* SIGCHLD reaping on the loop (see reaper.h). */
#include "reaper.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

struct watch {
	pid_t pid;
	reaper_exit_cb cb;
	void *data;
};

static struct {
	uv_signal_t sig;
	int refs;
	struct watch *w; /* owned array */
	size_t n, cap;
} R;

void reaper_poll(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < R.n; i++) {
			if (R.w[i].pid != pid)
				continue;
			struct watch w = R.w[i];
			R.w[i] = R.w[--R.n];
			w.cb(w.data, pid, st);
			break;
		}
	}
}

static void on_sigchld(uv_signal_t *h, int signum)
{
	reaper_poll();
}

static void on_closed(uv_handle_t *h)
{
	if (R.refs == 0) {
		free(R.w);
		R.w = NULL;
		R.n = R.cap = 0;
	}
}

int reaper_start(uv_loop_t *loop)
{
	if (R.refs++ > 0)
		return 0;
	int rc = uv_signal_init(loop, &R.sig);
	if (rc == 0)
		rc = uv_signal_start(&R.sig, on_sigchld, SIGCHLD);
	if (rc) {
		R.refs = 0;
		return rc;
	}
	uv_unref((uv_handle_t *)&R.sig);
	return 0;
}

void reaper_stop(void)
{
	if (R.refs <= 0 || --R.refs > 0)
		return;
	uv_signal_stop(&R.sig);
	uv_close((uv_handle_t *)&R.sig, on_closed);
}

int reaper_watch(pid_t pid, reaper_exit_cb cb, void *data)
{
	if (R.n == R.cap) {
		size_t cap = R.cap ? R.cap * 2 : 64;
		struct watch *nw = realloc(R.w, cap * sizeof(*nw));
		if (!nw)
			return -ENOMEM;
		R.w = nw;
		R.cap = cap;
	}
	R.w[R.n++] = (struct watch){pid, cb, data};
	return 0;
}

void reaper_forget(pid_t pid)
{
	for (size_t i = 0; i < R.n; i++)
		if (R.w[i].pid == pid) {
			R.w[i] = R.w[--R.n];
			return;
		}
}
