/* The scenario runner's step engine: one scenario file (read by spec.c) gets
 * a fresh agent, the fakeconsul and fakevaas it asks for and its task or app
 * launched (setup.c), then its steps run in order: the engine runs the
 * current step whenever it is due and reports it. The actions (kill,
 * shutdown, restart-agent, message, wait) are here, expectations are
 * expect.c's (updates, calls, exit, processes, log lines) and probe.c's
 * (Consul services, VaaS backends), faults and sandbox steps steps.c's
 * (through steps_run); recording what the agent says is watch.c's. The
 * first failing step ends the scenario (the rest are skipped). Every step is
 * reported on stdout, with a summary at the end. SIGINT and SIGTERM end the
 * running scenario as a failure: its executor and helper servers are killed
 * first. The command around it is fakeagent/commands/scenario.c. */
#include "scenario.h"
#include "steps.h"

#include "common/duration.h"
#include "common/str.h"
#include "fakeagent/agent/reaper.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The signal handlers of the whole command, and the scenario they stop. */
static struct {
	uv_signal_t sig[2]; /* SIGINT, SIGTERM */
	int signum;         /* the first one received, or 0 */
	struct scenario *running;
} stop_signal;

/* ------------------------------------------------------------ step outcome */

static void finish(struct scenario *sc);
void scenario_step_done(struct scenario *sc, const char *fmt, ...)
{
	struct step *st = &sc->steps[sc->cur];
	execlog_poll(&sc->xlog); /* its lines go before the verdict */
	st->done = true;
	st->done_at = scenario_mono();
	st->secs = st->done_at - st->started;
	if (fmt) {
		char msg[2048];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		st->failure = strdup(msg);
		timeline_printf(&sc->tl, "FAIL", "step %zu/%zu %s: %s", sc->cur + 1, sc->n,
		                st->name, msg);
		finish(sc);
		return;
	}
	timeline_printf(&sc->tl, "PASS", "step %zu/%zu %s (%.1fs)", sc->cur + 1, sc->n, st->name,
	                st->secs);
	sc->cur++;
	if (sc->cur == sc->n) {
		finish(sc);
		return;
	}
	sc->steps[sc->cur].started = scenario_mono();
	scenario_schedule(sc, 0);
}

bool scenario_timed_out(const struct step *st)
{
	return scenario_mono() - st->started > (double)st->timeout / 1e9;
}

/* ------------------------------------------------------------ actions */

static void act(struct scenario *sc, struct step *st)
{
	char err[512];
	int rc = 0;
	struct fa_task *t = fa_agent_task(sc->agent, sc->task_id);
	if (!strcmp(st->kind, "kill"))
		rc = fa_agent_kill(sc->agent, sc->task_id, scenario_step_duration(st, "grace", -1),
		                   err, sizeof(err));
	else if (!strcmp(st->kind, "shutdown"))
		rc = fa_agent_shutdown(sc->agent, fa_executor_id(fa_task_executor(t)), err,
		                       sizeof(err));
	else if (!strcmp(st->kind, "restart-agent"))
		rc = fa_agent_restart(sc->agent, scenario_step_duration(st, "downtime", SECS(1)),
		                      err, sizeof(err));
	else if (!strcmp(st->kind, "message")) {
		const char *d = scenario_str(st->spec, "data");
		rc = fa_agent_message(sc->agent, fa_executor_id(fa_task_executor(t)), d ? d : "",
		                      d ? strlen(d) : 0, err, sizeof(err));
	}
	if (rc < 0)
		scenario_step_done(sc, "%s", err);
	else
		scenario_step_done(sc, NULL);
}

/* --- the steps of steps.c */

static void on_more_http(void *data, const struct httpc_result *res);

static void subst_cb(void *sc, const char *in, char *out, size_t len)
{
	scenario_subst(sc, in, out, len);
}

static struct steps_ctx more_ctx(struct scenario *sc, const struct step *st)
{
	struct fa_executor *e = fa_task_executor(fa_agent_task(sc->agent, sc->task_id));
	return (struct steps_ctx){.spec = st->spec,
	                          .agent = sc->agent,
	                          .task_id = sc->task_id,
	                          .executor_id = fa_executor_id(e),
	                          .sandbox = fa_executor_sandbox(e),
	                          .executor_gone = fa_executor_is_terminated(e),
	                          .consul = &sc->consul,
	                          .vaas = &sc->vaas,
	                          .http = sc->http,
	                          .elapsed = scenario_mono() - st->started,
	                          .timed_out = scenario_timed_out(st),
	                          .subst = subst_cb,
	                          .on_http_done = on_more_http,
	                          .data = sc};
}

static void run_more(struct scenario *sc, struct step *st)
{
	char err[1536];
	struct steps_ctx c = more_ctx(sc, st);
	struct httpc_req *req = NULL;
	switch (steps_run(st->kind, &c, &req, err, sizeof(err))) {
	case STEPS_PASS:
		scenario_step_done(sc, NULL);
		break;
	case STEPS_FAIL:
		scenario_step_done(sc, "%s", err);
		break;
	case STEPS_AGAIN:
		scenario_schedule(sc, 100);
		break;
	case STEPS_HTTP:
		sc->probe = req; /* cancelled by finish() */
		break;
	}
}

static void on_more_http(void *data, const struct httpc_result *res)
{
	struct scenario *sc = data;
	sc->probe = NULL;
	if (sc->finishing)
		return;
	char err[1536];
	struct steps_ctx c = more_ctx(sc, &sc->steps[sc->cur]);
	if (steps_http_verdict(&c, res, err, sizeof(err)) == STEPS_PASS)
		scenario_step_done(sc, NULL);
	else
		scenario_step_done(sc, "%s", err);
}

static void run_step(struct scenario *sc)
{
	struct step *st = &sc->steps[sc->cur];
	const char *k = st->kind;
	if (scenario_expect(sc, st))
		return;
	if (steps_known(k)) {
		if (!sc->probe)
			run_more(sc, st);
	} else if (!strcmp(k, "expect-consul-service") || !strcmp(k, "expect-vaas-backend")) {
		if (!sc->probe)
			scenario_probe(sc, st);
	} else if (!strcmp(k, "wait")) {
		int64_t d = scenario_step_duration(st, "duration", SECS(1));
		if (scenario_mono() - st->started >= (double)d / 1e9)
			scenario_step_done(sc, NULL);
		else
			scenario_schedule(
			    sc, MS(d) - (uint64_t)((scenario_mono() - st->started) * 1000) + 1);
	} else
		act(sc, st);
}

static void on_tick(uv_timer_t *t)
{
	struct scenario *sc = t->data;
	if (!sc->finishing && sc->cur < sc->n)
		run_step(sc);
}

void scenario_schedule(struct scenario *sc, uint64_t ms)
{
	if (!sc->finishing)
		uv_timer_start(&sc->tick, on_tick, ms, 0);
}

static void on_total(uv_timer_t *t)
{
	struct scenario *sc = t->data;
	char d[32];
	duration_format_mesos(sc->total_timeout, d, sizeof(d));
	if (sc->cur < sc->n)
		scenario_step_done(sc, "the scenario timed out after %s", d);
}

/* ------------------------------------------------------------ ending */

static void closed_one(void *data)
{
	struct scenario *sc = data;
	if (--sc->closing == 0)
		reaper_stop();
}

static void handle_closed(uv_handle_t *h)
{
	closed_one(h->data);
}

static void http_closed(void *data)
{
	closed_one(data);
}

static void on_finish(uv_timer_t *t)
{
	struct scenario *sc = t->data;
	execlog_poll(&sc->xlog);
	sc->closing = 6;
	uv_timer_stop(&sc->xlog_timer);
	uv_close((uv_handle_t *)&sc->xlog_timer, handle_closed);
	if (sc->agent)
		fa_agent_stop(sc->agent, closed_one, sc);
	else
		sc->closing--;
	if (sc->http)
		httpc_close(sc->http, http_closed, sc);
	else
		sc->closing--;
	sidecar_stop(&sc->consul, closed_one, sc);
	sidecar_stop(&sc->vaas, closed_one, sc);
	uv_close((uv_handle_t *)&sc->total, handle_closed);
	uv_close((uv_handle_t *)&sc->tick, NULL);
}

static void finish(struct scenario *sc)
{
	if (sc->finishing)
		return;
	sc->finishing = true;
	for (size_t i = sc->cur + (sc->cur < sc->n && sc->steps[sc->cur].done); i < sc->n; i++)
		sc->steps[i].skipped = true;
	if (sc->probe) {
		httpc_cancel(sc->probe);
		sc->probe = NULL;
	}
	cJSON_Delete(sc->matched);
	sc->matched = NULL;
	uv_timer_stop(&sc->total);
	/* leave the callback we are in before tearing things down */
	uv_timer_start(&sc->tick, on_finish, 0, 0);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* One line per step: ok, FAILED or skipped, how long it took, and when it
 * ended (seconds since the scenario began, as in the timeline). */
static void print_summary(struct scenario *sc)
{
	FILE *o = sc->tl.out;
	const char *red = sc->tl.color ? "\033[31m" : "", *green = sc->tl.color ? "\033[32m" : "";
	const char *reset = sc->tl.color ? "\033[0m" : "";
	fprintf(o, "summary of \"%s\":\n", sc->name);
	if (sc->setup_failure)
		fprintf(o, "  %s%-7s%s %-48s %7.1fs\n", red, "FAILED", reset, "00 setup",
		        sc->setup_secs);
	for (size_t i = 0; i < sc->n; i++) {
		const struct step *st = &sc->steps[i];
		if (!st->done)
			fprintf(o, "  %-7s %s\n", st->skipped ? "skipped" : "-", st->name);
		else
			fprintf(o, "  %s%-7s%s %-48s %7.1fs   at %+.3fs\n",
			        st->failure ? red : green, st->failure ? "FAILED" : "ok", reset,
			        st->name, st->secs, st->done_at - sc->tl.start);
	}
	fflush(o);
}

/* SIGINT and SIGTERM fail the running scenario, which then stops its
 * executor and helpers as usual; the handlers stay installed until the end,
 * so a second signal cannot cut that cleanup short. */
static void on_stop_signal(uv_signal_t *h, int signum)
{
	if (stop_signal.signum)
		return;
	stop_signal.signum = signum;
	struct scenario *sc = stop_signal.running;
	if (!sc || sc->finishing)
		return;
	if (sc->cur < sc->n)
		scenario_step_done(sc, "interrupted by %s",
		                   signum == SIGINT ? "SIGINT" : "SIGTERM");
	else
		finish(sc);
}

void scenario_free(struct scenario *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->steps[i].failure);
	free(sc->steps);
	envlist_free(&sc->env);
	free(sc->setup_failure);
	free(sc->work_dir);
	cJSON_Delete(sc->doc);
	sc->steps = NULL;
	sc->n = 0;
	sc->setup_failure = sc->work_dir = NULL;
	sc->doc = NULL;
}

void scenario_signals_install(void)
{
	int sigs[2] = {SIGINT, SIGTERM};
	for (int i = 0; i < 2; i++) {
		uv_signal_init(uv_default_loop(), &stop_signal.sig[i]);
		uv_signal_start(&stop_signal.sig[i], on_stop_signal, sigs[i]);
		uv_unref((uv_handle_t *)&stop_signal.sig[i]);
	}
}

int scenario_signal_received(void)
{
	return stop_signal.signum;
}

void scenario_signals_close(void)
{
	for (int i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&stop_signal.sig[i], NULL);
	stop_signal.signum = 0;
}

void scenario_run(struct scenario *sc)
{
	char err[2048];
	double t0 = scenario_mono();
	timeline_init(&sc->tl, stdout);
	sc->loop = uv_default_loop();
	reaper_start(sc->loop);
	sc->closing = 0;
	uv_timer_init(sc->loop, &sc->tick);
	uv_timer_init(sc->loop, &sc->total);
	uv_timer_init(sc->loop, &sc->xlog_timer);
	sc->tick.data = sc->total.data = sc->xlog_timer.data = sc;
	execlog_init(&sc->xlog, scenario_log_line, sc);
	stop_signal.running = sc;
	sc->http = httpc_new(sc->loop);
	const char *tmp = getenv("TMPDIR");
	if (asprintf(&sc->work_dir, "%s/fakeagent-scenario.XXXXXX", tmp && *tmp ? tmp : "/tmp") <
	        0 ||
	    !mkdtemp(sc->work_dir)) {
		snprintf(err, sizeof(err), "cannot make a work dir: %s", strerror(errno));
		sc->setup_failure = strdup(err);
		sc->cur = 0;
		finish(sc);
		uv_run(sc->loop, UV_RUN_DEFAULT);
		return;
	}
	timeline_printf(&sc->tl, "scenario", "%s (%s)", sc->name, sc->file);
	if (scenario_setup(sc, err, sizeof(err)) < 0) {
		timeline_printf(&sc->tl, "FAIL", "setup: %s", err);
		sc->setup_failure = strdup(err);
		sc->setup_secs = scenario_mono() - t0;
		finish(sc);
	} else {
		sc->setup_secs = scenario_mono() - t0;
		sc->steps[0].started = scenario_mono();
		uv_timer_start(&sc->total, on_total, MS(sc->total_timeout), 0);
		scenario_schedule(sc, 0);
	}
	uv_run(sc->loop, UV_RUN_DEFAULT);
	stop_signal.running = NULL;
	bool failed = sc->setup_failure != NULL;
	for (size_t i = 0; i < sc->n; i++)
		failed |= sc->steps[i].failure != NULL;
	if ((failed && !stop_signal.signum) || sc->opts->keep) /* Ctrl-C is not worth a look */
		timeline_printf(&sc->tl, "scenario", "work dir kept: %s", sc->work_dir);
	else
		nftw(sc->work_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	print_summary(sc);
	strv_free_n(sc->calls, sc->n_calls);
	execlog_free(&sc->xlog);
	timeline_free(&sc->tl);
}
