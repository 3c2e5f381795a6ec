/* Child processes of the fake agent, reaped on the loop: one uv_signal_t on
 * SIGCHLD and waitpid(-1, WNOHANG) until nothing is left, so orphans adopted
 * as a child subreaper are reaped too. Each watched pid gets its callback
 * once with its wait status. Process-wide: SIGCHLD is. */
#ifndef FAKEAGENT_AGENT_REAPER_H
#define FAKEAGENT_AGENT_REAPER_H

#include <sys/types.h>
#include <uv.h>

typedef void (*reaper_exit_cb)(void *data, pid_t pid, int wait_status);

/* Starts watching SIGCHLD on the loop (idempotent; counted). */
int reaper_start(uv_loop_t *loop);
/* Drops one reference; the signal handle closes with the last one. */
void reaper_stop(void);
int reaper_watch(pid_t pid, reaper_exit_cb cb, void *data);
/* No callback for this pid any more. */
void reaper_forget(pid_t pid);
/* Reaps now (also done on every SIGCHLD). */
void reaper_poll(void);

#endif
