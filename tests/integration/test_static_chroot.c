/* The static executor where nothing else is: a chroot that holds only the
 * executor, a static busybox (Debian's busybox-static), the kernel's /proc
 * and /dev/null, and a few files of /etc; no libc, no /usr. Under fakeagent
 * (outside), a Marathon app whose task is `busybox httpd`, with an HTTP health
 * check and the user nobody: the executor, found through a wrapper that
 * enters the chroot, reaches its agent by a name only the chroot's /etc/hosts
 * knows (musl's resolver), subscribes, runs the task as nobody (musl's
 * getpwnam reads the chroot's /etc/passwd), reports it healthy, and reports
 * TASK_KILLED when it is killed. Needs root (chroot, mount); exits 77, which
 * ctest counts as skipped, without it. Registered only as
 * static/test_static_chroot, with EXECUTOR_BIN the static executor. */
#include "testsupport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"

static char *tmp, root[1024];
static bool proc_mounted;

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void copy(const char *from, const char *rel)
{
	char cmd[3000];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/%s'", from, root, rel);
	if (system(cmd) != 0)
		fail_msg("cannot copy %s into the chroot", from);
}

/* scripts/check-static on a file: 0 when it is a static executable. */
static int check_static(const char *file, char *out, size_t len)
{
	char script[1024];
	snprintf(script, sizeof(script), "%s/scripts/check-static", ts_env("SOURCE_DIR", "."));
	char *argv[] = {"/bin/sh", script, (char *)file, NULL};
	int st = ts_run(argv, out, len, 30000);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	char out[2048];
	const char *exe = ts_env("EXECUTOR_BIN", "executor");
	if (check_static(exe, out, sizeof(out)) != 0) {
		fprintf(stderr, "the executor under test is not static:\n%s", out);
		return -1;
	}
	if (check_static(BUSYBOX, out, sizeof(out)) != 0) {
		fprintf(stderr,
		        BUSYBOX " is missing or not static (Debian package busybox-static, "
		                "scripts/deps.sh installs it):\n%s",
		        out);
		return -1;
	}
	if (!(tmp = ts_mkdtemp("static-chroot")))
		return -1;
	snprintf(root, sizeof(root), "%s/root", tmp);
	const char *dirs[] = {"", "bin", "dev", "proc", "etc", "www", "tmp", "work"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char d[1200];
		snprintf(d, sizeof(d), "%s/%s", root, dirs[i]);
		if (mkdir(d, 0755) < 0)
			return -1;
	}
	char p[1200];
	snprintf(p, sizeof(p), "%s/tmp", root);
	chmod(p, 01777);
	copy(BUSYBOX, "bin/busybox");
	snprintf(p, sizeof(p), "%s/bin/sh", root);
	if (symlink("busybox", p) < 0)
		return -1;
	copy(exe, "executor");
	snprintf(p, sizeof(p), "%s/dev/null", root);
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) < 0)
		return -1;
	chmod(p, 0666);
	snprintf(p, sizeof(p), "%s/proc", root);
	if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		fprintf(stderr, "mount proc in the chroot: %s\n", strerror(errno));
		return -1;
	}
	proc_mounted = true;
	put("etc/passwd", "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
	    0644);
	put("etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644);
	put("etc/hosts", "127.0.0.1 agent.chroot.test\n", 0644);
	put("www/index.html", "served from the chroot\n", 0644);

	/* What the agent starts: enter the chroot, in the sandbox as the chroot
	 * sees it, with the agent's address by the name above. */
	char wrapper[4096];
	snprintf(
	    wrapper, sizeof(wrapper),
	    "#!/bin/sh\n"
	    "export MESOS_AGENT_ENDPOINT=\"agent.chroot.test:${MESOS_AGENT_ENDPOINT##*:}\"\n"
	    "rel=${PWD#'%s'}\n"
	    "exec chroot '%s' /bin/sh -c 'cd \"$0\" && exec /executor \"$@\"' \"$rel\" \"$@\"\n",
	    root, root);
	snprintf(p, sizeof(p), "%s/enter-chroot", tmp);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(wrapper, f);
	fclose(f);
	chmod(p, 0755);
	return 0;
}

static int teardown(void **state)
{
	char p[1200];
	snprintf(p, sizeof(p), "%s/proc", root);
	if (proc_mounted && umount2(p, MNT_DETACH) < 0)
		fprintf(stderr, "umount %s: %s\n", p, strerror(errno));
	if (tmp)
		ts_rmtree(tmp);
	free(tmp);
	return 0;
}

static void assert_contains(const char *s, const char *want)
{
	if (!strstr(s, want))
		fail_msg("expected \"%s\" in:\n%s", want, s);
}

static void test_a_task_served_by_busybox_is_healthy_then_killed_in_a_bare_chroot(void **state)
{
	static char out[1 << 17];
	char app[1200], wrapper[1200], work[1200];
	snprintf(app, sizeof(app), "%s/app.json", tmp);
	snprintf(wrapper, sizeof(wrapper), "%s/enter-chroot", tmp);
	snprintf(work, sizeof(work), "%s/work", root);
	FILE *f = fopen(app, "w");
	assert_non_null(f);
	fputs("{\"id\": \"/chroot-httpd\", \"user\": \"nobody\", \"executor\": \"./executor\",\n"
	      " \"cmd\": \"/bin/busybox id -u > /tmp/task-uid && cd /www && "
	      "exec /bin/busybox httpd -f -p 127.0.0.1:$PORT0\",\n"
	      " \"portDefinitions\": [{\"port\": 0, \"name\": \"http\", \"protocol\": \"tcp\"}],\n"
	      " \"healthChecks\": [{\"protocol\": \"MESOS_HTTP\", \"portIndex\": 0, \"path\": "
	      "\"/\",\n"
	      "   \"delaySeconds\": 0, \"gracePeriodSeconds\": 30, \"intervalSeconds\": 1,\n"
	      "   \"timeoutSeconds\": 5, \"maxConsecutiveFailures\": 3}],\n"
	      " \"taskKillGracePeriodSeconds\": 5,\n"
	      " \"env\": {\"ALLEGRO_EXECUTOR_CONSUL_HOOK_ENABLED\": \"false\",\n"
	      "         \"ALLEGRO_EXECUTOR_VAAS_HOOK_ENABLED\": \"false\"}}\n",
	      f);
	fclose(f);
	char *argv[] = {(char *)ts_env("FAKEAGENT_BIN", "fakeagent/fakeagent"),
	                "run",
	                "--executor",
	                wrapper,
	                "--app",
	                app,
	                "--listen",
	                "127.0.0.1:0",
	                "--work-dir",
	                work,
	                "--kill-after",
	                "3secs",
	                "--expect",
	                "TASK_KILLED",
	                "--timeout",
	                "60secs",
	                NULL};
	int st = ts_run(argv, out, sizeof(out), 90000);
	if (st == -1 || !WIFEXITED(st))
		fail_msg("fakeagent run did not end by itself; it printed:\n%s", out);
	assert_contains(out, "call      SUBSCRIBE (");
	assert_contains(out, "TASK_RUNNING from executor healthy=true");
	assert_contains(out, "TASK_KILLED from executor");
	assert_contains(out, "PASS      final state TASK_KILLED");
	assert_int_equal(WEXITSTATUS(st), 0);

	char uid_file[1200];
	snprintf(uid_file, sizeof(uid_file), "%s/tmp/task-uid", root);
	char *uid = ts_read_file(uid_file, NULL);
	if (!uid)
		fail_msg("the task wrote no %s; fakeagent printed:\n%s", uid_file, out);
	assert_string_equal(uid, "65534\n"); /* nobody, from the chroot's /etc/passwd */
	free(uid);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIPPED: the chroot lifecycle needs root (chroot, mount /proc); "
		       "CI runs it as root\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_task_served_by_busybox_is_healthy_then_killed_in_a_bare_chroot),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
