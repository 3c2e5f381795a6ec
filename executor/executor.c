/* The executor's state machine (see executor.h). Every function here runs on
 * the loop thread, takes an input, updates the state and asks the shell
 * (struct ex_effects) to act. */
#include "executor.h"

#include "common/duration.h"
#include "common/log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define NS_PER_SEC 1000000000LL
/* Of the agent's shutdown grace, kept for SIGKILL, reaping and the terminal
 * update (Mesos' command executor: MAX_REAP_INTERVAL + 1 s). */
#define SHUTDOWN_RESERVE_NS (2 * NS_PER_SEC)

static void pump_hooks(struct executor *ex);
static void finish(struct executor *ex);

const char *ex_phase_name(enum ex_phase p)
{
	static const char *n[] = {"idle", "starting", "running", "stopping", "signalled", "done"};
	return p <= EX_DONE ? n[p] : "?";
}

const char *ex_cause_text(enum ex_cause c)
{
	switch (c) {
	case EX_CAUSE_NONE:
		return "no cause";
	case EX_CAUSE_EXITED:
		return "the command ended";
	case EX_CAUSE_KILLED:
		return "KILL from the agent";
	case EX_CAUSE_SHUTDOWN:
		return "SHUTDOWN from the agent";
	case EX_CAUSE_SIGTERM:
		return "the executor received SIGTERM";
	case EX_CAUSE_HEALTH:
		return "health checks failed";
	case EX_CAUSE_MAX_COMPLETION:
		return "max_completion_time reached";
	case EX_CAUSE_HOOK_FAILED:
		return "a hook failed";
	case EX_CAUSE_LAUNCH_FAILED:
		return "the command could not start";
	case EX_CAUSE_AGENT_LOST:
		return "agent lost";
	case EX_CAUSE_EXPIRED:
		return "the certificate expires";
	}
	return "?";
}

void ex_init(struct executor *ex, const struct ex_config *cfg, const struct ex_effects *fx)
{
	memset(ex, 0, sizeof(*ex));
	ex->cfg = cfg;
	ex->fx = *fx;
	ex->exit_code_pending = -1;
	ex->shutdown_kill_by_ns = -1;
	ledger_init(&ex->ledger, (size_t)cfg->update_buffer);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ex_free(struct executor *ex)
{
	ledger_free(&ex->ledger);
	if (ex->framework)
		protobuf_c_message_free_unpacked(&ex->framework->base, NULL);
	if (ex->task)
		protobuf_c_message_free_unpacked(&ex->task->base, NULL);
	if (ex->last_status)
		protobuf_c_message_free_unpacked(&ex->last_status->base, NULL);
	if (ex->last_check)
		protobuf_c_message_free_unpacked(&ex->last_check->base, NULL);
	free(ex->agent_id);
	free(ex->agent_hostname);
	free_strv(ex->hook_env, ex->nhook_env);
	free_strv(ex->killed_ids, ex->nkilled);
	memset(ex, 0, sizeof(*ex));
}

/* ------------------------------------------------------------ helpers */

static int64_t now(struct executor *ex)
{
	return ex->fx.now(ex->fx.ctx);
}

static void timer(struct executor *ex, enum ex_timer t, int64_t delay_ns)
{
	ex->fx.timer(ex->fx.ctx, t, delay_ns);
}

/* A deep copy through the wire format: simple, and exact. */
static ProtobufCMessage *copy_msg(const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return NULL;
	protobuf_c_message_pack(m, buf);
	ProtobufCMessage *c = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
	free(buf);
	return c;
}

static bool same_msg(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t na = protobuf_c_message_get_packed_size(a);
	size_t nb = protobuf_c_message_get_packed_size(b);
	if (na != nb)
		return false;
	uint8_t *x = malloc(na + 1), *y = malloc(nb + 1);
	bool same =
	    x && y &&
	    (protobuf_c_message_pack(a, x), protobuf_c_message_pack(b, y), memcmp(x, y, na) == 0);
	free(x);
	free(y);
	return same;
}

static bool has_capability(const struct executor *ex, int cap)
{
	if (!ex->framework)
		return false;
	for (size_t i = 0; i < ex->framework->n_capabilities; i++)
		if (ex->framework->capabilities[i]->has_type &&
		    (int)ex->framework->capabilities[i]->type == cap)
			return true;
	return false;
}

static const char *task_id(const struct executor *ex)
{
	return ex->task ? ex->task->task_id->value : "";
}

static int64_t task_grace(const struct executor *ex)
{
	const Mesos__V1__KillPolicy *kp = ex->task ? ex->task->kill_policy : NULL;
	if (kp && kp->grace_period && kp->grace_period->nanoseconds >= 0)
		return kp->grace_period->nanoseconds;
	return ex->cfg->kill_grace_ns;
}

void ex_describe_exit(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "Command exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "Command terminated with signal %s%s", strsignal(WTERMSIG(st)),
		         WCOREDUMP(st) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "Command ended with wait status %d", st);
}

/* ------------------------------------------------------------ updates */

struct status_spec {
	const char *task_id;
	int state;
	const char *message;
	int reason;  /* -1: none */
	int healthy; /* -1: unset */
};

/* An empty CheckStatusInfo of the task's check type, as Mesos attaches to
 * every status it builds when the task defines a check. Only a valid check
 * gets one: the agent refuses every UPDATE whose CheckStatusInfo has type
 * UNKNOWN, and the checker skips invalid checks anyway. */
static void empty_check(const Mesos__V1__CheckInfo *ci, Mesos__V1__CheckStatusInfo *cs,
                        Mesos__V1__CheckStatusInfo__Command *cmd,
                        Mesos__V1__CheckStatusInfo__Http *http,
                        Mesos__V1__CheckStatusInfo__Tcp *tcp)
{
	cs->has_type = 1;
	cs->type = ci->type;
	if (ci->type == MESOS__V1__CHECK_INFO__TYPE__COMMAND)
		cs->command = cmd;
	else if (ci->type == MESOS__V1__CHECK_INFO__TYPE__HTTP)
		cs->http = http;
	else if (ci->type == MESOS__V1__CHECK_INFO__TYPE__TCP)
		cs->tcp = tcp;
}

static Mesos__V1__TaskStatus *status_build(struct executor *ex, const struct status_spec *s)
{
	Mesos__V1__TaskStatus st = MESOS__V1__TASK_STATUS__INIT;
	Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
	Mesos__V1__ExecutorID eid = MESOS__V1__EXECUTOR_ID__INIT;
	Mesos__V1__CheckStatusInfo cs = MESOS__V1__CHECK_STATUS_INFO__INIT;
	Mesos__V1__CheckStatusInfo__Command cmd = MESOS__V1__CHECK_STATUS_INFO__COMMAND__INIT;
	Mesos__V1__CheckStatusInfo__Http http = MESOS__V1__CHECK_STATUS_INFO__HTTP__INIT;
	Mesos__V1__CheckStatusInfo__Tcp tcp = MESOS__V1__CHECK_STATUS_INFO__TCP__INIT;
	uint8_t uuid[16];

	tid.value = (char *)s->task_id;
	st.task_id = &tid;
	st.state = s->state;
	eid.value = ex->cfg->executor_id;
	st.executor_id = &eid;
	st.has_source = 1;
	st.source = MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR;
	ex->fx.uuid(ex->fx.ctx, uuid);
	st.has_uuid = 1;
	st.uuid.data = uuid;
	st.uuid.len = 16;
	st.has_timestamp = 1;
	st.timestamp = ex->fx.wallclock(ex->fx.ctx);
	st.message = (char *)s->message;
	if (s->reason >= 0) {
		st.has_reason = 1;
		st.reason = s->reason;
	}
	if (s->healthy >= 0) {
		st.has_healthy = 1;
		st.healthy = s->healthy;
	}
	bool ours = ex->task && strcmp(s->task_id, task_id(ex)) == 0;
	if (ours && ex->last_check)
		st.check_status = ex->last_check;
	else if (ours && ex->task->check && check_validate(ex->task->check, NULL, 0) == 0)
		empty_check(ex->task->check, &cs, &cmd, &http, &tcp), st.check_status = &cs;
	return (Mesos__V1__TaskStatus *)copy_msg(&st.base);
}

static void arm_resend(struct executor *ex)
{
	int64_t next = ledger_next_due(&ex->ledger);
	if (!ex->subscribed || next < 0) {
		timer(ex, EX_TIMER_RESEND, -1);
		return;
	}
	int64_t d = next - now(ex);
	timer(ex, EX_TIMER_RESEND, d < 0 ? 0 : d);
}

/* Takes ownership of st. */
static void send_status(struct executor *ex, Mesos__V1__TaskStatus *st)
{
	if (!st) {
		log_error("out of memory building a status update");
		return;
	}
	char uuid[37] = "";
	if (st->uuid.len == 16) {
		static const char hex[] = "0123456789abcdef";
		for (int i = 0, k = 0; i < 16; i++) {
			if (i == 4 || i == 6 || i == 8 || i == 10)
				uuid[k++] = '-';
			uuid[k++] = hex[st->uuid.data[i] >> 4];
			uuid[k++] = hex[st->uuid.data[i] & 15];
		}
	}
	log_fields(LOG_INFO, "status update", "state", mesos_task_state_name(st->state), "uuid",
	           uuid, "healthy", st->has_healthy ? (st->healthy ? "true" : "false") : NULL,
	           "reason", st->has_reason ? mesos_reason_name(st->reason) : NULL, "message",
	           st->message, "for_task", st->task_id->value, NULL);
	if (ex->task && strcmp(st->task_id->value, task_id(ex)) == 0) {
		if (ex->last_status)
			protobuf_c_message_free_unpacked(&ex->last_status->base, NULL);
		ex->last_status = (Mesos__V1__TaskStatus *)copy_msg(&st->base);
	}
	if (ledger_add(&ex->ledger, st, now(ex)) < 0) {
		log_error("%zu updates are waiting for acknowledgement "
		          "(ALLEGRO_EXECUTOR_STATE_UPDATE_BUFFER_SIZE): dropping this %s update",
		          ex->ledger.n, mesos_task_state_name(st->state));
		protobuf_c_message_free_unpacked(&st->base, NULL);
		return;
	}
	ex->fx.post_update(ex->fx.ctx, st);
	arm_resend(ex);
}

static void send_new(struct executor *ex, const char *tid, int state, const char *message,
                     int reason, int healthy)
{
	struct status_spec s = {tid, state, message, reason, healthy};
	send_status(ex, status_build(ex, &s));
}

/* A copy of the last status with a new uuid and timestamp (health and check
 * updates), so that one never hides the other's last result. */
static Mesos__V1__TaskStatus *status_again(struct executor *ex, int reason)
{
	Mesos__V1__TaskStatus *st;
	uint8_t uuid[16];

	if (!ex->last_status)
		return NULL;
	st = (Mesos__V1__TaskStatus *)copy_msg(&ex->last_status->base);
	if (!st)
		return NULL;
	ex->fx.uuid(ex->fx.ctx, uuid);
	memcpy(st->uuid.data, uuid, 16);
	st->timestamp = ex->fx.wallclock(ex->fx.ctx);
	st->has_reason = 1;
	st->reason = reason;
	free(st->message);
	st->message = NULL;
	return st;
}

/* ------------------------------------------------------------ exit */

static void do_exit(struct executor *ex, int code)
{
	if (ex->exited)
		return;
	ex->exited = true;
	for (int t = 0; t < EX_TIMER_COUNT; t++)
		timer(ex, (enum ex_timer)t, -1);
	ex->fx.exit(ex->fx.ctx, code);
}

/* ------------------------------------------------------------ hooks */

static void queue_hook(struct executor *ex, enum hook_event ev)
{
	if (ex->nqueue < sizeof(ex->hook_queue) / sizeof(ex->hook_queue[0]))
		ex->hook_queue[ex->nqueue++] = ev;
	pump_hooks(ex);
}

static void pump_hooks(struct executor *ex)
{
	if (ex->hook_busy || !ex->nqueue || ex->exited)
		return;
	enum hook_event ev = ex->hook_queue[0];
	memmove(ex->hook_queue, ex->hook_queue + 1, --ex->nqueue * sizeof(ex->hook_queue[0]));
	ex->hook_busy = true;
	ex->fx.run_hooks(ex->fx.ctx, ev, ex->task);
}

/* Queued AfterTaskStart/AfterTaskHealthy hooks no longer make sense. */
static void drop_start_hooks(struct executor *ex)
{
	size_t k = 0;
	for (size_t i = 0; i < ex->nqueue; i++)
		if (ex->hook_queue[i] == HOOK_BEFORE_TERMINATE)
			ex->hook_queue[k++] = ex->hook_queue[i];
	ex->nqueue = k;
}

/* ------------------------------------------------------------ termination */

static bool kill_like(enum ex_cause c)
{
	return c == EX_CAUSE_KILLED || c == EX_CAUSE_SHUTDOWN || c == EX_CAUSE_SIGTERM ||
	       c == EX_CAUSE_HEALTH || c == EX_CAUSE_AGENT_LOST || c == EX_CAUSE_EXPIRED;
}

/* A later kill may only bring the SIGKILL deadline closer. */
static void shorten_grace(struct executor *ex, int64_t grace)
{
	if (ex->phase == EX_STOPPING && grace < ex->grace_ns) {
		ex->grace_ns = grace;
	} else if (ex->phase == EX_SIGNALLED && ex->deadline_ns > 0) {
		int64_t d = ex->kill_started_ns + grace;
		if (d < ex->deadline_ns) {
			ex->deadline_ns = d;
			int64_t left = d - now(ex);
			timer(ex, EX_TIMER_GRACE, left < 0 ? 0 : left);
			log_info("kill deadline brought forward to %.3fs from now",
			         (double)(left < 0 ? 0 : left) / NS_PER_SEC);
		}
	}
}

static void begin_termination(struct executor *ex, enum ex_cause cause, int64_t grace,
                              const char *message)
{
	if (ex->phase >= EX_STOPPING) {
		shorten_grace(ex, grace);
		return;
	}
	enum ex_phase prev = ex->phase;
	char g[32];
	duration_format_mesos(grace, g, sizeof(g));
	ex->cause = cause;
	ex->grace_ns = grace;
	if (message)
		snprintf(ex->cause_message, sizeof(ex->cause_message), "%s", message);
	if (message)
		log_info("terminating the task (%s: %s), grace %s", ex_cause_text(cause), message,
		         g);
	else
		log_info("terminating the task (%s), grace %s", ex_cause_text(cause), g);
	if (prev == EX_RUNNING)
		ex->fx.health(ex->fx.ctx, false, ex->task);
	timer(ex, EX_TIMER_MAX_COMPLETION, -1);
	if (prev == EX_STARTING) { /* the command never started */
		ex->main_exited = true;
		ex->tree_gone = true;
	}
	ex->phase = EX_STOPPING;
	if (kill_like(cause) && prev == EX_RUNNING &&
	    has_capability(ex, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__TASK_KILLING_STATE))
		send_new(ex, task_id(ex), MESOS__V1__TASK_STATE__TASK_KILLING, NULL, -1, -1);
	drop_start_hooks(ex);
	queue_hook(ex, HOOK_BEFORE_TERMINATE);
}

/* BeforeTerminate hooks are done (or cut short): now the signals. */
static void enter_signalled(struct executor *ex)
{
	ex->phase = EX_SIGNALLED;
	timer(ex, EX_TIMER_HOOKS, -1);
	if (ex->main_exited && ex->tree_gone) {
		finish(ex);
		return;
	}
	ex->kill_started_ns = now(ex);
	if (ex->shutdown_kill_by_ns >= 0) { /* SIGKILL by the shutdown's deadline */
		int64_t left = ex->shutdown_kill_by_ns - ex->kill_started_ns;
		left = left < 0 ? 0 : left;
		if (left < ex->grace_ns)
			ex->grace_ns = left;
	}
	ex->deadline_ns = ex->kill_started_ns + ex->grace_ns;
	ex->fx.signal_tree(ex->fx.ctx, SIGTERM);
	timer(ex, EX_TIMER_GRACE, ex->grace_ns);
}

/* SHUTDOWN, or the agent lost: stop the task within the agent's shutdown
 * grace, hooks or not (the budget is in executor.h). */
static void begin_shutdown(struct executor *ex, enum ex_cause cause)
{
	int64_t t0 = now(ex);
	int64_t w = ex->cfg->shutdown_grace_ns - SHUTDOWN_RESERVE_NS;
	w = w < 0 ? 0 : w;
	int64_t task_share = task_grace(ex) < w / 2 ? task_grace(ex) : w / 2;
	int64_t hooks = w - task_share;
	if (ex->shutdown_kill_by_ns >= 0 && ex->shutdown_kill_by_ns <= t0 + w)
		return; /* an earlier shutdown's budget stands */
	ex->shutdown_kill_by_ns = t0 + w;
	if (ex->phase < EX_STOPPING) {
		begin_termination(ex, cause, w, NULL);
	} else if (ex->phase == EX_SIGNALLED) { /* a kill under way: SIGKILL by then */
		shorten_grace(ex, ex->shutdown_kill_by_ns - ex->kill_started_ns);
		return;
	}
	if (ex->phase != EX_STOPPING)
		return; /* nothing to wait for (the command never started, ...) */
	ex->hooks_budget_ns = hooks;
	char h[32], k[32];
	duration_format_mesos(hooks, h, sizeof(h));
	duration_format_mesos(w, k, sizeof(k));
	log_info("shutdown: BeforeTerminate hooks get %s at most, SIGKILL by %s from now, so that "
	         "the terminal update goes out within MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
	         h, k);
	timer(ex, EX_TIMER_HOOKS, hooks);
}

static void terminal_fields(struct executor *ex, struct status_spec *s, char *buf, size_t len)
{
	s->task_id = task_id(ex);
	s->reason = -1;
	s->healthy = -1;
	s->message = buf;
	if (ex->cause_message[0])
		snprintf(buf, len, "%s", ex->cause_message);
	else if (ex->main_status >= 0 && ex->main_exited)
		ex_describe_exit(ex->main_status, buf, len);
	switch (ex->cause) {
	case EX_CAUSE_EXITED:
		s->state = WIFEXITED(ex->main_status) && WEXITSTATUS(ex->main_status) == 0
		               ? MESOS__V1__TASK_STATE__TASK_FINISHED
		               : MESOS__V1__TASK_STATE__TASK_FAILED;
		break;
	case EX_CAUSE_MAX_COMPLETION:
		s->state = MESOS__V1__TASK_STATE__TASK_FAILED;
		s->reason = MESOS__V1__TASK_STATUS__REASON__REASON_MAX_COMPLETION_TIME_REACHED;
		snprintf(buf, len, "Task exceeded its max_completion_time");
		break;
	case EX_CAUSE_HOOK_FAILED:
		s->state = MESOS__V1__TASK_STATE__TASK_FAILED;
		break;
	case EX_CAUSE_LAUNCH_FAILED:
		s->state = MESOS__V1__TASK_STATE__TASK_FAILED;
		s->reason = MESOS__V1__TASK_STATUS__REASON__REASON_COMMAND_EXECUTOR_FAILED;
		break;
	case EX_CAUSE_HEALTH:
	case EX_CAUSE_EXPIRED:
		s->state = MESOS__V1__TASK_STATE__TASK_KILLED;
		s->healthy = 0;
		break;
	default:
		s->state = MESOS__V1__TASK_STATE__TASK_KILLED;
		break;
	}
}

static void finish(struct executor *ex)
{
	if (ex->phase != EX_SIGNALLED || !ex->main_exited || !ex->tree_gone)
		return;
	char msg[600] = "";
	struct status_spec s;

	timer(ex, EX_TIMER_GRACE, -1);
	terminal_fields(ex, &s, msg, sizeof(msg));
	ex->phase = EX_DONE;
	send_status(ex, status_build(ex, &s));
	ex->terminal_sent = true;
	/* The agent is gone for good (no checkpointing, or the recovery timeout
	 * passed), whatever stopped the task. */
	if (!ex->subscribed && (ex->cause == EX_CAUSE_AGENT_LOST || ex->exit_code_pending >= 0)) {
		log_error("exiting without an acknowledgement: the agent is gone");
		do_exit(ex, EX_EXIT_AGENT_LOST);
	} else if (ex->subscribed) {
		timer(ex, EX_TIMER_ACK, ex->cfg->update_wait_ns);
	}
}

/* ------------------------------------------------------------ the task */

static void start_task(struct executor *ex)
{
	char err[512] = "";
	char **env = calloc(ex->nhook_env + 1, sizeof(char *));

	if (env)
		for (size_t i = 0; i < ex->nhook_env; i++)
			env[i] = ex->hook_env[i];
	int rc = env ? ex->fx.launch(ex->fx.ctx, ex->task, env, err, sizeof(err)) : -1;
	free(env);
	if (rc < 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "Failed to launch the command: %s",
		         err[0] ? err : "out of memory");
		log_error("%s", msg);
		begin_termination(ex, EX_CAUSE_LAUNCH_FAILED, task_grace(ex), msg);
		return;
	}
	ex->phase = EX_RUNNING;
	send_new(ex, task_id(ex), MESOS__V1__TASK_STATE__TASK_RUNNING, NULL, -1, -1);
	if (ex->task->health_check || ex->task->check)
		ex->fx.health(ex->fx.ctx, true, ex->task);
	const Mesos__V1__DurationInfo *mct = ex->task->max_completion_time;
	if (mct && mct->nanoseconds > 0)
		timer(ex, EX_TIMER_MAX_COMPLETION, mct->nanoseconds);
	queue_hook(ex, HOOK_AFTER_TASK_START);
	if (!ex->has_health) { /* counts as healthy as soon as it runs */
		ex->healthy_fired = true;
		queue_hook(ex, HOOK_AFTER_TASK_HEALTHY);
	}
}

static bool was_killed_before_launch(const struct executor *ex, const char *id)
{
	for (size_t i = 0; i < ex->nkilled; i++)
		if (strcmp(ex->killed_ids[i], id) == 0)
			return true;
	return false;
}

static void remember_unlaunched(struct executor *ex, const char *id)
{
	char **n = realloc(ex->killed_ids, (ex->nkilled + 1) * sizeof(*n));
	if (!n)
		return;
	ex->killed_ids = n;
	if ((n[ex->nkilled] = strdup(id)))
		ex->nkilled++;
}

/* TASK_FAILED for a task this executor will not run, once: a task that
 * already got its terminal update (refused, or killed before its launch)
 * gets no second one. */
static void refuse(struct executor *ex, const char *id, const char *why)
{
	if (was_killed_before_launch(ex, id)) {
		log_warn("task %s was already refused or killed: LAUNCH ignored", id);
		return;
	}
	remember_unlaunched(ex, id);
	send_new(ex, id, MESOS__V1__TASK_STATE__TASK_FAILED, why, -1, -1);
}

static void on_launch(struct executor *ex, Mesos__V1__TaskInfo *task)
{
	const char *id = task->task_id->value;

	if (ex->task) {
		if (strcmp(id, task_id(ex)) == 0)
			log_warn("duplicate LAUNCH for task %s ignored", id);
		else
			refuse(ex, id,
			       "Attempted to run multiple tasks using a \"command\" executor");
		protobuf_c_message_free_unpacked(&task->base, NULL);
		return;
	}
	if (was_killed_before_launch(ex, id)) {
		log_warn("LAUNCH for task %s, which was already killed: not starting it", id);
		protobuf_c_message_free_unpacked(&task->base, NULL);
		return;
	}
	if (ex->exit_code_pending >= 0 || ex->exited) {
		refuse(ex, id, "The executor is shutting down");
		protobuf_c_message_free_unpacked(&task->base, NULL);
		return;
	}
	ex->task = task;
	ex->phase = EX_STARTING;
	ex->has_health = health_has_check(task);
	log_set_context("task_id", id);
	log_info("launching task %s", id);
	send_new(ex, id, MESOS__V1__TASK_STATE__TASK_STARTING, NULL, -1, -1);
	queue_hook(ex, HOOK_BEFORE_TASK_START);
}

static void on_launch_group(struct executor *ex, Mesos__V1__TaskGroupInfo *g)
{
	log_error("LAUNCH_GROUP is not supported: this executor runs one command task");
	for (size_t i = 0; g && i < g->n_tasks; i++) {
		const char *id = g->tasks[i]->task_id->value;
		if (ex->task && strcmp(id, task_id(ex)) == 0)
			log_warn("LAUNCH_GROUP names the running task %s: ignored for it", id);
		else
			refuse(ex, id, "Task groups are not supported by this executor");
	}
	if (!ex->task)
		timer(ex, EX_TIMER_ACK, ex->cfg->update_wait_ns);
}

static void on_kill(struct executor *ex, const Mesos__V1__Executor__Event__Kill *k)
{
	const char *id = k->task_id->value;

	if (!ex->task) {
		if (was_killed_before_launch(ex, id))
			return;
		log_warn("KILL for task %s before it was launched", id);
		remember_unlaunched(ex, id);
		send_new(ex, id, MESOS__V1__TASK_STATE__TASK_KILLED,
		         "Task killed before it was launched",
		         MESOS__V1__TASK_STATUS__REASON__REASON_TASK_KILLED_DURING_LAUNCH, -1);
		timer(ex, EX_TIMER_ACK, ex->cfg->update_wait_ns);
		return;
	}
	if (strcmp(id, task_id(ex)) != 0) {
		log_warn("KILL for unknown task %s ignored", id);
		return;
	}
	if (ex->phase == EX_DONE) {
		log_info("KILL for task %s, which has already terminated", id);
		return;
	}
	int64_t grace = task_grace(ex);
	if (k->kill_policy && k->kill_policy->grace_period &&
	    k->kill_policy->grace_period->nanoseconds >= 0)
		grace = k->kill_policy->grace_period->nanoseconds;
	begin_termination(ex, EX_CAUSE_KILLED, grace, NULL);
}

/* True when nothing is left to do but exit: no task, and every update for
 * tasks we never ran has been acknowledged. */
static bool only_unlaunched_left(const struct executor *ex)
{
	return !ex->task && ex->ledger.n == 0;
}

static void on_ack(struct executor *ex, const Mesos__V1__Executor__Event__Acknowledged *a)
{
	int64_t state;
	bool task_acked = ex->ledger.task_acked;
	if (ledger_ack(&ex->ledger, &a->uuid, a->task_id->value, &state) < 0) {
		log_warn("acknowledgement of an unknown update for task %s ignored",
		         a->task_id->value);
		return;
	}
	/* Only an update of the launched task acknowledges that task (a refused
	 * second LAUNCH or a KILL before LAUNCH is another task). */
	if (!ex->task || strcmp(a->task_id->value, task_id(ex)) != 0)
		ex->ledger.task_acked = task_acked;
	log_debug("%s update acknowledged", mesos_task_state_name((int)state));
	if (mesos_task_state_terminal((int)state)) {
		if (ex->task && strcmp(a->task_id->value, task_id(ex)) == 0 &&
		    ex->phase == EX_DONE) {
			log_info("terminal update acknowledged: exiting");
			do_exit(ex,
			        ex->exit_code_pending >= 0 ? ex->exit_code_pending : EX_EXIT_OK);
			return;
		}
		if (only_unlaunched_left(ex)) {
			log_info("no task to run: exiting");
			do_exit(ex, EX_EXIT_OK);
			return;
		}
	}
	arm_resend(ex);
}

static void on_shutdown(struct executor *ex)
{
	log_info("SHUTDOWN from the agent");
	if (!ex->task || ex->phase == EX_IDLE) {
		do_exit(ex, EX_EXIT_OK);
		return;
	}
	if (ex->phase == EX_DONE)
		return; /* waiting for the terminal acknowledgement already */
	begin_shutdown(ex, EX_CAUSE_SHUTDOWN);
}

static void on_subscribed(struct executor *ex, Mesos__V1__Executor__Event__Subscribed *s)
{
	if (ex->framework)
		protobuf_c_message_free_unpacked(&ex->framework->base, NULL);
	ex->framework = s->framework_info; /* stolen from the event */
	s->framework_info = NULL;
	free(ex->agent_id);
	free(ex->agent_hostname);
	ex->agent_id = s->agent_info->id ? strdup(s->agent_info->id->value) : NULL;
	ex->agent_hostname = strdup(s->agent_info->hostname);
	ex->subscribed = true;
	ex->answered = false;
	if (ex->recovery_armed) {
		timer(ex, EX_TIMER_RECOVERY, -1);
		ex->recovery_armed = false;
	}
	log_fields(LOG_INFO, "subscribed", "agent", ex->agent_id, "agent_host", ex->agent_hostname,
	           "unacknowledged", ex->ledger.n ? "yes" : "no", NULL);
	ledger_reschedule(&ex->ledger, now(ex));
	arm_resend(ex);
	if (ex->terminal_sent || (!ex->task && ex->nkilled))
		timer(ex, EX_TIMER_ACK, ex->cfg->update_wait_ns);
}

void ex_event(struct executor *ex, mesos_event *ev)
{
	if (ex->exited) {
		protobuf_c_message_free_unpacked(&ev->base, NULL);
		return;
	}
	switch (ev->type) {
	case MESOS__V1__EXECUTOR__EVENT__TYPE__SUBSCRIBED:
		if (ev->subscribed)
			on_subscribed(ex, ev->subscribed);
		else
			log_error("SUBSCRIBED event without 'subscribed' ignored");
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH:
		if (ev->launch) {
			on_launch(ex, ev->launch->task);
			ev->launch->task = NULL; /* stolen */
		} else {
			log_error("LAUNCH event without 'launch' ignored");
		}
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__LAUNCH_GROUP:
		on_launch_group(ex, ev->launch_group ? ev->launch_group->task_group : NULL);
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__KILL:
		if (ev->kill)
			on_kill(ex, ev->kill);
		else
			log_error("KILL event without 'kill' ignored");
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__ACKNOWLEDGED:
		if (ev->acknowledged)
			on_ack(ex, ev->acknowledged);
		else
			log_error("ACKNOWLEDGED event without 'acknowledged' ignored");
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN:
		on_shutdown(ex);
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__ERROR:
		log_error("ERROR event from the agent: %s",
		          ev->error ? ev->error->message : "(no message)");
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__MESSAGE:
		log_debug("framework message of %zu bytes ignored",
		          ev->message ? ev->message->data.len : (size_t)0);
		break;
	case MESOS__V1__EXECUTOR__EVENT__TYPE__HEARTBEAT:
		log_debug("heartbeat");
		break;
	default:
		log_debug("event of unknown type %d ignored", (int)ev->type);
		break;
	}
	protobuf_c_message_free_unpacked(&ev->base, NULL);
}

/* ------------------------------------------------------------ other inputs */

/* The agent is gone for good (no checkpointing, or the recovery timeout):
 * as the executor library, a SHUTDOWN, and after the whole shutdown grace
 * the task's processes are killed and the executor exits, whatever is still
 * pending. */
static void agent_lost(struct executor *ex)
{
	ex->exit_code_pending = EX_EXIT_AGENT_LOST;
	if (!ex->task || ex->phase == EX_IDLE || ex->phase == EX_DONE) {
		do_exit(ex, EX_EXIT_AGENT_LOST);
		return;
	}
	begin_shutdown(ex, EX_CAUSE_AGENT_LOST);
	timer(ex, EX_TIMER_SHUTDOWN, ex->cfg->shutdown_grace_ns);
}

void ex_connected(struct executor *ex)
{
	if (ex->exited || !ex->cfg->checkpoint)
		return;
	ex->answered = true;
	if (!ex->recovery_armed)
		return;
	timer(ex, EX_TIMER_RECOVERY, -1);
	ex->recovery_armed = false;
	log_info("the agent answers again: recovery timer stopped");
}

void ex_disconnected(struct executor *ex)
{
	bool was = ex->subscribed;
	if (ex->exited)
		return;
	ex->subscribed = false;
	timer(ex, EX_TIMER_RESEND, -1);
	timer(ex, EX_TIMER_ACK, -1);
	if (was)
		log_warn("lost the connection to the agent");
	if (!ex->cfg->checkpoint && (was || ex->framework)) {
		log_error("the framework does not checkpoint, so the agent will not take this "
		          "executor back: stopping the task");
		agent_lost(ex);
		return;
	}
	bool refused = ex->answered && !was;
	ex->answered = false;
	if (refused) /* reachable, recovering: no timer until it is unreachable */
		return;
	if (!ex->recovery_armed) {
		/* Before the first subscription, allow the agent a minute like its
		 * registration timeout; after, the recovery timeout. */
		int64_t t = ex->cfg->checkpoint ? ex->cfg->recovery_timeout_ns : 60 * NS_PER_SEC;
		ex->recovery_armed = true;
		timer(ex, EX_TIMER_RECOVERY, t);
	}
}

void ex_task_exited(struct executor *ex, int st)
{
	char d[128];
	ex_describe_exit(st, d, sizeof(d));
	log_info("task process exited: %s", d);
	ex->main_exited = true;
	ex->main_status = st;
	if (ex->phase == EX_RUNNING)
		begin_termination(ex, EX_CAUSE_EXITED, task_grace(ex), NULL);
	else
		finish(ex);
}

void ex_tree_gone(struct executor *ex)
{
	ex->tree_gone = true;
	finish(ex);
}

void ex_health(struct executor *ex, enum health_verdict v, const char *message)
{
	if (ex->phase != EX_RUNNING || v == HEALTH_QUIET)
		return; /* health never moves a task back from killing */
	Mesos__V1__TaskStatus *st = status_again(
	    ex, MESOS__V1__TASK_STATUS__REASON__REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
	if (!st)
		return;
	st->has_healthy = 1;
	st->healthy = v == HEALTH_HEALTHY;
	if (v != HEALTH_HEALTHY && message)
		st->message = strdup(message);
	send_status(ex, st);
	if (v == HEALTH_HEALTHY && !ex->healthy_fired) {
		ex->healthy_fired = true;
		queue_hook(ex, HOOK_AFTER_TASK_HEALTHY);
	}
	if (v == HEALTH_UNHEALTHY_KILL)
		begin_termination(ex, EX_CAUSE_HEALTH, task_grace(ex), NULL);
}

void ex_check(struct executor *ex, const Mesos__V1__CheckStatusInfo *cs)
{
	if (ex->phase != EX_RUNNING)
		return;
	if (ex->last_check && same_msg(&ex->last_check->base, &cs->base))
		return;
	if (ex->last_check)
		protobuf_c_message_free_unpacked(&ex->last_check->base, NULL);
	ex->last_check = (Mesos__V1__CheckStatusInfo *)copy_msg(&cs->base);
	Mesos__V1__TaskStatus *st =
	    status_again(ex, MESOS__V1__TASK_STATUS__REASON__REASON_TASK_CHECK_STATUS_UPDATED);
	if (!st)
		return;
	if (st->check_status)
		protobuf_c_message_free_unpacked(&st->check_status->base, NULL);
	st->check_status = (Mesos__V1__CheckStatusInfo *)copy_msg(&cs->base);
	send_status(ex, st);
}

void ex_expire(struct executor *ex, const char *message)
{
	if (ex->phase != EX_RUNNING)
		return;
	Mesos__V1__TaskStatus *st = status_again(
	    ex, MESOS__V1__TASK_STATUS__REASON__REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
	if (st) {
		st->has_healthy = 1;
		st->healthy = 0;
		st->message = strdup(message);
		send_status(ex, st);
	}
	begin_termination(ex, EX_CAUSE_EXPIRED, task_grace(ex), message);
}

void ex_hooks_done(struct executor *ex, enum hook_event ev, const char *error, char **env,
                   size_t nenv)
{
	char msg[600];

	ex->hook_busy = false;
	if (error)
		snprintf(msg, sizeof(msg), "%s hook failed: %s", hook_event_name(ev), error);
	switch (ev) {
	case HOOK_BEFORE_TASK_START:
		free_strv(ex->hook_env, ex->nhook_env);
		ex->hook_env = env;
		ex->nhook_env = nenv;
		env = NULL; /* now the executor's */
		nenv = 0;
		if (ex->phase != EX_STARTING)
			break; /* killed meanwhile */
		if (error)
			begin_termination(ex, EX_CAUSE_HOOK_FAILED, task_grace(ex), msg);
		else
			start_task(ex);
		break;
	case HOOK_AFTER_TASK_START:
	case HOOK_AFTER_TASK_HEALTHY:
		if (error && ex->phase == EX_RUNNING) {
			log_error("%s", msg);
			begin_termination(ex, EX_CAUSE_HOOK_FAILED, task_grace(ex), msg);
		}
		break;
	case HOOK_BEFORE_TERMINATE:
		if (error && ex->hooks_cut)
			log_warn("BeforeTerminate hooks finished after they were cut short: %s",
			         error);
		else if (error)
			log_warn("BeforeTerminate hook failed: %s (the task is stopped anyway)",
			         error);
		else if (ex->hooks_cut)
			log_info("BeforeTerminate hooks finished after they were cut short");
		if (ex->phase == EX_STOPPING)
			enter_signalled(ex);
		break;
	default:
		break;
	}
	free_strv(env, nenv);
	pump_hooks(ex);
}

void ex_timer_fired(struct executor *ex, enum ex_timer t)
{
	if (ex->exited)
		return;
	switch (t) {
	case EX_TIMER_GRACE:
		if (ex->phase != EX_SIGNALLED)
			break;
		if (ex->deadline_ns >= 0) {
			log_info("grace period over: SIGKILL to whatever is left of the task");
			ex->fx.signal_tree(ex->fx.ctx, SIGKILL);
			ex->deadline_ns = -1;
			/* Reaping follows at once; this only guards against a
			 * process the kernel will not let go of. */
			timer(ex, EX_TIMER_GRACE, 5 * NS_PER_SEC);
		} else {
			log_error(
			    "processes of the task survived SIGKILL; reporting it ended anyway");
			ex->main_exited = ex->tree_gone = true;
			finish(ex);
		}
		break;
	case EX_TIMER_MAX_COMPLETION:
		if (ex->phase == EX_RUNNING)
			begin_termination(ex, EX_CAUSE_MAX_COMPLETION, 0, NULL);
		break;
	case EX_TIMER_HOOKS: {
		if (ex->phase != EX_STOPPING)
			break;
		char h[32], g[32];
		duration_format_mesos(ex->hooks_budget_ns, h, sizeof(h));
		duration_format_mesos(ex->cfg->shutdown_grace_ns, g, sizeof(g));
		log_warn(
		    "hooks cut short after %s: SIGTERM now, so that the task is stopped within "
		    "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD (%s); the hooks go on meanwhile",
		    h, g);
		ex->hooks_cut = true;
		enter_signalled(ex);
		break;
	}
	case EX_TIMER_SHUTDOWN:
		log_error("the shutdown grace is over and the agent is gone: SIGKILL to whatever "
		          "is left of the task, exiting");
		ex->fx.signal_tree(ex->fx.ctx, SIGKILL);
		do_exit(ex, EX_EXIT_AGENT_LOST);
		break;
	case EX_TIMER_RECOVERY:
		ex->recovery_armed = false;
		if (ex->subscribed)
			break;
		log_error("the agent did not come back in time: stopping the task");
		agent_lost(ex);
		break;
	case EX_TIMER_ACK:
		if (!ex->subscribed)
			break; /* resent in the next SUBSCRIBE; the recovery timer bounds this */
		if (ex->terminal_sent) {
			log_error("the terminal update was not acknowledged within %.1fs: exiting",
			          (double)ex->cfg->update_wait_ns / NS_PER_SEC);
			do_exit(ex, EX_EXIT_NO_ACK);
		} else if (!ex->task) {
			do_exit(ex, EX_EXIT_OK);
		}
		break;
	case EX_TIMER_RESEND: {
		const Mesos__V1__TaskStatus *due[32];
		if (!ex->subscribed)
			break;
		size_t n = ledger_due(&ex->ledger, now(ex), due, 32);
		for (size_t i = 0; i < n; i++) {
			log_debug("resending unacknowledged %s update",
			          mesos_task_state_name(due[i]->state));
			ex->fx.post_update(ex->fx.ctx, due[i]);
		}
		arm_resend(ex);
		break;
	}
	default:
		break;
	}
}

void ex_sigterm(struct executor *ex)
{
	if (ex->exited)
		return;
	if (ex->task && ex->phase > EX_IDLE && ex->phase < EX_DONE) {
		if (ex->phase >= EX_STOPPING) {
			log_warn("second termination signal: no more grace");
			shorten_grace(ex, 0);
			return;
		}
		begin_termination(ex, EX_CAUSE_SIGTERM, task_grace(ex), NULL);
	} else if (ex->phase != EX_DONE) {
		do_exit(ex, EX_EXIT_OK);
	}
}

/* ------------------------------------------------------------ calls */

static uint8_t *encode_call(const struct executor *ex, Mesos__V1__Executor__Call *call,
                            enum mesos_encoding enc, size_t *len)
{
	Mesos__V1__ExecutorID eid = MESOS__V1__EXECUTOR_ID__INIT;
	Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
	eid.value = ex->cfg->executor_id;
	fid.value = ex->cfg->framework_id;
	call->executor_id = &eid;
	call->framework_id = &fid;
	return mesos_encode(enc, &call->base, false, len);
}

uint8_t *ex_subscribe_body(struct executor *ex, enum mesos_encoding enc, size_t *len)
{
	Mesos__V1__Executor__Call call = MESOS__V1__EXECUTOR__CALL__INIT;
	Mesos__V1__Executor__Call__Subscribe sub = MESOS__V1__EXECUTOR__CALL__SUBSCRIBE__INIT;
	size_t n = ex->ledger.n;
	Mesos__V1__Executor__Call__Update *ups = calloc(n ? n : 1, sizeof(*ups));
	Mesos__V1__Executor__Call__Update **upp = calloc(n ? n : 1, sizeof(*upp));
	Mesos__V1__TaskInfo *tasks[1];
	uint8_t *out = NULL;

	if (ups && upp) {
		for (size_t i = 0; i < n; i++) {
			mesos__v1__executor__call__update__init(&ups[i]);
			ups[i].status = ex->ledger.e[i].status;
			upp[i] = &ups[i];
		}
		sub.n_unacknowledged_updates = n;
		sub.unacknowledged_updates = upp;
		if (ex->task && !ex->ledger.task_acked) {
			tasks[0] = ex->task;
			sub.n_unacknowledged_tasks = 1;
			sub.unacknowledged_tasks = tasks;
		}
		call.has_type = 1;
		call.type = MESOS__V1__EXECUTOR__CALL__TYPE__SUBSCRIBE;
		call.subscribe = &sub;
		out = encode_call(ex, &call, enc, len);
	}
	free(ups);
	free(upp);
	return out;
}

uint8_t *ex_update_body(const struct executor *ex, const Mesos__V1__TaskStatus *st,
                        enum mesos_encoding enc, size_t *len)
{
	Mesos__V1__Executor__Call call = MESOS__V1__EXECUTOR__CALL__INIT;
	Mesos__V1__Executor__Call__Update up = MESOS__V1__EXECUTOR__CALL__UPDATE__INIT;
	up.status = (Mesos__V1__TaskStatus *)st;
	call.has_type = 1;
	call.type = MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE;
	call.update = &up;
	return encode_call(ex, &call, enc, len);
}

/* ------------------------------------------------------------ the command */

const Mesos__V1__CommandInfo *ex_task_command(const Mesos__V1__TaskInfo *task, const char **value,
                                              bool *owned)
{
	*owned = false;
	*value = NULL;
	if (task->command) {
		*value = task->command->value;
		return task->command;
	}
	const Mesos__V1__CommandInfo *c = task->executor ? task->executor->command : NULL;
	if (!c || !c->value)
		return c;
	/* Marathon's custom-executor form: chmod ug+rx 'X' && exec 'X' <cmd> */
	const char *v = c->value, *p;
	*value = v;
	if (strncmp(v, "chmod ug+rx '", 13) != 0)
		return c;
	p = strchr(v + 13, '\'');
	if (!p)
		return c;
	size_t plen = (size_t)(p - (v + 13));
	char prefix[4200];
	if (plen > 4096)
		return c;
	snprintf(prefix, sizeof(prefix), "' && exec '%.*s' ", (int)plen, v + 13);
	if (strncmp(p, prefix, strlen(prefix)) == 0) {
		*value = strdup(p + strlen(prefix));
		*owned = *value != NULL;
	} else {
		/* "... && exec 'X'" with nothing after it: no command at all. */
		snprintf(prefix, sizeof(prefix), "' && exec '%.*s'", (int)plen, v + 13);
		if (strcmp(p, prefix) == 0) {
			*value = strdup("");
			*owned = *value != NULL;
		}
	}
	return c;
}
