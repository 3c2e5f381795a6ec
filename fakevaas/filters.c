/* tastypie list filtering for the fake VaaS's dc, director and backend lists,
 * as ModelResource.build_filters and check_filtering do it, then Django's
 * lookups:
 *  - a parameter that names no field of the resource is ignored (limit,
 *    username, and fields VaaS only adds when it renders, such as a
 *    backend's status and time_profile);
 *  - "field__bits__lookup": the lookup (exact when none) must be allowed by
 *    the resource's Meta.filtering, relations followed only where it says
 *    ALL_WITH_RELATIONS, each related resource checking its own filtering;
 *    otherwise 400 {"error": "The 'x' field does not allow filtering."} and
 *    tastypie's other texts; fields without an attribute (tags,
 *    resource_uri): "The 'x' field is not a valid field name";
 *  - the values: tastypie's string_to_python (true, false, none), then the
 *    field's type: a number that does not parse is 400 "Invalid resource
 *    lookup data provided (mismatched type).", a boolean Django's message;
 *  - a backend's custom "tag=a,b" (the last one given): backends with any of
 *    the tags, once for every tag they match, as Django's join returns them.
 * Lookups fakevaas does not model (range, regex, dates) answer 501; a row
 * reached through a many-to-many (a director's clusters) comes once, where
 * Django's join would repeat it for every related row that matches. */
#include "fakevaas.h"

#include "tastypie.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum fkind {
	F_STR,
	F_INT,
	F_BOOL,
	F_OTHER,  /* decimals and the like: no resource lets them filter */
	F_FK,     /* a ForeignKey: the row holds the related id */
	F_M2M,    /* a many-to-many: the row holds a list of related ids */
	F_NOATTR, /* a field without attribute (ListField, resource_uri) */
};

enum filtering { NONE, EXACT, ALL, ALL_WITH_RELATIONS };

struct resdef;

struct ffield {
	const char *name;
	enum fkind kind;
	enum filtering filtering;
	const struct resdef *related; /* F_FK, F_M2M */
};

struct resdef {
	const char *name;
	const struct ffield *fields; /* ended by a NULL name */
	size_t table;                /* offsetof the rows in struct vstore */
};

#define TABLE(t) offsetof(struct vstore, t)

static const struct ffield dc_fields[] = {
    {"resource_uri", F_NOATTR, NONE, NULL}, {"id", F_INT, NONE, NULL}, {"name", F_STR, NONE, NULL},
    {"symbol", F_STR, EXACT, NULL},         {NULL, F_STR, NONE, NULL},
};
static const struct resdef dc = {"dc", dc_fields, TABLE(dcs)};

static const struct ffield probe_fields[] = {
    {"resource_uri", F_NOATTR, NONE, NULL},
    {"id", F_INT, NONE, NULL},
    {"name", F_STR, EXACT, NULL},
    {"url", F_STR, EXACT, NULL},
    {"expected_response", F_STR, EXACT, NULL},
    {NULL, F_STR, NONE, NULL},
};
static const struct resdef probe = {"probe", probe_fields, TABLE(probes)};

static const struct ffield cluster_fields[] = {
    {"resource_uri", F_NOATTR, NONE, NULL},   {"id", F_INT, NONE, NULL}, {"name", F_STR, ALL, NULL},
    {"reload_timestamp", F_STR, EXACT, NULL}, {NULL, F_STR, NONE, NULL},
};
static const struct resdef cluster = {"logical_cluster", cluster_fields, TABLE(clusters)};

static const struct ffield director_fields[] = {
    {"resource_uri", F_NOATTR, NONE, NULL},
    {"id", F_INT, NONE, NULL},
    {"name", F_STR, EXACT, NULL},
    {"service", F_STR, EXACT, NULL},
    {"service_tag", F_STR, EXACT, NULL},
    {"service_mesh_label", F_STR, NONE, NULL},
    {"enabled", F_BOOL, EXACT, NULL},
    {"virtual", F_BOOL, EXACT, NULL},
    {"reachable_via_service_mesh", F_BOOL, EXACT, NULL},
    {"probe", F_FK, ALL_WITH_RELATIONS, &probe},
    {"cluster", F_M2M, ALL_WITH_RELATIONS, &cluster},
    {"time_profile", F_FK, NONE, NULL},
    {"backends", F_M2M, NONE, NULL},
    {"mode", F_STR, NONE, NULL},
    {"protocol", F_STR, NONE, NULL},
    {"hashing_policy", F_STR, NONE, NULL},
    {"router", F_STR, NONE, NULL},
    {"route_expression", F_STR, NONE, NULL},
    {"active_active", F_BOOL, NONE, NULL},
    {"remove_path", F_BOOL, NONE, NULL},
    {NULL, F_STR, NONE, NULL},
};
static const struct resdef director = {"director", director_fields, TABLE(directors)};

/* status and time_profile are no fields: VaaS adds them in dehydrate. */
static const struct ffield backend_fields[] = {
    {"resource_uri", F_NOATTR, NONE, NULL},
    {"id", F_INT, NONE, NULL},
    {"address", F_STR, EXACT, NULL},
    {"port", F_INT, EXACT, NULL},
    {"dc", F_FK, ALL_WITH_RELATIONS, &dc},
    {"director", F_FK, ALL_WITH_RELATIONS, &director},
    {"weight", F_INT, NONE, NULL},
    {"enabled", F_BOOL, NONE, NULL},
    {"inherit_time_profile", F_BOOL, NONE, NULL},
    {"max_connections", F_INT, NONE, NULL},
    {"connect_timeout", F_OTHER, NONE, NULL},
    {"first_byte_timeout", F_OTHER, NONE, NULL},
    {"between_bytes_timeout", F_OTHER, NONE, NULL},
    {"tags", F_NOATTR, NONE, NULL},
    {NULL, F_STR, NONE, NULL},
};
static const struct resdef backend = {"backend", backend_fields, TABLE(backends)};

/* Django's lookups, as the last bit of a filter may name them. */
static const char *const lookups[] = {
    "exact",     "iexact",   "gt",        "gte",        "lt",          "lte",
    "in",        "contains", "icontains", "startswith", "istartswith", "endswith",
    "iendswith", "range",    "isnull",    "regex",      "iregex",      NULL};

#define MAX_BITS 8

struct filter {
	char *value;                         /* owned; NULL for a flag */
	const struct ffield *path[MAX_BITS]; /* the fields followed */
	size_t npath;
	char lookup[16];
};

struct fctx {
	const struct resdef *res;
	struct filter *f;
	size_t n;
	char *tag; /* the last tag= (owned) */
	char error[256];
};

static const struct ffield *find_field(const struct resdef *r, const char *name)
{
	for (const struct ffield *f = r->fields; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static bool is_lookup(const char *s)
{
	for (const char *const *l = lookups; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

/* tastypie's check_filtering, recursively over the related resources; fills
 * the path. Returns 0, or -1 with the error. */
static int check_filtering(struct fctx *c, struct filter *f, const struct resdef *r, char **bits,
                           size_t nbits, const char *lookup)
{
	const struct ffield *field = find_field(r, bits[0]);
	if (!field || field->filtering == NONE) {
		snprintf(c->error, sizeof(c->error), "The '%s' field does not allow filtering.",
		         bits[0]);
		return -1;
	}
	if (field->filtering == EXACT && strcmp(lookup, "exact") != 0) {
		snprintf(c->error, sizeof(c->error),
		         "'%s' is not an allowed filter on the '%s' field.", lookup, bits[0]);
		return -1;
	}
	if (f->npath < MAX_BITS)
		f->path[f->npath++] = field;
	if (nbits == 1)
		return 0;
	if (field->kind != F_FK && field->kind != F_M2M) {
		snprintf(c->error, sizeof(c->error), "The '%s' field does not support relations.",
		         bits[0]);
		return -1;
	}
	if (field->filtering != ALL_WITH_RELATIONS) {
		snprintf(c->error, sizeof(c->error),
		         "Lookups are not allowed more than one level deep on the '%s' field.",
		         bits[0]);
		return -1;
	}
	return check_filtering(c, f, field->related, bits + 1, nbits - 1, lookup);
}

static void collect(void *data, const char *key, const char *value)
{
	struct fctx *c = data;
	if (c->error[0])
		return;
	if (strcmp(key, "tag") == 0) { /* VaaS's own, after tastypie's */
		if (c->res == &backend) {
			free(c->tag);
			c->tag = strdup(value ? value : "");
		}
		return;
	}
	char *copy = strdup(key), *bits[MAX_BITS + 1];
	size_t nbits = 0;
	for (char *p = copy; nbits <= MAX_BITS;) {
		char *sep = strstr(p, "__");
		bits[nbits++] = p;
		if (!sep)
			break;
		*sep = '\0';
		p = sep + 2;
	}
	const struct ffield *field = find_field(c->res, bits[0]);
	if (!field) { /* not a field: ignored, as tastypie does */
		free(copy);
		return;
	}
	if (field->kind == F_NOATTR) {
		snprintf(c->error, sizeof(c->error), "The '%s' field is not a valid field name",
		         bits[0]);
		free(copy);
		return;
	}
	const char *lookup = "exact";
	if (nbits > 1 && is_lookup(bits[nbits - 1]))
		lookup = bits[--nbits];
	struct filter f = {0};
	snprintf(f.lookup, sizeof(f.lookup), "%s", lookup);
	if (nbits > MAX_BITS) {
		snprintf(c->error, sizeof(c->error), "fakevaas does not model filters that deep");
	} else if (check_filtering(c, &f, c->res, bits, nbits, lookup) == 0) {
		struct filter *nf = realloc(c->f, (c->n + 1) * sizeof(*nf));
		if (nf) {
			c->f = nf;
			f.value = value ? strdup(value) : NULL;
			c->f[c->n++] = f;
		}
	}
	free(copy);
}

/* ------------------------------------------------------------ values */

enum verdict { NO, YES, MISMATCH, NOT_BOOL, NOT_MODELLED };

/* tastypie's string_to_python for the parts that matter here. */
enum pyval { PY_STR, PY_TRUE, PY_FALSE, PY_NONE };

static enum pyval to_python(const char *v)
{
	if (!v || strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
		return v ? PY_TRUE : PY_STR;
	if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0)
		return PY_FALSE;
	if (strcmp(v, "nil") == 0 || strcmp(v, "none") == 0 || strcmp(v, "None") == 0)
		return PY_NONE;
	return PY_STR;
}

/* Python's int() of a string: spaces around, a sign, digits with single
 * underscores between them. */
static bool python_int(const char *s, long long *out)
{
	char digits[32];
	size_t n = 0;
	bool neg = false;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!isdigit((unsigned char)*s))
		return false;
	for (; *s && n + 1 < sizeof(digits); s++) {
		if (isdigit((unsigned char)*s))
			digits[n++] = *s;
		else if (*s == '_' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[-1]))
			continue;
		else
			break;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s || n > 18)
		return false;
	digits[n] = '\0';
	*out = strtoll(digits, NULL, 10) * (neg ? -1 : 1);
	return true;
}

/* A value as the field's Python type sees it: an integer (for ints and
 * related ids), or a verdict. */
static enum verdict int_value(const char *v, long long *out)
{
	switch (to_python(v)) {
	case PY_TRUE:
		*out = 1;
		return YES;
	case PY_FALSE:
		*out = 0;
		return YES;
	case PY_NONE:
		return NO; /* exact None: IS NULL, and no row has a null here */
	default:
		return python_int(v, out) ? YES : MISMATCH;
	}
}

/* Django's BooleanField.to_python. */
static enum verdict bool_value(const char *v, bool *out)
{
	static const char *const yes[] = {"t", "True", "1", NULL}, *const no[] = {"f", "False", "0",
	                                                                          NULL};
	switch (to_python(v)) {
	case PY_TRUE:
		*out = true;
		return YES;
	case PY_FALSE:
		*out = false;
		return YES;
	case PY_NONE:
		return NO;
	default:
		for (size_t i = 0; yes[i]; i++) {
			if (strcmp(v, yes[i]) == 0) {
				*out = true;
				return YES;
			}
			if (strcmp(v, no[i]) == 0) {
				*out = false;
				return YES;
			}
		}
		return NOT_BOOL;
	}
}

static bool ends_with(const char *s, const char *t, bool fold)
{
	size_t n = strlen(s), m = strlen(t);
	return n >= m && (fold ? strcasecmp(s + n - m, t) : strcmp(s + n - m, t)) == 0;
}

/* One comparison of a stored value with one filter value. */
static enum verdict compare(const cJSON *have, enum fkind kind, const char *lookup, const char *v)
{
	if (strcmp(lookup, "isnull") == 0) {
		enum pyval p = to_python(v);
		if (p != PY_TRUE && p != PY_FALSE)
			return MISMATCH; /* Django: the value must be True or False */
		return (p == PY_TRUE) == (have == NULL || cJSON_IsNull(have)) ? YES : NO;
	}
	if (kind == F_STR) {
		const char *s = cJSON_IsString(have) ? have->valuestring : "";
		enum pyval p = to_python(v);
		const char *w = p == PY_TRUE ? "True" : p == PY_FALSE ? "False" : v;
		if (p == PY_NONE)
			return NO;
		if (strcmp(lookup, "exact") == 0)
			return strcmp(s, w) == 0 ? YES : NO;
		if (strcmp(lookup, "iexact") == 0)
			return strcasecmp(s, w) == 0 ? YES : NO;
		if (strcmp(lookup, "contains") == 0)
			return strstr(s, w) ? YES : NO;
		if (strcmp(lookup, "icontains") == 0)
			return strcasestr(s, w) ? YES : NO;
		if (strcmp(lookup, "startswith") == 0)
			return strncmp(s, w, strlen(w)) == 0 ? YES : NO;
		if (strcmp(lookup, "istartswith") == 0)
			return strncasecmp(s, w, strlen(w)) == 0 ? YES : NO;
		if (strcmp(lookup, "endswith") == 0 || strcmp(lookup, "iendswith") == 0)
			return ends_with(s, w, lookup[0] == 'i') ? YES : NO;
		return NOT_MODELLED;
	}
	if (kind == F_BOOL) {
		bool b;
		enum verdict vv = bool_value(v, &b);
		if (vv != YES)
			return vv;
		if (strcmp(lookup, "exact") != 0)
			return NOT_MODELLED;
		return cJSON_IsTrue(have) == b ? YES : NO;
	}
	long long want;
	enum verdict vv = int_value(v, &want);
	if (vv != YES)
		return vv;
	long long got = cJSON_IsNumber(have) ? (long long)have->valuedouble : 0;
	if (strcmp(lookup, "exact") == 0)
		return got == want ? YES : NO;
	if (strcmp(lookup, "gt") == 0)
		return got > want ? YES : NO;
	if (strcmp(lookup, "gte") == 0)
		return got >= want ? YES : NO;
	if (strcmp(lookup, "lt") == 0)
		return got < want ? YES : NO;
	if (strcmp(lookup, "lte") == 0)
		return got <= want ? YES : NO;
	return NOT_MODELLED;
}

/* The kind of value a filter compares: the last field's, an id for a
 * relation. */
static enum fkind value_kind(const struct filter *f)
{
	enum fkind k = f->path[f->npath - 1]->kind;
	return k == F_FK || k == F_M2M ? F_INT : k;
}

/* Whether the filter's value(s) suit its field, as Django finds out when
 * the filter is built: YES, or the error. */
static enum verdict check_value(const struct filter *f)
{
	static const char *const modelled[] = {"exact",     "iexact",     "gt",          "gte",
	                                       "lt",        "lte",        "in",          "contains",
	                                       "icontains", "startswith", "istartswith", "endswith",
	                                       "iendswith", "isnull",     NULL};
	bool known = false;
	for (const char *const *m = modelled; *m; m++)
		known |= strcmp(*m, f->lookup) == 0;
	if (!known)
		return NOT_MODELLED;
	const cJSON none = {0};
	char *copy = strdup(f->value ? f->value : ""), *save = NULL;
	enum verdict v = YES;
	if (strcmp(f->lookup, "in") == 0) {
		for (char *p = strtok_r(copy, ",", &save); p && v == YES;
		     p = strtok_r(NULL, ",", &save)) {
			enum verdict one = compare(&none, value_kind(f), "exact", p);
			v = one == YES || one == NO ? YES : one;
		}
	} else {
		enum verdict one = compare(&none, value_kind(f), f->lookup, copy);
		v = one == YES || one == NO ? YES : one;
	}
	free(copy);
	return v;
}

static enum verdict match_value(const cJSON *have, enum fkind kind, const struct filter *f)
{
	if (strcmp(f->lookup, "in") != 0)
		return compare(have, kind, f->lookup, f->value ? f->value : "");
	char *copy = strdup(f->value ? f->value : ""), *save = NULL;
	enum verdict v = NO;
	for (char *p = strtok_r(copy, ",", &save); p && v == NO; p = strtok_r(NULL, ",", &save))
		v = compare(have, kind, "exact", p);
	free(copy);
	return v;
}

/* Whether the row matches the filter from path[depth] on: a relation is
 * followed through its ids, one (ForeignKey) or many (many-to-many: any). */
static bool match(const struct vstore *s, const cJSON *row, const struct filter *f, size_t depth)
{
	const struct ffield *field = f->path[depth];
	const cJSON *have = cJSON_GetObjectItemCaseSensitive(row, field->name), *id;
	bool last = depth + 1 == f->npath;
	if (field->kind != F_FK && field->kind != F_M2M)
		return match_value(have, field->kind, f) == YES;
	cJSON *ids = cJSON_CreateArray();
	if (cJSON_IsNumber(have))
		cJSON_AddItemToArray(ids, cJSON_CreateNumber(have->valuedouble));
	const cJSON *many = field->kind == F_M2M ? have : NULL;
	cJSON_ArrayForEach (id, many) {
		cJSON_AddItemToArray(ids, cJSON_Duplicate(id, 1));
	}
	bool hit = false;
	if (!cJSON_GetArraySize(ids) && last)
		hit = match_value(NULL, F_INT, f) == YES; /* isnull */
	cJSON_ArrayForEach (id, ids) {
		if (hit)
			break;
		if (last) {
			hit = match_value(id, F_INT, f) == YES;
		} else {
			const cJSON *table =
			    *(const cJSON *const *)((const char *)s + field->related->table);
			const cJSON *target = store_find(table, id->valueint);
			hit = target && match(s, target, f, depth + 1);
		}
	}
	cJSON_Delete(ids);
	return hit;
}

static int tag_hits(const cJSON *row, const char *value)
{
	char *copy = strdup(value), *save = NULL;
	int hits = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const cJSON *have;
		cJSON_ArrayForEach (have, cJSON_GetObjectItemCaseSensitive(row, "tags")) {
			hits += cJSON_IsString(have) && strcmp(have->valuestring, t) == 0;
		}
	}
	free(copy);
	return hits;
}

cJSON *fv_filter(struct httpd_req *r, const struct vstore *s, const char *resource, cJSON *rows)
{
	struct fctx c = {0};
	c.res = strcmp(resource, "dc") == 0         ? &dc
	        : strcmp(resource, "director") == 0 ? &director
	                                            : &backend;
	httpd_query_each(r, collect, &c);
	cJSON *kept = NULL, *row;
	enum verdict bad = YES;
	const struct filter *culprit = NULL;
	for (size_t i = 0; i < c.n && !c.error[0] && bad == YES; i++) {
		bad = check_value(&c.f[i]);
		culprit = &c.f[i];
	}
	if (c.error[0]) {
		tp_reply_error(r, c.error);
	} else if (bad == MISMATCH) {
		tp_reply_error(r, "Invalid resource lookup data provided (mismatched type).");
	} else if (bad == NOT_BOOL) { /* Django's ValidationError, as tastypie words it */
		char msg[256];
		snprintf(msg, sizeof(msg),
		         "\xe2\x80\x9c%s\xe2\x80\x9d value must be either True or False.",
		         culprit->value ? culprit->value : "");
		cJSON *e = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(e, "error");
		cJSON_AddItemToArray(list, cJSON_CreateString(msg));
		tp_reply(r, 400, e, NULL);
	} else if (bad == NOT_MODELLED) {
		char msg[128];
		snprintf(msg, sizeof(msg), "fakevaas does not model the '%s' lookup",
		         culprit->lookup);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "error", msg);
		tp_reply(r, 501, e, NULL);
	} else {
		kept = cJSON_CreateArray();
		cJSON_ArrayForEach (row, rows) {
			bool ok = true;
			for (size_t i = 0; i < c.n && ok; i++)
				ok = match(s, row, &c.f[i], 0);
			int times = ok ? (c.tag ? tag_hits(row, c.tag) : 1) : 0;
			for (int t = 0; t < times; t++)
				cJSON_AddItemToArray(kept, cJSON_Duplicate(row, 1));
		}
	}
	cJSON_Delete(rows);
	for (size_t i = 0; i < c.n; i++)
		free(c.f[i].value);
	free(c.f);
	free(c.tag);
	return kept;
}
