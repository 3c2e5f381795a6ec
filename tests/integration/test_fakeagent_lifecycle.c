/* Executor lifecycle under the fake agent with real processes (tiny shell
 * script executors): the agent's executor environment (Mesos
 * src/slave/slave.cpp, executorEnvironment) and nothing inherited, the sandbox,
 * the registration timeout, SIGKILL of the process group and session after
 * the shutdown grace, the agent's updates when an executor dies, `run` with a
 * TaskInfo and with a Marathon app (the executor placed in the sandbox), the
 * domain socket, executor tokens, heartbeats, --only-encoding and kills. */
#include "fakeagent_wire.h"

#include "common/base64.h"

#include <fcntl.h>
#include <sys/stat.h>

struct launched {
	char task_id[128], executor_id[160], sandbox[1024], token[256], domain[512];
	int pid;
};

static char *tmp;

static int setup(void **state)
{
	tmp = ts_mkdtemp("fakeagent-lifecycle");
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	ts_rmtree(tmp);
	free(tmp);
	return 0;
}

static char *script(const char *name, const char *body)
{
	char *path;
	assert_true(asprintf(&path, "%s/%s", tmp, name) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
	return path;
}

static void launch(struct agent *a, const char *body, struct launched *l)
{
	struct fw_resp r;
	const char *h[] = {"Content-Type: application/json", NULL};
	assert_int_equal(fw_call(a->proc.addr, "POST", "/_fake/launch", h, body, strlen(body), &r),
	                 0);
	if (r.status != 201)
		fail_msg("launch: %d %s", r.status, r.body);
	cJSON *j = cJSON_Parse(r.body);
	memset(l, 0, sizeof(*l));
	snprintf(a->fid, sizeof(a->fid), "%s", cJSON_GetObjectItem(j, "framework_id")->valuestring);
	snprintf(l->task_id, sizeof(l->task_id), "%s",
	         cJSON_GetObjectItem(j, "task_id")->valuestring);
	snprintf(l->executor_id, sizeof(l->executor_id), "%s",
	         cJSON_GetObjectItem(j, "executor_id")->valuestring);
	snprintf(l->sandbox, sizeof(l->sandbox), "%s",
	         cJSON_GetObjectItem(j, "sandbox")->valuestring);
	const cJSON *env = cJSON_GetObjectItem(j, "env");
	const cJSON *tok = cJSON_GetObjectItem(env, "MESOS_EXECUTOR_AUTHENTICATION_TOKEN");
	if (tok)
		snprintf(l->token, sizeof(l->token), "%s", tok->valuestring);
	const cJSON *ds = cJSON_GetObjectItem(env, "MESOS_DOMAIN_SOCKET");
	if (ds)
		snprintf(l->domain, sizeof(l->domain), "%s", ds->valuestring);
	const cJSON *pid = cJSON_GetObjectItem(j, "pid");
	l->pid = pid ? pid->valueint : 0;
	cJSON_Delete(j);
	fw_resp_free(&r);
}

static void launch_script(struct agent *a, const char *tid, const char *exe, const char *extra,
                          struct launched *l)
{
	char body[2048];
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"%s\",\"task_id\":{\"value\":\"%s\"},"
	         "\"command\":{\"value\":\"sleep 100\"%s}},\"executor\":\"%s\"}",
	         tid, tid, extra ? extra : "", exe);
	launch(a, body, l);
}

/* Waits until `path` exists (written by a script executor). */
static char *wait_file(const char *dir, const char *name)
{
	char path[2048];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int64_t end = ts_now_ms() + 10000;
	while (ts_now_ms() < end) {
		struct stat st;
		if (stat(path, &st) == 0 && st.st_size > 0) {
			ts_sleep_ms(50); /* let the writer finish */
			return ts_read_file(path, NULL);
		}
		ts_sleep_ms(20);
	}
	fail_msg("%s never appeared", path);
	return NULL;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static bool gone(int pid, int timeout_ms)
{
	int64_t end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		char path[64], buf[256];
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			return true;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		const char *rp = strrchr(buf, ')');
		if (rp && rp[2] == 'Z')
			return true; /* dead, waiting to be reaped */
		ts_sleep_ms(20);
	}
	return false;
}

static void
test_executor_gets_the_agent_environment_of_a_checkpointing_framework_and_nothing_else(void **state)
{
	struct agent a;
	struct launched l;
	char *exe = script("env.sh", "env > env.txt\npwd > pwd.txt\nexec sleep 300");
	/* no --checkpoint: frameworks checkpoint by default, as Marathon's do */
	const char *args[] = {"--shutdown-grace",
	                      "2secs",
	                      "--executor-env",
	                      "FOO=bar",
	                      "--executor-env",
	                      "OTHER=from-agent",
	                      "--registration-timeout",
	                      "5mins",
	                      NULL};
	/* the agent's own LIBPROCESS_IP is passed on, nothing else of its environment */
	char *envp[] = {"FAKEAGENT_TEST_LEAK=1", "PATH=/usr/bin:/bin", "LIBPROCESS_IP=127.0.0.1",
	                NULL};
	start_agent_env(&a, args, envp);
	launch_script(&a, "envtask", exe,
	              ",\"environment\":{\"variables\":[{\"name\":\"FOO\",\"value\":\"task-wins\"},"
	              "{\"name\":\"FROM_TASK\",\"value\":\"x\"}]}",
	              &l);
	char *env = wait_file(l.sandbox, "env.txt");
	char line[2048];
	snprintf(line, sizeof(line), "MESOS_FRAMEWORK_ID=%s", a.fid);
	assert_true(has_line(env, line));
	assert_true(has_line(env, "MESOS_EXECUTOR_ID=envtask"));
	snprintf(line, sizeof(line), "MESOS_DIRECTORY=%s", l.sandbox);
	assert_true(has_line(env, line));
	snprintf(line, sizeof(line), "MESOS_SANDBOX=%s", l.sandbox);
	assert_true(has_line(env, line));
	snprintf(line, sizeof(line), "MESOS_AGENT_ENDPOINT=%s", a.proc.addr);
	assert_true(has_line(env, line));
	snprintf(line, sizeof(line), "MESOS_SLAVE_PID=slave(1)@%s", a.proc.addr);
	assert_true(has_line(env, line));
	assert_non_null(strstr(env, "MESOS_SLAVE_ID="));
	assert_true(has_line(env, "MESOS_CHECKPOINT=1"));
	assert_true(has_line(env, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=2secs"));
	assert_true(has_line(env, "MESOS_RECOVERY_TIMEOUT=15mins"));
	assert_true(has_line(env, "MESOS_SUBSCRIPTION_BACKOFF_MAX=2secs"));
	assert_true(has_line(env, "LIBPROCESS_PORT=0"));
	assert_true(has_line(env, "LIBPROCESS_IP=127.0.0.1"));
	assert_true(has_line(env, "MESOS_NATIVE_JAVA_LIBRARY=/usr/lib/libmesos-1.11.0.so"));
	assert_true(has_line(env, "MESOS_NATIVE_LIBRARY=/usr/lib/libmesos-1.11.0.so"));
	assert_true(has_line(env, "OTHER=from-agent"));
	assert_true(has_line(env, "FOO=task-wins")); /* command environment overrides all */
	assert_true(has_line(env, "FROM_TASK=x"));
	assert_true(
	    has_line(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	assert_null(strstr(env, "FAKEAGENT_TEST_LEAK"));
	assert_null(strstr(env, "MESOS_DOMAIN_SOCKET"));
	char *pwd = wait_file(l.sandbox, "pwd.txt");
	snprintf(line, sizeof(line), "%s", l.sandbox);
	assert_true(has_line(pwd, line));
	char path[2048];
	struct stat st;
	snprintf(path, sizeof(path), "%s/stdout", l.sandbox);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/stderr", l.sandbox);
	assert_int_equal(stat(path, &st), 0);
	free(env);
	free(pwd);
	free(exe);
	stop_agent(&a);
	assert_true(gone(l.pid, 10000)); /* the agent takes its executors with it */
}

static void test_without_checkpointing_the_recovery_variables_are_absent(void **state)
{
	struct agent a;
	struct launched l;
	char *exe = script("env2.sh", "env > env.txt\nexec sleep 300");
	/* and the operator's variables win over the agent's LIBPROCESS_IP and libmesos */
	const char *args[] = {"--no-checkpoint",
	                      "--executor-env",
	                      "LIBPROCESS_IP=10.1.2.3",
	                      "--executor-env",
	                      "MESOS_NATIVE_LIBRARY=/opt/mesos/libmesos.so",
	                      NULL};
	char *envp[] = {"PATH=/usr/bin:/bin", "LIBPROCESS_IP=127.0.0.1", NULL};
	start_agent_env(&a, args, envp);
	launch_script(&a, "t", exe, NULL, &l);
	char *env = wait_file(l.sandbox, "env.txt");
	assert_true(has_line(env, "LIBPROCESS_IP=10.1.2.3"));
	assert_true(has_line(env, "MESOS_NATIVE_LIBRARY=/opt/mesos/libmesos.so"));
	assert_true(has_line(env, "MESOS_NATIVE_JAVA_LIBRARY=/usr/lib/libmesos-1.11.0.so"));
	assert_true(has_line(env, "MESOS_CHECKPOINT=0"));
	assert_true(has_line(env, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=5secs"));
	assert_null(strstr(env, "MESOS_RECOVERY_TIMEOUT"));
	assert_null(strstr(env, "MESOS_SUBSCRIPTION_BACKOFF_MAX"));
	free(env);
	free(exe);
	stop_agent(&a);
}

static void
test_executor_that_never_subscribes_is_destroyed_after_the_registration_timeout(void **state)
{
	struct agent a;
	struct launched l;
	char *exe = script("mute.sh", "exec sleep 300");
	const char *args[] = {"--registration-timeout", "1secs", NULL};
	start_agent(&a, args);
	launch_script(&a, "mute", exe, NULL, &l);
	assert_true(l.pid > 0);
	char *reason = wait_update(&a, "mute", "TASK_FAILED", 15000);
	assert_string_equal(reason, "REASON_EXECUTOR_REGISTRATION_TIMEOUT/SOURCE_AGENT");
	free(reason);
	assert_true(gone(l.pid, 10000));
	free(exe);
	stop_agent(&a);
}

static void test_shutdown_kills_the_group_and_session_after_the_grace(void **state)
{
	struct agent a;
	struct launched l;
	/* ignores SIGTERM; a job-control child sits in its own process group */
	char *exe = script("stubborn.sh", "trap '' TERM\nset -m\nsleep 300 &\necho $! > "
	                                  "child.pid\nexec sleep 300");
	const char *args[] = {"--shutdown-grace", "1secs", NULL};
	start_agent(&a, args);
	launch_script(&a, "stubborn", exe, NULL, &l);
	char *child = wait_file(l.sandbox, "child.pid");
	int child_pid = atoi(child);
	free(child);
	assert_true(child_pid > 0);

	char json[1024];
	struct fw_stream s;
	subscribe_json(json, sizeof(json), &a, "stubborn", NULL);
	assert_int_equal(fw_subscribe(&s, a.proc.addr, PATH, MESOS_JSON, json, NULL, NULL), 0);
	mesos_event *ev = fw_expect(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	assert_non_null(ev);
	protobuf_c_message_free_unpacked(&ev->base, NULL);

	post_fake(&a, "/_fake/shutdown", "{\"executor_id\":\"stubborn\"}", 202);
	ev = fw_expect(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN, 10000);
	assert_non_null(ev);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	assert_false(gone(l.pid, 300)); /* still inside the grace */
	assert_true(gone(l.pid, 10000));
	assert_true(gone(child_pid, 10000));
	char *reason = wait_update(&a, "stubborn", "TASK_FAILED", 10000);
	assert_string_equal(reason, "REASON_EXECUTOR_TERMINATED/SOURCE_AGENT");
	free(reason);
	fw_stream_close(&s);
	free(exe);
	stop_agent(&a);
}

static void test_restart_destroys_executor_processes_that_do_not_come_back(void **state)
{
	struct agent a;
	struct launched l;
	char *exe = script("away.sh", "exec sleep 300");
	const char *args[] = {"--checkpoint", "--reregistration-timeout", "1secs", NULL};
	start_agent(&a, args);
	launch_script(&a, "away", exe, NULL, &l);
	char json[1024];
	struct fw_stream s;
	subscribe_for_launch(&a, "away", &s);
	char u[32];
	new_uuid(u);
	update_json(json, sizeof(json), a.fid, "away", "away", "TASK_RUNNING", u, NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, NULL, 0), 202);
	post_fake(&a, "/_fake/restart", "{\"downtime\":\"500ms\"}", 202);
	char *reason = wait_update(&a, "away", "TASK_GONE", 15000);
	assert_string_equal(reason, "REASON_EXECUTOR_REREGISTRATION_TIMEOUT/SOURCE_AGENT");
	free(reason);
	assert_true(gone(l.pid, 10000));
	fw_stream_close(&s);
	free(exe);
	stop_agent(&a);
}

static void test_restart_without_checkpointing_destroys_the_orphaned_container(void **state)
{
	struct agent a;
	struct launched l;
	/* an executor that would outlive the agent's restart */
	char *exe = script("orphan.sh", "sleep 300 &\necho $! > child.pid\nexec sleep 300");
	const char *args[] = {"--no-checkpoint", "--reregistration-timeout", "1secs", NULL};
	start_agent(&a, args);
	launch_script(&a, "orphan", exe, NULL, &l);
	char *child = wait_file(l.sandbox, "child.pid");
	int child_pid = atoi(child);
	free(child);
	struct fw_stream s;
	subscribe_for_launch(&a, "orphan", &s);
	post_fake(&a, "/_fake/restart", "{\"downtime\":\"300ms\"}", 202);
	assert_true(gone(l.pid, 15000));
	assert_true(gone(child_pid, 15000));
	char *reason = wait_update(&a, "orphan", "TASK_DROPPED", 15000);
	assert_string_equal(reason, "REASON_RECONCILIATION/SOURCE_AGENT");
	free(reason);
	fw_stream_close(&s);
	free(exe);
	stop_agent(&a);
}

/* The session of a live process, or -1. */
static int session_of(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	const char *rp = strrchr(buf, ')');
	int ppid, pgrp, sid;
	return rp && sscanf(rp + 2, "%*c %d %d %d", &ppid, &pgrp, &sid) == 3 ? sid : -1;
}

/* Whether fakeagent may make cgroups here (it says so in /state). */
static bool agent_containers_are(struct agent *a, const char *kind)
{
	cJSON *st = get_json(a, "/state");
	bool is = !strcmp(cJSON_GetObjectItem(st, "containers")->valuestring, kind);
	cJSON_Delete(st);
	return is;
}

/* An executor that crashes leaves a task that made a session of its own
 * and a daemon that double-forked away from it: destroying the container
 * kills both, as the Linux launcher kills the whole cgroup. */
static void check_crash_leaves_nothing(const char *containers)
{
	struct agent a;
	struct launched l;
	char *exe = script("crash.sh", "setsid sleep 300 & echo $! > task.pid\n"
	                               "(setsid sh -c 'sleep 301 & echo $! > daemon.pid' &)\n"
	                               "exec sleep 302");
	const char *args[] = {"--containers", containers, NULL};
	start_agent(&a, args);
	if (!agent_containers_are(&a, containers)) {
		stop_agent(&a);
		free(exe);
		skip(); /* no cgroup v2 that fakeagent may use here */
	}
	launch_script(&a, "crash", exe, NULL, &l);
	char *tp = wait_file(l.sandbox, "task.pid"), *dp = wait_file(l.sandbox, "daemon.pid");
	int task = atoi(tp), daemon = atoi(dp);
	free(tp);
	free(dp);
	assert_true(task > 0 && daemon > 0);
	/* both left the executor's session */
	assert_int_not_equal(session_of(task), l.pid);
	assert_int_not_equal(session_of(daemon), l.pid);
	kill(l.pid, SIGKILL); /* the executor crashes */
	char *reason = wait_update(&a, "crash", "TASK_FAILED", 15000);
	assert_string_equal(reason, "REASON_EXECUTOR_TERMINATED/SOURCE_AGENT");
	free(reason);
	assert_true(gone(task, 10000));
	assert_true(gone(daemon, 10000));
	free(exe);
	stop_agent(&a);
}

static void test_an_executor_crash_kills_what_left_its_session_cgroup(void **state)
{
	check_crash_leaves_nothing("cgroup");
}

static void test_an_executor_crash_kills_what_left_its_session_subreaper(void **state)
{
	check_crash_leaves_nothing("subreaper");
}

/* ------------------------------------------------------------ run */

static int run_fakeagent(char *const *argv, char *out, size_t len)
{
	int st = ts_run(argv, out, len, 60000);
	assert_true(st != -1 && WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_run_reports_the_agent_update_when_the_executor_dies(void **state)
{
	char *exe = script("dies.sh", "echo 'dying on purpose' >&2\nexit 3");
	char task[512], out[65536];
	snprintf(task, sizeof(task), "%s/task.json", tmp);
	FILE *f = fopen(task, "w");
	fputs("{\"name\":\"t\",\"task_id\":{\"value\":\"t\"},\"command\":{\"value\":\"true\"}}", f);
	fclose(f);
	char *bin = (char *)ts_env("FAKEAGENT_BIN", "build/fakeagent/fakeagent");
	char *argv[] = {bin,        "run",         "--executor", exe,           "--task", task,
	                "--listen", "127.0.0.1:0", "--expect",   "TASK_FAILED", NULL};
	assert_int_equal(run_fakeagent(argv, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "listening on http://127.0.0.1:"));
	assert_non_null(strstr(out, "TASK_FAILED from agent reason=REASON_EXECUTOR_TERMINATED"));
	assert_non_null(strstr(out, "exited with status 3"));

	char *argv2[] = {bin,  "run",      "--executor",  exe, "--task",
	                 task, "--listen", "127.0.0.1:0", NULL};
	assert_int_equal(run_fakeagent(argv2, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "final state TASK_FAILED, expected TASK_FINISHED"));
	assert_non_null(strstr(out, "dying on purpose")); /* the executor's stderr is shown */
	free(exe);
}

static void test_run_app_places_the_executor_and_runs_marathon_command(void **state)
{
	char *exe = script("app-executor.sh",
	                   "echo \"$0 $*\" > args.txt\nenv > env.txt\nls -l > ls.txt\nexit 0");
	char app[512], work[512], out[65536];
	snprintf(app, sizeof(app), "%s/app.json", tmp);
	snprintf(work, sizeof(work), "%s/work", tmp);
	FILE *f = fopen(app, "w");
	fputs(
	    "{\"id\":\"/group/web\",\"cmd\":\"echo hi\",\"executor\":\"./app-executor.sh\","
	    "\"env\":{\"FROM_APP\":\"yes\"},\"portDefinitions\":[{\"port\":0,\"name\":\"http\"}]}",
	    f);
	fclose(f);
	char *bin = (char *)ts_env("FAKEAGENT_BIN", "build/fakeagent/fakeagent");
	char *argv[] = {bin,        "run",         "--executor",  exe,          "--app",
	                app,        "--listen",    "127.0.0.1:0", "--work-dir", work,
	                "--expect", "TASK_FAILED", NULL};
	assert_int_equal(run_fakeagent(argv, out, sizeof(out)), 0);
	/* find the sandbox from the timeline */
	const char *sb = strstr(out, "sandbox ");
	assert_non_null(sb);
	char sandbox[1024];
	sscanf(sb + 8, "%1023s", sandbox);
	char *args = wait_file(sandbox, "args.txt");
	assert_string_equal(args, "./app-executor.sh echo hi\n");
	char *env = wait_file(sandbox, "env.txt");
	assert_true(has_line(env, "MARATHON_APP_ID=/group/web"));
	assert_true(has_line(env, "MESOS_CHECKPOINT=1")); /* `run` checkpoints by default */
	assert_true(has_line(env, "FROM_APP=yes"));
	assert_non_null(strstr(env, "MESOS_EXECUTOR_ID=marathon-group_web.instance-"));
	assert_non_null(strstr(env, "PORT_HTTP="));
	assert_non_null(strstr(env, "PORT0="));
	free(args);
	free(env);
	free(exe);
}

static void test_run_rejects_bad_input_naming_the_file_and_field(void **state)
{
	char app[512], out[8192];
	snprintf(app, sizeof(app), "%s/bad.json", tmp);
	FILE *f = fopen(app, "w");
	fputs("{\"id\":\"/a\",\"cmd\":\"x\",\"mem\":\"lots\"}", f);
	fclose(f);
	char *bin = (char *)ts_env("FAKEAGENT_BIN", "build/fakeagent/fakeagent");
	char *argv[] = {bin, "run",      "--executor",  "/bin/true", "--app",
	                app, "--listen", "127.0.0.1:0", NULL};
	/* the error goes to stderr (a log file for ts_spawn): check the code */
	assert_int_equal(run_fakeagent(argv, out, sizeof(out)), 2);
	char *argv2[] = {bin, "run", "--executor", "/no/such/executor", "--app", app, NULL};
	assert_int_equal(run_fakeagent(argv2, out, sizeof(out)), 2);
}

/* ------------------------------------------------------------ secured agent */

static void test_domain_socket_serves_only_the_prefixed_executor_path(void **state)
{
	struct agent a;
	struct launched l;
	char sock[512], args_sock[600], json[1024];
	snprintf(sock, sizeof(sock), "%s/agent.sock", tmp);
	const char *args[] = {"--domain-socket", sock, NULL};
	(void)args_sock;
	start_agent(&a, args);
	char body[512];
	snprintf(body, sizeof(body),
	         "{\"task\":{\"name\":\"d\",\"task_id\":{\"value\":\"d\"},\"command\":{\"value\":"
	         "\"x\"}},\"executor\":\"/bin/true\",\"spawn\":false}");
	launch(&a, body, &l);
	assert_string_equal(l.domain, sock);
	char addr[600];
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	subscribe_json(json, sizeof(json), &a, "d", NULL);
	struct fw_resp r;
	assert_int_equal(fw_post_call(addr, PATH, MESOS_JSON, json, NULL, &r), 0);
	assert_int_equal(r.status, 403);
	fw_resp_free(&r);
	assert_int_equal(fw_call(addr, "GET", "/state", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 403);
	fw_resp_free(&r);
	struct fw_stream s;
	assert_int_equal(fw_subscribe(&s, addr, PREFIXED, MESOS_JSON, json, NULL, NULL), 0);
	assert_int_equal(s.status, 200);
	mesos_event *ev = fw_expect(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	assert_non_null(ev);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	fw_stream_close(&s);
	stop_agent(&a);
}

/* A part of a JWT, base64url-decoded and parsed. */
static cJSON *jwt_part(const char *token, int index)
{
	char part[1024];
	const char *p = token;
	for (int i = 0; i < index; i++)
		p = strchr(p, '.') + 1;
	size_t n = strcspn(p, ".");
	snprintf(part, sizeof(part), "%.*s", (int)n, p);
	for (char *c = part; *c; c++)
		*c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
	size_t len;
	uint8_t *raw = b64_decode(part, strlen(part), &len);
	assert_non_null(raw);
	cJSON *j = cJSON_ParseWithLength((const char *)raw, len);
	free(raw);
	return j;
}

/* The status of a SUBSCRIBE of executor `eid` with this Authorization
 * header value (NULL: none); the WWW-Authenticate header in challenge. */
static int auth_status(struct agent *a, const char *eid, const char *authz, char *body,
                       char *challenge, size_t len)
{
	char json[1024], hdr[2048];
	subscribe_json(json, sizeof(json), a, eid, NULL);
	snprintf(hdr, sizeof(hdr), "Authorization: %s", authz ? authz : "");
	const char *hdrs[] = {hdr, NULL};
	struct fw_resp r;
	assert_int_equal(
	    fw_post_call(a->proc.addr, PATH, MESOS_JSON, json, authz ? hdrs : NULL, &r), 0);
	snprintf(body, len, "%s", r.body);
	if (!fw_header(r.head, "WWW-Authenticate", challenge, len))
		challenge[0] = '\0';
	int st = r.status;
	fw_resp_free(&r);
	return st;
}

static void test_executor_tokens_are_the_agent_jwts_and_are_verified(void **state)
{
	struct agent a;
	struct launched la, lb;
	char body[2048], ch[2048], auth[2048];
	const char *args[] = {"--executor-auth", NULL};
	start_agent(&a, args);
	launch(&a,
	       "{\"task\":{\"name\":\"a\",\"task_id\":{\"value\":\"a\"},\"command\":{\"value\":"
	       "\"x\"}},\"executor\":\"/bin/true\",\"spawn\":false}",
	       &la);
	launch(&a,
	       "{\"task\":{\"name\":\"b\",\"task_id\":{\"value\":\"b\"},\"command\":{\"value\":"
	       "\"x\"}},\"executor\":\"/bin/true\",\"spawn\":false}",
	       &lb);
	/* HS256 JWT with the claims fid, eid, cid */
	cJSON *h = jwt_part(la.token, 0), *c = jwt_part(la.token, 1);
	assert_non_null(h);
	assert_non_null(c);
	assert_string_equal(cJSON_GetObjectItem(h, "alg")->valuestring, "HS256");
	assert_string_equal(cJSON_GetObjectItem(h, "typ")->valuestring, "JWT");
	assert_string_equal(cJSON_GetObjectItem(c, "fid")->valuestring, a.fid);
	assert_string_equal(cJSON_GetObjectItem(c, "eid")->valuestring, "a");
	cJSON *st = get_json(&a, "/state");
	const cJSON *ex = cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "frameworks"), 0),
	                        "executors"),
	    0);
	assert_string_equal(cJSON_GetObjectItem(c, "cid")->valuestring,
	                    cJSON_GetObjectItem(ex, "container_id")->valuestring);
	cJSON_Delete(st);
	cJSON_Delete(h);

	/* no credentials: a bare challenge */
	assert_int_equal(auth_status(&a, "a", NULL, body, ch, sizeof(ch)), 401);
	assert_string_equal(body, "401 Unauthorized.");
	assert_string_equal(ch, "Bearer realm=\"mesos-agent-executor\"");
	assert_int_equal(auth_status(&a, "a", "Basic dXNlcjpwdw==", body, ch, sizeof(ch)), 401);
	assert_non_null(strstr(ch, "error_description=\"Scheme 'Basic' unsupported\""));
	assert_int_equal(auth_status(&a, "a", "Bearer not-a-token", body, ch, sizeof(ch)), 401);
	assert_non_null(strstr(ch, "Invalid JWT: Expected 3 components in token, got 1"));
	/* b's claims with a's signature: forged */
	char forged[2048];
	const char *b_dot = strchr(lb.token, '.'), *a_sig = strrchr(la.token, '.');
	snprintf(forged, sizeof(forged), "Bearer %.*s%.*s%s", (int)(b_dot - lb.token), lb.token,
	         (int)(strrchr(lb.token, '.') - b_dot), b_dot, a_sig);
	assert_int_equal(auth_status(&a, "b", forged, body, ch, sizeof(ch)), 401);
	assert_non_null(strstr(ch, "Invalid JWT: Token signature does not match"));
	/* another executor's genuine token: the agent's claim check */
	snprintf(auth, sizeof(auth), "Bearer %s", lb.token);
	assert_int_equal(auth_status(&a, "a", auth, body, ch, sizeof(ch)), 403);
	assert_non_null(strstr(body,
	                       "does not contain an 'eid' claim with the executor ID a, which "
	                       "is set in the call"));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", la.token);
	struct fw_stream s;
	char json[1024];
	const char *own[] = {auth, NULL};
	subscribe_json(json, sizeof(json), &a, "a", NULL);
	assert_int_equal(fw_subscribe(&s, a.proc.addr, PATH, MESOS_JSON, json, NULL, own), 0);
	assert_int_equal(s.status, 200);
	fw_stream_close(&s);
	cJSON_Delete(c);
	stop_agent(&a);
}

/* ------------------------------------------------------------ events on demand */

static void test_heartbeats_follow_the_configured_interval(void **state)
{
	struct agent a;
	char json[1024];
	const char *args[] = {"--heartbeat-interval", "200ms", NULL};
	start_agent(&a, args);
	launch_external(&a, "hb");
	struct fw_stream s;
	subscribe_json(json, sizeof(json), &a, "hb", NULL);
	assert_int_equal(fw_subscribe(&s, a.proc.addr, PATH, MESOS_JSON, json, NULL, NULL), 0);
	for (int i = 0; i < 2; i++) {
		mesos_event *ev = fw_expect(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__HEARTBEAT, 10000);
		assert_non_null(ev);
		protobuf_c_message_free_unpacked(&ev->base, NULL);
	}
	fw_stream_close(&s);
	stop_agent(&a);
}

static void test_only_encoding_answers_the_other_with_415_and_406(void **state)
{
	struct agent a;
	char json[1024];
	const char *args[] = {"--only-encoding", "protobuf", NULL};
	start_agent(&a, args);
	launch_external(&a, "pb");
	subscribe_json(json, sizeof(json), &a, "pb", NULL);
	assert_int_equal(call_status(&a, PATH, MESOS_JSON, json, NULL, NULL, 0), 415);
	struct fw_stream s;
	assert_int_equal(
	    fw_subscribe(&s, a.proc.addr, PATH, MESOS_PROTOBUF, json, "application/json", NULL), 0);
	assert_int_equal(s.status, 406);
	fw_stream_close(&s);
	assert_int_equal(fw_subscribe(&s, a.proc.addr, PATH, MESOS_PROTOBUF, json, "*/*", NULL), 0);
	assert_int_equal(s.status, 200);
	assert_int_equal(s.enc, MESOS_PROTOBUF);
	mesos_event *ev = fw_next(&s, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__SUBSCRIBED);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	fw_stream_close(&s);
	stop_agent(&a);
}

static void test_kill_sends_the_policy_and_a_queued_task_is_killed_by_the_agent(void **state)
{
	struct agent a;
	char json[1024];
	start_agent(&a, NULL);
	launch_external(&a, "k1");
	launch_external(&a, "k2");
	struct fw_stream s;
	subscribe_json(json, sizeof(json), &a, "k1", NULL);
	assert_int_equal(fw_subscribe(&s, a.proc.addr, PATH, MESOS_JSON, json, NULL, NULL), 0);
	mesos_event *ev = fw_expect(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH, 10000);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	post_fake(&a, "/_fake/kill", "{\"task_id\":\"k1\",\"grace\":\"2secs\"}", 202);
	ev = fw_expect(&s, MESOS__V1__EXECUTOR__EVENT__TYPE__KILL, 10000);
	assert_non_null(ev);
	assert_string_equal(ev->kill->task_id->value, "k1");
	assert_non_null(ev->kill->kill_policy);
	assert_int_equal(ev->kill->kill_policy->grace_period->nanoseconds, 2000000000LL);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	fw_stream_close(&s);

	/* k2 was never delivered: the agent answers the kill itself, and the
	 * executor, left with nothing to run, is told to shut down. */
	post_fake(&a, "/_fake/kill", "{\"task_id\":\"k2\"}", 202);
	char *reason = wait_update(&a, "k2", "TASK_KILLED", 10000);
	assert_string_equal(reason, "REASON_TASK_KILLED_DURING_LAUNCH/SOURCE_AGENT");
	free(reason);
	subscribe_json(json, sizeof(json), &a, "k2", NULL);
	assert_int_equal(fw_subscribe(&s, a.proc.addr, PATH, MESOS_JSON, json, NULL, NULL), 0);
	ev = fw_next(&s, 10000);
	assert_non_null(ev);
	assert_int_equal(ev->type, MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN);
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	fw_stream_close(&s);
	post_fake(&a, "/_fake/kill", "{\"task_id\":\"nope\"}", 404);
	stop_agent(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_executor_gets_the_agent_environment_of_a_checkpointing_framework_and_nothing_else),
	    cmocka_unit_test(test_without_checkpointing_the_recovery_variables_are_absent),
	    cmocka_unit_test(
	        test_executor_that_never_subscribes_is_destroyed_after_the_registration_timeout),
	    cmocka_unit_test(test_shutdown_kills_the_group_and_session_after_the_grace),
	    cmocka_unit_test(test_restart_destroys_executor_processes_that_do_not_come_back),
	    cmocka_unit_test(test_restart_without_checkpointing_destroys_the_orphaned_container),
	    cmocka_unit_test(test_an_executor_crash_kills_what_left_its_session_cgroup),
	    cmocka_unit_test(test_an_executor_crash_kills_what_left_its_session_subreaper),
	    cmocka_unit_test(test_run_reports_the_agent_update_when_the_executor_dies),
	    cmocka_unit_test(test_run_app_places_the_executor_and_runs_marathon_command),
	    cmocka_unit_test(test_run_rejects_bad_input_naming_the_file_and_field),
	    cmocka_unit_test(test_domain_socket_serves_only_the_prefixed_executor_path),
	    cmocka_unit_test(test_executor_tokens_are_the_agent_jwts_and_are_verified),
	    cmocka_unit_test(test_heartbeats_follow_the_configured_interval),
	    cmocka_unit_test(test_only_encoding_answers_the_other_with_415_and_406),
	    cmocka_unit_test(test_kill_sends_the_policy_and_a_queued_task_is_killed_by_the_agent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
