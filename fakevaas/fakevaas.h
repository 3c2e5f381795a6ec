/* The fake VaaS: its data and the HTTP routes that serve it. Handlers live in
 * api.c (/api/v0.1/...), filters.c (list filters) and control.c (/_fake/...);
 * auth.c tells who is asking. */
#ifndef FAKEVAAS_FAKEVAAS_H
#define FAKEVAAS_FAKEVAAS_H

#include "store.h"

#include "fakekit/httpd.h"

struct fakevaas {
	struct vstore store;
};

/* The route table (static, ended by {NULL}); handler data is the fakevaas. */
const struct httpd_route *fakevaas_routes(void);

/* The user the request authenticates as (ApiKey header first, then the
 * username/api_key query parameters), or NULL. */
const cJSON *fv_auth_user(const struct vstore *s, struct httpd_req *r);

/* Keeps the rows of a list (dc, director or backend) that match the request's
 * filters, taking `rows`. Returns the kept ones, or NULL with a 400 sent for
 * a field that does not allow filtering. */
cJSON *fv_filter(struct httpd_req *r, const struct vstore *s, const char *resource, cJSON *rows);

void fv_api(struct httpd_req *r, void *data);
void fv_fake_state(struct httpd_req *r, void *data);
void fv_fake_tasks(struct httpd_req *r, void *data);
void fv_fake_reload_failure(struct httpd_req *r, void *data);

#endif
