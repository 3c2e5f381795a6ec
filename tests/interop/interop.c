/* Interop check between our Mesos v1 subset (proto/mesos/v1, package
 * mesos.v1) and C generated from the upstream Mesos .proto files (mesos-go's
 * copy, package mesos / mesos.executor). The packages differ, so the two sets
 * of generated names do not clash and both live in this one program.
 *
 *   1. schema: every field of every message our Call and Event reach has the
 *      upstream field's number, name, type and label; every enum value ours
 *      names has the upstream number;
 *   2. Calls: built with our types from tests/unit/fixtures/call_*.json,
 *      packed by us, unpacked by upstream code: every field equal, upstream
 *      re-packs the same bytes and writes the same JSON; fields or enum
 *      values newer than the upstream copy are listed, and must cross the
 *      wire unchanged (kept as unknown fields, numbers preserved);
 *   3. Events the other way: built with upstream types from the event
 *      fixtures, packed by upstream, unpacked by ours;
 *   4. Events carrying fields only upstream has (TaskInfo.container,
 *      Resource.reservations, AgentInfo.attributes and domain, ...): ours decodes them, keeps them
 * as unknown fields and re-packs bytes upstream reads back unchanged.
 *
 * Run by tests/interop/check.sh, which builds it. Usage: interop FIXTURE_DIR */
#include "github.com/mesos/mesos-go/api/v1/lib/executor/executor.pb-c.h"
#include "mesos/v1/executor/executor.pb-c.h"

#include "common/file.h"
#include "proto/pbjson.h"

#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int unnamed_enums; /* enum values only one schema names, seen so far */

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	failures++;
}

#define MEMBER(m, off) ((const char *)(m) + (off))

/* ------------------------------------------------------------ schema */

struct visited {
	const ProtobufCMessageDescriptor *d[512];
	int n;
	int fields;
	int newer; /* fields upstream does not have yet */
};

static void compare_enums(const ProtobufCEnumDescriptor *ours, const ProtobufCEnumDescriptor *up)
{
	static const ProtobufCEnumDescriptor *done[64];
	static int ndone;
	for (int i = 0; i < ndone; i++)
		if (done[i] == ours)
			return;
	if (ndone < 64)
		done[ndone++] = ours;
	for (unsigned i = 0; i < ours->n_values; i++) {
		const ProtobufCEnumValue *v = &ours->values[i];
		const ProtobufCEnumValue *u =
		    protobuf_c_enum_descriptor_get_value_by_name(up, v->name);
		if (!u)
			printf("  note: %s value %s (%d) is newer than this upstream copy\n",
			       ours->name, v->name, v->value);
		else if (u->value != v->value)
			failf("enum %s: %s is %d here, %d upstream", ours->name, v->name, v->value,
			      u->value);
	}
}

static void compare_schema(const ProtobufCMessageDescriptor *ours,
                           const ProtobufCMessageDescriptor *up, struct visited *seen)
{
	for (int i = 0; i < seen->n; i++)
		if (seen->d[i] == ours)
			return;
	seen->d[seen->n++] = ours;
	for (unsigned i = 0; i < ours->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &ours->fields[i];
		const ProtobufCFieldDescriptor *g =
		    protobuf_c_message_descriptor_get_field(up, f->id);
		seen->fields++;
		if (!g) {
			printf("  note: %s.%s (%u) is newer than this upstream copy\n", ours->name,
			       f->name, f->id);
			seen->newer++;
			continue;
		}
		if (strcmp(f->name, g->name) != 0)
			failf("%s field %u: named %s here, %s upstream", ours->name, f->id, f->name,
			      g->name);
		if (f->type != g->type)
			failf("%s.%s: type %d here, %d upstream", ours->name, f->name, f->type,
			      g->type);
		if (f->label != g->label)
			failf("%s.%s: label %d here, %d upstream", ours->name, f->name, f->label,
			      g->label);
		if (f->type == g->type && f->type == PROTOBUF_C_TYPE_MESSAGE)
			compare_schema(f->descriptor, g->descriptor, seen);
		if (f->type == g->type && f->type == PROTOBUF_C_TYPE_ENUM)
			compare_enums(f->descriptor, g->descriptor);
	}
}

/* ------------------------------------------------------------ values */

static size_t count_of(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)MEMBER(m, f->quantifier_offset);
	if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING) {
		const void *p = *(void *const *)MEMBER(m, f->offset);
		return p && p != f->default_value;
	}
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return 1;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)MEMBER(m, f->quantifier_offset) == f->id;
	return *(const protobuf_c_boolean *)MEMBER(m, f->quantifier_offset) ? 1 : 0;
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
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

/* How two messages of different schemas may differ. */
enum {
	A_NEWER = 1, /* a's schema has fields b's lacks: those are not compared */
	B_NEWER = 2, /* b may set fields a's schema lacks */
};

static void compare_messages(const ProtobufCMessage *a, const ProtobufCMessage *b, const char *path,
                             int newer);

static void compare_value(const ProtobufCFieldDescriptor *fa, const void *pa,
                          const ProtobufCFieldDescriptor *fb, const void *pb, const char *path,
                          int newer)
{
	switch (fa->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (strcmp(*(char *const *)pa, *(char *const *)pb) != 0)
			failf("%s: '%s' vs '%s'", path, *(char *const *)pa, *(char *const *)pb);
		return;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *x = pa, *y = pb;
		if (x->len != y->len || (x->len && memcmp(x->data, y->data, x->len) != 0))
			failf("%s: bytes differ", path);
		return;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		compare_messages(*(ProtobufCMessage *const *)pa, *(ProtobufCMessage *const *)pb,
		                 path, newer);
		return;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *x =
		    protobuf_c_enum_descriptor_get_value(fa->descriptor, *(const int *)pa);
		const ProtobufCEnumValue *y =
		    protobuf_c_enum_descriptor_get_value(fb->descriptor, *(const int *)pb);
		if (x && y && strcmp(x->name, y->name) == 0)
			return;
		/* A value one schema is too old to name still crosses the wire
		 * as its number. */
		if ((!x || !y) && *(const int *)pa == *(const int *)pb) {
			printf("  note: %s: %s carried as number %d, unnamed in %s\n", path,
			       x ? x->name : y->name, *(const int *)pa,
			       ((const ProtobufCEnumDescriptor *)(x ? fb : fa)->descriptor)->name);
			unnamed_enums++;
			return;
		}
		failf("%s: enum %s vs %s", path, x ? x->name : "?", y ? y->name : "?");
		return;
	}
	default:
		if (memcmp(pa, pb, elem_size(fa)) != 0)
			failf("%s: values differ", path);
	}
}

/* Field by field, matched by number; `newer` says which side's schema may
 * have fields the other lacks. */
static void compare_messages(const ProtobufCMessage *a, const ProtobufCMessage *b, const char *path,
                             int newer)
{
	const ProtobufCMessageDescriptor *da = a->descriptor, *db = b->descriptor;
	char sub[1024];

	for (unsigned i = 0; i < da->n_fields; i++) {
		const ProtobufCFieldDescriptor *fa = &da->fields[i];
		const ProtobufCFieldDescriptor *fb =
		    protobuf_c_message_descriptor_get_field(db, fa->id);
		size_t na = count_of(a, fa), nb = fb ? count_of(b, fb) : 0;
		snprintf(sub, sizeof(sub), "%s.%s", path, fa->name);
		if (!fb && (newer & A_NEWER))
			continue;
		if (na != nb) {
			failf("%s: set %zu times in %s, %zu in %s", sub, na, da->name, nb,
			      db->name);
			continue;
		}
		if (!na)
			continue;
		if (fa->label == PROTOBUF_C_LABEL_REPEATED) {
			const char *xa = *(char *const *)MEMBER(a, fa->offset);
			const char *xb = *(char *const *)MEMBER(b, fb->offset);
			for (size_t k = 0; k < na; k++)
				compare_value(fa, xa + k * elem_size(fa), fb,
				              xb + k * elem_size(fb), sub, newer);
		} else {
			compare_value(fa, MEMBER(a, fa->offset), fb, MEMBER(b, fb->offset), sub,
			              newer);
		}
	}
	if (newer & B_NEWER)
		return;
	for (unsigned i = 0; i < db->n_fields; i++) {
		const ProtobufCFieldDescriptor *fb = &db->fields[i];
		if (!protobuf_c_message_descriptor_get_field(da, fb->id) && count_of(b, fb))
			failf("%s.%s: set in %s, unknown to %s", path, fb->name, db->name,
			      da->name);
	}
}

/* Unknown fields anywhere in m. */
static size_t unknown_fields(const ProtobufCMessage *m)
{
	size_t n = m->n_unknown_fields;
	for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			ProtobufCMessage *const *arr =
			    *(ProtobufCMessage *const *const *)MEMBER(m, f->offset);
			for (size_t k = 0; k < count_of(m, f); k++)
				n += unknown_fields(arr[k]);
		} else if (count_of(m, f)) {
			n += unknown_fields(*(ProtobufCMessage *const *)MEMBER(m, f->offset));
		}
	}
	return n;
}

/* ------------------------------------------------------------ exchange */

struct packed {
	uint8_t *data; /* owned */
	size_t len;
};

static struct packed pack(const ProtobufCMessage *m)
{
	struct packed p = {.len = protobuf_c_message_get_packed_size(m)};
	p.data = malloc(p.len + 1);
	if (!p.data) {
		perror("malloc");
		exit(2);
	}
	protobuf_c_message_pack(m, p.data);
	return p;
}

static char *read_file(const char *path, size_t *len)
{
	char err[512];
	char *buf = file_read(path, len, err, sizeof(err));
	if (!buf) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	return buf;
}

/* Prints where two JSON texts first differ, with some context. */
static void note_json_difference(const char *what, const char *kind, const char *a, const char *b)
{
	size_t i = 0;
	if (!a || !b) {
		failf("%s: no %s", what, kind);
		return;
	}
	while (a[i] && a[i] == b[i])
		i++;
	size_t from = i > 40 ? i - 40 : 0;
	printf("  note: %s: %s differs at byte %zu:\n    ...%.80s\n    ...%.80s\n", what, kind, i,
	       a + from, b + from);
}

/* Builds a message from JSON with `from`, packs it, unpacks the bytes with
 * `to`, and checks the decoded message, the re-packed bytes and the JSON
 * each side writes. Returns the number of bytes exchanged. */
static size_t exchange(const char *what, const char *json, size_t len,
                       const ProtobufCMessageDescriptor *from, const ProtobufCMessageDescriptor *to)
{
	char err[256];
	ProtobufCMessage *src = pbjson_decode(from, json, len, err, sizeof(err));
	if (!src) {
		failf("%s: %s cannot read the fixture: %s", what, from->name, err);
		return 0;
	}
	struct packed bytes = pack(src);
	ProtobufCMessage *dst = protobuf_c_message_unpack(to, NULL, bytes.len, bytes.data);
	if (!dst) {
		failf("%s: %s rejects %zu bytes from %s", what, to->name, bytes.len, from->name);
		goto out;
	}
	int unnamed_before = unnamed_enums;
	compare_messages(src, dst, what, A_NEWER);
	struct packed again = pack(dst);
	size_t unknown = unknown_fields(dst);
	if (unknown) {
		/* Fields the receiver's schema is too old for: it must keep them
		 * and send them on unchanged. */
		ProtobufCMessage *back =
		    protobuf_c_message_unpack(from, NULL, again.len, again.data);
		struct packed b2 = back ? pack(back) : (struct packed){NULL, 0};
		if (!back || b2.len != bytes.len || memcmp(b2.data, bytes.data, bytes.len) != 0)
			failf("%s: %zu fields unknown to %s are not carried through", what, unknown,
			      to->name);
		else
			printf("  note: %s: %zu fields unknown to %s, carried through unchanged\n",
			       what, unknown, to->name);
		free(b2.data);
		if (back)
			protobuf_c_message_free_unpacked(back, NULL);
	} else {
		if (again.len != bytes.len || memcmp(again.data, bytes.data, bytes.len) != 0)
			failf("%s: %s re-packs %zu bytes differently (%zu)", what, to->name,
			      bytes.len, again.len);
		/* The same JSON from either schema, unless one cannot name a value. */
		char *j1 = pbjson_encode(src, 0, NULL), *j2 = pbjson_encode(dst, 0, NULL);
		if (!j1 || !j2 || strcmp(j1, j2) != 0) {
			if (unnamed_enums == unnamed_before)
				failf("%s: JSON differs:\n  %s\n  %s", what, j1, j2);
			else
				note_json_difference(what, "JSON", j1, j2);
		}
		free(j1);
		free(j2);
		j1 = pbjson_encode(src, PBJSON_EMIT_DEFAULTS, NULL);
		j2 = pbjson_encode(dst, PBJSON_EMIT_DEFAULTS, NULL);
		if (!j1 || !j2 || strcmp(j1, j2) != 0)
			note_json_difference(what,
			                     "agent-style JSON (defaults of fields one schema "
			                     "lacks)",
			                     j1, j2);
		free(j1);
		free(j2);
	}
	free(again.data);
	protobuf_c_message_free_unpacked(dst, NULL);
out:
	free(bytes.data);
	protobuf_c_message_free_unpacked(src, NULL);
	return bytes.len;
}

static int exchange_fixtures(const char *dir, const char *kind,
                             const ProtobufCMessageDescriptor *from,
                             const ProtobufCMessageDescriptor *to)
{
	char pattern[1024];
	glob_t g;
	size_t total = 0;
	int before = failures;
	snprintf(pattern, sizeof(pattern), "%s/%s_*.json", dir, kind);
	if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		failf("no fixtures match %s", pattern);
		return 0;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t len;
		char *json = read_file(g.gl_pathv[i], &len);
		const char *name = strrchr(g.gl_pathv[i], '/') + 1;
		total += exchange(name, json, len, from, to);
		free(json);
	}
	printf("%-6s %zu fixtures, %zu bytes: %s -> %s: %s\n", kind, g.gl_pathc, total, from->name,
	       to->name, failures == before ? "ok" : "FAILED");
	int n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

/* An upstream LAUNCH and SUBSCRIBED carrying fields our subset leaves out. */
static const char *upstream_only[] = {
    "{\"type\":\"LAUNCH\",\"launch\":{\"task\":{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},"
    "\"agent_id\":{\"value\":\"a1\"},\"command\":{\"value\":\"sleep 9\"},"
    "\"container\":{\"type\":\"MESOS\",\"hostname\":\"box\",\"volumes\":[{\"container_path\":"
    "\"/data\",\"mode\":\"RW\"}]},"
    "\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},"
    "\"reservations\":[{\"type\":\"STATIC\",\"role\":\"web\"}]}]}}}",
    "{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"executor_info\":{\"executor_id\":{\"value\":"
    "\"e1\"},\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"busybox\"}}},"
    "\"framework_info\":{\"user\":\"u\",\"name\":\"f\",\"id\":{\"value\":\"f1\"}},"
    "\"agent_info\":{\"hostname\":\"h\",\"id\":{\"value\":\"a1\"},\"attributes\":[{\"name\":"
    "\"rack\",\"type\":\"TEXT\",\"text\":{\"value\":\"r1\"}}],\"domain\":{\"fault_domain\":{"
    "\"region\":{\"name\":\"eu\"},\"zone\":{\"name\":\"eu-1\"}}}},"
    "\"container_id\":{\"value\":\"c1\"}}}",
};

static void upstream_only_fields(void)
{
	int before = failures;
	for (size_t i = 0; i < sizeof(upstream_only) / sizeof(upstream_only[0]); i++) {
		char err[256], what[64];
		snprintf(what, sizeof(what), "upstream-only event %zu", i + 1);
		ProtobufCMessage *up =
		    pbjson_decode(&mesos__executor__event__descriptor, upstream_only[i],
		                  strlen(upstream_only[i]), err, sizeof(err));
		if (!up) {
			failf("%s: upstream cannot read it: %s", what, err);
			continue;
		}
		struct packed bytes = pack(up);
		ProtobufCMessage *ours = protobuf_c_message_unpack(
		    &mesos__v1__executor__event__descriptor, NULL, bytes.len, bytes.data);
		if (!ours) {
			failf("%s: ours rejects it", what);
		} else {
			if (!unknown_fields(ours))
				failf("%s: ours kept no unknown fields", what);
			compare_messages(ours, up, what, B_NEWER);
			struct packed back = pack(ours);
			ProtobufCMessage *up2 = protobuf_c_message_unpack(
			    &mesos__executor__event__descriptor, NULL, back.len, back.data);
			if (!up2) {
				failf("%s: upstream rejects our re-packed bytes", what);
			} else {
				struct packed b1 = pack(up), b2 = pack(up2);
				if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)
					failf("%s: upstream sees a different message after our "
					      "round trip",
					      what);
				compare_messages(up, up2, what, 0);
				free(b1.data);
				free(b2.data);
				protobuf_c_message_free_unpacked(up2, NULL);
			}
			free(back.data);
			protobuf_c_message_free_unpacked(ours, NULL);
		}
		free(bytes.data);
		protobuf_c_message_free_unpacked(up, NULL);
	}
	printf("events with upstream-only fields: decoded, kept and re-packed unchanged: %s\n",
	       failures == before ? "ok" : "FAILED");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	struct visited seen = {.n = 0};
	int before = failures;
	compare_schema(&mesos__v1__executor__call__descriptor, &mesos__executor__call__descriptor,
	               &seen);
	compare_schema(&mesos__v1__executor__event__descriptor, &mesos__executor__event__descriptor,
	               &seen);
	printf("schema: %d messages, %d fields (%d newer than upstream): numbers, names, types, "
	       "labels, enum values: %s\n",
	       seen.n, seen.fields, seen.newer, failures == before ? "ok" : "FAILED");

	exchange_fixtures(argv[1], "call", &mesos__v1__executor__call__descriptor,
	                  &mesos__executor__call__descriptor);
	exchange_fixtures(argv[1], "event", &mesos__executor__event__descriptor,
	                  &mesos__v1__executor__event__descriptor);
	upstream_only_fields();

	printf("%s\n", failures ? "INTEROP FAILED" : "interop ok");
	return failures ? 1 : 0;
}
