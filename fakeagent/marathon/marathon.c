/* Marathon app definition -> Mesos TaskInfo JSON (see marathon.h). The steps
 * follow Marathon's own order (AppNormalization, then TaskBuilder):
 * normalise, pick host ports, build ids, resources, environment, command or
 * custom executor, discovery, labels, kill policy, health check. The app's
 * fields are read through conv.h. */
#include "marathon.h"
#include "conv.h"

#include "common/uuid4.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LABEL_KEY   493 /* labels with longer keys get no env var */
#define MAX_LABEL_VALUE 512 /* nor with longer values */

/* ------------------------------------------------------------ formatting */

void marathon_java_double(double v, char *buf, size_t len)
{
	if (!isfinite(v)) {
		snprintf(buf, len, "%s", isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	double a = fabs(v);
	if (a == 0 || (a >= 1e-3 && a < 1e7)) {
		char tmp[64];
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*f", prec, v);
			if (strtod(tmp, NULL) == v)
				break;
		}
		/* trim trailing zeros, keep one decimal */
		char *dot = strchr(tmp, '.');
		if (dot) {
			char *end = tmp + strlen(tmp) - 1;
			while (end > dot + 1 && *end == '0')
				*end-- = '\0';
		}
		snprintf(buf, len, "%s", tmp);
		return;
	}
	/* Computerised scientific notation: d.dddE<exp> */
	int exp10 = (int)floor(log10(a));
	double mant = v / pow(10, exp10);
	if (fabs(mant) >= 10) {
		mant /= 10;
		exp10++;
	}
	char tmp[64];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*fE%d", prec, mant, exp10);
		if (strtod(tmp, NULL) == v)
			break;
	}
	char *e = strchr(tmp, 'E');
	char *end = e - 1;
	while (end > tmp && *end == '0' && *(end - 1) != '.')
		end--;
	snprintf(buf, len, "%.*s%s", (int)(end - tmp + 1), tmp, e);
}

void marathon_label_env_name(const char *key, char *buf, size_t len)
{
	size_t n = 0;
	bool in_run = false;
	for (const char *p = key; *p && n + 1 < len; p++) {
		unsigned char ch = (unsigned char)*p;
		if (isalnum(ch) || ch == '_') {
			buf[n++] = (char)toupper(ch);
			in_run = false;
		} else if (!in_run) {
			buf[n++] = '_';
			in_run = true;
		}
	}
	buf[n] = '\0';
}

/* ------------------------------------------------------------ ids */

static int build_ids(struct conv *c)
{
	const char *id = NULL;
	if (conv_string(c, c->app, "id", "", &id) < 0)
		return -1;
	if (!id || !*id)
		return conv_fail(c, "id: required (e.g. \"/my-app\")");
	/* The names built from it (app_id, name, the task id's prefix) are at
	 * most one character longer than the id. */
	if (strlen(id) > 500)
		return conv_fail(c, "id: '%.100s...' is too long (500 characters at most)", id);
	/* segments of the path, without empty ones */
	char segs[32][128];
	int n = 0;
	const char *p = id;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchr(p, '/');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		if (n == 32 || l >= sizeof(segs[0]))
			return conv_fail(c, "id: '%s' is too long", id);
		memcpy(segs[n], p, l);
		segs[n][l] = '\0';
		for (size_t i = 0; i < l; i++)
			if (!(islower((unsigned char)segs[n][i]) ||
			      isdigit((unsigned char)segs[n][i]) || segs[n][i] == '-' ||
			      segs[n][i] == '.'))
				return conv_fail(
				    c,
				    "id: '%s' is not a valid Marathon path (lower-case "
				    "letters, digits, '-' and '.' per segment)",
				    id);
		n++;
		p += l;
	}
	if (n == 0)
		return conv_fail(c, "id: '%s' names no app", id);
	size_t off = 0, soff = 0, hoff = 0;
	char safe[512];
	for (int i = 0; i < n; i++) {
		off += (size_t)snprintf(c->app_id + off, sizeof(c->app_id) - off, "/%s", segs[i]);
		soff += (size_t)snprintf(safe + soff, sizeof(safe) - soff, "%s%s", i ? "_" : "",
		                         segs[i]);
		hoff += (size_t)snprintf(c->name + hoff, sizeof(c->name) - hoff, "%s%s",
		                         i ? "." : "", segs[n - 1 - i]);
	}
	char uuid[37];
	if (c->ctx->instance_uuid)
		snprintf(uuid, sizeof(uuid), "%s", c->ctx->instance_uuid);
	else
		uuid1_string(uuid);
	snprintf(c->task_id, sizeof(c->task_id), "%s.instance-%s._app.1", safe, uuid);
	return 0;
}

/* ------------------------------------------------------------ ports */

static int build_ports(struct conv *c)
{
	const cJSON *defs = NULL, *ports = NULL;
	bool require = false;
	if (conv_kind(c, c->app, "portDefinitions", "", true, &defs) < 0 ||
	    conv_kind(c, c->app, "ports", "", true, &ports) < 0 ||
	    conv_bool(c, c->app, "requirePorts", "", &require) < 0)
		return -1;
	if (defs && ports && cJSON_GetArraySize(defs) && cJSON_GetArraySize(ports))
		return conv_fail(c, "ports and portDefinitions: give only one of them");
	const cJSON *container = cJSON_GetObjectItemCaseSensitive(c->app, "container");
	if (container && !cJSON_IsNull(container))
		return conv_fail(c, "container: not supported by fakeagent (host networking only)");

	if (defs) {
		const cJSON *d;
		size_t i = 0;
		cJSON_ArrayForEach (d, defs) {
			char path[64];
			snprintf(path, sizeof(path), "portDefinitions[%zu].", i);
			if (!cJSON_IsObject(d))
				return conv_fail(c,
				                 "portDefinitions[%zu]: expected an object, got %s",
				                 i, conv_type_name(d));
			if (c->nports == MAX_PORTS)
				return conv_fail(c, "portDefinitions: more than %d ports",
				                 MAX_PORTS);
			struct portdef *pd = &c->ports[c->nports++];
			double port = 0;
			pd->protocol = "tcp";
			if (conv_number(c, d, "port", path, &port) < 0 ||
			    conv_string(c, d, "name", path, &pd->name) < 0 ||
			    conv_string(c, d, "protocol", path, &pd->protocol) < 0 ||
			    conv_kind(c, d, "labels", path, false, &pd->labels) < 0)
				return -1;
			if (port < 0 || port > 65535 || port != floor(port))
				return conv_fail(c, "%sport: %g is not a port number", path, port);
			if (pd->labels && conv_string_map(c, pd->labels, "portDefinitions.labels"))
				return -1;
			pd->port = (uint32_t)port;
			i++;
		}
	} else if (ports) {
		const cJSON *p;
		size_t i = 0;
		cJSON_ArrayForEach (p, ports) {
			if (!cJSON_IsNumber(p) || p->valuedouble < 0 || p->valuedouble > 65535)
				return conv_fail(c, "ports[%zu]: expected a port number, got %s", i,
				                 conv_type_name(p));
			if (c->nports == MAX_PORTS)
				return conv_fail(c, "ports: more than %d ports", MAX_PORTS);
			c->ports[c->nports++] =
			    (struct portdef){.port = (uint32_t)p->valuedouble, .protocol = "tcp"};
			i++;
		}
	} else {
		c->ports[c->nports++] =
		    (struct portdef){.port = 0, .name = "default", .protocol = "tcp"};
	}
	/* Service ports: each 0 gets an unused one from 10000 on. */
	uint32_t next = 10000;
	for (size_t i = 0; i < c->nports; i++) {
		if (c->ports[i].port)
			continue;
		for (bool used = true; used; next++) {
			used = false;
			for (size_t k = 0; k < c->nports; k++)
				used |= c->ports[k].port == next;
			if (!used)
				c->ports[i].port = next;
		}
	}
	for (size_t i = 0; i < c->nports; i++) {
		c->ports[i].host = c->ctx->pick_port ? c->ctx->pick_port(c->ctx->pick_data, i,
		                                                         c->ports[i].port, require)
		                                     : 0;
		if (!c->ports[i].host)
			return conv_fail(c, "portDefinitions[%zu]: no host port available", i);
	}
	return 0;
}

/* ------------------------------------------------------------ pieces of JSON */

static cJSON *scalar_resource(const char *name, double v, const char *role)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "type", "SCALAR");
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(r, "scalar"), "value", v);
	cJSON_AddStringToObject(r, "role", role);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "allocation_info"), "role", role);
	return r;
}

static cJSON *ports_resource(const struct conv *c, const char *role)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "name", "ports");
	cJSON_AddStringToObject(r, "type", "RANGES");
	cJSON *ranges = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "ranges"), "range");
	cJSON *last = NULL;
	uint32_t last_end = 0;
	for (size_t i = 0; i < c->nports; i++) {
		uint32_t p = c->ports[i].host;
		if (last && p == last_end + 1) { /* consecutive: merged, in declared order */
			cJSON_SetNumberValue(cJSON_GetObjectItem(last, "end"), p);
			last_end = p;
			continue;
		}
		last = cJSON_CreateObject();
		cJSON_AddNumberToObject(last, "begin", p);
		cJSON_AddNumberToObject(last, "end", p);
		cJSON_AddItemToArray(ranges, last);
		last_end = p;
	}
	cJSON_AddStringToObject(r, "role", role);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "allocation_info"), "role", role);
	return r;
}

static cJSON *labels_json(const cJSON *obj)
{
	cJSON *labels = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(labels, "labels");
	const cJSON *kv;
	cJSON_ArrayForEach (kv, obj) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "key", kv->string);
		cJSON_AddStringToObject(l, "value", kv->valuestring);
		cJSON_AddItemToArray(arr, l);
	}
	return labels;
}

/* Sets name=value in an Environment's variables array, replacing an earlier
 * entry of the same name in place (the later one wins, as in Marathon's map). */
static void env_put(cJSON *vars, const char *name, const char *value)
{
	cJSON *v;
	cJSON_ArrayForEach (v, vars) {
		if (strcmp(cJSON_GetObjectItem(v, "name")->valuestring, name) == 0) {
			cJSON_ReplaceItemInObject(v, "value", cJSON_CreateString(value));
			return;
		}
	}
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "name", name);
	cJSON_AddStringToObject(v, "value", value);
	cJSON_AddItemToArray(vars, v);
}

static void version_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.20s.%03dZ", base, (int)(ts.tv_nsec / 1000000));
}

static int build_env(struct conv *c, const cJSON *labels, cJSON *vars)
{
	char num[64];
	const char *version = c->ctx->version;
	if (!version && conv_string(c, c->app, "version", "", &version) < 0)
		return -1;
	char now[40];
	if (!version) {
		version_now(now, sizeof(now));
		version = now;
	}
	env_put(vars, "MESOS_TASK_ID", c->task_id);
	env_put(vars, "MARATHON_APP_ID", c->app_id);
	env_put(vars, "MARATHON_APP_VERSION", version);
	marathon_java_double(c->cpus, num, sizeof(num));
	env_put(vars, "MARATHON_APP_RESOURCE_CPUS", num);
	marathon_java_double(c->mem, num, sizeof(num));
	env_put(vars, "MARATHON_APP_RESOURCE_MEM", num);
	marathon_java_double(c->disk, num, sizeof(num));
	env_put(vars, "MARATHON_APP_RESOURCE_DISK", num);
	snprintf(num, sizeof(num), "%d", c->gpus);
	env_put(vars, "MARATHON_APP_RESOURCE_GPUS", num);
	env_put(vars, "MARATHON_APP_ENFORCE_GROUP_ROLE", "FALSE");

	char names[4096] = "", key[600], var[640];
	size_t off = 0;
	const cJSON *kv;
	cJSON_ArrayForEach (kv, labels) {
		if (strlen(kv->string) >= MAX_LABEL_KEY ||
		    strlen(kv->valuestring) >= MAX_LABEL_VALUE)
			continue;
		marathon_label_env_name(kv->string, key, sizeof(key));
		off += (size_t)snprintf(names + off, off < sizeof(names) ? sizeof(names) - off : 0,
		                        "%s%s", off ? " " : "", key);
	}
	env_put(vars, "MARATHON_APP_LABELS", off < sizeof(names) ? names : "");
	cJSON_ArrayForEach (kv, labels) {
		if (strlen(kv->string) >= MAX_LABEL_KEY ||
		    strlen(kv->valuestring) >= MAX_LABEL_VALUE)
			continue;
		marathon_label_env_name(kv->string, key, sizeof(key));
		snprintf(var, sizeof(var), "MARATHON_APP_LABEL_%s", key);
		env_put(vars, var, kv->valuestring);
	}

	char all[MAX_PORTS * 7] = "";
	size_t aoff = 0;
	for (size_t i = 0; i < c->nports; i++) {
		snprintf(num, sizeof(num), "%u", c->ports[i].host);
		snprintf(var, sizeof(var), "PORT%zu", i);
		env_put(vars, var, num);
		snprintf(var, sizeof(var), "PORT_%u", c->ports[i].port);
		env_put(vars, var, num);
		if (c->ports[i].name) {
			snprintf(var, sizeof(var), "PORT_%s", c->ports[i].name);
			for (char *p = var + 5; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			env_put(vars, var, num);
		}
		aoff += (size_t)snprintf(all + aoff, sizeof(all) - aoff, "%s%s", i ? "," : "", num);
	}
	if (c->nports) {
		snprintf(num, sizeof(num), "%u", c->ports[0].host);
		env_put(vars, "PORT", num);
		env_put(vars, "PORTS", all);
	}
	env_put(vars, "HOST", c->ctx->hostname ? c->ctx->hostname : "localhost");

	const cJSON *env = NULL;
	if (conv_kind(c, c->app, "env", "", false, &env) < 0)
		return -1;
	cJSON_ArrayForEach (kv, env) {
		if (cJSON_IsObject(kv) && cJSON_GetObjectItem(kv, "secret"))
			continue; /* only a secrets plugin adds those */
		if (!cJSON_IsString(kv))
			return conv_fail(c,
			                 "env.%s: expected a string or {\"secret\": ...}, got %s",
			                 kv->string, conv_type_name(kv));
		env_put(vars, kv->string, kv->valuestring);
	}
	return 0;
}

static bool is_archive(const char *uri)
{
	static const char *exts[] = {".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".gz",
	                             ".tgz", ".tbz2",   ".txz",     ".zip"};
	size_t ul = strlen(uri);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);
		if (ul >= el && strcmp(uri + ul - el, exts[i]) == 0)
			return true;
	}
	return false;
}

static int build_uris(struct conv *c, cJSON *cmd)
{
	const cJSON *fetch = NULL, *uris = NULL;
	if (conv_kind(c, c->app, "fetch", "", true, &fetch) < 0 ||
	    conv_kind(c, c->app, "uris", "", true, &uris) < 0)
		return -1;
	if (!cJSON_GetArraySize(fetch) && !cJSON_GetArraySize(uris))
		return 0;
	cJSON *out = cJSON_AddArrayToObject(cmd, "uris");
	const cJSON *f;
	size_t i = 0;
	cJSON_ArrayForEach (f, fetch) {
		char path[48];
		snprintf(path, sizeof(path), "fetch[%zu].", i++);
		const char *uri = NULL, *dest = NULL;
		bool executable = false, extract = true, cache = false;
		if (!cJSON_IsObject(f))
			return conv_fail(c, "%s: expected an object, got %s", path,
			                 conv_type_name(f));
		if (conv_string(c, f, "uri", path, &uri) < 0 ||
		    conv_string(c, f, "destPath", path, &dest) < 0 ||
		    conv_bool(c, f, "executable", path, &executable) < 0 ||
		    conv_bool(c, f, "extract", path, &extract) < 0 ||
		    conv_bool(c, f, "cache", path, &cache) < 0)
			return -1;
		if (!uri)
			return conv_fail(c, "%suri: required", path);
		cJSON *u = cJSON_CreateObject();
		cJSON_AddStringToObject(u, "value", uri);
		cJSON_AddBoolToObject(u, "executable", executable);
		cJSON_AddBoolToObject(u, "extract", extract);
		cJSON_AddBoolToObject(u, "cache", cache);
		if (dest)
			cJSON_AddStringToObject(u, "output_file", dest);
		cJSON_AddItemToArray(out, u);
	}
	i = 0;
	cJSON_ArrayForEach (f, uris) {
		if (!cJSON_IsString(f))
			return conv_fail(c, "uris[%zu]: expected a string, got %s", i,
			                 conv_type_name(f));
		cJSON *u = cJSON_CreateObject();
		cJSON_AddStringToObject(u, "value", f->valuestring);
		cJSON_AddBoolToObject(u, "executable", false);
		cJSON_AddBoolToObject(u, "extract", is_archive(f->valuestring));
		cJSON_AddBoolToObject(u, "cache", false);
		cJSON_AddItemToArray(out, u);
		i++;
	}
	return 0;
}

static cJSON *discovery_json(const struct conv *c)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "visibility", "FRAMEWORK");
	cJSON_AddStringToObject(d, "name", c->name);
	cJSON *arr = cJSON_AddArrayToObject(cJSON_AddObjectToObject(d, "ports"), "ports");
	for (size_t i = 0; i < c->nports; i++) {
		const struct portdef *pd = &c->ports[i];
		char protos[64];
		snprintf(protos, sizeof(protos), "%s", pd->protocol);
		for (char *save = NULL, *proto = strtok_r(protos, ",", &save); proto;
		     proto = strtok_r(NULL, ",", &save)) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddNumberToObject(p, "number", pd->host);
			if (pd->name)
				cJSON_AddStringToObject(p, "name", pd->name);
			cJSON_AddStringToObject(p, "protocol", proto);
			if (pd->labels && cJSON_GetArraySize(pd->labels))
				cJSON_AddItemToObject(p, "labels", labels_json(pd->labels));
			cJSON_AddItemToArray(arr, p);
		}
	}
	return d;
}

/* The first MESOS_HTTP, MESOS_HTTPS, MESOS_TCP or COMMAND check; Marathon's
 * own HTTP/HTTPS/TCP checks never reach the TaskInfo. *out stays NULL when
 * there is none or its port does not resolve. */
static int build_health(struct conv *c, cJSON **out)
{
	const cJSON *hcs = NULL, *hc;
	if (conv_kind(c, c->app, "healthChecks", "", true, &hcs) < 0)
		return -1;
	size_t i = 0;
	cJSON_ArrayForEach (hc, hcs) {
		char path[48];
		snprintf(path, sizeof(path), "healthChecks[%zu].", i++);
		if (!cJSON_IsObject(hc))
			return conv_fail(c, "healthChecks[%zu]: expected an object, got %s", i - 1,
			                 conv_type_name(hc));
		const char *proto = "HTTP", *hpath = NULL, *ip = "IPv4";
		double grace = 300, interval = 60, timeout = 20, failures = 3, delay = 15;
		double port = -1, index = -1;
		const cJSON *command = NULL;
		if (conv_string(c, hc, "protocol", path, &proto) < 0 ||
		    conv_string(c, hc, "path", path, &hpath) < 0 ||
		    conv_string(c, hc, "ipProtocol", path, &ip) < 0 ||
		    conv_number(c, hc, "gracePeriodSeconds", path, &grace) < 0 ||
		    conv_number(c, hc, "intervalSeconds", path, &interval) < 0 ||
		    conv_number(c, hc, "timeoutSeconds", path, &timeout) < 0 ||
		    conv_number(c, hc, "maxConsecutiveFailures", path, &failures) < 0 ||
		    conv_number(c, hc, "delaySeconds", path, &delay) < 0 ||
		    conv_number(c, hc, "port", path, &port) < 0 ||
		    conv_number(c, hc, "portIndex", path, &index) < 0 ||
		    conv_kind(c, hc, "command", path, false, &command) < 0)
			return -1;
		bool http = strcmp(proto, "MESOS_HTTP") == 0,
		     https = strcmp(proto, "MESOS_HTTPS") == 0;
		bool tcp = strcmp(proto, "MESOS_TCP") == 0, cmd = strcmp(proto, "COMMAND") == 0;
		if (!http && !https && !tcp && !cmd) {
			if (strcmp(proto, "HTTP") && strcmp(proto, "HTTPS") && strcmp(proto, "TCP"))
				return conv_fail(c, "%sprotocol: unknown protocol '%s'", path,
				                 proto);
			continue; /* run by Marathon itself */
		}
		if (strcmp(ip, "IPv4") && strcmp(ip, "IPv6"))
			return conv_fail(c, "%sipProtocol: expected IPv4 or IPv6, got '%s'", path,
			                 ip);
		cJSON *h = cJSON_CreateObject();
		if (cmd) {
			const char *value = NULL;
			if (!command || conv_string(c, command, "value", "command.", &value) < 0 ||
			    !value) {
				cJSON_Delete(h);
				return c->err[0] ? -1
				                 : conv_fail(c, "%scommand.value: required", path);
			}
			cJSON_AddStringToObject(h, "type", "COMMAND");
			cJSON *ci = cJSON_AddObjectToObject(h, "command");
			cJSON_AddBoolToObject(ci, "shell", true);
			cJSON_AddStringToObject(ci, "value", value);
		} else {
			uint32_t resolved = 0;
			if (port > 65535) {
				cJSON_Delete(h);
				return conv_fail(c, "%sport: expected 0 to 65535, got %g", path,
				                 port);
			}
			if (port >= 0)
				resolved = (uint32_t)port;
			else {
				if (index < 0 && c->nports)
					index = 0;
				/* compared as a double: any number may come in */
				if (index >= 0 && index < (double)c->nports)
					resolved = c->ports[(size_t)index].host;
			}
			if (!resolved) {
				cJSON_Delete(h);
				return 0; /* dropped, as Marathon does */
			}
			cJSON_AddStringToObject(h, "type", tcp ? "TCP" : "HTTP");
			cJSON *sub = cJSON_AddObjectToObject(h, tcp ? "tcp" : "http");
			if (!tcp)
				cJSON_AddStringToObject(sub, "scheme", https ? "https" : "http");
			cJSON_AddNumberToObject(sub, "port", resolved);
			if (!tcp && hpath)
				cJSON_AddStringToObject(sub, "path", hpath);
			cJSON_AddStringToObject(sub, "protocol", ip);
		}
		cJSON_AddNumberToObject(h, "delay_seconds", delay);
		cJSON_AddNumberToObject(h, "interval_seconds", interval);
		cJSON_AddNumberToObject(h, "timeout_seconds", timeout);
		cJSON_AddNumberToObject(h, "consecutive_failures", failures);
		cJSON_AddNumberToObject(h, "grace_period_seconds", grace);
		*out = h;
		return 0;
	}
	return 0;
}

/* ------------------------------------------------------------ the command */

const char *marathon_executor_path(const cJSON *app)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(app, "executor");
	if (!cJSON_IsString(e) || !*e->valuestring || strcmp(e->valuestring, "//cmd") == 0)
		return NULL;
	return e->valuestring;
}

static int build_command(struct conv *c, cJSON *task, const cJSON *labels_obj)
{
	const char *cmd = NULL, *user = NULL, *executor = "";
	const cJSON *args = NULL;
	if (conv_string(c, c->app, "cmd", "", &cmd) < 0 ||
	    conv_kind(c, c->app, "args", "", true, &args) < 0 ||
	    conv_string(c, c->app, "user", "", &user) < 0 ||
	    conv_string(c, c->app, "executor", "", &executor) < 0)
		return -1;
	if (cmd && args && cJSON_GetArraySize(args))
		return conv_fail(c, "cmd and args: give only one of them");
	const cJSON *a;
	size_t i = 0;
	cJSON_ArrayForEach (a, args) {
		if (!cJSON_IsString(a))
			return conv_fail(c, "args[%zu]: expected a string, got %s", i,
			                 conv_type_name(a));
		i++;
	}
	bool use_args = args && cJSON_GetArraySize(args);
	if (cmd && !*cmd)
		cmd = NULL;

	cJSON *ci = cJSON_CreateObject();
	if (build_uris(c, ci) < 0) {
		cJSON_Delete(ci);
		return -1;
	}
	cJSON *vars =
	    cJSON_AddArrayToObject(cJSON_AddObjectToObject(ci, "environment"), "variables");
	if (build_env(c, labels_obj, vars) < 0) {
		cJSON_Delete(ci);
		return -1;
	}
	if (use_args) {
		cJSON_AddBoolToObject(ci, "shell", false);
		cJSON_AddItemToObject(ci, "arguments", cJSON_Duplicate(args, true));
	} else if (!cmd) {
		cJSON_AddBoolToObject(ci, "shell", false);
	}
	if (user)
		cJSON_AddStringToObject(ci, "user", user);

	const char *path = marathon_executor_path(c->app);
	if (!path) {
		if (use_args)
			cJSON_AddStringToObject(ci, "value",
			                        cJSON_GetArrayItem(args, 0)->valuestring);
		else if (cmd)
			cJSON_AddStringToObject(ci, "value", cmd);
		cJSON_AddItemToObject(task, "command", ci);
		return 0;
	}
	/* Custom executor: the command moves to the ExecutorInfo, prefixed. */
	size_t need = strlen(path) * 2 + 64 + (cmd ? strlen(cmd) : 0);
	cJSON_ArrayForEach (a, args)
		need += strlen(a->valuestring) + 1;
	char *value = malloc(need);
	if (!value) {
		cJSON_Delete(ci);
		return conv_fail(c, "out of memory");
	}
	size_t off = (size_t)snprintf(value, need, "chmod ug+rx '%s' && exec '%s' ", path, path);
	if (cmd)
		snprintf(value + off, need - off, "%s", cmd);
	else if (use_args) {
		i = 0;
		cJSON_ArrayForEach (a, args)
			off += (size_t)snprintf(value + off, need - off, "%s%s", i++ ? " " : "",
			                        a->valuestring);
	}
	cJSON_AddStringToObject(ci, "value", value);
	free(value);

	cJSON *ex = cJSON_CreateObject();
	char eid[700];
	snprintf(eid, sizeof(eid), "marathon-%s", c->task_id);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(ex, "executor_id"), "value", eid);
	cJSON_AddItemToObject(ex, "command", ci);
	const cJSON *er = NULL;
	if (conv_kind(c, c->app, "executorResources", "", false, &er) < 0) {
		cJSON_Delete(ex);
		return -1;
	}
	if (er) {
		double ecpus = 0.1, emem = 32, edisk = 10;
		if (conv_number(c, er, "cpus", "executorResources.", &ecpus) < 0 ||
		    conv_number(c, er, "mem", "executorResources.", &emem) < 0 ||
		    conv_number(c, er, "disk", "executorResources.", &edisk) < 0) {
			cJSON_Delete(ex);
			return -1;
		}
		cJSON *res = cJSON_AddArrayToObject(ex, "resources");
		cJSON_AddItemToArray(res, scalar_resource("cpus", ecpus, "*"));
		cJSON_AddItemToArray(res, scalar_resource("mem", emem, "*"));
		cJSON_AddItemToArray(res, scalar_resource("disk", edisk, "*"));
	}
	cJSON_AddItemToObject(task, "executor", ex);
	return 0;
}

/* ------------------------------------------------------------ the whole */

cJSON *marathon_task_json(const cJSON *app, const struct marathon_ctx *ctx, char *err,
                          size_t errlen)
{
	struct conv *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->app = app;
	c->ctx = ctx;
	c->err = err;
	c->errlen = errlen;
	err[0] = '\0';
	c->cpus = 1.0;
	c->mem = 128.0;
	c->disk = 0;
	double gpus = 0, kill_grace = -1;
	const char *role = ctx->role ? ctx->role : "*";
	const cJSON *labels = NULL;
	cJSON *task = NULL, *health = NULL;

	if (!cJSON_IsObject(app)) {
		conv_fail(c, "expected a JSON object (a Marathon app definition)");
		goto out;
	}
	if (build_ids(c) < 0 || conv_number(c, app, "cpus", "", &c->cpus) < 0 ||
	    conv_number(c, app, "mem", "", &c->mem) < 0 ||
	    conv_number(c, app, "disk", "", &c->disk) < 0 ||
	    conv_number(c, app, "gpus", "", &gpus) < 0 ||
	    conv_number(c, app, "taskKillGracePeriodSeconds", "", &kill_grace) < 0 ||
	    conv_kind(c, app, "labels", "", false, &labels) < 0)
		goto out;
	if (labels && conv_string_map(c, labels, "labels") < 0)
		goto out;
	if (c->cpus < 0 || c->mem < 0 || c->disk < 0 || gpus < 0) {
		conv_fail(c, "cpus, mem, disk and gpus must not be negative");
		goto out;
	}
	if (!isfinite(c->cpus) || !isfinite(c->mem) || !isfinite(c->disk)) {
		conv_fail(c, "cpus, mem and disk must be finite numbers");
		goto out;
	}
	if (gpus > INT_MAX) {
		conv_fail(c, "gpus: %g is too many", gpus);
		goto out;
	}
	/* Marathon's RAML: integer, int32, minimum 0; Play JSON refuses 2.05
	 * ("error.expected.int") and -1 ("error.min") with a 422. */
	if (cJSON_GetObjectItemCaseSensitive(app, "taskKillGracePeriodSeconds") &&
	    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(app, "taskKillGracePeriodSeconds")) &&
	    !(kill_grace >= 0 && kill_grace <= INT32_MAX && kill_grace == floor(kill_grace))) {
		conv_fail(
		    c,
		    "taskKillGracePeriodSeconds: expected a whole number of seconds from 0 to "
		    "2147483647, got %.17g (Marathon refuses it with 422: %s)",
		    kill_grace, kill_grace < 0 ? "error.min" : "error.expected.int");
		goto out;
	}
	c->gpus = (int)gpus;
	if (build_ports(c) < 0)
		goto out;

	task = cJSON_CreateObject();
	cJSON_AddStringToObject(task, "name", c->name);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(task, "task_id"), "value", c->task_id);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(task, "agent_id"), "value",
	                        ctx->agent_id ? ctx->agent_id : "");
	cJSON *res = cJSON_AddArrayToObject(task, "resources");
	if (c->cpus > 0)
		cJSON_AddItemToArray(res, scalar_resource("cpus", c->cpus, role));
	if (c->mem > 0)
		cJSON_AddItemToArray(res, scalar_resource("mem", c->mem, role));
	if (c->gpus > 0)
		cJSON_AddItemToArray(res, scalar_resource("gpus", c->gpus, role));
	if (c->disk > 0)
		cJSON_AddItemToArray(res, scalar_resource("disk", c->disk, role));
	if (c->nports)
		cJSON_AddItemToArray(res, ports_resource(c, role));
	if (build_command(c, task, labels) < 0 || build_health(c, &health) < 0)
		goto fail;
	if (health)
		cJSON_AddItemToObject(task, "health_check", health);
	if (kill_grace >= 0)
		cJSON_AddNumberToObject(
		    cJSON_AddObjectToObject(cJSON_AddObjectToObject(task, "kill_policy"),
		                            "grace_period"),
		    "nanoseconds", (double)((int64_t)kill_grace * 1000000000LL));
	if (labels && cJSON_GetArraySize(labels))
		cJSON_AddItemToObject(task, "labels", labels_json(labels));
	cJSON_AddItemToObject(task, "discovery", discovery_json(c));
	goto out;
fail:
	cJSON_Delete(task);
	task = NULL;
out:
	free(c);
	return task;
}
