/* Two whole task lives under valgrind memcheck: the executor, fakeagent,
 * fakeconsul and fakevaas all run under it. A task with Consul and VaaS
 * labels (so both hooks register and deregister) finishes by itself, and
 * another is killed. Then every process ends, and each valgrind log must
 * show zero errors and zero bytes definitely or indirectly lost (still
 * reachable and possibly lost blocks belong to the libraries' own caches:
 * libcurl, OpenSSL, libuv's thread pool). Skipped when valgrind is not
 * installed and in sanitizer builds (valgrind cannot run ASan binaries).
 * Labelled `valgrind` in ctest. Prints one "valgrind:" line per process
 * for docs/reliability.md. */
#include "chaos.h"

#include <dirent.h>
#include <glob.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static char *tmp;
static const char *valgrind;

static const char *find_valgrind(void)
{
	static const char *const where[] = {"/usr/bin/valgrind", "/usr/local/bin/valgrind"};
	for (size_t i = 0; i < 2; i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

static int setup(void **state)
{
	valgrind = find_valgrind();
	tmp = ts_mkdtemp("valgrind-lifecycle");
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	ts_rmtree(tmp);
	free(tmp);
	return 0;
}

#define VG_FLAGS                                                                                   \
	"--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite,indirect",             \
	    "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",                    \
	    "--child-silent-after-fork=yes", "--num-callers=30"

/* Starts `bin args...` under valgrind, logging to <tmp>/<name>-%p.vg. */
static void start_under_valgrind(struct ts_proc *p, const char *name, const char *bin,
                                 const char *const *args)
{
	char logopt[1200];
	snprintf(logopt, sizeof(logopt), "--log-file=%s/%s-%%p.vg", tmp, name);
	char *argv[40] = {(char *)valgrind, VG_FLAGS, logopt, (char *)bin};
	size_t n = 0;
	while (argv[n])
		n++;
	for (const char *const *a = args; a && *a && n < 38; a++)
		argv[n++] = (char *)*a;
	argv[n] = NULL;
	assert_int_equal(ts_spawn(p, argv, NULL, false), 0);
	/* valgrind takes a while to start: wait for the "listening on" line
	 * longer than ts_spawn would. */
	char line[512] = "";
	size_t got = 0;
	int64_t end = ts_now_ms() + 60000;
	while (!strchr(line, '\n') && ts_now_ms() < end)
		got += ts_read_stdout(p, line + got, sizeof(line) - got, 1000);
	const char *at = strstr(line, "listening on http://");
	if (!at)
		fail_msg("%s under valgrind did not start: %s", name, line);
	snprintf(p->addr, sizeof(p->addr), "%.*s", (int)strcspn(at + 20, "\r\n"), at + 20);
	fcntl(p->out_fd, F_SETPIPE_SZ, 1 << 20);
	chaos_track(p);
}

struct vg_summary {
	int errors;
	long definitely, indirectly; /* bytes */
};

/* Reads one valgrind log; false when it has no summary (a forked child). */
static bool read_log(const char *path, struct vg_summary *s)
{
	char *text = ts_read_file(path, NULL);
	const char *e = text ? strstr(text, "ERROR SUMMARY: ") : NULL;
	if (!e) {
		free(text);
		return false;
	}
	memset(s, 0, sizeof(*s));
	s->errors = atoi(e + strlen("ERROR SUMMARY: "));
	const char *d = strstr(text, "definitely lost: ");
	const char *i = strstr(text, "indirectly lost: ");
	if (d) /* "1,234 bytes" */
		for (const char *p = d + 17; *p && *p != ' '; p++)
			if (*p >= '0' && *p <= '9')
				s->definitely = s->definitely * 10 + (*p - '0');
	if (i)
		for (const char *p = i + 17; *p && *p != ' '; p++)
			if (*p >= '0' && *p <= '9')
				s->indirectly = s->indirectly * 10 + (*p - '0');
	if (s->errors || s->definitely || s->indirectly)
		fprintf(stderr, "%s:\n%s\n", path, text);
	free(text);
	return true;
}

/* Checks every log of one program; returns how many processes it covered. */
static int check_logs(const char *name)
{
	char pattern[1200];
	glob_t g;
	snprintf(pattern, sizeof(pattern), "%s/%s-*.vg", tmp, name);
	int processes = 0;
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t k = 0; k < g.gl_pathc; k++) {
			struct vg_summary s;
			if (!read_log(g.gl_pathv[k], &s))
				continue;
			processes++;
			printf(
			    "valgrind: %s errors=%d definitely_lost=%ld indirectly_lost=%ld (%s)\n",
			    name, s.errors, s.definitely, s.indirectly, g.gl_pathv[k]);
			assert_int_equal(s.errors, 0);
			assert_int_equal(s.definitely, 0);
			assert_int_equal(s.indirectly, 0);
		}
		globfree(&g);
	}
	fflush(stdout);
	return processes;
}

/* Prints every log of a program (what valgrind found). */
static void dump_logs(const char *name)
{
	char pattern[1200];
	glob_t g;
	snprintf(pattern, sizeof(pattern), "%s/%s-*.vg", tmp, name);
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t k = 0; k < g.gl_pathc; k++) {
		char *text = ts_read_file(g.gl_pathv[k], NULL);
		fprintf(stderr, "==> %s\n%s\n", g.gl_pathv[k], text ? text : "(unreadable)");
		free(text);
	}
	globfree(&g);
}

static void live(struct agent *a, struct ts_proc *consul, struct ts_proc *vaas, const char *id,
                 const char *cmd, bool kill_it)
{
	char body[4096];
	struct chaos_task t;
	snprintf(
	    body, sizeof(body),
	    "{\"app\":{\"id\":\"%s\",\"cmd\":\"%s\","
	    "\"labels\":{\"consul\":\"vg-web\",\"director\":\"first_service\"},"
	    "\"portDefinitions\":[{\"port\":0,\"name\":\"http\"}],"
	    "\"env\":{\"CONSUL_HTTP_ADDR\":\"%s\",\"ALLEGRO_EXECUTOR_VAAS_HOST\":\"http://%s\","
	    "\"ALLEGRO_EXECUTOR_VAAS_USERNAME\":\"admin\",\"ALLEGRO_EXECUTOR_VAAS_TOKEN\":"
	    "\"vagrant_api_key\",\"CLOUD_DC\":\"dc1\",\"CLOUD_PUBLIC_IP\":\"127.0.0.1\"}}}",
	    id, cmd, consul->addr, vaas->addr);
	chaos_launch(a, body, &t);
	chaos_wait_update(a, &t, "TASK_RUNNING", 120000);
	chaos_wait_file_has(&t, "stderr", "msg=\"registered in Consul\"", 120000);
	chaos_wait_file_has(&t, "stderr", "msg=\"registered backend in VaaS\"", 120000);
	if (kill_it) {
		char k[256];
		snprintf(k, sizeof(k), "{\"task_id\":\"%s\"}", t.task_id);
		post_fake(a, "/_fake/kill", k, 202);
	}
	chaos_wait_update(a, &t, kill_it ? "TASK_KILLED" : "TASK_FINISHED", 120000);
	int code = chaos_wait_executor_exit(a, &t, 120000);
	if (code != 0) {
		dump_logs("executor");
		fail_msg("the executor under valgrind exited %d (99: valgrind found errors)", code);
	}
	assert_true(chaos_file_has(&t, "stderr", "msg=\"deregistered from Consul\""));
	assert_true(chaos_file_has(&t, "stderr", "msg=\"deregistered backend from VaaS\""));
}

static void test_a_finished_and_a_killed_task_leave_no_valgrind_errors_or_leaks(void **state)
{
	if (SANITIZED || !valgrind) {
		printf("valgrind: skipped (%s)\n", SANITIZED ? "sanitizer build" : "not installed");
		skip();
	}
	/* The executor, as fakeagent starts it, through a wrapper. */
	char wrapper[1200];
	snprintf(wrapper, sizeof(wrapper), "%s/executor-under-valgrind", tmp);
	FILE *f = fopen(wrapper, "w");
	assert_non_null(f);
	fprintf(f,
	        "#!/bin/sh\nexec %s --tool=memcheck --leak-check=full "
	        "--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect "
	        "--error-exitcode=99 --child-silent-after-fork=yes --num-callers=30 "
	        "--log-file=%s/executor-%%p.vg %s \"$@\"\n",
	        valgrind, tmp, ts_env("EXECUTOR_BIN", "build/executor/executor"));
	fclose(f);
	chmod(wrapper, 0755);

	struct ts_proc consul, vaas;
	struct agent a = {0};
	const char *fake_args[] = {"--listen", "127.0.0.1:0", NULL};
	start_under_valgrind(&consul, "fakeconsul",
	                     ts_env("FAKECONSUL_BIN", "build/fakeconsul/fakeconsul"), fake_args);
	start_under_valgrind(&vaas, "fakevaas", ts_env("FAKEVAAS_BIN", "build/fakevaas/fakevaas"),
	                     fake_args);
	/* Executors under valgrind start slowly: a generous registration timeout. */
	const char *agent_args[] = {"serve",       "--listen",
	                            "127.0.0.1:0", "--executor",
	                            wrapper,       "--registration-timeout",
	                            "5mins",       "--shutdown-grace",
	                            "30secs",      NULL};
	start_under_valgrind(&a.proc, "fakeagent",
	                     ts_env("FAKEAGENT_BIN", "build/fakeagent/fakeagent"), agent_args);

	live(&a, &consul, &vaas, "/vg-finish", "sleep 1", false);
	live(&a, &consul, &vaas, "/vg-kill", "sleep 1000", true);

	int st = ts_stop(&a.proc, SIGTERM, 60000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* 99 would be valgrind's */
	st = ts_stop(&consul, SIGTERM, 60000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = ts_stop(&vaas, SIGTERM, 60000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	unlink(consul.log);
	unlink(vaas.log);
	unlink(a.proc.log);

	assert_int_equal(check_logs("executor"), 2);
	assert_int_equal(check_logs("fakeagent"), 1);
	assert_int_equal(check_logs("fakeconsul"), 1);
	assert_int_equal(check_logs("fakevaas"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        test_a_finished_and_a_killed_task_leave_no_valgrind_errors_or_leaks,
	        chaos_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
