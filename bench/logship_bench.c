/* How many log lines the executor ships per second per core, and what each
 * costs it: a forked "task" writes N JSON log lines (about 160 bytes, the
 * shape of a typical service log) as fast as it can into the pipes
 * logship_start returned; the executor side (this process's loop thread)
 * reads, splits, reshapes and sends them to a Logstash-like TCP sink that
 * only counts (a thread of this process). The figures are the loop
 * thread's own CPU time (RUSAGE_THREAD: neither the task's nor the sink's),
 * so "lines per CPU-second" is the throughput of one core.
 *
 * Three runs: JSON lines with the sandbox copy (the default: every line also
 * written to a file), JSON lines without the copy, and plain lines wrapped
 * by log-scraping-all. The buffer is large, so a run measures the shipping
 * cost, not the drops (they are printed anyway).
 *
 *   logship_bench [N]      (default 500000) */
#include "sinks.h"

#include "common/log.h"
#include "executor/logship/logship.h"
#include "proto/pbjson.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(3);
		p += w;
		n -= (size_t)w;
	}
}

/* The task: n lines, written in 64 KiB chunks. */
static void task(int fd, long n, bool json)
{
	static char buf[65536];
	size_t len = 0;
	for (long i = 0; i < n; i++) {
		char line[256];
		int k =
		    json ? snprintf(line, sizeof(line),
		                    "{\"time\":\"2024-05-01T10:00:00.%03ldZ\",\"level\":\"info\","
		                    "\"logger\":\"http\",\"msg\":\"request handled\",\"path\":"
		                    "\"/api/v1/items/%ld\",\"status\":200,\"duration_ms\":12.5}\n",
		                    i % 1000, i)
		         : snprintf(line, sizeof(line),
		                    "2024-05-01 10:00:00 INFO http request handled "
		                    "path=/api/v1/items/%ld status=200 duration_ms=12.5\n",
		                    i);
		if (len + (size_t)k > sizeof(buf)) {
			write_all(fd, buf, len);
			len = 0;
		}
		memcpy(buf + len, line, (size_t)k);
		len += (size_t)k;
	}
	write_all(fd, buf, len);
}

static Mesos__V1__TaskInfo *task_info(bool wrap)
{
	const char *json =
	    wrap ? "{\"name\":\"t\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"a\"},"
	           "\"labels\":{\"labels\":[{\"key\":\"log-scraping\",\"value\":\"logstash\"},{"
	           "\"key\":\"scId\",\"value\":\"1\"},{\"key\":\"log-scraping-all\",\"value\":"
	           "\"true\"}]}}"
	         : "{\"name\":\"t\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"a\"},"
	           "\"labels\":{\"labels\":[{\"key\":\"log-scraping\",\"value\":\"logstash\"},{"
	           "\"key\":\"scId\",\"value\":\"1\"}]}}";
	char err[256];
	return (Mesos__V1__TaskInfo *)pbjson_decode(&mesos__v1__task_info__descriptor, json,
	                                            strlen(json), err, sizeof(err));
}

static void run(const char *name, long n, bool json, bool copy)
{
	uv_loop_t loop;
	struct sink *sink = sink_start(SINK_TCP, 0, SINK_COUNT_ONLY);
	char path[] = "/tmp/logship-bench-XXXXXX";
	int copy_fd = mkstemp(path);
	unlink(path);
	if (!sink || copy_fd < 0) {
		fprintf(stderr, "logship_bench: cannot start the sink or the copy file\n");
		exit(1);
	}
	uv_loop_init(&loop);
	struct logship_config c = {.address = sink_addr(sink),
	                           .copy_output = copy,
	                           .buffer_lines = 1000000,
	                           .buffer_bytes = 1024u * 1024 * 1024,
	                           .executor_id = "bench",
	                           .hostname = "bench-host",
	                           .stdout_copy_fd = copy_fd,
	                           .stderr_copy_fd = copy_fd,
	                           .flush_ns = 30000000000LL};
	Mesos__V1__TaskInfo *t = task_info(!json);
	struct logship *ls;
	int out, errfd;
	char err[256];
	if (logship_start(&loop, &c, t, NULL, &ls, &out, &errfd, err, sizeof(err)) != 0) {
		fprintf(stderr, "logship_bench: %s\n", err);
		exit(1);
	}
	/* connected before the clock starts */
	struct logship_stats s;
	do {
		uv_run(&loop, UV_RUN_NOWAIT);
		logship_stats(ls, &s);
	} while (!s.connects);

	double w0 = now_s(), c0 = thread_cpu_s();
	pid_t pid = fork();
	if (pid == 0) {
		task(out, n, json);
		_exit(0);
	}
	close(out);
	close(errfd);
	/* every line written to the socket (or dropped), then received */
	while (s.shipped + s.dropped_buffer + s.dropped_send < (uint64_t)n) {
		uv_run(&loop, UV_RUN_ONCE);
		logship_stats(ls, &s);
	}
	double cpu = thread_cpu_s() - c0;
	sink_wait(sink, (size_t)s.shipped, 60000);
	double wall = now_s() - w0;
	size_t bytes = sink_bytes(sink);
	waitpid(pid, NULL, 0);
	logship_stop(ls);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	printf("%-34s %9.0f lines/s wall  %9.0f lines per CPU-second  %5.2f us CPU/line  "
	       "%6.1f MB/s shipped  dropped %llu\n",
	       name, (double)n / wall, (double)n / cpu, cpu * 1e6 / (double)n,
	       (double)bytes / wall / 1e6, (unsigned long long)(s.dropped_buffer + s.dropped_send));
	protobuf_c_message_free_unpacked(&t->base, NULL);
	sink_stop(sink);
	close(copy_fd);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 500000;
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_WARN);
	printf("logship_bench: %ld lines per run, executor loop thread CPU only\n", n);
	setvbuf(stdout, NULL, _IOLBF, 0);
	run("JSON lines, sandbox copy", n, true, true);
	run("JSON lines, no copy", n, true, false);
	run("plain lines wrapped, sandbox copy", n, false, true);
	return 0;
}
