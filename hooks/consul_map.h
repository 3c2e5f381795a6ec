/* TaskInfo -> Consul service registrations, the way allegro/mesos-executor
 * and marathon-consul map a Marathon task, with their bugs fixed. Pure: no
 * I/O, no environment; the Consul hook (consul.c) does the sending.
 *
 * A task is registered only when it has a task label `consul`:
 *   - name: the label's value, or, when that is "" or "true", derived from
 *     the task id (consul_map_service_name);
 *   - one registration per name in every port label `consul` (a comma list;
 *     an empty value means the task's name), or, when no port has that label,
 *     one on the first port of TaskInfo.discovery.ports;
 *   - ID `<taskId>_<name>_<port>`;
 *   - tags, in order, without duplicates: the port's labels whose value is
 *     `tag` or `tag:<name>` (labelled ports only), the task's labels whose
 *     value is `tag`, the global tag, and always `marathon-task:<taskId>`;
 *     `{port:NAME}` in any tag becomes the number of the port named NAME
 *     (unknown names are kept as they are);
 *   - the check, from TaskInfo.health_check: HTTP becomes
 *     `<scheme>://<address>:<port><path>`, TCP `<address>:<port>`, where port
 *     is the health check's own port (the one Mesos checks and marathon-consul
 *     uses), or the registration's port when the check names none; Interval
 *     and Timeout in Go syntax ("10s", "1m0s"); Status the initial status.
 *     COMMAND checks, and no health check, give no Consul check.
 */
#ifndef HOOKS_CONSUL_MAP_H
#define HOOKS_CONSUL_MAP_H

#include "proto/mesos.h"

#include <stddef.h>
#include <stdint.h>

struct consul_map_settings {
	const char *global_tag;     /* added to every registration; NULL or "" for none */
	const char *initial_status; /* the check's Status: passing, warning or critical */
	const char *address;        /* the service Address (an IP literal) */
};

struct consul_reg {
	char *id;   /* "<taskId>_<name>_<port>" (owned) */
	char *name; /* the service name (owned) */
	uint32_t port;
	char *body; /* compact JSON for PUT /v1/agent/service/register (owned) */
};

struct consul_regs {
	struct consul_reg *v; /* owned; free with consul_regs_free */
	size_t n;
};

/* Fills *out with the task's registrations: none (n == 0) for a task without
 * a `consul` label. Returns 0, or -1 with err (e.g. a `consul` label on a
 * task without ports), with *out empty. */
int consul_map(const Mesos__V1__TaskInfo *task, const struct consul_map_settings *s,
               struct consul_regs *out, char *err, size_t errlen);
void consul_regs_free(struct consul_regs *r);

/* The service name for a `consul` label of "" or "true": the Marathon app id
 * inside the task id, with `_` -> `.` and `/` -> `-`:
 *   "group_app.instance-<uuid>._app.1" -> "group.app"   (Marathon >= 1.8)
 *   "com.x_y-app.<uuid>"               -> "com.x.y-app" (Marathon < 1.8)
 *   "/a/b/name"                        -> "a-b-name"
 * malloc'd (caller frees), NULL when out of memory. */
char *consul_map_service_name(const char *task_id);

#endif
