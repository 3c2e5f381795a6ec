/* The fake Consul agent's services, checks and indexes (see catalog.h). */
#include "catalog.h"

#include "common/duration.h"
#include "common/uuid4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *xstrdup(const char *s)
{
	return strdup(s ? s : "");
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

void catalog_init(struct catalog *c, const char *node, const char *datacenter)
{
	uint8_t id[16];

	memset(c, 0, sizeof(*c));
	c->node = xstrdup(node);
	c->datacenter = xstrdup(datacenter);
	c->address = xstrdup("127.0.0.1");
	uuid4_new(id);
	uuid4_format(id, c->node_id);
	c->index = 1;
	c->consul.id = xstrdup("consul");
	c->consul.name = xstrdup("consul");
	c->consul.address = xstrdup("");
	c->consul.tags = cJSON_CreateArray();
	c->consul.meta = cJSON_CreateObject();
	c->consul.extra = cJSON_CreateObject();
	c->consul.port = 8300;
	c->consul.weight_passing = c->consul.weight_warning = 1;
	c->consul.create_index = c->consul.modify_index = 1;
}

static void service_free(struct cat_service *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->name);
	free(s->address);
	cJSON_Delete(s->tags);
	cJSON_Delete(s->meta);
	cJSON_Delete(s->extra);
}

static void check_free(struct cat_check *k)
{
	free(k->id);
	free(k->name);
	free(k->status);
	free(k->notes);
	free(k->output);
	free(k->service_id);
	free(k->service_name);
	cJSON_Delete(k->service_tags);
	checkdef_free(&k->def);
	free(k);
}

void catalog_free(struct catalog *c)
{
	for (size_t i = 0; i < c->nservices; i++) {
		service_free(c->services[i]);
		free(c->services[i]);
	}
	for (size_t i = 0; i < c->nchecks; i++)
		check_free(c->checks[i]);
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i].name);
	free(c->services);
	free(c->checks);
	free(c->names);
	service_free(&c->consul);
	free(c->node);
	free(c->datacenter);
	free(c->address);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------ lookups */

static size_t service_pos(const struct catalog *c, const char *id, bool *found)
{
	size_t i = 0;
	while (i < c->nservices && strcmp(c->services[i]->id, id) < 0)
		i++;
	*found = i < c->nservices && strcmp(c->services[i]->id, id) == 0;
	return i;
}

static size_t check_pos(const struct catalog *c, const char *id, bool *found)
{
	size_t i = 0;
	while (i < c->nchecks && strcmp(c->checks[i]->id, id) < 0)
		i++;
	*found = i < c->nchecks && strcmp(c->checks[i]->id, id) == 0;
	return i;
}

struct cat_service *catalog_service(const struct catalog *c, const char *id)
{
	bool found;
	size_t i = service_pos(c, id, &found);
	return found ? c->services[i] : NULL;
}

struct cat_check *catalog_check(const struct catalog *c, const char *id)
{
	bool found;
	size_t i = check_pos(c, id, &found);
	return found ? c->checks[i] : NULL;
}

uint64_t catalog_name_index(const struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i].name, name) == 0)
			return c->names[i].index;
	return c->index;
}

static void touch_name(struct catalog *c, const char *name)
{
	if (!name || !*name)
		return;
	for (size_t i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i].name, name) == 0) {
			c->names[i].index = c->index;
			return;
		}
	struct name_index *n = realloc(c->names, (c->nnames + 1) * sizeof(*n));
	if (!n)
		return;
	c->names = n;
	c->names[c->nnames].name = xstrdup(name);
	c->names[c->nnames++].index = c->index;
}

static void changed(struct catalog *c)
{
	if (c->hooks.changed)
		c->hooks.changed(c->hooks.data);
}

/* ------------------------------------------------------------ checks */

static void check_remove_at(struct catalog *c, size_t i)
{
	struct cat_check *k = c->checks[i];
	memmove(&c->checks[i], &c->checks[i + 1], (c->nchecks - i - 1) * sizeof(*c->checks));
	c->nchecks--;
	if (c->hooks.check_removed)
		c->hooks.check_removed(c->hooks.data, k->id);
	touch_name(c, k->service_name);
	check_free(k);
}

/* Inserts k (taking it), replacing a check with the same ID. */
static int check_insert(struct catalog *c, struct cat_check *k)
{
	bool found;
	size_t i = check_pos(c, k->id, &found);
	if (found) {
		check_remove_at(c, i);
		i = check_pos(c, k->id, &found);
	}
	struct cat_check **n = realloc(c->checks, (c->nchecks + 1) * sizeof(*n));
	if (!n) {
		check_free(k);
		return -1;
	}
	c->checks = n;
	memmove(&c->checks[i + 1], &c->checks[i], (c->nchecks - i) * sizeof(*c->checks));
	c->checks[i] = k;
	c->nchecks++;
	touch_name(c, k->service_name);
	if (c->hooks.check_added)
		c->hooks.check_added(c->hooks.data, k);
	return 0;
}

/* A check from its definition (taking def's contents). */
static struct cat_check *check_new(struct catalog *c, struct checkdef *def, const char *id,
                                   const char *name, const struct cat_service *svc)
{
	struct cat_check *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->id = xstrdup(id);
	k->name = xstrdup(name);
	k->status = xstrdup(def->status && *def->status ? def->status : "critical");
	k->notes = xstrdup(def->notes);
	k->output = xstrdup("");
	k->service_id = xstrdup(svc ? svc->id : "");
	k->service_name = xstrdup(svc ? svc->name : "");
	k->service_tags = svc ? cJSON_Duplicate(svc->tags, 1) : cJSON_CreateArray();
	k->type = checkdef_type(def);
	k->def = *def;
	memset(def, 0, sizeof(*def));
	k->create_index = k->modify_index = c->index;
	/* A check that existed keeps its state, as the agent's snapshot does. */
	const struct cat_check *old = catalog_check(c, id);
	if (old) {
		set_str(&k->status, old->status);
		set_str(&k->output, old->output);
		k->create_index = old->create_index;
	}
	return k;
}

static int scripts_disabled(const struct checkdef *d, char *err, size_t errlen)
{
	const char *t = checkdef_type(d);
	if (strcmp(t, "script") == 0 || strcmp(t, "docker") == 0) {
		snprintf(err, errlen,
		         "Scripts are disabled on this agent; to enable, configure "
		         "'enable_script_checks' to true");
		return 500;
	}
	return 0;
}

int catalog_add_check(struct catalog *c, struct checkdef *def, char *err, size_t errlen)
{
	const struct cat_service *svc = NULL;
	if (def->service_id && *def->service_id) {
		svc = catalog_service(c, def->service_id);
		if (!svc) {
			snprintf(err, errlen, "ServiceID \"%s\" does not exist", def->service_id);
			return 404;
		}
	}
	int rc = scripts_disabled(def, err, errlen);
	if (rc)
		return rc;
	c->index++;
	char *id = xstrdup(def->check_id), *name = xstrdup(def->name);
	struct cat_check *k = check_new(c, def, id, name, svc);
	free(id);
	free(name);
	if (!k || check_insert(c, k) < 0)
		return 500;
	changed(c);
	return 0;
}

int catalog_remove_check(struct catalog *c, const char *id)
{
	bool found;
	size_t i = check_pos(c, id, &found);
	if (!found)
		return -1;
	c->index++;
	check_remove_at(c, i);
	changed(c);
	return 0;
}

int catalog_update_check(struct catalog *c, const char *id, const char *status, const char *output)
{
	struct cat_check *k = catalog_check(c, id);
	if (!k)
		return -1;
	if (output)
		set_str(&k->output, output);
	bool critical = strcmp(status, "critical") == 0;
	if (critical && !k->critical)
		k->critical_since_ms = c->hooks.now_ms ? c->hooks.now_ms(c->hooks.data) : 0;
	k->critical = critical;
	if (strcmp(k->status, status) == 0)
		return 0;
	set_str(&k->status, status);
	k->modify_index = ++c->index;
	touch_name(c, k->service_name);
	changed(c);
	return 0;
}

/* ------------------------------------------------------------ services */

int catalog_add_service(struct catalog *c, struct svcdef *def, bool replace_existing_checks,
                        char *err, size_t errlen)
{
	for (size_t i = 0; i < def->nchecks; i++) {
		int rc = scripts_disabled(&def->checks[i], err, errlen);
		if (rc)
			return rc;
	}
	struct cat_service *s = calloc(1, sizeof(*s));
	if (!s)
		return 500;
	c->index++;
	s->id = def->id;
	s->name = def->name;
	s->address = def->address;
	s->tags = def->tags;
	s->meta = def->meta;
	s->extra = def->extra;
	s->port = def->port;
	s->enable_tag_override = def->enable_tag_override;
	s->weight_passing = def->weight_passing;
	s->weight_warning = def->weight_warning;
	s->create_index = s->modify_index = c->index;
	def->id = def->name = def->address = NULL;
	def->tags = def->meta = def->extra = NULL;

	bool found;
	size_t pos = service_pos(c, s->id, &found);
	if (found) {
		struct cat_service *old = c->services[pos];
		s->create_index = old->create_index;
		touch_name(c, old->name);
		service_free(old);
		free(old);
		c->services[pos] = s;
	} else {
		struct cat_service **n = realloc(c->services, (c->nservices + 1) * sizeof(*n));
		if (!n) {
			service_free(s);
			free(s);
			return 500;
		}
		c->services = n;
		memmove(&c->services[pos + 1], &c->services[pos],
		        (c->nservices - pos) * sizeof(*c->services));
		c->services[pos] = s;
		c->nservices++;
	}
	touch_name(c, s->name);

	/* The new checks' IDs, to know which old ones survive. */
	char **ids = calloc(def->nchecks + 1, sizeof(*ids));
	for (size_t i = 0; ids && i < def->nchecks; i++) {
		const struct checkdef *d = &def->checks[i];
		if (d->check_id && *d->check_id)
			ids[i] = xstrdup(d->check_id);
		else if (def->nchecks > 1 && asprintf(&ids[i], "service:%s:%zu", s->id, i + 1) < 0)
			ids[i] = NULL;
		else if (def->nchecks == 1 && asprintf(&ids[i], "service:%s", s->id) < 0)
			ids[i] = NULL;
	}
	for (size_t i = 0; i < c->nchecks;) {
		struct cat_check *k = c->checks[i];
		bool mine = strcmp(k->service_id, s->id) == 0, renewed = false;
		for (size_t j = 0; ids && j < def->nchecks; j++)
			if (ids[j] && strcmp(ids[j], k->id) == 0)
				renewed = true;
		if (mine && replace_existing_checks && !renewed) {
			check_remove_at(c, i);
			continue;
		}
		if (mine) { /* survives: follows the service's new name and tags */
			set_str(&k->service_name, s->name);
			cJSON_Delete(k->service_tags);
			k->service_tags = cJSON_Duplicate(s->tags, 1);
		}
		i++;
	}
	for (size_t i = 0; ids && i < def->nchecks; i++) {
		struct checkdef *d = &def->checks[i];
		char *name = NULL;
		if (d->name && *d->name)
			name = xstrdup(d->name);
		else if (asprintf(&name, "Service '%s' check", s->name) < 0)
			name = NULL;
		struct cat_check *k = ids[i] && name ? check_new(c, d, ids[i], name, s) : NULL;
		if (k)
			check_insert(c, k);
		free(name);
		free(ids[i]);
	}
	free(ids);
	changed(c);
	return 0;
}

int catalog_remove_service(struct catalog *c, const char *id)
{
	bool found;
	size_t pos = service_pos(c, id, &found);
	if (!found)
		return -1;
	struct cat_service *s = c->services[pos];
	c->index++;
	for (size_t i = 0; i < c->nchecks;) {
		if (strcmp(c->checks[i]->service_id, id) == 0)
			check_remove_at(c, i);
		else
			i++;
	}
	memmove(&c->services[pos], &c->services[pos + 1],
	        (c->nservices - pos - 1) * sizeof(*c->services));
	c->nservices--;
	touch_name(c, s->name);
	service_free(s);
	free(s);
	changed(c);
	return 0;
}

void catalog_reset(struct catalog *c)
{
	c->index++;
	while (c->nchecks)
		check_remove_at(c, c->nchecks - 1);
	while (c->nservices) {
		struct cat_service *s = c->services[--c->nservices];
		touch_name(c, s->name);
		service_free(s);
		free(s);
	}
	changed(c);
}

/* ------------------------------------------------------------ queries */

void catalog_each_service(const struct catalog *c,
                          void (*fn)(void *data, const struct cat_service *s), void *data)
{
	fn(data, &c->consul);
	for (size_t i = 0; i < c->nservices; i++)
		fn(data, c->services[i]);
}

bool catalog_service_has_tags(const struct cat_service *s, const char *const *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool hit = false;
		const cJSON *t;
		cJSON_ArrayForEach (t, s->tags) {
			if (cJSON_IsString(t) && strcasecmp(t->valuestring, tags[i]) == 0)
				hit = true;
		}
		if (!hit)
			return false;
	}
	return true;
}

bool catalog_service_passing(const struct catalog *c, const struct cat_service *s)
{
	for (size_t i = 0; i < c->nchecks; i++) {
		const struct cat_check *k = c->checks[i];
		if ((!*k->service_id || strcmp(k->service_id, s->id) == 0) &&
		    strcmp(k->status, "passing") != 0)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ JSON */

static cJSON *weights_json(const struct cat_service *s)
{
	cJSON *w = cJSON_CreateObject();
	cJSON_AddNumberToObject(w, "Passing", s->weight_passing);
	cJSON_AddNumberToObject(w, "Warning", s->weight_warning);
	return w;
}

cJSON *catalog_agent_service_json(const struct catalog *c, const struct cat_service *s)
{
	cJSON *o = cJSON_CreateObject(), *e;
	cJSON_AddStringToObject(o, "ID", s->id);
	cJSON_AddStringToObject(o, "Service", s->name);
	cJSON_AddItemToObject(o, "Tags", cJSON_Duplicate(s->tags, 1));
	cJSON_AddItemToObject(o, "Meta", cJSON_Duplicate(s->meta, 1));
	cJSON_AddNumberToObject(o, "Port", s->port);
	cJSON_AddStringToObject(o, "Address", s->address);
	cJSON_AddBoolToObject(o, "EnableTagOverride", s->enable_tag_override);
	cJSON_AddItemToObject(o, "Weights", weights_json(s));
	cJSON_AddStringToObject(o, "Datacenter", c->datacenter);
	cJSON_ArrayForEach (e, s->extra) {
		cJSON_AddItemToObject(o, e->string, cJSON_Duplicate(e, 1));
	}
	return o;
}

static void add_duration(cJSON *o, const char *key, int64_t ns)
{
	char buf[64] = "";
	if (ns > 0)
		duration_format_go(ns, buf, sizeof(buf));
	cJSON_AddStringToObject(o, key, buf);
}

cJSON *catalog_check_json(const struct catalog *c, const struct cat_check *k)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Node", c->node);
	cJSON_AddStringToObject(o, "CheckID", k->id);
	cJSON_AddStringToObject(o, "Name", k->name);
	cJSON_AddStringToObject(o, "Status", k->status);
	cJSON_AddStringToObject(o, "Notes", k->notes);
	cJSON_AddStringToObject(o, "Output", k->output);
	cJSON_AddStringToObject(o, "ServiceID", k->service_id);
	cJSON_AddStringToObject(o, "ServiceName", k->service_name);
	cJSON_AddItemToObject(o, "ServiceTags", cJSON_Duplicate(k->service_tags, 1));
	cJSON_AddStringToObject(o, "Type", k->type);
	add_duration(o, "Interval", k->def.interval_ns);
	add_duration(o, "Timeout", k->def.timeout_ns);
	cJSON_AddNumberToObject(o, "CreateIndex", (double)k->create_index);
	cJSON_AddNumberToObject(o, "ModifyIndex", (double)k->modify_index);
	return o;
}

cJSON *catalog_serf_check_json(const struct catalog *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Node", c->node);
	cJSON_AddStringToObject(o, "CheckID", "serfHealth");
	cJSON_AddStringToObject(o, "Name", "Serf Health Status");
	cJSON_AddStringToObject(o, "Status", "passing");
	cJSON_AddStringToObject(o, "Notes", "");
	cJSON_AddStringToObject(o, "Output", "Agent alive and reachable");
	cJSON_AddStringToObject(o, "ServiceID", "");
	cJSON_AddStringToObject(o, "ServiceName", "");
	cJSON_AddItemToObject(o, "ServiceTags", cJSON_CreateArray());
	cJSON_AddStringToObject(o, "Type", "");
	cJSON_AddNumberToObject(o, "CreateIndex", 1);
	cJSON_AddNumberToObject(o, "ModifyIndex", 1);
	return o;
}

static cJSON *tagged_addresses(const struct catalog *c)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "lan", c->address);
	cJSON_AddStringToObject(t, "wan", c->address);
	return t;
}

static cJSON *node_meta(void)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "consul-network-segment", "");
	return m;
}

cJSON *catalog_entry_json(const struct catalog *c, const struct cat_service *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "ID", c->node_id);
	cJSON_AddStringToObject(o, "Node", c->node);
	cJSON_AddStringToObject(o, "Address", c->address);
	cJSON_AddStringToObject(o, "Datacenter", c->datacenter);
	cJSON_AddItemToObject(o, "TaggedAddresses", tagged_addresses(c));
	cJSON_AddItemToObject(o, "NodeMeta", node_meta());
	cJSON_AddStringToObject(o, "ServiceKind", "");
	cJSON_AddStringToObject(o, "ServiceID", s->id);
	cJSON_AddStringToObject(o, "ServiceName", s->name);
	cJSON_AddItemToObject(o, "ServiceTags", cJSON_Duplicate(s->tags, 1));
	cJSON_AddStringToObject(o, "ServiceAddress", s->address);
	cJSON_AddItemToObject(o, "ServiceWeights", weights_json(s));
	cJSON_AddItemToObject(o, "ServiceMeta", cJSON_Duplicate(s->meta, 1));
	cJSON_AddNumberToObject(o, "ServicePort", s->port);
	cJSON_AddBoolToObject(o, "ServiceEnableTagOverride", s->enable_tag_override);
	cJSON_AddNumberToObject(o, "CreateIndex", (double)s->create_index);
	cJSON_AddNumberToObject(o, "ModifyIndex", (double)s->modify_index);
	return o;
}

cJSON *catalog_health_json(const struct catalog *c, const struct cat_service *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *node = cJSON_AddObjectToObject(o, "Node");
	cJSON_AddStringToObject(node, "ID", c->node_id);
	cJSON_AddStringToObject(node, "Node", c->node);
	cJSON_AddStringToObject(node, "Address", c->address);
	cJSON_AddStringToObject(node, "Datacenter", c->datacenter);
	cJSON_AddItemToObject(node, "TaggedAddresses", tagged_addresses(c));
	cJSON_AddItemToObject(node, "Meta", node_meta());
	cJSON_AddNumberToObject(node, "CreateIndex", 1);
	cJSON_AddNumberToObject(node, "ModifyIndex", 1);

	cJSON *svc = cJSON_AddObjectToObject(o, "Service");
	cJSON_AddStringToObject(svc, "ID", s->id);
	cJSON_AddStringToObject(svc, "Service", s->name);
	cJSON_AddItemToObject(svc, "Tags", cJSON_Duplicate(s->tags, 1));
	cJSON_AddStringToObject(svc, "Address", s->address);
	cJSON_AddItemToObject(svc, "Meta", cJSON_Duplicate(s->meta, 1));
	cJSON_AddNumberToObject(svc, "Port", s->port);
	cJSON_AddItemToObject(svc, "Weights", weights_json(s));
	cJSON_AddBoolToObject(svc, "EnableTagOverride", s->enable_tag_override);
	cJSON_AddNumberToObject(svc, "CreateIndex", (double)s->create_index);
	cJSON_AddNumberToObject(svc, "ModifyIndex", (double)s->modify_index);

	cJSON *checks = cJSON_AddArrayToObject(o, "Checks");
	cJSON_AddItemToArray(checks, catalog_serf_check_json(c));
	for (size_t i = 0; i < c->nchecks; i++)
		if (strcmp(c->checks[i]->service_id, s->id) == 0)
			cJSON_AddItemToArray(checks, catalog_check_json(c, c->checks[i]));
	return o;
}
