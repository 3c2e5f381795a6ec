/* /v1/catalog/..., /v1/health/... and /v1/status/... handlers of the fake
 * Consul agent. Catalog and health reads go through blocking.c, so they all
 * carry the X-Consul-* headers and honour ?index/?wait. */
#include "fakeconsul.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAGS 32

/* 500 "No path to datacenter" for a ?dc= that is not ours. */
static bool dc_ok(struct fakeconsul *fc, struct httpd_req *r)
{
	const char *dc = httpd_query(r, "dc");
	if (dc && *dc && strcmp(dc, fc->cat.datacenter) != 0) {
		httpd_reply_text(r, 500, "No path to datacenter");
		return false;
	}
	return true;
}

struct tags {
	const char *v[MAX_TAGS];
	size_t n;
};

static void collect_tag(void *data, const char *key, const char *value)
{
	struct tags *t = data;
	if (strcmp(key, "tag") == 0 && value && t->n < MAX_TAGS)
		t->v[t->n++] = value;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* ?passing as Consul's getBoolQueryParam reads it: absent is false, present
 * without a value is true, else strconv.ParseBool. -1 when it does not parse. */
static int passing_param(struct httpd_req *r, bool *passing)
{
	const char *v = httpd_query(r, "passing");
	*passing = httpd_has_query(r, "passing");
	if (!*passing || !v || !*v)
		return 0;
	return parse_bool(v, passing);
}

/* ------------------------------------------------------------ catalog */

void fc_catalog_datacenters(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	char idx[64];
	cJSON *a = cJSON_CreateArray();
	cJSON_AddItemToArray(a, cJSON_CreateString(fc->cat.datacenter));
	snprintf(idx, sizeof(idx), "X-Consul-Index: %llu", (unsigned long long)fc->cat.index);
	const char *hdrs[] = {idx, "X-Consul-KnownLeader: true", "X-Consul-LastContact: 0", NULL};
	httpd_reply_json(r, 200, a, hdrs);
}

struct services_ctx {
	cJSON *out;
	const struct acl_rights *rights;
	bool filtered;
};

static void add_service_tags(void *data, const struct cat_service *s)
{
	struct services_ctx *c = data;
	if (!acl_can_read(c->rights, s->name)) {
		c->filtered = true;
		return;
	}
	cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->out, s->name), *t, *have;
	if (!tags)
		tags = cJSON_AddArrayToObject(c->out, s->name);
	cJSON_ArrayForEach (t, s->tags) {
		bool dup = false;
		cJSON_ArrayForEach (have, tags) {
			dup |= strcmp(have->valuestring, t->valuestring) == 0;
		}
		if (!dup)
			cJSON_AddItemToArray(tags, cJSON_CreateString(t->valuestring));
	}
}

static void query_services(struct httpd_req *r, void *data, struct blocking_result *out)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	fc_rights(fc, r, &rights);
	struct services_ctx c = {cJSON_CreateObject(), &rights, false};
	catalog_each_service(&fc->cat, add_service_tags, &c);
	out->body = c.out;
	out->index = fc->cat.index;
	out->filtered = c.filtered && rights.supplied;
}

void fc_catalog_services(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	if (fc_auth(fc, r, &rights) && dc_ok(fc, r))
		blocking_serve(fc->blocking, r, query_services, fc);
}

/* One service name's entries, catalog or health shaped. */
struct entries_ctx {
	struct fakeconsul *fc;
	const char *name;
	struct tags tags;
	bool health, passing_only;
	const struct acl_rights *rights;
	cJSON *out;
	bool filtered;
};

static void add_entry(void *data, const struct cat_service *s)
{
	struct entries_ctx *c = data;
	if (strcmp(s->name, c->name) != 0 || !catalog_service_has_tags(s, c->tags.v, c->tags.n))
		return;
	if (!acl_can_read(c->rights, s->name)) {
		c->filtered = true;
		return;
	}
	if (c->passing_only && !catalog_service_passing(&c->fc->cat, s))
		return;
	cJSON_AddItemToArray(c->out, c->health ? catalog_health_json(&c->fc->cat, s)
	                                       : catalog_entry_json(&c->fc->cat, s));
}

static void query_entries(struct httpd_req *r, bool health, struct fakeconsul *fc,
                          struct blocking_result *out)
{
	struct acl_rights rights;
	fc_rights(fc, r, &rights);
	bool passing = false;
	if (health && passing_param(r, &passing) < 0) /* refused before blocking */
		passing = false;
	struct entries_ctx c = {
	    .fc = fc,
	    .name = fc_path_tail(r, health ? "/v1/health/service/" : "/v1/catalog/service/"),
	    .health = health,
	    .passing_only = passing,
	    .rights = &rights,
	    .out = cJSON_CreateArray(),
	};
	httpd_query_each(r, collect_tag, &c.tags);
	catalog_each_service(&fc->cat, add_entry, &c);
	out->body = c.out;
	out->index = catalog_name_index(&fc->cat, c.name);
	out->filtered = c.filtered && rights.supplied;
}

static void query_catalog_service(struct httpd_req *r, void *data, struct blocking_result *out)
{
	query_entries(r, false, data, out);
}

static void query_health_service(struct httpd_req *r, void *data, struct blocking_result *out)
{
	query_entries(r, true, data, out);
}

void fc_catalog_service(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	if (fc_auth(fc, r, &rights) && dc_ok(fc, r))
		blocking_serve(fc->blocking, r, query_catalog_service, fc);
}

/* ------------------------------------------------------------ health */

void fc_health_service(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	bool passing;
	if (passing_param(r, &passing) < 0) {
		httpd_reply_text(r, 400, "Invalid value for ?passing");
		return;
	}
	if (fc_auth(fc, r, &rights) && dc_ok(fc, r))
		blocking_serve(fc->blocking, r, query_health_service, fc);
}

static void query_health_checks(struct httpd_req *r, void *data, struct blocking_result *out)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	const char *name = fc_path_tail(r, "/v1/health/checks/");
	fc_rights(fc, r, &rights);
	out->body = cJSON_CreateArray();
	for (size_t i = 0; i < fc->cat.nchecks; i++) {
		const struct cat_check *k = fc->cat.checks[i];
		if (strcmp(k->service_name, name) != 0)
			continue;
		if (acl_can_read(&rights, name))
			cJSON_AddItemToArray(out->body, catalog_check_json(&fc->cat, k));
		else
			out->filtered = rights.supplied;
	}
	out->index = catalog_name_index(&fc->cat, name);
}

void fc_health_checks(struct httpd_req *r, void *data)
{
	struct fakeconsul *fc = data;
	struct acl_rights rights;
	if (fc_auth(fc, r, &rights) && dc_ok(fc, r))
		blocking_serve(fc->blocking, r, query_health_checks, fc);
}

/* ------------------------------------------------------------ status */

void fc_status_leader(struct httpd_req *r, void *data)
{
	httpd_reply_json(r, 200, cJSON_CreateString("127.0.0.1:8300"), NULL);
}

void fc_status_peers(struct httpd_req *r, void *data)
{
	cJSON *a = cJSON_CreateArray();
	cJSON_AddItemToArray(a, cJSON_CreateString("127.0.0.1:8300"));
	httpd_reply_json(r, 200, a, NULL);
}
