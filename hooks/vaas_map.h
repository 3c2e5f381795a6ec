/* TaskInfo -> a VaaS backend, the way allegro/mesos-executor's VaaS hook
 * builds it, and the reading of VaaS' (tastypie) answers. Pure: no I/O; the
 * VaaS hook (vaas.c) does the requests.
 *
 * The backend for POST /api/v0.1/backend/:
 *   {"address":"10.1.2.3","director":"/api/v0.1/director/456/",
 *    "dc":{"id":1,"name":"First datacenter","resource_uri":"/api/v0.1/dc/1/","symbol":"dc1"},
 *    "port":31000,"inherit_time_profile":true,"weight":50,"tags":["canary"]}
 *   - port: the first port of TaskInfo.discovery.ports with a label KEYED
 *     `frontend-sync:<director>`, else the first port;
 *   - weight: N from a task label `weight:N` whose value is `tag`, replaced by
 *     VAAS_INITIAL_WEIGHT from the task's environment; omitted when neither;
 *     a malformed or out-of-range (0-100) value is an error;
 *   - tags: ["canary"] when the task label `canary` is non-empty, else omitted.
 */
#ifndef HOOKS_VAAS_MAP_H
#define HOOKS_VAAS_MAP_H

#include "proto/mesos.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vaas_map_input {
	const char *address; /* the backend's IPv4 address */
	const cJSON *dc;     /* the dc object as VaaS listed it (id, name, resource_uri, symbol) */
	long director_id;
	/* The task's environment ("KEY=VALUE", NULL-terminated); when NULL the
	 * TaskInfo's command environment is read instead. */
	char *const *task_env;
};

/* The value of the task label `director`, or NULL when it is absent or
 * empty (the task does not want VaaS). */
const char *vaas_map_director(const Mesos__V1__TaskInfo *task);

/* The backend's port; *labelled tells whether a `frontend-sync:<director>`
 * label chose it. Returns 0, or -1 with err when the task has no ports. */
int vaas_map_port(const Mesos__V1__TaskInfo *task, const char *director, uint32_t *port,
                  bool *labelled, char *err, size_t errlen);

/* The backend as compact JSON, malloc'd (caller frees), or NULL with err. */
char *vaas_map_backend(const Mesos__V1__TaskInfo *task, const struct vaas_map_input *in, char *err,
                       size_t errlen);

/* In a tastypie list page ({"meta":{...,"next":...},"objects":[...]}), the
 * first object whose string `field` equals value, or NULL. */
const cJSON *vaas_map_find(const cJSON *page, const char *field, const char *value);
/* The page's meta.next (a URI relative to the VaaS host), or NULL. */
const char *vaas_map_next(const cJSON *page);
/* The integer `id` of an object, or -1. */
long vaas_map_id(const cJSON *obj);

/* The state of an asynchronous VaaS task ({"status":"PENDING|STARTED|RETRY|
 * FAILURE|SUCCESS","info":...}). */
enum vaas_task_state { VAAS_TASK_RUNNING, VAAS_TASK_SUCCESS, VAAS_TASK_FAILURE };
enum vaas_task_state vaas_map_task_state(const cJSON *task);

#endif
