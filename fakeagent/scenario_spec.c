/* Reading a scenario file's steps: the kinds and fields each step may
 * have (checked when the file is loaded, so a typo fails before anything
 * starts), the step's name in reports, and its fields read at run time
 * with $PLACEHOLDERS replaced by the task's values. */
#include "scenario.h"
#include "scenario_steps.h"

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

static const char *const step_kinds[] = {"expect-update",
                                         "expect-call",
                                         "expect-no-call",
                                         "expect-executor-log",
                                         "expect-no-update",
                                         "expect-executor-exit",
                                         "expect-process-gone",
                                         "expect-consul-service",
                                         "expect-vaas-backend",
                                         "kill",
                                         "shutdown",
                                         "restart-agent",
                                         "message",
                                         "wait",
                                         NULL};

int scenario_parse_steps(struct scenario *sc, char *err, size_t errlen)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(sc->doc, "steps");
	if (!cJSON_IsArray(steps) || !cJSON_GetArraySize(steps)) {
		snprintf(err, errlen, "%s: steps: expected a non-empty array", sc->file);
		return -1;
	}
	sc->n = (size_t)cJSON_GetArraySize(steps);
	sc->steps = calloc(sc->n, sizeof(*sc->steps));
	size_t i = 0;
	const cJSON *s;
	cJSON_ArrayForEach (s, steps) {
		struct step *st = &sc->steps[i];
		st->spec = s;
		st->kind = scenario_str(s, "step");
		bool known = false;
		for (const char *const *k = step_kinds; st->kind && *k; k++)
			known |= !strcmp(*k, st->kind);
		known |= steps_known(st->kind);
		if (!cJSON_IsObject(s) || !known) {
			char names[1024];
			size_t o = 0;
			for (const char *const *k = step_kinds; *k; k++)
				o += (size_t)snprintf(names + o, sizeof(names) - o, "%s, ", *k);
			snprintf(err, errlen, "%s: steps[%zu].step: expected one of %s%s", sc->file,
			         i, names, steps_names());
			return -1;
		}
		char why[512];
		if (steps_known(st->kind) && steps_validate(st->kind, s, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: steps[%zu].%s", sc->file, i, why);
			return -1;
		}
		const char *counts[] = {"unacknowledged_updates", "unacknowledged_tasks"};
		for (size_t c = 0; c < 2; c++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, counts[c]);
			if (v && !(cJSON_IsNumber(v) && v->valuedouble >= 0)) {
				snprintf(err, errlen, "%s: steps[%zu].%s: expected a count",
				         sc->file, i, counts[c]);
				return -1;
			}
		}
		if ((!strcmp(st->kind, "expect-update") || !strcmp(st->kind, "expect-no-update")) &&
		    !scenario_str(s, "state")) {
			snprintf(err, errlen, "%s: steps[%zu].state: required for %s", sc->file, i,
			         st->kind);
			return -1;
		}
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(s, "message"), *part;
		bool msg_ok = !msg || cJSON_IsString(msg) || cJSON_IsArray(msg);
		const cJSON *msgs = cJSON_IsArray(msg) ? msg : NULL;
		cJSON_ArrayForEach (part, msgs)
			msg_ok &= cJSON_IsString(part);
		if (!msg_ok) {
			snprintf(err, errlen,
			         "%s: steps[%zu].message: expected a string or an array of strings",
			         sc->file, i);
			return -1;
		}
		const char *need =
		    !strcmp(st->kind, "expect-call") || !strcmp(st->kind, "expect-no-call") ? "call"
		    : !strcmp(st->kind, "expect-executor-log") ? "message"
		                                               : NULL;
		if (need && !scenario_str(s, need)) {
			snprintf(err, errlen, "%s: steps[%zu].%s: required for %s (a string)",
			         sc->file, i, need, st->kind);
			return -1;
		}
		const char *flags[] = {"acknowledged", "before_exit"};
		for (size_t f = 0; f < 2; f++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, flags[f]);
			if (v && !cJSON_IsBool(v)) {
				snprintf(err, errlen, "%s: steps[%zu].%s: expected true or false",
				         sc->file, i, flags[f]);
				return -1;
			}
		}
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "before_exit")) &&
		    !scenario_str(s, "cmdline")) {
			snprintf(err, errlen,
			         "%s: steps[%zu].before_exit: needs a cmdline (the executor itself "
			         "is still alive)",
			         sc->file, i);
			return -1;
		}
		const cJSON *show = cJSON_GetObjectItemCaseSensitive(s, "show");
		const cJSON *cs = cJSON_GetObjectItemCaseSensitive(s, "check_status");
		if ((show && !cJSON_IsBool(show)) || (cs && !cJSON_IsString(cs))) {
			snprintf(err, errlen, "%s: steps[%zu].%s: expected %s", sc->file, i,
			         show && !cJSON_IsBool(show) ? "show" : "check_status",
			         show && !cJSON_IsBool(show) ? "true or false"
			                                     : "a string (\"passing\")");
			return -1;
		}
		const cJSON *to = cJSON_GetObjectItemCaseSensitive(s, "timeout");
		st->timeout = scenario_step_duration(st, "timeout", DEFAULT_STEP_TIMEOUT);
		if (to && st->timeout == DEFAULT_STEP_TIMEOUT && !cJSON_IsNumber(to) &&
		    (!cJSON_IsString(to) || duration_parse(to->valuestring, &st->timeout) < 0)) {
			snprintf(err, errlen, "%s: steps[%zu].timeout: expected a duration",
			         sc->file, i);
			return -1;
		}
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
