/* Executor processes as the Mesos containerizer starts them: a fresh sandbox
 * (slaves/<agent>/frameworks/<fw>/executors/<id>/runs/<container>) with
 * `stdout` and `stderr` files, the binary placed there as the fetcher would,
 * the agent's executor environment (Mesos src/slave/slave.cpp,
 * executorEnvironment) with nothing inherited from
 * the fake agent itself but its LIBPROCESS_IP (as the agent passes its
 * own), a new session, ExecutorInfo.command run with /bin/sh -c (or exec'd
 * with its arguments when shell is false), all of it in a container of its
 * own (container.h). Destroying the container, or the executor's end,
 * SIGKILLs every process the executor ever started. */
#include "internal.h"

#include "common/duration.h"
#include "common/envlist.h"
#include "container.h"
#include "procscan.h"
#include "reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* LIBDIR/libmesos-VERSION.so of a Mesos 1.11 agent installed with prefix /usr */
#define FA_LIBMESOS "/usr/lib/libmesos-1.11.0.so"

extern char **environ;

/* ------------------------------------------------------------ environment */

static void build_env(struct fa_executor *e, const struct fa_launch *l)
{
	struct fa_agent *a = e->agent;
	struct envlist b = {0};
	char d[32], pid[160];

	/* The agent's own LIBPROCESS_IP, then --executor_environment_variables,
	 * which may override it; everything below wins over both. */
	const char *ip = getenv("LIBPROCESS_IP");
	if (ip)
		envlist_set(&b, "LIBPROCESS_IP", ip);
	for (const char *const *kv = a->cfg.executor_env; kv && *kv; kv++)
		envlist_put(&b, *kv);
	for (const char *const *kv = l->extra_env; kv && *kv; kv++)
		envlist_put(&b, *kv);
	if (!envlist_get(b.v, "PATH"))
		envlist_set(&b, "PATH", DEFAULT_PATH);
	envlist_set(&b, "LIBPROCESS_PORT", "0");
	/* Unless the operator's variables name them: where an agent installed
	 * from the Mesos packages has libmesos. */
	if (!envlist_get(b.v, "MESOS_NATIVE_JAVA_LIBRARY"))
		envlist_set(&b, "MESOS_NATIVE_JAVA_LIBRARY", FA_LIBMESOS);
	if (!envlist_get(b.v, "MESOS_NATIVE_LIBRARY"))
		envlist_set(&b, "MESOS_NATIVE_LIBRARY", FA_LIBMESOS);
	envlist_set(&b, "MESOS_FRAMEWORK_ID", a->framework_id);
	envlist_set(&b, "MESOS_EXECUTOR_ID", e->info->executor_id->value);
	envlist_set(&b, "MESOS_DIRECTORY", e->sandbox);
	envlist_set(&b, "MESOS_SANDBOX", e->sandbox);
	envlist_set(&b, "MESOS_SLAVE_ID", a->agent_id);
	snprintf(pid, sizeof(pid), "slave(1)@%s", fa_agent_address(a));
	envlist_set(&b, "MESOS_SLAVE_PID", pid);
	envlist_set(&b, "MESOS_AGENT_ENDPOINT", fa_agent_address(a));
	envlist_set(&b, "MESOS_CHECKPOINT", a->cfg.checkpoint ? "1" : "0");
	envlist_set(&b, "MESOS_HTTP_COMMAND_EXECUTOR", "0");
	duration_format_mesos(e->info->shutdown_grace_period
	                          ? e->info->shutdown_grace_period->nanoseconds
	                          : a->cfg.shutdown_grace,
	                      d, sizeof(d));
	envlist_set(&b, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", d);
	if (a->cfg.checkpoint) {
		duration_format_mesos(a->cfg.recovery_timeout, d, sizeof(d));
		envlist_set(&b, "MESOS_RECOVERY_TIMEOUT", d);
		duration_format_mesos(a->cfg.reregistration_timeout, d, sizeof(d));
		envlist_set(&b, "MESOS_SUBSCRIPTION_BACKOFF_MAX", d);
	}
	if (a->domain_socket)
		envlist_set(&b, "MESOS_DOMAIN_SOCKET", a->domain_socket);
	if (e->token)
		envlist_set(&b, "MESOS_EXECUTOR_AUTHENTICATION_TOKEN", e->token);
	/* ExecutorInfo.command.environment overrides all. */
	const Mesos__V1__CommandInfo *cmd = e->info->command;
	if (cmd && cmd->environment)
		for (size_t i = 0; i < cmd->environment->n_variables; i++) {
			const Mesos__V1__Environment__Variable *v = cmd->environment->variables[i];
			if (v->type == MESOS__V1__ENVIRONMENT__VARIABLE__TYPE__VALUE)
				envlist_set(&b, v->name, v->value);
		}
	e->env = envlist_take(&b);
}

/* ------------------------------------------------------------ sandbox */

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(path, 0755);
		*p = '/';
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static void safe_component(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
	for (char *p = dst; *p; p++)
		if (*p == '/')
			*p = '_';
}

static int copy_file(const char *src, const char *dst, mode_t mode, char *err, size_t errlen)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		snprintf(err, errlen, "executor binary %s: %s", src, strerror(errno));
		return -1;
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		close(in);
		return -1;
	}
	char buf[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			snprintf(err, errlen, "%s: %s", dst, strerror(errno));
			rc = -1;
			break;
		}
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", src, strerror(errno));
		rc = -1;
	}
	close(in);
	if (close(out) < 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		rc = -1;
	}
	return rc;
}

int fa_spawn_prepare(struct fa_executor *e, const struct fa_launch *l, char *err, size_t errlen)
{
	struct fa_agent *a = e->agent;
	char eid[256];

	safe_component(eid, sizeof(eid), e->info->executor_id->value);
	if (asprintf(&e->sandbox, "%s/slaves/%s/frameworks/%s/executors/%s/runs/%s", a->work_dir,
	             a->agent_id, a->framework_id, eid, e->container_id) < 0) {
		e->sandbox = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (mkdirs(e->sandbox) < 0) {
		snprintf(err, errlen, "sandbox %s: %s", e->sandbox, strerror(errno));
		return -1;
	}
	if (a->cfg.executor_auth) { /* the agent's JWTSecretGenerator: claims fid, eid, cid */
		cJSON *claims = cJSON_CreateObject();
		cJSON_AddStringToObject(claims, "cid", e->container_id);
		cJSON_AddStringToObject(claims, "eid", e->info->executor_id->value);
		cJSON_AddStringToObject(claims, "fid", a->framework_id);
		e->token = jwt_sign(claims, a->jwt_key);
		cJSON_Delete(claims);
		if (!e->token) {
			snprintf(err, errlen, "executor %s: cannot sign its token",
			         e->info->executor_id->value);
			return -1;
		}
	}
	if (l->executor_bin)
		e->place_from = strdup(l->executor_bin);
	if (l->place_as)
		e->place_as = strdup(l->place_as);
	build_env(e, l);
	return 0;
}

/* Whether a name from a task definition stays inside the sandbox: not
 * empty, not absolute, no ".." part. */
static bool inside_sandbox(const char *name)
{
	if (!name[0] || name[0] == '/')
		return false;
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		while (*p == '/')
			p++;
	}
	return true;
}

/* Local URIs are copied into the sandbox as the fetcher would; anything that
 * needs a network is skipped (with a warning) unless it is the executor
 * binary already placed there. A destination that would leave the sandbox
 * (output_file "../x" or "/x") fails the launch. */
static int fetch_uris(struct fa_executor *e, char *err, size_t errlen)
{
	const Mesos__V1__CommandInfo *cmd = e->info->command;
	for (size_t i = 0; cmd && i < cmd->n_uris; i++) {
		const Mesos__V1__CommandInfo__URI *u = cmd->uris[i];
		const char *src = u->value;
		if (strncmp(src, "file://", 7) == 0)
			src += 7;
		const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
		const char *name = u->output_file ? u->output_file : base;
		const char *placed = e->place_as ? strrchr(e->place_as, '/') : NULL;
		placed = placed ? placed + 1 : e->place_as;
		if ((u->output_file || src[0] == '/') && !inside_sandbox(name)) {
			snprintf(
			    err, errlen,
			    "executor %s: command.uris[%zu].%s '%.200s' is not a path inside the "
			    "sandbox",
			    e->info->executor_id->value, i,
			    u->output_file ? "output_file" : "value", name);
			return -1;
		}
		if (src[0] != '/') {
			if (!placed || strcmp(base, placed) != 0)
				fa_note(e->agent, FA_NOTE_WARN, e, NULL,
				        "fetch of %s skipped: fakeagent fetches only local files",
				        u->value);
			continue;
		}
		char *dst;
		if (asprintf(&dst, "%s/%s", e->sandbox, name) < 0)
			return -1;
		int rc = copy_file(src, dst, u->executable ? 0755 : 0644, err, errlen);
		free(dst);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ processes */

static void on_sweep(uv_timer_t *t);
struct exec_args;
static int start_container(struct fa_executor *e, struct exec_args *x, char *err, size_t errlen);

/* The container goes with its executor, on the loop turn after the reaping:
 * executors that end together (hundreds at once at scale) are swept with
 * one /proc snapshot taken after they are all gone, not one each. */
static void on_exit_cb(void *data, pid_t pid, int status)
{
	struct fa_executor *e = data;
	e->reaped_ns = uv_hrtime();
	e->exited = true;
	e->wait_status = status;
	if (e->agent->phase == FA_PHASE_DOWN && !e->destroying)
		return; /* the agent is "down": noticed when it recovers */
	e->sweep_pending = true;
	if (!uv_is_active((uv_handle_t *)&e->agent->sweep_timer))
		uv_timer_start(&e->agent->sweep_timer, on_sweep, 0, 0);
}

/* What the executor's process needs before it execs (container_start). */
struct exec_args {
	struct fa_executor *e;
	const char *prog;
	char **argv;
	int out, errfd;
};

static __attribute__((noreturn)) void child_exec(void *arg)
{
	const struct exec_args *x = arg;
	struct fa_executor *e = x->e;
	const char *prog = x->prog;
	char **argv = x->argv;
	int out = x->out, errfd = x->errfd;
	container_reset_signals();
	setsid();
	int in = open("/dev/null", O_RDONLY);
	dup2(in, 0);
	dup2(out, 1);
	dup2(errfd, 2);
	if (chdir(e->sandbox) < 0) {
		dprintf(2, "fakeagent: chdir %s: %s\n", e->sandbox, strerror(errno));
		_exit(127);
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0) < 0)
#endif
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	environ = e->env;
	execvp(prog, argv);
	dprintf(2, "fakeagent: cannot run %s: %s\n", prog, strerror(errno));
	_exit(127);
}

int fa_spawn_start(struct fa_executor *e, char *err, size_t errlen)
{
	const Mesos__V1__CommandInfo *cmd = e->info->command;
	if (!cmd || !cmd->value) {
		snprintf(err, errlen, "executor %s: ExecutorInfo.command.value is missing",
		         e->info->executor_id->value);
		return -1;
	}
	if (e->place_from && e->place_as) {
		char *dst;
		if (asprintf(&dst, "%s/%s", e->sandbox, e->place_as) < 0)
			return -1;
		char *slash = strrchr(dst, '/');
		*slash = '\0';
		mkdirs(dst);
		*slash = '/';
		int rc = copy_file(e->place_from, dst, 0755, err, errlen);
		free(dst);
		if (rc < 0)
			return -1;
	}
	if (fetch_uris(e, err, errlen) < 0)
		return -1;

	/* shell: sh -c value; otherwise exec value with arguments as the whole
	 * argv (protobuf-c keeps no NULL terminator, hence the copy). */
	char *shell_argv[] = {"/bin/sh", "-c", cmd->value, NULL};
	char *plain_argv[] = {cmd->value, NULL};
	char **argv = cmd->shell ? shell_argv : plain_argv;
	char **args = NULL;
	if (!cmd->shell && cmd->n_arguments) {
		args = calloc(cmd->n_arguments + 1, sizeof(*args));
		if (!args)
			return -1;
		memcpy(args, cmd->arguments, cmd->n_arguments * sizeof(*args));
		argv = args;
	}

	char path[4096];
	snprintf(path, sizeof(path), "%s/stdout", e->sandbox);
	int out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	snprintf(path, sizeof(path), "%s/stderr", e->sandbox);
	int errfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out < 0 || errfd < 0) {
		snprintf(err, errlen, "sandbox %s: %s", e->sandbox, strerror(errno));
		if (out >= 0)
			close(out);
		if (errfd >= 0)
			close(errfd);
		free(args);
		return -1;
	}
	struct exec_args x = {.e = e,
	                      .prog = cmd->shell ? "/bin/sh" : cmd->value,
	                      .argv = argv,
	                      .out = out,
	                      .errfd = errfd};
	e->spawned_ns = uv_hrtime();
	int rc = start_container(e, &x, err, errlen);
	close(out);
	close(errfd);
	free(args);
	if (rc < 0)
		return -1;
	e->spawned = true;
	e->pid = e->ct.pid;
	fa_note(e->agent, FA_NOTE_EXEC_UP, e, NULL, "executor %s started: pid %d, sandbox %s",
	        e->info->executor_id->value, (int)e->pid, e->sandbox);
	return 0;
}

/* Kills the container, the executor too if it lives; `v` is a snapshot
 * shared by the containers killed together. */
static void kill_container(struct fa_executor *e, struct procscan_entry *v, size_t n)
{
	container_kill(&e->ct, v, n);
}

void fa_spawn_kill_all(struct fa_executor *e)
{
	if (!e->spawned)
		return;
	size_t n = 0;
	struct procscan_entry *v = procscan_snapshot(&n);
	kill_container(e, v, n);
	free(v);
}

static void on_sweep(uv_timer_t *t)
{
	struct fa_agent *a = t->data;
	size_t n = 0;
	struct procscan_entry *v = procscan_snapshot(&n);
	for (struct fa_executor *e = a->executors; e; e = e->next) {
		if (e->sweep_pending) {
			e->sweep_pending = false;
			kill_container(e, v, n);
			fa_executor_terminated(e,
			                       e->destroying ? e->destroy_why : FA_DESTROY_EXITED);
		}
		if (e->state == FA_EXEC_TERMINATED)
			container_remove(&e->ct); /* once empty; later sweeps retry */
	}
	free(v);
}

/* ------------------------------------------------------------ containers */

static void status_closed(uv_handle_t *h)
{
	fa_handle_closed(h);
}

/* Stops reading the init's pipe and closes it. */
static void status_close(struct fa_executor *e)
{
	if (!e->status_open)
		return;
	e->status_open = false;
	uv_poll_stop(&e->status);
	e->status.data = e->agent;
	uv_close((uv_handle_t *)&e->status, status_closed);
	close(e->ct.status_fd);
	e->ct.status_fd = -1;
}

/* The init's pipe: the executor's wait status, then EOF once the init is
 * gone. An init gone without saying counts as the executor killed. */
static void on_status(uv_poll_t *h, int status, int events)
{
	struct fa_executor *e = h->data;
	int st;
	ssize_t r = read(e->ct.status_fd, &st, sizeof(st));
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == (ssize_t)sizeof(st) && !e->exited) {
		on_exit_cb(e, e->pid, st);
		return;
	}
	if (!e->exited)
		on_exit_cb(e, e->pid, SIGKILL);
	status_close(e);
}

static void on_init_exit(void *data, pid_t pid, int status)
{
	struct fa_executor *e = data;
	e->ct.init = 0; /* reaped: its pid is no longer ours */
}

/* Starts the executor in a container of the agent's kind; a cgroup that
 * cannot be joined makes it, and every later one, a subreaper's. */
static int start_container(struct fa_executor *e, struct exec_args *x, char *err, size_t errlen)
{
	struct fa_agent *a = e->agent;
	char name[128], why[512];
	snprintf(name, sizeof(name), "fakeagent-%d-%s", (int)getpid(), e->container_id);
	if (a->containers == CONTAINER_CGROUP &&
	    container_start(&e->ct, CONTAINER_CGROUP, a->cgroup_parent, name, child_exec, x, why,
	                    sizeof(why)) == 0) {
		reaper_watch(e->ct.pid, on_exit_cb, e);
		return 0;
	}
	if (a->containers == CONTAINER_CGROUP) {
		fa_note(a, FA_NOTE_WARN, e, NULL, "%s: containers are subreaper inits from now on",
		        why);
		a->containers = CONTAINER_SUBREAPER;
	}
	if (container_start(&e->ct, CONTAINER_SUBREAPER, NULL, name, child_exec, x, err, errlen) <
	    0)
		return -1;
	reaper_watch(e->ct.init, on_init_exit, e);
	uv_poll_init(a->loop, &e->status, e->ct.status_fd);
	e->status.data = e;
	e->status_open = true;
	a->handles_open++;
	uv_poll_start(&e->status, UV_READABLE, on_status);
	return 0;
}

void fa_spawn_release(struct fa_executor *e)
{
	if (e->ct.init)
		reaper_forget(e->ct.init);
	status_close(e);
}

void fa_spawn_free(struct fa_executor *e)
{
	/* what a killed process needs to leave its cgroup: a moment */
	for (int i = 0; i < 100 && !container_remove(&e->ct); i++) {
		reaper_poll();
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	if (e->ct.cgroup)
		fprintf(stderr, "fakeagent: cgroup %s not removed: still in use\n", e->ct.cgroup);
	container_remove(&e->ct);
	free(e->ct.cgroup);
	e->ct.cgroup = NULL;
}

void fa_executor_destroy(struct fa_executor *e, enum fa_destroy_reason why)
{
	if (e->state == FA_EXEC_TERMINATED || e->destroying)
		return;
	e->destroying = true;
	e->destroy_why = why;
	e->state = FA_EXEC_TERMINATING; /* as the agent marks what it destroys */
	uv_timer_stop(&e->deadline);
	if (e->spawned && !e->exited) {
		fa_spawn_kill_all(e); /* terminated when reaped */
	} else if (e->spawned) {      /* reaped already (while the agent was down) */
		e->sweep_pending = true;
		if (!uv_is_active((uv_handle_t *)&e->agent->sweep_timer))
			uv_timer_start(&e->agent->sweep_timer, on_sweep, 0, 0);
	} else {
		fa_executor_terminated(e, why);
	}
}
