/* The conformance cases (see conformance.h): each cases/<name>.json is read
 * and checked once, then made into a scenario document per run. A case file:
 *
 *   title   what a conforming executor does (the table's "expected")
 *   forms   ["command", "marathon"]: the task forms it applies to (default both)
 *   needs   programs the task runs that must be on PATH (["python3"])
 *   agent   scenario agent settings; "checkpoint" and "capabilities" are
 *           required, so no case depends on fakeagent's defaults
 *   task    command (a shell command) or exec ({value, arguments}: shell
 *           false), environment ({"K": "V"}), kill_grace,
 *           max_completion_time, health_check (a Mesos HealthCheck)
 *   steps   scenario steps; a step's "by_encoding": {"protobuf": {...},
 *           "json": {...}} adds the members for the run's encoding
 *
 * Strings may hold @ENCODING@ (protobuf, json) and @PORT@ (a free port on
 * 127.0.0.1, also the task's ports resource; "@PORT@" alone becomes a
 * number). */
#include "conformance.h"

#include "common/duration.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARATHON_PREFIX "chmod ug+rx './executor' && exec './executor' "

const char *cf_encoding_name(enum mesos_encoding enc)
{
	return enc == MESOS_JSON ? "json" : "protobuf";
}

bool cf_on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char dir[4096], file[4200];
	while (path && *path) {
		size_t n = strcspn(path, ":");
		snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
		snprintf(file, sizeof(file), "%s/%s", n ? dir : ".", prog);
		struct stat st;
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* ------------------------------------------------------------ checking */

static bool only_keys(const cJSON *obj, const char *const *keys, const char **bad)
{
	const cJSON *m;
	cJSON_ArrayForEach (m, obj) {
		bool known = false;
		for (const char *const *k = keys; *k && !known; k++)
			known = !strcmp(*k, m->string);
		if (!known) {
			*bad = m->string;
			return false;
		}
	}
	return true;
}

static bool strings(const cJSON *arr)
{
	const cJSON *s;
	if (!cJSON_IsArray(arr))
		return false;
	cJSON_ArrayForEach (s, arr)
		if (!cJSON_IsString(s))
			return false;
	return true;
}

static bool duration_ok(const cJSON *v)
{
	int64_t ns;
	return !v || (cJSON_IsString(v) && duration_parse(v->valuestring, &ns) == 0);
}

/* Checks what the scenario engine does not: the case's own keys. */
static int check_case(struct cf_case *c, char *err, size_t errlen)
{
	static const char *const top[] = {"title", "forms", "needs", "agent",
	                                  "task",  "steps", NULL};
	static const char *const task_keys[] = {"command",    "exec",         "environment",
	                                        "kill_grace", "health_check", "max_completion_time",
	                                        NULL};
	const char *bad = NULL;
	const cJSON *d = c->doc, *v;
	if (!cJSON_IsObject(d))
		return snprintf(err, errlen, "case %s: expected a JSON object", c->name), -1;
	if (!only_keys(d, top, &bad))
		return snprintf(err, errlen, "case %s: unknown key '%s'", c->name, bad), -1;
	v = cJSON_GetObjectItemCaseSensitive(d, "title");
	if (!cJSON_IsString(v))
		return snprintf(err, errlen, "case %s: title: required, a string", c->name), -1;
	c->title = v->valuestring;
	v = cJSON_GetObjectItemCaseSensitive(d, "forms");
	c->form[CF_FORM_COMMAND] = c->form[CF_FORM_MARATHON] = !v;
	if (v && !strings(v))
		return snprintf(err, errlen, "case %s: forms: expected strings", c->name), -1;
	const cJSON *f;
	cJSON_ArrayForEach (f, v) {
		if (!strcmp(f->valuestring, "command"))
			c->form[CF_FORM_COMMAND] = true;
		else if (!strcmp(f->valuestring, "marathon"))
			c->form[CF_FORM_MARATHON] = true;
		else
			return snprintf(err, errlen, "case %s: forms: unknown '%s'", c->name,
			                f->valuestring),
			       -1;
	}
	v = cJSON_GetObjectItemCaseSensitive(d, "needs");
	if (v && !strings(v))
		return snprintf(err, errlen, "case %s: needs: expected strings", c->name), -1;
	c->needs = v;
	const cJSON *agent = cJSON_GetObjectItemCaseSensitive(d, "agent");
	if (!cJSON_IsObject(agent) ||
	    !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(agent, "checkpoint")) ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(agent, "capabilities")))
		return snprintf(
		           err, errlen,
		           "case %s: agent: required, with \"checkpoint\" and \"capabilities\" "
		           "stated",
		           c->name),
		       -1;
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(d, "task");
	if (!cJSON_IsObject(task) || !only_keys(task, task_keys, &bad))
		return snprintf(err, errlen, "case %s: task: %s%s", c->name,
		                bad ? "unknown key " : "required, an object", bad ? bad : ""),
		       -1;
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(task, "command");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(task, "exec");
	if (!!cmd == !!ex || (cmd && !cJSON_IsString(cmd)) ||
	    (ex && !(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ex, "value")) &&
	             strings(cJSON_GetObjectItemCaseSensitive(ex, "arguments")))))
		return snprintf(err, errlen,
		                "case %s: task: give \"command\" (a string) or \"exec\" ({value, "
		                "arguments})",
		                c->name),
		       -1;
	if (ex && c->form[CF_FORM_MARATHON])
		return snprintf(err, errlen,
		                "case %s: an exec command has no Marathon custom-executor form: "
		                "\"forms\": [\"command\"]",
		                c->name),
		       -1;
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(task, "environment"), *e;
	cJSON_ArrayForEach (e, env)
		if (!cJSON_IsString(e))
			return snprintf(err, errlen,
			                "case %s: task.environment.%s: expected a string", c->name,
			                e->string),
			       -1;
	if (!duration_ok(cJSON_GetObjectItemCaseSensitive(task, "kill_grace")) ||
	    !duration_ok(cJSON_GetObjectItemCaseSensitive(task, "max_completion_time")))
		return snprintf(err, errlen, "case %s: task: durations are strings (\"3secs\")",
		                c->name),
		       -1;
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(d, "steps")))
		return snprintf(err, errlen, "case %s: steps: required, an array", c->name), -1;
	return 0;
}

int cf_cases_load(struct cf_case **cases, size_t *n, char *err, size_t errlen)
{
	size_t count = 0;
	while (cf_embedded_cases[count].name)
		count++;
	struct cf_case *v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return snprintf(err, errlen, "out of memory"), -1;
	for (size_t i = 0; i < count; i++) {
		const struct cf_embedded *e = &cf_embedded_cases[i];
		v[i].name = e->name;
		v[i].doc = cJSON_ParseWithLength(e->json, e->len);
		if (!v[i].doc) {
			snprintf(err, errlen, "case %s: not valid JSON", e->name);
			cf_cases_free(v, i);
			return -1;
		}
		if (check_case(&v[i], err, errlen) < 0) {
			cf_cases_free(v, i + 1);
			return -1;
		}
	}
	*cases = v;
	*n = count;
	return 0;
}

void cf_cases_free(struct cf_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(cases[i].doc);
	free(cases);
}

/* ------------------------------------------------------------ placeholders */

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

struct subst {
	const char *encoding;
	int port; /* 0 until a @PORT@ asks for one */
	bool port_failed;
};

static char *replace_all(const char *s, const char *what, const char *with)
{
	size_t wl = strlen(what), nl = strlen(with), n = 0;
	for (const char *p = strstr(s, what); p; p = strstr(p + wl, what))
		n++;
	char *out = malloc(strlen(s) + n * nl + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p; (p = strstr(s, what)); s = p + wl) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, with, nl);
		o += nl;
	}
	strcpy(o, s);
	return out;
}

/* Replaces the placeholders in every string below j, in place. */
static void substitute(cJSON *j, struct subst *s)
{
	cJSON *m;
	if (cJSON_IsString(j)) {
		if (strstr(j->valuestring, "@PORT@") && !s->port) {
			s->port = free_port();
			s->port_failed = s->port < 0;
		}
		char port[16];
		snprintf(port, sizeof(port), "%d", s->port);
		char *a = replace_all(j->valuestring, "@ENCODING@", s->encoding);
		char *b = a ? replace_all(a, "@PORT@", port) : NULL;
		if (b)
			cJSON_SetValuestring(j, b);
		free(a);
		free(b);
		return;
	}
	cJSON *next;
	for (m = j->child; m; m = next) {
		next = m->next;
		if (cJSON_IsString(m) && !strcmp(m->valuestring, "@PORT@")) {
			if (!s->port) {
				s->port = free_port();
				s->port_failed = s->port < 0;
			}
			cJSON *num = cJSON_CreateNumber(s->port);
			if (cJSON_IsObject(j))
				cJSON_ReplaceItemInObjectCaseSensitive(j, m->string, num);
			else
				cJSON_ReplaceItemViaPointer(j, m, num);
		} else {
			substitute(m, s);
		}
	}
}

/* ------------------------------------------------------------ the scenario */

static cJSON *scalar(const char *name, double value)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "type", "SCALAR");
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(r, "scalar"), "value", value);
	return r;
}

static void add_duration(cJSON *to, const char *key, const cJSON *spec)
{
	int64_t ns;
	if (cJSON_IsString(spec) && duration_parse(spec->valuestring, &ns) == 0)
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(to, key), "nanoseconds",
		                        (double)ns);
}

/* The TaskInfo in JSON, the command where the form puts it. */
static cJSON *task_info(const struct cf_case *c, enum cf_form form, int port)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(c->doc, "task");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(spec, "command");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(spec, "exec");
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(spec, "environment"), *e;
	char id[300];
	snprintf(id, sizeof(id), "conformance-%s", c->name);

	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "name", id);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(t, "task_id"), "value", id);
	cJSON *res = cJSON_AddArrayToObject(t, "resources");
	cJSON_AddItemToArray(res, scalar("cpus", 0.1));
	cJSON_AddItemToArray(res, scalar("mem", 32));
	if (port > 0) {
		cJSON *r = cJSON_CreateObject(), *range = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "name", "ports");
		cJSON_AddStringToObject(r, "type", "RANGES");
		cJSON_AddNumberToObject(range, "begin", port);
		cJSON_AddNumberToObject(range, "end", port);
		cJSON_AddItemToArray(
		    cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "ranges"), "range"), range);
		cJSON_AddItemToArray(res, r);
	}

	cJSON *ci = cJSON_CreateObject();
	if (ex) {
		cJSON_AddBoolToObject(ci, "shell", false);
		cJSON_AddStringToObject(ci, "value",
		                        cJSON_GetObjectItemCaseSensitive(ex, "value")->valuestring);
		cJSON_AddItemToObject(
		    ci, "arguments",
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ex, "arguments"), true));
	} else {
		cJSON_AddBoolToObject(ci, "shell", true);
		char *v = malloc(strlen(MARATHON_PREFIX) + strlen(cmd->valuestring) + 1);
		if (v)
			sprintf(v, "%s%s", form == CF_FORM_MARATHON ? MARATHON_PREFIX : "",
			        cmd->valuestring);
		cJSON_AddStringToObject(ci, "value", v ? v : "");
		free(v);
	}
	if (env) {
		cJSON *vars =
		    cJSON_AddArrayToObject(cJSON_AddObjectToObject(ci, "environment"), "variables");
		cJSON_ArrayForEach (e, env) {
			cJSON *var = cJSON_CreateObject();
			cJSON_AddStringToObject(var, "name", e->string);
			cJSON_AddStringToObject(var, "value", e->valuestring);
			cJSON_AddItemToArray(vars, var);
		}
	}
	if (form == CF_FORM_MARATHON) {
		cJSON *exi = cJSON_AddObjectToObject(t, "executor");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(exi, "executor_id"), "value", id);
		cJSON_AddItemToObject(exi, "command", ci);
	} else {
		cJSON_AddItemToObject(t, "command", ci);
	}
	cJSON *kp = cJSON_CreateObject();
	add_duration(kp, "grace_period", cJSON_GetObjectItemCaseSensitive(spec, "kill_grace"));
	if (kp->child)
		cJSON_AddItemToObject(t, "kill_policy", kp);
	else
		cJSON_Delete(kp);
	add_duration(t, "max_completion_time",
	             cJSON_GetObjectItemCaseSensitive(spec, "max_completion_time"));
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(spec, "health_check");
	if (hc)
		cJSON_AddItemToObject(t, "health_check", cJSON_Duplicate(hc, true));
	return t;
}

static void set(cJSON *obj, const char *key, cJSON *value)
{
	if (cJSON_HasObjectItem(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
	else
		cJSON_AddItemToObject(obj, key, value);
}

static void scaled(cJSON *obj, const char *key, int64_t def, double scale)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	int64_t ns = def;
	char buf[64];
	if (cJSON_IsString(v))
		duration_parse(v->valuestring, &ns);
	duration_format_go((int64_t)((double)ns * scale), buf, sizeof(buf));
	set(obj, key, cJSON_CreateString(buf));
}

/* The agent settings: every one stated, the case's over these, then the
 * run's encoding and the executor's environment. */
static cJSON *agent_settings(const struct cf_case *c, enum mesos_encoding enc,
                             const struct cf_opts *o)
{
	cJSON *a = cJSON_Parse("{\"registration_timeout\": \"15secs\","
	                       " \"reregistration_timeout\": \"2secs\","
	                       " \"recovery_timeout\": \"15mins\", \"shutdown_grace\": \"5secs\","
	                       " \"heartbeat_interval\": \"30mins\", \"ack_delay\": \"0s\","
	                       " \"drop_acks\": 0, \"executor_auth\": false,"
	                       " \"domain_socket\": false}");
	const cJSON *m;
	cJSON_ArrayForEach (m, cJSON_GetObjectItemCaseSensitive(c->doc, "agent"))
		set(a, m->string, cJSON_Duplicate(m, true));
	scaled(a, "registration_timeout", 0, o->timeout_scale);
	set(a, "only_encoding", cJSON_CreateString(cf_encoding_name(enc)));
	cJSON *env = cJSON_CreateObject();
	for (int pass = 0; pass < 2; pass++) {
		const char *const *kv = pass ? o->json_env : o->env;
		size_t n = pass ? (enc == MESOS_JSON ? o->n_json_env : 0) : o->n_env;
		for (size_t i = 0; i < n; i++) {
			const char *eq = strchr(kv[i], '=');
			char key[256];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
			set(env, key, cJSON_CreateString(eq + 1));
		}
	}
	set(a, "executor_env", env);
	return a;
}

static cJSON *steps(const struct cf_case *c, enum mesos_encoding enc, double scale)
{
	cJSON *out = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c->doc, "steps"), true);
	cJSON *st;
	cJSON_ArrayForEach (st, out) {
		cJSON *by = cJSON_DetachItemFromObjectCaseSensitive(st, "by_encoding");
		const cJSON *m;
		cJSON_ArrayForEach (m, cJSON_GetObjectItemCaseSensitive(by, cf_encoding_name(enc)))
			set(st, m->string, cJSON_Duplicate(m, true));
		cJSON_Delete(by);
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(st, "step");
		bool expect = cJSON_IsString(kind) && !strncmp(kind->valuestring, "expect-", 7);
		if (scale != 1 && (expect || cJSON_HasObjectItem(st, "timeout")))
			scaled(st, "timeout", 30 * DURATION_NS_PER_SEC, scale);
	}
	return out;
}

cJSON *cf_case_scenario(const struct cf_case *c, enum mesos_encoding enc, const struct cf_opts *o,
                        char *err, size_t errlen)
{
	if (!c->form[o->form]) {
		snprintf(err, errlen, "case %s has no %s form", c->name,
		         o->form == CF_FORM_MARATHON ? "Marathon" : "command");
		return NULL;
	}
	char name[300];
	snprintf(name, sizeof(name), "%s (%s)", c->name, cf_encoding_name(enc));
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "name", name);
	cJSON_AddStringToObject(doc, "timeout", "5mins");
	cJSON_AddItemToObject(doc, "agent", agent_settings(c, enc, o));
	cJSON *spec = cJSON_Duplicate(c->doc, true);
	struct subst s = {.encoding = cf_encoding_name(enc)};
	substitute(spec, &s);
	if (s.port_failed) {
		snprintf(err, errlen, "case %s: no free port on 127.0.0.1", c->name);
		cJSON_Delete(spec);
		cJSON_Delete(doc);
		return NULL;
	}
	struct cf_case concrete = *c;
	concrete.doc = spec;
	cJSON_AddItemToObject(doc, "task", task_info(&concrete, o->form, s.port));
	cJSON_AddItemToObject(doc, "steps", steps(&concrete, enc, o->timeout_scale));
	cJSON_Delete(spec);
	return doc;
}
