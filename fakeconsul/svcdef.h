/* Service and check definitions as Consul's agent decodes them: JSON keys
 * matched case-insensitively (Go's encoding/json), the snake_case aliases,
 * durations as Go strings or nanosecond numbers, "Check": null and
 * "Checks": [] meaning no check, and the validation of PUT
 * /v1/agent/service/register and /v1/agent/check/register with Consul's exact
 * 400 texts, in Consul's order. Pure: no I/O. */
#ifndef FAKECONSUL_SVCDEF_H
#define FAKECONSUL_SVCDEF_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One CheckType. Every pointer is owned (NULL when absent). */
struct checkdef {
	char *check_id, *name, *status, *notes, *service_id;
	char *http, *method, *tcp, *grpc, *body, *docker_container_id, *shell;
	cJSON *header;      /* {"Name":["v",...]} */
	cJSON *script_args; /* ["cmd","arg"] */
	bool tls_skip_verify, grpc_use_tls;
	int64_t interval_ns, timeout_ns, ttl_ns, deregister_after_ns;
	bool empty; /* no field was set: Consul drops such a check */
};

/* A service definition; every pointer is owned. */
struct svcdef {
	char *id;      /* defaults to name */
	char *name;    /* required */
	char *address; /* "" when absent */
	cJSON *tags;   /* array of strings, never NULL */
	cJSON *meta;   /* object of strings, never NULL */
	cJSON *extra;  /* Kind, Proxy, Connect, TaggedAddresses as given; echoed */
	int port;
	bool enable_tag_override;
	int weight_passing, weight_warning; /* 1, 1 by default */
	struct checkdef *checks;            /* Check first, then Checks; empty ones dropped */
	size_t nchecks;
};

/* Decodes and validates a register body. Returns 0, or the HTTP status to
 * answer (400) with Consul's text in err. */
int svcdef_parse(const char *body, size_t len, struct svcdef *out, char *err, size_t errlen);
void svcdef_free(struct svcdef *d);

/* Decodes and validates a PUT /v1/agent/check/register body (a
 * CheckDefinition: ID or CheckID, Name, ServiceID, Status, Notes and the
 * check fields). check_id defaults to the name. Returns 0 or 400 with err. */
int checkdef_parse_register(const char *body, size_t len, struct checkdef *out, char *err,
                            size_t errlen);
void checkdef_free(struct checkdef *c);

/* "http", "tcp", "ttl", "grpc", "docker", "script" or "". */
const char *checkdef_type(const struct checkdef *c);
bool checkdef_valid_status(const char *s);

#endif
