/* The executor's state machine. Inputs: agent events, the connection coming
 * and going, the task's exit, its tree being gone, health and check results,
 * hook chains finishing, timers firing, the executor's own SIGTERM. Outputs:
 * effects through struct ex_effects (send an update, launch, signal the tree,
 * arm a timer, run hooks, start health checks, exit). No I/O happens here, so
 * tests drive every path with a recording ex_effects and a fake clock.
 *
 * The life of the task:
 *   IDLE --LAUNCH--> STARTING (TASK_STARTING, BeforeTaskStart hooks)
 *        --spawn--> RUNNING (TASK_RUNNING, AfterTaskStart hooks, health)
 *        --exit | kill | shutdown | health | deadline | agent lost-->
 *        STOPPING ([TASK_KILLING], BeforeTerminate hooks)
 *        --hooks done--> SIGNALLED (SIGTERM to the tree, grace timer; SIGKILL
 *        when it fires) --main exited and tree gone--> DONE (terminal update)
 *        --terminal update acknowledged--> exit 0
 *
 * SHUTDOWN (and losing the agent, which the executor library turns into a
 * SHUTDOWN) has a deadline: the agent destroys the container
 * MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD after it sent SHUTDOWN. The budget,
 * from SHUTDOWN on (G = the grace, W = G - 2 s, at least 0):
 *   SIGKILL goes out by W at the latest; the last 2 s are left for SIGKILL,
 *     reaping and the terminal update (Mesos' command executor leaves the
 *     same: its reap interval and 1 s);
 *   BeforeTerminate hooks get W minus the task's own grace, and at least
 *     half of W: past that they are cut short (logged), SIGTERM goes out and
 *     the hooks go on meanwhile (deregistration is still attempted);
 *   the task gets whatever is left until W (at least half of it);
 *   losing the agent also arms the library's own deadline: at G the tree is
 *     SIGKILLed and the executor exits 3, whatever is still pending.
 * KILL has no agent deadline: the hooks' own time, then the kill policy. */
#ifndef EXECUTOR_H
#define EXECUTOR_H

#include "executor/config.h"
#include "executor/health.h"
#include "executor/ledger.h"
#include "hooks/hook.h"
#include "proto/mesos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ex_timer {
	EX_TIMER_GRACE,          /* SIGTERM -> SIGKILL */
	EX_TIMER_MAX_COMPLETION, /* TaskInfo.max_completion_time */
	EX_TIMER_RECOVERY,       /* agent gone for MESOS_RECOVERY_TIMEOUT */
	EX_TIMER_ACK,            /* terminal update not acknowledged */
	EX_TIMER_RESEND,         /* next unacknowledged update to resend */
	EX_TIMER_HOOKS,          /* on shutdown: BeforeTerminate hooks' share is over */
	EX_TIMER_SHUTDOWN,       /* the agent lost: the whole shutdown grace is over */
	EX_TIMER_COUNT
};

/* Exit codes (documented in docs/troubleshooting.md). */
enum {
	EX_EXIT_OK = 0,         /* the terminal update was acknowledged */
	EX_EXIT_CONFIG = 1,     /* bad configuration */
	EX_EXIT_NO_ACK = 2,     /* the terminal update was never acknowledged */
	EX_EXIT_AGENT_LOST = 3, /* the agent went away for good; the task was killed */
	EX_EXIT_INTERNAL = 4,   /* the executor could not work (out of memory, ...) */
};

struct ex_effects {
	void *ctx;
	int64_t (*now)(void *ctx);      /* monotonic nanoseconds */
	double (*wallclock)(void *ctx); /* seconds since the epoch */
	void (*uuid)(void *ctx, uint8_t out[16]);
	/* POST an UPDATE now if subscribed (the ledger already holds it). */
	void (*post_update)(void *ctx, const Mesos__V1__TaskStatus *status);
	/* Start the task's command with these extra "KEY=VALUE" entries. */
	int (*launch)(void *ctx, const Mesos__V1__TaskInfo *task, char *const *extra_env, char *err,
	              size_t errlen);
	void (*signal_tree)(void *ctx, int sig);
	bool (*tree_alive)(void *ctx);
	/* Arm (delay >= 0) or cancel (delay < 0) a timer. */
	void (*timer)(void *ctx, enum ex_timer t, int64_t delay_ns);
	void (*run_hooks)(void *ctx, enum hook_event ev, const Mesos__V1__TaskInfo *task);
	void (*health)(void *ctx, bool start, const Mesos__V1__TaskInfo *task);
	void (*exit)(void *ctx, int code);
};

enum ex_phase { EX_IDLE, EX_STARTING, EX_RUNNING, EX_STOPPING, EX_SIGNALLED, EX_DONE };

enum ex_cause {
	EX_CAUSE_NONE,
	EX_CAUSE_EXITED,         /* the command ended by itself */
	EX_CAUSE_KILLED,         /* KILL event */
	EX_CAUSE_SHUTDOWN,       /* SHUTDOWN event */
	EX_CAUSE_SIGTERM,        /* the executor was asked to stop */
	EX_CAUSE_HEALTH,         /* too many failed health checks */
	EX_CAUSE_MAX_COMPLETION, /* max_completion_time reached */
	EX_CAUSE_HOOK_FAILED,
	EX_CAUSE_LAUNCH_FAILED,
	EX_CAUSE_AGENT_LOST, /* no agent: not checkpointing, or recovery timed out */
	EX_CAUSE_EXPIRED,    /* certificate expired (validate-certificate) */
};

struct executor {
	const struct ex_config *cfg;
	struct ex_effects fx;
	struct ledger ledger;

	Mesos__V1__FrameworkInfo *framework; /* owned, from SUBSCRIBED */
	char *agent_id, *agent_hostname;     /* owned, from SUBSCRIBED */
	bool subscribed;
	bool recovery_armed;
	bool answered; /* the agent answered the last SUBSCRIBE without subscribing us */

	Mesos__V1__TaskInfo *task; /* owned, from LAUNCH */
	enum ex_phase phase;
	enum ex_cause cause;
	char cause_message[512]; /* hook or launch failure, expiry */
	int64_t grace_ns;        /* for the coming SIGTERM */
	int64_t kill_started_ns, deadline_ns;
	/* On shutdown (SHUTDOWN, the agent lost): SIGKILL goes out by then
	 * (monotonic ns), so that the terminal update beats the agent's
	 * MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD; -1 otherwise. */
	int64_t shutdown_kill_by_ns;
	int64_t hooks_budget_ns; /* the hooks' share of it */
	bool hooks_cut;          /* BeforeTerminate hooks were cut short and still run */
	bool main_exited, tree_gone;
	int main_status; /* wait status */
	bool health_kill_healthy_false;

	char **hook_env; /* owned "KEY=VALUE" from BeforeTaskStart hooks */
	size_t nhook_env;
	bool hook_busy;
	enum hook_event hook_queue[8];
	size_t nqueue;
	bool healthy_fired; /* AfterTaskHealthy ran */
	bool has_health;

	Mesos__V1__TaskStatus *last_status;     /* owned copy of the last status sent */
	Mesos__V1__CheckStatusInfo *last_check; /* owned */

	char **killed_ids; /* KILLs for tasks never launched (owned) */
	size_t nkilled;
	bool terminal_sent;
	int exit_code_pending; /* -1, or the code to exit with once the tree is gone */
	bool exited;
};

/* Borrow cfg and fx for the executor's lifetime. */
void ex_init(struct executor *ex, const struct ex_config *cfg, const struct ex_effects *fx);
void ex_free(struct executor *ex);

/* --- inputs */
/* Takes ownership of the event. */
void ex_event(struct executor *ex, mesos_event *ev);
/* The agent answered a SUBSCRIBE (any status, 503 included): it can be
 * reached. With checkpointing the recovery timer stops, as the executor
 * library cancels it once it is connected again: an agent that answers 503
 * while it recovers is retried (with backoff) for as long as it takes, and
 * the timer starts afresh only once the agent cannot be reached at all. */
void ex_connected(struct executor *ex);
/* The event stream broke (EOF, error, bad record), or a SUBSCRIBE failed
 * (refused after ex_connected, or no answer). */
void ex_disconnected(struct executor *ex);
void ex_task_exited(struct executor *ex, int wait_status);
/* After the task's main process is gone: no descendant is left. */
void ex_tree_gone(struct executor *ex);
void ex_health(struct executor *ex, enum health_verdict v, const char *message);
void ex_check(struct executor *ex, const Mesos__V1__CheckStatusInfo *status);
/* A hook chain finished: error is NULL on success; env (owned, may be NULL)
 * holds BeforeTaskStart additions. */
void ex_hooks_done(struct executor *ex, enum hook_event ev, const char *error, char **env,
                   size_t nenv);
void ex_timer_fired(struct executor *ex, enum ex_timer t);
/* The executor received SIGTERM/SIGINT. */
void ex_sigterm(struct executor *ex);
/* Kill the task with healthy=false and this message (certificate expiry). */
void ex_expire(struct executor *ex, const char *message);

/* The SUBSCRIBE call for the next (re)connection, with every
 * unacknowledged update and, if none of its updates was acknowledged, the
 * task. Encoded in `enc`; malloc'd; caller frees. */
uint8_t *ex_subscribe_body(struct executor *ex, enum mesos_encoding enc, size_t *len);
/* An UPDATE call for a status; malloc'd; caller frees. */
uint8_t *ex_update_body(const struct executor *ex, const Mesos__V1__TaskStatus *st,
                        enum mesos_encoding enc, size_t *len);

/* Pure helpers, exposed for tests. */
const char *ex_phase_name(enum ex_phase p);
/* The words that name a cause in "terminating the task (<words>), ..." (each
 * cause its own; docs/troubleshooting.md lists them). A static string. */
const char *ex_cause_text(enum ex_cause c);
/* "Command exited with status 3" / "Command terminated with signal Killed". */
void ex_describe_exit(int wait_status, char *buf, size_t len);
/* The command a TaskInfo runs: TaskInfo.command, or ExecutorInfo.command with
 * Marathon's "chmod ug+rx '<x>' && exec '<x>' " prefix removed. Returns a
 * CommandInfo borrowed from the task, and in *value the command line to
 * run (malloc'd when the prefix was stripped, else borrowed; see *owned). */
const Mesos__V1__CommandInfo *ex_task_command(const Mesos__V1__TaskInfo *task, const char **value,
                                              bool *owned);

#endif
