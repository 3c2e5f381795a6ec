/* Spawning, reaping and tree-killing for the executor (see proc.h).
 *
 * The registry maps pids to what should happen when they are reaped: a
 * callback on the loop (task, probes) or a waiting worker thread (hook
 * commands). It is guarded by a mutex because hook threads spawn too; a
 * worker holds the mutex across fork() so that the reaper cannot collect
 * its child before it is registered. */
#include "proc.h"

#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct entry {
	pid_t pid;
	proc_exit_cb cb; /* loop callback, or NULL */
	void *data;
	bool helper;   /* not part of the task's tree */
	bool blocking; /* a worker thread waits for it */
	bool done;     /* reaped (blocking entries) */
	int status;
};

static struct {
	uv_signal_t sigchld;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct entry *e;
	size_t n, cap;
	unsigned long orphans_reaped;
	void (*observer)(void *);
	void *observer_data;
	char exclude[512]; /* ",name,name," lower-case, or "" */
} P = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ------------------------------------------------------------ registry */

static struct entry *find(pid_t pid)
{
	for (size_t i = 0; i < P.n; i++)
		if (P.e[i].pid == pid)
			return &P.e[i];
	return NULL;
}

static int add(pid_t pid, proc_exit_cb cb, void *data, bool helper, bool blocking)
{
	if (P.n == P.cap) {
		size_t cap = P.cap ? P.cap * 2 : 8;
		struct entry *ne = realloc(P.e, cap * sizeof(*ne));
		if (!ne)
			return -1;
		P.e = ne;
		P.cap = cap;
	}
	P.e[P.n++] = (struct entry){
	    .pid = pid, .cb = cb, .data = data, .helper = helper, .blocking = blocking};
	return 0;
}

static void drop(struct entry *e)
{
	*e = P.e[--P.n];
}

void proc_set_reap_observer(void (*fn)(void *), void *data)
{
	P.observer = fn;
	P.observer_data = data;
}

unsigned long proc_orphans_reaped(void)
{
	return P.orphans_reaped;
}

/* ------------------------------------------------------------ reaping */

static void on_sigchld(uv_signal_t *h, int signum)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		proc_exit_cb cb = NULL;
		void *data = NULL;
		pthread_mutex_lock(&P.mu);
		struct entry *e = find(pid);
		if (!e) {
			P.orphans_reaped++;
		} else if (e->blocking) {
			e->done = true;
			e->status = st;
			pthread_cond_broadcast(&P.cv);
		} else {
			cb = e->cb;
			data = e->data;
			drop(e);
		}
		pthread_mutex_unlock(&P.mu);
		if (!e)
			log_debug("reaped adopted process %d", (int)pid);
		if (cb)
			cb(data, pid, st);
	}
	if (P.observer)
		P.observer(P.observer_data);
}

int proc_init(uv_loop_t *loop, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&P.cv, &ca);
	pthread_condattr_destroy(&ca);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
		return -1;
	}
	uv_signal_init(loop, &P.sigchld);
	if (uv_signal_start(&P.sigchld, on_sigchld, SIGCHLD) < 0) {
		snprintf(err, errlen, "cannot watch SIGCHLD");
		return -1;
	}
	uv_unref((uv_handle_t *)&P.sigchld);
	P.started = true;
	return 0;
}

void proc_shutdown(void)
{
	if (P.started) {
		uv_signal_stop(&P.sigchld);
		uv_close((uv_handle_t *)&P.sigchld, NULL);
		P.started = false;
	}
	pthread_mutex_lock(&P.mu);
	free(P.e);
	P.e = NULL;
	P.n = P.cap = 0;
	pthread_mutex_unlock(&P.mu);
}

/* The entry stays until the pid is reaped: a killed probe is still a helper
 * (not the task's) while it dies, and its reaping is not an orphan's. */
void proc_forget(pid_t pid)
{
	pthread_mutex_lock(&P.mu);
	struct entry *e = find(pid);
	if (e && !e->blocking) {
		e->cb = NULL;
		e->data = NULL;
	}
	pthread_mutex_unlock(&P.mu);
}

void proc_mark_helper(pid_t pid, bool helper)
{
	pthread_mutex_lock(&P.mu);
	struct entry *e = find(pid);
	if (e)
		e->helper = helper;
	pthread_mutex_unlock(&P.mu);
}

size_t proc_helpers(pid_t *out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&P.mu);
	for (size_t i = 0; i < P.n && n < max; i++)
		if (P.e[i].helper)
			out[n++] = P.e[i].pid;
	pthread_mutex_unlock(&P.mu);
	return n;
}

/* ------------------------------------------------------------ spawning */

struct child_plan {
	const struct proc_spec *spec;
	int devnull;
	int errfd; /* write end of the exec-error pipe */
	bool switch_user;
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
};

/* In the child: only async-signal-safe calls until exec. */
static void __attribute__((noreturn)) child(const struct child_plan *p)
{
	const struct proc_spec *s = p->spec;
	sigset_t all;
	int err;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (s->new_session)
		setsid();
	else if (s->new_pgroup)
		setpgid(0, 0);
	dup2(s->stdin_fd >= 0 ? s->stdin_fd : p->devnull, 0);
	if (s->stdout_fd >= 0)
		dup2(s->stdout_fd, 1);
	if (s->stderr_fd >= 0)
		dup2(s->stderr_fd, 2);
	/* Nothing of the executor's leaks into the task: every descriptor from 3
	 * up is close-on-exec (mark_cloexec), the error pipe too. */
	if (s->cwd && chdir(s->cwd) < 0)
		goto fail;
	if (p->switch_user && (setgroups((size_t)p->ngroups, p->groups) < 0 || setgid(p->gid) < 0 ||
	                       setuid(p->uid) < 0))
		goto fail;
	const char *file = s->path ? s->path : s->argv[0];
	if (s->envp)
		execvpe(file, s->argv, s->envp);
	else
		execvp(file, s->argv);
fail:
	err = errno;
	if (write(p->errfd, &err, sizeof(err)) < 0) {
	}
	_exit(127);
}

/* Marks every descriptor from 3 up close-on-exec, so that a child inherits
 * only what is dup2'd onto its 0, 1 and 2 (dup2 clears the flag). libuv opens
 * everything close-on-exec, libcurl's sockets and a hook's own files may not
 * be. Portable to any kernel: close_range(CLOSE_RANGE_CLOEXEC) since Linux
 * 5.11; before that each descriptor /proc/self/fd lists; without /proc (a
 * bare chroot), every number below the descriptor limit. A descriptor another
 * thread opens between this and the exec may leak: libuv and curl open theirs
 * with O_CLOEXEC/SOCK_CLOEXEC or on the loop thread, which is the one that
 * spawns tasks and probes. */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
static void set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl >= 0 && !(fl & FD_CLOEXEC))
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

void proc_mark_cloexec(enum proc_cloexec_way way)
{
	if (way == PROC_CLOEXEC_ANY && syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	DIR *d = way != PROC_CLOEXEC_EVERY_NUMBER ? opendir("/proc/self/fd") : NULL;
	if (d) {
		int self = dirfd(d);
		struct dirent *de;
		while ((de = readdir(d))) {
			int fd = atoi(de->d_name);
			if (fd >= 3 && fd != self)
				set_cloexec(fd);
		}
		closedir(d);
		return;
	}
	struct rlimit rl;
	int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	                  rl.rlim_cur < (rlim_t)INT32_MAX
	              ? (int)rl.rlim_cur
	              : 65536;
	for (int fd = 3; fd < max; fd++)
		set_cloexec(fd);
}

static int plan(struct child_plan *p, const struct proc_spec *s, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->spec = s;
	if (!s->argv || !s->argv[0]) {
		snprintf(err, errlen, "nothing to execute");
		return -1;
	}
	if (s->user && *s->user && geteuid() == 0) {
		struct passwd pw, *res = NULL;
		char buf[4096];
		if (getpwnam_r(s->user, &pw, buf, sizeof(buf), &res) != 0 || !res) {
			snprintf(err, errlen, "user '%s' does not exist", s->user);
			return -1;
		}
		p->switch_user = true;
		p->uid = pw.pw_uid;
		p->gid = pw.pw_gid;
		p->ngroups = 64;
		if (getgrouplist(s->user, pw.pw_gid, p->groups, &p->ngroups) < 0)
			p->ngroups = 64;
	} else if (s->user && *s->user) {
		log_debug("not switching to user '%s': the executor does not run as root", s->user);
	}
	p->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (p->devnull < 0) {
		snprintf(err, errlen, "open /dev/null: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads the child's exec errno; 0 when exec succeeded (EOF). */
static int exec_result(int fd)
{
	int child_errno = 0;
	ssize_t r;
	while ((r = read(fd, &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	return r == (ssize_t)sizeof(child_errno) ? child_errno : 0;
}

extern char **environ;

/* posix_spawn: vfork semantics, so no page tables are copied (the executor
 * maps 35 libraries) and exec errors come back as its result. It cannot
 * switch users; that goes through fork. */
static pid_t spawn_vfork(const struct proc_spec *s, const struct child_plan *p, proc_exit_cb cb,
                         void *data, bool blocking, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	const char *file = s->path ? s->path : s->argv[0];
	pid_t pid = -1;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	if (s->new_session) {
		flags |= POSIX_SPAWN_SETSID;
	} else if (s->new_pgroup) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&at, 0);
	}
	posix_spawnattr_setflags(&at, flags);
	posix_spawn_file_actions_adddup2(&fa, s->stdin_fd >= 0 ? s->stdin_fd : p->devnull, 0);
	if (s->stdout_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, s->stdout_fd, 1);
	if (s->stderr_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, s->stderr_fd, 2);
	/* Nothing of the executor's leaks into the task: every descriptor from 3
	 * up is close-on-exec (mark_cloexec). */
	if (s->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, s->cwd);

	pthread_mutex_lock(&P.mu); /* registered before the reaper can see it */
	int rc = posix_spawnp(&pid, file, &fa, &at, s->argv, s->envp ? s->envp : environ);
	if (rc == 0 && add(pid, cb, data, false, blocking) < 0)
		log_error("out of memory registering process %d", (int)pid);
	pthread_mutex_unlock(&P.mu);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p->devnull);
	if (rc != 0) {
		snprintf(err, errlen, "exec %s: %s", file, strerror(rc));
		return -1;
	}
	return pid;
}

static pid_t spawn(const struct proc_spec *s, proc_exit_cb cb, void *data, bool blocking, char *err,
                   size_t errlen)
{
	struct child_plan p;
	int pipefd[2];

	if (plan(&p, s, err, errlen) < 0)
		return -1;
	proc_mark_cloexec(PROC_CLOEXEC_ANY);
	if (!p.switch_user)
		return spawn_vfork(s, &p, cb, data, blocking, err, errlen);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(p.devnull);
		return -1;
	}
	p.errfd = pipefd[1];
	pthread_mutex_lock(&P.mu);
	pid_t pid = fork();
	if (pid == 0)
		child(&p);
	if (pid > 0 && add(pid, cb, data, false, blocking) < 0)
		log_error("out of memory registering process %d", (int)pid);
	pthread_mutex_unlock(&P.mu);
	int saved = errno;
	close(pipefd[1]);
	close(p.devnull);
	if (pid < 0) {
		close(pipefd[0]);
		snprintf(err, errlen, "fork: %s", strerror(saved));
		return -1;
	}
	int child_errno = exec_result(pipefd[0]);
	close(pipefd[0]);
	if (child_errno) {
		snprintf(err, errlen, "exec %s: %s", s->path ? s->path : s->argv[0],
		         strerror(child_errno));
		if (!blocking)
			proc_forget(pid); /* reaped without a callback */
		return blocking ? -pid - 1 : -1;
	}
	return pid;
}

pid_t proc_spawn(const struct proc_spec *s, proc_exit_cb cb, void *data, char *err, size_t errlen)
{
	return spawn(s, cb, data, false, err, errlen);
}

static void deadline(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int proc_run_blocking(const struct proc_spec *s, int64_t timeout_ms, char *err, size_t errlen)
{
	struct proc_spec spec = *s;
	spec.new_pgroup = true;
	pid_t pid = spawn(&spec, NULL, NULL, true, err, errlen);
	bool exec_failed = pid < -1;
	if (pid == -1)
		return -1;
	if (exec_failed)
		pid = -pid - 1;
	proc_mark_helper(pid, true);

	struct timespec ts;
	bool killed = false;
	if (timeout_ms > 0)
		deadline(&ts, timeout_ms);
	pthread_mutex_lock(&P.mu);
	struct entry *e;
	while ((e = find(pid)) && !e->done) {
		if (!P.started) { /* no reaper (tests without a loop): wait here */
			int st;
			pthread_mutex_unlock(&P.mu);
			pid_t r = waitpid(pid, &st, timeout_ms > 0 && !killed ? WNOHANG : 0);
			pthread_mutex_lock(&P.mu);
			if (r == pid) {
				e = find(pid);
				e->done = true;
				e->status = st;
				break;
			}
			pthread_mutex_unlock(&P.mu);
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (!killed && timeout_ms > 0 &&
			    (now.tv_sec > ts.tv_sec ||
			     (now.tv_sec == ts.tv_sec && now.tv_nsec >= ts.tv_nsec))) {
				kill(-pid, SIGKILL);
				killed = true;
			}
			struct timespec nap = {0, 5000000};
			nanosleep(&nap, NULL);
			pthread_mutex_lock(&P.mu);
			continue;
		}
		int rc = timeout_ms > 0 && !killed ? pthread_cond_timedwait(&P.cv, &P.mu, &ts)
		                                   : pthread_cond_wait(&P.cv, &P.mu);
		if (rc == ETIMEDOUT && !killed) {
			kill(-pid, SIGKILL);
			killed = true;
		}
	}
	int status = e ? e->status : -1;
	if (e)
		drop(e);
	pthread_mutex_unlock(&P.mu);
	if (exec_failed)
		return -1;
	if (killed) {
		snprintf(err, errlen, "timed out after %lld ms", (long long)timeout_ms);
		errno = ETIMEDOUT;
		return -1;
	}
	return status;
}

/* ------------------------------------------------------------ the tree */

/* Appends the children of pid (every thread's) to out; returns the new count. */
static size_t children_of(pid_t pid, pid_t *out, size_t n, size_t max, bool *ok)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	struct dirent *de;
	if (!d)
		return n;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		char cpath[384], buf[4096];
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		int fd = open(cpath, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				*ok = false; /* kernel without CONFIG_PROC_CHILDREN */
			continue;
		}
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		for (char *p = buf, *end; *p && n < max; p = end) {
			long c = strtol(p, &end, 10);
			if (end == p)
				break;
			out[n++] = (pid_t)c;
		}
	}
	closedir(d);
	return n;
}

/* Fallback: the parent of every process from /proc/<pid>/stat. */
static size_t children_by_scan(pid_t parent, pid_t *out, size_t n, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	if (!d)
		return n;
	while ((de = readdir(d)) && n < max) {
		char path[300], buf[512];
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		char *rp = strrchr(buf, ')');
		int ppid;
		char state;
		if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
			out[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return n;
}

static bool is_excluded(pid_t pid, const pid_t *ex, size_t nex)
{
	for (size_t i = 0; i < nex; i++)
		if (ex[i] == pid)
			return true;
	return false;
}

size_t proc_descendants(pid_t *out, size_t max, const pid_t *ex, size_t nex)
{
	size_t n = 0;
	bool ok = true;
	pid_t self = getpid();

	n = children_of(self, out, 0, max, &ok);
	if (!ok)
		n = children_by_scan(self, out, 0, max);
	/* Breadth-first: out[i] for i < n is the frontier, grown in place. */
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_excluded(out[i], ex, nex))
			continue;
		out[kept++] = out[i];
	}
	n = kept;
	for (size_t i = 0; i < n && n < max; i++) {
		size_t before = n;
		n = ok ? children_of(out[i], out, n, max, &ok)
		       : children_by_scan(out[i], out, n, max);
		/* Helpers' subtrees are excluded at their root only. */
		kept = before;
		for (size_t k = before; k < n; k++)
			if (!is_excluded(out[k], ex, nex))
				out[kept++] = out[k];
		n = kept;
	}
	return n;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	char *rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

#define TREE_MAX 4096

static size_t task_tree(pid_t *out, size_t max)
{
	pid_t helpers[64];
	size_t nh = proc_helpers(helpers, 64);
	return proc_descendants(out, max, helpers, nh);
}

static bool contains(const pid_t *set, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == pid)
			return true;
	return false;
}

void proc_set_sigterm_exclude(const char *csv)
{
	size_t n = 0;
	P.exclude[0] = '\0';
	if (!csv || !*csv)
		return;
	P.exclude[n++] = ',';
	for (const char *p = csv; *p && n + 2 < sizeof(P.exclude); p++)
		if (*p != ' ')
			P.exclude[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	P.exclude[n++] = ',';
	P.exclude[n] = '\0';
}

/* Whether pid's command name is in the SIGTERM exclusion list. */
static bool excluded_by_name(pid_t pid)
{
	char path[64], comm[64 + 2];
	if (!P.exclude[0])
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t r = read(fd, comm + 1, sizeof(comm) - 3);
	close(fd);
	if (r <= 0)
		return false;
	comm[0] = ',';
	size_t n = (size_t)r + 1;
	if (comm[n - 1] == '\n')
		n--;
	comm[n++] = ',';
	comm[n] = '\0';
	for (size_t i = 1; i + 1 < n; i++)
		if (comm[i] >= 'A' && comm[i] <= 'Z')
			comm[i] = (char)(comm[i] + 32);
	return strstr(P.exclude, comm) != NULL;
}

size_t proc_signal_tree(int sig)
{
	static pid_t seen[TREE_MAX], now[TREE_MAX];
	size_t nseen = 0;

	if (sig == SIGKILL) {
		/* No need to freeze: SIGKILL cannot be caught. Repeat until
		 * nothing new appears (a fork racing with the listing). */
		for (int round = 0; round < 16; round++) {
			size_t n = task_tree(now, TREE_MAX), fresh = 0;
			for (size_t i = 0; i < n; i++) {
				if (proc_state(now[i]) == 'Z')
					continue;
				kill(now[i], SIGKILL);
				if (!contains(seen, nseen, now[i]) && nseen < TREE_MAX) {
					seen[nseen++] = now[i];
					fresh++;
				}
			}
			if (!fresh)
				break;
		}
		return nseen;
	}
	/* Freeze the tree so that nothing forks away while it is collected. */
	for (int round = 0; round < 16; round++) {
		size_t n = task_tree(now, TREE_MAX), fresh = 0;
		for (size_t i = 0; i < n; i++) {
			if (contains(seen, nseen, now[i]) || nseen >= TREE_MAX)
				continue;
			kill(now[i], SIGSTOP);
			seen[nseen++] = now[i];
			fresh++;
		}
		if (!fresh)
			break;
	}
	size_t signalled = 0;
	for (size_t i = 0; i < nseen; i++) {
		if (excluded_by_name(seen[i]))
			continue;
		kill(seen[i], sig);
		signalled++;
	}
	for (size_t i = 0; i < nseen; i++)
		kill(seen[i], SIGCONT);
	return signalled;
}

bool proc_tree_alive(void)
{
	static pid_t now[TREE_MAX];
	size_t n = task_tree(now, TREE_MAX);
	for (size_t i = 0; i < n; i++) {
		char st = proc_state(now[i]);
		if (st && st != 'Z' && st != 'X')
			return true;
	}
	return false;
}
