/* Lookups, tastypie rendering and reload tasks of the fake VaaS (store.h). */
#include "store.h"

#include "common/uuid4.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_free(struct vstore *s)
{
	cJSON *tables[] = {s->dcs,       s->clusters, s->probes, s->time_profiles,
	                   s->directors, s->backends, s->users};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		cJSON_Delete(tables[i]);
	cJSON_Delete(s->tasks);
	free(s->task_status);
	free(s->task_info);
	free(s->reload_failure_message);
	memset(s, 0, sizeof(*s));
}

cJSON *store_find(const cJSON *table, int id)
{
	cJSON *row;
	cJSON_ArrayForEach (row, table) {
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(row, "id");
		if (cJSON_IsNumber(i) && i->valueint == id)
			return row;
	}
	return NULL;
}

cJSON *store_find_str(const cJSON *table, const char *key, const char *value)
{
	cJSON *row;
	cJSON_ArrayForEach (row, table) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
		if (cJSON_IsString(v) && strcmp(v->valuestring, value) == 0)
			return row;
	}
	return NULL;
}

const cJSON *store_user(const struct vstore *s, const char *username, const char *api_key)
{
	const cJSON *u = store_find_str(s->users, "username", username);
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(u, "api_key");
	return u && cJSON_IsString(k) && strcmp(k->valuestring, api_key) == 0 ? u : NULL;
}

bool store_director_reloads(const struct vstore *s, const cJSON *director)
{
	bool mesh =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(director, "reachable_via_service_mesh"));
	const cJSON *id;
	cJSON_ArrayForEach (id, cJSON_GetObjectItemCaseSensitive(director, "cluster")) {
		const cJSON *cluster = store_find(s->clusters, id->valueint);
		if (!mesh || !cJSON_IsTrue(
		                 cJSON_GetObjectItemCaseSensitive(cluster, "service_mesh_routing")))
			return true;
	}
	return false;
}

const char *store_uri(char *buf, size_t len, const char *resource, int id)
{
	snprintf(buf, len, VAAS_API "%s/%d/", resource, id);
	return buf;
}

int store_uri_id(const char *uri, const char *resource)
{
	char prefix[64];
	int n = snprintf(prefix, sizeof(prefix), VAAS_API "%s/", resource);
	if (strncmp(uri, prefix, (size_t)n) != 0)
		return -1;
	const char *p = uri + n;
	char *end;
	long id = strtol(p, &end, 10);
	if (end == p || *p == '-' || *p == '+' || strcmp(end, "/") != 0 || id > 2147483647)
		return -1;
	return (int)id;
}

void store_decimal(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.2f", v);
	char *dot = strchr(buf, '.');
	if (!dot)
		return;
	char *e = buf + strlen(buf) - 1;
	while (e > dot && *e == '0')
		*e-- = '\0';
	if (e == dot)
		*e = '\0';
}

/* A decimal field given as a number or a numeric string. */
static double decimal_of(const cJSON *j)
{
	if (cJSON_IsNumber(j))
		return j->valuedouble;
	return cJSON_IsString(j) ? strtod(j->valuestring, NULL) : 0;
}

static void add_decimal(cJSON *o, const char *key, double v)
{
	char buf[32];
	store_decimal(v, buf, sizeof(buf));
	cJSON_AddStringToObject(o, key, buf);
}

/* ------------------------------------------------------------ rendering */

static cJSON *with_uri(const cJSON *row, const char *resource)
{
	char uri[96];
	cJSON *o = cJSON_Duplicate(row, 1);
	int id = cJSON_GetObjectItemCaseSensitive(row, "id")->valueint;
	cJSON_AddStringToObject(o, "resource_uri", store_uri(uri, sizeof(uri), resource, id));
	return o;
}

cJSON *store_dc_json(const struct vstore *s, const cJSON *dc)
{
	return with_uri(dc, "dc");
}

static cJSON *time_profile_json(const cJSON *tp)
{
	cJSON *o = with_uri(tp, "time_profile");
	static const char *const dec[] = {"connect_timeout", "first_byte_timeout",
	                                  "between_bytes_timeout", "service_mesh_timeout"};
	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(tp, dec[i]);
		if (v) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, dec[i]);
			add_decimal(o, dec[i], decimal_of(v));
		}
	}
	return o;
}

cJSON *store_director_json(const struct vstore *s, const cJSON *d)
{
	char uri[96];
	int id = cJSON_GetObjectItemCaseSensitive(d, "id")->valueint;
	cJSON *o = with_uri(d, "director"), *c, *b;
	cJSON_DeleteItemFromObjectCaseSensitive(o, "probe");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "time_profile");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "cluster");
	const cJSON *probe =
	    store_find(s->probes, cJSON_GetObjectItemCaseSensitive(d, "probe")->valueint);
	const cJSON *tp = store_find(s->time_profiles,
	                             cJSON_GetObjectItemCaseSensitive(d, "time_profile")->valueint);
	cJSON_AddItemToObject(o, "probe", probe ? with_uri(probe, "probe") : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "time_profile", tp ? time_profile_json(tp) : cJSON_CreateNull());
	cJSON *clusters = cJSON_AddArrayToObject(o, "cluster");
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(d, "cluster")) {
		const cJSON *row = store_find(s->clusters, c->valueint);
		if (row)
			cJSON_AddItemToArray(clusters, with_uri(row, "logical_cluster"));
	}
	cJSON *backends = cJSON_AddArrayToObject(o, "backends");
	cJSON_ArrayForEach (b, s->backends) {
		if (cJSON_GetObjectItemCaseSensitive(b, "director")->valueint == id)
			cJSON_AddItemToArray(
			    backends, cJSON_CreateString(store_uri(
			                  uri, sizeof(uri), "backend",
			                  cJSON_GetObjectItemCaseSensitive(b, "id")->valueint)));
	}
	return o;
}

cJSON *store_backend_json(const struct vstore *s, const cJSON *b)
{
	char uri[96];
	cJSON *o = with_uri(b, "backend");
	static const char *const dec[] = {"connect_timeout", "first_byte_timeout",
	                                  "between_bytes_timeout"};
	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++) {
		double v = decimal_of(cJSON_GetObjectItemCaseSensitive(b, dec[i]));
		cJSON_DeleteItemFromObjectCaseSensitive(o, dec[i]);
		add_decimal(o, dec[i], v);
	}
	int dc_id = cJSON_GetObjectItemCaseSensitive(b, "dc")->valueint;
	int dir_id = cJSON_GetObjectItemCaseSensitive(b, "director")->valueint;
	const cJSON *dc = store_find(s->dcs, dc_id), *dir = store_find(s->directors, dir_id);
	cJSON_DeleteItemFromObjectCaseSensitive(o, "dc");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "director");
	cJSON_AddItemToObject(o, "dc", dc ? store_dc_json(s, dc) : cJSON_CreateNull());
	cJSON_AddStringToObject(o, "director", store_uri(uri, sizeof(uri), "director", dir_id));
	cJSON_AddStringToObject(o, "status", "Unknown");
	cJSON *tp = cJSON_AddObjectToObject(o, "time_profile");
	const cJSON *prof =
	    dir ? store_find(s->time_profiles,
	                     cJSON_GetObjectItemCaseSensitive(dir, "time_profile")->valueint)
	        : NULL;
	const cJSON *mc = cJSON_GetObjectItemCaseSensitive(prof, "max_connections");
	cJSON_AddNumberToObject(tp, "max_connections", cJSON_IsNumber(mc) ? mc->valuedouble : 5);
	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++)
		add_decimal(tp, dec[i], decimal_of(cJSON_GetObjectItemCaseSensitive(prof, dec[i])));
	return o;
}

/* ------------------------------------------------------------ tasks */

void store_task_new(struct vstore *s, char uuid[37])
{
	uint8_t id[16];
	uuid4_new(id);
	uuid4_format(id, uuid);
	cJSON *t = cJSON_AddObjectToObject(s->tasks, uuid);
	cJSON_AddStringToObject(t, "status", s->task_status ? s->task_status : "SUCCESS");
	cJSON_AddStringToObject(t, "info", s->task_info ? s->task_info : "None");
	cJSON_AddNumberToObject(t, "pending_polls", s->task_pending_polls);
	cJSON_AddNumberToObject(t, "polls", 0);
}

cJSON *store_task_json(struct vstore *s, const char *uuid)
{
	char uri[128];
	cJSON *o = cJSON_CreateObject();
	cJSON *t = cJSON_GetObjectItemCaseSensitive(s->tasks, uuid);
	const char *status = "PENDING", *info = "None";
	if (t) {
		cJSON *polls = cJSON_GetObjectItemCaseSensitive(t, "polls");
		cJSON_SetNumberValue(polls, polls->valuedouble + 1);
		if (polls->valuedouble >
		    cJSON_GetObjectItemCaseSensitive(t, "pending_polls")->valuedouble) {
			status = cJSON_GetObjectItemCaseSensitive(t, "status")->valuestring;
			info = cJSON_GetObjectItemCaseSensitive(t, "info")->valuestring;
		}
	}
	cJSON_AddStringToObject(o, "info", info);
	snprintf(uri, sizeof(uri), VAAS_API "task/%s/", uuid);
	cJSON_AddStringToObject(o, "resource_uri", uri);
	cJSON_AddStringToObject(o, "status", status);
	return o;
}
