/* Backend hydration and validation with VaaS's messages (backend_form.h). */
#include "backend_form.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *error_body(const char *fmt, const char *a, const char *b)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, a, b);
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "error", msg);
	return e;
}

static void add_field_error(cJSON *errs, const char *field, const char *msg);

/* How resource_from_data finds the related object of data given without a
 * resource_uri: obj_get on the data (only the fields the related resource
 * lets filter count; none means every row), and when nothing matches, obj_get
 * on its unique keys. */
enum found { FOUND, FOUND_NONE, FOUND_MANY_500 };

struct related {
	const char *name;                 /* "dc", "director" */
	const char *const *string_fields; /* filterable, exact */
	const char *const *bool_fields;   /* filterable, exact */
	const char *const *relations;     /* filterable relations (not modelled) */
	const char *const *unique;        /* unique and filterable */
};

static const char *const dc_strings[] = {"symbol", NULL};
static const char *const none[] = {NULL};
static const char *const director_strings[] = {"name", "service", "service_tag", NULL};
static const char *const director_bools[] = {"enabled", "virtual", "reachable_via_service_mesh",
                                             NULL};
static const char *const director_relations[] = {"probe", "cluster", NULL};
static const char *const director_unique[] = {"name", NULL};

static const struct related related_dc = {"dc", dc_strings, none, none, dc_strings};
static const struct related related_director = {"director", director_strings, director_bools,
                                                director_relations, director_unique};

static bool listed(const char *const *names, const char *key)
{
	for (; *names; names++)
		if (strcmp(*names, key) == 0)
			return true;
	return false;
}

/* Rows matching the data's filterable members (only the `only` ones when
 * set); *count how many, the last returned. *mismatch when a value cannot
 * be compared (a relation: Django's lookup fails, tastypie says NotFound). */
static const cJSON *filter_rows(const struct related *rel, const cJSON *table, const cJSON *data,
                                const char *const *only, int *count, bool *mismatch)
{
	const cJSON *row, *hit = NULL, *v;
	*count = 0;
	*mismatch = false;
	cJSON_ArrayForEach (v, data) {
		*mismatch |= listed(rel->relations, v->string) && !only;
	}
	if (*mismatch)
		return NULL;
	cJSON_ArrayForEach (row, table) {
		bool ok = true;
		cJSON_ArrayForEach (v, data) {
			if (only && !listed(only, v->string))
				continue;
			const cJSON *have = cJSON_GetObjectItemCaseSensitive(row, v->string);
			if (listed(rel->string_fields, v->string))
				ok = ok && cJSON_IsString(v) && cJSON_IsString(have) &&
				     strcmp(v->valuestring, have->valuestring) == 0;
			else if (listed(rel->bool_fields, v->string))
				ok = ok && cJSON_IsBool(v) && cJSON_IsTrue(v) == cJSON_IsTrue(have);
		}
		if (ok) {
			hit = row;
			(*count)++;
		}
	}
	return hit;
}

static enum found identify(const struct related *rel, const cJSON *table, const cJSON *data,
                           const cJSON **row)
{
	int n;
	bool mismatch;
	*row = filter_rows(rel, table, data, NULL, &n, &mismatch);
	if (n == 1)
		return FOUND;
	if (n > 1) /* MultipleObjectsReturned: tastypie passes */
		return FOUND_NONE;
	/* nothing (or a mismatch): obj_get on the unique keys, where
	 * MultipleObjectsReturned is not caught */
	*row = filter_rows(rel, table, data, rel->unique, &n, &mismatch);
	return n == 1 ? FOUND : n > 1 ? FOUND_MANY_500 : FOUND_NONE;
}

static cJSON *error_500(void)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(
	    e, "error_message",
	    "Sorry, this request could not be processed. Please try again later.");
	return e;
}

/* tastypie's ToOneField hydration: returns the row's id, 0 for null, -1 with
 * *error set (and *status), or FK_UNBOUND for data without a resource_uri:
 * the related object is hydrated from it, but VaaS's form takes a relation
 * from a resource_uri only, so it sees none. Such data may add the related
 * form's errors to *nested. */
#define FK_UNBOUND (-2)

static int hydrate_fk(const struct vstore *s, const cJSON *v, const char *field, const cJSON *table,
                      cJSON *nested, cJSON **error, int *status)
{
	*status = 400;
	if (cJSON_IsNull(v))
		return 0;
	const char *uri = NULL;
	if (cJSON_IsString(v)) {
		uri = v->valuestring;
	} else if (cJSON_IsObject(v)) {
		const cJSON *ru = cJSON_GetObjectItemCaseSensitive(v, "resource_uri");
		if (ru)
			uri = cJSON_IsString(ru) ? ru->valuestring : "";
	} else {
		char *txt = cJSON_PrintUnformatted(v);
		*error = error_body("The '%s' field was given data that was not a URI, not a "
		                    "dictionary-alike and does not have a 'pk' attribute: %s.",
		                    field, txt ? txt : "");
		free(txt);
		return -1;
	}
	if (!uri) { /* an object without resource_uri */
		bool dc = strcmp(field, "dc") == 0;
		const cJSON *row;
		enum found f = identify(dc ? &related_dc : &related_director, table, v, &row);
		if (f == FOUND_MANY_500) {
			*status = 500;
			*error = error_500();
			return -1;
		}
		if (!dc && f == FOUND_NONE) { /* a new director hydrates no further */
			const char *missing =
			    !cJSON_GetObjectItemCaseSensitive(v, "probe")          ? "probe"
			    : !cJSON_GetObjectItemCaseSensitive(v, "time_profile") ? "time_profile"
			                                                           : NULL;
			if (missing) {
				*error =
				    error_body("The '%s' field has no data and doesn't allow a "
				               "default or null value.",
				               missing, "");
				return -1;
			}
		}
		if (dc) { /* DcModelForm on the data over the row found */
			static const char *const required[] = {"name", "symbol"};
			cJSON *errs = cJSON_CreateObject();
			for (size_t i = 0; i < 2; i++) {
				const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, required[i]);
				if (!x && f == FOUND)
					x = cJSON_GetObjectItemCaseSensitive(row, required[i]);
				if (!cJSON_IsString(x) || !*x->valuestring)
					add_field_error(errs, required[i],
					                "This field is required.");
			}
			if (cJSON_GetArraySize(errs) > 0)
				cJSON_AddItemToObject(nested, "dc", errs);
			else
				cJSON_Delete(errs);
		}
		return FK_UNBOUND;
	}
	int id = store_uri_id(uri, field);
	if (id < 1 || !store_find(table, id)) {
		char what[160];
		snprintf(what, sizeof(what), "%s object via resource URI '%s", field, uri);
		*error = error_body("Could not find the provided %s'.", what, "");
		return -1;
	}
	return id;
}

static void add_field_error(cJSON *errs, const char *field, const char *msg)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(errs, field);
	if (!list)
		list = cJSON_AddArrayToObject(errs, field);
	cJSON_AddItemToArray(list, cJSON_CreateString(msg));
}

/* An integer as Django's IntegerField reads it (number or digit string). */
static bool int_of(const cJSON *v, long *out)
{
	if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
	    fabs(v->valuedouble) < 1e15) {
		*out = (long)v->valuedouble;
		return true;
	}
	if (cJSON_IsString(v)) {
		char *end;
		const char *p = v->valuestring;
		while (*p == ' ')
			p++;
		long n = strtol(p, &end, 10);
		while (*end == ' ')
			end++;
		if (end != p && !*end) {
			*out = n;
			return true;
		}
	}
	return false;
}

static void value_text(const cJSON *v, char *buf, size_t len)
{
	if (cJSON_IsString(v)) {
		snprintf(buf, len, "%s", v->valuestring);
	} else {
		char *t = cJSON_PrintUnformatted(v);
		snprintf(buf, len, "%s", t ? t : "");
		free(t);
	}
}

/* A choice field over lo..hi (weight, max_connections). */
static void check_choice(cJSON *row, cJSON *errs, const char *field, long lo, long hi)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, field);
	long n;
	if (int_of(v, &n) && n >= lo && n <= hi) {
		cJSON_ReplaceItemInObjectCaseSensitive(row, field, cJSON_CreateNumber((double)n));
		return;
	}
	char txt[128], msg[256];
	value_text(v, txt, sizeof(txt));
	snprintf(msg, sizeof(msg), "Select a valid choice. %s is not one of the available choices.",
	         txt);
	add_field_error(errs, field, msg);
}

static void check_port(cJSON *row, cJSON *errs)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, "port");
	long n;
	if (!int_of(v, &n))
		add_field_error(errs, "port", "Enter a whole number.");
	else if (n < 0)
		add_field_error(errs, "port", "Ensure this value is greater than or equal to 0.");
	else if (n < 1)
		add_field_error(errs, "port", "Ensure this value is greater than or equal to 1.");
	else if (n > 65535)
		add_field_error(errs, "port", "Ensure this value is less than or equal to 65535.");
	else
		cJSON_ReplaceItemInObjectCaseSensitive(row, "port", cJSON_CreateNumber((double)n));
}

static void check_decimal(cJSON *row, cJSON *errs, const char *field, double lo, double hi,
                          const char *lo_txt, const char *hi_txt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, field);
	double d = 0;
	bool ok = false;
	char msg[128];
	if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
		ok = true;
	} else if (cJSON_IsString(v)) {
		char *end;
		d = strtod(v->valuestring, &end);
		ok = end != v->valuestring && !*end;
	}
	if (!ok) {
		add_field_error(errs, field, "Enter a number.");
		return;
	}
	if (fabs(d * 100 - round(d * 100)) > 1e-6) {
		add_field_error(errs, field,
		                "Ensure that there are no more than 2 decimal places.");
	} else if (d < lo - 1e-9) {
		snprintf(msg, sizeof(msg), "Ensure this value is greater than or equal to %s.",
		         lo_txt);
		add_field_error(errs, field, msg);
	} else if (d > hi + 1e-9) {
		snprintf(msg, sizeof(msg), "Ensure this value is less than or equal to %s.",
		         hi_txt);
		add_field_error(errs, field, msg);
	} else {
		cJSON_ReplaceItemInObjectCaseSensitive(row, field, cJSON_CreateNumber(d));
	}
}

static void check_address(cJSON *row, cJSON *errs)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, "address");
	struct in_addr a;
	if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
		add_field_error(errs, "address", "This field is required.");
	else if (!cJSON_IsString(v) || inet_pton(AF_INET, v->valuestring, &a) != 1)
		add_field_error(errs, "address", "Enter a valid IPv4 address.");
}

static bool truthy(const cJSON *v)
{
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsString(v))
		return *v->valuestring && strcmp(v->valuestring, "false") != 0 &&
		       strcmp(v->valuestring, "False") != 0 && strcmp(v->valuestring, "0") != 0;
	return false;
}

/* tags: a list of strings or a comma-separated string; null is none. */
static cJSON *tags_of(const cJSON *v)
{
	cJSON *out = cJSON_CreateArray(), *t;
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach (t, v) {
			if (cJSON_IsString(t) && *t->valuestring)
				cJSON_AddItemToArray(out, cJSON_CreateString(t->valuestring));
		}
	} else if (cJSON_IsString(v)) {
		char *copy = strdup(v->valuestring), *save = NULL;
		for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			while (*p == ' ')
				p++;
			if (*p)
				cJSON_AddItemToArray(out, cJSON_CreateString(p));
		}
		free(copy);
	}
	return out;
}

static cJSON *defaults(void)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNullToObject(d, "address");
	cJSON_AddNumberToObject(d, "port", 80);
	cJSON_AddNumberToObject(d, "weight", 1);
	cJSON_AddNumberToObject(d, "max_connections", 5);
	cJSON_AddNumberToObject(d, "connect_timeout", 0.3);
	cJSON_AddNumberToObject(d, "first_byte_timeout", 5);
	cJSON_AddNumberToObject(d, "between_bytes_timeout", 1);
	cJSON_AddBoolToObject(d, "enabled", true);
	cJSON_AddBoolToObject(d, "inherit_time_profile", false);
	cJSON_AddItemToObject(d, "tags", cJSON_CreateArray());
	return d;
}

int bform_build(const struct vstore *s, const cJSON *input, const cJSON *existing, int self_id,
                cJSON **row_out, cJSON **error)
{
	static const char *const fields[] = {"address",
	                                     "port",
	                                     "weight",
	                                     "max_connections",
	                                     "connect_timeout",
	                                     "first_byte_timeout",
	                                     "between_bytes_timeout",
	                                     "enabled",
	                                     "inherit_time_profile",
	                                     "tags"};
	cJSON *row = existing ? cJSON_Duplicate(existing, 1) : defaults();
	*row_out = NULL;
	*error = NULL;
	if (!cJSON_IsObject(input)) {
		cJSON_Delete(row);
		*error = error_body("%s%s", "The request body must be a JSON object.", "");
		return 400;
	}

	/* 1. tastypie hydrates the related fields first, dc then director. */
	static const char *const fks[] = {"dc", "director"};
	cJSON *nested = cJSON_CreateObject(); /* the related resources' own errors */
	for (size_t i = 0; i < 2; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(input, fks[i]);
		const cJSON *table = i ? s->directors : s->dcs;
		int status;
		if (!v && existing)
			continue;
		if (!v) {
			cJSON_Delete(row);
			cJSON_Delete(nested);
			*error =
			    error_body("The '%s' field has no data and doesn't allow a default "
			               "or null value.",
			               fks[i], "");
			return 400;
		}
		int id = hydrate_fk(s, v, fks[i], table, nested, error, &status);
		if (id == -1) {
			cJSON_Delete(row);
			cJSON_Delete(nested);
			return status;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(row, fks[i]);
		if (id > 0)
			cJSON_AddNumberToObject(row, fks[i], id);
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(input, fields[i]);
		if (!v)
			continue;
		cJSON *nv = strcmp(fields[i], "tags") == 0 ? tags_of(v) : cJSON_Duplicate(v, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(row, fields[i]);
		cJSON_AddItemToObject(row, fields[i], nv);
	}

	/* 2. the model form. */
	cJSON *errs = cJSON_CreateObject();
	check_address(row, errs);
	check_port(row, errs);
	check_choice(row, errs, "weight", 0, 100);
	if (!cJSON_GetObjectItemCaseSensitive(row, "dc"))
		add_field_error(errs, "dc", "This field is required.");
	check_choice(row, errs, "max_connections", 1, 100);
	check_decimal(row, errs, "connect_timeout", 0.1, 1.0, "0.1", "1.0");
	check_decimal(row, errs, "first_byte_timeout", 0.1, 80.0, "0.1", "80.0");
	check_decimal(row, errs, "between_bytes_timeout", 0.1, 80.0, "0.1", "80.0");
	if (!cJSON_GetObjectItemCaseSensitive(row, "director"))
		add_field_error(errs, "director", "This field is required.");
	static const char *const bools[] = {"enabled", "inherit_time_profile"};
	for (size_t i = 0; i < 2; i++) {
		bool b = truthy(cJSON_GetObjectItemCaseSensitive(row, bools[i]));
		cJSON_ReplaceItemInObjectCaseSensitive(row, bools[i], cJSON_CreateBool(b));
	}

	/* 3. unique together (address, port, director), if those are valid. */
	if (!cJSON_GetObjectItemCaseSensitive(errs, "address") &&
	    !cJSON_GetObjectItemCaseSensitive(errs, "port") &&
	    !cJSON_GetObjectItemCaseSensitive(errs, "director")) {
		const char *addr = cJSON_GetObjectItemCaseSensitive(row, "address")->valuestring;
		int port = cJSON_GetObjectItemCaseSensitive(row, "port")->valueint;
		int dir = cJSON_GetObjectItemCaseSensitive(row, "director")->valueint;
		const cJSON *b;
		cJSON_ArrayForEach (b, s->backends) {
			if (cJSON_GetObjectItemCaseSensitive(b, "id")->valueint != self_id &&
			    strcmp(cJSON_GetObjectItemCaseSensitive(b, "address")->valuestring,
			           addr) == 0 &&
			    cJSON_GetObjectItemCaseSensitive(b, "port")->valueint == port &&
			    cJSON_GetObjectItemCaseSensitive(b, "director")->valueint == dir)
				add_field_error(errs, "__all__",
				                "Backend with this Address, Port and Director "
				                "already exists.");
		}
	}
	if (cJSON_GetArraySize(errs) > 0) {
		cJSON_Delete(row);
		*error = nested;
		cJSON_AddItemToObject(*error, "backend", errs);
		return 400;
	}
	cJSON_Delete(errs);
	cJSON_Delete(nested);
	cJSON_DeleteItemFromObjectCaseSensitive(row, "id");
	cJSON_AddNumberToObject(row, "id", self_id);
	*row_out = row;
	return 0;
}
