/* TaskInfo -> VaaS backend, and tastypie answers (see vaas_map.h). Pure. */
#include "vaas_map.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_DIRECTOR    "director"
#define LABEL_CANARY      "canary"
#define PORT_LABEL_PREFIX "frontend-sync:"
#define WEIGHT_PREFIX     "weight:"
#define ENV_WEIGHT        "VAAS_INITIAL_WEIGHT"

static const char *label(const Mesos__V1__Labels *labels, const char *key)
{
	for (size_t i = 0; labels && i < labels->n_labels; i++)
		if (labels->labels[i]->key && strcmp(labels->labels[i]->key, key) == 0)
			return labels->labels[i]->value ? labels->labels[i]->value : "";
	return NULL;
}

const char *vaas_map_director(const Mesos__V1__TaskInfo *task)
{
	const char *d = label(task->labels, LABEL_DIRECTOR);
	return d && *d ? d : NULL;
}

int vaas_map_port(const Mesos__V1__TaskInfo *task, const char *director, uint32_t *port,
                  bool *labelled, char *err, size_t errlen)
{
	const Mesos__V1__Ports *ports = task->discovery ? task->discovery->ports : NULL;
	if (!ports || ports->n_ports == 0) {
		snprintf(err, errlen,
		         "task has a '%s' label but no ports (TaskInfo.discovery.ports) for a "
		         "VaaS backend",
		         LABEL_DIRECTOR);
		return -1;
	}
	char key[256];
	snprintf(key, sizeof(key), PORT_LABEL_PREFIX "%s", director);
	for (size_t i = 0; i < ports->n_ports; i++) {
		if (label(ports->ports[i]->labels, key)) {
			*port = ports->ports[i]->number;
			*labelled = true;
			return 0;
		}
	}
	*port = ports->ports[0]->number;
	*labelled = false;
	return 0;
}

/* A weight from 0 to 100, or -1. */
static long parse_weight(const char *s)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (!*s || *end || errno || n < 0 || n > 100)
		return -1;
	return n;
}

static const char *env_value(const Mesos__V1__TaskInfo *task, char *const *env, const char *name)
{
	size_t n = strlen(name);
	if (env) {
		const char *found = NULL;
		for (char *const *p = env; *p; p++)
			if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
				found = *p + n + 1; /* the last one wins, as in execve */
		return found;
	}
	const Mesos__V1__CommandInfo *cmd = task->command;
	if (!cmd && task->executor)
		cmd = task->executor->command;
	const Mesos__V1__Environment *e = cmd ? cmd->environment : NULL;
	for (size_t i = 0; e && i < e->n_variables; i++)
		if (e->variables[i]->name && strcmp(e->variables[i]->name, name) == 0)
			return e->variables[i]->value ? e->variables[i]->value : "";
	return NULL;
}

/* The weight (-2 when none), or -1 with err. */
static long backend_weight(const Mesos__V1__TaskInfo *task, char *const *env, char *err,
                           size_t errlen)
{
	long weight = -2;
	const Mesos__V1__Labels *labels = task->labels;
	for (size_t i = 0; labels && i < labels->n_labels; i++) {
		const Mesos__V1__Label *l = labels->labels[i];
		if (!l->key || strncmp(l->key, WEIGHT_PREFIX, strlen(WEIGHT_PREFIX)) != 0 ||
		    !l->value || strcmp(l->value, "tag") != 0)
			continue;
		if ((weight = parse_weight(l->key + strlen(WEIGHT_PREFIX))) < 0) {
			snprintf(err, errlen,
			         "task label '%s': expected weight:N with N from 0 to 100", l->key);
			return -1;
		}
		break;
	}
	const char *v = env_value(task, env, ENV_WEIGHT);
	if (v && *v && (weight = parse_weight(v)) < 0) {
		snprintf(err, errlen, "%s in the task's environment: expected 0 to 100, got '%s'",
		         ENV_WEIGHT, v);
		return -1;
	}
	return weight;
}

char *vaas_map_backend(const Mesos__V1__TaskInfo *task, const struct vaas_map_input *in, char *err,
                       size_t errlen)
{
	const char *director = vaas_map_director(task);
	uint32_t port;
	bool labelled;
	if (!director) {
		snprintf(err, errlen, "task has no '%s' label", LABEL_DIRECTOR);
		return NULL;
	}
	if (vaas_map_port(task, director, &port, &labelled, err, errlen) < 0)
		return NULL;
	long weight = backend_weight(task, in->task_env, err, errlen);
	if (weight == -1)
		return NULL;
	if (!cJSON_IsObject(in->dc)) {
		snprintf(err, errlen, "VaaS datacenter is not an object");
		return NULL;
	}

	char uri[64];
	snprintf(uri, sizeof(uri), "/api/v0.1/director/%ld/", in->director_id);
	cJSON *b = cJSON_CreateObject();
	cJSON *dc = cJSON_CreateObject();
	char *out = NULL;
	if (!b || !dc)
		goto oom;
	static const char *const dc_fields[] = {"id", "name", "resource_uri", "symbol"};
	for (size_t i = 0; i < sizeof(dc_fields) / sizeof(*dc_fields); i++) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(in->dc, dc_fields[i]);
		cJSON *copy = f ? cJSON_Duplicate(f, 1) : NULL;
		if (f && !copy)
			goto oom;
		if (copy)
			cJSON_AddItemToObject(dc, dc_fields[i], copy);
	}
	cJSON_AddStringToObject(b, "address", in->address);
	cJSON_AddStringToObject(b, "director", uri);
	cJSON_AddItemToObject(b, "dc", dc);
	dc = NULL;
	cJSON_AddNumberToObject(b, "port", port);
	cJSON_AddBoolToObject(b, "inherit_time_profile", 1);
	if (weight >= 0)
		cJSON_AddNumberToObject(b, "weight", (double)weight);
	const char *canary = label(task->labels, LABEL_CANARY);
	if (canary && *canary) {
		const char *tags[] = {LABEL_CANARY};
		cJSON_AddItemToObject(b, "tags", cJSON_CreateStringArray(tags, 1));
	}
	if (!(out = cJSON_PrintUnformatted(b)))
		goto oom;
	cJSON_Delete(b);
	return out;
oom:
	cJSON_Delete(b);
	cJSON_Delete(dc);
	snprintf(err, errlen, "out of memory building the VaaS backend");
	return NULL;
}

const cJSON *vaas_map_find(const cJSON *page, const char *field, const char *value)
{
	const cJSON *objects = cJSON_GetObjectItemCaseSensitive(page, "objects");
	const cJSON *o;
	cJSON_ArrayForEach (o, objects) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, field);
		if (cJSON_IsString(f) && strcmp(f->valuestring, value) == 0)
			return o;
	}
	return NULL;
}

const char *vaas_map_next(const cJSON *page)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(page, "meta");
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(meta, "next");
	return cJSON_IsString(next) && *next->valuestring ? next->valuestring : NULL;
}

long vaas_map_id(const cJSON *obj)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
	if (cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble < 1e15)
		return (long)id->valuedouble;
	if (cJSON_IsString(id)) { /* tolerate "12" */
		char *end;
		long n = strtol(id->valuestring, &end, 10);
		if (*id->valuestring && !*end && n >= 0)
			return n;
	}
	return -1;
}

enum vaas_task_state vaas_map_task_state(const cJSON *task)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(task, "status");
	if (!cJSON_IsString(st))
		return VAAS_TASK_RUNNING;
	if (strcmp(st->valuestring, "SUCCESS") == 0)
		return VAAS_TASK_SUCCESS;
	if (strcmp(st->valuestring, "FAILURE") == 0 || strcmp(st->valuestring, "REVOKED") == 0)
		return VAAS_TASK_FAILURE;
	return VAAS_TASK_RUNNING;
}
