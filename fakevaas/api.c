/* /api/v0.1/... of the fake VaaS: dc, director and backend resources and
 * reload tasks, with Django's trailing-slash redirect, tastypie's method
 * check (its default methods, GET POST PUT DELETE PATCH, but for the task
 * list; OPTIONS lists them, others get 405 + Allow) before authentication
 * (401, empty body), DjangoAuthorization's place (after the lookup and the
 * validation of a write: 401; a list DELETE deletes nothing), and VaaS's
 * reload middleware: a write that touches a cluster to reload answers 202
 * with a task Location under "Prefer: respond-async", and can be made to
 * fail synchronously (500, "<Exception>: <msg>") from /_fake/.
 *
 * Not modelled: writes to dcs and directors, and PUT and PATCH of the whole
 * backend list. A user with the write permission gets 501 with a JSON error
 * saying so; VaaS would do them. */
#include "fakevaas.h"

#include "backend_form.h"
#include "tastypie.h"

#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct resource {
	const char *name;
	const char *list_methods;   /* Allow header for the list */
	const char *detail_methods; /* Allow header for a detail */
};

/* tastypie's default allowed_methods, in its order; ReloadTaskResource
 * narrows only its list to GET. */
#define TP_METHODS "GET,POST,PUT,DELETE,PATCH"

static const struct resource resources[] = {
    {"dc", TP_METHODS, TP_METHODS},
    {"director", TP_METHODS, TP_METHODS},
    {"backend", TP_METHODS, TP_METHODS},
    {"task", "GET", TP_METHODS},
};

static const struct resource *find_resource(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++)
		if (strlen(resources[i].name) == len && strncmp(resources[i].name, name, len) == 0)
			return &resources[i];
	return NULL;
}

static bool method_in(const char *method, const char *list)
{
	size_t n = strlen(method);
	for (const char *p = list; (p = strstr(p, method)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* ------------------------------------------------------------ reads */

static cJSON *render(const struct vstore *s, const char *resource, const cJSON *row)
{
	if (strcmp(resource, "dc") == 0)
		return store_dc_json(s, row);
	if (strcmp(resource, "director") == 0)
		return store_director_json(s, row);
	return store_backend_json(s, row);
}

static const cJSON *table_of(const struct vstore *s, const char *resource)
{
	if (strcmp(resource, "dc") == 0)
		return s->dcs;
	if (strcmp(resource, "director") == 0)
		return s->directors;
	return s->backends;
}

static void get_list(struct fakevaas *fv, struct httpd_req *r, const char *resource)
{
	char path[64];
	cJSON *rows =
	    fv_filter(r, &fv->store, resource, cJSON_Duplicate(table_of(&fv->store, resource), 1));
	if (!rows)
		return;
	cJSON *objects = cJSON_CreateArray(), *row;
	cJSON_ArrayForEach (row, rows) {
		cJSON_AddItemToArray(objects, render(&fv->store, resource, row));
	}
	cJSON_Delete(rows);
	snprintf(path, sizeof(path), VAAS_API "%s/", resource);
	tp_reply_list(r, path, objects);
}

/* The detail id, or -1 (then 404). */
static int detail_id(const char *s)
{
	char *end;
	long id = strtol(s, &end, 10);
	return end != s && !*end && *s != '-' && *s != '+' && id > 0 && id < 2147483647 ? (int)id
	                                                                                : -1;
}

/* ------------------------------------------------------------ writes */

/* After a write: VaaS's reload middleware, when the write touched a cluster
 * to reload (`reloads`). Answers and returns true when the reload decides
 * the answer (async 202, or an injected failure); otherwise the caller
 * answers normally. */
static bool reload(struct fakevaas *fv, struct httpd_req *r, bool reloads, cJSON **body,
                   bool keep_body)
{
	struct vstore *s = &fv->store;
	if (!reloads)
		return false;
	const char *prefer = httpd_header(r, "Prefer");
	if (prefer && strstr(prefer, "respond-async")) {
		char uuid[37], loc[128];
		store_task_new(s, uuid);
		snprintf(loc, sizeof(loc), "Location: " VAAS_API "task/%s/", uuid);
		const char *hdrs[] = {loc, NULL};
		if (keep_body && *body)
			tp_reply(r, 202, *body, hdrs);
		else
			tp_reply_empty(r, 202, hdrs);
		if (!keep_body)
			cJSON_Delete(*body);
		*body = NULL;
		return true;
	}
	if (s->reload_failures > 0) {
		s->reload_failures--;
		const char *msg = s->reload_failure_message ? s->reload_failure_message
		                                            : "VclLoadException: reload failed";
		httpd_reply(r, 500, "text/html; charset=utf-8", msg, strlen(msg), NULL);
		cJSON_Delete(*body);
		*body = NULL;
		return true;
	}
	return false;
}

static bool director_reloads(const struct vstore *s, const cJSON *backend)
{
	return store_director_reloads(
	    s, store_find(s->directors,
	                  cJSON_GetObjectItemCaseSensitive(backend, "director")->valueint));
}

static cJSON *request_json(struct httpd_req *r)
{
	size_t len;
	const char *b = httpd_body(r, &len);
	cJSON *j = len ? cJSON_ParseWithLength(b, len) : NULL;
	if (!j)
		tp_reply_error(r, "Request is not valid JSON.");
	return j;
}

/* POST to the list, PUT or PATCH of a detail: hydrated and validated first;
 * a user without the write permission is refused after that, where
 * DjangoAuthorization checks. */
static void backend_write(struct fakevaas *fv, struct httpd_req *r, cJSON *existing, int id,
                          bool can_write)
{
	struct vstore *s = &fv->store;
	cJSON *in = request_json(r), *row, *error;
	if (!in)
		return;
	bool patch = strcmp(httpd_method(r), "PATCH") == 0;
	int self = existing ? id : (id > 0 ? id : s->next_backend_id);
	int rc = bform_build(s, in, patch ? existing : NULL, self, &row, &error);
	cJSON_Delete(in);
	if (rc) {
		tp_reply(r, (unsigned)rc, error, NULL);
		return;
	}
	if (!can_write) {
		cJSON_Delete(row);
		tp_reply_empty(r, 401, NULL);
		return;
	}
	if (existing) {
		cJSON_ReplaceItemViaPointer(s->backends, existing, row);
	} else {
		cJSON_AddItemToArray(s->backends, row);
		if (self >= s->next_backend_id)
			s->next_backend_id = self + 1;
	}
	log_info("fakevaas: %s backend %d (%s:%d)", existing ? "updated" : "created", self,
	         cJSON_GetObjectItemCaseSensitive(row, "address")->valuestring,
	         cJSON_GetObjectItemCaseSensitive(row, "port")->valueint);
	cJSON *body = store_backend_json(s, row);
	if (reload(fv, r, director_reloads(s, row), &body, true))
		return;
	char loc[96], hdr[128];
	snprintf(hdr, sizeof(hdr), "Location: %s", store_uri(loc, sizeof(loc), "backend", self));
	const char *hdrs[] = {hdr, NULL};
	if (!existing)
		tp_reply(r, 201, body, hdrs);
	else
		tp_reply(r, patch ? 202 : 200, body, NULL);
}

static void backend_delete(struct fakevaas *fv, struct httpd_req *r, cJSON *existing, int id,
                           bool can_write)
{
	struct vstore *s = &fv->store;
	if (!existing) {
		tp_reply_empty(r, 404, NULL);
		return;
	}
	if (!can_write) {
		tp_reply_empty(r, 401, NULL);
		return;
	}
	bool reloads = director_reloads(s, existing);
	cJSON_Delete(cJSON_DetachItemViaPointer(s->backends, existing));
	log_info("fakevaas: deleted backend %d", id);
	cJSON *none = NULL;
	if (!reload(fv, r, reloads, &none, false))
		tp_reply_empty(r, 204, NULL);
}

/* DELETE of the list: every backend the filters keep, 204; without the
 * write permission nothing (DjangoAuthorization's empty list), 204 too. */
static void backend_delete_list(struct fakevaas *fv, struct httpd_req *r, bool can_write)
{
	struct vstore *s = &fv->store;
	cJSON *doomed = fv_filter(r, s, "backend", cJSON_Duplicate(s->backends, 1)), *row;
	if (!doomed)
		return;
	bool reloads = false;
	cJSON_ArrayForEach (row, doomed) {
		int id = cJSON_GetObjectItemCaseSensitive(row, "id")->valueint;
		cJSON *b = store_find(s->backends, id);
		if (!can_write || !b)
			continue;
		reloads |= director_reloads(s, b);
		cJSON_Delete(cJSON_DetachItemViaPointer(s->backends, b));
		log_info("fakevaas: deleted backend %d", id);
	}
	cJSON_Delete(doomed);
	cJSON *none = NULL;
	if (!reload(fv, r, reloads, &none, false))
		tp_reply_empty(r, 204, NULL);
}

/* A write fakevaas does not model: refused, saying so, once the user may
 * write; VaaS's DjangoAuthorization refuses the others. */
static void not_modelled(struct httpd_req *r, const char *method, const char *resource, bool detail,
                         bool can_write)
{
	char msg[160];
	if (!can_write) {
		tp_reply_empty(r, 401, NULL);
		return;
	}
	snprintf(msg, sizeof(msg), "fakevaas does not model %s on a %s %s", method, resource,
	         detail ? "detail" : "list");
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "error", msg);
	tp_reply(r, 501, e, NULL);
}

/* What tastypie answers when a Resource method is not implemented
 * (NotImplementedError): TASTYPIE_CANNED_ERROR, 500. */
static void canned_500(struct httpd_req *r)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(
	    e, "error_message",
	    "Sorry, this request could not be processed. Please try again later.");
	tp_reply(r, 500, e, NULL);
}

/* ------------------------------------------------------------ dispatch */

static void redirect_with_slash(struct httpd_req *r)
{
	char *qs = tp_query_string(r, NULL), *loc;
	if (asprintf(&loc, "Location: %s/%s%s", httpd_path(r), *qs ? "?" : "", qs) < 0)
		loc = NULL;
	const char *hdrs[] = {loc, NULL};
	httpd_reply(r, 301, NULL, "", 0, loc ? hdrs : NULL);
	free(loc);
	free(qs);
}

/* tastypie's method_check: OPTIONS lists the methods, others not in the
 * list get 405; both with Allow and the list as the body. */
static void reply_allow(struct httpd_req *r, unsigned status, const char *allow)
{
	char hdr[96];
	snprintf(hdr, sizeof(hdr), "Allow: %s", allow);
	const char *hdrs[] = {hdr, NULL};
	httpd_reply(r, status, "text/html; charset=utf-8", allow, strlen(allow), hdrs);
}

static void task(struct fakevaas *fv, struct httpd_req *r, const char *m, bool detail,
                 const char *id)
{
	if (!detail) /* ReloadTaskResource has no object list */
		canned_500(r);
	else if (strcmp(m, "GET") == 0)
		tp_reply(r, 200, store_task_json(&fv->store, id), NULL);
	else if (strcmp(m, "POST") == 0) /* post_detail: HttpNotImplemented */
		tp_reply_empty(r, 501, NULL);
	else /* obj_update, obj_delete: NotImplementedError */
		canned_500(r);
}

static void backend(struct fakevaas *fv, struct httpd_req *r, const char *m, bool detail,
                    const char *id_text, bool can_write)
{
	if (!detail) {
		if (strcmp(m, "POST") == 0)
			backend_write(fv, r, NULL, 0, can_write);
		else if (strcmp(m, "DELETE") == 0)
			backend_delete_list(fv, r, can_write);
		else
			not_modelled(r, m, "backend", false, can_write);
		return;
	}
	int id = detail_id(id_text);
	cJSON *row = id > 0 ? store_find(fv->store.backends, id) : NULL;
	if (strcmp(m, "DELETE") == 0)
		backend_delete(fv, r, row, id, can_write);
	else if (!row && strcmp(m, "PATCH") == 0)
		tp_reply_empty(r, 404, NULL);
	else if (id < 0)
		tp_reply_empty(r, 404, NULL);
	else
		backend_write(fv, r, row, id, can_write);
}

void fv_api(struct httpd_req *r, void *data)
{
	struct fakevaas *fv = data;
	const char *p = httpd_path(r) + strlen(VAAS_API), *m = httpd_method(r);
	const char *override = httpd_header(r, "X-HTTP-Method-Override");
	if (override && *override) /* tastypie's dispatch honours it */
		m = override;

	/* <resource>/ or <resource>/<id>/, with the slash required. */
	const char *slash = strchr(p, '/');
	const struct resource *res = find_resource(p, slash ? (size_t)(slash - p) : strlen(p));
	if (!res) {
		tp_reply_empty(r, 404, NULL);
		return;
	}
	char id_buf[64] = "";
	bool detail = false;
	if (!slash) {
		redirect_with_slash(r);
		return;
	}
	if (slash[1]) {
		const char *end = strchr(slash + 1, '/');
		if (end && end[1]) { /* deeper paths do not exist */
			tp_reply_empty(r, 404, NULL);
			return;
		}
		if (!end) {
			redirect_with_slash(r);
			return;
		}
		snprintf(id_buf, sizeof(id_buf), "%.*s", (int)(end - slash - 1), slash + 1);
		detail = true;
	}
	const char *allow = detail ? res->detail_methods : res->list_methods;
	if (strcmp(m, "OPTIONS") == 0) {
		reply_allow(r, 200, allow);
		return;
	}
	if (!method_in(m, allow)) {
		reply_allow(r, 405, allow);
		return;
	}
	const cJSON *user = fv_auth_user(&fv->store, r);
	if (!user) {
		tp_reply_empty(r, 401, NULL);
		return;
	}
	bool can_write = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(user, "write"));

	if (strcmp(res->name, "task") == 0) {
		task(fv, r, m, detail, id_buf);
	} else if (strcmp(m, "GET") == 0 && !detail) {
		get_list(fv, r, res->name);
	} else if (strcmp(m, "GET") == 0) {
		int id = detail_id(id_buf);
		cJSON *row = id > 0 ? store_find(table_of(&fv->store, res->name), id) : NULL;
		if (row)
			tp_reply(r, 200, render(&fv->store, res->name, row), NULL);
		else
			tp_reply_empty(r, 404, NULL);
	} else if (detail && strcmp(m, "POST") == 0) { /* post_detail: HttpNotImplemented */
		tp_reply_empty(r, 501, NULL);
	} else if (strcmp(res->name, "backend") == 0) {
		backend(fv, r, m, detail, id_buf, can_write);
	} else if (!detail && strcmp(m, "DELETE") == 0 && !can_write) {
		tp_reply_empty(r, 204, NULL); /* DjangoAuthorization: nothing to delete */
	} else {
		not_modelled(r, m, res->name, detail, can_write);
	}
}

const struct httpd_route *fakevaas_routes(void)
{
	static const struct httpd_route routes[] = {
	    {"GET", VAAS_API "*", fv_api},
	    {"POST", VAAS_API "*", fv_api},
	    {"PUT", VAAS_API "*", fv_api},
	    {"PATCH", VAAS_API "*", fv_api},
	    {"DELETE", VAAS_API "*", fv_api},
	    {"OPTIONS", VAAS_API "*", fv_api},
	    {"HEAD", VAAS_API "*", fv_api},
	    {"GET", "/_fake/state", fv_fake_state},
	    {"POST", "/_fake/tasks", fv_fake_tasks},
	    {"PUT", "/_fake/tasks", fv_fake_tasks},
	    {"POST", "/_fake/reload-failure", fv_fake_reload_failure},
	    {"PUT", "/_fake/reload-failure", fv_fake_reload_failure},
	    {NULL, NULL, NULL},
	};
	return routes;
}
