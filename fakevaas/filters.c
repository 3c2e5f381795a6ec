/* tastypie list filtering for the fake VaaS's dc, director and backend
 * lists: "?field=value" or "?field__exact=value" on the fields each resource
 * allows (as in VaaS's Meta.filtering), the relation filters of backends
 * (director__name, dc__symbol, ...) and its custom "tag=a,b" (any of).
 * Unknown parameters are ignored; a known field that does not allow
 * filtering gets 400 {"error":"The 'x' field does not allow filtering."}. */
#include "fakevaas.h"

#include "tastypie.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fkind { F_STR, F_BOOL, F_INT, F_IGNORED, F_DENIED };

struct ffield {
	const char *name;
	enum fkind kind;
};

static const struct ffield dc_fields[] = {{"symbol", F_STR},
                                          {"id", F_DENIED},
                                          {"name", F_DENIED},
                                          {"resource_uri", F_DENIED},
                                          {NULL, F_STR}};

static const struct ffield director_fields[] = {{"name", F_STR},
                                                {"service", F_STR},
                                                {"service_tag", F_STR},
                                                {"enabled", F_BOOL},
                                                {"virtual", F_BOOL},
                                                {"reachable_via_service_mesh", F_BOOL},
                                                {"probe", F_IGNORED},
                                                {"cluster", F_IGNORED},
                                                {"id", F_DENIED},
                                                {"mode", F_DENIED},
                                                {"protocol", F_DENIED},
                                                {"router", F_DENIED},
                                                {"route_expression", F_DENIED},
                                                {"hashing_policy", F_DENIED},
                                                {"active_active", F_DENIED},
                                                {"remove_path", F_DENIED},
                                                {"time_profile", F_DENIED},
                                                {"backends", F_DENIED},
                                                {"service_mesh_label", F_DENIED},
                                                {"resource_uri", F_DENIED},
                                                {NULL, F_STR}};

/* Backend relations (dc, director) are handled in backend_match. */
static const struct ffield backend_fields[] = {{"address", F_STR},
                                               {"port", F_INT},
                                               {"dc", F_IGNORED},
                                               {"director", F_IGNORED},
                                               {"id", F_DENIED},
                                               {"weight", F_DENIED},
                                               {"enabled", F_DENIED},
                                               {"max_connections", F_DENIED},
                                               {"connect_timeout", F_DENIED},
                                               {"first_byte_timeout", F_DENIED},
                                               {"between_bytes_timeout", F_DENIED},
                                               {"inherit_time_profile", F_DENIED},
                                               {"status", F_DENIED},
                                               {"tags", F_DENIED},
                                               {"time_profile", F_DENIED},
                                               {"resource_uri", F_DENIED},
                                               {NULL, F_STR}};

struct filter {
	char *key;   /* full key, e.g. "director__name" (owned) */
	char *field; /* first part (owned) */
	char *rest;  /* after the first "__", "" when none (owned) */
	char *value; /* owned */
	enum fkind kind;
};

struct fctx {
	const struct ffield *fields;
	struct filter *f;
	size_t n;
	char error[256];
};

static const struct ffield *find_field(const struct ffield *fields, const char *name)
{
	for (; fields->name; fields++)
		if (strcmp(fields->name, name) == 0)
			return fields;
	return NULL;
}

static void collect(void *data, const char *key, const char *value)
{
	struct fctx *c = data;
	if (c->error[0] || strcmp(key, "tag") == 0) {
		if (!c->error[0] && value) { /* backends' custom filter */
			struct filter *nf = realloc(c->f, (c->n + 1) * sizeof(*nf));
			if (nf) {
				c->f = nf;
				c->f[c->n++] = (struct filter){strdup(key), strdup(key), strdup(""),
				                               strdup(value), F_STR};
			}
		}
		return;
	}
	const char *sep = strstr(key, "__");
	char *field = sep ? strndup(key, (size_t)(sep - key)) : strdup(key);
	const struct ffield *ff = find_field(c->fields, field);
	if (!ff) { /* not a field: ignored, as tastypie does */
		free(field);
		return;
	}
	if (ff->kind == F_DENIED) {
		snprintf(c->error, sizeof(c->error), "The '%s' field does not allow filtering.",
		         field);
		free(field);
		return;
	}
	const char *rest = sep ? sep + 2 : "";
	if (ff->kind != F_IGNORED && *rest && strcmp(rest, "exact") != 0) {
		snprintf(c->error, sizeof(c->error),
		         "'%s' is not an allowed filter on the '%s' field.", rest, field);
		free(field);
		return;
	}
	struct filter *nf = realloc(c->f, (c->n + 1) * sizeof(*nf));
	if (!nf) {
		free(field);
		return;
	}
	c->f = nf;
	c->f[c->n++] =
	    (struct filter){strdup(key), field, strdup(rest), strdup(value ? value : ""), ff->kind};
}

static bool bool_value(const char *v)
{
	return strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "True") == 0;
}

static bool field_matches(const cJSON *row, const struct filter *f)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, f->field);
	switch (f->kind) {
	case F_STR:
		return cJSON_IsString(v) && strcmp(v->valuestring, f->value) == 0;
	case F_BOOL:
		return cJSON_IsBool(v) && (bool)cJSON_IsTrue(v) == bool_value(f->value);
	case F_INT:
		return cJSON_IsNumber(v) && v->valueint == atoi(f->value) && *f->value;
	default:
		return true;
	}
}

/* dc=<id or URI>, dc__id, dc__symbol, dc__name and the same for director. */
static bool relation_matches(const struct vstore *s, const cJSON *row, const struct filter *f)
{
	bool is_dc = strcmp(f->field, "dc") == 0;
	const cJSON *table = is_dc ? s->dcs : s->directors;
	int id = cJSON_GetObjectItemCaseSensitive(row, f->field)->valueint;
	const cJSON *target = store_find(table, id);
	if (!*f->rest || strcmp(f->rest, "exact") == 0 || strcmp(f->rest, "id") == 0) {
		int want = store_uri_id(f->value, is_dc ? "dc" : "director");
		return id == (want > 0 ? want : atoi(f->value));
	}
	char sub[64];
	snprintf(sub, sizeof(sub), "%s", f->rest);
	char *dunder = strstr(sub, "__");
	if (dunder && strcmp(dunder, "__exact") == 0)
		*dunder = '\0';
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(target, sub);
	if (cJSON_IsString(v))
		return strcmp(v->valuestring, f->value) == 0;
	if (cJSON_IsNumber(v))
		return v->valueint == atoi(f->value);
	if (cJSON_IsBool(v))
		return (bool)cJSON_IsTrue(v) == bool_value(f->value);
	return false;
}

static bool tag_matches(const cJSON *row, const char *value)
{
	char *copy = strdup(value), *save = NULL;
	bool hit = false;
	for (char *t = strtok_r(copy, ",", &save); t && !hit; t = strtok_r(NULL, ",", &save)) {
		const cJSON *have;
		cJSON_ArrayForEach (have, cJSON_GetObjectItemCaseSensitive(row, "tags")) {
			hit |= cJSON_IsString(have) && strcmp(have->valuestring, t) == 0;
		}
	}
	free(copy);
	return hit;
}

static bool row_matches(const struct vstore *s, const char *resource, const cJSON *row,
                        const struct fctx *c)
{
	bool backend = strcmp(resource, "backend") == 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct filter *f = &c->f[i];
		bool ok;
		if (strcmp(f->key, "tag") == 0)
			ok = !backend || tag_matches(row, f->value);
		else if (backend &&
		         (strcmp(f->field, "dc") == 0 || strcmp(f->field, "director") == 0))
			ok = relation_matches(s, row, f);
		else
			ok = field_matches(row, f);
		if (!ok)
			return false;
	}
	return true;
}

cJSON *fv_filter(struct httpd_req *r, const struct vstore *s, const char *resource, cJSON *rows)
{
	struct fctx c = {0};
	c.fields = strcmp(resource, "dc") == 0         ? dc_fields
	           : strcmp(resource, "director") == 0 ? director_fields
	                                               : backend_fields;
	httpd_query_each(r, collect, &c);
	cJSON *kept = NULL;
	if (c.error[0]) {
		tp_reply_error(r, c.error);
	} else {
		kept = cJSON_CreateArray();
		cJSON *row;
		cJSON_ArrayForEach (row, rows) {
			if (row_matches(s, resource, row, &c))
				cJSON_AddItemToArray(kept, cJSON_Duplicate(row, 1));
		}
	}
	cJSON_Delete(rows);
	for (size_t i = 0; i < c.n; i++) {
		free(c.f[i].key);
		free(c.f[i].field);
		free(c.f[i].rest);
		free(c.f[i].value);
	}
	free(c.f);
	return kept;
}
