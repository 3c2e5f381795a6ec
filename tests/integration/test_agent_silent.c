/* An agent that takes the connection and never answers (a hung agent
 * process, a proxy that holds requests): the executor gives each SUBSCRIBE
 * up after ALLEGRO_EXECUTOR_HTTP_TIMEOUT, says so, and tries again with its
 * backoff, staying up until it is told to stop. The listener here is a
 * socket that is never accept()ed: the kernel completes the handshake from
 * the backlog, so the request goes out and no byte comes back. Waits have
 * generous deadlines; nothing is timed. */
#include "testsupport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define GAVE_UP "no answer to SUBSCRIBE in time"

/* A loopback listener nobody accepts on; its port in *port. */
static int silent_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* How many times `needle` occurs in the file at path. */
static int count_in_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void test_subscribe_without_an_answer_is_given_up_and_retried(void **state)
{
	const char *bin = getenv("EXECUTOR_BIN");
	if (!bin)
		skip();
	int port = 0;
	int lfd = silent_listener(&port);
	assert_true(lfd >= 0);
	char *dir = ts_mkdtemp("agent-silent");
	assert_non_null(dir);

	char endpoint[64], directory[1100], sandbox[1100], asan[512], ubsan[512];
	snprintf(endpoint, sizeof(endpoint), "MESOS_AGENT_ENDPOINT=127.0.0.1:%d", port);
	snprintf(directory, sizeof(directory), "MESOS_DIRECTORY=%s", dir);
	snprintf(sandbox, sizeof(sandbox), "MESOS_SANDBOX=%s", dir);
	const char *a = getenv("ASAN_OPTIONS"), *u = getenv("UBSAN_OPTIONS");
	snprintf(asan, sizeof(asan), "ASAN_OPTIONS=%s", a ? a : "");
	snprintf(ubsan, sizeof(ubsan), "UBSAN_OPTIONS=%s", u ? u : "");
	char *envp[] = {"PATH=/usr/bin:/bin",
	                "MESOS_FRAMEWORK_ID=framework-1",
	                "MESOS_EXECUTOR_ID=executor-1",
	                endpoint,
	                directory,
	                sandbox,
	                "ALLEGRO_EXECUTOR_HTTP_TIMEOUT=300ms",
	                "MESOS_SUBSCRIPTION_BACKOFF_MAX=100ms",
	                asan,
	                ubsan,
	                NULL};
	char *argv[] = {(char *)bin, NULL};
	struct ts_proc p;
	assert_int_equal(ts_spawn(&p, argv, envp, false), 0);

	int64_t end = ts_now_ms() + 20000;
	while (count_in_file(p.log, GAVE_UP) < 3 && ts_now_ms() < end)
		ts_sleep_ms(50);
	int gave_up = count_in_file(p.log, GAVE_UP);
	bool running = ts_wait(&p, 0) == -1;
	int st = ts_stop(&p, SIGTERM, 10000);
	if (gave_up < 3 || !running) {
		print_error("executor log %s:\n", p.log);
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "cat '%s' >&2", p.log);
		if (system(cmd) < 0)
			print_error("(cannot show it)\n");
	}
	assert_true(gave_up >= 3); /* given up, and tried again, twice */
	assert_true(running);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* SIGTERM before any task: a clean stop */
	close(lfd);
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subscribe_without_an_answer_is_given_up_and_retried),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
