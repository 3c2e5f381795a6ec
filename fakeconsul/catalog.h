/* The fake Consul agent's state: one node, its services by ID and checks by
 * CheckID, the Raft-like index (starts at 1, +1 on every write, recorded as
 * CreateIndex/ModifyIndex and per service name for blocking queries), and the
 * JSON shapes the agent, catalog and health endpoints answer with. Pure: the
 * check runner and blocking queries hear about changes through the hooks. */
#ifndef FAKECONSUL_CATALOG_H
#define FAKECONSUL_CATALOG_H

#include "svcdef.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cat_service {
	char *id, *name, *address;  /* owned */
	cJSON *tags, *meta, *extra; /* owned; extra: Kind/Proxy/Connect/TaggedAddresses */
	int port;
	bool enable_tag_override;
	int weight_passing, weight_warning;
	uint64_t create_index, modify_index;
};

struct cat_check {
	char *id, *name, *status, *notes, *output; /* owned */
	char *service_id, *service_name;           /* owned; "" for node checks */
	cJSON *service_tags;                       /* owned array */
	const char *type;                          /* static: "http", "tcp", "ttl", ... */
	struct checkdef def;                       /* owned: how to run it */
	uint64_t create_index, modify_index;
	/* Critical since a result said so (the agent's CriticalTime: set by the
	 * first critical update, cleared by any other; a registration does
	 * not set it). */
	bool critical;
	uint64_t critical_since_ms;
};

struct catalog_hooks {
	void (*changed)(void *data); /* the index moved */
	void (*check_added)(void *data, const struct cat_check *k);
	void (*check_removed)(void *data, const char *check_id);
	uint64_t (*now_ms)(void *data); /* the clock for critical_since_ms (NULL: 0) */
	void *data;
};

struct catalog {
	char *node, *datacenter, *address; /* owned */
	char node_id[37];
	uint64_t index;
	struct cat_service **services; /* owned, sorted by id */
	size_t nservices;
	struct cat_check **checks; /* owned, sorted by id */
	size_t nchecks;
	struct name_index {
		char *name;
		uint64_t index;
	} * names; /* last change per service name, never shrinks */
	size_t nnames;
	struct cat_service consul; /* the catalog's own "consul" service */
	struct catalog_hooks hooks;
};

void catalog_init(struct catalog *c, const char *node, const char *datacenter);
void catalog_free(struct catalog *c);

struct cat_service *catalog_service(const struct catalog *c, const char *id);
struct cat_check *catalog_check(const struct catalog *c, const char *id);

/* Registers (or replaces) a service with its checks, as the agent's
 * AddService does; takes the definition's contents. Returns 0, or 500 with
 * err (script checks are disabled, as on a default agent). */
int catalog_add_service(struct catalog *c, struct svcdef *def, bool replace_existing_checks,
                        char *err, size_t errlen);
/* Removes a service and its checks; -1 when unknown. */
int catalog_remove_service(struct catalog *c, const char *id);
/* Registers a check (takes def's contents). Returns 0, or 404/500 with err. */
int catalog_add_check(struct catalog *c, struct checkdef *def, char *err, size_t errlen);
int catalog_remove_check(struct catalog *c, const char *id);
/* Sets a check's status and output (NULL keeps the output), as a result or
 * a TTL update does. The index moves only when the status changes. Returns
 * -1 for an unknown check. */
int catalog_update_check(struct catalog *c, const char *id, const char *status, const char *output);
/* Drops every service and check (the index moves). */
void catalog_reset(struct catalog *c);

/* Index of the last change to services named `name`, else the global one. */
uint64_t catalog_name_index(const struct catalog *c, const char *name);

/* Calls fn for the catalog's services (the "consul" one first, then by ID). */
void catalog_each_service(const struct catalog *c,
                          void (*fn)(void *data, const struct cat_service *s), void *data);
/* Whether a service has every tag (case-insensitive), and whether each of
 * its checks (and the node's) passes. */
bool catalog_service_has_tags(const struct cat_service *s, const char *const *tags, size_t n);
bool catalog_service_passing(const struct catalog *c, const struct cat_service *s);

/* --- JSON shapes (caller owns the result) */
cJSON *catalog_agent_service_json(const struct catalog *c, const struct cat_service *s);
cJSON *catalog_check_json(const struct catalog *c, const struct cat_check *k);
cJSON *catalog_entry_json(const struct catalog *c, const struct cat_service *s);
cJSON *catalog_health_json(const struct catalog *c, const struct cat_service *s);
cJSON *catalog_serf_check_json(const struct catalog *c);

#endif
