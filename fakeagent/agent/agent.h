/* The fake Mesos agent as a library: one agent on one libuv loop serves the
 * executor HTTP API (endpoint.c), spawns executors with the real agent's
 * environment (spawn.c), keeps frameworks, executors, tasks and their status
 * updates (state.c), and answers operator actions: launch, kill, shutdown,
 * message and the agent-restart simulation (agent.c). Everything that
 * happens is reported to one observer as a note (the timeline, `run` and
 * the scenario runner listen).
 *
 * Ownership: the agent owns every record it creates; pointers handed to the
 * observer are valid during the call only, records returned by lookups stay
 * valid until fa_agent_stop. */
#ifndef FAKEAGENT_AGENT_AGENT_H
#define FAKEAGENT_AGENT_AGENT_H

#include "proto/mesos.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct fa_agent;
struct fa_executor;
struct fa_task;
struct load_result; /* fakeagent/marathon/load.h */

/* Agent settings; durations are nanoseconds. fa_config_defaults fills the
 * real agent's defaults. */
struct fa_config {
	const char *listen;              /* "HOST:PORT" (borrowed) */
	bool allow_remote;               /* bind a non-loopback --listen address */
	const char *hostname;            /* AgentInfo.hostname, HOST; NULL: gethostname */
	const char *work_dir;            /* sandboxes go below; NULL: a fresh temp dir */
	bool keep_work_dir;              /* keep the temp dir made for work_dir == NULL */
	const char *executor_bin;        /* default executor binary for /_fake/launch (borrowed) */
	const char *domain_socket;       /* also serve the executor API here (borrowed) */
	const char *tls_cert_file;       /* with tls_key_file: serve HTTPS (PEM files, read */
	const char *tls_key_file;        /* by fa_agent_new; the Unix socket stays plain) */
	bool executor_auth;              /* tokens in MESOS_EXECUTOR_AUTHENTICATION_TOKEN */
	int only_encoding;               /* -1: both; else the one enum mesos_encoding allowed */
	bool checkpoint;                 /* FrameworkInfo.checkpoint, MESOS_CHECKPOINT=1; true
	                                  * by default, as Marathon's frameworks checkpoint */
	uint32_t capabilities;           /* bit (1 << FrameworkInfo.Capability.Type) */
	const char *const *executor_env; /* "K=V" strings, NULL-ended (borrowed) */
	int64_t ack_delay;
	int drop_acks; /* per executor: its first N acknowledgements are dropped */
	int64_t heartbeat_interval;
	int64_t shutdown_grace;
	int64_t registration_timeout;
	int64_t reregistration_timeout; /* also MESOS_SUBSCRIPTION_BACKOFF_MAX */
	int64_t recovery_timeout;       /* MESOS_RECOVERY_TIMEOUT */
	int containers;                 /* enum container_kind: AUTO (cgroup when it may, else
	                                 * subreaper), CGROUP (fa_agent_new fails without), SUBREAPER */
};

void fa_config_defaults(struct fa_config *cfg);
/* Parses a capability name ("TASK_KILLING_STATE"); -1 when unknown. */
int fa_capability_parse(const char *name);
/* Marathon's framework capabilities (PARTITION_AWARE, REGION_AWARE, MULTI_ROLE). */
uint32_t fa_marathon_capabilities(void);

/* What the observer hears about. */
enum fa_note_kind {
	FA_NOTE_INFO,     /* agent lifecycle, operator actions */
	FA_NOTE_WARN,     /* something a real agent would log as a warning */
	FA_NOTE_CALL,     /* an executor call was accepted */
	FA_NOTE_REJECT,   /* an executor call was answered with an error */
	FA_NOTE_EVENT,    /* an event was written to an executor's stream */
	FA_NOTE_UPDATE,   /* a status update was recorded (executor's or agent's);
	                   * update->ignored says when the agent refused it */
	FA_NOTE_EXEC_UP,  /* an executor process was started */
	FA_NOTE_EXEC_END, /* an executor terminated (process gone or destroyed) */
};

/* One status update as the agent recorded it. */
struct fa_update {
	int state;     /* TaskState */
	int source;    /* TaskStatus.Source */
	int reason;    /* -1 when unset */
	int healthy;   /* -1 unset, 0, 1 */
	char *message; /* owned, may be NULL */
	uint8_t uuid[16];
	double timestamp;   /* from the status, 0 when unset */
	double received_at; /* seconds since the epoch */
	bool acknowledged;  /* an ACKNOWLEDGED event was written for it */
	char *ignored;      /* owned: why the agent refused it (acknowledged, but neither
	                     * forwarded nor changing the task's state), or NULL */
};

struct fa_note {
	enum fa_note_kind kind;
	const char *executor_id;        /* NULL when not about one executor */
	const char *task_id;            /* NULL when not about one task */
	const char *text;               /* human-readable detail */
	const struct fa_update *update; /* FA_NOTE_UPDATE */
	int wait_status;                /* FA_NOTE_EXEC_END: waitpid status, -1 unknown */
};

typedef void (*fa_observer_fn)(void *data, const struct fa_note *n);

/* A task to run. The agent takes ownership of task and executor. */
struct fa_launch {
	Mesos__V1__TaskInfo *task;         /* agent_id is overwritten with the agent's */
	Mesos__V1__ExecutorInfo *executor; /* the executor to run it (command executor
	                                    * when task->executor is NULL) */
	const char *executor_bin;          /* copied into the sandbox as place_as (borrowed) */
	const char *place_as;              /* relative path in the sandbox, or NULL */
	const char *const *extra_env;      /* more executor "K=V" for this launch (borrowed) */
	bool no_spawn; /* register the executor but start no process (tests speak for it) */
};

/* Fills a launch from a task loaded by fakeagent/marathon/load.h: moves its
 * TaskInfo and ExecutorInfo; place_as stays the result's, so load_free it
 * after fa_agent_launch. */
void fa_launch_from(struct fa_launch *l, struct load_result *r, const char *executor_bin);

/* Creates the agent and starts serving. NULL with err filled on failure. */
struct fa_agent *fa_agent_new(uv_loop_t *loop, const struct fa_config *cfg, char *err,
                              size_t errlen);
void fa_agent_set_observer(struct fa_agent *a, fa_observer_fn fn, void *data);
/* Destroys every executor (SIGKILL), stops serving and closes its handles;
 * `done` runs once everything is closed and the agent is freed. */
void fa_agent_stop(struct fa_agent *a, void (*done)(void *data), void *data);

const char *fa_agent_address(const struct fa_agent *a);
/* "https" when the agent serves TLS (--tls-cert), else "http". */
const char *fa_agent_scheme(const struct fa_agent *a); /* "127.0.0.1:5051" */
const char *fa_agent_id(const struct fa_agent *a);
const char *fa_agent_framework_id(const struct fa_agent *a);
const char *fa_agent_hostname(const struct fa_agent *a);
const char *fa_agent_work_dir(const struct fa_agent *a);
const struct fa_config *fa_agent_config(const struct fa_agent *a);

/* Starts the task: an executor record, its sandbox and process, the task
 * queued until the executor subscribes (or delivered at once when that
 * executor is already subscribed). Returns the task or NULL with err. */
struct fa_task *fa_agent_launch(struct fa_agent *a, struct fa_launch *l, char *err, size_t errlen);

/* Operator actions, ignored (a note says why) when the agent would ignore
 * the master's message: while it recovers or terminates, when the framework
 * is terminating or unknown, for a terminal task or one whose executor is
 * terminating. grace < 0: no kill_policy in the KILL event. */
int fa_agent_kill(struct fa_agent *a, const char *task_id, int64_t grace, char *err, size_t errlen);
/* Shuts one executor down (NULL: all of them). */
int fa_agent_shutdown(struct fa_agent *a, const char *executor_id, char *err, size_t errlen);
int fa_agent_message(struct fa_agent *a, const char *executor_id, const void *data, size_t len,
                     char *err, size_t errlen);
/* The framework is torn down (the scheduler's TEARDOWN): TERMINATING, its
 * executors shut down, its updates ignored, no more launches; removed once
 * its last executor is gone. */
int fa_agent_teardown(struct fa_agent *a, char *err, size_t errlen);
/* The agent shuts down (SIGUSR1, or the master's ShutdownMessage): the
 * framework terminates as on teardown; the agent stays up, for /state,
 * where a real one would exit once its executors are gone. */
int fa_agent_terminate(struct fa_agent *a, char *err, size_t errlen);
/* Simulates an agent restart: streams cut, every call answered 503 for
 * `downtime`, then SUBSCRIBE accepted for the re-registration timeout, after
 * which executors that did not come back are destroyed. */
int fa_agent_restart(struct fa_agent *a, int64_t downtime, char *err, size_t errlen);
/* Simulates the agent process being gone: streams cut and nothing listening
 * on its address (connections refused) for `downtime`; then it listens on
 * the same address again and recovers as after fa_agent_restart. */
int fa_agent_go_away(struct fa_agent *a, int64_t downtime, char *err, size_t errlen);
bool fa_agent_recovering(const struct fa_agent *a);

/* Lookups. */
struct fa_task *fa_agent_task(struct fa_agent *a, const char *task_id);
struct fa_executor *fa_agent_executor(struct fa_agent *a, const char *executor_id);

/* Task and executor accessors. */
const char *fa_task_id(const struct fa_task *t);
int fa_task_state(const struct fa_task *t); /* latest TaskState the agent took */
size_t fa_task_updates(const struct fa_task *t, const struct fa_update **updates);
struct fa_executor *fa_task_executor(const struct fa_task *t);
const Mesos__V1__TaskInfo *fa_task_info(const struct fa_task *t);
const char *fa_executor_id(const struct fa_executor *e);
const char *fa_executor_sandbox(const struct fa_executor *e);
int fa_executor_pid(const struct fa_executor *e); /* 0 when none */
bool fa_executor_is_terminated(const struct fa_executor *e);
int fa_executor_wait_status(const struct fa_executor *e); /* -1 unknown */
/* Monotonic times (uv_hrtime, ns) of the executor's process: just before its
 * fork() and when its exit status was reaped; 0 when that has not happened.
 * Benchmarks time the wire from these (bench/). */
void fa_executor_times(const struct fa_executor *e, uint64_t *spawned_ns, uint64_t *reaped_ns);
/* The executor's environment as spawned ("K=V" strings, NULL-ended). */
char *const *fa_executor_env(const struct fa_executor *e);

/* /state: frameworks, executors, tasks and their updates. Caller deletes. */
cJSON *fa_agent_state_json(struct fa_agent *a);

#endif
