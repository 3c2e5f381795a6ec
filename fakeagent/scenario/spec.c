/* Reading a scenario file's steps: the kinds and fields each step may
 * have (checked when the file is loaded, so a typo fails before anything
 * starts), the step's name in reports, and its fields read at run time
 * with $PLACEHOLDERS replaced by the task's values. */
#include "scenario.h"
#include "steps.h"

#include "common/duration.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double scenario_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *scenario_str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ------------------------------------------------------------ placeholders */

static const char *env_lookup(struct scenario *sc, const char *name)
{
	struct fa_task *t = sc->agent ? fa_agent_task(sc->agent, sc->task_id) : NULL;
	if (!t)
		return NULL;
	if (!strcmp(name, "TASK_ID"))
		return fa_task_id(t);
	if (!strcmp(name, "EXECUTOR_ID"))
		return fa_executor_id(fa_task_executor(t));
	if (!strcmp(name, "HOST"))
		return fa_agent_hostname(sc->agent);
	if (!strcmp(name, "AGENT_ID"))
		return fa_agent_id(sc->agent);
	size_t nl = strlen(name);
	for (char *const *e = fa_executor_env(fa_task_executor(t)); e && *e; e++)
		if (!strncmp(*e, name, nl) && (*e)[nl] == '=')
			return *e + nl + 1;
	const Mesos__V1__TaskInfo *ti = fa_task_info(t);
	if (ti->command && ti->command->environment)
		for (size_t i = 0; i < ti->command->environment->n_variables; i++) {
			const Mesos__V1__Environment__Variable *v =
			    ti->command->environment->variables[i];
			if (!strcmp(v->name, name) && v->value)
				return v->value;
		}
	return NULL;
}

void scenario_subst(struct scenario *sc, const char *in, char *out, size_t len)
{
	size_t o = 0;
	while (*in && o + 1 < len) {
		if (*in == '$' &&
		    (isupper((unsigned char)in[1]) || isdigit((unsigned char)in[1]))) {
			char name[128];
			size_t n = 0;
			const char *p = in + 1;
			while ((isupper((unsigned char)*p) || isdigit((unsigned char)*p) ||
			        *p == '_') &&
			       n + 1 < sizeof(name))
				name[n++] = *p++;
			name[n] = '\0';
			const char *v = env_lookup(sc, name);
			if (v) {
				o += (size_t)snprintf(out + o, len - o, "%s", v);
				if (o >= len)
					o = len - 1;
				in = p;
				continue;
			}
		}
		out[o++] = *in++;
	}
	out[o] = '\0';
}

const char *scenario_step_str(struct scenario *sc, const struct step *st, const char *key,
                              char *buf, size_t len)
{
	const char *v = scenario_str(st->spec, key);
	if (!v)
		return NULL;
	scenario_subst(sc, v, buf, len);
	return buf;
}

/* A number, or a string that is one after substitution ("$PORT0"); -1 absent. */
long scenario_step_num(struct scenario *sc, const struct step *st, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(st->spec, key);
	if (cJSON_IsNumber(v)) /* beyond long: no number this step can use */
		return fabs(v->valuedouble) < 9e18 ? (long)v->valuedouble : -1;
	char buf[64];
	if (cJSON_IsString(v)) {
		scenario_subst(sc, v->valuestring, buf, sizeof(buf));
		return strtol(buf, NULL, 10);
	}
	return -1;
}

int64_t scenario_step_duration(const struct step *st, const char *key, int64_t def)
{
	return steps_duration(st->spec, key, def);
}

/* ------------------------------------------------------------ steps */

/* The step engine's own steps and their fields besides step, title and
 * timeout (notation of steps_check_fields); steps.c has more. */
static const struct {
	const char *kind, *fields;
} core_kinds[] = {
    {"expect-update", "state!:state healthy:bool reason:reason source:source message:strs "
                      "ignored:bool acknowledged:bool"},
    {"expect-call", "call!:call encoding:enc unacknowledged_updates:count "
                    "unacknowledged_tasks:count"},
    {"expect-no-call", "call!:call encoding:enc unacknowledged_updates:count "
                       "unacknowledged_tasks:count for:dur"},
    {"expect-executor-log", "message!:str"},
    {"expect-no-update", "state!:state healthy:bool reason:reason source:source message:strs "
                         "ignored:bool for:dur after_match:bool"},
    {"expect-executor-exit", "status:num"},
    {"expect-process-gone", "cmdline:str before_exit:bool"},
    {"expect-consul-service",
     "id:str name:str address:str port:num tags:list absent:bool check_status:str show:bool"},
    {"expect-vaas-backend", "director!:str address:str port:num absent:bool show:bool"},
    {"kill", "grace:dur"},
    {"shutdown", ""},
    {"restart-agent", "downtime:dur"},
    {"message", "data:str"},
    {"wait", "duration:dur"},
};

static const char *kind_fields(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(core_kinds) / sizeof(core_kinds[0]); i++)
		if (!strcmp(core_kinds[i].kind, kind))
			return core_kinds[i].fields;
	return steps_fields(kind);
}

/* Reads sc->doc's "steps" into sc->steps: 0, or -1 with err naming the
 * step and the field. */
static int parse_steps(struct scenario *sc, char *err, size_t errlen)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(sc->doc, "steps");
	if (!cJSON_IsArray(steps) || !cJSON_GetArraySize(steps)) {
		snprintf(err, errlen, "%s: steps: expected a non-empty array", sc->file);
		return -1;
	}
	sc->n = (size_t)cJSON_GetArraySize(steps);
	sc->steps = calloc(sc->n, sizeof(*sc->steps));
	if (!sc->steps) {
		sc->n = 0;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t i = 0;
	const cJSON *s;
	cJSON_ArrayForEach (s, steps) {
		struct step *st = &sc->steps[i];
		st->spec = s;
		st->kind = scenario_str(s, "step");
		const char *fields = cJSON_IsObject(s) ? kind_fields(st->kind) : NULL;
		if (!fields) {
			char names[1024];
			size_t o = 0;
			for (size_t k = 0; k < sizeof(core_kinds) / sizeof(core_kinds[0]); k++)
				o += (size_t)snprintf(names + o, sizeof(names) - o, "%s, ",
				                      core_kinds[k].kind);
			snprintf(err, errlen, "%s: steps[%zu].step: expected one of %s%s", sc->file,
			         i, names, steps_names());
			return -1;
		}
		char why[2600];
		if (steps_check_fields(fields, s, why, sizeof(why)) < 0 ||
		    (steps_known(st->kind) && steps_validate(st->kind, s, why, sizeof(why)) < 0)) {
			snprintf(err, errlen, "%s: steps[%zu] (%s).%s", sc->file, i, st->kind, why);
			return -1;
		}
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "before_exit")) &&
		    !scenario_str(s, "cmdline")) {
			snprintf(err, errlen,
			         "%s: steps[%zu] (%s).before_exit: needs a cmdline (the executor "
			         "itself is still alive)",
			         sc->file, i, st->kind);
			return -1;
		}
		st->timeout = scenario_step_duration(st, "timeout", DEFAULT_STEP_TIMEOUT);
		const char *title = scenario_str(s, "title");
		const char *detail = scenario_str(s, "state");
		const char *more[] = {"name",    "id",   "director", "cmdline", "call",
		                      "message", "data", "path",     "service"};
		for (size_t m = 0; !detail && m < sizeof(more) / sizeof(more[0]); m++)
			detail = scenario_str(s, more[m]);
		const cJSON *healthy = cJSON_GetObjectItemCaseSensitive(s, "healthy");
		bool absent = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "absent"));
		if (title)
			snprintf(st->name, sizeof(st->name), "%02zu %s", i + 1, title);
		else
			snprintf(st->name, sizeof(st->name), "%02zu %s%s%.100s%s%s", i + 1,
			         st->kind, detail ? " " : "", detail ? detail : "",
			         !cJSON_IsBool(healthy)  ? ""
			         : cJSON_IsTrue(healthy) ? " healthy=true"
			                                 : " healthy=false",
			         absent ? " absent" : "");
		i++;
	}
	return 0;
}

/* ------------------------------------------------------------ the file */

/* The keys a scenario file may have (docs/scenarios.md). */
static const char *const file_keys[] = {"name",    "app",      "task",         "services", "agent",
                                        "timeout", "timeline", "executor_log", "steps"};

static int load_fail(char *err, size_t errlen, const char *file, const char *key, const char *what)
{
	snprintf(err, errlen, "%s: %s: %s", file, key, what);
	return -1;
}

int scenario_load(struct scenario *sc, char *err, size_t errlen)
{
	const cJSON *v;
	const char *f = sc->file;
	if (!cJSON_IsObject(sc->doc)) {
		snprintf(err, errlen, "%s: expected a JSON object", f);
		return -1;
	}
	cJSON_ArrayForEach (v, sc->doc) {
		bool known = false;
		for (size_t i = 0; i < sizeof(file_keys) / sizeof(file_keys[0]); i++)
			known |= !strcmp(v->string, file_keys[i]);
		if (!known)
			return load_fail(err, errlen, f, v->string,
			                 "unknown key (the keys: name, app, task, services, agent, "
			                 "timeout, timeline, executor_log, steps)");
	}
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(sc->doc, "name");
	if (name && !cJSON_IsString(name))
		return load_fail(err, errlen, f, "name", "expected a string");
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(sc->doc, "task");
	const cJSON *app = cJSON_GetObjectItemCaseSensitive(sc->doc, "app");
	if (!task == !app) {
		snprintf(err, errlen, "%s: give exactly one of \"task\" and \"app\"", f);
		return -1;
	}
	const cJSON *ref = task ? task : app;
	if (!cJSON_IsString(ref) && !cJSON_IsObject(ref))
		return load_fail(err, errlen, f, ref->string, "expected a file name or an object");
	sc->total_timeout = steps_duration(sc->doc, "timeout", DEFAULT_TOTAL_TIMEOUT);
	if (sc->total_timeout < 0)
		return load_fail(err, errlen, f, "timeout", "expected a duration (\"5mins\")");
	const cJSON *tlk = cJSON_GetObjectItemCaseSensitive(sc->doc, "timeline");
	if (tlk && !(cJSON_IsString(tlk) &&
	             (!strcmp(tlk->valuestring, "brief") || !strcmp(tlk->valuestring, "full"))))
		return load_fail(err, errlen, f, "timeline", "expected \"brief\" or \"full\"");
	sc->brief = tlk && !strcmp(tlk->valuestring, "brief");
	const cJSON *xl = cJSON_GetObjectItemCaseSensitive(sc->doc, "executor_log"), *part;
	bool xl_ok = !xl || cJSON_IsBool(xl) || cJSON_IsArray(xl);
	const cJSON *parts = cJSON_IsArray(xl) ? xl : NULL;
	cJSON_ArrayForEach (part, parts)
		xl_ok &= cJSON_IsString(part);
	if (!xl_ok)
		return load_fail(err, errlen, f, "executor_log",
		                 "expected true, false or an array of strings (parts of the "
		                 "messages to show)");
	sc->xlog_show = xl;
	const cJSON *services = cJSON_GetObjectItemCaseSensitive(sc->doc, "services");
	if (services && !cJSON_IsArray(services))
		return load_fail(err, errlen, f, "services",
		                 "expected an array: [\"consul\"], [\"vaas\"] or both");
	cJSON_ArrayForEach (v, services) {
		if (cJSON_IsString(v) && !strcmp(v->valuestring, "consul"))
			sc->want_consul = true;
		else if (cJSON_IsString(v) && !strcmp(v->valuestring, "vaas"))
			sc->want_vaas = true;
		else
			return load_fail(err, errlen, f, "services",
			                 "expected \"consul\" and/or \"vaas\"");
	}
	fa_config_defaults(&sc->cfg);
	if (scenario_agent_settings(sc, &sc->cfg, err, errlen) < 0)
		return -1;
	return parse_steps(sc, err, errlen);
}
