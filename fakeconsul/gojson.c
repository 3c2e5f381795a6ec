/* Go's encoding/json filling a struct (see gojson.h). */
#include "gojson.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

const char *gojson_type(const cJSON *j)
{
	if (cJSON_IsString(j))
		return "string";
	if (cJSON_IsNumber(j))
		return "number";
	if (cJSON_IsBool(j))
		return "bool";
	if (cJSON_IsArray(j))
		return "array";
	if (cJSON_IsObject(j))
		return "object";
	return "null";
}

void gojson_record(struct gojson *d, const char *fmt, ...)
{
	if (d->saved[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->saved, d->len, fmt, ap);
	va_end(ap);
}

static void type_error(struct gojson *d, const cJSON *j, const char *gostruct, const char *field,
                       const char *gotype)
{
	gojson_record(d, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
	              gojson_type(j), gostruct, field, gotype);
}

const struct gojson_field *gojson_find(const struct gojson_field *const *tabs, const char *key)
{
	for (; *tabs; tabs++)
		for (const struct gojson_field *f = *tabs; f->name; f++)
			if (strcasecmp(f->name, key) == 0)
				return f;
	return NULL;
}

/* The first member of an array or object that is not a string, or NULL. */
static const cJSON *non_string(const cJSON *j)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, j) {
		if (!cJSON_IsString(it))
			return it;
	}
	return NULL;
}

static bool int_ok(const cJSON *j)
{
	return cJSON_IsNumber(j) && j->valuedouble == floor(j->valuedouble) &&
	       fabs(j->valuedouble) <= 2147483647.0;
}

/* Whether j may go into field f; records the error when not. Nested
 * structs are decoded by the same decoder, so their errors are recorded
 * here too. */
static bool type_ok(struct gojson *d, const struct gojson_field *f, const cJSON *j,
                    const char *gostruct)
{
	const cJSON *bad, *it;
	switch (f->kind) {
	case GOJSON_STR:
		if (cJSON_IsString(j))
			return true;
		type_error(d, j, gostruct, f->name, "string");
		return false;
	case GOJSON_BOOL:
		if (cJSON_IsBool(j))
			return true;
		type_error(d, j, gostruct, f->name, "bool");
		return false;
	case GOJSON_INT:
		if (int_ok(j))
			return true;
		type_error(d, j, gostruct, f->name, "int");
		return false;
	case GOJSON_ANY:
	case GOJSON_CUSTOM:
		return true;
	case GOJSON_STRS:
	case GOJSON_STRMAP:
		if ((f->kind == GOJSON_STRS && !cJSON_IsArray(j)) ||
		    (f->kind == GOJSON_STRMAP && !cJSON_IsObject(j))) {
			type_error(d, j, gostruct, f->name,
			           f->kind == GOJSON_STRS ? "[]string" : "map[string]string");
			return false;
		}
		if ((bad = non_string(j))) { /* Go names the element's type */
			type_error(d, bad, gostruct, f->name, "string");
			return false;
		}
		return true;
	case GOJSON_HEADER: {
		bool ok = cJSON_IsObject(j);
		cJSON_ArrayForEach (it, j) {
			ok = ok && cJSON_IsArray(it) && !non_string(it);
		}
		if (!ok)
			type_error(d, j, gostruct, f->name, "map[string][]string");
		return ok;
	}
	case GOJSON_OBJECT:
	case GOJSON_STRUCT:
	case GOJSON_STRUCTMAP:
		if (!cJSON_IsObject(j)) {
			type_error(d, j, gostruct, f->name, f->gotype);
			return false;
		}
		if (f->kind == GOJSON_STRUCT) {
			const cJSON *sub[GOJSON_MAX_SUB] = {0};
			gojson_decode(d, j, f->sub->tables, f->sub->name, sub);
		} else if (f->kind == GOJSON_STRUCTMAP) {
			cJSON_ArrayForEach (it, j) {
				const cJSON *sub[GOJSON_MAX_SUB] = {0};
				if (cJSON_IsObject(it))
					gojson_decode(d, it, f->sub->tables, f->sub->name, sub);
				else if (!cJSON_IsNull(it))
					type_error(d, it, gostruct, f->name, f->sub->value_type);
			}
		}
		return true;
	case GOJSON_ARRAY:
	case GOJSON_CUSTOMS:
		if (cJSON_IsArray(j))
			return true;
		type_error(d, j, gostruct, f->name, f->gotype);
		return false;
	}
	return false;
}

void gojson_decode(struct gojson *d, const cJSON *obj, const struct gojson_field *const *tabs,
                   const char *gostruct, const cJSON **vals)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, obj) {
		const struct gojson_field *f = gojson_find(tabs, it->string);
		if (!f) {
			gojson_record(d, "json: unknown field \"%s\"", it->string);
			continue;
		}
		if (cJSON_IsNull(it)) {
			/* null leaves a string, number or bool as it was and
			 * empties anything else */
			if (f->kind != GOJSON_STR && f->kind != GOJSON_BOOL &&
			    f->kind != GOJSON_INT)
				vals[f->slot] = it;
			continue;
		}
		if (type_ok(d, f, it, gostruct))
			vals[f->slot] = it;
	}
}
