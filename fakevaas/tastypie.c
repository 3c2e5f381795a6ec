/* tastypie envelopes, paging and JSON output (see tastypie.h). */
#include "tastypie.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TP_LIMIT_DEFAULT 20
#define TP_LIMIT_MAX     1000

static int key_cmp(const cJSON *a, const cJSON *b)
{
	return strcmp(a->string, b->string);
}

void tp_sort_keys(cJSON *json)
{
	if (!json)
		return;
	cJSON *it;
	cJSON_ArrayForEach (it, json) {
		tp_sort_keys(it);
	}
	if (!cJSON_IsObject(json) || !json->child)
		return;
	/* Insertion sort of the member list (objects here are small). */
	cJSON *sorted = NULL, *next;
	for (it = json->child; it; it = next) {
		next = it->next;
		it->prev = it->next = NULL;
		if (!sorted || key_cmp(it, sorted) < 0) {
			it->next = sorted;
			sorted = it;
			continue;
		}
		cJSON *p = sorted;
		while (p->next && key_cmp(p->next, it) <= 0)
			p = p->next;
		it->next = p->next;
		p->next = it;
	}
	/* cJSON keeps child->prev pointing at the last member. */
	cJSON *last = sorted;
	for (cJSON *p = sorted; p; p = p->next) {
		if (p->next)
			p->next->prev = p;
		last = p;
	}
	sorted->prev = last;
	json->child = sorted;
}

void tp_reply(struct httpd_req *r, unsigned status, cJSON *json, const char *const *headers)
{
	tp_sort_keys(json);
	char *s = cJSON_Print(json);
	cJSON_Delete(json);
	if (!s) {
		httpd_reply_text(r, 500, "out of memory");
		return;
	}
	httpd_reply(r, status, "application/json", s, strlen(s), headers);
	free(s);
}

void tp_reply_empty(struct httpd_req *r, unsigned status, const char *const *headers)
{
	httpd_reply(r, status, NULL, "", 0, headers);
}

void tp_reply_error(struct httpd_req *r, const char *msg)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "error", msg);
	tp_reply(r, 400, e, NULL);
}

struct qs {
	char *buf;
	size_t len;
	const char *const *skip;
};

static void qs_add(void *data, const char *key, const char *value)
{
	struct qs *q = data;
	for (const char *const *s = q->skip; s && *s; s++)
		if (strcmp(*s, key) == 0)
			return;
	char *k = curl_easy_escape(NULL, key, 0),
	     *v = curl_easy_escape(NULL, value ? value : "", 0);
	size_t add = strlen(k) + strlen(v) + 2;
	char *nb = realloc(q->buf, q->len + add + 1);
	if (nb) {
		q->buf = nb;
		q->len += (size_t)sprintf(q->buf + q->len, "%s%s=%s", q->len ? "&" : "", k, v);
	}
	curl_free(k);
	curl_free(v);
}

char *tp_query_string(struct httpd_req *r, const char *const *skip)
{
	struct qs q = {calloc(1, 1), 0, skip};
	httpd_query_each(r, qs_add, &q);
	return q.buf;
}

static cJSON *page_uri(struct httpd_req *r, const char *path, long limit, long offset)
{
	static const char *const skip[] = {"limit", "offset", NULL};
	char *qs = tp_query_string(r, skip), *uri;
	if (asprintf(&uri, "%s?%s%slimit=%ld&offset=%ld", path, qs, *qs ? "&" : "", limit, offset) <
	    0)
		uri = NULL;
	free(qs);
	cJSON *j = uri ? cJSON_CreateString(uri) : cJSON_CreateNull();
	free(uri);
	return j;
}

static int parse_long(const char *s, long *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	*out = strtol(s, &end, 10);
	return *end ? -1 : 0;
}

void tp_reply_list(struct httpd_req *r, const char *path, cJSON *objects)
{
	const char *ls = httpd_query(r, "limit"), *os = httpd_query(r, "offset");
	long limit = TP_LIMIT_DEFAULT, offset = 0;
	char msg[256];

	if (ls && parse_long(ls, &limit) < 0) {
		snprintf(msg, sizeof(msg),
		         "Invalid limit '%s' provided. Please provide a positive integer.", ls);
		cJSON_Delete(objects);
		tp_reply_error(r, msg);
		return;
	}
	if (ls && limit < 0) {
		snprintf(msg, sizeof(msg),
		         "Invalid limit '%s' provided. Please provide a positive integer >= 0.",
		         ls);
		cJSON_Delete(objects);
		tp_reply_error(r, msg);
		return;
	}
	if (os && parse_long(os, &offset) < 0) {
		snprintf(msg, sizeof(msg),
		         "Invalid offset '%s' provided. Please provide an integer.", os);
		cJSON_Delete(objects);
		tp_reply_error(r, msg);
		return;
	}
	if (offset < 0) {
		snprintf(msg, sizeof(msg),
		         "Invalid offset '%s' provided. Please provide a positive integer >= 0.",
		         os);
		cJSON_Delete(objects);
		tp_reply_error(r, msg);
		return;
	}
	if (limit == 0 || limit > TP_LIMIT_MAX)
		limit = TP_LIMIT_MAX;
	long total = cJSON_GetArraySize(objects);
	cJSON *page = cJSON_CreateArray();
	for (long i = offset; i < total && i < offset + limit; i++)
		cJSON_AddItemToArray(page, cJSON_Duplicate(cJSON_GetArrayItem(objects, (int)i), 1));
	cJSON_Delete(objects);

	cJSON *o = cJSON_CreateObject();
	cJSON *meta = cJSON_AddObjectToObject(o, "meta");
	cJSON_AddNumberToObject(meta, "limit", (double)limit);
	cJSON_AddItemToObject(meta, "next",
	                      offset + limit < total ? page_uri(r, path, limit, offset + limit)
	                                             : cJSON_CreateNull());
	cJSON_AddNumberToObject(meta, "offset", (double)offset);
	cJSON_AddItemToObject(meta, "previous",
	                      offset - limit >= 0 ? page_uri(r, path, limit, offset - limit)
	                                          : cJSON_CreateNull());
	cJSON_AddNumberToObject(meta, "total_count", (double)total);
	cJSON_AddItemToObject(o, "objects", page);
	tp_reply(r, 200, o, NULL);
}
