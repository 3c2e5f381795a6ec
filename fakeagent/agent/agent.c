/* The agent's lifecycle: creating the agent (ids, FrameworkInfo, AgentInfo,
 * the HTTP server), the notes its observer hears, launching tasks and
 * shutting an executor down, lookups, and stopping. What the master and the
 * operator do to a running agent is operator.c's. */
#include "internal.h"
#include "reaper.h"

#include "common/duration.h"
#include "common/file.h"
#include "common/str.h"
#include "common/uuid4.h"
#include "fakeagent/marathon/load.h"
#include "fakekit/fakectl.h"
#include "proto/pbjson.h"

#include <errno.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000LL
#define SECS(n)   ((int64_t)(n)*1000000000LL)

void fa_config_defaults(struct fa_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = "127.0.0.1:5051";
	cfg->only_encoding = -1;
	cfg->capabilities = fa_marathon_capabilities();
	cfg->checkpoint = true; /* Marathon's --checkpoint defaults to true */
	cfg->heartbeat_interval = SECS(30 * 60);
	cfg->shutdown_grace = SECS(5);
	cfg->registration_timeout = SECS(60);
	cfg->reregistration_timeout = SECS(2);
	cfg->recovery_timeout = SECS(15 * 60);
}

int fa_capability_parse(const char *name)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(
	    &mesos__v1__framework_info__capability__type__descriptor, name);
	return v && v->value > 0 && v->value < 32 ? v->value : -1;
}

uint32_t fa_marathon_capabilities(void)
{
	return 1u << MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE |
	       1u << MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__REGION_AWARE |
	       1u << MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE;
}

bool fa_framework_has(const struct fa_agent *a, int capability)
{
	return (a->cfg.capabilities >> capability) & 1u;
}

const char *fa_exec_state_name(enum fa_exec_state s)
{
	static const char *names[] = {"REGISTERING", "RUNNING", "TERMINATING", "TERMINATED"};
	return names[s];
}

/* ------------------------------------------------------------ notes */

void fa_note(struct fa_agent *a, enum fa_note_kind kind, const struct fa_executor *e,
             const char *task_id, const char *fmt, ...)
{
	if (!a->observer)
		return;
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	struct fa_note n = {.kind = kind,
	                    .executor_id = e ? e->info->executor_id->value : NULL,
	                    .task_id = task_id,
	                    .text = text,
	                    .wait_status = -1};
	a->observer(a->observer_data, &n);
}

void fa_note_update(struct fa_agent *a, const struct fa_task *t, const struct fa_update *u)
{
	if (!a->observer)
		return;
	char text[1024];
	int n = snprintf(text, sizeof(text), "%s from %s", mesos_task_state_name(u->state),
	                 u->source == MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR ? "executor"
	                 : u->source == MESOS__V1__TASK_STATUS__SOURCE__SOURCE_AGENT  ? "agent"
	                                                                              : "master");
	if (u->healthy >= 0 && n < (int)sizeof(text))
		n += snprintf(text + n, sizeof(text) - (size_t)n, " healthy=%s",
		              u->healthy ? "true" : "false");
	if (u->reason >= 0 && n < (int)sizeof(text))
		n += snprintf(text + n, sizeof(text) - (size_t)n, " reason=%s",
		              mesos_reason_name(u->reason));
	if (u->message && n < (int)sizeof(text))
		n += snprintf(text + n, sizeof(text) - (size_t)n, " message=\"%s\"", u->message);
	if (u->ignored && n < (int)sizeof(text))
		snprintf(text + n, sizeof(text) - (size_t)n, " -- acknowledged, not forwarded: %s",
		         u->ignored);
	struct fa_note note = {.kind = FA_NOTE_UPDATE,
	                       .executor_id = t->exec->info->executor_id->value,
	                       .task_id = t->info->task_id->value,
	                       .text = text,
	                       .update = u,
	                       .wait_status = -1};
	a->observer(a->observer_data, &note);
}

void fa_note_exec_end(struct fa_agent *a, const struct fa_executor *e, const char *text)
{
	if (!a->observer)
		return;
	struct fa_note n = {.kind = FA_NOTE_EXEC_END,
	                    .executor_id = e->info->executor_id->value,
	                    .text = text,
	                    .wait_status = e->exited ? e->wait_status : -1};
	a->observer(a->observer_data, &n);
}

void fa_agent_set_observer(struct fa_agent *a, fa_observer_fn fn, void *data)
{
	a->observer = fn;
	a->observer_data = data;
}

/* ------------------------------------------------------------ creation */

static cJSON *framework_json(const struct fa_agent *a)
{
	struct passwd *pw = getpwuid(getuid());
	cJSON *fw = cJSON_CreateObject();
	cJSON_AddStringToObject(fw, "user", pw ? pw->pw_name : "root");
	cJSON_AddStringToObject(fw, "name", "marathon");
	cJSON_AddItemToObject(fw, "id", cJSON_CreateObject());
	cJSON_AddStringToObject(cJSON_GetObjectItem(fw, "id"), "value", a->framework_id);
	cJSON_AddNumberToObject(fw, "failover_timeout", 604800);
	cJSON_AddBoolToObject(fw, "checkpoint", a->cfg.checkpoint);
	cJSON_AddStringToObject(fw, "hostname", a->hostname);
	cJSON *roles = cJSON_AddArrayToObject(fw, "roles");
	cJSON_AddItemToArray(roles, cJSON_CreateString("*"));
	cJSON *caps = cJSON_AddArrayToObject(fw, "capabilities");
	for (int c = 1; c < 32; c++) {
		if (!((a->cfg.capabilities >> c) & 1u))
			continue;
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
		    &mesos__v1__framework_info__capability__type__descriptor, c);
		if (!v)
			continue;
		cJSON *cap = cJSON_CreateObject();
		cJSON_AddStringToObject(cap, "type", v->name);
		cJSON_AddItemToArray(caps, cap);
	}
	return fw;
}

static cJSON *agent_info_json(const struct fa_agent *a)
{
	const char *colon = strrchr(httpd_address(a->httpd), ':');
	cJSON *ai = cJSON_CreateObject();
	cJSON_AddStringToObject(ai, "hostname", a->hostname);
	cJSON_AddNumberToObject(ai, "port", colon ? atoi(colon + 1) : 5051);
	cJSON_AddItemToObject(ai, "id", cJSON_CreateObject());
	cJSON_AddStringToObject(cJSON_GetObjectItem(ai, "id"), "value", a->agent_id);
	return ai;
}

static ProtobufCMessage *message_from(const ProtobufCMessageDescriptor *d, cJSON *j, char *err,
                                      size_t errlen)
{
	ProtobufCMessage *m = pbjson_from_json(d, j, err, errlen);
	cJSON_Delete(j);
	return m;
}

int fa_serve(struct fa_agent *a, const char *listen, char *err, size_t errlen)
{
	struct httpd_config hc = {.name = "fakeagent",
	                          .listen = listen,
	                          .allow_non_loopback = a->cfg.allow_remote,
	                          .unix_socket = a->domain_socket,
	                          .tls_cert = a->tls_cert,
	                          .tls_key = a->tls_key,
	                          .routes = fa_control_routes,
	                          .fallback = (httpd_handler)fa_endpoint_handle,
	                          .connection_limit = 65536,
	                          .data = a};
	fakectl_attach(a->ctl, &hc); /* /_fake/fail, /_fake/delay, /_fake/requests */
	a->httpd = httpd_start(a->loop, &hc, err, errlen);
	if (!a->httpd)
		return -1;
	snprintf(a->address, sizeof(a->address), "%s", httpd_address(a->httpd));
	return 0;
}

struct fa_agent *fa_agent_new(uv_loop_t *loop, const struct fa_config *cfg, char *err,
                              size_t errlen)
{
	struct fa_agent *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->loop = loop;
	a->cfg = *cfg;
	a->listen = strdup(cfg->listen ? cfg->listen : "127.0.0.1:5051");
	a->cfg_env = strv_dup(cfg->executor_env);
	a->cfg.executor_env = (const char *const *)a->cfg_env;
	a->domain_socket = cfg->domain_socket ? strdup(cfg->domain_socket) : NULL;
	a->cfg.domain_socket = a->domain_socket;
	if (!cfg->tls_cert_file != !cfg->tls_key_file) {
		snprintf(err, errlen, "HTTPS needs both --tls-cert and --tls-key");
		goto fail;
	}
	if (cfg->tls_cert_file &&
	    (!(a->tls_cert = file_read(cfg->tls_cert_file, NULL, err, errlen)) ||
	     !(a->tls_key = file_read(cfg->tls_key_file, NULL, err, errlen))))
		goto fail;
	a->cfg.tls_cert_file = a->cfg.tls_key_file = NULL; /* read; the text is kept */
	char host[256] = "localhost";
	if (cfg->hostname)
		snprintf(host, sizeof(host), "%s", cfg->hostname);
	else
		gethostname(host, sizeof(host) - 1);
	a->hostname = strdup(host);
	a->cfg.hostname = a->hostname;
	if (cfg->work_dir) {
		a->work_dir = strdup(cfg->work_dir);
		if (mkdir(a->work_dir, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "work dir %s: %s", a->work_dir, strerror(errno));
			goto fail;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		if (asprintf(&a->work_dir, "%s/fakeagent.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 ||
		    !mkdtemp(a->work_dir)) {
			snprintf(err, errlen, "cannot make a work dir: %s", strerror(errno));
			goto fail;
		}
		a->own_work_dir = true;
	}
	a->cfg.work_dir = a->work_dir;
	if (!(a->ctl = fakectl_new(loop))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	uuid4_random(a->jwt_key, sizeof(a->jwt_key));
	uint8_t u[16];
	char s[37];
	uuid4_new(u);
	uuid4_format(u, s);
	snprintf(a->agent_id, sizeof(a->agent_id), "%s-S0", s);
	uuid4_new(u);
	uuid4_format(u, s);
	snprintf(a->framework_id, sizeof(a->framework_id), "%s-0000", s);

	if (fa_serve(a, a->listen, err, errlen) < 0)
		goto fail;
	a->framework = (Mesos__V1__FrameworkInfo *)message_from(
	    &mesos__v1__framework_info__descriptor, framework_json(a), err, errlen);
	a->agent_info = (Mesos__V1__AgentInfo *)message_from(&mesos__v1__agent_info__descriptor,
	                                                     agent_info_json(a), err, errlen);
	if (!a->framework || !a->agent_info) {
		httpd_stop(a->httpd);
		goto fail;
	}
	a->containers = cfg->containers == CONTAINER_AUTO ? CONTAINER_CGROUP : cfg->containers;
	if (a->containers == CONTAINER_CGROUP &&
	    container_cgroup_parent(a->cgroup_parent, sizeof(a->cgroup_parent), err, errlen) < 0) {
		if (cfg->containers == CONTAINER_CGROUP) { /* asked for: no fallback */
			httpd_stop(a->httpd);
			goto fail;
		}
		a->containers = CONTAINER_SUBREAPER;
	}
	if (reaper_start(loop) != 0) {
		snprintf(err, errlen, "cannot watch SIGCHLD");
		httpd_stop(a->httpd);
		goto fail;
	}
	uv_timer_init(loop, &a->phase_timer);
	uv_timer_init(loop, &a->sweep_timer);
	a->phase_timer.data = a->sweep_timer.data = a;
	a->handles_open = 2;
	return a;
fail:
	fakectl_close(a->ctl);
	if (a->framework)
		protobuf_c_message_free_unpacked(&a->framework->base, NULL);
	if (a->agent_info)
		protobuf_c_message_free_unpacked(&a->agent_info->base, NULL);
	if (a->own_work_dir)
		rmdir(a->work_dir);
	strv_free(a->cfg_env);
	free(a->listen);
	free(a->hostname);
	free(a->work_dir);
	free(a->domain_socket);
	free(a->tls_cert);
	free(a->tls_key);
	free(a);
	return NULL;
}

const char *fa_agent_address(const struct fa_agent *a)
{
	return a->address;
}

const char *fa_agent_scheme(const struct fa_agent *a)
{
	return a->tls_cert ? "https" : "http";
}
const char *fa_agent_id(const struct fa_agent *a)
{
	return a->agent_id;
}
const char *fa_agent_framework_id(const struct fa_agent *a)
{
	return a->framework_id;
}
const char *fa_agent_hostname(const struct fa_agent *a)
{
	return a->hostname;
}
const char *fa_agent_work_dir(const struct fa_agent *a)
{
	return a->work_dir;
}
const struct fa_config *fa_agent_config(const struct fa_agent *a)
{
	return &a->cfg;
}
bool fa_agent_recovering(const struct fa_agent *a)
{
	return a->phase != FA_PHASE_UP;
}

/* ------------------------------------------------------------ launching */

static void on_deadline(uv_timer_t *t)
{
	struct fa_executor *e = t->data;
	if (e->state == FA_EXEC_REGISTERING) {
		char d[32];
		duration_format_mesos(e->agent->cfg.registration_timeout, d, sizeof(d));
		fa_note(e->agent, FA_NOTE_WARN, e, NULL,
		        "executor did not subscribe within %s: destroying it", d);
		fa_executor_destroy(e, FA_DESTROY_REGISTRATION);
	} else if (e->state == FA_EXEC_TERMINATING) {
		fa_note(e->agent, FA_NOTE_WARN, e, NULL,
		        "shutdown grace period expired: killing the executor's processes");
		fa_executor_destroy(e, FA_DESTROY_SHUTDOWN);
	}
}

static void set_agent_id(struct fa_agent *a, Mesos__V1__TaskInfo *t)
{
	free(t->agent_id->value);
	t->agent_id->value = strdup(a->agent_id);
}

static void set_framework_id(struct fa_agent *a, Mesos__V1__ExecutorInfo *ei)
{
	if (ei->framework_id) {
		free(ei->framework_id->value);
	} else {
		ei->framework_id = malloc(sizeof(*ei->framework_id));
		mesos__v1__framework_id__init(ei->framework_id);
	}
	ei->framework_id->value = strdup(a->framework_id);
}

void fa_executor_deliver(struct fa_executor *e)
{
	for (struct fa_task *t = e->tasks; t; t = t->next) {
		if (t->delivered || mesos_task_state_terminal(t->state))
			continue;
		t->delivered = true;
		e->ever_sent_task = true;
		fa_send_launch(e, t);
	}
}

static struct fa_executor *executor_new(struct fa_agent *a, struct fa_launch *l, char *err,
                                        size_t errlen)
{
	struct fa_executor *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->agent = a;
	e->info = l->executor;
	l->executor = NULL;
	e->wait_status = -1;
	uint8_t u[16];
	uuid4_new(u);
	uuid4_format(u, e->container_id);
	uv_timer_init(a->loop, &e->deadline);
	uv_timer_init(a->loop, &e->heartbeat);
	e->deadline.data = e->heartbeat.data = e;
	a->handles_open += 2;
	if (a->executors_tail)
		a->executors_tail->next = e;
	else
		a->executors = e;
	a->executors_tail = e;
	set_framework_id(a, e->info);
	if (fa_spawn_prepare(e, l, err, errlen) < 0 ||
	    (!l->no_spawn && fa_spawn_start(e, err, errlen) < 0)) {
		e->state = FA_EXEC_TERMINATED; /* kept for /state, never found by the API */
		return NULL;
	}
	uv_timer_start(&e->deadline, on_deadline,
	               (uint64_t)(a->cfg.registration_timeout / NS_PER_MS), 0);
	return e;
}

void fa_launch_from(struct fa_launch *l, struct load_result *r, const char *executor_bin)
{
	l->task = r->task;
	l->executor = r->executor;
	r->task = NULL;
	r->executor = NULL;
	l->executor_bin = r->place_as ? executor_bin : NULL;
	l->place_as = r->place_as;
}

struct fa_task *fa_agent_launch(struct fa_agent *a, struct fa_launch *l, char *err, size_t errlen)
{
	struct fa_task *t = NULL;

	if (!l->task || !l->executor) {
		snprintf(err, errlen, "a launch needs a TaskInfo and an ExecutorInfo");
		goto fail;
	}
	if (a->stopping || a->terminating) {
		snprintf(err, errlen, "the agent is %s", a->stopping ? "stopping" : "terminating");
		goto fail;
	}
	if (a->torn_down) {
		snprintf(err, errlen, "framework %s was torn down", a->framework_id);
		goto fail;
	}
	if (a->fw_state == FA_FW_GONE) { /* not recovered: the master sends it again */
		a->fw_state = FA_FW_RUNNING;
		fa_note(a, FA_NOTE_INFO, NULL, NULL, "framework %s added again with a new task",
		        a->framework_id);
	}
	if (fa_task_find(a, l->task->task_id->value)) {
		snprintf(err, errlen, "task_id.value: task '%s' already exists",
		         l->task->task_id->value);
		goto fail;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	t->info = l->task;
	l->task = NULL;
	t->state = MESOS__V1__TASK_STATE__TASK_STAGING;
	set_agent_id(a, t->info);
	if (t->info->executor)
		set_framework_id(a, t->info->executor);

	struct fa_executor *e = fa_agent_executor(a, l->executor->executor_id->value);
	if (e && e->state != FA_EXEC_TERMINATED && e->state != FA_EXEC_TERMINATING) {
		protobuf_c_message_free_unpacked(&l->executor->base, NULL);
		l->executor = NULL;
	} else {
		e = executor_new(a, l, err, errlen);
		if (!e) {
			protobuf_c_message_free_unpacked(&t->info->base, NULL);
			free(t);
			t = NULL;
			goto fail;
		}
	}
	t->exec = e;
	struct fa_task **tail = &e->tasks;
	while (*tail)
		tail = &(*tail)->next;
	*tail = t;
	fa_note(a, FA_NOTE_INFO, e, t->info->task_id->value, "task %s queued for executor %s",
	        t->info->task_id->value, e->info->executor_id->value);
	if (e->state == FA_EXEC_RUNNING && e->stream)
		fa_executor_deliver(e);
	return t;
fail:
	if (l->task)
		protobuf_c_message_free_unpacked(&l->task->base, NULL);
	if (l->executor)
		protobuf_c_message_free_unpacked(&l->executor->base, NULL);
	l->task = NULL;
	l->executor = NULL;
	return NULL;
}

/* ------------------------------------------------------------ operator actions */

void fa_executor_shutdown(struct fa_executor *e)
{
	if (e->state == FA_EXEC_TERMINATED || e->state == FA_EXEC_TERMINATING)
		return;
	e->state = FA_EXEC_TERMINATING;
	int64_t grace = e->info->shutdown_grace_period ? e->info->shutdown_grace_period->nanoseconds
	                                               : e->agent->cfg.shutdown_grace;
	char d[32];
	duration_format_mesos(grace, d, sizeof(d));
	fa_note(e->agent, FA_NOTE_INFO, e, NULL, "shutting executor down (grace %s)", d);
	if (fa_send_simple(e, MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN) < 0)
		fa_note(e->agent, FA_NOTE_WARN, e, NULL,
		        "SHUTDOWN not delivered: executor not connected");
	uv_timer_start(&e->deadline, on_deadline, (uint64_t)(grace > 0 ? grace / NS_PER_MS : 0), 0);
}

/* ------------------------------------------------------------ lookups */

struct fa_executor *fa_agent_executor(struct fa_agent *a, const char *executor_id)
{
	struct fa_executor *found = NULL;
	for (struct fa_executor *e = a->executors; e; e = e->next)
		if (strcmp(e->info->executor_id->value, executor_id) == 0)
			found = e; /* the latest one with that id */
	return found;
}

struct fa_task *fa_agent_task(struct fa_agent *a, const char *task_id)
{
	return fa_task_find(a, task_id);
}

const char *fa_task_id(const struct fa_task *t)
{
	return t->info->task_id->value;
}
int fa_task_state(const struct fa_task *t)
{
	return t->state;
}
struct fa_executor *fa_task_executor(const struct fa_task *t)
{
	return t->exec;
}
const Mesos__V1__TaskInfo *fa_task_info(const struct fa_task *t)
{
	return t->info;
}
size_t fa_task_updates(const struct fa_task *t, const struct fa_update **updates)
{
	*updates = t->updates;
	return t->n_updates;
}
const char *fa_executor_id(const struct fa_executor *e)
{
	return e->info->executor_id->value;
}
const char *fa_executor_sandbox(const struct fa_executor *e)
{
	return e->sandbox;
}
int fa_executor_pid(const struct fa_executor *e)
{
	return e->spawned ? (int)e->pid : 0;
}
bool fa_executor_is_terminated(const struct fa_executor *e)
{
	return e->state == FA_EXEC_TERMINATED;
}
int fa_executor_wait_status(const struct fa_executor *e)
{
	return e->exited ? e->wait_status : -1;
}
void fa_executor_times(const struct fa_executor *e, uint64_t *spawned_ns, uint64_t *reaped_ns)
{
	*spawned_ns = e->spawned_ns;
	*reaped_ns = e->reaped_ns;
}
char *const *fa_executor_env(const struct fa_executor *e)
{
	return e->env;
}

/* ------------------------------------------------------------ stopping */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void free_executor(struct fa_executor *e)
{
	struct fa_task *t = e->tasks;
	while (t) {
		struct fa_task *next = t->next;
		for (size_t i = 0; i < t->n_updates; i++) {
			free(t->updates[i].message);
			free(t->updates[i].ignored);
		}
		free(t->updates);
		protobuf_c_message_free_unpacked(&t->info->base, NULL);
		free(t);
		t = next;
	}
	fa_spawn_free(e);
	protobuf_c_message_free_unpacked(&e->info->base, NULL);
	free(e->sandbox);
	free(e->token);
	strv_free(e->env);
	free(e->place_from);
	free(e->place_as);
	free(e);
}

void fa_handle_closed(uv_handle_t *h)
{
	struct fa_agent *a = h->data;
	if (--a->handles_open > 0)
		return;
	fa_streams_reap(a); /* streams parked as the server stopped, and their array */
	struct fa_executor *e = a->executors;
	while (e) {
		struct fa_executor *next = e->next;
		free_executor(e);
		e = next;
	}
	if (a->own_work_dir && !a->cfg.keep_work_dir)
		nftw(a->work_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	protobuf_c_message_free_unpacked(&a->framework->base, NULL);
	protobuf_c_message_free_unpacked(&a->agent_info->base, NULL);
	void (*done)(void *) = a->stop_done;
	void *data = a->stop_data;
	strv_free(a->cfg_env);
	free(a->listen);
	free(a->hostname);
	free(a->work_dir);
	free(a->domain_socket);
	free(a->tls_cert);
	free(a->tls_key);
	free(a);
	if (done)
		done(data);
}

void fa_agent_stop(struct fa_agent *a, void (*done)(void *data), void *data)
{
	if (a->stopping)
		return;
	a->stopping = true;
	a->stop_done = done;
	a->stop_data = data;
	for (struct fa_executor *e = a->executors; e; e = e->next) {
		if (e->state != FA_EXEC_TERMINATED) {
			fa_spawn_kill_all(e);
			fa_executor_terminated(e, FA_DESTROY_AGENT_STOP);
		}
		if (e->spawned && !e->exited && e->ct.kind == CONTAINER_CGROUP)
			reaper_forget(e->pid);
		fa_spawn_release(e);
		e->deadline.data = e->heartbeat.data = a;
		uv_close((uv_handle_t *)&e->deadline, fa_handle_closed);
		uv_close((uv_handle_t *)&e->heartbeat, fa_handle_closed);
	}
	fa_acks_cancel_all(a);
	if (a->httpd) /* NULL while gone (fa_agent_go_away) */
		httpd_stop(a->httpd);
	fakectl_close(a->ctl); /* after httpd_stop, which aborts its delayed requests */
	a->ctl = NULL;
	reaper_stop();
	uv_close((uv_handle_t *)&a->phase_timer, fa_handle_closed);
	uv_close((uv_handle_t *)&a->sweep_timer, fa_handle_closed);
}
