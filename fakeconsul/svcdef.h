/* Service and check definitions as Consul's agent decodes them
 * (structs.ServiceDefinition, CheckType and CheckDefinition, read with
 * lib.DecodeJSON, which disallows unknown fields): JSON keys matched to Go
 * fields ignoring case, the snake_case aliases each struct declares, any
 * other key refused with `json: unknown field "<key>"` (in nested Check,
 * Checks, Weights, Locality and TaggedAddresses too), durations as Go strings
 * or nanosecond numbers, and the validation of PUT
 * /v1/agent/service/register and /v1/agent/check/register with Consul's
 * exact texts, in Consul's order. The agent resolves the request's token
 * between decoding and validating, so the two are separate steps here.
 * Pure: no I/O. */
#ifndef FAKECONSUL_SVCDEF_H
#define FAKECONSUL_SVCDEF_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One CheckType. Every pointer is owned (NULL when absent). */
struct checkdef {
	char *check_id, *name, *status, *notes, *service_id;
	char *http, *method, *tcp, *udp, *grpc, *h2ping, *body, *docker_container_id, *shell;
	char *alias_node, *alias_service, *os_service, *tls_server_name;
	cJSON *header;      /* {"Name":["v",...]} */
	cJSON *script_args; /* ["cmd","arg"] */
	bool tls_skip_verify, grpc_use_tls, h2ping_use_tls, disable_redirects;
	int64_t interval_ns, timeout_ns, ttl_ns, deregister_after_ns;
	int success_before_passing, failures_before_warning, failures_before_critical;
	int output_max_size;
	bool empty; /* no field was set: Consul drops such a Check (not an entry of Checks) */
	bool null;  /* a null entry of Checks: Consul's agent crashes on it (nil pointer) */
};

/* A service definition; every pointer is owned. */
struct svcdef {
	char *id;      /* defaults to name */
	char *name;    /* required */
	char *address; /* "" when absent */
	cJSON *tags;   /* array of strings, never NULL */
	cJSON *meta;   /* object of strings, never NULL */
	cJSON *extra;  /* Kind, Proxy, Connect, TaggedAddresses, SocketPath, Locality; echoed */
	int port;
	bool enable_tag_override;
	int weight_passing, weight_warning; /* 1, 1 by default */
	struct checkdef *checks;            /* Check first, then Checks */
	size_t nchecks;
};

/* The status svcdef_validate returns for a definition Consul's agent cannot
 * survive (a null entry of Checks): it panics and the connection closes
 * without an answer. err says so. */
#define SVCDEF_AGENT_PANICS 500

/* Decodes a register body and checks what Consul checks before it resolves
 * the token: the decoding, the name and the address. Returns 0, or 400 with
 * Consul's text in err. The caller frees *out whatever the result. */
int svcdef_decode(const char *body, size_t len, struct svcdef *out, char *err, size_t errlen);
/* What Consul checks once the token is resolved: weights, meta, each check
 * (the Check when not empty, every entry of Checks) and their statuses.
 * Returns 0, 400 with Consul's text, or SVCDEF_AGENT_PANICS. */
int svcdef_validate(const struct svcdef *d, char *err, size_t errlen);
/* Both, in order. */
int svcdef_parse(const char *body, size_t len, struct svcdef *out, char *err, size_t errlen);
void svcdef_free(struct svcdef *d);

/* PUT /v1/agent/check/register (a CheckDefinition: ID, Name, ServiceID,
 * Token, Status, Notes and the check fields): decodes it and checks the name
 * and the status, as Consul does before it resolves the token; check_id
 * defaults to the name. Returns 0 or 400 with err. */
int checkdef_decode_register(const char *body, size_t len, struct checkdef *out, char *err,
                             size_t errlen);
/* Then the check type's own rules: 0 or 400 "Invalid check: ...". */
int checkdef_validate(const struct checkdef *c, char *err, size_t errlen);
/* Both, in order. */
int checkdef_parse_register(const char *body, size_t len, struct checkdef *out, char *err,
                            size_t errlen);
void checkdef_free(struct checkdef *c);

/* Consul's CheckType.Type(): "grpc", "http", "ttl", "tcp", "udp", "alias",
 * "docker", "script", "h2ping", "os_service" or "". */
const char *checkdef_type(const struct checkdef *c);
bool checkdef_valid_status(const char *s);

#endif
