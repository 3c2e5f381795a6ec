/* Scenario steps beyond the engine's core ones (see steps.h). */
#include "steps.h"

#include "fakeagent/agent/faults.h"

#include "common/duration.h"
#include "common/file.h"
#include "proto/recordio.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAX   (8u * 1024 * 1024) /* sandbox files read by expectations */
#define VAAS_AUTH  "Authorization: ApiKey admin:vagrant_api_key" /* fakevaas' seed user */
#define DEF_OUTAGE (5 * DURATION_NS_PER_SEC)

/* The steps of this file and their fields besides step, title and timeout,
 * in the notation of steps_fields (steps.h). */
static const struct {
	const char *kind, *fields;
} kinds[] = {
    {"drop-stream", ""},
    {"stop-agent", "downtime:dur"},
    {"inject-raw", "data:str hex:str frame:bool"},
    {"inject-event", "event!:obj"},
    {"fake", "service!:str path!:str method:str body:any contains:strs absent:strs fields:strs"},
    {"stop-service", "service!:str"},
    {"expect-file", "path!:str contains:strs absent:strs exists:bool"},
    {"expect-executor-log-absent", "text!:strs for:dur"},
    {"signal-executor", "signal:str"},
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

const char *steps_fields(const char *kind)
{
	for (size_t i = 0; kind && i < N_KINDS; i++)
		if (!strcmp(kinds[i].kind, kind))
			return kinds[i].fields;
	return NULL;
}

bool steps_known(const char *kind)
{
	return steps_fields(kind) != NULL;
}

const char *steps_names(void)
{
	static char names[512];
	if (!names[0])
		for (size_t i = 0, o = 0; i < N_KINDS && o < sizeof(names); i++)
			o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
			                      kinds[i].kind);
	return names;
}

static const char *sstr(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A string or an array of strings (NULL: absent, which is fine). */
static bool strings_ok(const cJSON *v)
{
	const cJSON *s;
	if (!v || cJSON_IsString(v))
		return true;
	if (!cJSON_IsArray(v))
		return false;
	cJSON_ArrayForEach (s, v)
		if (!cJSON_IsString(s))
			return false;
	return true;
}

static int hex_value(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* "08 63" -> {0x08, 0x63}; spaces are ignored. Returns the length or -1. */
static long parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		int hi = hex_value((unsigned char)s[0]),
		    lo = s[1] ? hex_value((unsigned char)s[1]) : -1;
		if (hi < 0 || lo < 0 || n == max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (long)n;
}

/* Absent, or a duration that is not negative. */
static bool duration_ok(const cJSON *v)
{
	int64_t ns;
	return !v || (cJSON_IsNumber(v) && v->valuedouble >= 0) ||
	       (cJSON_IsString(v) && duration_parse(v->valuestring, &ns) == 0 && ns >= 0);
}

int64_t steps_duration(const cJSON *spec, const char *key, int64_t def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
	int64_t ns;
	if (cJSON_IsNumber(v))
		return duration_from_secs(v->valuedouble);
	if (cJSON_IsString(v) && duration_parse(v->valuestring, &ns) == 0)
		return ns;
	return def;
}

/* ------------------------------------------------------------ validation */

static int fail(char *err, size_t errlen, const char *fmt, const char *field)
{
	snprintf(err, errlen, fmt, field);
	return -1;
}

static int validate_service(const cJSON *spec, char *err, size_t errlen)
{
	const char *s = sstr(spec, "service");
	if (!s || (strcmp(s, "consul") && strcmp(s, "vaas")))
		return fail(err, errlen, "%s: expected \"consul\" or \"vaas\"", "service");
	return 0;
}

/* The signals a scenario may send the executor (what operators and
 * container runtimes send). */
static int signal_number(const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
	    {"SIGTERM", SIGTERM}, {"SIGINT", SIGINT}, {"SIGHUP", SIGHUP}, {"SIGKILL", SIGKILL}};
	for (size_t i = 0; name && i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcmp(name, sigs[i].name))
			return sigs[i].sig;
	return -1;
}

/* ------------------------------------------------------------ field types */

/* An enum value name of a Mesos message, or false. */
static bool enum_name_ok(const ProtobufCEnumDescriptor *d, const char *name)
{
	return protobuf_c_enum_descriptor_get_value_by_name(d, name) != NULL;
}

/* The names of an enum's values, for an error message. */
static void enum_names(const ProtobufCEnumDescriptor *d, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < d->n_values && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", d->values[i].name);
}

/* Whether v has the type `type` (steps_fields' notation, plus the step
 * engine's own: num, count, state, reason, source, call, enc, list); when
 * not, what was expected goes in want. */
static bool type_ok(const char *type, const cJSON *v, char *want, size_t len)
{
	static const char *const calls[] = {"SUBSCRIBE", "UPDATE", "MESSAGE", "HEARTBEAT"};
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
	if (!strcmp(type, "str"))
		return s || (snprintf(want, len, "a string"), false);
	if (!strcmp(type, "strs"))
		return strings_ok(v) ||
		       (snprintf(want, len, "a string or an array of strings"), false);
	if (!strcmp(type, "list"))
		return (cJSON_IsArray(v) && strings_ok(v)) ||
		       (snprintf(want, len, "an array of strings"), false);
	if (!strcmp(type, "bool"))
		return cJSON_IsBool(v) || (snprintf(want, len, "true or false"), false);
	if (!strcmp(type, "dur"))
		return duration_ok(v) ||
		       (snprintf(want, len, "a duration (\"5secs\", \"5s\")"), false);
	if (!strcmp(type, "obj"))
		return cJSON_IsObject(v) || (snprintf(want, len, "an object"), false);
	if (!strcmp(type, "num"))
		return cJSON_IsNumber(v) || s ||
		       (snprintf(want, len, "a number or a string (\"$PORT0\")"), false);
	if (!strcmp(type, "count"))
		return (cJSON_IsNumber(v) && v->valuedouble >= 0) ||
		       (snprintf(want, len, "a count"), false);
	if (!strcmp(type, "enc"))
		return (s && (!strcmp(s, "json") || !strcmp(s, "protobuf"))) ||
		       (snprintf(want, len, "\"json\" or \"protobuf\""), false);
	if (!strcmp(type, "call")) {
		for (size_t i = 0; s && i < sizeof(calls) / sizeof(calls[0]); i++)
			if (!strcmp(s, calls[i]))
				return true;
		snprintf(want, len, "one of SUBSCRIBE, UPDATE, MESSAGE, HEARTBEAT");
		return false;
	}
	const ProtobufCEnumDescriptor *d =
	    !strcmp(type, "state")    ? &mesos__v1__task_state__descriptor
	    : !strcmp(type, "reason") ? &mesos__v1__task_status__reason__descriptor
	    : !strcmp(type, "source") ? &mesos__v1__task_status__source__descriptor
	                              : NULL;
	if (d) {
		if (s && enum_name_ok(d, s))
			return true;
		char names[2048];
		enum_names(d, names, sizeof(names));
		snprintf(want, len, "one of %s", names);
		return false;
	}
	return true; /* any */
}

/* "a:str b!:dur" -> "a, b" */
static void field_names(const char *fields, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (const char *p = fields; *p && o < len;) {
		size_t n = strcspn(p, " ");
		o += (size_t)snprintf(buf + o, len - o, "%s%.*s", o ? ", " : "",
		                      (int)strcspn(p, "!:"), p);
		p += n + (p[n] == ' ');
	}
}

int steps_check_fields(const char *fields, const cJSON *spec, char *err, size_t errlen)
{
	const cJSON *v;
	char name[64], type[16], want[2100];
	/* every member is a known field of the right type */
	cJSON_ArrayForEach (v, spec) {
		const char *k = v->string;
		if (!strcmp(k, "step"))
			continue;
		const char *t = !strcmp(k, "title") ? "str" : !strcmp(k, "timeout") ? "dur" : NULL;
		for (const char *p = fields; !t && *p;) {
			size_t n = strcspn(p, " "), nl = strcspn(p, "!:");
			const char *colon = memchr(p, ':', n);
			if (colon && nl == strlen(k) && !strncmp(p, k, nl)) {
				snprintf(type, sizeof(type), "%.*s",
				         (int)(n - (size_t)(colon + 1 - p)), colon + 1);
				t = type;
			}
			p += n + (p[n] == ' ');
		}
		if (!t) {
			char names[512];
			field_names(fields, names, sizeof(names));
			snprintf(err, errlen,
			         "%s: unknown field (the fields of this step: %s%stitle, timeout)",
			         k, names, names[0] ? ", " : "");
			return -1;
		}
		if (!type_ok(t, v, want, sizeof(want))) {
			char *got = cJSON_PrintUnformatted(v);
			snprintf(err, errlen, "%s: %.200s: expected %s", k, got ? got : "?", want);
			free(got);
			return -1;
		}
	}
	/* the required ones are there */
	for (const char *p = fields; *p;) {
		size_t n = strcspn(p, " "), nl = strcspn(p, "!:");
		snprintf(name, sizeof(name), "%.*s", (int)nl, p);
		if (p[nl] == '!' && !cJSON_GetObjectItemCaseSensitive(spec, name)) {
			snprintf(err, errlen, "%s: required", name);
			return -1;
		}
		p += n + (p[n] == ' ');
	}
	return 0;
}

/* ------------------------------------------------------------ validation */

int steps_validate(const char *kind, const cJSON *spec, char *err, size_t errlen)
{
	if (!strcmp(kind, "inject-raw")) {
		const char *data = sstr(spec, "data"), *hex = sstr(spec, "hex");
		uint8_t buf[4096];
		if (!data == !hex)
			return fail(err, errlen,
			            "%s: give exactly one of \"data\" (text) and \"hex\"", "data");
		if (hex && parse_hex(hex, buf, sizeof(buf)) < 0)
			return fail(err, errlen,
			            "%s: expected pairs of hex digits (at most 4096 bytes)", "hex");
	} else if (!strcmp(kind, "fake")) {
		if (validate_service(spec, err, errlen) < 0)
			return -1;
		const char *path = sstr(spec, "path");
		if (!path || path[0] != '/')
			return fail(err, errlen,
			            "%s: required: a path starting with '/' (\"/_fake/fail\")",
			            "path");
	} else if (!strcmp(kind, "stop-service")) {
		return validate_service(spec, err, errlen);
	} else if (!strcmp(kind, "expect-file")) {
		const char *path = sstr(spec, "path");
		if (!path || !path[0] || path[0] == '/')
			return fail(err, errlen, "%s: required: a path relative to the sandbox",
			            "path");
	} else if (!strcmp(kind, "signal-executor")) {
		const cJSON *sig = cJSON_GetObjectItemCaseSensitive(spec, "signal");
		if (sig && signal_number(sstr(spec, "signal")) <= 0)
			return fail(err, errlen, "%s: expected SIGTERM, SIGINT, SIGHUP or SIGKILL",
			            "signal");
	}
	return 0;
}

/* ------------------------------------------------------------ sandbox files */

/* The file's first FILE_MAX bytes (NUL-terminated; NULs inside become
 * spaces), or NULL with errno set. Caller frees. */
static char *read_file(const char *path)
{
	char err[512];
	size_t n = 0;
	char *buf = file_read_max(path, FILE_MAX, &n, err, sizeof(err));
	for (size_t i = 0; buf && i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	return buf;
}

/* Calls fn for every string of a string-or-array field, after placeholder
 * substitution; stops at the first that returns false. */
static bool each_string(const struct steps_ctx *c, const char *key,
                        bool (*fn)(const char *s, void *data), void *data)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->spec, key), *s;
	char buf[1024];
	if (cJSON_IsString(v)) {
		c->subst(c->data, v->valuestring, buf, sizeof(buf));
		return fn(buf, data);
	}
	cJSON_ArrayForEach (s, v) {
		c->subst(c->data, s->valuestring, buf, sizeof(buf));
		if (!fn(buf, data))
			return false;
	}
	return true;
}

struct search {
	const char *text;
	const char *missing; /* the first string not found (points into a copy) */
	const char *found;   /* the first string found */
	char which[1024];
};

static bool want_present(const char *s, void *data)
{
	struct search *q = data;
	if (strstr(q->text, s))
		return true;
	snprintf(q->which, sizeof(q->which), "%s", s);
	q->missing = q->which;
	return false;
}

static bool want_absent(const char *s, void *data)
{
	struct search *q = data;
	if (!strstr(q->text, s))
		return true;
	snprintf(q->which, sizeof(q->which), "%s", s);
	q->found = q->which;
	return false;
}

/* The line of text holding p, for a failure message. */
static void line_of(const char *text, const char *p, char *out, size_t len)
{
	const char *start = p;
	int line = 1;
	while (start > text && start[-1] != '\n')
		start--;
	for (const char *q = text; q < start; q++)
		line += *q == '\n';
	size_t n = strcspn(start, "\n");
	snprintf(out, len, "line %d: %.*s", line, (int)(n > 300 ? 300 : n), start);
}

static enum steps_verdict expect_file(const struct steps_ctx *c, char *err, size_t errlen)
{
	char rel[1024], path[4200];
	c->subst(c->data, sstr(c->spec, "path"), rel, sizeof(rel));
	snprintf(path, sizeof(path), "%s/%s", c->sandbox, rel);
	const cJSON *exists = cJSON_GetObjectItemCaseSensitive(c->spec, "exists");
	char *text = read_file(path);
	if (cJSON_IsFalse(exists)) {
		free(text);
		if (!text && errno == ENOENT)
			return STEPS_PASS;
		if (c->timed_out) {
			snprintf(err, errlen, "%s exists in the sandbox", rel);
			return STEPS_FAIL;
		}
		return STEPS_AGAIN;
	}
	if (!text) {
		if (!c->timed_out)
			return STEPS_AGAIN;
		snprintf(err, errlen, "the sandbox has no readable %s: %s", rel, strerror(errno));
		return STEPS_FAIL;
	}
	struct search q = {.text = text};
	if (!each_string(c, "absent", want_absent, &q)) {
		char line[400];
		line_of(text, strstr(text, q.found), line, sizeof(line));
		snprintf(err, errlen, "%s contains \"%s\" (%s)", rel, q.found, line);
		free(text);
		return STEPS_FAIL;
	}
	bool ok = each_string(c, "contains", want_present, &q);
	free(text);
	if (ok)
		return STEPS_PASS;
	if (!c->timed_out)
		return STEPS_AGAIN;
	snprintf(err, errlen, "%s does not contain \"%s\"", rel, q.missing);
	return STEPS_FAIL;
}

static enum steps_verdict expect_log_absent(const struct steps_ctx *c, char *err, size_t errlen)
{
	static const char *const files[] = {"stderr", "stdout"};
	for (size_t i = 0; i < 2; i++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", c->sandbox, files[i]);
		char *text = read_file(path);
		if (!text)
			continue; /* nothing written, nothing leaked */
		struct search q = {.text = text};
		if (!each_string(c, "text", want_absent, &q)) {
			char line[400];
			line_of(text, strstr(text, q.found), line, sizeof(line));
			snprintf(err, errlen, "the sandbox's %s has \"%s\" (%s)", files[i], q.found,
			         line);
			free(text);
			return STEPS_FAIL;
		}
		free(text);
	}
	int64_t span = steps_duration(c->spec, "for", 0);
	return c->elapsed >= (double)span / 1e9 ? STEPS_PASS : STEPS_AGAIN;
}

/* ------------------------------------------------------------ helper servers */

static struct sidecar *service(const struct steps_ctx *c, char *err, size_t errlen)
{
	const char *name = sstr(c->spec, "service");
	bool consul = !strcmp(name, "consul");
	struct sidecar *s = consul ? c->consul : c->vaas;
	if (!s->addr[0]) {
		snprintf(err, errlen, "the scenario did not ask for %s (\"services\": [\"%s\"])",
		         consul ? "fakeconsul" : "fakevaas", name);
		return NULL;
	}
	return s;
}

static enum steps_verdict fake_request(const struct steps_ctx *c, struct httpc_req **req, char *err,
                                       size_t errlen)
{
	struct sidecar *s = service(c, err, errlen);
	if (!s)
		return STEPS_FAIL;
	char path[1024], url[1200];
	c->subst(c->data, sstr(c->spec, "path"), path, sizeof(path));
	snprintf(url, sizeof(url), "http://%s%s", s->addr, path);
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(c->spec, "body");
	char *text = cJSON_IsString(body) ? strdup(body->valuestring)
	             : body               ? cJSON_PrintUnformatted(body)
	                                  : NULL;
	const char *method = sstr(c->spec, "method");
	const char *hdrs[] = {"Content-Type: application/json", s == c->vaas ? VAAS_AUTH : NULL,
	                      NULL};
	struct httpc_opts o = {.method = method ? method
	                                 : body ? "POST"
	                                        : "GET",
	                       .url = url,
	                       .headers = hdrs,
	                       .body = text,
	                       .body_len = text ? strlen(text) : 0,
	                       .timeout_ms = 10000,
	                       .on_done = c->on_http_done,
	                       .data = c->data};
	*req = httpc_start(c->http, &o);
	free(text);
	if (!*req) {
		snprintf(err, errlen, "cannot start a request to %s", url);
		return STEPS_FAIL;
	}
	return STEPS_HTTP;
}

/* A growing string. */
struct text {
	char *s; /* owned */
	size_t len, cap;
	bool oom;
};

/* Appends one field of an answer's element, as text, and a newline. */
static void add_field(const cJSON *el, const char *name, struct text *t)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(el, name);
	char *s = cJSON_IsString(v) ? strdup(v->valuestring) : v ? cJSON_PrintUnformatted(v) : NULL;
	size_t n = s ? strlen(s) : 0;
	if (v && !s)
		t->oom = true;
	if (s && t->len + n + 2 > t->cap) {
		size_t cap = (t->len + n + 2) * 2;
		char *ns = realloc(t->s, cap);
		if (ns) {
			t->s = ns;
			t->cap = cap;
		} else {
			t->oom = true;
		}
	}
	if (s && t->len + n + 2 <= t->cap) {
		memcpy(t->s + t->len, s, n);
		t->len += n;
		t->s[t->len++] = '\n';
		t->s[t->len] = '\0';
	}
	free(s);
}

/* The parts of the answer "contains" and "absent" look at: the whole body,
 * or with "fields", those fields of every element of a JSON array. NULL
 * when out of memory; caller frees. */
static char *searched_text(const struct steps_ctx *c, const char *body)
{
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(c->spec, "fields"), *f, *el;
	if (!fields)
		return strdup(body);
	struct text t = {.s = calloc(1, 1), .cap = 1};
	cJSON *doc = cJSON_Parse(body);
	const cJSON *names = cJSON_IsArray(fields) ? fields : NULL;
	t.oom = !t.s || (body[0] && !doc);
	cJSON_ArrayForEach (el, doc) {
		if (cJSON_IsString(fields))
			add_field(el, fields->valuestring, &t);
		cJSON_ArrayForEach (f, names)
			add_field(el, f->valuestring, &t);
	}
	cJSON_Delete(doc);
	if (t.oom) {
		free(t.s);
		return NULL;
	}
	return t.s;
}

enum steps_verdict steps_http_verdict(const struct steps_ctx *c, const struct httpc_result *res,
                                      char *err, size_t errlen)
{
	const char *path = sstr(c->spec, "path");
	if (res->error) {
		snprintf(err, errlen, "%s %s: %s", sstr(c->spec, "service"), path, res->error);
		return STEPS_FAIL;
	}
	if (res->status < 200 || res->status > 299) {
		snprintf(err, errlen, "%s %s: HTTP %ld %.300s", sstr(c->spec, "service"), path,
		         res->status, res->body ? res->body : "");
		return STEPS_FAIL;
	}
	char *text = searched_text(c, res->body ? res->body : "");
	if (!text) {
		snprintf(err, errlen, "cannot search the answer to %s: not JSON, or out of memory",
		         path);
		return STEPS_FAIL;
	}
	struct search q = {.text = text};
	bool absent_ok = each_string(c, "absent", want_absent, &q);
	bool present_ok = absent_ok && each_string(c, "contains", want_present, &q);
	free(text);
	if (!absent_ok)
		snprintf(err, errlen, "the answer to %s has \"%s\"", path, q.found);
	else if (!present_ok)
		snprintf(err, errlen, "the answer to %s lacks \"%s\"", path, q.missing);
	return absent_ok && present_ok ? STEPS_PASS : STEPS_FAIL;
}

static enum steps_verdict stop_service(const struct steps_ctx *c, char *err, size_t errlen)
{
	struct sidecar *s = service(c, err, errlen);
	if (!s)
		return STEPS_FAIL;
	if (s->exited)
		return STEPS_PASS;
	if (c->timed_out) {
		snprintf(err, errlen, "%s (pid %d) did not exit after SIGTERM", s->name,
		         (int)s->pid);
		return STEPS_FAIL;
	}
	kill(s->pid, SIGTERM); /* again each time: harmless */
	return STEPS_AGAIN;
}

/* ------------------------------------------------------------ agent faults */

static enum steps_verdict inject_raw(const struct steps_ctx *c, char *err, size_t errlen)
{
	uint8_t buf[4096];
	const char *data = sstr(c->spec, "data");
	size_t len =
	    data ? strlen(data) : (size_t)parse_hex(sstr(c->spec, "hex"), buf, sizeof(buf));
	const uint8_t *bytes = data ? (const uint8_t *)data : buf;
	uint8_t *rec = NULL;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->spec, "frame"))) {
		size_t rlen;
		rec = recordio_encode(bytes, len, &rlen);
		if (!rec) {
			snprintf(err, errlen, "out of memory");
			return STEPS_FAIL;
		}
		bytes = rec;
		len = rlen;
	}
	int rc = fa_fault_raw(c->agent, c->executor_id, bytes, len, err, errlen);
	free(rec);
	return rc < 0 ? STEPS_FAIL : STEPS_PASS;
}

/* The executor's process gets a signal, as from an operator or a container
 * runtime stopping it (default SIGTERM). */
static enum steps_verdict signal_executor(const struct steps_ctx *c, char *err, size_t errlen)
{
	const char *name = sstr(c->spec, "signal");
	int sig = name ? signal_number(name) : SIGTERM;
	struct fa_executor *e = fa_task_executor(fa_agent_task(c->agent, c->task_id));
	pid_t pid = e && !c->executor_gone ? fa_executor_pid(e) : -1;
	if (pid <= 0) {
		snprintf(err, errlen, "the executor is not running");
		return STEPS_FAIL;
	}
	kill(pid, sig);
	return STEPS_PASS;
}

enum steps_verdict steps_run(const char *kind, const struct steps_ctx *c, struct httpc_req **req,
                             char *err, size_t errlen)
{
	int rc = 0;
	*req = NULL;
	if (!strcmp(kind, "expect-file"))
		return expect_file(c, err, errlen);
	if (!strcmp(kind, "expect-executor-log-absent"))
		return expect_log_absent(c, err, errlen);
	if (!strcmp(kind, "fake"))
		return fake_request(c, req, err, errlen);
	if (!strcmp(kind, "stop-service"))
		return stop_service(c, err, errlen);
	if (!strcmp(kind, "inject-raw"))
		return inject_raw(c, err, errlen);
	if (!strcmp(kind, "signal-executor"))
		return signal_executor(c, err, errlen);
	if (!strcmp(kind, "drop-stream"))
		rc = fa_fault_drop_stream(c->agent, c->executor_id, err, errlen);
	else if (!strcmp(kind, "inject-event"))
		rc =
		    fa_fault_event(c->agent, c->executor_id,
		                   cJSON_GetObjectItemCaseSensitive(c->spec, "event"), err, errlen);
	else if (!strcmp(kind, "stop-agent"))
		rc = fa_agent_go_away(c->agent, steps_duration(c->spec, "downtime", DEF_OUTAGE),
		                      err, errlen);
	else {
		snprintf(err, errlen, "unknown step %s", kind);
		rc = -1;
	}
	return rc < 0 ? STEPS_FAIL : STEPS_PASS;
}
