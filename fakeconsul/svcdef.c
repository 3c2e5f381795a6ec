/* Decoding and validating Consul service and check definitions (svcdef.h).
 *
 * Go's decoder matches a JSON key to a struct field ignoring case, and a
 * later key overwrites an earlier one; field() does the same. Type mismatches
 * are reported the way encoding/json words them. */
#include "svcdef.h"

#include "common/duration.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Last member whose key equals one of the names, ignoring case. */
static cJSON *field(const cJSON *obj, const char *name, const char *alias)
{
	cJSON *found = NULL, *it;
	cJSON_ArrayForEach (it, obj) {
		if (strcasecmp(it->string, name) == 0 ||
		    (alias && strcasecmp(it->string, alias) == 0))
			found = it;
	}
	return found;
}

static const char *json_kind(const cJSON *j)
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

struct ctx {
	const char *type; /* Go struct name, for messages */
	char *err;
	size_t errlen;
	bool failed;
};

static void type_error(struct ctx *c, const cJSON *j, const char *gofield, const char *gotype)
{
	if (c->failed)
		return;
	c->failed = true;
	snprintf(c->err, c->errlen,
	         "Request decode failed: json: cannot unmarshal %s into Go struct field %s.%s of "
	         "type %s",
	         json_kind(j), c->type, gofield, gotype);
}

/* String field: absent or null leaves *out NULL. */
static void get_str(struct ctx *c, const cJSON *obj, const char *name, const char *alias,
                    char **out)
{
	const cJSON *j = field(obj, name, alias);
	if (!j || cJSON_IsNull(j))
		return;
	if (!cJSON_IsString(j)) {
		type_error(c, j, name, "string");
		return;
	}
	free(*out);
	*out = strdup(j->valuestring);
}

static void get_bool(struct ctx *c, const cJSON *obj, const char *name, const char *alias,
                     bool *out)
{
	const cJSON *j = field(obj, name, alias);
	if (!j || cJSON_IsNull(j))
		return;
	if (!cJSON_IsBool(j)) {
		type_error(c, j, name, "bool");
		return;
	}
	*out = cJSON_IsTrue(j);
}

static void get_int(struct ctx *c, const cJSON *obj, const char *name, int *out)
{
	const cJSON *j = field(obj, name, NULL);
	if (!j || cJSON_IsNull(j))
		return;
	if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble) ||
	    fabs(j->valuedouble) > 2147483647.0) {
		type_error(c, j, name, "int");
		return;
	}
	*out = (int)j->valuedouble;
}

/* Go time.Duration: a string in ParseDuration syntax or nanoseconds. */
static void get_duration(struct ctx *c, const cJSON *obj, const char *name, const char *alias,
                         int64_t *out)
{
	const cJSON *j = field(obj, name, alias);
	if (!j || cJSON_IsNull(j) || c->failed)
		return;
	if (cJSON_IsNumber(j) && fabs(j->valuedouble) < 9223372036854775807.0) {
		*out = (int64_t)j->valuedouble;
		return;
	}
	if (cJSON_IsNumber(j)) { /* does not fit Go's int64 */
		type_error(c, j, name, "time.Duration");
		return;
	}
	if (cJSON_IsString(j) && duration_parse_go(j->valuestring, out) == 0)
		return;
	c->failed = true;
	if (cJSON_IsString(j))
		snprintf(c->err, c->errlen,
		         "Request decode failed: invalid \"%s\": time: invalid duration \"%s\"",
		         j->string, j->valuestring);
	else
		snprintf(c->err, c->errlen, "Request decode failed: invalid \"%s\": invalid format",
		         j->string);
}

/* The first member that is not a string, or NULL. */
static const cJSON *non_string(const cJSON *arr)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, arr) {
		if (!cJSON_IsString(it))
			return it;
	}
	return NULL;
}

static bool all_strings(const cJSON *arr)
{
	return non_string(arr) == NULL;
}

/* []string field: absent or null leaves *out untouched. */
static void get_strings(struct ctx *c, const cJSON *obj, const char *name, const char *alias,
                        cJSON **out)
{
	const cJSON *j = field(obj, name, alias);
	if (!j || cJSON_IsNull(j))
		return;
	if (!cJSON_IsArray(j)) {
		type_error(c, j, name, "[]string");
		return;
	}
	if (non_string(j)) { /* Go names the element's type */
		type_error(c, non_string(j), name, "string");
		return;
	}
	cJSON_Delete(*out);
	*out = cJSON_Duplicate(j, 1);
}

/* map[string]string field. */
static void get_str_map(struct ctx *c, const cJSON *obj, const char *name, cJSON **out)
{
	const cJSON *j = field(obj, name, NULL);
	if (!j || cJSON_IsNull(j))
		return;
	if (!cJSON_IsObject(j)) {
		type_error(c, j, name, "map[string]string");
		return;
	}
	if (non_string(j)) { /* Go names the element's type */
		type_error(c, non_string(j), name, "string");
		return;
	}
	cJSON_Delete(*out);
	*out = cJSON_Duplicate(j, 1);
}

/* map[string][]string field (the HTTP check's Header). */
static void get_header(struct ctx *c, const cJSON *obj, cJSON **out)
{
	const cJSON *j = field(obj, "Header", NULL), *it;
	if (!j || cJSON_IsNull(j))
		return;
	bool ok = cJSON_IsObject(j);
	cJSON_ArrayForEach (it, j) {
		if (!cJSON_IsArray(it) || !all_strings(it))
			ok = false;
	}
	if (!ok) {
		type_error(c, j, "Header", "map[string][]string");
		return;
	}
	cJSON_Delete(*out);
	*out = cJSON_Duplicate(j, 1);
}

/* ------------------------------------------------------------ checks */

void checkdef_free(struct checkdef *k)
{
	char **strs[] = {
	    &k->check_id, &k->name, &k->status, &k->notes, &k->service_id,          &k->http,
	    &k->method,   &k->tcp,  &k->grpc,   &k->body,  &k->docker_container_id, &k->shell};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	cJSON_Delete(k->header);
	cJSON_Delete(k->script_args);
	k->header = k->script_args = NULL;
}

static void decode_check(struct ctx *c, const cJSON *o, struct checkdef *k, bool definition)
{
	if (definition) {
		get_str(c, o, "ID", NULL, &k->check_id);
		get_str(c, o, "CheckID", "check_id", &k->check_id);
	} else {
		get_str(c, o, "CheckID", "check_id", &k->check_id);
	}
	get_str(c, o, "Name", NULL, &k->name);
	get_str(c, o, "Status", NULL, &k->status);
	get_str(c, o, "Notes", NULL, &k->notes);
	get_str(c, o, "ServiceID", "service_id", &k->service_id);
	get_str(c, o, "HTTP", NULL, &k->http);
	get_str(c, o, "Method", NULL, &k->method);
	get_str(c, o, "TCP", NULL, &k->tcp);
	get_str(c, o, "GRPC", NULL, &k->grpc);
	get_str(c, o, "Body", NULL, &k->body);
	get_str(c, o, "DockerContainerID", "docker_container_id", &k->docker_container_id);
	get_str(c, o, "Shell", NULL, &k->shell);
	get_header(c, o, &k->header);
	get_strings(c, o, "ScriptArgs", "script_args", &k->script_args);
	get_strings(c, o, "Args", NULL, &k->script_args);
	get_bool(c, o, "TLSSkipVerify", "tls_skip_verify", &k->tls_skip_verify);
	get_bool(c, o, "GRPCUseTLS", "grpc_use_tls", &k->grpc_use_tls);
	get_duration(c, o, "Interval", NULL, &k->interval_ns);
	get_duration(c, o, "Timeout", NULL, &k->timeout_ns);
	get_duration(c, o, "TTL", NULL, &k->ttl_ns);
	get_duration(c, o, "DeregisterCriticalServiceAfter", "deregister_critical_service_after",
	             &k->deregister_after_ns);
	k->empty = !k->check_id && !k->name && !k->status && !k->notes && !k->http && !k->method &&
	           !k->tcp && !k->grpc && !k->body && !k->docker_container_id && !k->shell &&
	           !k->header && !k->script_args && !k->tls_skip_verify && !k->grpc_use_tls &&
	           !k->interval_ns && !k->timeout_ns && !k->ttl_ns && !k->deregister_after_ns &&
	           !k->service_id;
}

static bool is_script(const struct checkdef *k)
{
	return k->script_args && cJSON_GetArraySize(k->script_args) > 0;
}

/* CheckType.Validate: "" when valid. */
static const char *check_invalid(const struct checkdef *k)
{
	bool interval_check = is_script(k) || k->http || k->tcp || k->grpc;
	if (k->interval_ns > 0 && k->ttl_ns > 0)
		return "Interval and TTL cannot both be specified";
	if (interval_check && k->interval_ns <= 0)
		return "Interval must be > 0 for Script, HTTP, or TCP checks";
	if (!interval_check && k->ttl_ns <= 0)
		return "TTL must be > 0 for TTL checks";
	return "";
}

const char *checkdef_type(const struct checkdef *k)
{
	if (k->grpc && k->interval_ns > 0)
		return "grpc";
	if (k->http && k->interval_ns > 0)
		return "http";
	if (k->tcp && k->interval_ns > 0)
		return "tcp";
	if (k->ttl_ns > 0)
		return "ttl";
	if (is_script(k) && k->docker_container_id)
		return "docker";
	if (is_script(k))
		return "script";
	return "";
}

bool checkdef_valid_status(const char *s)
{
	return strcmp(s, "passing") == 0 || strcmp(s, "warning") == 0 || strcmp(s, "critical") == 0;
}

/* ------------------------------------------------------------ services */

void svcdef_free(struct svcdef *d)
{
	free(d->id);
	free(d->name);
	free(d->address);
	cJSON_Delete(d->tags);
	cJSON_Delete(d->meta);
	cJSON_Delete(d->extra);
	for (size_t i = 0; i < d->nchecks; i++)
		checkdef_free(&d->checks[i]);
	free(d->checks);
	memset(d, 0, sizeof(*d));
}

static int fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return 400;
}

static cJSON *parse_body(const char *body, size_t len, char *err, size_t errlen)
{
	if (!len) {
		snprintf(err, errlen, "Request decode failed: EOF");
		return NULL;
	}
	cJSON *j = cJSON_ParseWithLength(body, len);
	if (!j) {
		snprintf(err, errlen, "Request decode failed: invalid character in JSON body");
		return NULL;
	}
	return j;
}

static bool meta_key_ok(const char *k)
{
	if (!*k)
		return false;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

/* structs.ValidateMetadata: "" when valid, else the reason in buf. */
static const char *meta_invalid(const cJSON *meta, char *buf, size_t len)
{
	const cJSON *it;
	if (cJSON_GetArraySize(meta) > 64)
		return "Node metadata cannot contain more than 64 key/value pairs";
	cJSON_ArrayForEach (it, meta) {
		const char *k = it->string, *v = it->valuestring, *why = NULL;
		if (!*k)
			why = "Key cannot be blank";
		else if (!meta_key_ok(k))
			why = "Key contains invalid characters";
		else if (strlen(k) > 128)
			why = "Key is too long (limit: 128 characters)";
		else if (strncmp(k, "consul-", 7) == 0)
			why = "Key prefix 'consul-' is reserved for internal use";
		else if (strlen(v) > 512)
			why = "Value is too long (limit: 512 characters)";
		if (why) {
			snprintf(buf, len, "Couldn't load metadata pair ('%s', '%s'): %s", k, v,
			         why);
			return buf;
		}
	}
	return "";
}

static bool is_any_address(const char *a)
{
	return a && (strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0 || strcmp(a, "[::]") == 0);
}

static void decode_service(struct ctx *c, const cJSON *o, struct svcdef *d)
{
	get_str(c, o, "ID", NULL, &d->id);
	get_str(c, o, "Name", NULL, &d->name);
	get_str(c, o, "Address", NULL, &d->address);
	get_strings(c, o, "Tags", NULL, &d->tags);
	get_str_map(c, o, "Meta", &d->meta);
	get_int(c, o, "Port", &d->port);
	get_bool(c, o, "EnableTagOverride", "enable_tag_override", &d->enable_tag_override);

	const cJSON *w = field(o, "Weights", NULL);
	if (w && !cJSON_IsNull(w)) {
		struct ctx wc = {"Weights", c->err, c->errlen, c->failed};
		if (!cJSON_IsObject(w)) {
			type_error(c, w, "Weights", "structs.Weights");
		} else {
			d->weight_passing = d->weight_warning = 0;
			get_int(&wc, w, "Passing", &d->weight_passing);
			get_int(&wc, w, "Warning", &d->weight_warning);
			c->failed = wc.failed;
		}
	}

	static const char *const echoed[][2] = {{"Kind", NULL},
	                                        {"Proxy", NULL},
	                                        {"Connect", NULL},
	                                        {"TaggedAddresses", "tagged_addresses"}};
	for (size_t i = 0; i < sizeof(echoed) / sizeof(echoed[0]); i++) {
		const cJSON *e = field(o, echoed[i][0], echoed[i][1]);
		if (e && !cJSON_IsNull(e))
			cJSON_AddItemToObject(d->extra, echoed[i][0], cJSON_Duplicate(e, 1));
	}
}

static int add_check(struct svcdef *d, struct ctx *c, const cJSON *o, const char *field_name)
{
	struct checkdef k = {0};
	if (!o || cJSON_IsNull(o))
		return 0;
	if (!cJSON_IsObject(o)) {
		type_error(c, o, field_name, "structs.CheckType");
		return -1;
	}
	struct ctx kc = {"CheckType", c->err, c->errlen, c->failed};
	decode_check(&kc, o, &k, false);
	c->failed = kc.failed;
	if (c->failed || k.empty) {
		checkdef_free(&k);
		return c->failed ? -1 : 0;
	}
	struct checkdef *n = realloc(d->checks, (d->nchecks + 1) * sizeof(*n));
	if (!n) {
		checkdef_free(&k);
		return -1;
	}
	d->checks = n;
	d->checks[d->nchecks++] = k;
	return 0;
}

int svcdef_parse(const char *body, size_t len, struct svcdef *d, char *err, size_t errlen)
{
	struct ctx c = {"ServiceDefinition", err, errlen, false};
	char buf[1024];

	memset(d, 0, sizeof(*d));
	d->tags = cJSON_CreateArray();
	d->meta = cJSON_CreateObject();
	d->extra = cJSON_CreateObject();
	d->weight_passing = d->weight_warning = 1;

	cJSON *o = parse_body(body, len, err, errlen);
	if (!o)
		return 400;
	if (!cJSON_IsObject(o)) {
		snprintf(err, errlen,
		         "Request decode failed: json: cannot unmarshal %s into Go value of type "
		         "structs.ServiceDefinition",
		         json_kind(o));
		cJSON_Delete(o);
		return 400;
	}
	decode_service(&c, o, d);
	if (!c.failed)
		add_check(d, &c, field(o, "Check", NULL), "Check");
	const cJSON *checks = field(o, "Checks", NULL), *it;
	if (!c.failed && checks && !cJSON_IsNull(checks)) {
		if (!cJSON_IsArray(checks))
			type_error(&c, checks, "Checks", "structs.CheckTypes");
		cJSON_ArrayForEach (it, checks) {
			if (c.failed || add_check(d, &c, it, "Checks") < 0)
				break;
		}
	}
	cJSON_Delete(o);
	if (c.failed)
		return 400;

	if (!d->name || !*d->name)
		return fail(err, errlen, "Missing service name");
	if (!d->id || !*d->id) {
		free(d->id);
		d->id = strdup(d->name);
	}
	if (!d->address)
		d->address = strdup("");
	if (is_any_address(d->address))
		return fail(err, errlen, "Invalid service address");
	if (d->weight_passing < 1)
		return fail(err, errlen, "Invalid Weights: Passing must be greater than 0");
	if (d->weight_warning < 0)
		return fail(err, errlen,
		            "Invalid Weights: Warning must be greater or equal than 0");
	const char *why = meta_invalid(d->meta, buf, sizeof(buf));
	if (*why) {
		snprintf(err, errlen, "Invalid Service Meta: %s", why);
		return 400;
	}
	for (size_t i = 0; i < d->nchecks; i++) {
		why = check_invalid(&d->checks[i]);
		if (*why) {
			snprintf(err, errlen, "Invalid check: %s", why);
			return 400;
		}
	}
	for (size_t i = 0; i < d->nchecks; i++)
		if (d->checks[i].status && *d->checks[i].status &&
		    !checkdef_valid_status(d->checks[i].status))
			return fail(err, errlen,
			            "Status for checks must 'passing', 'warning', 'critical'");
	return 0;
}

int checkdef_parse_register(const char *body, size_t len, struct checkdef *k, char *err,
                            size_t errlen)
{
	struct ctx c = {"CheckDefinition", err, errlen, false};

	memset(k, 0, sizeof(*k));
	cJSON *o = parse_body(body, len, err, errlen);
	if (!o)
		return 400;
	if (!cJSON_IsObject(o)) {
		snprintf(err, errlen,
		         "Request decode failed: json: cannot unmarshal %s into Go value of type "
		         "structs.CheckDefinition",
		         json_kind(o));
		cJSON_Delete(o);
		return 400;
	}
	decode_check(&c, o, k, true);
	cJSON_Delete(o);
	if (c.failed)
		return 400;
	if (!k->name || !*k->name)
		return fail(err, errlen, "Missing check name");
	if (k->status && *k->status && !checkdef_valid_status(k->status))
		return fail(err, errlen, "Bad check status");
	const char *why = check_invalid(k);
	if (*why) {
		snprintf(err, errlen, "Invalid check: %s", why);
		return 400;
	}
	if (!k->check_id || !*k->check_id) {
		free(k->check_id);
		k->check_id = strdup(k->name);
	}
	return 0;
}
