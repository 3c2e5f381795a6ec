/* django-tastypie's output conventions, as VaaS serves them: JSON with sorted
 * keys, pretty-printed; list envelopes {"meta":{limit,next,offset,previous,
 * total_count},"objects":[...]} with ?limit (default 20, 0 = all, at most
 * 1000) and ?offset, and next/previous URIs that repeat every original query
 * parameter with new limit and offset; errors as {"error": "..."}. */
#ifndef FAKEVAAS_TASTYPIE_H
#define FAKEVAAS_TASTYPIE_H

#include "fakekit/httpd.h"

/* Answers with json (taken), keys sorted. */
void tp_reply(struct httpd_req *r, unsigned status, cJSON *json, const char *const *headers);
/* An empty body (401, 404, 204). */
void tp_reply_empty(struct httpd_req *r, unsigned status, const char *const *headers);
/* 400 {"error": msg}. */
void tp_reply_error(struct httpd_req *r, const char *msg);
/* Pages `objects` (taken) and answers with the envelope; 400 for a bad limit
 * or offset. `path` is the list's path, e.g. "/api/v0.1/dc/". */
void tp_reply_list(struct httpd_req *r, const char *path, cJSON *objects);
/* Sorts every object's keys, recursively. */
void tp_sort_keys(cJSON *json);
/* The request's query string rebuilt and percent-encoded, without the named
 * keys (NULL-ended `skip`). malloc'd; "" when there is none. */
char *tp_query_string(struct httpd_req *r, const char *const *skip);

#endif
