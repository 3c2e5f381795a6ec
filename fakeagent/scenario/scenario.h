/* What the parts of `fakeagent scenario` share: one scenario file being
 * run (struct scenario) and its steps, and the functions each part offers
 * the others. engine.c runs the steps; spec.c reads a file's steps and
 * their fields; setup.c starts what a file asks for (agent, helpers, task);
 * expect.c and probe.c judge the expect-* steps; watch.c records what the
 * agent and the executor say. More steps are steps.h's. The command is
 * fakeagent/commands/scenario.c; `fakeagent conformance` runs its cases here
 * too.
 * Internal to fakeagent. */
#ifndef FAKEAGENT_SCENARIO_SCENARIO_H
#define FAKEAGENT_SCENARIO_SCENARIO_H

#include "fakeagent/agent/agent.h"
#include "fakeagent/output/execlog.h"
#include "sidecar.h"
#include "fakeagent/output/timeline.h"

#include "common/envlist.h"
#include "common/httpc.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SECS(n)               ((int64_t)(n)*1000000000LL)
#define MS(ns)                ((uint64_t)((ns) > 0 ? (ns) / 1000000 : 0))
#define DEFAULT_STEP_TIMEOUT  SECS(30)
#define DEFAULT_TOTAL_TIMEOUT SECS(300)

struct scenario_opts {
	const char *executor, *fakeconsul, *fakevaas, *junit;
	bool keep;
};

struct step {
	const cJSON *spec; /* borrowed from the scenario document */
	const char *kind;
	char name[256];
	int64_t timeout;
	double started, secs, done_at; /* monotonic seconds; secs: how long it took */
	bool done, skipped;
	char *failure; /* owned */
};

struct scenario {
	const char *file;
	const struct scenario_opts *opts;
	cJSON *doc; /* owned */
	char name[256];
	char dir[PATH_MAX];
	struct step *steps; /* owned */
	size_t n;
	struct fa_config cfg; /* the agent settings, read by scenario_load */
	char *setup_failure;  /* owned */
	double setup_secs;

	char *work_dir;     /* owned */
	struct envlist env; /* the agent's executor environment (owned) */
	uv_loop_t *loop;
	struct fa_agent *agent;
	struct timeline tl;
	struct sidecar consul, vaas;
	bool want_consul, want_vaas;
	struct httpc *http;
	struct httpc_req *probe;
	char probe_path[1024]; /* of the probe's URL, for "show" */
	cJSON *matched;        /* owned: the Consul service found, while its health is read */
	char task_id[700];
	size_t cursor; /* updates consumed by expect-update */
	size_t cur;
	bool brief; /* "timeline": "brief" */
	struct execlog xlog;
	const cJSON *xlog_show; /* "executor_log": true or substrings (borrowed) */
	size_t xlog_cursor;     /* log lines consumed by expect-executor-log */
	char **calls;           /* owned: the executor calls accepted, in order, as the agent
	                         * notes them ("SUBSCRIBE (json stream, 2 unacknowledged ...") */
	size_t n_calls, cap_calls, call_cursor;
	int64_t total_timeout;
	uv_timer_t tick, total, xlog_timer;
	bool finishing;
	int closing; /* things still shutting down */
};

/* ---- spec.c: a file's steps and their fields */

/* Monotonic seconds. */
double scenario_mono(void);
/* A string member of j, or NULL. */
const char *scenario_str(const cJSON *j, const char *key);
/* Reads the whole of sc->doc before anything starts: every key, the agent
 * settings (into sc->cfg), the helpers, the timeouts and the steps, each
 * checked (unknown keys and step fields, misspelt states and reasons are
 * errors). 0, or -1 with err naming the file, the step and the key. */
int scenario_load(struct scenario *sc, char *err, size_t errlen);
/* Replaces $NAME ([A-Z0-9_]+) by the task's value (TASK_ID, EXECUTOR_ID,
 * HOST, AGENT_ID, or an executor environment variable such as PORT0). */
void scenario_subst(struct scenario *sc, const char *in, char *out, size_t len);
/* A step's string field after substitution, in buf; NULL if absent. */
const char *scenario_step_str(struct scenario *sc, const struct step *st, const char *key,
                              char *buf, size_t len);
/* A number, or a string that is one after substitution ("$PORT0"); -1 absent. */
long scenario_step_num(struct scenario *sc, const struct step *st, const char *key);
/* A duration field (seconds as a number, or "5secs"), def when absent or bad. */
int64_t scenario_step_duration(const struct step *st, const char *key, int64_t def);

/* ---- engine.c: the step engine */

/* Runs one scenario on the default loop, as `fakeagent scenario` runs each
 * file: sc->file, opts, doc, dir and name set and its steps read
 * (scenario_load). The timeline and the summary go to stdout, the
 * work dir is made in $TMPDIR and kept when a step failed; the results are
 * left in sc->steps (failure, secs, skipped) and sc->setup_failure, for the
 * caller to free with the steps. */
void scenario_run(struct scenario *sc);
/* Frees what a loaded or run scenario owns (steps and their failures, the
 * executor environment, the setup failure, the work dir's name, the doc). */
void scenario_free(struct scenario *sc);
/* SIGINT and SIGTERM fail the running scenario (which then stops its
 * executor and helpers as usual) and every one after it: installed once for
 * a whole command on the default loop, until scenario_signals_close (then
 * run the loop, so the handles finish closing). */
void scenario_signals_install(void);
/* The first of those signals received, or 0. */
int scenario_signal_received(void);
void scenario_signals_close(void);

/* Ends the current step: passed with fmt NULL, failed otherwise (which
 * ends the scenario). */
void scenario_step_done(struct scenario *sc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Whether the current step's timeout has passed. */
bool scenario_timed_out(const struct step *st);
/* Runs the current step again in ms. */
void scenario_schedule(struct scenario *sc, uint64_t ms);

/* ---- setup.c */

/* Starts the helpers, the agent and the task a file asks for: 0, or -1 with err. */
int scenario_setup(struct scenario *sc, char *err, size_t errlen);
/* Applies the file's "agent" object to cfg (and the executor environment
 * in sc->env): 0, or -1 with err naming the setting. */
int scenario_agent_settings(struct scenario *sc, struct fa_config *cfg, char *err, size_t errlen);

/* ---- expect.c and probe.c: expectations */

/* Runs an expect-* step on updates, calls, the executor's exit, its
 * processes or its log once; false if st is not one of those kinds. */
bool scenario_expect(struct scenario *sc, struct step *st);
/* Starts the request of an expect-consul-service or expect-vaas-backend step. */
void scenario_probe(struct scenario *sc, struct step *st);

/* ---- watch.c: what the agent and the executor say */

/* The agent's observer: records calls, writes the timeline, wakes the step. */
void scenario_observe(void *data, const struct fa_note *n);
/* execlog's callback: the executor's log lines the timeline shows. */
void scenario_log_line(void *data, const struct execlog_line *l);
/* Reads new lines of the executor's log (a uv timer callback). */
void scenario_log_timer(uv_timer_t *t);

#endif
