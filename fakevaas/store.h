/* The fake VaaS's data: datacenters, logical clusters, probes, time profiles
 * and directors as seeded from a JSON file (seed.h; by default dev-data.json,
 * VaaS's development data), backends (seeded, then created through the API),
 * users with API keys and a write flag, and Celery-like reload tasks. Rows are
 * cJSON objects with an integer "id"; this module renders them the way VaaS's
 * tastypie resources do (resource_uri, nested dc, time_profile, decimals as
 * normalised strings). */
#ifndef FAKEVAAS_STORE_H
#define FAKEVAAS_STORE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define VAAS_API "/api/v0.1/"

struct vstore {
	/* Arrays of rows (owned). Backends are normalised: dc and director are
	 * ids, timeouts numbers, tags a list of strings. */
	cJSON *dcs, *clusters, *probes, *time_profiles, *directors, *backends, *users;
	cJSON *tasks; /* {"<uuid>": {"status","info","polls"}} (owned) */
	int next_backend_id;
	/* How new reload tasks read (GET /api/v0.1/task/<uuid>/): PENDING for
	 * the first `task_pending_polls` reads, then task_status. Owned. */
	char *task_status, *task_info;
	int task_pending_polls;
	/* Synchronous reload failures still to inject (500 "<message>"). */
	int reload_failures;
	char *reload_failure_message; /* owned */
};

/* Frees every table; the store is left empty (filled by seed_load, seed.h). */
void store_free(struct vstore *s);

/* The row with that id, or NULL. */
cJSON *store_find(const cJSON *table, int id);
/* The first row whose string field `key` equals value, or NULL. */
cJSON *store_find_str(const cJSON *table, const char *key, const char *value);
/* The user with these credentials, or NULL. */
const cJSON *store_user(const struct vstore *s, const char *username, const char *api_key);
/* Whether a write to the director's backends reloads some cluster (so that
 * it schedules a reload), as Backend.get_affected_clusters decides: all of
 * the director's clusters, or when the director is reachable via the service
 * mesh only those without service_mesh_routing. */
bool store_director_reloads(const struct vstore *s, const cJSON *director);

/* "/api/v0.1/<resource>/<id>/" into buf. */
const char *store_uri(char *buf, size_t len, const char *resource, int id);
/* The id in a "/api/v0.1/<resource>/<id>/" URI, or -1. */
int store_uri_id(const char *uri, const char *resource);
/* Decimal as VaaS prints it: 0.30 -> "0.3", 5.00 -> "5". */
void store_decimal(double v, char *buf, size_t len);

/* --- tastypie output (caller owns) */
cJSON *store_dc_json(const struct vstore *s, const cJSON *dc);
cJSON *store_director_json(const struct vstore *s, const cJSON *director);
cJSON *store_backend_json(const struct vstore *s, const cJSON *backend);

/* A new reload task (status as configured); writes its uuid. */
void store_task_new(struct vstore *s, char uuid[37]);
/* A task's output; unknown uuids read PENDING, as Celery's do. Counts the read. */
cJSON *store_task_json(struct vstore *s, const char *uuid);

#endif
