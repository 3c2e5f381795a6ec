/* The executor's event loop (see runtime.h). Each libuv callback turns into an
 * input of the state machine (executor.h); once the input has returned, the
 * effects it queued are carried out here, in order (run_effects). An effect
 * with an outcome (a launch, the tree found gone after a signal) feeds the
 * outcome back as the next input from inside that loop, never from inside
 * the state machine. */
#include "runtime.h"

#include "common/httpc.h"
#include "common/log.h"
#include "common/str.h"
#include "common/uuid4.h"
#include "executor/agent.h"
#include "executor/cert.h"
#include "executor/executor.h"
#include "executor/health.h"
#include "executor/logship/logship.h"
#include "executor/telemetry/metrics.h"
#include "executor/proc.h"
#include "executor/telemetry/sentry.h"
#include "executor/task.h"
#include "hooks/manager.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct runtime {
	uv_loop_t *loop;
	const struct ex_config *cfg;
	struct ex_source src;
	struct executor *ex;
	struct httpc *http;
	struct agent *agent;
	struct hook_manager *hooks;
	struct health *health;
	struct hook_env henv;
	char *agent_hostname, *agent_id; /* for hooks: set once, never changed */
	uv_timer_t timers[EX_TIMER_COUNT];
	uv_timer_t exit_guard, teardown;
	uv_signal_t sigterm, sigint;
	struct metrics *metrics; /* NULL when it could not start */
	struct sentry *sentry;   /* NULL when reports are off */
	struct logship_config logship_cfg;
	struct logship *logship; /* NULL unless the task asked for shipping */
	uint64_t hook_started_ns;
	char **task_env; /* owned */
	/* The task's environment before BeforeTaskStart hooks added to it, for
	 * hook commands that run before task_env exists (owned). */
	char **pre_env;
	int exit_code;
};

static struct runtime *the_rt; /* for hook_env.run, which has no context argument */

/* ------------------------------------------------------------ the source */

static int64_t src_now(void *ctx)
{
	return (int64_t)uv_hrtime();
}

static double src_wallclock(void *ctx)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void src_uuid(void *ctx, uint8_t out[16])
{
	uuid4_new(out);
}

/* ------------------------------------------------------------ effects */

static void run_effects(struct runtime *rt);

/* The task's main process is gone: once nothing of its tree is left, the
 * state machine hears of it. */
static void check_tree(struct runtime *rt)
{
	if (ex_awaits_tree(rt->ex) && !proc_tree_alive())
		ex_tree_gone(rt->ex);
}

static void on_reaped(void *data)
{
	struct runtime *rt = data;
	check_tree(rt);
	run_effects(rt);
}

static void on_task_exit(void *data, pid_t pid, int status)
{
	struct runtime *rt = data;
	ex_task_exited(rt->ex, status);
	check_tree(rt);
	run_effects(rt);
}

/* Builds the task's environment, checks its certificate, sets up log
 * shipping and spawns the command. *cert_delay_ns: when the certificate
 * expires, or -1. */
static int start_task(struct runtime *rt, const Mesos__V1__TaskInfo *task, char *const *extra,
                      int64_t *cert_delay_ns, char *err, size_t errlen)
{
	int out_fd = -1, err_fd = -1;
	double kill_at;

	*cert_delay_ns = -1;
	strv_free(rt->task_env);
	rt->task_env = task_environment(task, extra);
	if (!rt->task_env) {
		snprintf(err, errlen, "out of memory building the environment");
		return -1;
	}
	double now = src_wallclock(rt);
	int crc = cert_check(task, rt->task_env, rt->cfg->cert_random_range_ns, now, &kill_at, err,
	                     errlen);
	if (crc < 0)
		return -1;
	if (logship_start(rt->loop, &rt->logship_cfg, task, rt->task_env, &rt->logship, &out_fd,
	                  &err_fd, err, errlen) < 0)
		return -1;
	pid_t pid =
	    task_spawn(rt->cfg, task, rt->task_env, out_fd, err_fd, on_task_exit, rt, err, errlen);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	if (pid < 0)
		return -1;
	if (crc == 0)
		*cert_delay_ns = (int64_t)cert_delay_ms(kill_at, now) * 1000000;
	log_info("task started as pid %d", (int)pid);
	return 0;
}

static void launch(struct runtime *rt, const struct ex_effect *e)
{
	char err[512] = "";
	int64_t cert_delay_ns;
	if (start_task(rt, e->task, e->env, &cert_delay_ns, err, sizeof(err)) < 0)
		ex_launch_failed(rt->ex, err);
	else
		ex_launched(rt->ex, cert_delay_ns);
}

static void signal_tree(struct runtime *rt, int sig)
{
	size_t n = proc_signal_tree(sig);
	if (sig == SIGKILL)
		log_info("SIGKILL sent to %zu process%s of the task", n, n == 1 ? "" : "es");
	else
		log_info("SIGTERM sent to %zu process%s of the task", n, n == 1 ? "" : "es");
	check_tree(rt);
}

static void on_timer(uv_timer_t *t)
{
	struct runtime *rt = t->loop->data;
	ex_timer_fired(rt->ex, (enum ex_timer)(t - rt->timers));
	run_effects(rt);
}

static void set_timer(struct runtime *rt, enum ex_timer t, int64_t delay_ns)
{
	if (delay_ns < 0)
		uv_timer_stop(&rt->timers[t]);
	else
		uv_timer_start(&rt->timers[t], on_timer, (uint64_t)((delay_ns + 999999) / 1000000),
		               0);
}

static void on_hooks_done(void *data, enum hook_event ev, const char *error, char **env,
                          size_t nenv)
{
	struct runtime *rt = data;
	char name[64];
	snprintf(name, sizeof(name), "hooks.%s.ms", hook_event_name(ev));
	metrics_observe(rt->metrics, name, (double)(uv_hrtime() - rt->hook_started_ns) / 1e6);
	if (error)
		metrics_add(rt->metrics, "hooks.failures", 1);
	ex_hooks_done(rt->ex, ev, error, env, nenv);
	run_effects(rt);
}

static void run_hooks(struct runtime *rt, enum hook_event ev, const Mesos__V1__TaskInfo *task)
{
	/* Copies, set once: hooks read them on worker threads while a new
	 * SUBSCRIBED may replace the state machine's. */
	if (!rt->agent_hostname && ex_agent_hostname(rt->ex)) {
		rt->agent_hostname = strdup(ex_agent_hostname(rt->ex));
		rt->henv.agent_hostname = rt->agent_hostname;
	}
	if (!rt->agent_id && ex_agent_id(rt->ex)) {
		rt->agent_id = strdup(ex_agent_id(rt->ex));
		rt->henv.agent_id = rt->agent_id;
	}
	/* Hook commands that run before the task's environment exists get the
	 * one it will have, without what BeforeTaskStart hooks add. */
	if (!rt->task_env && !rt->pre_env && task)
		rt->pre_env = task_environment(task, NULL);
	rt->hook_started_ns = uv_hrtime();
	hooks_run(rt->hooks, ev, task, rt->task_env, on_hooks_done, rt);
}

static void on_health(void *data, enum health_verdict v, const char *message)
{
	struct runtime *rt = data;
	metrics_add(rt->metrics, v == HEALTH_HEALTHY ? "health.healthy" : "health.unhealthy", 1);
	ex_health(rt->ex, v, message);
	run_effects(rt);
}

static void on_check(void *data, const Mesos__V1__CheckStatusInfo *status)
{
	struct runtime *rt = data;
	ex_check(rt->ex, status);
	run_effects(rt);
}

static void health_checks(struct runtime *rt, bool start, const Mesos__V1__TaskInfo *task)
{
	if (rt->health) {
		health_stop(rt->health);
		rt->health = NULL;
	}
	if (start)
		rt->health = health_start(&(struct health_opts){
		    .loop = rt->loop,
		    .http = rt->http,
		    .task = task,
		    .task_env = rt->task_env,
		    .sandbox = rt->cfg->sandbox,
		    .cbs = {.on_health = on_health, .on_check = on_check, .data = rt},
		});
}

static void teardown(uv_timer_t *t);

/* Effects may run inside libcurl callbacks, where nothing may be closed:
 * the teardown happens on the next loop iteration. */
static void exit_soon(struct runtime *rt, int code)
{
	rt->exit_code = code;
	log_info("executor exiting with status %d", code);
	uv_timer_start(&rt->teardown, teardown, 0, 0);
}

static void carry_out(struct runtime *rt, struct ex_effect *e)
{
	switch (e->kind) {
	case EX_FX_UPDATE:
		metrics_add(rt->metrics, "updates.posted", 1);
		agent_call(rt->agent, "UPDATE", e->body, e->len);
		e->body = NULL; /* the agent's now */
		break;
	case EX_FX_LAUNCH:
		launch(rt, e);
		break;
	case EX_FX_SIGNAL:
		signal_tree(rt, e->sig);
		break;
	case EX_FX_TIMER:
		set_timer(rt, e->timer, e->delay_ns);
		break;
	case EX_FX_HOOKS:
		run_hooks(rt, e->event, e->task);
		break;
	case EX_FX_HEALTH:
		health_checks(rt, e->start, e->task);
		break;
	case EX_FX_STOP_RECONNECTING:
		agent_stop_reconnecting(rt->agent);
		break;
	case EX_FX_EXIT:
		exit_soon(rt, e->code);
		break;
	}
}

/* Carries out every queued effect, oldest first; what an effect feeds back
 * queues more, carried out in the same loop. */
static void run_effects(struct runtime *rt)
{
	struct ex_effect e;
	while (ex_next_effect(rt->ex, &e)) {
		carry_out(rt, &e);
		ex_effect_release(&e);
	}
}

static void close_cb(uv_handle_t *h) {}

static void on_exit_guard(uv_timer_t *t)
{
	struct runtime *rt = t->loop->data;
	log_warn("a hook is still running; exiting without waiting for it");
	exit(rt->exit_code);
}

static void teardown(uv_timer_t *t)
{
	struct runtime *rt = t->loop->data;
	uv_close((uv_handle_t *)&rt->teardown, close_cb);
	logship_stop(rt->logship);
	rt->logship = NULL;
	metrics_close(rt->metrics);
	rt->metrics = NULL;
	sentry_close(rt->sentry);
	rt->sentry = NULL;
	if (rt->health)
		health_stop(rt->health);
	rt->health = NULL;
	agent_close(rt->agent);
	hooks_close(rt->hooks);
	for (int i = 0; i < EX_TIMER_COUNT; i++)
		uv_close((uv_handle_t *)&rt->timers[i], close_cb);
	uv_close((uv_handle_t *)&rt->sigterm, close_cb);
	uv_close((uv_handle_t *)&rt->sigint, close_cb);
	proc_set_reap_observer(NULL, NULL);
	proc_shutdown();
	httpc_close(rt->http, NULL, NULL);
	/* Only a hook stuck on a worker thread can keep the loop alive now. */
	uv_timer_start(&rt->exit_guard, on_exit_guard, 2000, 0);
	uv_unref((uv_handle_t *)&rt->exit_guard);
}

/* ------------------------------------------------------------ agent */

static void on_event(void *data, mesos_event *ev)
{
	struct runtime *rt = data;
	ex_event(rt->ex, ev);
	run_effects(rt);
}

static void on_connected(void *data)
{
	struct runtime *rt = data;
	ex_connected(rt->ex);
	run_effects(rt);
}

static void on_disconnected(void *data)
{
	struct runtime *rt = data;
	metrics_add(rt->metrics, "agent.disconnects", 1);
	ex_disconnected(rt->ex);
	run_effects(rt);
}

static uint8_t *subscribe_body(void *data, enum mesos_encoding enc, size_t *len)
{
	struct runtime *rt = data;
	return ex_subscribe_body(rt->ex, enc, len);
}

/* ------------------------------------------------------------ metrics */

/* Counters kept elsewhere, read right before each report. */
static void metrics_source(void *data, struct metrics *m)
{
	struct runtime *rt = data;
	struct agent_stats as;
	struct ex_update_counts uc;
	ex_update_counts(rt->ex, &uc);
	metrics_set(m, "updates.sent", (double)uc.sent);
	metrics_set(m, "updates.acknowledged", (double)uc.acknowledged);
	metrics_set(m, "updates.resent", (double)uc.resent);
	metrics_set(m, "updates.unacknowledged", (double)ex_unacknowledged(rt->ex));
	if (rt->agent) {
		agent_stats(rt->agent, &as);
		metrics_set(m, "agent.subscribes", (double)as.subscribes);
		metrics_set(m, "agent.reconnects", (double)as.reconnects);
		metrics_set(m, "agent.events", (double)as.events);
		metrics_set(m, "agent.call_failures", (double)as.call_failures);
	}
}

/* ------------------------------------------------------------ hook commands */

static int hook_run(char *const argv[], char *const envp[], const char *input, char *output,
                    size_t out_len, int64_t timeout_ms)
{
	struct runtime *rt = the_rt;
	int in = memfd_create("hook-stdin", MFD_CLOEXEC);
	int out = output ? memfd_create("hook-stdout", MFD_CLOEXEC) : -1;
	char err[256];
	int rc = -1, saved = 0;

	if (in < 0 || (output && out < 0))
		goto done;
	if (input && write(in, input, strlen(input)) < 0)
		goto done;
	lseek(in, 0, SEEK_SET);
	/* Never the executor's own environment (its settings and secrets): the
	 * task's, or what it will be before BeforeTaskStart completes. */
	static char *const bare[] = {"PATH=/usr/local/bin:/usr/bin:/bin", NULL};
	char *const *env = envp           ? envp
	                   : rt->task_env ? rt->task_env
	                   : rt->pre_env  ? rt->pre_env
	                                  : bare;
	struct proc_spec spec = {.argv = argv,
	                         .envp = env,
	                         .cwd = rt->cfg->sandbox,
	                         .new_pgroup = true,
	                         .stdin_fd = in,
	                         .stdout_fd = out,
	                         .stderr_fd = -1};
	rc = proc_run_blocking(&spec, timeout_ms, err, sizeof(err));
	saved = errno;
	if (rc < 0)
		log_warn("hook command %s: %s", argv[0], err);
	if (output && out_len) {
		ssize_t n = pread(out, output, out_len - 1, 0);
		output[n > 0 ? n : 0] = '\0';
	}
done:
	if (rc < 0 && !saved)
		saved = errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	errno = saved; /* the caller tells a timeout (ETIMEDOUT) from the rest */
	return rc;
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* ------------------------------------------------------------ signals */

static void on_signal(uv_signal_t *s, int sig)
{
	struct runtime *rt = s->loop->data;
	if (sig == SIGTERM)
		log_info("received SIGTERM");
	else
		log_info("received SIGINT");
	ex_sigterm(rt->ex);
	run_effects(rt);
}

/* ------------------------------------------------------------ run */

int runtime_run(const struct ex_config *cfg)
{
	struct runtime rt;
	uv_loop_t loop;
	char err[256];
	struct envcfg hookcfg = {0};

	memset(&rt, 0, sizeof(rt));
	the_rt = &rt;
	rt.cfg = cfg;
	if (uv_loop_init(&loop) < 0) {
		log_error("cannot create the event loop");
		return EX_EXIT_INTERNAL;
	}
	loop.data = &rt;
	rt.loop = &loop;
	signal(SIGPIPE, SIG_IGN);

	if (proc_init(&loop, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return EX_EXIT_INTERNAL;
	}
	proc_set_reap_observer(on_reaped, &rt);
	proc_set_sigterm_exclude(cfg->sigterm_exclude);
	rt.http = httpc_new(&loop);
	if (!rt.http) {
		log_error("cannot initialise libcurl");
		return EX_EXIT_INTERNAL;
	}
	rt.henv = (struct hook_env){.executor_id = cfg->executor_id,
	                            .framework_id = cfg->framework_id,
	                            .agent_id = cfg->agent_id,
	                            .sandbox = cfg->sandbox,
	                            .getenv = env_get,
	                            .run = hook_run};
	rt.hooks = hooks_new(&loop, &rt.henv, cfg->hook_timeout_ns / 1000000);
	hooks_load(rt.hooks, hook_builtin, &hookcfg);
	if (hookcfg.nerrors) {
		fprintf(stderr, "executor: bad configuration: %s\n", hookcfg.errors);
		log_error("bad configuration: %s", hookcfg.errors);
		/* What the loop holds so far, closed as teardown() closes it. */
		hooks_close(rt.hooks);
		proc_shutdown();
		httpc_close(rt.http, NULL, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		the_rt = NULL;
		return EX_EXIT_CONFIG;
	}
	const char *names[8];
	size_t nh = hooks_enabled(rt.hooks, names, 8);
	char list[128] = "";
	for (size_t i = 0; i < nh; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "",
		         names[i]);

	if (sentry_start(&loop,
	                 &(struct sentry_config){.dsn = cfg->sentry_dsn,
	                                         .release = EXECUTOR_VERSION,
	                                         .executor_id = cfg->executor_id,
	                                         .framework_id = cfg->framework_id},
	                 &rt.sentry, err, sizeof(err)) < 0) {
		fprintf(stderr, "executor: bad configuration: %s\n", err);
		return EX_EXIT_CONFIG;
	}
	rt.metrics = metrics_new(&loop,
	                         &(struct metrics_config){.graphite_host = cfg->graphite_host,
	                                                  .graphite_port = (int)cfg->graphite_port,
	                                                  .prefix = cfg->graphite_prefix,
	                                                  .executor_id = cfg->executor_id,
	                                                  .interval_ns = cfg->metrics_interval_ns},
	                         err, sizeof(err));
	if (!rt.metrics) {
		fprintf(stderr, "executor: bad configuration: %s\n", err);
		sentry_close(rt.sentry);
		return EX_EXIT_CONFIG;
	}
	metrics_add_source(rt.metrics, metrics_source, &rt);
	metrics_start(rt.metrics);
	logship_config_init(&rt.logship_cfg, cfg);
	rt.logship_cfg.metrics = rt.metrics;

	for (int i = 0; i < EX_TIMER_COUNT; i++)
		uv_timer_init(&loop, &rt.timers[i]);
	uv_timer_init(&loop, &rt.exit_guard);
	uv_timer_init(&loop, &rt.teardown);
	uv_signal_init(&loop, &rt.sigterm);
	uv_signal_init(&loop, &rt.sigint);
	uv_signal_start(&rt.sigterm, on_signal, SIGTERM);
	uv_signal_start(&rt.sigint, on_signal, SIGINT);

	rt.src = (struct ex_source){
	    .ctx = &rt, .now = src_now, .wallclock = src_wallclock, .uuid = src_uuid};
	rt.ex = ex_new(cfg, &rt.src);
	if (!rt.ex) {
		log_error("out of memory");
		return EX_EXIT_INTERNAL;
	}
	rt.agent = agent_new(&loop, rt.http, cfg,
	                     &(struct agent_cbs){.on_event = on_event,
	                                         .on_connected = on_connected,
	                                         .on_disconnected = on_disconnected,
	                                         .subscribe_body = subscribe_body,
	                                         .data = &rt});
	log_fields(LOG_INFO, "executor starting", "version", EXECUTOR_VERSION, "agent", cfg->url,
	           "encoding", cfg->encoding == MESOS_JSON ? "json" : "protobuf", "checkpoint",
	           cfg->checkpoint ? "true" : "false", "hooks", list[0] ? list : "none", NULL);
	agent_start(rt.agent);

	uv_run(&loop, UV_RUN_DEFAULT);

	uv_close((uv_handle_t *)&rt.exit_guard, close_cb);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		log_debug("event loop closed with handles still open");
	ex_free(rt.ex);
	strv_free(rt.task_env);
	strv_free(rt.pre_env);
	logship_config_free(&rt.logship_cfg);
	free(rt.agent_hostname);
	free(rt.agent_id);
	the_rt = NULL;
	return rt.exit_code;
}
