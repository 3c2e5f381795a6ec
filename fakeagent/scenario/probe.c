/* expect-consul-service and expect-vaas-backend: asks fakeconsul for its
 * agent's services (then, for check_status or show, the service's health)
 * or fakevaas for a director's backends, and matches the step's fields;
 * "absent" turns the verdict round. One request at a time (sc->probe),
 * cancelled when the scenario ends. */
#include "scenario.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VAAS_AUTH "Authorization: ApiKey admin:vagrant_api_key"

static bool tags_contain(const cJSON *have, const cJSON *want, struct scenario *sc)
{
	const cJSON *w;
	cJSON_ArrayForEach (w, want) {
		char t[512];
		if (!cJSON_IsString(w))
			return false;
		scenario_subst(sc, w->valuestring, t, sizeof(t));
		bool hit = false;
		const cJSON *h;
		cJSON_ArrayForEach (h, have)
			hit |= cJSON_IsString(h) && !strcmp(h->valuestring, t);
		if (!hit)
			return false;
	}
	return true;
}

/* Whether the step's `key` (after substitution), when given, equals the
 * object's string `field`. */
static bool str_matches(struct scenario *sc, const struct step *st, const char *key,
                        const cJSON *obj, const char *field)
{
	char buf[512];
	const char *want = scenario_step_str(sc, st, key, buf, sizeof(buf));
	const char *have = scenario_str(obj, field);
	return !want || (have && !strcmp(have, want));
}

/* Whether the step's "port", when given, equals the object's number `field`. */
static bool port_matches(struct scenario *sc, const struct step *st, const cJSON *obj,
                         const char *field)
{
	long port = scenario_step_num(sc, st, "port");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, field);
	return port < 0 || (cJSON_IsNumber(p) && (long)p->valuedouble == port);
}

static bool consul_service_matches(struct scenario *sc, const struct step *st, const cJSON *svc)
{
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(st->spec, "tags");
	return str_matches(sc, st, "id", svc, "ID") &&
	       str_matches(sc, st, "name", svc, "Service") &&
	       str_matches(sc, st, "address", svc, "Address") &&
	       port_matches(sc, st, svc, "Port") &&
	       (!tags || tags_contain(cJSON_GetObjectItemCaseSensitive(svc, "Tags"), tags, sc));
}

static bool vaas_backend_matches(struct scenario *sc, const struct step *st, const cJSON *b)
{
	return str_matches(sc, st, "address", b, "address") && port_matches(sc, st, b, "port");
}

/* A check's Output up to its first line (Consul's HTTP check output goes on
 * with " Output: " and the response body). */
static void check_output(const char *out, char *buf, size_t len)
{
	snprintf(buf, len, "%s", out ? out : "");
	buf[strcspn(buf, "\r\n")] = '\0';
	char *more = strstr(buf, " Output: ");
	if (more)
		*more = '\0';
}

/* Whether every check of service `id` in a /v1/health/service entry list has
 * status `want` (there must be one); with show, prints the service and the
 * checks. seen gets the statuses for a failure message. */
static bool health_verdict(struct scenario *sc, const cJSON *entries, const char *id,
                           const char *want, bool show, char *seen, size_t seenlen)
{
	const cJSON *e, *c, *checks = NULL;
	cJSON_ArrayForEach (e, entries) {
		const cJSON *svc = cJSON_GetObjectItemCaseSensitive(e, "Service");
		if (scenario_str(svc, "ID") && !strcmp(scenario_str(svc, "ID"), id))
			checks = cJSON_GetObjectItemCaseSensitive(e, "Checks");
	}
	bool ok = true, any = false;
	size_t o = 0;
	seen[0] = '\0';
	cJSON_ArrayForEach (c, checks) {
		const char *sid = scenario_str(c, "ServiceID"), *status = scenario_str(c, "Status");
		if (!sid || strcmp(sid, id))
			continue;
		any = true;
		ok &= status && (!want || !strcmp(status, want));
		if (o < seenlen)
			o += (size_t)snprintf(
			    seen + o, seenlen - o, "%s%s %s", o ? ", " : "",
			    scenario_str(c, "CheckID") ? scenario_str(c, "CheckID") : "?",
			    status ? status : "?");
	}
	if (!want)
		ok = true;
	else if (!any) {
		ok = false;
		snprintf(seen, seenlen, "no check of %s", id);
	}
	if (!show || !ok)
		return ok;
	timeline_printf(&sc->tl, "consul", "GET /v1/agent/services: \"%s\"", id);
	timeline_json(&sc->tl, sc->matched);
	timeline_printf(&sc->tl, "consul", "GET %s: %d checks", sc->probe_path,
	                cJSON_GetArraySize(checks));
	cJSON_ArrayForEach (c, checks) {
		char out[200];
		check_output(scenario_str(c, "Output"), out, sizeof(out));
		const char *type = scenario_str(c, "Type");
		const char *cid = scenario_str(c, "CheckID"), *status = scenario_str(c, "Status");
		bool typed = type && *type;
		timeline_more(&sc->tl, "%s%s%s%s %s%s%s", cid ? cid : "?", typed ? " (" : "",
		              typed ? type : "", typed ? ")" : "", status ? status : "?",
		              out[0] ? ": " : "", out);
	}
	return true;
}

static void on_health(void *data, const struct httpc_result *res)
{
	struct scenario *sc = data;
	sc->probe = NULL;
	cJSON *svc = sc->matched;
	sc->matched = NULL;
	if (sc->finishing) {
		cJSON_Delete(svc);
		return;
	}
	struct step *st = &sc->steps[sc->cur];
	bool show = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->spec, "show"));
	const char *want = scenario_str(st->spec, "check_status");
	char seen[1024];
	bool ok = false;
	cJSON *j = res->status == 200 && res->body ? cJSON_Parse(res->body) : NULL;
	if (j) {
		sc->matched = svc; /* health_verdict shows it */
		ok = health_verdict(sc, j, scenario_str(svc, "ID") ? scenario_str(svc, "ID") : "",
		                    want, show, seen, sizeof(seen));
		sc->matched = NULL;
	} else {
		snprintf(seen, sizeof(seen), "HTTP %ld %s", res->status,
		         res->error ? res->error : "");
	}
	cJSON_Delete(j);
	cJSON_Delete(svc);
	if (ok)
		scenario_step_done(sc, NULL);
	else if (scenario_timed_out(st))
		scenario_step_done(sc, "the service's checks are not all %s: %s",
		                   want ? want : "readable", seen);
	else
		scenario_schedule(sc, 250);
}

static void start_health_probe(struct scenario *sc, const struct step *st)
{
	char url[1200];
	const char *name =
	    scenario_str(sc->matched, "Service") ? scenario_str(sc->matched, "Service") : "";
	size_t o = (size_t)snprintf(sc->probe_path, sizeof(sc->probe_path), "/v1/health/service/");
	for (const char *p = name; *p && o + 4 < sizeof(sc->probe_path); p++)
		o += (size_t)(isalnum((unsigned char)*p) || strchr("-_.~", *p)
		                  ? snprintf(sc->probe_path + o, sizeof(sc->probe_path) - o, "%c",
		                             *p)
		                  : snprintf(sc->probe_path + o, sizeof(sc->probe_path) - o,
		                             "%%%02X", (unsigned char)*p));
	snprintf(url, sizeof(url), "http://%s%s", sc->consul.addr, sc->probe_path);
	struct httpc_opts o2 = {.url = url, .timeout_ms = 5000, .on_done = on_health, .data = sc};
	sc->probe = httpc_start(sc->http, &o2);
	if (!sc->probe) {
		cJSON_Delete(sc->matched);
		sc->matched = NULL;
		scenario_schedule(sc, 250);
	}
}

static void on_probe(void *data, const struct httpc_result *res)
{
	struct scenario *sc = data;
	sc->probe = NULL;
	if (sc->finishing)
		return;
	struct step *st = &sc->steps[sc->cur];
	bool consul = !strcmp(st->kind, "expect-consul-service");
	bool absent = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->spec, "absent"));
	bool show = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->spec, "show"));
	char seen[1024] = "";
	bool found = false;
	cJSON *j = NULL;
	const cJSON *hit = NULL;
	if (res->status == 200 && res->body) {
		j = cJSON_Parse(res->body);
		const cJSON *list = consul ? j : cJSON_GetObjectItemCaseSensitive(j, "objects");
		const cJSON *it;
		size_t o = 0;
		cJSON_ArrayForEach (it, list) {
			bool match = consul ? consul_service_matches(sc, st, it)
			                    : vaas_backend_matches(sc, st, it);
			if (match && !hit)
				hit = it;
			found |= match;
			const cJSON *p =
			    cJSON_GetObjectItemCaseSensitive(it, consul ? "Port" : "port");
			if (o < sizeof(seen))
				o += (size_t)snprintf(
				    seen + o, sizeof(seen) - o, "%s%s:%d", o ? ", " : "",
				    scenario_str(it, consul ? "ID" : "address")
				        ? scenario_str(it, consul ? "ID" : "address")
				        : "?",
				    cJSON_IsNumber(p) ? p->valueint : 0);
		}
	} else {
		snprintf(seen, sizeof(seen), "HTTP %ld %s", res->status,
		         res->error ? res->error : "");
	}
	if (found && !absent && consul &&
	    (show || scenario_str(st->spec, "check_status"))) { /* the checks, then the verdict */
		sc->matched = cJSON_Duplicate(hit, true);
		cJSON_Delete(j);
		start_health_probe(sc, st);
		return;
	}
	if (found != absent) {
		if (show && absent)
			timeline_printf(&sc->tl, consul ? "consul" : "vaas",
			                "GET %s: no match; it lists %s", sc->probe_path,
			                seen[0]  ? seen
			                : consul ? "{}"
			                         : "no backend");
		else if (show) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(hit, "id");
			timeline_printf(&sc->tl, "vaas", "GET %s: backend %d", sc->probe_path,
			                cJSON_IsNumber(id) ? id->valueint : 0);
			timeline_json(&sc->tl, hit);
		}
		cJSON_Delete(j);
		scenario_step_done(sc, NULL);
		return;
	}
	cJSON_Delete(j);
	if (scenario_timed_out(st)) {
		scenario_step_done(sc, "%s; the %s has: %s",
		                   absent ? "still registered" : "no match within the step timeout",
		                   consul ? "Consul agent" : "VaaS", seen[0] ? seen : "nothing");
		return;
	}
	scenario_schedule(sc, 250);
}

void scenario_probe(struct scenario *sc, struct step *st)
{
	bool consul = !strcmp(st->kind, "expect-consul-service");
	struct sidecar *side = consul ? &sc->consul : &sc->vaas;
	char url[1024], dir[256];
	if (!side->addr[0]) {
		scenario_step_done(sc, "the scenario did not ask for %s (\"services\": [\"%s\"])",
		                   consul ? "fakeconsul" : "fakevaas", consul ? "consul" : "vaas");
		return;
	}
	const char *hdrs[] = {VAAS_AUTH, NULL};
	if (consul) {
		snprintf(url, sizeof(url), "http://%s/v1/agent/services", side->addr);
	} else {
		const char *d = scenario_step_str(sc, st, "director", dir, sizeof(dir));
		if (!d) {
			scenario_step_done(sc, "expect-vaas-backend needs \"director\"");
			return;
		}
		size_t o = (size_t)snprintf(
		    url, sizeof(url), "http://%s/api/v0.1/backend/?director__name=", side->addr);
		for (const char *p = d; *p && o + 4 < sizeof(url); p++)
			o += (size_t)(isalnum((unsigned char)*p) || strchr("-_.~", *p)
			                  ? snprintf(url + o, sizeof(url) - o, "%c", *p)
			                  : snprintf(url + o, sizeof(url) - o, "%%%02X",
			                             (unsigned char)*p));
	}
	snprintf(sc->probe_path, sizeof(sc->probe_path), "%s",
	         url + strlen("http://") + strlen(side->addr));
	struct httpc_opts o = {.url = url,
	                       .headers = consul ? NULL : hdrs,
	                       .timeout_ms = 5000,
	                       .on_done = on_probe,
	                       .data = sc};
	sc->probe = httpc_start(sc->http, &o);
	if (!sc->probe)
		scenario_schedule(sc, 250);
}
