/* Scenario steps beyond the core ones of engine.c and expect.c (format in
 * docs/scenarios.md):
 *
 *   drop-stream, stop-agent, inject-raw, inject-event
 *       faults of the agent's connection to the executor (agent/faults.h)
 *   fake, stop-service
 *       faults of the helper servers: a request to fakeconsul's or
 *       fakevaas's /_fake/ control API, or the server stopped
 *   expect-file, expect-executor-log-absent
 *       what the task and the executor wrote in the sandbox
 *   signal-executor
 *       a signal to the executor's process (an operator or a runtime)
 *
 * spec.c validates them with steps_validate when it loads a file,
 * engine.c runs them with steps_run whenever the step is due; a step
 * answers with a verdict and engine.c does the reporting, timing and
 * scheduling. */
#ifndef FAKEAGENT_SCENARIO_STEPS_H
#define FAKEAGENT_SCENARIO_STEPS_H

#include "fakeagent/agent/agent.h"
#include "sidecar.h"

#include "common/httpc.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum steps_verdict {
	STEPS_PASS,
	STEPS_FAIL,  /* why is in err */
	STEPS_AGAIN, /* not decided yet: run it again shortly (until it times out) */
	STEPS_HTTP,  /* a request is in flight (*req); its on_done gets a verdict
	              * from steps_http_verdict */
};

/* What a step may use; everything is borrowed. */
struct steps_ctx {
	const cJSON *spec; /* the step's object in the scenario file */
	struct fa_agent *agent;
	const char *task_id, *executor_id;
	const char *sandbox; /* the executor's sandbox directory */
	bool executor_gone;  /* the agent has seen the executor terminate */
	struct sidecar *consul, *vaas;
	struct httpc *http;
	double elapsed; /* seconds since the step began */
	bool timed_out; /* its timeout has passed */
	/* Replaces placeholders ($TASK_ID, $PORT0, ...) in a step's string. */
	void (*subst)(void *data, const char *in, char *out, size_t len);
	httpc_done_cb on_http_done; /* for the request of a STEPS_HTTP verdict */
	void *data;                 /* for subst and on_http_done */
};

/* Whether `kind` is one of the steps above. */
bool steps_known(const char *kind);
/* The fields a step of `kind` may have besides "step", "title" and
 * "timeout", as space-separated "name:type" ("path!:str": '!' marks a
 * required field), or NULL when `kind` is not one of the steps above. Types:
 * str, strs (a string or an array of strings), bool, dur (a duration:
 * seconds, or "5secs", "5s"), obj (an object), any. */
const char *steps_fields(const char *kind);
/* The step kinds above, for error messages ("drop-stream, stop-agent, ..."). */
const char *steps_names(void);
/* Checks a step object against its fields (steps_fields' notation, for
 * any step kind; the step engine's own kinds also use num (a number, or a
 * string that is one after substitution), count (a number >= 0), list (an
 * array of strings), state, reason, source (Mesos enum names), call
 * (SUBSCRIBE, UPDATE, MESSAGE, HEARTBEAT) and enc (json, protobuf)): every
 * member is "step", "title", "timeout" or one of them with the right type,
 * and the required ones are there. 0, or -1 with err naming the field
 * ("stat: unknown field (...)"). */
int steps_check_fields(const char *fields, const cJSON *spec, char *err, size_t errlen);
/* Checks what the types cannot say of a step of the kinds above, once
 * steps_check_fields passed (a path that must start with '/', exactly one
 * of data and hex...): 0, or -1 with err naming the field. */
int steps_validate(const char *kind, const cJSON *spec, char *err, size_t errlen);
/* A duration field of a step: seconds as a number, or a Mesos or Go
 * duration string ("5secs", "1.5s"); def when absent or unreadable. */
int64_t steps_duration(const cJSON *spec, const char *key, int64_t def);
/* Runs the step once. */
enum steps_verdict steps_run(const char *kind, const struct steps_ctx *c, struct httpc_req **req,
                             char *err, size_t errlen);
/* The verdict on the answer to a step's request (STEPS_PASS or STEPS_FAIL). */
enum steps_verdict steps_http_verdict(const struct steps_ctx *c, const struct httpc_result *res,
                                      char *err, size_t errlen);

#endif
