/* Processes of the executor: spawning, reaping and killing.
 *
 * The executor is a child subreaper (PR_SET_CHILD_SUBREAPER): every orphan of
 * the task's tree is re-parented to it. One SIGCHLD watcher on the loop reaps
 * everything with waitpid(-1, WNOHANG) and routes each exit to whoever
 * spawned that pid (the task, a COMMAND health probe, an exec hook running on
 * a worker thread); adopted orphans are reaped and counted.
 *
 * Nothing here uses uv_spawn: libuv's own SIGCHLD handling would race with a
 * reaper that must collect every child. */
#ifndef EXECUTOR_PROC_H
#define EXECUTOR_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct proc_spec {
	const char *path; /* what to exec (searched in PATH without '/'); NULL: argv[0] */
	char *const *argv;
	char *const *envp; /* NULL: the executor's environment */
	const char *cwd;   /* NULL: the executor's */
	const char *user;  /* switch to this user (only when running as root) */
	bool new_session;  /* setsid(): the task */
	bool new_pgroup;   /* setpgid(0, 0): probes and hook commands */
	int stdin_fd;      /* -1: /dev/null */
	int stdout_fd;     /* -1: inherit */
	int stderr_fd;     /* -1: inherit */
};

/* Called on the loop when `pid` has been reaped. */
typedef void (*proc_exit_cb)(void *data, pid_t pid, int wstatus);

/* Makes the process a subreaper and starts the SIGCHLD watcher. */
int proc_init(uv_loop_t *loop, char *err, size_t errlen);
/* Stops the watcher (closes its handle). */
void proc_shutdown(void);

/* Starts a process (posix_spawn, or fork+exec when it must switch users);
 * on the loop thread only. `cb` runs once when the process
 * is reaped. Returns the pid, or -1 with err ("exec /bin/foo: No such file
 * or directory" is reported here, not as an exit status). */
pid_t proc_spawn(const struct proc_spec *spec, proc_exit_cb cb, void *data, char *err,
                 size_t errlen);
/* Marks every descriptor from 3 up close-on-exec; every spawn does it first,
 * so a child inherits only its 0, 1 and 2. PROC_CLOEXEC_ANY takes the fastest
 * way the kernel offers (close_range, then /proc/self/fd, then every number
 * below RLIMIT_NOFILE); the others force one of the fallbacks (tests). */
enum proc_cloexec_way { PROC_CLOEXEC_ANY, PROC_CLOEXEC_PROC_FD, PROC_CLOEXEC_EVERY_NUMBER };
void proc_mark_cloexec(enum proc_cloexec_way way);
/* Drops the callback of a pid: it is reaped without one, and what it was
 * (a helper or the task's) stays as it is until then. */
void proc_forget(pid_t pid);

/* From any thread: spawn and wait for the exit, killing the process group
 * after timeout_ms (0: no timeout). Returns the wait status or -1 (err). */
int proc_run_blocking(const struct proc_spec *spec, int64_t timeout_ms, char *err, size_t errlen);

/* Pids of every living descendant of the executor, excluding the subtrees of
 * `exclude` (probe and hook processes). Returns how many were written. */
size_t proc_descendants(pid_t *out, size_t max, const pid_t *exclude, size_t nexclude);
/* Pids the executor spawned for helpers (probes, hook commands), to pass to
 * proc_descendants as `exclude`. */
size_t proc_helpers(pid_t *out, size_t max);
/* Marks a spawned pid as a helper (not part of the task's tree). */
void proc_mark_helper(pid_t pid, bool helper);

/* Signals the task's whole tree: every descendant that is not a helper,
 * stopped first so that none can fork meanwhile, then signalled, then
 * continued. Returns how many processes were signalled. */
size_t proc_signal_tree(int sig);
/* Process names (comma-separated, compared case-insensitively with
 * /proc/<pid>/comm) that proc_signal_tree spares from every signal but
 * SIGKILL: ALLEGRO_EXECUTOR_SIGTERM_EXCLUDE_PROCESSES. Copied. */
void proc_set_sigterm_exclude(const char *csv);

/* Whether any non-helper descendant is still alive (zombies excluded). */
bool proc_tree_alive(void);

/* Called on the loop after every reaping pass (the task watches its tree). */
void proc_set_reap_observer(void (*fn)(void *data), void *data);
/* Adopted orphans reaped so far. */
unsigned long proc_orphans_reaped(void);

#endif
