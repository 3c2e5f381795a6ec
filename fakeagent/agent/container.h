/* Executors' containers: every process an executor starts belongs to its
 * container, and destroying the container kills them all, as the Mesos
 * Linux launcher does with the container's cgroup. Two kinds:
 *
 *   cgroup     a cgroup v2 of its own, below fakeagent's own cgroup, when
 *              fakeagent may make one (the subtree is delegated to it, or
 *              it is root). The executor joins it before it execs; destroy
 *              writes cgroup.kill (or kills each process of cgroup.procs
 *              until none is left, on kernels before 5.14).
 *   subreaper  a small init, a fork of fakeagent that is a child subreaper
 *              in a session of its own, starts the executor: every process
 *              the executor starts stays below the init, orphans and
 *              double-forked daemons included. Destroy kills every process
 *              below it until none is left. The init reports the executor's
 *              exit status through a pipe and exits once its container is
 *              empty.
 *
 * Either way the executor itself runs as before (a new session, its
 * sandbox, its environment); what survives a destroy is for the caller to
 * report (procscan). */
#ifndef FAKEAGENT_AGENT_CONTAINER_H
#define FAKEAGENT_AGENT_CONTAINER_H

#include "procscan.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum container_kind {
	CONTAINER_AUTO, /* cgroup when possible, else subreaper */
	CONTAINER_CGROUP,
	CONTAINER_SUBREAPER,
};

/* "auto", "cgroup", "subreaper" -> the kind, or -1. */
int container_kind_parse(const char *name);
const char *container_kind_name(enum container_kind k);

/* The cgroup v2 directory of this process's own cgroup, where its
 * containers' cgroups go, when it may make them there: 0 with the path in
 * buf, or -1 with err saying why not (no cgroup v2, not writable...). */
int container_cgroup_parent(char *buf, size_t len, char *err, size_t errlen);

struct container {
	enum container_kind kind; /* CGROUP or SUBREAPER */
	char *cgroup;             /* owned: CGROUP: its directory, until removed */
	pid_t init;               /* SUBREAPER: the init, a child of ours */
	int status_fd;            /* SUBREAPER: gives the executor's wait status (an int), then
	                           * EOF once the init is gone; -1 when closed (owned) */
	pid_t pid;                /* the executor: our child (CGROUP) or the init's (SUBREAPER) */
};

/* Runs `child(arg)` (it execs the executor, or _exits) as the executor of a
 * new container of `kind` (CGROUP: the directory `name` below `parent`).
 * Blocks until the executor has joined its cgroup or its init has started
 * it. 0 with c filled, or -1 with err; a cgroup that cannot be made or
 * joined fails with errno set, nothing left behind. */
int container_start(struct container *c, enum container_kind kind, const char *parent,
                    const char *name, void (*child)(void *arg), void *arg, char *err,
                    size_t errlen);

/* SIGKILLs every process of the container, the executor's too if it still
 * lives. The first look at the processes uses `v` (a snapshot shared by
 * the containers killed together), later looks, for processes forked or
 * re-parented meanwhile, their own. */
void container_kill(struct container *c, const struct procscan_entry *v, size_t n);

/* Removes the container's cgroup once nothing is left in it: true when it
 * is gone (or there is none), false while it is not empty. */
bool container_remove(struct container *c);

/* In a forked child: every signal back to its default and unblocked, as a
 * freshly started process has them (async-signal-safe). */
void container_reset_signals(void);

#endif
