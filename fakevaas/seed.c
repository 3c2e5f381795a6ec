/* Loading the fake VaaS's seed into its store (see seed.h). */
#include "seed.h"

#include "backend_form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tables[] = {"dcs",       "clusters", "probes", "time_profiles",
                                     "directors", "backends", "users"};

static cJSON **table_ptr(struct vstore *s, size_t i)
{
	cJSON **t[] = {&s->dcs,       &s->clusters, &s->probes, &s->time_profiles,
	               &s->directors, &s->backends, &s->users};
	return t[i];
}

static int seed_error(char *err, size_t errlen, const char *source, const char *table, int i,
                      const char *what)
{
	if (i >= 0)
		snprintf(err, errlen, "%s: %s[%d]%s", source, table, i, what);
	else
		snprintf(err, errlen, "%s: %s%s", source, table, what);
	return -1;
}

/* Every row an object with a unique positive integer id. */
static int check_ids(const cJSON *t, const char *source, const char *name, char *err, size_t errlen)
{
	const cJSON *row;
	int i = 0;
	cJSON_ArrayForEach (row, t) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "id");
		if (!cJSON_IsObject(row))
			return seed_error(err, errlen, source, name, i, ": not an object");
		if (!cJSON_IsNumber(id) || id->valueint < 1 || id->valuedouble != id->valueint)
			return seed_error(err, errlen, source, name, i,
			                  ".id: must be a positive integer");
		if (store_find(t, id->valueint) != row)
			return seed_error(err, errlen, source, name, i, ".id: duplicate id");
		i++;
	}
	return 0;
}

static int check_ref(const cJSON *row, const char *field, const cJSON *target, const char *source,
                     const char *table, int i, char *err, size_t errlen)
{
	char what[128];
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, field);
	if (!cJSON_IsNumber(v) || !store_find(target, v->valueint)) {
		snprintf(what, sizeof(what), ".%s: no such %s id", field, field);
		return seed_error(err, errlen, source, table, i, what);
	}
	return 0;
}

static int check_strings(const cJSON *row, const char *const *fields, const char *source,
                         const char *table, int i, char *err, size_t errlen)
{
	char what[128];
	for (; *fields; fields++)
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(row, *fields))) {
			snprintf(what, sizeof(what), ".%s: must be a string", *fields);
			return seed_error(err, errlen, source, table, i, what);
		}
	return 0;
}

static int load_tables(struct vstore *s, const cJSON *root, const char *source, char *err,
                       size_t errlen)
{
	cJSON *row;
	int i;
	static const char *const dc_fields[] = {"name", "symbol", NULL};
	static const char *const dir_fields[] = {"name", NULL};
	static const char *const user_fields[] = {"username", "api_key", NULL};

	if (!cJSON_IsObject(root))
		return seed_error(err, errlen, source, "", -1, "the seed must be a JSON object");
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, tables[t]);
		if (a && !cJSON_IsArray(a))
			return seed_error(err, errlen, source, tables[t], -1, ": must be an array");
		*table_ptr(s, t) = a ? cJSON_Duplicate(a, 1) : cJSON_CreateArray();
		if (strcmp(tables[t], "users") != 0 && strcmp(tables[t], "backends") != 0 &&
		    check_ids(*table_ptr(s, t), source, tables[t], err, errlen) < 0)
			return -1;
	}
	i = 0;
	cJSON_ArrayForEach (row, s->dcs) {
		if (check_strings(row, dc_fields, source, "dcs", i++, err, errlen) < 0)
			return -1;
	}
	i = 0;
	cJSON_ArrayForEach (row, s->directors) {
		const cJSON *c;
		if (check_strings(row, dir_fields, source, "directors", i, err, errlen) < 0 ||
		    check_ref(row, "probe", s->probes, source, "directors", i, err, errlen) < 0 ||
		    check_ref(row, "time_profile", s->time_profiles, source, "directors", i, err,
		              errlen) < 0)
			return -1;
		cJSON *clusters = cJSON_GetObjectItemCaseSensitive(row, "cluster");
		if (!clusters)
			clusters = cJSON_AddArrayToObject(row, "cluster");
		if (!cJSON_IsArray(clusters))
			return seed_error(err, errlen, source, "directors", i,
			                  ".cluster: must be a list of cluster ids");
		cJSON_ArrayForEach (c, clusters) {
			if (!cJSON_IsNumber(c) || !store_find(s->clusters, c->valueint))
				return seed_error(err, errlen, source, "directors", i,
				                  ".cluster: no such cluster id");
		}
		i++;
	}
	i = 0;
	cJSON_ArrayForEach (row, s->users) {
		if (check_strings(row, user_fields, source, "users", i++, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* Seed backends go through the API's validation, with dc and director
 * given as ids. */
static int load_backends(struct vstore *s, const char *source, char *err, size_t errlen)
{
	cJSON *seed = s->backends, *row;
	int i = 0;
	s->backends = cJSON_CreateArray();
	s->next_backend_id = 1;
	cJSON_ArrayForEach (row, seed) {
		char uri[96], what[512];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "id");
		cJSON *in = cJSON_Duplicate(row, 1), *out = NULL, *error = NULL;
		static const char *const refs[] = {"dc", "director"};
		for (size_t r = 0; r < 2; r++) {
			cJSON *ref = cJSON_GetObjectItemCaseSensitive(in, refs[r]);
			if (cJSON_IsNumber(ref))
				cJSON_ReplaceItemInObjectCaseSensitive(
				    in, refs[r],
				    cJSON_CreateString(store_uri(
				        uri, sizeof(uri), r ? "director" : "dc", ref->valueint)));
		}
		int bid = cJSON_IsNumber(id) ? id->valueint : s->next_backend_id;
		if (bid < 1 || store_find(s->backends, bid)) {
			cJSON_Delete(in);
			cJSON_Delete(seed);
			return seed_error(err, errlen, source, "backends", i,
			                  ".id: must be a unique positive integer");
		}
		if (bform_build(s, in, NULL, bid, &out, &error) != 0) {
			char *e = cJSON_PrintUnformatted(error);
			snprintf(what, sizeof(what), ": %s", e ? e : "invalid");
			free(e);
			cJSON_Delete(error);
			cJSON_Delete(in);
			cJSON_Delete(seed);
			return seed_error(err, errlen, source, "backends", i, what);
		}
		cJSON_Delete(in);
		cJSON_ReplaceItemInObjectCaseSensitive(out, "id", cJSON_CreateNumber(bid));
		cJSON_AddItemToArray(s->backends, out);
		if (bid >= s->next_backend_id)
			s->next_backend_id = bid + 1;
		i++;
	}
	cJSON_Delete(seed);
	return 0;
}

int seed_load(struct vstore *s, const char *json, size_t len, const char *source, char *err,
              size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->tasks = cJSON_CreateObject();
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!root) {
		snprintf(err, errlen, "%s: not valid JSON (near byte %ld)", source,
		         (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - json : 0));
		store_free(s);
		return -1;
	}
	int rc = load_tables(s, root, source, err, errlen);
	cJSON_Delete(root);
	if (rc == 0)
		rc = load_backends(s, source, err, errlen);
	if (rc < 0)
		store_free(s);
	return rc;
}
