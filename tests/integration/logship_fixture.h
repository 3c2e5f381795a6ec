/* What the log shipping integration tests share: a libuv loop driven until
 * a condition holds (with a generous deadline), a TaskInfo with labels, a
 * "task" that is a forked child writing to the pipe ends logship_start
 * returned (so the writes are a real process's, blocking as a task's
 * would), and the sandbox copy files. Header-only: static functions for
 * test programs. */
#ifndef TESTS_INTEGRATION_LOGSHIP_FIXTURE_H
#define TESTS_INTEGRATION_LOGSHIP_FIXTURE_H

#include "sinks.h"
#include "testsupport.h"

#include "executor/logship/logship.h"
#include "proto/pbjson.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LF_DEADLINE_MS 30000

static inline Mesos__V1__TaskInfo *lf_task(const char *labels)
{
	char json[2048], err[256] = "";
	snprintf(json, sizeof(json),
	         "{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"a1\"},"
	         "\"labels\":{\"labels\":[%s]}}",
	         labels);
	ProtobufCMessage *m =
	    pbjson_decode(&mesos__v1__task_info__descriptor, json, strlen(json), err, sizeof(err));
	if (!m)
		fail_msg("bad test TaskInfo: %s", err);
	return (Mesos__V1__TaskInfo *)m;
}

static inline void lf_task_free(Mesos__V1__TaskInfo *t)
{
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

/* Turns the loop until cond(data) holds; false when the deadline passed. */
static inline bool lf_run_until(uv_loop_t *loop, bool (*cond)(void *), void *data, int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	while (!cond(data)) {
		if (ts_now_ms() > end)
			return false;
		uv_run(loop, UV_RUN_NOWAIT);
		ts_sleep_ms(1);
	}
	return true;
}

/* Turns the loop until nothing is left on it (everything closed). */
static inline bool lf_run_until_empty(uv_loop_t *loop, int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	while (uv_loop_alive(loop)) {
		if (ts_now_ms() > end)
			return false;
		uv_run(loop, UV_RUN_NOWAIT);
		ts_sleep_ms(1);
	}
	return true;
}

static inline void lf_write_all(int fd, const char *p, size_t n)
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

/* A task: a child process that runs fn(out_fd, err_fd, arg) and exits. */
static inline pid_t lf_task_run(int out_fd, int err_fd, void (*fn)(int, int, void *), void *arg)
{
	pid_t pid = fork();
	if (pid == 0) {
		fn(out_fd, err_fd, arg);
		_exit(0);
	}
	assert_true(pid > 0);
	return pid;
}

struct lf_wait {
	pid_t pid;
	int status;
	bool done;
};

static inline bool lf_child_done(void *data)
{
	struct lf_wait *w = data;
	if (!w->done && waitpid(w->pid, &w->status, WNOHANG) == w->pid)
		w->done = true;
	return w->done;
}

/* Runs the loop until the child exits; true when it exited 0 in time. */
static inline bool lf_task_wait(uv_loop_t *loop, pid_t pid, int timeout_ms)
{
	struct lf_wait w = {.pid = pid};
	if (!lf_run_until(loop, lf_child_done, &w, timeout_ms)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return false;
	}
	return WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0;
}

/* The settings every test starts from: Logstash at addr, copies of the
 * task's output into two files of dir (by fd). */
static inline struct logship_config lf_config(const char *addr, int out_copy, int err_copy)
{
	return (struct logship_config){.address = addr,
	                               .copy_output = true,
	                               .executor_id = "exec-1",
	                               .hostname = "host-1-test.dc",
	                               .region = "r1",
	                               .zone = "z1",
	                               .stdout_copy_fd = out_copy,
	                               .stderr_copy_fd = err_copy,
	                               .flush_ns = 2000000000LL};
}

/* Parses a shipped line; fails the test when it is not a JSON object. */
static inline cJSON *lf_parse(const char *line)
{
	cJSON *j = line ? cJSON_Parse(line) : NULL;
	if (!cJSON_IsObject(j))
		fail_msg("not a JSON object: %s", line ? line : "(none)");
	return j;
}

static inline const char *lf_str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

#endif
