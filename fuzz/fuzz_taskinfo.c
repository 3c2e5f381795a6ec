/* Fuzzes what the executor and its hooks read from a TaskInfo the agent
 * sends: the Consul registrations (hooks/consul_map.h) and service names,
 * the VaaS director, port and backend (hooks/vaas_map.h), health checks and
 * generalized checks (validation, timing), the command line with Marathon's
 * custom-executor prefix and the task's environment (executor/task.h).
 * Input: a TaskInfo in JSON, or, when that does not decode, in protobuf.
 * Properties: no crash, leak or UB; a registration's id is
 * "<taskId>_<name>_<port>" and its body is JSON naming that id; a refused
 * mapping says why; a built backend is JSON; the environment is KEY=VALUE
 * strings and keeps the executor's secrets out. */
#include "fuzz.h"

#include "common/envlist.h"
#include "common/str.h"
#include "executor/config.h"
#include "executor/health_rules.h"
#include "executor/task.h"
#include "hooks/consul_map.h"
#include "hooks/vaas_map.h"
#include "proto/pbjson.h"

#include <stdlib.h>
#include <string.h>

static void consul(const Mesos__V1__TaskInfo *t)
{
	struct consul_map_settings s = {
	    .global_tag = "marathon", .initial_status = "critical", .address = "10.0.0.1"};
	struct consul_regs regs;
	char err[512] = "";
	if (consul_map(t, &s, &regs, err, sizeof(err)) < 0) {
		CHECK(err[0] != '\0');
		CHECK(regs.n == 0);
		return;
	}
	for (size_t i = 0; i < regs.n; i++) {
		char want[4096];
		snprintf(want, sizeof(want), "%s_%s_%u", t->task_id->value, regs.v[i].name,
		         regs.v[i].port);
		CHECK(strcmp(regs.v[i].id, want) == 0 || strlen(want) == sizeof(want) - 1);
		cJSON *b = cJSON_Parse(regs.v[i].body);
		CHECK(b != NULL);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(b, "ID");
		CHECK(cJSON_IsString(id) && strcmp(id->valuestring, regs.v[i].id) == 0);
		cJSON_Delete(b);
	}
	consul_regs_free(&regs);
	free(consul_map_service_name(t->task_id->value));
}

static void vaas(const Mesos__V1__TaskInfo *t)
{
	const char *director = vaas_map_director(t);
	uint32_t port;
	bool labelled;
	char err[512] = "";
	if (!director)
		director = "fallback";
	if (vaas_map_port(t, director, &port, &labelled, err, sizeof(err)) < 0)
		CHECK(err[0] != '\0');
	cJSON *dc = cJSON_Parse("{\"id\":1,\"name\":\"First datacenter\","
	                        "\"resource_uri\":\"/api/v0.1/dc/1/\",\"symbol\":\"dc1\"}");
	struct vaas_map_input in = {.address = "10.1.2.3", .dc = dc, .director_id = 456};
	err[0] = '\0';
	char *b = vaas_map_backend(t, &in, err, sizeof(err));
	if (b) {
		cJSON *j = cJSON_Parse(b);
		CHECK(j != NULL);
		cJSON_Delete(j);
		free(b);
	} else {
		CHECK(err[0] != '\0');
	}
	cJSON_Delete(dc);
}

static void checks(const Mesos__V1__TaskInfo *t)
{
	char err[256];
	struct health_timing tm;
	health_has_check(t);
	if (t->health_check && health_validate(t->health_check, err, sizeof(err)) == 0) {
		health_timing_of(t->health_check, &tm);
		CHECK(tm.delay_ns >= 0 && tm.interval_ns >= 0 && tm.timeout_ns >= 0);
		health_type(t->health_check);
	}
	if (t->check && check_validate(t->check, err, sizeof(err)) == 0) {
		check_timing_of(t->check, &tm);
		CHECK(tm.delay_ns >= 0 && tm.interval_ns >= 0 && tm.timeout_ns >= 0);
	}
}

static void command(const Mesos__V1__TaskInfo *t)
{
	const char *value;
	bool owned;
	task_command(t, &value, &owned);
	if (owned)
		free((char *)value);
	char *const extra[] = {"FROM_HOOK=1", "PATH=/hooked", NULL};
	char **env = task_environment(t, extra);
	CHECK(env != NULL);
	const char *token = envlist_get(env, "ALLEGRO_EXECUTOR_VAAS_TOKEN");
	bool task_set_it = false;
	const Mesos__V1__CommandInfo *c = t->command    ? t->command
	                                  : t->executor ? t->executor->command
	                                                : NULL;
	for (size_t i = 0; c && c->environment && i < c->environment->n_variables; i++)
		task_set_it |=
		    strcmp(c->environment->variables[i]->name, "ALLEGRO_EXECUTOR_VAAS_TOKEN") == 0;
	CHECK(!token || task_set_it); /* the executor's own token never leaks */
	for (char **e = env; *e; e++)
		CHECK(strchr(*e, '=') != NULL);
	CHECK(strcmp(envlist_get(env, "FROM_HOOK"), "1") == 0);
	strv_free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	if (!once) { /* a secret of the executor, which no task may see */
		setenv("ALLEGRO_EXECUTOR_VAAS_TOKEN", "s3cr3t", 1);
		once = true;
	}
	char err[256];
	Mesos__V1__TaskInfo *t = (Mesos__V1__TaskInfo *)pbjson_decode(
	    &mesos__v1__task_info__descriptor, (const char *)data, size, err, sizeof(err));
	if (!t)
		t = (Mesos__V1__TaskInfo *)protobuf_c_message_unpack(
		    &mesos__v1__task_info__descriptor, NULL, size, data);
	if (!t)
		return 0;
	consul(t);
	vaas(t);
	checks(t);
	command(t);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	return 0;
}
