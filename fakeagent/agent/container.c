/* Executors' containers: a cgroup v2 of their own, or a subreaper init
 * (see container.h). */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_ROUNDS 50 /* looks at what is left after a kill, at most */

int container_kind_parse(const char *name)
{
	return !strcmp(name, "auto")        ? CONTAINER_AUTO
	       : !strcmp(name, "cgroup")    ? CONTAINER_CGROUP
	       : !strcmp(name, "subreaper") ? CONTAINER_SUBREAPER
	                                    : -1;
}

const char *container_kind_name(enum container_kind k)
{
	return k == CONTAINER_CGROUP ? "cgroup" : k == CONTAINER_SUBREAPER ? "subreaper" : "auto";
}

/* ------------------------------------------------------------ cgroup v2 */

/* This process's cgroup v2 path ("0::/a/b" in /proc/self/cgroup). */
static int own_cgroup(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -1;
	char line[4096];
	int rc = -1;
	while (rc < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + 3);
			rc = 0;
		}
	fclose(f);
	return rc;
}

/* The first cgroup2 mount: its mount point and the cgroup at its root. */
static int cgroup2_mount(char *dir, size_t dlen, char *root, size_t rlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[4096];
	int rc = -1;
	while (rc < 0 && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - cgroup2 ");
		char r[2048], m[2048];
		if (sep && sscanf(line, "%*s %*s %*s %2047s %2047s", r, m) == 2) {
			snprintf(dir, dlen, "%s", m);
			snprintf(root, rlen, "%s", r);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

int container_cgroup_parent(char *buf, size_t len, char *err, size_t errlen)
{
	char own[4096], mnt[2048], root[2048], procs[4200];
	if (own_cgroup(own, sizeof(own)) < 0) {
		snprintf(err, errlen, "no cgroup v2 hierarchy (/proc/self/cgroup has no 0:: line)");
		return -1;
	}
	if (cgroup2_mount(mnt, sizeof(mnt), root, sizeof(root)) < 0) {
		snprintf(err, errlen, "no cgroup2 file system mounted");
		return -1;
	}
	size_t rl = strcmp(root, "/") ? strlen(root) : 0;
	if (rl && (strncmp(own, root, rl) || (own[rl] && own[rl] != '/'))) {
		snprintf(err, errlen, "cgroup %s is not below the mount's root %s", own, root);
		return -1;
	}
	const char *rel = own + rl;
	snprintf(buf, len, "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	/* making a cgroup there and moving a process of ours into it */
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", buf);
	if (access(buf, W_OK) < 0 || access(procs, W_OK) < 0) {
		snprintf(err, errlen, "%s: %s (not delegated to this user)", buf, strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes `text` to a file of a cgroup; 0, or -1 with errno. */
static int cgroup_write(const char *dir, const char *file, const char *text)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* SIGKILLs the processes cgroup.procs lists: how many. */
static size_t kill_listed(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = 0;
	long pid;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
	fclose(f);
	return n;
}

static void cgroup_kill(const char *dir)
{
	if (cgroup_write(dir, "cgroup.kill", "1") == 0)
		return;
	/* before Linux 5.14: one process after the other, until none is left */
	for (int round = 0; round < KILL_ROUNDS && kill_listed(dir); round++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static int start_in_cgroup(struct container *c, const char *parent, const char *name,
                           void (*child)(void *), void *arg, char *err, size_t errlen)
{
	char dir[4200], procs[4300];
	snprintf(dir, sizeof(dir), "%s/%s", parent, name);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	if (mkdir(dir, 0755) < 0) {
		int e = errno;
		snprintf(err, errlen, "cgroup %s: %s", dir, strerror(e));
		errno = e;
		return -1;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		rmdir(dir);
		snprintf(err, errlen, "pipe: %s", strerror(e));
		errno = e;
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* in the cgroup before anything runs; the pipe closes on exec */
		close(p[0]);
		int fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			int e = errno;
			if (write(p[1], &e, sizeof(e)) < 0)
				_exit(126);
			_exit(127);
		}
		close(fd);
		child(arg);
		_exit(127);
	}
	int fork_errno = errno;
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		rmdir(dir);
		snprintf(err, errlen, "fork: %s", strerror(fork_errno));
		errno = fork_errno;
		return -1;
	}
	int e = 0;
	ssize_t r;
	while ((r = read(p[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (r == (ssize_t)sizeof(e)) { /* it could not join: nothing ran */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		rmdir(dir);
		snprintf(err, errlen, "cannot join cgroup %s: %s", dir, strerror(e));
		errno = e;
		return -1;
	}
	c->kind = CONTAINER_CGROUP;
	c->cgroup = strdup(dir);
	c->init = 0;
	c->status_fd = -1;
	c->pid = pid;
	return 0;
}

/* ------------------------------------------------------------ subreaper */

void container_reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
}

/* Closes every descriptor from 3 up but `keep`. */
static void close_all_but(int keep)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0) == 0 &&
	    syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0) == 0)
		return;
#endif
	for (int fd = 3; fd < 65536; fd++)
		if (fd != keep)
			close(fd);
}

/* The init: runs in a fork of fakeagent, async-signal-safe calls only. It
 * starts the executor, gives its pid and later its wait status on `out`,
 * reaps whatever is re-parented to it, and exits when nothing is left. */
static __attribute__((noreturn)) void init_main(int out, void (*child)(void *), void *arg)
{
	container_reset_signals();
	signal(SIGPIPE, SIG_IGN); /* fakeagent may be gone */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	setsid(); /* no terminal's signals */
	pid_t pid = fork();
	if (pid == 0) {
		child(arg);
		_exit(127);
	}
	int v = pid > 0 ? (int)pid : -errno;
	if (write(out, &v, sizeof(v)) < 0 || pid < 0)
		_exit(127);
	/* nothing of fakeagent's kept open: its sockets, pipes and terminal */
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	close_all_but(out);
	for (;;) {
		int st;
		pid_t r = waitpid(-1, &st, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			_exit(0); /* the container is empty */
		if (r == pid && write(out, &st, sizeof(st)) < 0) {
			/* fakeagent is gone: reap on */
		}
	}
}

static int start_under_init(struct container *c, void (*child)(void *), void *arg, char *err,
                            size_t errlen)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t init = fork();
	if (init == 0) {
		close(p[0]);
		init_main(p[1], child, arg);
	}
	int fork_errno = errno;
	close(p[1]);
	if (init < 0) {
		close(p[0]);
		snprintf(err, errlen, "fork: %s", strerror(fork_errno));
		return -1;
	}
	int v = 0;
	ssize_t r;
	while ((r = read(p[0], &v, sizeof(v))) < 0 && errno == EINTR)
		;
	if (r != (ssize_t)sizeof(v) || v <= 0) {
		close(p[0]);
		while (waitpid(init, NULL, 0) < 0 && errno == EINTR)
			;
		snprintf(err, errlen, "fork: %s",
		         r == (ssize_t)sizeof(v) ? strerror(-v) : "no init");
		return -1;
	}
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	c->kind = CONTAINER_SUBREAPER;
	c->cgroup = NULL;
	c->init = init;
	c->status_fd = p[0];
	c->pid = (pid_t)v;
	return 0;
}

/* Every process below `top` in a snapshot, SIGKILLed: how many. */
static size_t kill_below(pid_t top, const struct procscan_entry *v, size_t n)
{
	pid_t *queue = malloc((n + 1) * sizeof(*queue));
	if (!queue)
		return 0;
	size_t head = 0, tail = 0, killed = 0;
	queue[tail++] = top;
	while (head < tail) { /* breadth first: a parent before its children */
		pid_t p = queue[head++];
		for (size_t i = 0; i < n && tail <= n; i++)
			if (v[i].ppid == p && v[i].pid != top)
				queue[tail++] = v[i].pid;
	}
	for (size_t i = 1; i < tail; i++)
		killed += kill(queue[i], SIGKILL) == 0;
	free(queue);
	return killed;
}

/* ------------------------------------------------------------ the container */

int container_start(struct container *c, enum container_kind kind, const char *parent,
                    const char *name, void (*child)(void *), void *arg, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->status_fd = -1;
	if (kind == CONTAINER_CGROUP)
		return start_in_cgroup(c, parent, name, child, arg, err, errlen);
	return start_under_init(c, child, arg, err, errlen);
}

void container_kill(struct container *c, const struct procscan_entry *v, size_t n)
{
	if (c->kind == CONTAINER_CGROUP) {
		if (c->cgroup)
			cgroup_kill(c->cgroup);
		return;
	}
	if (c->init <= 0)
		return;
	struct procscan_entry *own = NULL;
	for (int round = 0; round < KILL_ROUNDS && kill_below(c->init, v, n); round++) {
		free(own); /* what was forked or re-parented meanwhile */
		v = own = procscan_snapshot(&n);
	}
	free(own);
}

bool container_remove(struct container *c)
{
	if (!c->cgroup)
		return true;
	if (rmdir(c->cgroup) < 0 && (errno == EBUSY || errno == EAGAIN))
		return false;
	free(c->cgroup); /* removed, or beyond our repair */
	c->cgroup = NULL;
	return true;
}
