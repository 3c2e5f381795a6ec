/* The fake Consul agent: its state, options and the HTTP routes that serve
 * it. The handlers live in agent_api.c (/v1/agent/...), catalog_api.c
 * (/v1/catalog/..., /v1/health/..., /v1/status/...) and control.c
 * (/_fake/...); this header is what they share. */
#ifndef FAKECONSUL_FAKECONSUL_H
#define FAKECONSUL_FAKECONSUL_H

#include "acl.h"
#include "blocking.h"
#include "catalog.h"
#include "checker.h"
#include "reaper.h"

#include "fakekit/httpd.h"

#include <stdbool.h>
#include <uv.h>

struct fakeconsul_opts {
	const char *node;       /* node name (default "fakeconsul") */
	const char *datacenter; /* default "dc1" */
	bool legacy_get;        /* accept GET on deregister and check pass/warn/fail/update */
	/* Consul's check_reap_interval and check_deregister_interval_min
	 * (REAPER_* when 0; use *_set to give 0 itself). */
	uint64_t reap_interval_ms, deregister_min_ms;
	bool deregister_min_set;
};

struct fakeconsul {
	uv_loop_t *loop;
	struct fakeconsul_opts opts;
	struct catalog cat;
	struct acl acl;
	struct blocking *blocking; /* owned */
	struct reaper *reaper;     /* owned */
	struct httpc *http;        /* owned: runs HTTP checks */
	struct runner {
		char *check_id; /* owned */
		struct checker *checker;
	} * runners; /* one per running check (owned) */
	size_t nrunners;
	struct httpd_route routes[48]; /* fakeconsul_routes() fills it */
	bool stopped;
};

/* Sets up the state on the loop. Returns 0 or -1 with err filled. ACL
 * tokens are added to fc->acl by the caller. */
int fakeconsul_init(struct fakeconsul *fc, uv_loop_t *loop, const struct fakeconsul_opts *o,
                    char *err, size_t errlen);
/* The route table (in fc, ended by {NULL}). */
const struct httpd_route *fakeconsul_routes(struct fakeconsul *fc);
/* Closes the loop handles (check runners, HTTP client). After httpd_stop. */
void fakeconsul_stop(struct fakeconsul *fc);
/* Frees the state; after the loop has ended. */
void fakeconsul_free(struct fakeconsul *fc);

/* --- shared by the handlers */

/* Resolves the request's token into `rights`; answers 403 "ACL not found"
 * and returns false for an unknown token. */
bool fc_auth(struct fakeconsul *fc, struct httpd_req *r, struct acl_rights *rights);
/* The same rights without answering: for queries run again after fc_auth
 * (blocking queries). */
void fc_rights(struct fakeconsul *fc, struct httpd_req *r, struct acl_rights *rights);
/* 200 with an empty body: a successful write. */
void fc_reply_ok(struct httpd_req *r);
/* 405 with Allow (which Consul starts with OPTIONS), in Consul's words. */
void fc_reply_405(struct httpd_req *r, const char *allow);
/* Every method no handler takes under /v1/: OPTIONS answers 200 with the
 * endpoint's Allow, the others 405 with it; 404 for a path no endpoint
 * takes. */
void fc_method_check(struct httpd_req *r, void *data);
/* The path after `prefix`. */
const char *fc_path_tail(struct httpd_req *r, const char *prefix);
/* A TTL check was updated by a client: restart its TTL. */
void fc_ttl_touched(struct fakeconsul *fc, const char *check_id);

/* handlers */
void fc_agent_register(struct httpd_req *r, void *data);
void fc_agent_deregister(struct httpd_req *r, void *data);
void fc_agent_services(struct httpd_req *r, void *data);
void fc_agent_service(struct httpd_req *r, void *data);
void fc_agent_checks(struct httpd_req *r, void *data);
void fc_agent_check_register(struct httpd_req *r, void *data);
void fc_agent_check_deregister(struct httpd_req *r, void *data);
void fc_agent_check_pass(struct httpd_req *r, void *data);
void fc_agent_check_warn(struct httpd_req *r, void *data);
void fc_agent_check_fail(struct httpd_req *r, void *data);
void fc_agent_check_update(struct httpd_req *r, void *data);
void fc_agent_self(struct httpd_req *r, void *data);
void fc_catalog_datacenters(struct httpd_req *r, void *data);
void fc_catalog_services(struct httpd_req *r, void *data);
void fc_catalog_service(struct httpd_req *r, void *data);
void fc_health_service(struct httpd_req *r, void *data);
void fc_health_checks(struct httpd_req *r, void *data);
void fc_status_leader(struct httpd_req *r, void *data);
void fc_status_peers(struct httpd_req *r, void *data);
void fc_fake_state(struct httpd_req *r, void *data);
void fc_fake_check(struct httpd_req *r, void *data);
void fc_fake_reset(struct httpd_req *r, void *data);

#endif
