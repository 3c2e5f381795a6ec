/* Go's encoding/json filling a struct, as Consul's agent decodes request
 * bodies (lib.DecodeJSON, unknown fields disallowed). A struct is described
 * by tables of fields. The members of a JSON object are read in document
 * order, each matched to a field ignoring case: a later key overwrites an
 * earlier one, and a null leaves a string, number or bool as it was. A key
 * that no field matches, and a value of the wrong JSON type, are errors Go
 * records while it goes on, so the first one in the document is the one
 * reported, in Go's words ("json: unknown field \"Foo\"", "json: cannot
 * unmarshal number into Go struct field CheckType.HTTP of type string").
 * Nested structs are decoded by the same rules. Pure; internal to
 * fakeconsul (svcdef.c describes Consul's structs with it). */
#ifndef FAKECONSUL_GOJSON_H
#define FAKECONSUL_GOJSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

enum gojson_kind {
	GOJSON_STR,
	GOJSON_BOOL,
	GOJSON_INT,
	GOJSON_ANY,       /* interface{}: any JSON value */
	GOJSON_STRS,      /* []string */
	GOJSON_STRMAP,    /* map[string]string */
	GOJSON_HEADER,    /* map[string][]string */
	GOJSON_OBJECT,    /* a struct kept as given (not decoded here) */
	GOJSON_ARRAY,     /* a list kept as given */
	GOJSON_STRUCT,    /* a struct decoded with the field's `sub` tables */
	GOJSON_STRUCTMAP, /* map[string]<that struct> */
	GOJSON_CUSTOM,    /* a type with an UnmarshalJSON of its own: the caller's */
	GOJSON_CUSTOMS,   /* a list of those */
};

/* A struct's nested structs have at most this many fields. */
#define GOJSON_MAX_SUB 4

struct gojson_field;

/* A nested struct (GOJSON_STRUCT, GOJSON_STRUCTMAP). */
struct gojson_struct {
	const struct gojson_field *const *tables;
	const char *name;       /* its Go name in messages ("Weights") */
	const char *value_type; /* STRUCTMAP: the map's value type ("structs.ServiceAddress") */
};

struct gojson_field {
	const char *name; /* Go field name or json tag, matched ignoring case */
	enum gojson_kind kind;
	int slot;                        /* index in the value array */
	const char *gotype;              /* the Go type, for the struct-like kinds' messages */
	const struct gojson_struct *sub; /* STRUCT, STRUCTMAP: the nested struct; else NULL */
};
/* A struct's fields are one or more tables (a struct embedding another's
 * fields), each ended by an entry whose name is NULL; the list of tables is
 * ended by NULL. */

/* The first error recorded while a document is decoded ("" while none). */
struct gojson {
	char *saved;
	size_t len;
};

/* Records an error unless one is recorded already. */
void gojson_record(struct gojson *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Go's name for a JSON value's type in messages: "string", "number", ... */
const char *gojson_type(const cJSON *j);
/* The field a key names in a struct's tables (ignoring case), or NULL. */
const struct gojson_field *gojson_find(const struct gojson_field *const *tabs, const char *key);
/* Reads obj's members into vals[slot] (NULL for the fields never given),
 * recording the first error; `gostruct` names the struct in messages. */
void gojson_decode(struct gojson *d, const cJSON *obj, const struct gojson_field *const *tabs,
                   const char *gostruct, const cJSON **vals);

#endif
