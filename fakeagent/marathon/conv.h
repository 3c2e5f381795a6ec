/* One conversion of a Marathon app into a TaskInfo (marathon.c), and the
 * reading of the app's fields it is made of: typed optional fields, each
 * wrong type refused with an error that names the file and the field
 * ("app.json: healthChecks[0].portIndex: expected a number, got a string").
 * Internal to fakeagent/marathon/. */
#ifndef FAKEAGENT_MARATHON_CONV_H
#define FAKEAGENT_MARATHON_CONV_H

#include "marathon.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_PORTS 64

struct portdef {
	uint32_t port; /* service port, after assignment never 0 */
	uint32_t host; /* host port for this task */
	const char *name;
	const char *protocol;
	const cJSON *labels; /* object or NULL */
};

/* One conversion: the app, where the error goes, and what is worked out on
 * the way (ports, ids, resources). */
struct conv {
	const cJSON *app;
	const struct marathon_ctx *ctx;
	char *err;
	size_t errlen;
	struct portdef ports[MAX_PORTS];
	size_t nports;
	char app_id[512]; /* "/group/app" */
	char task_id[640];
	char name[512];
	double cpus, mem, disk;
	int gpus;
};

/* Fills c->err with "<file>: <message>"; returns -1. */
int conv_fail(struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "a string", "a number", ... for messages. */
const char *conv_type_name(const cJSON *j);
/* Typed optional fields of obj, `path` prefixing the key in errors: 0 when
 * absent (out untouched) or well-typed, -1 with an error otherwise. */
int conv_string(struct conv *c, const cJSON *obj, const char *key, const char *path,
                const char **out);
int conv_number(struct conv *c, const cJSON *obj, const char *key, const char *path, double *out);
int conv_bool(struct conv *c, const cJSON *obj, const char *key, const char *path, bool *out);
/* An array (array true) or an object. */
int conv_kind(struct conv *c, const cJSON *obj, const char *key, const char *path, bool array,
              const cJSON **out);
/* An object whose values must all be strings (labels). */
int conv_string_map(struct conv *c, const cJSON *obj, const char *path);

#endif
