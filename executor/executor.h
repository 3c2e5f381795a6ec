/* The executor's state machine: the pure core. Inputs: agent events, the
 * connection coming and going, the outcome of a launch, the task's exit, its
 * tree being gone, health and check results, hook chains finishing, timers
 * firing, the executor's own SIGTERM. Outputs: effects, queued while an input
 * is handled and taken afterwards with ex_next_effect (post an UPDATE, launch,
 * signal the tree, arm a timer, run hooks, start health checks, stop
 * reconnecting, exit). The core does no I/O and no effect calls back into it:
 * the shell (runtime.c) carries each effect out once the input has returned,
 * and an effect that has an outcome (a launch, a hook chain) comes back later
 * as an input of its own. Time and random bytes are read through struct
 * ex_source, so tests drive every path with a fake clock.
 *
 * The life of the task:
 *   IDLE --LAUNCH--> STARTING (TASK_STARTING, BeforeTaskStart hooks)
 *        --launched--> RUNNING (TASK_RUNNING, AfterTaskStart hooks, health)
 *        --exit | kill | shutdown | health | deadline | certificate | agent lost-->
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
 * KILL has no agent deadline: the hooks' own time, then the kill policy.
 * docs/architecture.md draws the core and the shell around it. */
#ifndef EXECUTOR_EXECUTOR_H
#define EXECUTOR_EXECUTOR_H

#include "executor/config.h"
#include "executor/health_rules.h"
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
	EX_TIMER_CERT,           /* the task's certificate expires (validate-certificate) */
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

/* The message of the TASK_RUNNING healthy=false update and of the terminal
 * update when the certificate expires (the Go executor's words). */
#define EX_CERT_EXPIRED_MESSAGE "Certificate expired"

/* What the core reads from the world. Reading has no effect and never calls
 * back into the core. */
struct ex_source {
	void *ctx;
	int64_t (*now)(void *ctx);                /* monotonic nanoseconds */
	double (*wallclock)(void *ctx);           /* seconds since the epoch */
	void (*uuid)(void *ctx, uint8_t out[16]); /* a random version 4 UUID */
};

enum ex_effect_kind {
	EX_FX_UPDATE,            /* post this UPDATE call to the agent */
	EX_FX_LAUNCH,            /* start the task's command, then report ex_launched or
	                          * ex_launch_failed before any other input */
	EX_FX_SIGNAL,            /* signal the task's whole tree */
	EX_FX_TIMER,             /* arm (delay_ns >= 0) or cancel (delay_ns < 0) a timer;
	                          * ex_timer_fired when it fires */
	EX_FX_HOOKS,             /* run the hook chain of an event; ex_hooks_done when it ends */
	EX_FX_HEALTH,            /* start (or stop) the task's health checks and checks */
	EX_FX_STOP_RECONNECTING, /* the agent will not take the executor back */
	EX_FX_EXIT,              /* exit with this code; nothing follows */
};

/* One effect. Only the fields of its kind are set. */
struct ex_effect {
	enum ex_effect_kind kind;
	uint8_t *body; /* UPDATE: the encoded call (cfg->encoding), owned */
	size_t len;    /* UPDATE */
	/* LAUNCH, HOOKS, HEALTH: borrowed from the core, valid until ex_free */
	const Mesos__V1__TaskInfo *task;
	char **env;          /* LAUNCH: "KEY=VALUE" from BeforeTaskStart hooks, NULL-ended, owned */
	int sig;             /* SIGNAL */
	enum ex_timer timer; /* TIMER */
	int64_t delay_ns;    /* TIMER */
	enum hook_event event; /* HOOKS */
	bool start;            /* HEALTH: start, or stop */
	int code;              /* EXIT */
};

/* Frees what an effect owns (set body or env to NULL to keep them). */
void ex_effect_release(struct ex_effect *e);

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

struct executor;

/* cfg and src are borrowed for the executor's lifetime. NULL when memory
 * runs out. */
struct executor *ex_new(const struct ex_config *cfg, const struct ex_source *src);
void ex_free(struct executor *ex);

/* Takes the oldest queued effect into *out (the caller then owns what it
 * owns: ex_effect_release). False when none is left. */
bool ex_next_effect(struct executor *ex, struct ex_effect *out);

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
/* The outcome of EX_FX_LAUNCH: the command runs (cert_delay_ns >= 0: its
 * certificate expires then, from now), or it could not start (`error`). */
void ex_launched(struct executor *ex, int64_t cert_delay_ns);
void ex_launch_failed(struct executor *ex, const char *error);
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

/* --- queries (no effect) */
enum ex_phase ex_phase(const struct executor *ex);
/* The launched task, or NULL (borrowed). */
const Mesos__V1__TaskInfo *ex_task(const struct executor *ex);
/* From the last SUBSCRIBED, or NULL (borrowed until the next SUBSCRIBED). */
const char *ex_agent_id(const struct executor *ex);
const char *ex_agent_hostname(const struct executor *ex);
/* Whether the task's main process has exited and the core waits for the
 * rest of its tree to be gone (ex_tree_gone). */
bool ex_awaits_tree(const struct executor *ex);
/* Whether the task's terminal update went out. */
bool ex_terminal_sent(const struct executor *ex);
/* The updates waiting for an acknowledgement, oldest first (borrowed). */
size_t ex_unacknowledged(const struct executor *ex);
const Mesos__V1__TaskStatus *ex_unacknowledged_update(const struct executor *ex, size_t i);
struct ex_update_counts {
	unsigned long sent, acknowledged, resent;
};
void ex_update_counts(const struct executor *ex, struct ex_update_counts *out);

/* The SUBSCRIBE call for the next (re)connection, with every
 * unacknowledged update and, if none of its updates was acknowledged, the
 * task. Encoded in `enc`; malloc'd; caller frees. */
uint8_t *ex_subscribe_body(const struct executor *ex, enum mesos_encoding enc, size_t *len);
/* An UPDATE call for a status; malloc'd; caller frees. */
uint8_t *ex_update_body(const struct executor *ex, const Mesos__V1__TaskStatus *st,
                        enum mesos_encoding enc, size_t *len);

/* Pure helpers, exposed for tests. */
/* The words that name a cause in "terminating the task (<words>), ..." (each
 * cause its own; docs/troubleshooting.md lists them). A static string. */
const char *ex_cause_text(enum ex_cause c);
/* "Command exited with status 3" / "Command terminated with signal Killed". */
void ex_describe_exit(int wait_status, char *buf, size_t len);

#endif
