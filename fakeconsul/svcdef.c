/* Decoding Consul service and check definitions (svcdef.h): Consul's
 * structs described as gojson.h tables, decoded the way lib.DecodeJSON
 * decodes them. A Check or an entry of Checks is decoded by CheckType's own
 * UnmarshalJSON, whose error ends the decoding at once: it wins over errors
 * recorded before it. A check's durations are parsed after its members, in
 * CheckType's order (Interval, Timeout, TTL, DeregisterCriticalServiceAfter);
 * they accept any JSON type, and only strings and numbers mean something.
 * What Consul checks after the decoding is svcdef_validate.c's. */
#include "svcdef.h"

#include "godur.h"
#include "gojson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DECODE_FAILED "Request decode failed: "

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
static const struct gojson_field check_common_fields[] = {
    {"ScriptArgs", GOJSON_STRS, C_SCRIPT_ARGS, NULL, NULL},
    {"HTTP", GOJSON_STR, C_HTTP, NULL, NULL},
    {"H2PING", GOJSON_STR, C_H2PING, NULL, NULL},
    {"H2PingUseTLS", GOJSON_BOOL, C_H2PING_USE_TLS, NULL, NULL},
    {"Header", GOJSON_HEADER, C_HEADER, NULL, NULL},
    {"Method", GOJSON_STR, C_METHOD, NULL, NULL},
    {"Body", GOJSON_STR, C_BODY, NULL, NULL},
    {"DisableRedirects", GOJSON_BOOL, C_DISABLE_REDIRECTS, NULL, NULL},
    {"TCP", GOJSON_STR, C_TCP, NULL, NULL},
    {"UDP", GOJSON_STR, C_UDP, NULL, NULL},
    {"Interval", GOJSON_ANY, C_INTERVAL, NULL, NULL},
    {"AliasNode", GOJSON_STR, C_ALIAS_NODE, NULL, NULL},
    {"AliasService", GOJSON_STR, C_ALIAS_SERVICE, NULL, NULL},
    {"DockerContainerID", GOJSON_STR, C_DOCKER, NULL, NULL},
    {"Shell", GOJSON_STR, C_SHELL, NULL, NULL},
    {"GRPC", GOJSON_STR, C_GRPC, NULL, NULL},
    {"GRPCUseTLS", GOJSON_BOOL, C_GRPC_USE_TLS, NULL, NULL},
    {"OSService", GOJSON_STR, C_OS_SERVICE, NULL, NULL},
    {"TLSServerName", GOJSON_STR, C_TLS_SERVER_NAME, NULL, NULL},
    {"TLSSkipVerify", GOJSON_BOOL, C_TLS_SKIP_VERIFY, NULL, NULL},
    {"Timeout", GOJSON_ANY, C_TIMEOUT, NULL, NULL},
    {"TTL", GOJSON_ANY, C_TTL, NULL, NULL},
    {"SuccessBeforePassing", GOJSON_INT, C_SUCCESS_BEFORE_PASSING, NULL, NULL},
    {"FailuresBeforeWarning", GOJSON_INT, C_FAILURES_BEFORE_WARNING, NULL, NULL},
    {"FailuresBeforeCritical", GOJSON_INT, C_FAILURES_BEFORE_CRITICAL, NULL, NULL},
    {"DeregisterCriticalServiceAfter", GOJSON_ANY, C_DEREGISTER, NULL, NULL},
    {"OutputMaxSize", GOJSON_INT, C_OUTPUT_MAX_SIZE, NULL, NULL},
    {"args", GOJSON_STRS, C_ARGS, NULL, NULL},
    {"script_args", GOJSON_STRS, C_SCRIPT_ARGS_SNAKE, NULL, NULL},
    {"deregister_critical_service_after", GOJSON_ANY, C_DEREGISTER_SNAKE, NULL, NULL},
    {"docker_container_id", GOJSON_STR, C_DOCKER_SNAKE, NULL, NULL},
    {"tls_server_name", GOJSON_STR, C_TLS_SERVER_NAME_SNAKE, NULL, NULL},
    {"tls_skip_verify", GOJSON_BOOL, C_TLS_SKIP_VERIFY_SNAKE, NULL, NULL},
    {"grpc_use_tls", GOJSON_BOOL, C_GRPC_USE_TLS_SNAKE, NULL, NULL},
    {"h2ping_use_tls", GOJSON_BOOL, C_H2PING_USE_TLS_SNAKE, NULL, NULL},
    {"service_id", GOJSON_STR, C_SERVICE_ID_SNAKE, NULL, NULL},
    {NULL, GOJSON_STR, 0, NULL, NULL},
};

/* CheckType: ServiceID and service_id are read and ignored. */
static const struct gojson_field check_type_own_fields[] = {
    {"CheckID", GOJSON_STR, C_CHECK_ID, NULL, NULL},
    {"Name", GOJSON_STR, C_NAME, NULL, NULL},
    {"Status", GOJSON_STR, C_STATUS, NULL, NULL},
    {"Notes", GOJSON_STR, C_NOTES, NULL, NULL},
    {"ProxyHTTP", GOJSON_STR, C_PROXY_HTTP, NULL, NULL},
    {"ProxyGRPC", GOJSON_STR, C_PROXY_GRPC, NULL, NULL},
    {"ServiceID", GOJSON_STR, C_SERVICE_ID, NULL, NULL},
    {NULL, GOJSON_STR, 0, NULL, NULL},
};

/* CheckDefinition (PUT /v1/agent/check/register): ID, not CheckID. */
static const struct gojson_field check_definition_own_fields[] = {
    {"ID", GOJSON_STR, C_ID, NULL, NULL},
    {"Name", GOJSON_STR, C_NAME, NULL, NULL},
    {"Notes", GOJSON_STR, C_NOTES, NULL, NULL},
    {"ServiceID", GOJSON_STR, C_SERVICE_ID, NULL, NULL},
    {"Token", GOJSON_STR, C_TOKEN, NULL, NULL},
    {"Status", GOJSON_STR, C_STATUS, NULL, NULL},
    {"disable_redirects", GOJSON_BOOL, C_DISABLE_REDIRECTS_SNAKE, NULL, NULL},
    {NULL, GOJSON_STR, 0, NULL, NULL},
};

static const struct gojson_field *const check_type_fields[] = {check_type_own_fields,
                                                               check_common_fields, NULL};
static const struct gojson_field *const check_definition_fields[] = {check_definition_own_fields,
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

enum { W_PASSING, W_WARNING, W_NSLOTS };
static const struct gojson_field weights_fields_list[] = {
    {"Passing", GOJSON_INT, W_PASSING, NULL, NULL},
    {"Warning", GOJSON_INT, W_WARNING, NULL, NULL},
    {NULL, GOJSON_STR, 0, NULL, NULL},
};
static const struct gojson_field *const weights_fields[] = {weights_fields_list, NULL};
static const struct gojson_struct weights = {weights_fields, "Weights", NULL};

enum { L_REGION, L_ZONE, L_NSLOTS };
static const struct gojson_field locality_fields_list[] = {
    {"Region", GOJSON_STR, L_REGION, NULL, NULL},
    {"Zone", GOJSON_STR, L_ZONE, NULL, NULL},
    {NULL, GOJSON_STR, 0, NULL, NULL},
};
static const struct gojson_field *const locality_fields[] = {locality_fields_list, NULL};
static const struct gojson_struct locality = {locality_fields, "Locality", NULL};

enum { A_ADDRESS, A_PORT, A_NSLOTS };
static const struct gojson_field service_address_fields_list[] = {
    {"Address", GOJSON_STR, A_ADDRESS, NULL, NULL},
    {"Port", GOJSON_INT, A_PORT, NULL, NULL},
    {NULL, GOJSON_STR, 0, NULL, NULL},
};
static const struct gojson_field *const service_address_fields[] = {service_address_fields_list,
                                                                    NULL};
static const struct gojson_struct service_address = {service_address_fields, "ServiceAddress",
                                                     "structs.ServiceAddress"};

_Static_assert(W_NSLOTS <= GOJSON_MAX_SUB && L_NSLOTS <= GOJSON_MAX_SUB &&
                   A_NSLOTS <= GOJSON_MAX_SUB,
               "the nested structs fit gojson's value arrays");

static const struct gojson_field service_fields_list[] = {
    {"Kind", GOJSON_STR, S_KIND, NULL, NULL},
    {"ID", GOJSON_STR, S_ID, NULL, NULL},
    {"Name", GOJSON_STR, S_NAME, NULL, NULL},
    {"Tags", GOJSON_STRS, S_TAGS, NULL, NULL},
    {"Address", GOJSON_STR, S_ADDRESS, NULL, NULL},
    {"TaggedAddresses", GOJSON_STRUCTMAP, S_TAGGED, "map[string]structs.ServiceAddress",
     &service_address},
    {"Meta", GOJSON_STRMAP, S_META, NULL, NULL},
    {"Port", GOJSON_INT, S_PORT, NULL, NULL},
    {"Ports", GOJSON_ARRAY, S_PORTS, "structs.ServicePorts", NULL},
    {"SocketPath", GOJSON_STR, S_SOCKET_PATH, NULL, NULL},
    {"Check", GOJSON_CUSTOM, S_CHECK, "structs.CheckType", NULL},
    {"Checks", GOJSON_CUSTOMS, S_CHECKS, "structs.CheckTypes", NULL},
    {"Weights", GOJSON_STRUCT, S_WEIGHTS, "structs.Weights", &weights},
    {"Token", GOJSON_STR, S_TOKEN, NULL, NULL},
    {"EnableTagOverride", GOJSON_BOOL, S_ETO, NULL, NULL},
    {"Locality", GOJSON_STRUCT, S_LOCALITY, "structs.Locality", &locality},
    {"Proxy", GOJSON_OBJECT, S_PROXY, "structs.ConnectProxyConfig", NULL},
    {"Connect", GOJSON_OBJECT, S_CONNECT, "structs.ServiceConnect", NULL},
    {"enable_tag_override", GOJSON_BOOL, S_ETO_SNAKE, NULL, NULL},
    {"tagged_addresses", GOJSON_STRUCTMAP, S_TAGGED_SNAKE, "map[string]structs.ServiceAddress",
     &service_address},
    {NULL, GOJSON_STR, 0, NULL, NULL},
};
static const struct gojson_field *const service_fields[] = {service_fields_list, NULL};

#define NELEMS(t) (sizeof(t) / sizeof((t)[0]))

/* ------------------------------------------------------------ decoding */

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
			         "json: cannot unmarshal number into Go struct field %s.%s "
			         "of type "
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
	struct gojson d = {err, errlen};

	memset(k, 0, sizeof(*k));
	err[0] = '\0';
	if (definition)
		gojson_decode(&d, o, check_definition_fields, gostruct, v);
	else
		gojson_decode(&d, o, check_type_fields, gostruct, v);
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
		         gojson_type(j), gotype);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
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
	         gojson_type(j), field);
	return -1;
}

/* Decodes every Check and Checks member in document order: the first that
 * fails ends the decoding. *check / *list get the last of each. */
static int decode_service_checks(const cJSON *o, struct checkdef *check, bool *have_check,
                                 struct checkdef **list, size_t *nlist, char *err, size_t errlen)
{
	const cJSON *it, *e;
	cJSON_ArrayForEach (it, o) {
		const struct gojson_field *f = gojson_find(service_fields, it->string);
		if (!f || (f->kind != GOJSON_CUSTOM && f->kind != GOJSON_CUSTOMS) ||
		    cJSON_IsNull(it))
			continue;
		if (f->kind == GOJSON_CUSTOM) {
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
			continue; /* a type error, recorded by gojson_decode */
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
	struct gojson dec = {saved, sizeof(saved)};
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
	gojson_decode(&dec, o, service_fields, "ServiceDefinition", v);
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
		struct gojson again = {none, sizeof(none)};
		gojson_decode(&again, v[S_WEIGHTS], weights_fields, "Weights", w);
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

int checkdef_parse_register(const char *body, size_t len, struct checkdef *k, char *err,
                            size_t errlen)
{
	int rc = checkdef_decode_register(body, len, k, err, errlen);
	return rc ? rc : checkdef_validate(k, err, errlen);
}
