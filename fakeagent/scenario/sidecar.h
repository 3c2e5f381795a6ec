/* Helper servers a scenario asks for (fakeconsul, fakevaas): started with
 * `--listen 127.0.0.1:0`, their "listening on http://HOST:PORT" line read
 * from their stdout (kept in a file in the scenario's work dir), stopped with
 * SIGTERM (SIGKILL after 5 s) when the scenario ends, and sent SIGTERM by the
 * kernel if fakeagent dies first. */
#ifndef FAKEAGENT_SCENARIO_SIDECAR_H
#define FAKEAGENT_SCENARIO_SIDECAR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

struct sidecar {
	const char *name; /* "fakeconsul" */
	pid_t pid;
	bool exited;
	char addr[128]; /* "127.0.0.1:PORT" */
	char log[1024]; /* its stderr */
	uv_timer_t kill_timer;
	bool timer_open;
	bool stopping;
	void (*on_exit)(void *data); /* after stop: the process is gone */
	void *data;
};

/* Starts `bin` and waits (blocking, up to 10 s) for its address. 0, or -1
 * with err. The loop is used for the reaper and the stop timer only. */
int sidecar_start(struct sidecar *s, uv_loop_t *loop, const char *name, const char *bin,
                  const char *dir, char *err, size_t errlen);
/* SIGTERM now, SIGKILL after 5 s; on_exit runs once it is reaped (at once
 * when it already is). */
void sidecar_stop(struct sidecar *s, void (*on_exit)(void *data), void *data);

#endif
