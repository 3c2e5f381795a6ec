/* /v1/agent/... handlers of the fake Consul agent: service and check
 * registration, TTL updates, the agent's view of its services and checks,
 * and /v1/agent/self. Errors are plain text with Consul's wording. */
#include "fakeconsul.h"

#include "common/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply_permission_denied(struct httpd_req *r)
{
	httpd_reply_text(r, 403, "Permission denied");
}

/* Consul's reading of ?replace-existing-checks: present and "" or "true". */
static bool query_flag(struct httpd_req *r, const char *name)
{
	if (!httpd_has_query(r, name))
		return false;
	const char *v = httpd_query(r, name);
	return !v || !*v || strcmp(v, "true") == 0;
}

/* ------------------------------------------------------------ services */

void fc_agent_register(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct svcdef def;
	struct acl_rights rights;
	char err[1024];
	size_t len;
	const char *body = httpd_body(r, &len);

	/* Consul's order: decoding, name and address; the token; the rest. */
	int rc = svcdef_decode(body, len, &def, err, sizeof(err));
	if (rc) {
		svcdef_free(&def);
		httpd_reply_text(r, (unsigned)rc, "%s", err);
		return;
	}
	if (!fc_auth(fc, r, &rights)) {
		svcdef_free(&def);
		return;
	}
	rc = svcdef_validate(&def, err, sizeof(err));
	if (rc == SVCDEF_AGENT_PANICS) {
		log_error("fakeconsul: closing the connection as Consul's agent would: %s", err);
		svcdef_free(&def);
		httpd_drop(r);
		return;
	}
	if (rc) {
		svcdef_free(&def);
		httpd_reply_text(r, (unsigned)rc, "%s", err);
		return;
	}
	const struct cat_service *old = catalog_service(&fc->cat, def.id);
	if (!acl_can_write(&rights, def.name) || (old && !acl_can_write(&rights, old->name))) {
		svcdef_free(&def);
		reply_permission_denied(r);
		return;
	}
	char *id = strdup(def.id), *name = strdup(def.name);
	rc = catalog_add_service(&fc->cat, &def, query_flag(r, "replace-existing-checks"), err,
	                         sizeof(err));
	svcdef_free(&def);
	if (rc) {
		httpd_reply_text(r, (unsigned)rc, "%s", err);
	} else {
		log_info("fakeconsul: registered service %s (%s)", id, name);
		fc_reply_ok(r);
	}
	free(id);
	free(name);
}

void fc_agent_deregister(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	const char *id = fc_path_tail(r, "/v1/agent/service/deregister/");

	if (!fc_auth(fc, r, &rights))
		return;
	const struct cat_service *s = catalog_service(&fc->cat, id);
	if (!s) {
		httpd_reply_text(r, 404,
		                 "Unknown service ID \"%s\". Ensure that the service ID is passed, "
		                 "not the service name.",
		                 id);
		return;
	}
	if (!acl_can_write(&rights, s->name)) {
		reply_permission_denied(r);
		return;
	}
	log_info("fakeconsul: deregistered service %s", id);
	catalog_remove_service(&fc->cat, id);
	fc_reply_ok(r);
}

void fc_agent_services(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	bool filtered = false;

	if (!fc_auth(fc, r, &rights))
		return;
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < fc->cat.nservices; i++) {
		const struct cat_service *s = fc->cat.services[i];
		if (acl_can_read(&rights, s->name))
			cJSON_AddItemToObject(o, s->id, catalog_agent_service_json(&fc->cat, s));
		else
			filtered = true;
	}
	const char *hdrs[] = {
	    filtered && rights.supplied ? "X-Consul-Results-Filtered-By-ACLs: true" : NULL, NULL};
	httpd_reply_json(r, 200, o, hdrs);
}

/* FNV-1a of the service's JSON: a stable content hash. */
static void content_hash(const cJSON *svc, char out[17])
{
	char *s = cJSON_PrintUnformatted(svc);
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = s ? s : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	free(s);
	snprintf(out, 17, "%016" PRIx64, h);
}

/* The agent's view of one service, as LocalBlockingQuery computes it. */
static void query_agent_service(struct httpd_req *r, void *data, struct blocking_hashed *out)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	const char *id = fc_path_tail(r, "/v1/agent/service/");
	const struct cat_service *s = catalog_service(&fc->cat, id);
	out->status = 200;
	if (!s) {
		out->status = 404;
		snprintf(out->error, sizeof(out->error), "unknown service ID: %s", id);
		return;
	}
	fc_rights(fc, r, &rights);
	if (!acl_can_read(&rights, s->name)) {
		out->status = 403;
		snprintf(out->error, sizeof(out->error), "Permission denied");
		return;
	}
	out->body = catalog_agent_service_json(&fc->cat, s);
	content_hash(out->body, out->hash);
	cJSON_AddStringToObject(out->body, "ContentHash", out->hash);
}

void fc_agent_service(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	const char *id = fc_path_tail(r, "/v1/agent/service/");
	uint64_t index;
	int64_t wait_ns;

	/* GET on the write paths under the same prefix. */
	if (strcmp(id, "register") == 0 || strncmp(id, "deregister/", 11) == 0 ||
	    strncmp(id, "maintenance/", 12) == 0) {
		fc_reply_405(r, "OPTIONS,PUT");
		return;
	}
	/* Consul's order: ?wait and ?index, the token, then the (blocking) read. */
	if (blocking_parse(r, &index, &wait_ns) < 0 || !fc_auth(fc, r, &rights))
		return;
	blocking_serve_hash(fc->blocking, r, httpd_query(r, "hash"), wait_ns, query_agent_service,
	                    fc);
}

/* ------------------------------------------------------------ checks */

static bool can_read_check(const struct acl_rights *rights, const struct cat_check *k)
{
	return !*k->service_name || acl_can_read(rights, k->service_name);
}

static bool can_write_check(const struct acl_rights *rights, const struct cat_check *k)
{
	return *k->service_name ? acl_can_write(rights, k->service_name)
	                        : acl_can_write_node(rights);
}

void fc_agent_checks(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	bool filtered = false;

	if (!fc_auth(fc, r, &rights))
		return;
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < fc->cat.nchecks; i++) {
		const struct cat_check *k = fc->cat.checks[i];
		if (can_read_check(&rights, k))
			cJSON_AddItemToObject(o, k->id, catalog_check_json(&fc->cat, k));
		else
			filtered = true;
	}
	const char *hdrs[] = {
	    filtered && rights.supplied ? "X-Consul-Results-Filtered-By-ACLs: true" : NULL, NULL};
	httpd_reply_json(r, 200, o, hdrs);
}

void fc_agent_check_register(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct checkdef def;
	struct acl_rights rights;
	char err[1024];
	size_t len;
	const char *body = httpd_body(r, &len);

	/* Consul's order: decoding, name and status; the token; the check. */
	int rc = checkdef_decode_register(body, len, &def, err, sizeof(err));
	if (rc) {
		checkdef_free(&def);
		httpd_reply_text(r, (unsigned)rc, "%s", err);
		return;
	}
	if (!fc_auth(fc, r, &rights)) {
		checkdef_free(&def);
		return;
	}
	rc = checkdef_validate(&def, err, sizeof(err));
	if (rc) {
		checkdef_free(&def);
		httpd_reply_text(r, (unsigned)rc, "%s", err);
		return;
	}
	const struct cat_service *s =
	    def.service_id && *def.service_id ? catalog_service(&fc->cat, def.service_id) : NULL;
	if (s ? !acl_can_write(&rights, s->name)
	      : !(def.service_id && *def.service_id) && !acl_can_write_node(&rights)) {
		checkdef_free(&def);
		reply_permission_denied(r);
		return;
	}
	rc = catalog_add_check(&fc->cat, &def, err, sizeof(err));
	checkdef_free(&def);
	if (rc)
		httpd_reply_text(r, (unsigned)rc, "%s", err);
	else
		fc_reply_ok(r);
}

static void reply_unknown_check(struct httpd_req *r, const char *id)
{
	httpd_reply_text(r, 404,
	                 "Unknown check ID \"%s\". Ensure that the check ID is passed, not the "
	                 "check name.",
	                 id);
}

void fc_agent_check_deregister(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	const char *id = fc_path_tail(r, "/v1/agent/check/deregister/");

	if (!fc_auth(fc, r, &rights))
		return;
	const struct cat_check *k = catalog_check(&fc->cat, id);
	if (!k) {
		reply_unknown_check(r, id);
		return;
	}
	if (!can_write_check(&rights, k)) {
		reply_permission_denied(r);
		return;
	}
	catalog_remove_check(&fc->cat, id);
	fc_reply_ok(r);
}

/* The common end of pass/warn/fail/update. */
static void ttl_update(struct fakeconsul *fc, struct httpd_req *r, const char *id,
                       const char *status, const char *output)
{
	struct acl_rights rights;

	if (!fc_auth(fc, r, &rights))
		return;
	const struct cat_check *k = catalog_check(&fc->cat, id);
	if (!k) {
		reply_unknown_check(r, id);
		return;
	}
	if (!can_write_check(&rights, k)) {
		reply_permission_denied(r);
		return;
	}
	if (strcmp(k->type, "ttl") != 0) {
		httpd_reply_text(r, 500, "CheckID \"%s\" does not have associated TTL", id);
		return;
	}
	catalog_update_check(&fc->cat, id, status, output ? output : "");
	fc_ttl_touched(fc, id);
	fc_reply_ok(r);
}

void fc_agent_check_pass(struct httpd_req *r, void *data)
{
	ttl_update(data, r, fc_path_tail(r, "/v1/agent/check/pass/"), "passing",
	           httpd_query(r, "note"));
}

void fc_agent_check_warn(struct httpd_req *r, void *data)
{
	ttl_update(data, r, fc_path_tail(r, "/v1/agent/check/warn/"), "warning",
	           httpd_query(r, "note"));
}

void fc_agent_check_fail(struct httpd_req *r, void *data)
{
	ttl_update(data, r, fc_path_tail(r, "/v1/agent/check/fail/"), "critical",
	           httpd_query(r, "note"));
}

void fc_agent_check_update(struct httpd_req *r, void *data)
{
	size_t len;
	const char *body = httpd_body(r, &len);
	cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		httpd_reply_text(r, 400, "Request decode failed: %s",
		                 len ? "invalid JSON body" : "EOF");
		return;
	}
	const cJSON *st = cJSON_GetObjectItem(j, "Status"), *out = cJSON_GetObjectItem(j, "Output");
	const char *status = cJSON_IsString(st) ? st->valuestring : "";
	if (!checkdef_valid_status(status)) {
		httpd_reply_text(r, 400, "Invalid check status: '%s'", status);
		cJSON_Delete(j);
		return;
	}
	ttl_update(data, r, fc_path_tail(r, "/v1/agent/check/update/"), status,
	           cJSON_IsString(out) ? out->valuestring : "");
	cJSON_Delete(j);
}

/* ------------------------------------------------------------ self */

void fc_agent_self(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;

	if (!fc_auth(fc, r, &rights))
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON *cfg = cJSON_AddObjectToObject(o, "Config");
	cJSON_AddStringToObject(cfg, "Datacenter", fc->cat.datacenter);
	cJSON_AddStringToObject(cfg, "NodeName", fc->cat.node);
	cJSON_AddStringToObject(cfg, "NodeID", fc->cat.node_id);
	cJSON_AddStringToObject(cfg, "Revision", "fake");
	cJSON_AddBoolToObject(cfg, "Server", true);
	cJSON_AddStringToObject(cfg, "Version", "1.2.0");
	cJSON_AddNullToObject(o, "Coord");
	cJSON *m = cJSON_AddObjectToObject(o, "Member");
	cJSON_AddStringToObject(m, "Name", fc->cat.node);
	cJSON_AddStringToObject(m, "Addr", fc->cat.address);
	cJSON_AddNumberToObject(m, "Port", 8301);
	cJSON *tags = cJSON_AddObjectToObject(m, "Tags");
	cJSON_AddStringToObject(tags, "dc", fc->cat.datacenter);
	cJSON_AddStringToObject(tags, "role", "consul");
	cJSON_AddNumberToObject(m, "Status", 1);
	cJSON_AddObjectToObject(o, "Meta");
	httpd_reply_json(r, 200, o, NULL);
}
