/* The fakes bind loopback only unless told otherwise: fakeagent serve,
 * fakeconsul and fakevaas refuse a --listen address outside 127.0.0.0/8 and
 * ::1 (0.0.0.0, ::, any other address) with a message that names
 * --allow-remote, and with --allow-remote they get past that check (here
 * the bind itself then fails: 192.0.2.1 is a documentation address no host
 * has, so nothing is ever exposed by this test). Any loopback address is
 * fine. */
#include "testsupport.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct fake {
	const char *name, *env, *fallback;
	bool serve; /* fakeagent needs its subcommand */
};

static const struct fake fakes[] = {
    {"fakeagent", "FAKEAGENT_BIN", "build/fakeagent/fakeagent", true},
    {"fakeconsul", "FAKECONSUL_BIN", "build/fakeconsul/fakeconsul", false},
    {"fakevaas", "FAKEVAAS_BIN", "build/fakevaas/fakevaas", false},
};

/* Runs the fake with --listen addr (and --allow-remote); returns its exit
 * status (-1 if it was still running after 10 s: it listened) and its
 * stderr in err. */
static int run(const struct fake *f, const char *addr, bool allow, char *err, size_t len)
{
	char *argv[10];
	int n = 0;
	argv[n++] = (char *)ts_env(f->env, f->fallback);
	if (f->serve) {
		argv[n++] = "serve";
		argv[n++] = "--executor";
		argv[n++] = "/bin/true";
	}
	argv[n++] = "--listen";
	argv[n++] = (char *)addr;
	if (allow)
		argv[n++] = "--allow-remote";
	argv[n] = NULL;
	struct ts_proc p;
	assert_int_equal(ts_spawn(&p, argv, NULL, false), 0);
	int st = ts_wait(&p, 10000);
	if (st == -1)
		ts_stop(&p, SIGTERM, 10000);
	char *text = ts_read_file(p.log, NULL);
	snprintf(err, len, "%s", text ? text : "");
	free(text);
	unlink(p.log);
	return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_the_fakes_refuse_addresses_that_are_not_loopback(void **state)
{
	const char *remote[] = {"0.0.0.0:0", "192.0.2.1:0", "[::]:0"};
	char err[8192];
	for (size_t i = 0; i < sizeof(fakes) / sizeof(fakes[0]); i++)
		for (size_t k = 0; k < 3; k++) {
			int rc = run(&fakes[i], remote[k], false, err, sizeof(err));
			if (rc <= 0 || !strstr(err, "refusing to listen on") ||
			    !strstr(err, "--allow-remote"))
				fail_msg("%s --listen %s: exit %d, %s", fakes[i].name, remote[k],
				         rc, err);
		}
	printf("security: fakes=fakeagent,fakeconsul,fakevaas refused=0.0.0.0,192.0.2.1,[::]\n");
}

static void test_allow_remote_lifts_the_refusal(void **state)
{
	char err[8192];
	for (size_t i = 0; i < sizeof(fakes) / sizeof(fakes[0]); i++) {
		int rc = run(&fakes[i], "192.0.2.1:0", true, err, sizeof(err));
		if (rc <= 0 || strstr(err, "refusing") ||
		    !strstr(err, "cannot serve on 192.0.2.1:0"))
			fail_msg("%s --allow-remote: exit %d, %s", fakes[i].name, rc, err);
	}
}

static void test_any_loopback_address_is_served(void **state)
{
	for (size_t i = 0; i < sizeof(fakes) / sizeof(fakes[0]); i++) {
		char *argv[8] = {(char *)ts_env(fakes[i].env, fakes[i].fallback)};
		int n = 1;
		if (fakes[i].serve) {
			argv[n++] = "serve";
			argv[n++] = "--executor";
			argv[n++] = "/bin/true";
		}
		argv[n++] = "--listen";
		argv[n++] = "127.0.0.2:0";
		argv[n] = NULL;
		struct ts_proc p;
		assert_int_equal(ts_spawn(&p, argv, NULL, true), 0);
		assert_int_equal(strncmp(p.addr, "127.0.0.2:", 10), 0);
		int st = ts_stop(&p, SIGTERM, 10000);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		unlink(p.log);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_the_fakes_refuse_addresses_that_are_not_loopback),
	    cmocka_unit_test(test_allow_remote_lifts_the_refusal),
	    cmocka_unit_test(test_any_loopback_address_is_served),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
