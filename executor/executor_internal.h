/* Inside the state machine (executor.h): its state, and what its files share.
 *   executor.c         the inputs' entry points, the effect queue, queries
 *   executor_task.c    the task's life: launch, hooks, health, termination
 *   executor_agent.c   the agent's side: subscriptions, acknowledgements,
 *                      resends, losing the agent, the SUBSCRIBE and UPDATE calls
 *   executor_status.c  the status updates: built, logged, kept in the ledger
 * Only these files include this header. */
#ifndef EXECUTOR_EXECUTOR_INTERNAL_H
#define EXECUTOR_EXECUTOR_INTERNAL_H

#include "executor/executor.h"
#include "executor/ledger.h"

#define NS_PER_SEC 1000000000LL

struct executor {
	const struct ex_config *cfg;
	const struct ex_source *src;
	struct ledger ledger;

	/* Effects not taken yet: fx[fx_head .. fx_n) (owned). */
	struct ex_effect *fx;
	size_t fx_head, fx_n, fx_cap;

	Mesos__V1__FrameworkInfo *framework; /* owned, from SUBSCRIBED */
	char *agent_id, *agent_hostname;     /* owned, from SUBSCRIBED */
	bool subscribed;
	bool recovery_armed;
	bool answered; /* the agent answered the last SUBSCRIBE without subscribing us */

	Mesos__V1__TaskInfo *task; /* owned, from LAUNCH */
	enum ex_phase phase;
	enum ex_cause cause;
	bool launching;          /* EX_FX_LAUNCH queued, its outcome not reported yet */
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

/* ---- executor.c: reading the source, queueing effects */
int64_t ex_now(const struct executor *ex);
/* Queues an effect (taking what it owns). After EX_FX_EXIT nothing more is
 * queued: what would follow is released at once. */
void ex_push(struct executor *ex, const struct ex_effect *e);
void ex_timer(struct executor *ex, enum ex_timer t, int64_t delay_ns);
void ex_signal(struct executor *ex, int sig);
/* Cancels every timer and queues the exit, once. */
void ex_exit(struct executor *ex, int code);

/* ---- executor_status.c */
struct ex_status_spec {
	const char *task_id;
	int state;
	const char *message;
	int reason;  /* -1: none */
	int healthy; /* -1: unset */
};
const char *ex_task_id(const struct executor *ex);
/* A deep copy through the wire format: simple, and exact. */
ProtobufCMessage *ex_copy_msg(const ProtobufCMessage *m);
bool ex_same_msg(const ProtobufCMessage *a, const ProtobufCMessage *b);
/* A fresh update (new uuid, now), sent. */
void ex_send_new(struct executor *ex, const char *task_id, int state, const char *message,
                 int reason, int healthy);
/* A copy of the last status with a new uuid and timestamp, this reason and
 * no message (health and check updates), so that one never hides the other's
 * last result. NULL before any status or when memory runs out. */
Mesos__V1__TaskStatus *ex_status_again(struct executor *ex, int reason);
/* Logs it, keeps it in the ledger and queues its UPDATE. Takes ownership. */
void ex_send_status(struct executor *ex, Mesos__V1__TaskStatus *st);
/* The task's terminal update, from what ended it. */
void ex_send_terminal(struct executor *ex);

/* ---- executor_agent.c */
void ex_on_subscribed(struct executor *ex, Mesos__V1__Executor__Event__Subscribed *s);
void ex_on_ack(struct executor *ex, const Mesos__V1__Executor__Event__Acknowledged *a);
/* Arms (or cancels) EX_TIMER_RESEND for the next unacknowledged update due. */
void ex_arm_resend(struct executor *ex);
void ex_resend_due(struct executor *ex);
void ex_recovery_timeout(struct executor *ex);
void ex_ack_timeout(struct executor *ex);
/* Whether the framework declared this FrameworkInfo.Capability. */
bool ex_has_capability(const struct executor *ex, int cap);

/* ---- executor_task.c */
void ex_on_launch(struct executor *ex, Mesos__V1__TaskInfo *task);
void ex_on_launch_group(struct executor *ex, Mesos__V1__TaskGroupInfo *g);
void ex_on_kill(struct executor *ex, const Mesos__V1__Executor__Event__Kill *k);
void ex_on_shutdown(struct executor *ex);
/* The agent is gone for good: stop the task as on SHUTDOWN, then exit 3. */
void ex_agent_lost(struct executor *ex);
void ex_task_timer(struct executor *ex, enum ex_timer t);

#endif
