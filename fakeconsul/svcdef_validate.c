/* What Consul's agent checks in a decoded service or check definition once
 * the request's token is resolved (see svcdef.h): weights, metadata
 * (structs.ValidateMetadata), each check (CheckType.Validate) and the
 * statuses, with Consul's texts, in Consul's order. */
#include "svcdef.h"

#include <stdio.h>
#include <string.h>

static bool nonempty(const char *s)
{
	return s && *s;
}

static int refuse(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return 400;
}

static bool is_script(const struct checkdef *k)
{
	return k->script_args && cJSON_GetArraySize(k->script_args) > 0;
}

static bool is_alias(const struct checkdef *k)
{
	return nonempty(k->alias_node) || nonempty(k->alias_service);
}

/* CheckType.Validate: "" when valid. */
static const char *check_invalid(const struct checkdef *k)
{
	bool interval_check = is_script(k) || nonempty(k->http) || nonempty(k->tcp) ||
	                      nonempty(k->udp) || nonempty(k->grpc) || nonempty(k->h2ping) ||
	                      nonempty(k->os_service);
	if (k->interval_ns > 0 && k->ttl_ns > 0)
		return "Interval and TTL cannot both be specified";
	if (interval_check && k->interval_ns <= 0)
		return "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService "
		       "checks";
	if (interval_check && is_alias(k))
		return "Interval cannot be set for Alias checks";
	if (is_alias(k) && k->ttl_ns > 0)
		return "TTL must be not be set for Alias checks";
	if (!interval_check && !is_alias(k) && k->ttl_ns <= 0)
		return "TTL must be > 0 for TTL checks";
	if (k->output_max_size < 0)
		return "MaxOutputMaxSize must be positive";
	if (k->failures_before_warning > k->failures_before_critical)
		return "FailuresBeforeWarning can't be higher than FailuresBeforeCritical";
	return "";
}

const char *checkdef_type(const struct checkdef *k)
{
	bool interval = k->interval_ns > 0;
	if (nonempty(k->grpc) && interval)
		return "grpc";
	if (nonempty(k->http) && interval)
		return "http";
	if (k->ttl_ns > 0)
		return "ttl";
	if (nonempty(k->tcp) && interval)
		return "tcp";
	if (nonempty(k->udp) && interval)
		return "udp";
	if (is_alias(k))
		return "alias";
	if (is_script(k) && nonempty(k->docker_container_id) && interval)
		return "docker";
	if (is_script(k))
		return "script";
	if (nonempty(k->h2ping) && interval)
		return "h2ping";
	if (nonempty(k->os_service) && interval)
		return "os_service";
	return "";
}

bool checkdef_valid_status(const char *s)
{
	return strcmp(s, "passing") == 0 || strcmp(s, "warning") == 0 || strcmp(s, "critical") == 0;
}

static bool meta_key_ok(const char *k)
{
	if (!*k)
		return false;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

/* structs.ValidateMetadata: "" when valid, else the reason in buf. */
static const char *meta_invalid(const cJSON *meta, char *buf, size_t len)
{
	const cJSON *it;
	if (cJSON_GetArraySize(meta) > 64)
		return "Node metadata cannot contain more than 64 key/value pairs";
	cJSON_ArrayForEach (it, meta) {
		const char *k = it->string, *v = it->valuestring, *why = NULL;
		if (!*k)
			why = "Key cannot be blank";
		else if (!meta_key_ok(k))
			why = "Key contains invalid characters";
		else if (strlen(k) > 128)
			why = "Key is too long (limit: 128 characters)";
		else if (strncmp(k, "consul-", 7) == 0)
			why = "Key prefix 'consul-' is reserved for internal use";
		else if (strlen(v) > 512)
			why = "Value is too long (limit: 512 characters)";
		if (why) {
			snprintf(buf, len, "Couldn't load metadata pair ('%s', '%s'): %s", k, v,
			         why);
			return buf;
		}
	}
	return "";
}

int svcdef_validate(const struct svcdef *d, char *err, size_t errlen)
{
	char buf[1024];
	if (d->weight_passing < 1)
		return refuse(err, errlen, "Invalid Weights: Passing must be greater than 0");
	if (d->weight_warning < 0)
		return refuse(err, errlen,
		              "Invalid Weights: Warning must be greater or equal than 0");
	const char *why = meta_invalid(d->meta, buf, sizeof(buf));
	if (*why) {
		snprintf(err, errlen, "Invalid Service Meta: %s", why);
		return 400;
	}
	for (size_t i = 0; i < d->nchecks; i++) {
		if (d->checks[i].null) {
			snprintf(err, errlen,
			         "a null entry in Checks: Consul's agent dereferences it (nil "
			         "pointer), panics and closes the connection without an answer");
			return SVCDEF_AGENT_PANICS;
		}
		why = check_invalid(&d->checks[i]);
		if (*why) {
			snprintf(err, errlen, "Invalid check: %s", why);
			return 400;
		}
	}
	for (size_t i = 0; i < d->nchecks; i++)
		if (nonempty(d->checks[i].status) && !checkdef_valid_status(d->checks[i].status))
			return refuse(err, errlen,
			              "Status for checks must 'passing', 'warning', 'critical'");
	return 0;
}

int checkdef_validate(const struct checkdef *k, char *err, size_t errlen)
{
	const char *why = check_invalid(k);
	if (*why) {
		snprintf(err, errlen, "Invalid check: %s", why);
		return 400;
	}
	return 0;
}
