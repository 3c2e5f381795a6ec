/* Reading a Marathon app's fields with errors that name them (see conv.h). */
#include "conv.h"

#include <stdarg.h>
#include <stdio.h>

int conv_fail(struct conv *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s", c->ctx->file ? c->ctx->file : "app", msg);
	return -1;
}

const char *conv_type_name(const cJSON *j)
{
	if (cJSON_IsString(j))
		return "a string";
	if (cJSON_IsNumber(j))
		return "a number";
	if (cJSON_IsBool(j))
		return "a boolean";
	if (cJSON_IsArray(j))
		return "an array";
	if (cJSON_IsObject(j))
		return "an object";
	return "null";
}

int conv_string(struct conv *c, const cJSON *obj, const char *key, const char *path,
                const char **out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!j || cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsString(j))
		return conv_fail(c, "%s%s: expected a string, got %s", path, key,
		                 conv_type_name(j));
	*out = j->valuestring;
	return 0;
}

int conv_number(struct conv *c, const cJSON *obj, const char *key, const char *path, double *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!j || cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsNumber(j))
		return conv_fail(c, "%s%s: expected a number, got %s", path, key,
		                 conv_type_name(j));
	*out = j->valuedouble;
	return 0;
}

int conv_bool(struct conv *c, const cJSON *obj, const char *key, const char *path, bool *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!j || cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsBool(j))
		return conv_fail(c, "%s%s: expected a boolean, got %s", path, key,
		                 conv_type_name(j));
	*out = cJSON_IsTrue(j);
	return 0;
}

int conv_kind(struct conv *c, const cJSON *obj, const char *key, const char *path, bool array,
              const cJSON **out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!j || cJSON_IsNull(j))
		return 0;
	if (array ? !cJSON_IsArray(j) : !cJSON_IsObject(j))
		return conv_fail(c, "%s%s: expected %s, got %s", path, key,
		                 array ? "an array" : "an object", conv_type_name(j));
	*out = j;
	return 0;
}

int conv_string_map(struct conv *c, const cJSON *obj, const char *path)
{
	const cJSON *kv;
	cJSON_ArrayForEach (kv, obj) {
		if (!cJSON_IsString(kv))
			return conv_fail(c, "%s.%s: expected a string, got %s", path, kv->string,
			                 conv_type_name(kv));
	}
	return 0;
}
