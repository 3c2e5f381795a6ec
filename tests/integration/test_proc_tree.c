/* Process supervision with real processes (executor/proc.h): this test
 * program is a child subreaper with the executor's
 * SIGCHLD reaper on a libuv loop. A shell task in its own session starts a
 * child that ignores SIGTERM, a `setsid` grandchild that ignores SIGTERM and
 * a double-forked daemon; SIGTERM to the tree leaves the ignorers, SIGKILL
 * leaves nothing, and everything is reaped, orphans included. Helpers are
 * spared; proc_run_blocking's timeout kills the whole group; a missing
 * executable is reported as an exec error; a child inherits only 0, 1 and 2,
 * however the kernel lets the executor mark the rest close-on-exec. Waits have generous deadlines,
 * never timed assertions. */
#include "testsupport.h"

#include "executor/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEADLINE_MS 20000

static uv_loop_t loop;
/* The reaper's signal handle does not keep the loop alive (uv_unref), and a
 * loop with nothing alive does not poll: this timer stands in for the
 * executor's other handles. */
static uv_timer_t keepalive;

static void on_keepalive(uv_timer_t *t) {}

/* ------------------------------------------------------------ helpers */

/* Runs the loop (the reaper) until cond(arg) holds or the deadline passes. */
static bool pump_until(bool (*cond)(void *), void *arg)
{
	int64_t end = ts_now_ms() + DEADLINE_MS;
	for (;;) {
		uv_run(&loop, UV_RUN_NOWAIT);
		if (cond(arg))
			return true;
		if (ts_now_ms() > end)
			return false;
		ts_sleep_ms(10);
	}
}

/* The state letter of /proc/<pid>/stat, 0 when the pid does not exist. */
static char state_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
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

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	int ppid = 0;
	char st;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	char *rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 1, " %c %d", &st, &ppid) != 2)
		return 0;
	return (pid_t)ppid;
}

/* Alive and running: neither gone, nor a zombie, nor stopped. */
static bool running(pid_t pid)
{
	char s = state_of(pid);
	return s && s != 'Z' && s != 'X' && s != 'T' && s != 't';
}

/* Gone for good: reaped (a zombie still has a /proc entry). */
static bool reaped(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static bool pid_reaped(void *arg)
{
	return reaped(*(pid_t *)arg);
}

static bool nothing_left(void *arg)
{
	pid_t out[64];
	return !proc_tree_alive() && proc_descendants(out, 64, NULL, 0) == 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The pid a script wrote to dir/name, or 0 while the file is not there. */
static pid_t read_pid(const char *dir, const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *text = ts_read_file(path, NULL);
	pid_t pid = text ? (pid_t)atoi(text) : 0;
	free(text);
	return pid;
}

struct tree {
	char *dir;
	pid_t main, child, setsid_child, daemon;
	bool main_exited;
	int main_status;
};

static bool pids_written(void *arg)
{
	struct tree *t = arg;
	t->child = read_pid(t->dir, "child");
	t->setsid_child = read_pid(t->dir, "setsid");
	t->daemon = read_pid(t->dir, "daemon");
	return read_pid(t->dir, "main") && t->child && t->setsid_child && t->daemon;
}

static bool daemon_adopted(void *arg)
{
	struct tree *t = arg;
	return parent_of(t->daemon) == getpid();
}

static bool main_exited(void *arg)
{
	return ((struct tree *)arg)->main_exited;
}

static void on_main_exit(void *data, pid_t pid, int status)
{
	struct tree *t = data;
	assert_int_equal(pid, t->main);
	t->main_exited = true;
	t->main_status = status;
}

/* Writes the scripts and starts the task: a shell in its own session with a
 * SIGTERM-ignoring child, a SIGTERM-ignoring grandchild in its own session
 * (setsid), and a daemon whose parent exits at once. */
static void start_tree(struct tree *t)
{
	char err[256], script[1024];
	memset(t, 0, sizeof(*t));
	t->dir = ts_mkdtemp("proc-tree");
	assert_non_null(t->dir);
	write_file(t->dir, "ignore.sh",
	           "trap '' TERM\n"
	           "echo $$ > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n"
	           "exec sleep 1000\n");
	write_file(t->dir, "daemon.sh",
	           "echo $$ > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n"
	           "exec sleep 1000\n");
	write_file(t->dir, "tree.sh",
	           "d=\"$1\"\n"
	           "sh \"$d/ignore.sh\" \"$d/child\" &\n"
	           "sh -c 'setsid sh \"$0/ignore.sh\" \"$0/setsid\" & wait' \"$d\" &\n"
	           "sh -c 'sh \"$0/daemon.sh\" \"$0/daemon\" &' \"$d\" &\n"
	           "echo $$ > \"$d/main.tmp\" && mv \"$d/main.tmp\" \"$d/main\"\n"
	           "wait\n");
	snprintf(script, sizeof(script), "%s/tree.sh", t->dir);
	char *argv[] = {"/bin/sh", script, t->dir, NULL};
	struct proc_spec spec = {
	    .argv = argv, .new_session = true, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
	t->main = proc_spawn(&spec, on_main_exit, t, err, sizeof(err));
	if (t->main < 0)
		fail_msg("proc_spawn: %s", err);
	if (!pump_until(pids_written, t))
		fail_msg("the task's processes did not all start");
	assert_int_equal(read_pid(t->dir, "main"), t->main);
}

static void kill_leftovers(struct tree *t)
{
	pid_t all[] = {t->main, t->child, t->setsid_child, t->daemon};
	for (size_t i = 0; i < 4; i++)
		if (all[i] > 0)
			kill(all[i], SIGKILL);
	pump_until(nothing_left, NULL);
	ts_rmtree(t->dir);
	free(t->dir);
}

/* ------------------------------------------------------------ the tree */

static void test_task_runs_in_its_own_session_and_setsid_leaves_it(void **state)
{
	struct tree t;
	start_tree(&t);
	assert_int_equal(getsid(t.main), t.main);
	assert_int_equal(getsid(t.child), t.main);
	assert_int_equal(getsid(t.setsid_child), t.setsid_child);
	assert_true(pump_until(daemon_adopted, &t)); /* we are a subreaper */
	proc_signal_tree(SIGKILL);
	assert_true(pump_until(nothing_left, NULL));
	kill_leftovers(&t);
}

static void test_sigterm_to_the_tree_leaves_only_the_processes_that_ignore_it(void **state)
{
	struct tree t;
	start_tree(&t);
	pump_until(daemon_adopted, &t);

	size_t n = proc_signal_tree(SIGTERM);
	assert_true(n >= 4);
	if (!pump_until(main_exited, &t))
		fail_msg("the task's shell survived SIGTERM");
	assert_true(WIFSIGNALED(t.main_status));
	assert_int_equal(WTERMSIG(t.main_status), SIGTERM);
	if (!pump_until(pid_reaped, &t.daemon))
		fail_msg("the double-forked daemon survived SIGTERM or was not reaped");

	/* The ignorers live on, and were continued after the freeze. */
	ts_sleep_ms(100);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_true(running(t.child));
	assert_true(running(t.setsid_child));
	assert_true(proc_tree_alive());
	kill_leftovers(&t);
}

static void test_sigkill_to_the_tree_kills_and_reaps_everything(void **state)
{
	struct tree t;
	start_tree(&t);
	pump_until(daemon_adopted, &t);
	unsigned long orphans = proc_orphans_reaped();

	proc_signal_tree(SIGTERM);
	pump_until(main_exited, &t);
	assert_true(proc_tree_alive());
	proc_signal_tree(SIGKILL);
	if (!pump_until(nothing_left, NULL))
		fail_msg("processes of the task survived SIGKILL or were not reaped");

	assert_true(reaped(t.child));
	assert_true(reaped(t.setsid_child));
	assert_true(reaped(t.daemon));
	assert_false(proc_tree_alive());
	/* child, setsid grandchild and daemon were all adopted and reaped. */
	assert_true(proc_orphans_reaped() >= orphans + 3);
	kill_leftovers(&t);
}

static void test_sigkill_alone_kills_a_whole_running_tree(void **state)
{
	struct tree t;
	start_tree(&t);
	proc_signal_tree(SIGKILL);
	if (!pump_until(nothing_left, NULL))
		fail_msg("processes of the task survived SIGKILL or were not reaped");
	assert_true(t.main_exited);
	assert_int_equal(WTERMSIG(t.main_status), SIGKILL);
	kill_leftovers(&t);
}

/* ------------------------------------------------------------ helpers are spared */

struct exit_flag {
	bool exited;
	int status;
};

static void on_helper_exit(void *data, pid_t pid, int status)
{
	struct exit_flag *e = data;
	e->exited = true;
	e->status = status;
}

static bool flag_set(void *arg)
{
	return ((struct exit_flag *)arg)->exited;
}

/* A `sleep 1000` in its own group, marked as a helper (a probe, a hook
 * command); its exit goes to *flag. */
static pid_t spawn_helper(struct exit_flag *flag)
{
	char err[256];
	char *argv[] = {"sleep", "1000", NULL};
	struct proc_spec spec = {
	    .argv = argv, .new_pgroup = true, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
	pid_t pid = proc_spawn(&spec, on_helper_exit, flag, err, sizeof(err));
	if (pid < 0)
		fail_msg("proc_spawn: %s", err);
	proc_mark_helper(pid, true);
	return pid;
}

static void test_helpers_are_not_part_of_the_tree(void **state)
{
	struct exit_flag helper = {0};
	pid_t pid = spawn_helper(&helper);

	assert_false(proc_tree_alive());
	proc_signal_tree(SIGTERM);
	proc_signal_tree(SIGKILL);
	ts_sleep_ms(100);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_false(helper.exited);
	assert_true(running(pid));

	/* Unmarked, it is the task's again. */
	proc_mark_helper(pid, false);
	assert_true(proc_tree_alive());
	proc_signal_tree(SIGKILL);
	assert_true(pump_until(flag_set, &helper));
	assert_int_equal(WTERMSIG(helper.status), SIGKILL);
}

/* A probe killed at its timeout is forgotten at once but reaped later: until
 * then it must not count as the task's (a task without processes would look
 * alive, and a kill of the task would reach it). */
static void test_a_forgotten_helper_stays_out_of_the_tree_until_reaped(void **state)
{
	struct exit_flag helper = {0};
	pid_t pid = spawn_helper(&helper);
	unsigned long orphans = proc_orphans_reaped();

	proc_forget(pid); /* not yet reaped: the loop has not run */
	assert_true(running(pid));
	assert_false(proc_tree_alive());
	pid_t out[64];
	pid_t helpers[64];
	size_t nh = proc_helpers(helpers, 64);
	assert_int_equal(proc_descendants(out, 64, helpers, nh), 0);

	kill(-pid, SIGKILL);
	assert_true(pump_until(pid_reaped, &pid));
	assert_false(helper.exited);                      /* forgotten: no callback */
	assert_int_equal(proc_orphans_reaped(), orphans); /* ours, not an orphan */
	assert_int_equal(proc_helpers(helpers, 64), 0);
}

/* ------------------------------------------------------------ spawning */

static void test_exec_of_a_missing_file_is_reported_as_an_exec_error(void **state)
{
	char err[256] = "";
	char *argv[] = {"/no/such/file", NULL};
	struct proc_spec spec = {.argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
	struct exit_flag e = {0};
	assert_int_equal(proc_spawn(&spec, on_helper_exit, &e, err, sizeof(err)), -1);
	assert_string_equal(err, "exec /no/such/file: No such file or directory");
	assert_true(pump_until(nothing_left, NULL));
	assert_false(e.exited); /* its callback never runs */
}

static bool exited_with(void *arg)
{
	return ((struct exit_flag *)arg)->exited;
}

static void test_spawned_process_reports_its_exit_status(void **state)
{
	char err[256];
	char *argv[] = {"/bin/sh", "-c", "exit 7", NULL};
	struct proc_spec spec = {
	    .argv = argv, .new_session = true, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
	struct exit_flag e = {0};
	assert_true(proc_spawn(&spec, on_helper_exit, &e, err, sizeof(err)) > 0);
	assert_true(pump_until(exited_with, &e));
	assert_true(WIFEXITED(e.status));
	assert_int_equal(WEXITSTATUS(e.status), 7);
}

/* The descriptors a process holds, as a sorted ",0,1,2," list. */
static void open_fds(pid_t pid, char *out, size_t len)
{
	char path[64];
	int seen[64] = {0};
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.' && atoi(de->d_name) < 64)
			seen[atoi(de->d_name)] = 1;
	closedir(d);
	size_t n = (size_t)snprintf(out, len, ",");
	for (int fd = 0; fd < 64; fd++)
		if (seen[fd])
			n += (size_t)snprintf(out + n, len - n, "%d,", fd);
}

static void test_a_child_inherits_only_its_stdin_stdout_and_stderr(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0); /* not close-on-exec, as a library might leave it */
	int file = open("/dev/null", O_RDONLY);
	assert_true(file >= 0);
	char err[256], fds[256];
	char *argv[] = {"sleep", "30", NULL};
	struct proc_spec spec = {
	    .argv = argv, .new_pgroup = true, .stdin_fd = -1, .stdout_fd = p[1], .stderr_fd = -1};
	struct exit_flag e = {0};
	pid_t pid = proc_spawn(&spec, on_helper_exit, &e, err, sizeof(err));
	assert_true(pid > 0);
	/* The kernel wakes posix_spawn's caller before it closes the
	 * close-on-exec descriptors: wait for the exec to finish. */
	int64_t end = ts_now_ms() + DEADLINE_MS;
	for (;;) {
		open_fds(pid, fds, sizeof(fds));
		if (strcmp(fds, ",0,1,2,") == 0 || ts_now_ms() > end)
			break;
		ts_sleep_ms(5);
	}
	assert_string_equal(fds, ",0,1,2,");
	kill(pid, SIGKILL);
	assert_true(pump_until(exited_with, &e));
	close(p[0]);
	close(p[1]);
	close(file);
}

/* Every way of marking, as on a kernel without close_range or a chroot
 * without /proc: afterwards no descriptor from 3 up survives an exec. */
static void test_every_way_of_marking_descriptors_close_on_exec_marks_them_all(void **state)
{
	enum proc_cloexec_way ways[] = {PROC_CLOEXEC_ANY, PROC_CLOEXEC_PROC_FD,
	                                PROC_CLOEXEC_EVERY_NUMBER};
	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		int p[2];
		assert_int_equal(pipe(p), 0);
		int hi = fcntl(p[0], F_DUPFD, 200); /* far from the others */
		assert_true(hi >= 200);
		proc_mark_cloexec(ways[w]);
		int fds[] = {p[0], p[1], hi};
		for (size_t i = 0; i < 3; i++)
			if (!(fcntl(fds[i], F_GETFD) & FD_CLOEXEC))
				fail_msg("way %zu: descriptor %d is not close-on-exec", w, fds[i]);
		/* the standard ones are left alone */
		assert_false(fcntl(0, F_GETFD) & FD_CLOEXEC);
		assert_false(fcntl(2, F_GETFD) & FD_CLOEXEC);
		close(p[0]);
		close(p[1]);
		close(hi);
	}
}

struct blocking {
	char *const *argv;
	int64_t timeout_ms;
	int rc;
	int err_no;
	char err[256];
	bool done;
	pthread_mutex_t mu;
};

static void *run_blocking(void *arg)
{
	struct blocking *b = arg;
	struct proc_spec spec = {.argv = b->argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
	int rc = proc_run_blocking(&spec, b->timeout_ms, b->err, sizeof(b->err));
	int en = errno;
	pthread_mutex_lock(&b->mu);
	b->rc = rc;
	b->err_no = en;
	b->done = true;
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

static bool blocking_done(void *arg)
{
	struct blocking *b = arg;
	pthread_mutex_lock(&b->mu);
	bool d = b->done;
	pthread_mutex_unlock(&b->mu);
	return d;
}

/* proc_run_blocking on a worker thread (as hooks call it) while this thread
 * runs the reaper. */
static void run_on_worker(struct blocking *b)
{
	pthread_t th;
	pthread_mutex_init(&b->mu, NULL);
	assert_int_equal(pthread_create(&th, NULL, run_blocking, b), 0);
	bool ok = pump_until(blocking_done, b);
	if (!ok)
		fail_msg("proc_run_blocking did not return");
	pthread_join(th, NULL);
	pthread_mutex_destroy(&b->mu);
}

static void test_run_blocking_returns_the_exit_status(void **state)
{
	char *argv[] = {"/bin/sh", "-c", "exit 3", NULL};
	struct blocking b = {.argv = argv, .timeout_ms = 10000};
	run_on_worker(&b);
	assert_true(b.rc >= 0);
	assert_true(WIFEXITED(b.rc));
	assert_int_equal(WEXITSTATUS(b.rc), 3);
}

static void test_run_blocking_timeout_kills_the_whole_group(void **state)
{
	char *dir = ts_mkdtemp("proc-blocking");
	char cmd[1024];
	assert_non_null(dir);
	snprintf(cmd, sizeof(cmd),
	         "sleep 1000 & echo $! > %s/bg.tmp && mv %s/bg.tmp %s/bg; sleep 1000", dir, dir,
	         dir);
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	struct blocking b = {.argv = argv, .timeout_ms = 3000};
	run_on_worker(&b);

	assert_int_equal(b.rc, -1);
	assert_int_equal(b.err_no, ETIMEDOUT);
	assert_non_null(strstr(b.err, "timed out"));
	pid_t bg = read_pid(dir, "bg");
	assert_true(bg > 0);
	if (!pump_until(pid_reaped, &bg))
		fail_msg("the command's background process outlived the timeout");
	assert_true(pump_until(nothing_left, NULL));
	ts_rmtree(dir);
	free(dir);
}

static void test_run_blocking_of_a_missing_file_is_an_exec_error(void **state)
{
	char *argv[] = {"/no/such/file", NULL};
	struct blocking b = {.argv = argv, .timeout_ms = 10000};
	run_on_worker(&b);
	assert_int_equal(b.rc, -1);
	assert_string_equal(b.err, "exec /no/such/file: No such file or directory");
}

/* ------------------------------------------------------------ setup */

static int group_setup(void **state)
{
	char err[256];
	if (uv_loop_init(&loop) != 0)
		return -1;
	uv_timer_init(&loop, &keepalive);
	uv_timer_start(&keepalive, on_keepalive, 3600 * 1000, 3600 * 1000);
	if (proc_init(&loop, err, sizeof(err)) < 0) {
		fprintf(stderr, "proc_init: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	proc_shutdown();
	uv_close((uv_handle_t *)&keepalive, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return uv_loop_close(&loop) == 0 ? 0 : -1;
}

static bool no_descendant(void *arg)
{
	pid_t out[64];
	return proc_descendants(out, 64, NULL, 0) == 0;
}

/* After each test, passed or failed: nothing it started survives it (a
 * failed test must not leave a `sleep 1000` holding ctest's output pipe). */
static int kill_descendants(void **state)
{
	pid_t out[64];
	size_t n = proc_descendants(out, 64, NULL, 0);
	for (size_t i = 0; i < n; i++)
		kill(out[i], SIGKILL);
	return pump_until(no_descendant, NULL) ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_task_runs_in_its_own_session_and_setsid_leaves_it,
	                              kill_descendants),
	    cmocka_unit_test_teardown(
	        test_sigterm_to_the_tree_leaves_only_the_processes_that_ignore_it,
	        kill_descendants),
	    cmocka_unit_test_teardown(test_sigkill_to_the_tree_kills_and_reaps_everything,
	                              kill_descendants),
	    cmocka_unit_test_teardown(test_sigkill_alone_kills_a_whole_running_tree,
	                              kill_descendants),
	    cmocka_unit_test_teardown(test_helpers_are_not_part_of_the_tree, kill_descendants),
	    cmocka_unit_test_teardown(test_a_forgotten_helper_stays_out_of_the_tree_until_reaped,
	                              kill_descendants),
	    cmocka_unit_test_teardown(test_exec_of_a_missing_file_is_reported_as_an_exec_error,
	                              kill_descendants),
	    cmocka_unit_test_teardown(test_spawned_process_reports_its_exit_status,
	                              kill_descendants),
	    cmocka_unit_test_teardown(test_a_child_inherits_only_its_stdin_stdout_and_stderr,
	                              kill_descendants),
	    cmocka_unit_test(test_every_way_of_marking_descriptors_close_on_exec_marks_them_all),
	    cmocka_unit_test_teardown(test_run_blocking_returns_the_exit_status, kill_descendants),
	    cmocka_unit_test_teardown(test_run_blocking_timeout_kills_the_whole_group,
	                              kill_descendants),
	    cmocka_unit_test_teardown(test_run_blocking_of_a_missing_file_is_an_exec_error,
	                              kill_descendants),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
