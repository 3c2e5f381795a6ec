/* The fake agent's records and the functions its modules call on each other.
 * Not for users of the library (they include agent.h).
 *
 *   agent.c     lifecycle, ids, notes, launching, lookups, stopping
 *   operator.c  kill, shutdown, teardown, terminate, message, restart simulation
 *   endpoint.c  the executor API: the agent's checks in its order, calls
 *   stream.c    events written to an executor's SUBSCRIBE stream
 *   state.c     task bookkeeping: updates, acknowledgements, termination
 *   spawn.c     sandboxes, the executor environment, processes
 *   control.c   /_fake/ and /state
 *   faults.c    faults injected into one executor's stream (faults.h)
 *
 * Records are never freed before fa_agent_stop, so pointers between them
 * stay valid for the agent's life. */
#ifndef FAKEAGENT_AGENT_INTERNAL_H
#define FAKEAGENT_AGENT_INTERNAL_H

#include "agent.h"
#include "fakekit/httpd.h"
#include "container.h"
#include "jwt.h"

#include <stdarg.h>
#include <sys/types.h>

/* The realm of the executor API's authenticator (EXECUTOR_HTTP_AUTHENTICATION_REALM). */
#define FA_EXECUTOR_REALM "mesos-agent-executor"

enum fa_exec_state {
	FA_EXEC_REGISTERING,
	FA_EXEC_RUNNING,
	FA_EXEC_TERMINATING,
	FA_EXEC_TERMINATED
};

/* Agent phases of the restart simulation. */
enum fa_phase {
	FA_PHASE_UP,
	FA_PHASE_DOWN,       /* containerizer recovering: every call gets 503 */
	FA_PHASE_RECOVERING, /* SUBSCRIBE accepted, other calls 503 */
};

/* The framework as the agent knows it (Framework::State, and whether the
 * agent knows it at all). */
enum fa_fw_state {
	FA_FW_RUNNING,
	FA_FW_TERMINATING, /* torn down: its executors are being shut down */
	FA_FW_GONE,        /* removed after a teardown, or not recovered after a restart */
};

/* Why an executor is destroyed: decides its tasks' terminal updates. */
enum fa_destroy_reason {
	FA_DESTROY_EXITED,         /* the process ended by itself */
	FA_DESTROY_SHUTDOWN,       /* shutdown grace expired */
	FA_DESTROY_REGISTRATION,   /* never subscribed */
	FA_DESTROY_REREGISTRATION, /* did not re-subscribe after a restart */
	FA_DESTROY_ORPHAN,         /* non-checkpointing framework, agent restarted: no
	                            * updates (the agent forgot the tasks; see reconcile) */
	FA_DESTROY_AGENT_STOP,     /* the agent itself is stopping */
};

struct fa_task {
	Mesos__V1__TaskInfo *info; /* owned; freed with protobuf_c_message_free_unpacked */
	struct fa_executor *exec;
	int state;                 /* the agent's view of the task */
	bool delivered;            /* sent in a LAUNCH event (the agent's launchedTasks) */
	struct fa_update *updates; /* owned array */
	size_t n_updates, cap_updates;
	struct fa_task *next; /* in exec->tasks, launch order */
};

struct fa_executor {
	struct fa_agent *agent;
	Mesos__V1__ExecutorInfo *info; /* owned */
	char container_id[37];
	char *sandbox;    /* owned */
	char *token;      /* owned; the executor's JWT (executor auth), or NULL */
	char **env;       /* owned "K=V" array, NULL-ended */
	char *place_from; /* owned: binary copied into the sandbox... */
	char *place_as;   /* owned: ...under this relative name */
	enum fa_exec_state state;
	bool spawned; /* a process was started */
	pid_t pid;
	struct container ct; /* every process it starts (spawn.c) */
	uv_poll_t status;    /* the init's pipe, for a subreaper's container */
	bool status_open;    /* ... counted in agent->handles_open */
	bool exited;         /* the process is gone (reaped) */
	int wait_status;
	bool sweep_pending;  /* reaped; its container goes in the next sweep */
	uint64_t spawned_ns; /* uv_hrtime() just before fork(), for benchmarks */
	uint64_t reaped_ns;  /* uv_hrtime() when waitpid() returned its status */
	bool ever_sent_task;
	bool resubscribed; /* subscribed since the current restart began */
	bool forgotten;  /* lost in a restart (no checkpointing); its tasks await reconciliation */
	bool destroying; /* killed by the agent; waiting for the reap */
	enum fa_destroy_reason destroy_why;
	int acks_dropped;
	struct fa_task *tasks;       /* owned list */
	struct httpd_stream *stream; /* current SUBSCRIBE stream, or NULL */
	enum mesos_encoding enc;     /* of the stream */
	uv_timer_t deadline;         /* registration timeout or shutdown grace */
	uv_timer_t heartbeat;
	struct fa_executor *next; /* in agent->executors, launch order */
};

/* An acknowledgement waiting for --ack-delay. */
struct fa_ack {
	uv_timer_t timer;
	struct fa_agent *agent;
	struct fa_executor *exec;
	char *task_id; /* owned */
	uint8_t uuid[16];
	struct fa_ack *prev, *next; /* in agent->acks */
};

struct fa_agent {
	uv_loop_t *loop;
	struct fa_config cfg;
	char **cfg_env; /* owned copy of cfg.executor_env */
	char *listen;   /* owned copies of borrowed strings */
	char *hostname;
	char *work_dir;
	char *domain_socket;
	char *tls_cert, *tls_key; /* PEM text, or NULL: plain HTTP */
	bool own_work_dir;        /* made by us (a temp dir) */
	struct httpd *httpd;      /* NULL while gone (fa_agent_go_away) */
	struct fakectl *ctl;      /* /_fake/fail, /_fake/delay, /_fake/requests (owned;
	                           * kept while gone, so its rules outlive a restart) */
	char address[80];         /* "127.0.0.1:5051", kept while gone */
	char agent_id[64];
	char framework_id[64];
	uint8_t jwt_key[JWT_KEY_LEN];        /* signs executor tokens (--executor_secret_key) */
	Mesos__V1__FrameworkInfo *framework; /* owned */
	Mesos__V1__AgentInfo *agent_info;    /* owned */
	enum fa_phase phase;
	enum fa_fw_state fw_state;
	bool torn_down;   /* the framework was torn down: no launch brings it back */
	bool terminating; /* the agent is shutting down (SIGUSR1, the master's ShutdownMessage) */
	enum container_kind containers; /* CGROUP or SUBREAPER, chosen at creation */
	char cgroup_parent[4096];       /* where containers' cgroups go */
	uv_timer_t phase_timer;         /* end of downtime / of the re-registration window */
	uv_timer_t sweep_timer;         /* destroys reaped executors' containers (spawn.c) */
	struct fa_executor *executors, *executors_tail;
	struct fa_ack *acks;
	struct httpd_stream **dead; /* streams closed by MHD, released outside its callback */
	size_t n_dead, cap_dead;
	fa_observer_fn observer;
	void *observer_data;
	int handles_open;
	bool stopping;
	void (*stop_done)(void *);
	void *stop_data;
	uint64_t next_container;
};

/* --- agent.c */
/* The close callback of the agent's handles (h->data is the agent). */
void fa_handle_closed(uv_handle_t *h);
/* Serves the executor API and /_fake/ on `listen` (again, after
 * fa_agent_go_away: on the address it had). 0, or -1 with err. */
int fa_serve(struct fa_agent *a, const char *listen, char *err, size_t errlen);
void fa_note(struct fa_agent *a, enum fa_note_kind kind, const struct fa_executor *e,
             const char *task_id, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void fa_note_update(struct fa_agent *a, const struct fa_task *t, const struct fa_update *u);
void fa_note_exec_end(struct fa_agent *a, const struct fa_executor *e, const char *text);
void fa_executor_shutdown(struct fa_executor *e);
const char *fa_exec_state_name(enum fa_exec_state s);
bool fa_framework_has(const struct fa_agent *a, int capability);
/* Sends LAUNCH for every task not yet delivered (executor subscribed). */
void fa_executor_deliver(struct fa_executor *e);

/* --- operator.c */
/* Removes a TERMINATING framework whose last executor is gone. */
void fa_framework_check_idle(struct fa_agent *a);

/* --- endpoint.c */
void fa_endpoint_handle(struct httpd_req *r, struct fa_agent *a);
/* Chooses the stream encoding from an Accept header; -1 when neither is
 * acceptable. `only` is -1 or the one encoding allowed. */
int fa_accept_negotiate(const char *accept, int only);

/* --- stream.c */
int fa_stream_send(struct fa_executor *e, const mesos_event *ev);
int fa_send_subscribed(struct fa_executor *e);
int fa_send_launch(struct fa_executor *e, struct fa_task *t);
int fa_send_kill(struct fa_executor *e, const char *task_id, int64_t grace);
int fa_send_ack(struct fa_executor *e, const char *task_id, const uint8_t uuid[16]);
int fa_send_simple(struct fa_executor *e, int type); /* SHUTDOWN, HEARTBEAT */
int fa_send_message(struct fa_executor *e, const void *data, size_t len);
/* The on_closed callback to give httpd_stream_open for an executor's stream. */
httpd_stream_closed_cb fa_stream_closed_cb(void);
void fa_stream_attach(struct fa_executor *e, struct httpd_stream *s, enum mesos_encoding enc);
void fa_stream_close(struct fa_executor *e, bool abort);
void fa_heartbeat_start(struct fa_executor *e);
/* Releases streams whose connection ended (never from inside MHD's callback). */
void fa_streams_reap(struct fa_agent *a);

/* --- state.c */
struct fa_task *fa_task_find(struct fa_agent *a, const char *task_id);
/* An executor's status update (already validated): recorded and acknowledged
 * unless the agent would ignore it. */
void fa_status_from_executor(struct fa_agent *a, const Mesos__V1__TaskStatus *st);
/* An update the agent makes itself (source SOURCE_AGENT unless given). */
void fa_status_from_agent(struct fa_agent *a, struct fa_task *t, int state, int reason,
                          const char *message, int source);
/* The executor is gone: state TERMINATED, stream closed, terminal updates
 * for its unfinished tasks as the reason dictates. */
void fa_executor_terminated(struct fa_executor *e, enum fa_destroy_reason why);
void fa_acks_cancel_all(struct fa_agent *a);
cJSON *fa_update_json(const struct fa_update *u);

/* --- spawn.c */
int fa_spawn_prepare(struct fa_executor *e, const struct fa_launch *l, char *err, size_t errlen);
int fa_spawn_start(struct fa_executor *e, char *err, size_t errlen);
/* SIGKILL to every process of the executor's container (container.h). */
void fa_spawn_kill_all(struct fa_executor *e);
/* Destroys the executor's container: kills it; the termination is handled
 * when the process is reaped (or at once when nothing runs). */
void fa_executor_destroy(struct fa_executor *e, enum fa_destroy_reason why);
/* The agent stops: no more callbacks for the executor's processes. */
void fa_spawn_release(struct fa_executor *e);
/* Frees what the container holds (its cgroup, once empty). */
void fa_spawn_free(struct fa_executor *e);

/* --- control.c */
extern const struct httpd_route fa_control_routes[];

#endif
