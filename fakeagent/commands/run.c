/* `fakeagent run`: runs one task (a TaskInfo file or a Marathon app) under a
 * fresh agent until the task reaches a terminal state and its executor is
 * gone, printing the timeline, and exits 0 iff the final state is the
 * expected one. Optional operator actions are timed from the first
 * TASK_RUNNING: a kill, an agent restart. */
#include "cli.h"
#include "commands.h"
#include "fakeagent/marathon/load.h"
#include "fakeagent/output/timeline.h"

#include "common/duration.h"
#include "fakekit/httpd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define MS(ns) ((uint64_t)((ns) > 0 ? (ns) / 1000000 : 0))

struct run {
	struct cli_agent ca;
	const char *executor, *task_file, *app_file;
	int expect;
	int64_t kill_after, kill_grace, restart_after, restart_downtime, timeout;

	uv_loop_t *loop;
	struct fa_agent *agent;
	struct timeline tl;
	char task_id[700];
	char sandbox[4096];
	bool running_seen, executor_gone, finishing, pass;
	int final_state; /* -1 until terminal */
	const char *failure;
	uv_timer_t kill_timer, restart_timer, timeout_timer, exit_timer, finish_timer;
};

static const char usage[] =
    "usage: fakeagent run --executor PATH (--task FILE | --app FILE) [options]\n"
    "  --expect STATE                final state that makes the run pass (TASK_FINISHED)\n"
    "  --kill-after D                kill the task D after its first TASK_RUNNING\n"
    "  --kill-grace D                kill_policy grace sent in that KILL event\n"
    "  --restart-agent-after D       simulate an agent restart D after TASK_RUNNING\n"
    "  --restart-downtime D          how long the restarting agent answers 503 (1secs)\n"
    "  --timeout D                   give up after D (default 5mins)\n";

static void finish(struct run *r, const char *failure);

static void on_finish_timer(uv_timer_t *t)
{
	struct run *r = t->data;
	char path[4200];
	if (r->task_id[0]) {
		r->pass = !r->failure && r->final_state == r->expect;
		if (!r->pass) {
			snprintf(path, sizeof(path), "%s/stderr", r->sandbox);
			timeline_tail(&r->tl, "executor stderr, last lines", path, 20);
		}
		timeline_printf(&r->tl, r->pass ? "PASS" : "FAIL", "final state %s, expected %s",
		                r->final_state >= 0 ? mesos_task_state_name(r->final_state)
		                                    : "none",
		                mesos_task_state_name(r->expect));
	}
	fa_agent_stop(r->agent, NULL, NULL);
	uv_close((uv_handle_t *)&r->kill_timer, NULL);
	uv_close((uv_handle_t *)&r->restart_timer, NULL);
	uv_close((uv_handle_t *)&r->timeout_timer, NULL);
	uv_close((uv_handle_t *)&r->exit_timer, NULL);
	uv_close((uv_handle_t *)&r->finish_timer, NULL);
}

static void finish(struct run *r, const char *failure)
{
	if (r->finishing)
		return;
	r->finishing = true;
	r->failure = failure;
	/* Stop outside the observer callback that got us here. */
	uv_timer_start(&r->finish_timer, on_finish_timer, 0, 0);
}

static void on_kill(uv_timer_t *t)
{
	struct run *r = t->data;
	char err[256];
	timeline_printf(&r->tl, "operator", "killing task %s", r->task_id);
	if (fa_agent_kill(r->agent, r->task_id, r->kill_grace, err, sizeof(err)) < 0)
		timeline_printf(&r->tl, "warn", "kill failed: %s", err);
}

static void on_restart(uv_timer_t *t)
{
	struct run *r = t->data;
	char err[256];
	if (fa_agent_restart(r->agent, r->restart_downtime, err, sizeof(err)) < 0)
		timeline_printf(&r->tl, "warn", "restart failed: %s", err);
}

static void on_timeout(uv_timer_t *t)
{
	struct run *r = t->data;
	char d[32];
	duration_format_mesos(r->timeout, d, sizeof(d));
	timeline_printf(&r->tl, "FAIL", "timed out after %s", d);
	finish(r, "timeout");
}

/* The task ended but its executor stays: a real agent would leave it; the
 * run shuts it down so it can end. */
static void on_exit_wait(uv_timer_t *t)
{
	struct run *r = t->data;
	char err[256];
	timeline_printf(&r->tl, "agent",
	                "executor still running after its task ended: shutting it down");
	struct fa_task *task = fa_agent_task(r->agent, r->task_id);
	if (task)
		fa_agent_shutdown(r->agent, fa_executor_id(fa_task_executor(task)), err,
		                  sizeof(err));
}

static void observe(void *data, const struct fa_note *n)
{
	struct run *r = data;
	timeline_note(&r->tl, n);
	if (r->finishing)
		return;
	if (n->kind == FA_NOTE_UPDATE && !n->update->ignored && n->task_id &&
	    strcmp(n->task_id, r->task_id) == 0) {
		int s = n->update->state;
		if (s == MESOS__V1__TASK_STATE__TASK_RUNNING && !r->running_seen) {
			r->running_seen = true;
			if (r->kill_after >= 0)
				uv_timer_start(&r->kill_timer, on_kill, MS(r->kill_after), 0);
			if (r->restart_after >= 0)
				uv_timer_start(&r->restart_timer, on_restart, MS(r->restart_after),
				               0);
		}
		if (mesos_task_state_terminal(s) && r->final_state < 0) {
			r->final_state = s;
			if (r->executor_gone)
				finish(r, NULL);
			else
				uv_timer_start(&r->exit_timer, on_exit_wait,
				               MS(fa_agent_config(r->agent)->shutdown_grace) + 5000,
				               0);
		}
	}
	if (n->kind == FA_NOTE_EXEC_END) {
		r->executor_gone = true;
		uv_timer_stop(&r->exit_timer);
		if (r->final_state >= 0)
			finish(r, NULL);
	}
}

static void on_signal(void *data)
{
	struct run *r = data;
	timeline_printf(&r->tl, "FAIL", "interrupted");
	finish(r, "interrupted");
}

static int parse(struct run *r, int argc, char **argv, char *err, size_t errlen)
{
	const char *v;
	int rc;
	for (int i = 0; i < argc; i++) {
		if ((rc = cli_agent_option(&r->ca, argc, argv, &i, err, errlen)) != 0) {
			if (rc < 0)
				return -1;
			continue;
		}
#define OPT(name, code)                                                                            \
	if ((rc = cli_value(argc, argv, &i, name, &v, err, errlen)) != 0) {                        \
		if (rc < 0)                                                                        \
			return -1;                                                                 \
		code;                                                                              \
		continue;                                                                          \
	}
#define DUR(name, field) OPT(name, if (cli_duration(name, v, &r->field, err, errlen) < 0) return -1)
		OPT("--executor", r->executor = v)
		OPT("--task", r->task_file = v)
		OPT("--app", r->app_file = v)
		OPT("--expect", {
			const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
			    &mesos__v1__task_state__descriptor, v);
			if (!ev) {
				snprintf(err, errlen,
				         "--expect %s: not a task state (TASK_FINISHED, ...)", v);
				return -1;
			}
			r->expect = ev->value;
		})
		DUR("--kill-after", kill_after)
		DUR("--kill-grace", kill_grace)
		DUR("--restart-agent-after", restart_after)
		DUR("--restart-downtime", restart_downtime)
		DUR("--timeout", timeout)
#undef OPT
#undef DUR
		snprintf(err, errlen, "unknown option %s", argv[i]);
		return -1;
	}
	if (!r->executor) {
		snprintf(err, errlen, "--executor PATH is required");
		return -1;
	}
	if (!r->task_file == !r->app_file) {
		snprintf(err, errlen, "give exactly one of --task FILE and --app FILE");
		return -1;
	}
	return 0;
}

int fakeagent_run(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("%s%s", usage, cli_agent_usage);
			return 0;
		}
	struct run *r = calloc(1, sizeof(*r));
	char err[1024];
	int code = 2;

	cli_agent_init(&r->ca);
	r->expect = MESOS__V1__TASK_STATE__TASK_FINISHED;
	r->kill_after = r->kill_grace = r->restart_after = -1;
	r->restart_downtime = 1000000000LL;
	r->timeout = 300 * 1000000000LL;
	r->final_state = -1;
	if (parse(r, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "fakeagent run: %s\n%s%s", err, usage, cli_agent_usage);
		free(r);
		return 2;
	}
	cJSON *doc = load_json_file(r->task_file ? r->task_file : r->app_file, err, sizeof(err));
	if (!doc) {
		fprintf(stderr, "fakeagent run: %s\n", err);
		free(r);
		return 2;
	}
	cli_process_setup();
	r->loop = uv_default_loop();
	r->agent = fa_agent_new(r->loop, &r->ca.cfg, err, sizeof(err));
	if (!r->agent) {
		fprintf(stderr, "fakeagent run: %s\n", err);
		cJSON_Delete(doc);
		free(r);
		return 2;
	}
	printf("listening on %s://%s\n", fa_agent_scheme(r->agent), fa_agent_address(r->agent));
	fflush(stdout);
	timeline_init(&r->tl, stdout);
	fa_agent_set_observer(r->agent, observe, r);
	uv_timer_t *timers[] = {&r->kill_timer, &r->restart_timer, &r->timeout_timer,
	                        &r->exit_timer, &r->finish_timer};
	for (size_t i = 0; i < 5; i++) {
		uv_timer_init(r->loop, timers[i]);
		timers[i]->data = r;
	}

	struct load_result lr;
	const char *file = r->task_file ? r->task_file : r->app_file;
	struct load_target to = {fa_agent_id(r->agent), fa_agent_hostname(r->agent), r->executor};
	int rc = r->task_file ? load_task_json(&to, doc, file, &lr, err, sizeof(err))
	                      : load_app_json(&to, doc, file, &lr, err, sizeof(err));
	cJSON_Delete(doc);
	struct fa_task *task = NULL;
	if (rc == 0) {
		snprintf(r->task_id, sizeof(r->task_id), "%s", lr.task->task_id->value);
		struct fa_launch l = {0};
		fa_launch_from(&l, &lr, r->executor);
		task = fa_agent_launch(r->agent, &l, err, sizeof(err));
		load_free(&lr);
	}
	if (!task) {
		fprintf(stderr, "fakeagent run: %s\n", err);
		r->task_id[0] = '\0';
		finish(r, "launch");
	} else {
		snprintf(r->sandbox, sizeof(r->sandbox), "%s",
		         fa_executor_sandbox(fa_task_executor(task)));
		uv_timer_start(&r->timeout_timer, on_timeout, MS(r->timeout), 0);
		httpd_stop_on_signals(r->loop, on_signal, r);
	}
	uv_run(r->loop, UV_RUN_DEFAULT);

	if (task)
		code = r->pass ? 0 : 1;
	uv_loop_close(r->loop);
	free(r);
	return code;
}
