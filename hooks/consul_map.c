/* TaskInfo -> Consul service registrations (see consul_map.h). Pure. */
#include "consul_map.h"

#include "common/duration.h"
#include "common/str.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_CONSUL "consul"
#define VALUE_TAG    "tag"

/* A growable list of strings without duplicates. */
struct strs {
	char **v; /* owned, each owned */
	size_t n;
};

static void strs_free(struct strs *s)
{
	strv_free_n(s->v, s->n);
	s->v = NULL;
	s->n = 0;
}

/* Takes ownership of str. Returns -1 when out of memory. */
static int strs_take(struct strs *s, char *str)
{
	if (!str)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], str) == 0) {
			free(str);
			return 0;
		}
	}
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v) {
		free(str);
		return -1;
	}
	s->v = v;
	s->v[s->n++] = str;
	return 0;
}

static const char *label_value(const Mesos__V1__Labels *labels, const char *key, bool *found)
{
	*found = false;
	for (size_t i = 0; labels && i < labels->n_labels; i++) {
		const Mesos__V1__Label *l = labels->labels[i];
		if (l->key && strcmp(l->key, key) == 0) {
			*found = true;
			return l->value ? l->value : "";
		}
	}
	return "";
}

static size_t nports(const Mesos__V1__TaskInfo *task)
{
	return task->discovery && task->discovery->ports ? task->discovery->ports->n_ports : 0;
}

static const Mesos__V1__Port *port_at(const Mesos__V1__TaskInfo *task, size_t i)
{
	return task->discovery->ports->ports[i];
}

/* The number of the port named name[0..len), as text in buf, or NULL. */
static const char *port_number(const Mesos__V1__TaskInfo *task, const char *name, size_t len,
                               char *buf, size_t buflen)
{
	for (size_t i = 0; i < nports(task); i++) {
		const Mesos__V1__Port *port = port_at(task, i);
		if (port->name && strlen(port->name) == len &&
		    strncmp(port->name, name, len) == 0) {
			snprintf(buf, buflen, "%u", port->number);
			return buf;
		}
	}
	return NULL;
}

/* tag with every {port:NAME} of a known port replaced; malloc'd. */
static char *resolve_placeholders(const Mesos__V1__TaskInfo *task, const char *tag)
{
	static const char open[] = "{port:";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	const char *p = tag;
	const char *start;
	while ((start = strstr(p, open))) {
		const char *name = start + sizeof(open) - 1;
		const char *end = strchr(name, '}');
		if (!end)
			break;
		char buf[16];
		const char *number =
		    port_number(task, name, (size_t)(end - name), buf, sizeof(buf));
		fwrite(p, 1, (size_t)(start - p), f);
		if (number)
			fputs(number, f);
		else
			fwrite(start, 1, (size_t)(end + 1 - start), f);
		p = end + 1;
	}
	fputs(p, f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *consul_map_service_name(const char *task_id)
{
	/* Trim spaces and slashes. */
	const char *s = task_id ? task_id : "";
	while (*s == ' ' || *s == '\t' || *s == '/')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '/'))
		n--;
	/* The app id: before ".instance-"/".marathon-" (instance ids), else
	 * before the last '.' (legacy "<app>.<uuid>"). */
	const char *cut = NULL;
	for (const char *p = s; p < s + n; p++) {
		if (strncmp(p, ".instance-", 10) == 0 || strncmp(p, ".marathon-", 10) == 0) {
			cut = p;
			break;
		}
	}
	if (!cut) {
		for (const char *p = s + n; p > s; p--)
			if (p[-1] == '.') {
				cut = p - 1;
				break;
			}
	}
	if (cut)
		n = (size_t)(cut - s);
	char *out = strndup(s, n);
	for (char *p = out; p && *p; p++) {
		if (*p == '_')
			*p = '.';
		else if (*p == '/')
			*p = '-';
	}
	return out;
}

/* Adds the keys of labels whose value is "tag" (or, when service is set,
 * "tag:<service>"). */
static int add_tag_labels(struct strs *raw, const Mesos__V1__Labels *labels, const char *service)
{
	for (size_t i = 0; labels && i < labels->n_labels; i++) {
		const Mesos__V1__Label *l = labels->labels[i];
		const char *v = l->value ? l->value : "";
		bool match = strcmp(v, VALUE_TAG) == 0;
		if (!match && service && strncmp(v, VALUE_TAG ":", 4) == 0)
			match = strcmp(v + 4, service) == 0;
		if (match && l->key && *l->key && strs_take(raw, strdup(l->key)) < 0)
			return -1;
	}
	return 0;
}

static Mesos__V1__HealthCheck__Type check_type(const Mesos__V1__HealthCheck *hc)
{
	if (hc->has_type && hc->type != MESOS__V1__HEALTH_CHECK__TYPE__UNKNOWN)
		return hc->type;
	if (hc->command)
		return MESOS__V1__HEALTH_CHECK__TYPE__COMMAND;
	if (hc->http)
		return MESOS__V1__HEALTH_CHECK__TYPE__HTTP;
	if (hc->tcp)
		return MESOS__V1__HEALTH_CHECK__TYPE__TCP;
	return MESOS__V1__HEALTH_CHECK__TYPE__UNKNOWN;
}

/* The Consul check for one registration, or NULL (no usable check). Sets
 * *oom on allocation failure. */
static cJSON *make_check(const Mesos__V1__HealthCheck *hc, const struct consul_map_settings *s,
                         uint32_t reg_port, bool *oom)
{
	if (!hc || hc->interval_seconds <= 0)
		return NULL;
	Mesos__V1__HealthCheck__Type type = check_type(hc);
	char host[80];
	bool v6 = strchr(s->address, ':') != NULL;
	snprintf(host, sizeof(host), v6 ? "[%s]" : "%s", s->address);
	char target[2048];
	const char *key;
	if (type == MESOS__V1__HEALTH_CHECK__TYPE__HTTP && hc->http) {
		const char *scheme =
		    hc->http->scheme && *hc->http->scheme ? hc->http->scheme : "http";
		const char *path = hc->http->path ? hc->http->path : "";
		uint32_t port = hc->http->port ? hc->http->port : reg_port;
		snprintf(target, sizeof(target), "%s://%s:%u%s%s", scheme, host, port,
		         path[0] == '/' ? "" : "/", path);
		key = "HTTP";
	} else if (type == MESOS__V1__HEALTH_CHECK__TYPE__TCP && hc->tcp) {
		uint32_t port = hc->tcp->port ? hc->tcp->port : reg_port;
		snprintf(target, sizeof(target), "%s:%u", host, port);
		key = "TCP";
	} else {
		return NULL; /* COMMAND and unknown checks stay Mesos' own */
	}
	char interval[32], timeout[32];
	duration_format_go(duration_from_secs(hc->interval_seconds), interval, sizeof(interval));
	duration_format_go(duration_from_secs(hc->timeout_seconds), timeout, sizeof(timeout));

	cJSON *c = cJSON_CreateObject();
	if (!c || !cJSON_AddStringToObject(c, key, target) ||
	    !cJSON_AddStringToObject(c, "Interval", interval) ||
	    (hc->timeout_seconds > 0 && !cJSON_AddStringToObject(c, "Timeout", timeout)) ||
	    !cJSON_AddStringToObject(c, "Status", s->initial_status)) {
		cJSON_Delete(c);
		*oom = true;
		return NULL;
	}
	return c;
}

/* Appends one registration to out. Takes ownership of raw's strings. */
static int add_reg(struct consul_regs *out, const Mesos__V1__TaskInfo *task,
                   const struct consul_map_settings *s, const char *name, uint32_t port,
                   struct strs *raw)
{
	const char *task_id = task->task_id && task->task_id->value ? task->task_id->value : "";
	struct strs tags = {0};
	int ret = -1;
	char *id = NULL, *body = NULL;
	cJSON *j = NULL;

	if (s->global_tag && *s->global_tag && strs_take(raw, strdup(s->global_tag)) < 0)
		goto out;
	char *task_tag;
	if (asprintf(&task_tag, "marathon-task:%s", task_id) < 0 || strs_take(raw, task_tag) < 0)
		goto out;
	for (size_t i = 0; i < raw->n; i++)
		if (strs_take(&tags, resolve_placeholders(task, raw->v[i])) < 0)
			goto out;
	if (asprintf(&id, "%s_%s_%u", task_id, name, port) < 0) {
		id = NULL;
		goto out;
	}
	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(out->v[i].id, id) == 0) { /* "web,web": one service */
			ret = 0;
			goto out;
		}
	}

	bool oom = false;
	cJSON *check = make_check(task->health_check, s, port, &oom);
	cJSON *jtags = cJSON_CreateStringArray((const char *const *)tags.v, (int)tags.n);
	j = cJSON_CreateObject();
	if (oom || !jtags || !j) {
		cJSON_Delete(check);
		cJSON_Delete(jtags);
		goto out;
	}
	cJSON_AddStringToObject(j, "ID", id);
	cJSON_AddStringToObject(j, "Name", name);
	cJSON_AddItemToObject(j, "Tags", jtags);
	cJSON_AddNumberToObject(j, "Port", port);
	cJSON_AddStringToObject(j, "Address", s->address);
	cJSON_AddBoolToObject(j, "EnableTagOverride", 0);
	if (check)
		cJSON_AddItemToObject(j, "Check", check);
	if (!(body = cJSON_PrintUnformatted(j)))
		goto out;

	struct consul_reg *v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (!v)
		goto out;
	out->v = v;
	v[out->n] = (struct consul_reg){.id = id, .name = strdup(name), .port = port, .body = body};
	if (!v[out->n].name)
		goto out;
	out->n++;
	id = body = NULL;
	ret = 0;
out:
	cJSON_Delete(j);
	free(id);
	free(body);
	strs_free(&tags);
	strs_free(raw);
	return ret;
}

/* The registrations of one port labelled `consul` with names (a comma list;
 * empty means the task's name). */
static int map_port(struct consul_regs *out, const Mesos__V1__TaskInfo *task,
                    const struct consul_map_settings *s, const Mesos__V1__Port *port,
                    const char *names, const char *task_name)
{
	struct strs list = {0};
	int ret = -1;
	for (const char *p = names; *p;) {
		size_t len = strcspn(p, ",");
		const char *b = p, *e = p + len;
		while (b < e && *b == ' ')
			b++;
		while (e > b && e[-1] == ' ')
			e--;
		if (e > b && strs_take(&list, strndup(b, (size_t)(e - b))) < 0)
			goto out;
		p += len + (p[len] == ',');
	}
	if (list.n == 0 && strs_take(&list, strdup(task_name)) < 0)
		goto out;
	for (size_t k = 0; k < list.n; k++) {
		struct strs raw = {0};
		if (add_tag_labels(&raw, port->labels, list.v[k]) < 0 ||
		    add_tag_labels(&raw, task->labels, NULL) < 0 ||
		    add_reg(out, task, s, list.v[k], port->number, &raw) < 0) {
			strs_free(&raw);
			goto out;
		}
	}
	ret = 0;
out:
	strs_free(&list);
	return ret;
}

int consul_map(const Mesos__V1__TaskInfo *task, const struct consul_map_settings *s,
               struct consul_regs *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	bool found;
	const char *label = label_value(task->labels, LABEL_CONSUL, &found);
	if (!found)
		return 0;
	const char *task_id = task->task_id && task->task_id->value ? task->task_id->value : "";
	if (nports(task) == 0) {
		snprintf(err, errlen,
		         "task %s has a '%s' label but no ports (TaskInfo.discovery.ports) to "
		         "register",
		         task_id, LABEL_CONSUL);
		return -1;
	}
	char *derived = NULL;
	const char *task_name = label;
	if (strcmp(label, "") == 0 || strcmp(label, "true") == 0) {
		if (!(derived = consul_map_service_name(task_id)))
			goto oom;
		task_name = derived;
	}
	if (!*task_name) {
		snprintf(err, errlen, "cannot derive a Consul service name from task id '%s'",
		         task_id);
		free(derived);
		return -1;
	}

	bool any_labelled = false;
	for (size_t i = 0; i < nports(task); i++) {
		const Mesos__V1__Port *port = port_at(task, i);
		const char *names = label_value(port->labels, LABEL_CONSUL, &found);
		if (!found)
			continue;
		any_labelled = true;
		if (map_port(out, task, s, port, names, task_name) < 0)
			goto oom;
	}
	if (!any_labelled) {
		struct strs raw = {0};
		if (add_tag_labels(&raw, task->labels, NULL) < 0 ||
		    add_reg(out, task, s, task_name, port_at(task, 0)->number, &raw) < 0) {
			strs_free(&raw);
			goto oom;
		}
	}
	free(derived);
	return 0;
oom:
	free(derived);
	consul_regs_free(out);
	snprintf(err, errlen, "out of memory mapping task %s to Consul services", task_id);
	return -1;
}

void consul_regs_free(struct consul_regs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].name);
		free(r->v[i].body);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
