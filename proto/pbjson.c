/* Descriptor-driven protobuf <-> JSON codec (see pbjson.h).
 *
 * Writing walks every field descriptor of the message and reads the member
 * at its offset; reading allocates the message, initialises it with its
 * defaults and stores each JSON value at the field's offset. Memory is taken
 * with malloc, the same allocator protobuf_c_message_free_unpacked() uses
 * with a NULL allocator, so the result frees like any unpacked message. */
#include "pbjson.h"

#include "common/base64.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMBER(msg, off) ((void *)((char *)(msg) + (off)))

/* ------------------------------------------------------------------ writing */

static cJSON *int64_json(int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cJSON_CreateRaw(buf);
}

static cJSON *uint64_json(uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_CreateRaw(buf);
}

/* cJSON prints a double with 15 digits whenever that reads back "close
 * enough" (within an epsilon), so values needing 16 or 17 digits came back
 * an ulp off, and it prints -0 as 0. The shortest exact form is written as a
 * raw number instead. JSON has no NaN or infinity: those are left out. */
static cJSON *double_json(double v)
{
	char buf[32];
	if (!isfinite(v))
		return NULL;
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return cJSON_CreateRaw(buf);
}

static cJSON *enum_json(const ProtobufCEnumDescriptor *ed, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);
	return ev ? cJSON_CreateString(ev->name) : NULL; /* unknown value: omitted */
}

static cJSON *bytes_json(const ProtobufCBinaryData *b)
{
	char *s = b64_encode(b->data, b->len);
	cJSON *j = s ? cJSON_CreateString(s) : NULL;
	free(s);
	return j;
}

/* One element of a field (p points at its storage). NULL: skip it. */
static cJSON *value_json(const ProtobufCFieldDescriptor *f, const void *p, int flags)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return cJSON_CreateNumber(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return cJSON_CreateNumber(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return int64_json(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return uint64_json(*(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return double_json(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return double_json(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return cJSON_CreateBool(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		return enum_json(f->descriptor, *(const int *)p);
	case PROTOBUF_C_TYPE_STRING:
		return *(char *const *)p ? cJSON_CreateString(*(char *const *)p) : NULL;
	case PROTOBUF_C_TYPE_BYTES:
		return bytes_json(p);
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(ProtobufCMessage *const *)p
		           ? pbjson_to_json(*(ProtobufCMessage *const *)p, flags)
		           : NULL;
	}
	return NULL;
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

static bool is_pointer_type(const ProtobufCFieldDescriptor *f)
{
	return f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;
}

/* Whether an optional field is set. */
static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	if (is_pointer_type(f)) {
		const void *ptr = *(void *const *)MEMBER(m, f->offset);
		/* An optional string equal to its default pointer was never set. */
		if (f->type == PROTOBUF_C_TYPE_STRING && f->default_value &&
		    ptr == f->default_value)
			return false;
		return ptr != NULL;
	}
	bool set = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF
	               ? *(const uint32_t *)MEMBER(m, f->quantifier_offset) == f->id
	               : *(const protobuf_c_boolean *)MEMBER(m, f->quantifier_offset);
	/* A value JSON cannot carry counts as unset, so that agent style writes
	 * the default in its place: an enum number this proto has no name for
	 * (C++ proto2, the agent's, keeps it as an unknown field), and NaN or
	 * infinity. */
	const void *p = MEMBER(m, f->offset);
	if (set && f->type == PROTOBUF_C_TYPE_ENUM &&
	    !protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p))
		return false;
	if (set && f->type == PROTOBUF_C_TYPE_DOUBLE && !isfinite(*(const double *)p))
		return false;
	if (set && f->type == PROTOBUF_C_TYPE_FLOAT && !isfinite(*(const float *)p))
		return false;
	return set;
}

cJSON *pbjson_to_json(const ProtobufCMessage *m, int flags)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	cJSON *obj = cJSON_CreateObject();

	if (!obj)
		return NULL;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = MEMBER(m, f->offset);
		cJSON *v = NULL;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)MEMBER(m, f->quantifier_offset);
			const char *arr = *(char *const *)p;
			if (!n)
				continue;
			v = cJSON_CreateArray();
			for (size_t k = 0; v && k < n; k++) {
				cJSON *e = value_json(f, arr + k * elem_size(f), flags);
				if (e)
					cJSON_AddItemToArray(v, e);
			}
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !field_present(m, f)) {
			/* Like the agent, no defaults for deprecated fields (the
			 * upstream Resource.role has default "*"). */
			if (!(flags & PBJSON_EMIT_DEFAULTS) || !f->default_value ||
			    f->type == PROTOBUF_C_TYPE_MESSAGE ||
			    (f->flags & PROTOBUF_C_FIELD_FLAG_DEPRECATED))
				continue;
			/* protobuf-c points a string's default_value at its chars. */
			v = f->type == PROTOBUF_C_TYPE_STRING
			        ? cJSON_CreateString(f->default_value)
			        : value_json(f, f->default_value, flags);
		} else {
			v = value_json(f, p, flags);
		}
		if (v)
			cJSON_AddItemToObject(obj, f->name, v);
	}
	return obj;
}

char *pbjson_encode(const ProtobufCMessage *msg, int flags, size_t *len)
{
	cJSON *j = pbjson_to_json(msg, flags);
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (s && len)
		*len = strlen(s);
	return s;
}

/* ------------------------------------------------------------------ reading */

struct path {
	const char *seg[32];
	int depth;
};

static int fail(char *err, size_t errlen, const struct path *path, const char *field,
                const char *fmt, const char *arg)
{
	size_t n = 0;
	if (!err || !errlen)
		return -1;
	err[0] = '\0';
	for (int i = 0; i < path->depth && n < errlen; i++)
		n += (size_t)snprintf(err + n, errlen - n, "%s.", path->seg[i]);
	if (n < errlen)
		n += (size_t)snprintf(err + n, errlen - n, "%s: ", field ? field : "(root)");
	if (n < errlen)
		snprintf(err + n, errlen - n, fmt, arg ? arg : "");
	return -1;
}

static ProtobufCMessage *parse_message(const ProtobufCMessageDescriptor *d, const cJSON *j,
                                       struct path *path, char *err, size_t errlen);

/* A number from a JSON number or a string holding one. Integer literals too
 * long for a double keep their text in valuestring (see keep_literals), and
 * pbjson_to_json() writes 64-bit integers as raw nodes: both are read from
 * their text so that every 64-bit value comes back exactly. */
static int get_number(const cJSON *j, bool is_int, bool is_signed, double *dv, int64_t *iv,
                      uint64_t *uv)
{
	const char *text;

	if (cJSON_IsNumber(j) && (!is_int || !j->valuestring)) {
		double v = j->valuedouble;
		if (!isfinite(v)) /* 1e999 parses as infinity */
			return -1;
		if (is_int && v != floor(v))
			return -1;
		/* Range first: converting an out-of-range double is undefined. */
		if (is_int && (is_signed ? v < -0x1p63 || v >= 0x1p63 : v < 0 || v >= 0x1p64))
			return -1;
		*dv = v;
		if (is_int && !is_signed) {
			*uv = (uint64_t)v;
			*iv = (int64_t)*uv;
		} else if (is_int) {
			*iv = (int64_t)v;
			*uv = (uint64_t)(v < 0 ? 0 : v);
		}
		return 0;
	}
	if (cJSON_IsNumber(j) || cJSON_IsString(j) || cJSON_IsRaw(j))
		text = j->valuestring;
	else
		return -1;
	if (!text || !*text)
		return -1;
	char *end;
	errno = 0;
	if (!is_int) {
		*dv = strtod(text, &end);
		if (!isfinite(*dv)) /* "inf", "nan", "1e999" */
			return -1;
	} else if (is_signed) {
		*iv = strtoll(text, &end, 10);
		*dv = (double)*iv;
	} else {
		if (text[0] == '-')
			return -1;
		*uv = strtoull(text, &end, 10);
		*iv = (int64_t)*uv;
		*dv = (double)*uv;
	}
	return (*end || errno) ? -1 : 0;
}

/* Stores one JSON value into the element at p. Returns 1 when stored, 0 when
 * the value is to be dropped (unknown enum name in an optional field), -1 on
 * error. */
static int parse_value(const ProtobufCFieldDescriptor *f, const cJSON *j, void *p,
                       struct path *path, char *err, size_t errlen)
{
	double dv = 0;
	int64_t iv = 0;
	uint64_t uv = 0;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (get_number(j, true, true, &dv, &iv, &uv) < 0 || iv < INT32_MIN ||
		    iv > INT32_MAX)
			return fail(err, errlen, path, f->name, "expected a 32-bit integer%s",
			            NULL);
		*(int32_t *)p = (int32_t)iv;
		return 1;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (get_number(j, true, false, &dv, &iv, &uv) < 0 || uv > UINT32_MAX)
			return fail(err, errlen, path, f->name,
			            "expected an unsigned 32-bit integer%s", NULL);
		*(uint32_t *)p = (uint32_t)uv;
		return 1;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (get_number(j, true, true, &dv, &iv, &uv) < 0)
			return fail(err, errlen, path, f->name, "expected a 64-bit integer%s",
			            NULL);
		*(int64_t *)p = iv;
		return 1;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (get_number(j, true, false, &dv, &iv, &uv) < 0)
			return fail(err, errlen, path, f->name,
			            "expected an unsigned 64-bit integer%s", NULL);
		*(uint64_t *)p = uv;
		return 1;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		if (get_number(j, false, true, &dv, &iv, &uv) < 0)
			return fail(err, errlen, path, f->name, "expected a number%s", NULL);
		if (f->type == PROTOBUF_C_TYPE_FLOAT)
			*(float *)p = (float)dv;
		else
			*(double *)p = dv;
		return 1;
	case PROTOBUF_C_TYPE_BOOL:
		if (!cJSON_IsBool(j))
			return fail(err, errlen, path, f->name, "expected true or false%s", NULL);
		*(protobuf_c_boolean *)p = cJSON_IsTrue(j);
		return 1;
	case PROTOBUF_C_TYPE_ENUM: {
		if (!cJSON_IsString(j))
			return fail(err, errlen, path, f->name, "expected an enum name string%s",
			            NULL);
		const ProtobufCEnumValue *ev =
		    protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, j->valuestring);
		if (!ev) {
			if (f->label == PROTOBUF_C_LABEL_REQUIRED)
				return fail(err, errlen, path, f->name, "unknown enum name '%s'",
				            j->valuestring);
			return 0;
		}
		*(int *)p = ev->value;
		return 1;
	}
	case PROTOBUF_C_TYPE_STRING: {
		if (!cJSON_IsString(j))
			return fail(err, errlen, path, f->name, "expected a string%s", NULL);
		char *s = strdup(j->valuestring);
		if (!s)
			return fail(err, errlen, path, f->name, "out of memory%s", NULL);
		*(char **)p = s;
		return 1;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;
		if (!cJSON_IsString(j))
			return fail(err, errlen, path, f->name, "expected a base64 string%s", NULL);
		b->data = b64_decode(j->valuestring, strlen(j->valuestring), &b->len);
		if (!b->data) {
			b->len = 0;
			return fail(err, errlen, path, f->name, "invalid base64%s", NULL);
		}
		return 1;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		if (path->depth >= (int)(sizeof(path->seg) / sizeof(path->seg[0])))
			return fail(err, errlen, path, f->name, "nested too deeply%s", NULL);
		path->seg[path->depth++] = f->name;
		ProtobufCMessage *sub = parse_message(f->descriptor, j, path, err, errlen);
		path->depth--;
		if (!sub)
			return -1;
		*(ProtobufCMessage **)p = sub;
		return 1;
	}
	}
	return fail(err, errlen, path, f->name, "unsupported field type%s", NULL);
}

static int parse_repeated(const ProtobufCFieldDescriptor *f, const cJSON *j, ProtobufCMessage *m,
                          struct path *path, char *err, size_t errlen)
{
	size_t *count = MEMBER(m, f->quantifier_offset);
	void **arr = MEMBER(m, f->offset);
	int n = cJSON_GetArraySize(j);

	if (!cJSON_IsArray(j))
		return fail(err, errlen, path, f->name, "expected an array%s", NULL);
	if (n == 0)
		return 0;
	*arr = calloc((size_t)n, elem_size(f));
	if (!*arr)
		return fail(err, errlen, path, f->name, "out of memory%s", NULL);
	const cJSON *e;
	cJSON_ArrayForEach (e, j) {
		if (cJSON_IsNull(e))
			return fail(err, errlen, path, f->name, "null inside an array%s", NULL);
		int rc = parse_value(f, e, (char *)*arr + *count * elem_size(f), path, err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0)
			(*count)++;
	}
	return 0;
}

static ProtobufCMessage *parse_message(const ProtobufCMessageDescriptor *d, const cJSON *j,
                                       struct path *path, char *err, size_t errlen)
{
	if (!cJSON_IsObject(j)) {
		fail(err, errlen, path, NULL, "expected a JSON object%s", NULL);
		if (path->depth) { /* name the field, not its parent */
			path->depth--;
			fail(err, errlen, path, path->seg[path->depth], "expected a JSON object%s",
			     NULL);
			path->depth++;
		}
		return NULL;
	}
	ProtobufCMessage *m = malloc(d->sizeof_message);
	if (!m) {
		fail(err, errlen, path, NULL, "out of memory%s", NULL);
		return NULL;
	}
	protobuf_c_message_init(d, m);

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, f->name);

		if (!v || cJSON_IsNull(v)) {
			if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
				fail(err, errlen, path, f->name, "missing required field%s", NULL);
				goto bad;
			}
			continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (parse_repeated(f, v, m, path, err, errlen) < 0)
				goto bad;
			continue;
		}
		void *p = MEMBER(m, f->offset);
		int rc = parse_value(f, v, p, path, err, errlen);
		if (rc < 0)
			goto bad;
		if (rc == 0 && f->label == PROTOBUF_C_LABEL_REQUIRED) {
			fail(err, errlen, path, f->name, "missing required field%s", NULL);
			goto bad;
		}
		if (rc > 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL && !is_pointer_type(f)) {
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
				*(uint32_t *)MEMBER(m, f->quantifier_offset) = f->id;
			else
				*(protobuf_c_boolean *)MEMBER(m, f->quantifier_offset) = 1;
		}
	}
	return m;
bad:
	protobuf_c_message_free_unpacked(m, NULL);
	return NULL;
}

ProtobufCMessage *pbjson_from_json(const ProtobufCMessageDescriptor *desc, const cJSON *json,
                                   char *err, size_t errlen)
{
	struct path path = {.depth = 0};
	return parse_message(desc, json, &path, err, errlen);
}

/* cJSON keeps every number as a double, exact for integers only up to 2^53,
 * yet Mesos writes 64-bit integers (TimeInfo nanoseconds, uint64 ranges) as
 * plain numbers. So the text is scanned for number tokens in document order,
 * which is also the order of a depth-first walk of cJSON's tree, and every
 * integer literal of more than 15 digits is stored in its number node's
 * valuestring (freed by cJSON_Delete), where get_number() finds it. */
struct literal {
	size_t index; /* among all number tokens */
	size_t start, len;
};

struct literals {
	struct literal *v; /* owned */
	size_t n, cap;
	size_t tokens; /* number tokens seen */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int scan_literals(const char *text, size_t len, struct literals *L)
{
	bool in_string = false;

	for (size_t i = 0; i < len;) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			i++;
			continue;
		}
		if (c == '"') {
			in_string = true;
			i++;
			continue;
		}
		if (c != '-' && !is_digit(c)) {
			i++;
			continue;
		}
		size_t start = i, digits = 0;
		bool integer = true;
		if (c == '-')
			i++;
		for (; i < len && is_digit(text[i]); i++)
			digits++;
		while (i < len && (is_digit(text[i]) || text[i] == '.' || text[i] == 'e' ||
		                   text[i] == 'E' || text[i] == '+' || text[i] == '-')) {
			integer = false;
			i++;
		}
		if (integer && digits > 15) {
			if (L->n == L->cap) {
				size_t cap = L->cap ? 2 * L->cap : 8;
				struct literal *v = realloc(L->v, cap * sizeof(*v));
				if (!v)
					return -1;
				L->v = v;
				L->cap = cap;
			}
			L->v[L->n++] = (struct literal){L->tokens, start, i - start};
		}
		L->tokens++;
	}
	return 0;
}

/* Walks the tree in document order; *index counts number nodes, *next is
 * the next literal to place. */
static int keep_literals(cJSON *node, const char *text, const struct literals *L, size_t *index,
                         size_t *next)
{
	for (; node; node = node->next) {
		if (cJSON_IsNumber(node)) {
			if (*next < L->n && L->v[*next].index == *index) {
				const struct literal *lit = &L->v[(*next)++];
				node->valuestring = cJSON_malloc(lit->len + 1);
				if (!node->valuestring)
					return -1;
				memcpy(node->valuestring, text + lit->start, lit->len);
				node->valuestring[lit->len] = '\0';
			}
			(*index)++;
		} else if (node->child && keep_literals(node->child, text, L, index, next) < 0) {
			return -1;
		}
	}
	return 0;
}

ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *text,
                                size_t len, char *err, size_t errlen)
{
	const char *end = NULL;
	struct literals lits = {0};
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!j) {
		if (err && errlen)
			snprintf(err, errlen, "invalid JSON near byte %zu",
			         end && end >= text ? (size_t)(end - text) : (size_t)0);
		return NULL;
	}
	/* cJSON stops after the first value; anything but whitespace after it
	 * makes the body invalid, as it does for the agent. */
	size_t used = (size_t)(end - text);
	while (used < len && (text[used] == ' ' || text[used] == '\t' || text[used] == '\n' ||
	                      text[used] == '\r'))
		used++;
	if (used < len) {
		if (err && errlen)
			snprintf(err, errlen, "invalid JSON: unexpected text at byte %zu", used);
		cJSON_Delete(j);
		return NULL;
	}
	size_t index = 0, next = 0;
	if (scan_literals(text, len, &lits) < 0 ||
	    keep_literals(j, text, &lits, &index, &next) < 0) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory reading JSON");
		free(lits.v);
		cJSON_Delete(j);
		return NULL;
	}
	free(lits.v);
	ProtobufCMessage *m = pbjson_from_json(desc, j, err, errlen);
	cJSON_Delete(j);
	return m;
}
