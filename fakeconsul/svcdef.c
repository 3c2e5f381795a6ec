/* Decoding and validating Consul service and check definitions (svcdef.h).
 *
 * A definition is decoded the way Go's encoding/json fills Consul's structs
 * through lib.DecodeJSON: the members are read in document order, each
 * matched to a field of the struct's table ignoring case (a later key
 * overwrites an earlier one, a null leaves a string, number or bool as it
 * was). A key that no field matches, and a value of the wrong JSON type, are
 * errors Go records while it goes on, so the first one in the document is
 * the one reported. A Check or an entry of Checks is decoded by CheckType's
 * own UnmarshalJSON, whose error ends the decoding at once: it wins over
 * errors recorded before it. A check's durations are parsed after its
 * members, in CheckType's order (Interval, Timeout, TTL,
 * DeregisterCriticalServiceAfter); they accept any JSON type, and only
 * strings and numbers mean something. */
#include "svcdef.h"

#include "godur.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DECODE_FAILED "Request decode failed: "

enum kind {
	K_STR,
	K_BOOL,
	K_INT,
	K_ANY, /* interface{}: the durations of a check */
	K_STRS,
	K_STRMAP,
	K_HEADER,
	K_OBJECT, /* a struct echoed as given (Proxy, Connect) */
	K_ARRAY,  /* a list echoed as given (Ports) */
	K_WEIGHTS,
	K_LOCALITY,
	K_TAGGED,
	K_CHECK,
	K_CHECKS,
};

struct field {
	const char *name; /* Go field name or json tag, matched ignoring case */
	enum kind kind;
	int slot;           /* index in the decoder's value array */
	const char *gotype; /* the Go type, for the struct-like kinds' messages */
};

/* --- CheckType and CheckDefinition (agent/structs), with their aliases */
enum cslot {
	C_CHECK_ID,
	C_ID,
	C_NAME,
	C_STATUS,
	C_NOTES,
	C_SERVICE_ID,
	C_SERVICE_ID_SNAKE,
	C_TOKEN,
	C_SCRIPT_ARGS,
	C_ARGS,
	C_SCRIPT_ARGS_SNAKE,
	C_HTTP,
	C_H2PING,
	C_H2PING_USE_TLS,
	C_H2PING_USE_TLS_SNAKE,
	C_HEADER,
	C_METHOD,
	C_BODY,
	C_DISABLE_REDIRECTS,
	C_DISABLE_REDIRECTS_SNAKE,
	C_TCP,
	C_UDP,
	C_INTERVAL,
	C_ALIAS_NODE,
	C_ALIAS_SERVICE,
	C_DOCKER,
	C_DOCKER_SNAKE,
	C_SHELL,
	C_GRPC,
	C_GRPC_USE_TLS,
	C_GRPC_USE_TLS_SNAKE,
	C_OS_SERVICE,
	C_TLS_SERVER_NAME,
	C_TLS_SERVER_NAME_SNAKE,
	C_TLS_SKIP_VERIFY,
	C_TLS_SKIP_VERIFY_SNAKE,
	C_TIMEOUT,
	C_TTL,
	C_SUCCESS_BEFORE_PASSING,
	C_FAILURES_BEFORE_WARNING,
	C_FAILURES_BEFORE_CRITICAL,
	C_PROXY_HTTP,
	C_PROXY_GRPC,
	C_DEREGISTER,
	C_DEREGISTER_SNAKE,
	C_OUTPUT_MAX_SIZE,
	C_NSLOTS
};

/* The fields both structs share, in CheckType's order, and their aliases.
 * Tables end with an entry whose name is NULL. */
static const struct field check_common_fields[] = {
    {"ScriptArgs", K_STRS, C_SCRIPT_ARGS, NULL},
    {"HTTP", K_STR, C_HTTP, NULL},
    {"H2PING", K_STR, C_H2PING, NULL},
    {"H2PingUseTLS", K_BOOL, C_H2PING_USE_TLS, NULL},
    {"Header", K_HEADER, C_HEADER, NULL},
    {"Method", K_STR, C_METHOD, NULL},
    {"Body", K_STR, C_BODY, NULL},
    {"DisableRedirects", K_BOOL, C_DISABLE_REDIRECTS, NULL},
    {"TCP", K_STR, C_TCP, NULL},
    {"UDP", K_STR, C_UDP, NULL},
    {"Interval", K_ANY, C_INTERVAL, NULL},
    {"AliasNode", K_STR, C_ALIAS_NODE, NULL},
    {"AliasService", K_STR, C_ALIAS_SERVICE, NULL},
    {"DockerContainerID", K_STR, C_DOCKER, NULL},
    {"Shell", K_STR, C_SHELL, NULL},
    {"GRPC", K_STR, C_GRPC, NULL},
    {"GRPCUseTLS", K_BOOL, C_GRPC_USE_TLS, NULL},
    {"OSService", K_STR, C_OS_SERVICE, NULL},
    {"TLSServerName", K_STR, C_TLS_SERVER_NAME, NULL},
    {"TLSSkipVerify", K_BOOL, C_TLS_SKIP_VERIFY, NULL},
    {"Timeout", K_ANY, C_TIMEOUT, NULL},
    {"TTL", K_ANY, C_TTL, NULL},
    {"SuccessBeforePassing", K_INT, C_SUCCESS_BEFORE_PASSING, NULL},
    {"FailuresBeforeWarning", K_INT, C_FAILURES_BEFORE_WARNING, NULL},
    {"FailuresBeforeCritical", K_INT, C_FAILURES_BEFORE_CRITICAL, NULL},
    {"DeregisterCriticalServiceAfter", K_ANY, C_DEREGISTER, NULL},
    {"OutputMaxSize", K_INT, C_OUTPUT_MAX_SIZE, NULL},
    {"args", K_STRS, C_ARGS, NULL},
    {"script_args", K_STRS, C_SCRIPT_ARGS_SNAKE, NULL},
    {"deregister_critical_service_after", K_ANY, C_DEREGISTER_SNAKE, NULL},
    {"docker_container_id", K_STR, C_DOCKER_SNAKE, NULL},
    {"tls_server_name", K_STR, C_TLS_SERVER_NAME_SNAKE, NULL},
    {"tls_skip_verify", K_BOOL, C_TLS_SKIP_VERIFY_SNAKE, NULL},
    {"grpc_use_tls", K_BOOL, C_GRPC_USE_TLS_SNAKE, NULL},
    {"h2ping_use_tls", K_BOOL, C_H2PING_USE_TLS_SNAKE, NULL},
    {"service_id", K_STR, C_SERVICE_ID_SNAKE, NULL},
    {NULL, K_STR, 0, NULL},
};

/* CheckType: ServiceID and service_id are read and ignored. */
static const struct field check_type_own_fields[] = {
    {"CheckID", K_STR, C_CHECK_ID, NULL},     {"Name", K_STR, C_NAME, NULL},
    {"Status", K_STR, C_STATUS, NULL},        {"Notes", K_STR, C_NOTES, NULL},
    {"ProxyHTTP", K_STR, C_PROXY_HTTP, NULL}, {"ProxyGRPC", K_STR, C_PROXY_GRPC, NULL},
    {"ServiceID", K_STR, C_SERVICE_ID, NULL}, {NULL, K_STR, 0, NULL},
};

/* CheckDefinition (PUT /v1/agent/check/register): ID, not CheckID. */
static const struct field check_definition_own_fields[] = {
    {"ID", K_STR, C_ID, NULL},
    {"Name", K_STR, C_NAME, NULL},
    {"Notes", K_STR, C_NOTES, NULL},
    {"ServiceID", K_STR, C_SERVICE_ID, NULL},
    {"Token", K_STR, C_TOKEN, NULL},
    {"Status", K_STR, C_STATUS, NULL},
    {"disable_redirects", K_BOOL, C_DISABLE_REDIRECTS_SNAKE, NULL},
    {NULL, K_STR, 0, NULL},
};

static const struct field *const check_type_fields[] = {check_type_own_fields, check_common_fields,
                                                        NULL};
static const struct field *const check_definition_fields[] = {check_definition_own_fields,
                                                              check_common_fields, NULL};

/* --- ServiceDefinition and the structs it holds */
enum sslot {
	S_KIND,
	S_ID,
	S_NAME,
	S_TAGS,
	S_ADDRESS,
	S_TAGGED,
	S_TAGGED_SNAKE,
	S_META,
	S_PORT,
	S_PORTS,
	S_SOCKET_PATH,
	S_CHECK,
	S_CHECKS,
	S_WEIGHTS,
	S_TOKEN,
	S_ETO,
	S_ETO_SNAKE,
	S_LOCALITY,
	S_PROXY,
	S_CONNECT,
	S_NSLOTS
};

static const struct field service_fields_list[] = {
    {"Kind", K_STR, S_KIND, NULL},
    {"ID", K_STR, S_ID, NULL},
    {"Name", K_STR, S_NAME, NULL},
    {"Tags", K_STRS, S_TAGS, NULL},
    {"Address", K_STR, S_ADDRESS, NULL},
    {"TaggedAddresses", K_TAGGED, S_TAGGED, "map[string]structs.ServiceAddress"},
    {"Meta", K_STRMAP, S_META, NULL},
    {"Port", K_INT, S_PORT, NULL},
    {"Ports", K_ARRAY, S_PORTS, "structs.ServicePorts"},
    {"SocketPath", K_STR, S_SOCKET_PATH, NULL},
    {"Check", K_CHECK, S_CHECK, "structs.CheckType"},
    {"Checks", K_CHECKS, S_CHECKS, "structs.CheckTypes"},
    {"Weights", K_WEIGHTS, S_WEIGHTS, "structs.Weights"},
    {"Token", K_STR, S_TOKEN, NULL},
    {"EnableTagOverride", K_BOOL, S_ETO, NULL},
    {"Locality", K_LOCALITY, S_LOCALITY, "structs.Locality"},
    {"Proxy", K_OBJECT, S_PROXY, "structs.ConnectProxyConfig"},
    {"Connect", K_OBJECT, S_CONNECT, "structs.ServiceConnect"},
    {"enable_tag_override", K_BOOL, S_ETO_SNAKE, NULL},
    {"tagged_addresses", K_TAGGED, S_TAGGED_SNAKE, "map[string]structs.ServiceAddress"},
    {NULL, K_STR, 0, NULL},
};
static const struct field *const service_fields[] = {service_fields_list, NULL};

enum { W_PASSING, W_WARNING, W_NSLOTS };
static const struct field weights_fields_list[] = {
    {"Passing", K_INT, W_PASSING, NULL},
    {"Warning", K_INT, W_WARNING, NULL},
    {NULL, K_STR, 0, NULL},
};
static const struct field *const weights_fields[] = {weights_fields_list, NULL};

enum { L_REGION, L_ZONE, L_NSLOTS };
static const struct field locality_fields_list[] = {
    {"Region", K_STR, L_REGION, NULL},
    {"Zone", K_STR, L_ZONE, NULL},
    {NULL, K_STR, 0, NULL},
};
static const struct field *const locality_fields[] = {locality_fields_list, NULL};

enum { A_ADDRESS, A_PORT, A_NSLOTS };
static const struct field service_address_fields_list[] = {
    {"Address", K_STR, A_ADDRESS, NULL},
    {"Port", K_INT, A_PORT, NULL},
    {NULL, K_STR, 0, NULL},
};
static const struct field *const service_address_fields[] = {service_address_fields_list, NULL};

#define NELEMS(t) (sizeof(t) / sizeof((t)[0]))

/* ------------------------------------------------------------ decoding */

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

/* The first error Go records while it decodes a document. */
struct dec {
	char *saved; /* "" while there is none */
	size_t len;
};

static void save(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void save(struct dec *d, const char *fmt, ...)
{
	if (d->saved[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->saved, d->len, fmt, ap);
	va_end(ap);
}

static void type_error(struct dec *d, const cJSON *j, const char *gostruct, const char *field,
                       const char *gotype)
{
	save(d, "json: cannot unmarshal %s into Go struct field %s.%s of type %s", json_kind(j),
	     gostruct, field, gotype);
}

/* The field a key names in a struct's tables (ignoring case), or NULL. */
static const struct field *find_field(const struct field *const *tabs, const char *key)
{
	for (; *tabs; tabs++)
		for (const struct field *f = *tabs; f->name; f++)
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

static void decode_fields(struct dec *d, const cJSON *obj, const struct field *const *tabs,
                          const char *gostruct, const cJSON **vals);

/* Whether j may go into field f; records the error when not. Structs are
 * decoded by the same decoder, so their errors are recorded here too. */
static bool type_ok(struct dec *d, const struct field *f, const cJSON *j, const char *gostruct)
{
	const cJSON *bad, *it;
	switch (f->kind) {
	case K_STR:
		if (cJSON_IsString(j))
			return true;
		type_error(d, j, gostruct, f->name, "string");
		return false;
	case K_BOOL:
		if (cJSON_IsBool(j))
			return true;
		type_error(d, j, gostruct, f->name, "bool");
		return false;
	case K_INT:
		if (int_ok(j))
			return true;
		type_error(d, j, gostruct, f->name, "int");
		return false;
	case K_ANY:
	case K_CHECK:
		return true;
	case K_STRS:
	case K_STRMAP:
		if ((f->kind == K_STRS && !cJSON_IsArray(j)) ||
		    (f->kind == K_STRMAP && !cJSON_IsObject(j))) {
			type_error(d, j, gostruct, f->name,
			           f->kind == K_STRS ? "[]string" : "map[string]string");
			return false;
		}
		if ((bad = non_string(j))) { /* Go names the element's type */
			type_error(d, bad, gostruct, f->name, "string");
			return false;
		}
		return true;
	case K_HEADER: {
		bool ok = cJSON_IsObject(j);
		cJSON_ArrayForEach (it, j) {
			ok = ok && cJSON_IsArray(it) && !non_string(it);
		}
		if (!ok)
			type_error(d, j, gostruct, f->name, "map[string][]string");
		return ok;
	}
	case K_OBJECT:
	case K_WEIGHTS:
	case K_LOCALITY:
	case K_TAGGED:
		if (!cJSON_IsObject(j)) {
			type_error(d, j, gostruct, f->name, f->gotype);
			return false;
		}
		if (f->kind == K_WEIGHTS || f->kind == K_LOCALITY) {
			_Static_assert(W_NSLOTS == 2 && L_NSLOTS == 2,
			               "Weights and Locality have two fields");
			const cJSON *sub[2] = {0};
			if (f->kind == K_WEIGHTS)
				decode_fields(d, j, weights_fields, "Weights", sub);
			else
				decode_fields(d, j, locality_fields, "Locality", sub);
		} else if (f->kind == K_TAGGED) {
			cJSON_ArrayForEach (it, j) {
				const cJSON *sub[A_NSLOTS] = {0};
				if (cJSON_IsObject(it))
					decode_fields(d, it, service_address_fields,
					              "ServiceAddress", sub);
				else if (!cJSON_IsNull(it))
					type_error(d, it, gostruct, f->name,
					           "structs.ServiceAddress");
			}
		}
		return true;
	case K_ARRAY:
	case K_CHECKS:
		if (cJSON_IsArray(j))
			return true;
		type_error(d, j, gostruct, f->name, f->gotype);
		return false;
	}
	return false;
}

/* Reads obj's members into vals[slot], recording the first error. */
static void decode_fields(struct dec *d, const cJSON *obj, const struct field *const *tabs,
                          const char *gostruct, const cJSON **vals)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, obj) {
		const struct field *f = find_field(tabs, it->string);
		if (!f) {
			save(d, "json: unknown field \"%s\"", it->string);
			continue;
		}
		if (cJSON_IsNull(it)) {
			/* null leaves a string, number or bool as it was and
			 * empties anything else */
			if (f->kind != K_STR && f->kind != K_BOOL && f->kind != K_INT)
				vals[f->slot] = it;
			continue;
		}
		if (type_ok(d, f, it, gostruct))
			vals[f->slot] = it;
	}
}

static bool present(const cJSON *j)
{
	return j && !cJSON_IsNull(j);
}

static char *str_of(const cJSON *j)
{
	return cJSON_IsString(j) ? strdup(j->valuestring) : NULL;
}

static bool nonempty(const char *s)
{
	return s && *s;
}

/* Go's `if t.X == "" { t.X = aux.XSnake }`. */
static char *str_or_alias(const cJSON *main, const cJSON *alias)
{
	if (cJSON_IsString(main) && *main->valuestring)
		return strdup(main->valuestring);
	return cJSON_IsString(alias) ? str_of(alias) : str_of(main);
}

static bool bool_of(const cJSON *j)
{
	return cJSON_IsTrue(j);
}

static int int_of(const cJSON *j)
{
	return cJSON_IsNumber(j) ? (int)j->valuedouble : 0;
}

static bool nonempty_array(const cJSON *j)
{
	return cJSON_IsArray(j) && cJSON_GetArraySize(j) > 0;
}

/* A check duration: a string in time.ParseDuration syntax or nanoseconds;
 * any other JSON type leaves it zero. Returns -1 with Go's error. */
static int duration_of(const cJSON *j, const char *gostruct, const char *field, int64_t *out,
                       char *err, size_t errlen)
{
	if (cJSON_IsString(j))
		return godur_parse(j->valuestring, out, err, errlen);
	if (cJSON_IsNumber(j)) {
		if (fabs(j->valuedouble) >= 9223372036854775807.0) { /* beyond Go's int64 */
			snprintf(err, errlen,
			         "json: cannot unmarshal number into Go struct field %s.%s of type "
			         "time.Duration",
			         gostruct, field);
			return -1;
		}
		*out = (int64_t)j->valuedouble;
	}
	return 0;
}

void checkdef_free(struct checkdef *k)
{
	char **strs[] = {&k->check_id,
	                 &k->name,
	                 &k->status,
	                 &k->notes,
	                 &k->service_id,
	                 &k->http,
	                 &k->method,
	                 &k->tcp,
	                 &k->udp,
	                 &k->grpc,
	                 &k->h2ping,
	                 &k->body,
	                 &k->docker_container_id,
	                 &k->shell,
	                 &k->alias_node,
	                 &k->alias_service,
	                 &k->os_service,
	                 &k->tls_server_name};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	cJSON_Delete(k->header);
	cJSON_Delete(k->script_args);
	k->header = k->script_args = NULL;
}

/* CheckType.UnmarshalJSON (or CheckDefinition's with `definition`).
 * Returns 0, or -1 with Go's error text (no "Request decode failed"). */
static int decode_check(const cJSON *o, struct checkdef *k, bool definition, char *err,
                        size_t errlen)
{
	const cJSON *v[C_NSLOTS] = {0};
	const char *gostruct = definition ? "CheckDefinition" : "CheckType";
	struct dec d = {err, errlen};

	memset(k, 0, sizeof(*k));
	err[0] = '\0';
	if (definition)
		decode_fields(&d, o, check_definition_fields, gostruct, v);
	else
		decode_fields(&d, o, check_type_fields, gostruct, v);
	if (err[0])
		return -1;

	k->check_id = str_of(v[definition ? C_ID : C_CHECK_ID]);
	k->name = str_of(v[C_NAME]);
	k->status = str_of(v[C_STATUS]);
	k->notes = str_of(v[C_NOTES]);
	if (definition)
		k->service_id = str_or_alias(v[C_SERVICE_ID], v[C_SERVICE_ID_SNAKE]);
	k->http = str_of(v[C_HTTP]);
	k->method = str_of(v[C_METHOD]);
	k->tcp = str_of(v[C_TCP]);
	k->udp = str_of(v[C_UDP]);
	k->grpc = str_of(v[C_GRPC]);
	k->h2ping = str_of(v[C_H2PING]);
	k->body = str_of(v[C_BODY]);
	k->docker_container_id = str_or_alias(v[C_DOCKER], v[C_DOCKER_SNAKE]);
	k->shell = str_of(v[C_SHELL]);
	k->alias_node = str_of(v[C_ALIAS_NODE]);
	k->alias_service = str_of(v[C_ALIAS_SERVICE]);
	k->os_service = str_of(v[C_OS_SERVICE]);
	k->tls_server_name = str_or_alias(v[C_TLS_SERVER_NAME], v[C_TLS_SERVER_NAME_SNAKE]);
	if (present(v[C_HEADER]))
		k->header = cJSON_Duplicate(v[C_HEADER], 1);
	/* ScriptArgs, else args, else script_args: whichever is not empty. */
	const cJSON *args = v[C_SCRIPT_ARGS];
	if (!nonempty_array(args))
		args = v[C_ARGS];
	if (!nonempty_array(args))
		args = v[C_SCRIPT_ARGS_SNAKE];
	if (present(args))
		k->script_args = cJSON_Duplicate(args, 1);
	k->tls_skip_verify = bool_of(v[C_TLS_SKIP_VERIFY]) || bool_of(v[C_TLS_SKIP_VERIFY_SNAKE]);
	k->grpc_use_tls = bool_of(v[C_GRPC_USE_TLS]) || bool_of(v[C_GRPC_USE_TLS_SNAKE]);
	k->disable_redirects =
	    bool_of(v[C_DISABLE_REDIRECTS]) || bool_of(v[C_DISABLE_REDIRECTS_SNAKE]);
	/* An H2PING check uses TLS unless either spelling says otherwise. */
	bool camel =
	    present(v[C_H2PING_USE_TLS]) ? bool_of(v[C_H2PING_USE_TLS]) : nonempty(k->h2ping);
	bool snake = present(v[C_H2PING_USE_TLS_SNAKE]) ? bool_of(v[C_H2PING_USE_TLS_SNAKE])
	                                                : nonempty(k->h2ping);
	k->h2ping_use_tls = nonempty(k->h2ping) ? camel && snake : camel || snake;
	k->success_before_passing = int_of(v[C_SUCCESS_BEFORE_PASSING]);
	k->failures_before_warning = int_of(v[C_FAILURES_BEFORE_WARNING]);
	k->failures_before_critical = int_of(v[C_FAILURES_BEFORE_CRITICAL]);
	k->output_max_size = int_of(v[C_OUTPUT_MAX_SIZE]);

	const cJSON *dereg = present(v[C_DEREGISTER]) ? v[C_DEREGISTER] : v[C_DEREGISTER_SNAKE];
	if (duration_of(v[C_INTERVAL], gostruct, "Interval", &k->interval_ns, err, errlen) < 0 ||
	    duration_of(v[C_TIMEOUT], gostruct, "Timeout", &k->timeout_ns, err, errlen) < 0 ||
	    duration_of(v[C_TTL], gostruct, "TTL", &k->ttl_ns, err, errlen) < 0 ||
	    duration_of(dereg, gostruct, "DeregisterCriticalServiceAfter", &k->deregister_after_ns,
	                err, errlen) < 0)
		return -1;

	/* CheckType.Empty(): nothing but ServiceID was given. */
	char *const strs[] = {
	    k->check_id,       k->name,       k->status,        k->notes,
	    k->http,           k->method,     k->tcp,           k->udp,
	    k->grpc,           k->h2ping,     k->body,          k->docker_container_id,
	    k->shell,          k->alias_node, k->alias_service, k->os_service,
	    k->tls_server_name};
	k->empty = !k->header && !k->script_args && !k->tls_skip_verify && !k->grpc_use_tls &&
	           !k->h2ping_use_tls && !k->disable_redirects && !k->interval_ns &&
	           !k->timeout_ns && !k->ttl_ns && !k->deregister_after_ns &&
	           !k->success_before_passing && !k->failures_before_warning &&
	           !k->failures_before_critical && !k->output_max_size &&
	           !(cJSON_IsString(v[C_PROXY_HTTP]) && *v[C_PROXY_HTTP]->valuestring) &&
	           !(cJSON_IsString(v[C_PROXY_GRPC]) && *v[C_PROXY_GRPC]->valuestring);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		k->empty = k->empty && !nonempty(strs[i]);
	return 0;
}

static bool is_script(const struct checkdef *k)
{
	return k->script_args && cJSON_GetArraySize(k->script_args) > 0;
}

static bool is_alias(const struct checkdef *k)
{
	return nonempty(k->alias_node) || nonempty(k->alias_service);
}

/* CheckType.Validate: "" when valid. */
static const char *check_invalid(const struct checkdef *k)
{
	bool interval_check = is_script(k) || nonempty(k->http) || nonempty(k->tcp) ||
	                      nonempty(k->udp) || nonempty(k->grpc) || nonempty(k->h2ping) ||
	                      nonempty(k->os_service);
	if (k->interval_ns > 0 && k->ttl_ns > 0)
		return "Interval and TTL cannot both be specified";
	if (interval_check && k->interval_ns <= 0)
		return "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService "
		       "checks";
	if (interval_check && is_alias(k))
		return "Interval cannot be set for Alias checks";
	if (is_alias(k) && k->ttl_ns > 0)
		return "TTL must be not be set for Alias checks";
	if (!interval_check && !is_alias(k) && k->ttl_ns <= 0)
		return "TTL must be > 0 for TTL checks";
	if (k->output_max_size < 0)
		return "MaxOutputMaxSize must be positive";
	if (k->failures_before_warning > k->failures_before_critical)
		return "FailuresBeforeWarning can't be higher than FailuresBeforeCritical";
	return "";
}

const char *checkdef_type(const struct checkdef *k)
{
	bool interval = k->interval_ns > 0;
	if (nonempty(k->grpc) && interval)
		return "grpc";
	if (nonempty(k->http) && interval)
		return "http";
	if (k->ttl_ns > 0)
		return "ttl";
	if (nonempty(k->tcp) && interval)
		return "tcp";
	if (nonempty(k->udp) && interval)
		return "udp";
	if (is_alias(k))
		return "alias";
	if (is_script(k) && nonempty(k->docker_container_id) && interval)
		return "docker";
	if (is_script(k))
		return "script";
	if (nonempty(k->h2ping) && interval)
		return "h2ping";
	if (nonempty(k->os_service) && interval)
		return "os_service";
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

static cJSON *parse_body(const char *body, size_t len, const char *gotype, char *err, size_t errlen)
{
	if (!len) {
		snprintf(err, errlen, DECODE_FAILED "EOF");
		return NULL;
	}
	cJSON *j = cJSON_ParseWithLength(body, len);
	if (!j) {
		snprintf(err, errlen, DECODE_FAILED "invalid character in JSON body");
		return NULL;
	}
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen,
		         DECODE_FAILED "json: cannot unmarshal %s into Go value of type structs.%s",
		         json_kind(j), gotype);
		cJSON_Delete(j);
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

static int add_check(struct svcdef *d, const struct checkdef *k)
{
	struct checkdef *n = realloc(d->checks, (d->nchecks + 1) * sizeof(*n));
	if (!n)
		return -1;
	d->checks = n;
	d->checks[d->nchecks++] = *k;
	return 0;
}

static void free_checks(struct checkdef *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		checkdef_free(&list[i]);
	free(list);
}

/* A Check, or an entry of Checks, that is not an object: its UnmarshalJSON
 * fails (the text names the field, as Go's does for other mismatches). */
static int check_not_object(const cJSON *j, const char *field, char *err, size_t errlen)
{
	snprintf(err, errlen,
	         "json: cannot unmarshal %s into Go struct field ServiceDefinition.%s of type "
	         "structs.CheckType",
	         json_kind(j), field);
	return -1;
}

/* Decodes every Check and Checks member in document order: the first that
 * fails ends the decoding. *check / *list get the last of each. */
static int decode_service_checks(const cJSON *o, struct checkdef *check, bool *have_check,
                                 struct checkdef **list, size_t *nlist, char *err, size_t errlen)
{
	const cJSON *it, *e;
	cJSON_ArrayForEach (it, o) {
		const struct field *f = find_field(service_fields, it->string);
		if (!f || (f->kind != K_CHECK && f->kind != K_CHECKS) || cJSON_IsNull(it))
			continue;
		if (f->kind == K_CHECK) {
			struct checkdef k;
			if (!cJSON_IsObject(it))
				return check_not_object(it, "Check", err, errlen);
			int rc = decode_check(it, &k, false, err, errlen);
			if (rc < 0) {
				checkdef_free(&k);
				return -1;
			}
			if (*have_check)
				checkdef_free(check);
			*check = k;
			*have_check = true;
			continue;
		}
		if (!cJSON_IsArray(it))
			continue; /* a type error, recorded by decode_fields */
		size_t n = 0;
		struct checkdef *entries =
		    calloc((size_t)cJSON_GetArraySize(it) + 1, sizeof(*entries));
		if (!entries)
			return -1;
		cJSON_ArrayForEach (e, it) {
			struct checkdef *k = &entries[n++];
			if (cJSON_IsNull(e)) {
				memset(k, 0, sizeof(*k));
				k->null = true;
				continue;
			}
			if (!cJSON_IsObject(e) || decode_check(e, k, false, err, errlen) < 0) {
				if (!cJSON_IsObject(e))
					check_not_object(e, "Checks", err, errlen);
				free_checks(entries, n);
				return -1;
			}
		}
		free_checks(*list, *nlist);
		*list = entries;
		*nlist = n;
	}
	return 0;
}

int svcdef_decode(const char *body, size_t len, struct svcdef *d, char *err, size_t errlen)
{
	const cJSON *v[S_NSLOTS] = {0}, *w[W_NSLOTS] = {0};
	char saved[512] = "";
	struct dec dec = {saved, sizeof(saved)};
	struct checkdef check = {0}, *list = NULL;
	bool have_check = false;
	size_t nlist = 0;

	memset(d, 0, sizeof(*d));
	d->tags = cJSON_CreateArray();
	d->meta = cJSON_CreateObject();
	d->extra = cJSON_CreateObject();
	d->weight_passing = d->weight_warning = 1;

	cJSON *o = parse_body(body, len, "ServiceDefinition", err, errlen);
	if (!o)
		return 400;
	decode_fields(&dec, o, service_fields, "ServiceDefinition", v);
	char check_err[512];
	if (decode_service_checks(o, &check, &have_check, &list, &nlist, check_err,
	                          sizeof(check_err)) < 0) {
		snprintf(err, errlen, DECODE_FAILED "%s", check_err);
		goto refused;
	}
	if (saved[0]) {
		snprintf(err, errlen, DECODE_FAILED "%s", saved);
		goto refused;
	}

	d->id = str_of(v[S_ID]);
	d->name = str_of(v[S_NAME]);
	d->address = str_of(v[S_ADDRESS]);
	if (present(v[S_TAGS])) {
		cJSON_Delete(d->tags);
		d->tags = cJSON_Duplicate(v[S_TAGS], 1);
	}
	if (present(v[S_META])) {
		cJSON_Delete(d->meta);
		d->meta = cJSON_Duplicate(v[S_META], 1);
	}
	d->port = int_of(v[S_PORT]);
	d->enable_tag_override = bool_of(v[S_ETO]) || bool_of(v[S_ETO_SNAKE]);
	if (present(v[S_WEIGHTS])) {
		char none[512] = ""; /* its errors were recorded above */
		struct dec again = {none, sizeof(none)};
		decode_fields(&again, v[S_WEIGHTS], weights_fields, "Weights", w);
		d->weight_passing = int_of(w[W_PASSING]);
		d->weight_warning = int_of(w[W_WARNING]);
	}
	const cJSON *tagged = cJSON_GetArraySize(v[S_TAGGED]) > 0 ? v[S_TAGGED] : v[S_TAGGED_SNAKE];
	if (cJSON_IsString(v[S_KIND]) && *v[S_KIND]->valuestring)
		cJSON_AddItemToObject(d->extra, "Kind", cJSON_Duplicate(v[S_KIND], 1));
	if (cJSON_IsString(v[S_SOCKET_PATH]) && *v[S_SOCKET_PATH]->valuestring)
		cJSON_AddItemToObject(d->extra, "SocketPath", cJSON_Duplicate(v[S_SOCKET_PATH], 1));
	if (cJSON_GetArraySize(tagged) > 0)
		cJSON_AddItemToObject(d->extra, "TaggedAddresses", cJSON_Duplicate(tagged, 1));
	static const struct {
		const char *key;
		int slot;
	} echoed[] = {{"Locality", S_LOCALITY}, {"Proxy", S_PROXY}, {"Connect", S_CONNECT}};
	for (size_t i = 0; i < NELEMS(echoed); i++)
		if (present(v[echoed[i].slot]))
			cJSON_AddItemToObject(d->extra, echoed[i].key,
			                      cJSON_Duplicate(v[echoed[i].slot], 1));

	/* The Check when it says anything, then every entry of Checks. */
	if (have_check && (check.empty || add_check(d, &check) < 0))
		checkdef_free(&check);
	have_check = false;
	for (size_t i = 0; i < nlist; i++)
		if (add_check(d, &list[i]) < 0)
			checkdef_free(&list[i]);
	free(list);
	list = NULL;
	nlist = 0;
	cJSON_Delete(o);

	if (!nonempty(d->name))
		return fail(err, errlen, "Missing service name");
	if (!nonempty(d->id)) {
		free(d->id);
		d->id = strdup(d->name);
	}
	if (!d->address)
		d->address = strdup("");
	if (is_any_address(d->address))
		return fail(err, errlen, "Invalid service address");
	return 0;

refused:
	if (have_check)
		checkdef_free(&check);
	free_checks(list, nlist);
	cJSON_Delete(o);
	return 400;
}

int svcdef_validate(const struct svcdef *d, char *err, size_t errlen)
{
	char buf[1024];
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
		if (d->checks[i].null) {
			snprintf(err, errlen,
			         "a null entry in Checks: Consul's agent dereferences it (nil "
			         "pointer), panics and closes the connection without an answer");
			return SVCDEF_AGENT_PANICS;
		}
		why = check_invalid(&d->checks[i]);
		if (*why) {
			snprintf(err, errlen, "Invalid check: %s", why);
			return 400;
		}
	}
	for (size_t i = 0; i < d->nchecks; i++)
		if (nonempty(d->checks[i].status) && !checkdef_valid_status(d->checks[i].status))
			return fail(err, errlen,
			            "Status for checks must 'passing', 'warning', 'critical'");
	return 0;
}

int svcdef_parse(const char *body, size_t len, struct svcdef *d, char *err, size_t errlen)
{
	int rc = svcdef_decode(body, len, d, err, errlen);
	return rc ? rc : svcdef_validate(d, err, errlen);
}

/* ------------------------------------------------------------ checks */

int checkdef_decode_register(const char *body, size_t len, struct checkdef *k, char *err,
                             size_t errlen)
{
	char derr[512];
	memset(k, 0, sizeof(*k));
	cJSON *o = parse_body(body, len, "CheckDefinition", err, errlen);
	if (!o)
		return 400;
	int rc = decode_check(o, k, true, derr, sizeof(derr));
	cJSON_Delete(o);
	if (rc < 0) {
		snprintf(err, errlen, DECODE_FAILED "%s", derr);
		return 400;
	}
	if (!nonempty(k->name))
		return fail(err, errlen, "Missing check name");
	if (nonempty(k->status) && !checkdef_valid_status(k->status))
		return fail(err, errlen, "Bad check status");
	if (!nonempty(k->check_id)) {
		free(k->check_id);
		k->check_id = strdup(k->name);
	}
	return 0;
}

int checkdef_validate(const struct checkdef *k, char *err, size_t errlen)
{
	const char *why = check_invalid(k);
	if (*why) {
		snprintf(err, errlen, "Invalid check: %s", why);
		return 400;
	}
	return 0;
}

int checkdef_parse_register(const char *body, size_t len, struct checkdef *k, char *err,
                            size_t errlen)
{
	int rc = checkdef_decode_register(body, len, k, err, errlen);
	return rc ? rc : checkdef_validate(k, err, errlen);
}
