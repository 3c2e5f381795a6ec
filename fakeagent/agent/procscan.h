/* The processes of the machine, read from /proc: one snapshot of every
 * live (not zombie) process but the caller, with its parent, process group
 * and session. The fake agent kills an executor's container from one
 * snapshot; scenarios look for processes left behind in it. */
#ifndef FAKEAGENT_AGENT_PROCSCAN_H
#define FAKEAGENT_AGENT_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct procscan_entry {
	pid_t pid, ppid, pgrp, session;
	bool doomed; /* the caller's mark */
};

/* The live processes but this one, *n of them (the caller frees the
 * array); NULL when /proc cannot be read or lists none. */
struct procscan_entry *procscan_snapshot(size_t *n);

/* The command line of pid, NULs as spaces, in buf; false when it is gone. */
bool procscan_cmdline(pid_t pid, char *buf, size_t len);

#endif
