/* A task's log line as a Logstash entry (see logship_parts.h), the Go
 * executor's JSON scraper plus its Logstash appender in one step:
 *   {"time":T,"msg":M,"level":"info","x":1}
 *   -> {"@timestamp":T,"message":M,"level":"info","x":1,"@version":1,
 *       "instance-id":<executor id>,"scid":<scId>,"srchost":<host>,
 *       "region":<CLOUD_REGION>,"zone":<CLOUD_AVAILABILITY_ZONE>}
 * Keys in ALLEGRO_EXECUTOR_SERVICELOG_IGNORE_KEYS are removed first. A line
 * without "time" keeps its own "@timestamp", else gets the time it was
 * read (Go sent null); one without "msg" keeps its own "message". The
 * executor's fields always win over the line's. The entry is edited in
 * place in the parsed tree: the line's other keys keep their order. */
#include "logship_parts.h"

#include "common/str.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON numbers are doubles: ids beyond 2^53 would not survive. */
#define SCID_MAX 9007199254740991LL

int logship_parse_scid(const char *label, long long *out, char *err, size_t errlen)
{
	if (!label) {
		snprintf(err, errlen,
		         "log-scraping=logstash needs the task label scId (the service's id, an "
		         "integer), and the task has none");
		return -1;
	}
	char *end;
	errno = 0;
	long long v = strtoll(label, &end, 10);
	if (!*label || *end || errno || v > SCID_MAX || v < -SCID_MAX ||
	    (*label != '-' && (*label < '0' || *label > '9'))) {
		snprintf(err, errlen,
		         "cannot parse scid: label scId must be an integer, got '%.64s'", label);
		return -1;
	}
	*out = v;
	return 0;
}

void logship_rfc3339nano(const struct timespec *t, char *buf, size_t len)
{
	struct tm tm;
	time_t s = t->tv_sec;
	char date[64], frac[16] = "";
	long ns = t->tv_nsec;

	if (!len)
		return;
	if (!gmtime_r(&s, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		date[0] = '\0';
	if (ns > 0 && ns < 1000000000L) {
		int digits = 9;
		for (; ns % 10 == 0; ns /= 10) /* Go trims trailing zeros */
			digits--;
		snprintf(frac, sizeof(frac), ".%0*ld", digits, ns);
	}
	snprintf(buf, len, "%s%sZ", date, frac); /* truncated to len, never past it */
}

int logship_shaper_init(struct logship_shaper *s, const struct logship_shape_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->scid = o->scid;
	snprintf(s->scid_text, sizeof(s->scid_text), "%lld", o->scid);
	s->wrap_invalid = o->wrap_invalid;
	s->instance_id = str_dup_nonempty(o->instance_id);
	s->srchost = str_dup_nonempty(o->srchost);
	s->region = str_dup_nonempty(o->region);
	s->zone = str_dup_nonempty(o->zone);
	for (const char *p = o->ignore_keys; p && *p;) {
		size_t n = strcspn(p, ",");
		if (n) {
			char **ni = realloc(s->ignore, (s->nignore + 1) * sizeof(*ni));
			if (!ni)
				return -1;
			s->ignore = ni;
			if (!(s->ignore[s->nignore] = strndup(p, n)))
				return -1;
			s->nignore++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	s->cap = 4096;
	s->out = malloc(s->cap);
	return s->out ? 0 : -1;
}

void logship_shaper_free(struct logship_shaper *s)
{
	strv_free_n(s->ignore, s->nignore);
	free(s->instance_id);
	free(s->srchost);
	free(s->region);
	free(s->zone);
	free(s->out);
	memset(s, 0, sizeof(*s));
}

/* Removes every member called key (JSON objects may repeat keys). */
static void delete_all(cJSON *obj, const char *key)
{
	cJSON *it;
	while ((it = cJSON_GetObjectItemCaseSensitive(obj, key)))
		cJSON_Delete(cJSON_DetachItemViaPointer(obj, it));
}

/* Renames member `from` to `to` (moving it to the end), replacing any `to`
 * already there. */
static bool rename_member(cJSON *obj, const char *from, const char *to)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, from);
	if (!it)
		return false;
	cJSON_DetachItemViaPointer(obj, it);
	delete_all(obj, from); /* a repeated key: the first one counts */
	delete_all(obj, to);
	/* frees the old key and copies the new one */
	if (!cJSON_AddItemToObject(obj, to, it))
		cJSON_Delete(it);
	return true;
}

static void set_string(cJSON *obj, const char *key, const char *v)
{
	delete_all(obj, key);
	if (v)
		cJSON_AddStringToObject(obj, key, v);
}

/* Prints the entry plus a newline into s->out. */
static const char *print(struct logship_shaper *s, cJSON *obj, size_t *out_len)
{
	for (;;) {
		if (cJSON_PrintPreallocated(obj, s->out, (int)s->cap - 1, 0)) {
			size_t n = strlen(s->out);
			s->out[n] = '\n';
			s->out[n + 1] = '\0';
			*out_len = n + 1;
			return s->out;
		}
		if (s->cap >= 64u * 1024 * 1024)
			return NULL;
		char *nb = realloc(s->out, s->cap * 2);
		if (!nb)
			return NULL;
		s->out = nb;
		s->cap *= 2;
	}
}

/* A parsed object if the line is exactly one JSON object (blanks around
 * it allowed), else NULL. */
static cJSON *parse_object(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] != '{')
		return NULL;
	const char *end = NULL;
	cJSON *obj = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (!obj)
		return NULL;
	for (; end && end < line + len; end++)
		if (*end != ' ' && *end != '\t' && *end != '\r')
			break;
	if (!cJSON_IsObject(obj) || !end || end != line + len) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

const char *logship_shape(struct logship_shaper *s, const char *line, size_t len,
                          const struct timespec *now, size_t *out_len)
{
	char ts[64];
	cJSON *obj = parse_object(line, len);

	if (obj) {
		for (size_t i = 0; i < s->nignore; i++)
			delete_all(obj, s->ignore[i]);
		if (!rename_member(obj, "time", "@timestamp") &&
		    !cJSON_GetObjectItemCaseSensitive(obj, "@timestamp")) {
			logship_rfc3339nano(now, ts, sizeof(ts));
			cJSON_AddStringToObject(obj, "@timestamp", ts);
		}
		rename_member(obj, "msg", "message");
	} else {
		if (!s->wrap_invalid)
			return NULL;
		/* Go's wrapInDefault: time, level, logger, msg */
		char *text = strndup(line, len);
		obj = cJSON_CreateObject();
		if (!text || !obj) {
			free(text);
			cJSON_Delete(obj);
			return NULL;
		}
		logship_rfc3339nano(now, ts, sizeof(ts));
		cJSON_AddStringToObject(obj, "@timestamp", ts);
		cJSON_AddStringToObject(obj, "level", "INFO");
		cJSON_AddStringToObject(obj, "logger", "invalid-format");
		cJSON_AddStringToObject(obj, "message", text);
		free(text);
	}
	delete_all(obj, "@version");
	cJSON_AddRawToObject(obj, "@version", "1");
	set_string(obj, "instance-id", s->instance_id);
	delete_all(obj, "scid");
	cJSON_AddRawToObject(obj, "scid", s->scid_text);
	set_string(obj, "srchost", s->srchost);
	set_string(obj, "region", s->region);
	set_string(obj, "zone", s->zone);

	const char *out = print(s, obj, out_len);
	cJSON_Delete(obj);
	return out;
}
