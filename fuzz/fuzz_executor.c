/* Fuzzes the executor's state machine (executor/executor.h) with a random
 * life: the input is a program of one-byte operations (an agent event built
 * from a template or decoded from raw protobuf bytes, the connection lost,
 * the task exiting or its tree gone, a hook chain finishing, the clock
 * moving and timers firing, health and check results, SIGTERM, certificate
 * expiry), each followed by its parameter bytes. After each input the
 * queued effects are carried out as runtime.c does. The shell's contract is
 * kept (a launch's outcome is the next input, the task exits once and only
 * after a launch, hooks finish only when started, health results come only
 * while checks run, time only moves forward) while the agent's side is left
 * free, as a broken agent would be. Properties:
 *   - every posted update is valid as the agent validates an UPDATE call,
 *     in both encodings, and so is every SUBSCRIBE the executor would send;
 *   - a task never gets more than one terminal update, and none after it;
 *   - a resend repeats an earlier update exactly (state and task);
 *   - no update is lost: at the end, every fresh update is acknowledged or
 *     still in the ledger (to be resent);
 *   - hook chains never overlap, the command is launched at most once, the
 *     executor exits at most once with a documented code, and nothing is
 *     posted or armed after it exited; only an agent without checkpointing
 *     makes it stop reconnecting;
 *   - exit 0 with a launched task means its terminal update was acknowledged;
 *   - no crash, no leak, no undefined behaviour (ASan, UBSan, LSan). */
#include "fuzz.h"

#include "common/base64.h"
#include "common/log.h"
#include "executor/executor.h"
#include "proto/mesos.h"

#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

#define SEC      1000000000LL
#define MAX_OPS  400
#define MAX_POST 4096

struct posted {
	char task_id[64];
	int state;
	uint8_t uuid[16];
	bool fresh, acked;
};

struct rec {
	struct executor *ex;
	const struct ex_config *cfg;
	enum mesos_encoding encoding;
	int64_t now;
	unsigned uuid_seq;
	struct posted *v; /* owned */
	size_t n, cap;
	int launches;
	bool launch_fails, launched, exited_task, tree_gone;
	int64_t cert_delay; /* what the next launch reports (-1: no certificate) */
	int64_t due[EX_TIMER_COUNT];
	bool hook_pending;
	enum hook_event pending;
	bool health_running;
	int nexits, exit_code;
};

/* ------------------------------------------------------------ the input */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* ------------------------------------------------------------ the source */

static int64_t src_now(void *ctx)
{
	return ((struct rec *)ctx)->now;
}

static double src_wallclock(void *ctx)
{
	return 1700000000.25 + (double)((struct rec *)ctx)->now / 1e9;
}

static void src_uuid(void *ctx, uint8_t out[16])
{
	struct rec *r = ctx;
	unsigned n = ++r->uuid_seq;
	memset(out, 0x5a, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
	memcpy(out + 12, &n, sizeof(n));
}

/* ------------------------------------------------------------ effects */

/* An UPDATE call decoded and validated as the agent does it. Returns the
 * decoded call (the caller frees it). */
static mesos_call *check_update_call(const uint8_t *body, size_t len, enum mesos_encoding enc)
{
	char err[512] = "";
	CHECK(body != NULL);
	mesos_call *c = mesos_call_decode(enc, body, len, err, sizeof(err));
	if (!c)
		fprintf(stderr, "undecodable UPDATE: %s\n", err);
	CHECK(c != NULL);
	if (mesos_validate_call(c, err, sizeof(err)) != 0) {
		fprintf(stderr, "invalid UPDATE (%s): %.*s\n", err, (int)len, (const char *)body);
		CHECK(!"every posted update passes the agent's validation");
	}
	CHECK(c->type == MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE && c->update != NULL);
	return c;
}

static struct posted *find_uuid(struct rec *r, const uint8_t uuid[16])
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].fresh && memcmp(r->v[i].uuid, uuid, 16) == 0)
			return &r->v[i];
	return NULL;
}

static const struct posted *terminal_of(const struct rec *r, const char *task_id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].fresh && mesos_task_state_terminal(r->v[i].state) &&
		    strcmp(r->v[i].task_id, task_id) == 0)
			return &r->v[i];
	return NULL;
}

/* The UPDATE call as posted (in the configured encoding), and the same
 * status encoded the other way, both as the agent validates them. */
static void post_update(struct rec *r, const struct ex_effect *e)
{
	CHECK(r->nexits == 0); /* nothing is posted after the exit */
	mesos_call *c = check_update_call(e->body, e->len, r->encoding);
	const Mesos__V1__TaskStatus *st = c->update->status;
	size_t len = 0;
	enum mesos_encoding other = r->encoding == MESOS_JSON ? MESOS_PROTOBUF : MESOS_JSON;
	uint8_t *body = ex_update_body(r->ex, st, other, &len);
	mesos_call *o = check_update_call(body, len, other);
	protobuf_c_message_free_unpacked(&o->base, NULL);
	free(body);
	CHECK(st->task_id && st->task_id->value);
	CHECK(st->uuid.len == 16);

	struct posted *earlier = find_uuid(r, st->uuid.data);
	if (earlier) { /* a resend: the same update again */
		CHECK(earlier->state == (int)st->state);
		CHECK(strcmp(earlier->task_id, st->task_id->value) == 0);
		protobuf_c_message_free_unpacked(&c->base, NULL);
		return;
	}
	if (terminal_of(r, st->task_id->value)) {
		fprintf(stderr, "%s for task %s after its terminal update\n",
		        mesos_task_state_name(st->state), st->task_id->value);
		CHECK(!"no update of a task follows its terminal update");
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		CHECK(r->v != NULL);
	}
	struct posted *p = &r->v[r->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->task_id, sizeof(p->task_id), "%s", st->task_id->value);
	p->state = (int)st->state;
	memcpy(p->uuid, st->uuid.data, 16);
	p->fresh = true;
	protobuf_c_message_free_unpacked(&c->base, NULL);
}

/* The shell's side of a launch: its outcome is the next input. */
static void launch_effect(struct rec *r, const struct ex_effect *e)
{
	CHECK(r->nexits == 0);
	CHECK(++r->launches == 1); /* one command per executor */
	CHECK(e->task != NULL);
	for (char *const *v = e->env; v && *v; v++)
		CHECK(strchr(*v, '=') != NULL);
	if (r->launch_fails) {
		ex_launch_failed(r->ex, "exec: no such file");
		return;
	}
	r->launched = true;
	ex_launched(r->ex, r->cert_delay);
}

static void carry_out(struct rec *r, const struct ex_effect *e)
{
	switch (e->kind) {
	case EX_FX_UPDATE:
		post_update(r, e);
		break;
	case EX_FX_LAUNCH:
		launch_effect(r, e);
		break;
	case EX_FX_SIGNAL:
		CHECK(r->nexits == 0);
		CHECK(e->sig == SIGTERM || e->sig == SIGKILL);
		break;
	case EX_FX_TIMER:
		CHECK(e->timer >= 0 && e->timer < EX_TIMER_COUNT);
		CHECK(e->delay_ns < 0 || r->nexits == 0); /* nothing armed after the exit */
		r->due[e->timer] = e->delay_ns < 0 ? -1 : r->now + e->delay_ns;
		break;
	case EX_FX_HOOKS:
		CHECK(r->nexits == 0);
		CHECK(!r->hook_pending); /* chains never overlap */
		CHECK(e->event < HOOK_EVENT_COUNT);
		CHECK(e->task != NULL);
		r->hook_pending = true;
		r->pending = e->event;
		break;
	case EX_FX_HEALTH:
		r->health_running = e->start;
		break;
	case EX_FX_STOP_RECONNECTING:
		CHECK(r->nexits == 0);
		CHECK(!r->cfg->checkpoint); /* only an agent without checkpointing gives up */
		break;
	case EX_FX_EXIT:
		CHECK(++r->nexits == 1);
		CHECK(e->code >= EX_EXIT_OK && e->code <= EX_EXIT_INTERNAL);
		r->exit_code = e->code;
		break;
	default:
		CHECK(!"an effect of a known kind");
	}
}

/* Carries out what the last input queued (and what the inputs it feeds
 * back queue), as runtime.c does. */
static void drain(struct rec *r)
{
	struct ex_effect e;
	while (ex_next_effect(r->ex, &e)) {
		carry_out(r, &e);
		ex_effect_release(&e);
	}
}

/* ------------------------------------------------------------ events */

static void feed_json(struct rec *r, const char *json)
{
	char err[256];
	mesos_event *ev =
	    mesos_event_decode(MESOS_JSON, (const uint8_t *)json, strlen(json), err, sizeof(err));
	if (!ev)
		fprintf(stderr, "bad template %s: %s\n", json, err);
	CHECK(ev != NULL);
	ex_event(r->ex, ev);
	drain(r);
}

static const char *const task_ids[] = {"t1", "t2", "t1.x"};

static const char *pick_id(struct in *in)
{
	return task_ids[byte(in) % 3];
}

static void subscribed(struct rec *r, struct in *in)
{
	char json[1024];
	snprintf(json, sizeof(json),
	         "{\"type\":\"SUBSCRIBED\",\"subscribed\":{"
	         "\"executor_info\":{\"executor_id\":{\"value\":\"exec-1\"},"
	         "\"framework_id\":{\"value\":\"fw-1\"},\"command\":{\"value\":\"./x\"}},"
	         "\"framework_info\":{\"user\":\"root\",\"name\":\"marathon\","
	         "\"id\":{\"value\":\"fw-1\"},\"capabilities\":[{\"type\":\"PARTITION_AWARE\"}%s]},"
	         "\"agent_info\":{\"hostname\":\"agent.local\"%s},"
	         "\"container_id\":{\"value\":\"c1\"}}}",
	         byte(in) & 1 ? ",{\"type\":\"TASK_KILLING_STATE\"}" : "",
	         byte(in) & 1 ? ",\"id\":{\"value\":\"agent-1\"}" : "");
	feed_json(r, json);
}

static void launch(struct rec *r, struct in *in)
{
	char json[2048], extra[1024] = "";
	const char *id = pick_id(in);
	uint8_t f = byte(in);
	size_t n = 0;
	if (f & 1)
		n += (size_t)snprintf(
		    extra + n, sizeof(extra) - n,
		    ",\"health_check\":{\"type\":\"COMMAND\",\"command\":{\"value\":"
		    "\"true\"},\"consecutive_failures\":%u}",
		    byte(in) % 4);
	if (f & 2)
		n += (size_t)snprintf(
		    extra + n, sizeof(extra) - n,
		    ",\"check\":{\"type\":\"%s\",\"command\":{\"command\":{\"value\":"
		    "\"true\"}},\"http\":{\"port\":80},\"tcp\":{\"port\":81}}",
		    (const char *[]){"COMMAND", "HTTP", "TCP", "UNKNOWN"}[byte(in) % 4]);
	if (f & 4)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
		                      ",\"kill_policy\":{\"grace_period\":{\"nanoseconds\":%lld}}",
		                      (long long)(byte(in) - 8) * SEC / 4);
	if (f & 8)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
		                      ",\"max_completion_time\":{\"nanoseconds\":%lld}",
		                      (long long)(byte(in) - 8) * SEC);
	const char *cmd =
	    f & 16 ? ",\"executor\":{\"executor_id\":{\"value\":\"exec-1\"},\"command\":{\"value\":"
	             "\"chmod ug+rx './x' && exec './x' sleep 5\"}}"
	           : ",\"command\":{\"value\":\"sleep 5\",\"shell\":true}";
	snprintf(
	    json, sizeof(json),
	    "{\"type\":\"LAUNCH\",\"launch\":{\"task\":{\"name\":\"web\",\"task_id\":{\"value\":"
	    "\"%s\"},\"agent_id\":{\"value\":\"agent-1\"}%s%s}}}",
	    id, cmd, extra);
	r->launch_fails = f & 32;
	r->cert_delay = f & 64 ? 60 * SEC : -1; /* validate-certificate: good for a minute */
	feed_json(r, json);
}

static void kill_ev(struct rec *r, struct in *in)
{
	char json[512];
	const char *id = pick_id(in);
	uint8_t g = byte(in);
	if (g & 1)
		snprintf(json, sizeof(json),
		         "{\"type\":\"KILL\",\"kill\":{\"task_id\":{\"value\":\"%s\"},"
		         "\"kill_policy\":{\"grace_period\":{\"nanoseconds\":%lld}}}}",
		         id, (long long)((int)(g >> 1) - 16) * SEC / 8);
	else
		snprintf(json, sizeof(json),
		         "{\"type\":\"KILL\",\"kill\":{\"task_id\":{\"value\":\"%s\"}}}", id);
	feed_json(r, json);
}

static void ack(struct rec *r, struct in *in)
{
	char json[512];
	uint8_t k = byte(in);
	if (!r->n)
		return;
	struct posted *p = &r->v[k % r->n];
	char *b = b64_encode(p->uuid, 16);
	CHECK(b != NULL);
	const char *tid = k & 0x80 ? pick_id(in) : p->task_id; /* sometimes the wrong task */
	snprintf(json, sizeof(json),
	         "{\"type\":\"ACKNOWLEDGED\",\"acknowledged\":{\"task_id\":{\"value\":\"%s\"},"
	         "\"uuid\":\"%s\"}}",
	         tid, b);
	free(b);
	bool known = false;
	for (size_t i = 0; i < ex_unacknowledged(r->ex); i++) {
		const Mesos__V1__TaskStatus *u = ex_unacknowledged_update(r->ex, i);
		known |=
		    memcmp(u->uuid.data, p->uuid, 16) == 0 && strcmp(u->task_id->value, tid) == 0;
	}
	feed_json(r, json);
	if (known)
		p->acked = true;
}

static void misc_event(struct rec *r, struct in *in)
{
	static const char *const ev[] = {
	    "{\"type\":\"HEARTBEAT\"}",
	    "{\"type\":\"MESSAGE\",\"message\":{\"data\":\"aGk=\"}}",
	    "{\"type\":\"ERROR\",\"error\":{\"message\":\"boom\"}}",
	    "{\"type\":\"SHUTDOWN\"}",
	    "{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":{\"value\":"
	    "\"exec-1\"}},\"task_group\":{\"tasks\":[{\"name\":\"a\",\"task_id\":{\"value\":\"t2\"}"
	    ","
	    "\"agent_id\":{\"value\":\"agent-1\"}},{\"name\":\"b\",\"task_id\":{\"value\":\"g2\"},"
	    "\"agent_id\":{\"value\":\"agent-1\"}}]}}}",
	    "{\"type\":\"LAUNCH_GROUP\"}",
	    "{\"type\":\"SUBSCRIBED\"}",
	    "{\"type\":\"LAUNCH\"}",
	    "{\"type\":\"KILL\"}",
	    "{\"type\":\"ACKNOWLEDGED\"}",
	    "{\"type\":\"UNKNOWN\"}",
	};
	feed_json(r, ev[byte(in) % (sizeof(ev) / sizeof(ev[0]))]);
}

static void raw_event(struct rec *r, struct in *in)
{
	size_t len = byte(in);
	if (len > in->n)
		len = in->n;
	char err[256];
	mesos_event *ev = mesos_event_decode(MESOS_PROTOBUF, in->p, len, err, sizeof(err));
	in->p += len;
	in->n -= len;
	if (ev) {
		ex_event(r->ex, ev);
		drain(r);
	}
}

/* ------------------------------------------------------------ other inputs */

static void hooks_done(struct rec *r, struct in *in)
{
	if (!r->hook_pending)
		return;
	uint8_t f = byte(in);
	size_t nenv = f & 3;
	char **env = nenv ? calloc(nenv, sizeof(char *)) : NULL;
	for (size_t i = 0; i < nenv; i++) {
		CHECK(env != NULL);
		env[i] = strdup(i == 0 ? "FROM_HOOK=1" : i == 1 ? "PATH=/x" : "EMPTY=");
		CHECK(env[i] != NULL);
	}
	r->hook_pending = false;
	ex_hooks_done(r->ex, r->pending, f & 4 ? "could not reach Consul" : NULL, env, nenv);
	drain(r);
}

/* Moves the fake clock to `target`, firing due timers in order. */
static void advance_to(struct rec *r, int64_t target)
{
	while (r->nexits == 0) {
		int next = -1;
		for (int t = 0; t < EX_TIMER_COUNT; t++)
			if (r->due[t] >= 0 && r->due[t] <= target &&
			    (next < 0 || r->due[t] < r->due[next]))
				next = t;
		if (next < 0)
			break;
		r->now = r->due[next] > r->now ? r->due[next] : r->now;
		r->due[next] = -1;
		ex_timer_fired(r->ex, (enum ex_timer)next);
		drain(r);
	}
	if (target > r->now)
		r->now = target;
}

static void advance(struct rec *r, struct in *in)
{
	uint8_t b = byte(in);
	int64_t step = (int64_t)(b & 15) << (b >> 4); /* 0 .. ~15 * 2^15 ms */
	advance_to(r, r->now + step * 1000000LL);
}

static void check_result(struct rec *r, struct in *in)
{
	Mesos__V1__CheckStatusInfo cs = MESOS__V1__CHECK_STATUS_INFO__INIT;
	Mesos__V1__CheckStatusInfo__Command cmd = MESOS__V1__CHECK_STATUS_INFO__COMMAND__INIT;
	cs.has_type = 1;
	cs.type = MESOS__V1__CHECK_INFO__TYPE__COMMAND;
	cs.command = &cmd;
	uint8_t b = byte(in);
	if (b & 1) {
		cmd.has_exit_code = 1;
		cmd.exit_code = b >> 1;
	}
	ex_check(r->ex, &cs);
	drain(r);
}

static void subscribe_body(struct rec *r)
{
	char err[256];
	for (int enc = MESOS_PROTOBUF; enc <= MESOS_JSON; enc++) {
		size_t len = 0;
		uint8_t *b = ex_subscribe_body(r->ex, (enum mesos_encoding)enc, &len);
		CHECK(b != NULL);
		mesos_call *c =
		    mesos_call_decode((enum mesos_encoding)enc, b, len, err, sizeof(err));
		CHECK(c != NULL);
		CHECK(mesos_validate_call(c, err, sizeof(err)) == 0);
		CHECK(c->subscribe->n_unacknowledged_updates == ex_unacknowledged(r->ex));
		for (size_t i = 0; i < c->subscribe->n_unacknowledged_updates; i++) {
			mesos_call u = *c;
			u.type = MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE;
			u.update = c->subscribe->unacknowledged_updates[i];
			u.subscribe = NULL;
			CHECK(mesos_validate_call(&u, err, sizeof(err)) == 0);
		}
		protobuf_c_message_free_unpacked(&c->base, NULL);
		free(b);
	}
}

/* ------------------------------------------------------------ the end */

static bool in_ledger(const struct executor *ex, const uint8_t uuid[16])
{
	for (size_t i = 0; i < ex_unacknowledged(ex); i++)
		if (memcmp(ex_unacknowledged_update(ex, i)->uuid.data, uuid, 16) == 0)
			return true;
	return false;
}

static void final_checks(struct rec *r)
{
	/* Nothing lost while it runs: acknowledged, or still waiting in the
	 * ledger to be resent. (At exit 0 the terminal update was acknowledged;
	 * the agent takes updates in the order they were sent, so the earlier
	 * ones reached it: test_chaos_agent_restarts checks that order.) */
	if (r->nexits == 0)
		for (size_t i = 0; i < r->n; i++)
			if (!r->v[i].acked && !in_ledger(r->ex, r->v[i].uuid)) {
				fprintf(stderr, "%s update %zu for %s was lost\n",
				        mesos_task_state_name(r->v[i].state), i, r->v[i].task_id);
				CHECK(!"every update is acknowledged or kept for a resend");
			}
	/* exit 0 with a launched task: its terminal update was acknowledged */
	if (r->nexits && r->exit_code == EX_EXIT_OK && ex_task(r->ex)) {
		const struct posted *t = terminal_of(r, ex_task(r->ex)->task_id->value);
		CHECK(t != NULL && t->acked);
	}
	/* exit 2: the terminal update was left unacknowledged */
	if (r->nexits && r->exit_code == EX_EXIT_NO_ACK)
		CHECK(ex_terminal_sent(r->ex));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) { /* FUZZ_LOG=1 shows the executor's log */
		log_set_level(getenv("FUZZ_LOG") ? LOG_DEBUG : (enum log_level)(LOG_ERROR + 1));
		quiet = true;
	}
	struct in in = {data, size};
	uint8_t c = byte(&in);
	struct ex_config cfg = {
	    .framework_id = "fw-1",
	    .executor_id = "exec-1",
	    .checkpoint = c & 1,
	    .shutdown_grace_ns = (int64_t)(c >> 4) * SEC,
	    .recovery_timeout_ns = 30 * SEC,
	    .backoff_max_ns = 2 * SEC,
	    .encoding = c & 2 ? MESOS_JSON : MESOS_PROTOBUF,
	    .kill_grace_ns = (c & 4 ? 0 : 3) * SEC,
	    .update_buffer = 1024,
	    .update_wait_ns = 11 * SEC,
	    .hook_timeout_ns = 120 * SEC,
	};
	struct rec r = {.exit_code = -1, .cfg = &cfg, .encoding = cfg.encoding, .cert_delay = -1};
	for (int t = 0; t < EX_TIMER_COUNT; t++)
		r.due[t] = -1;
	struct ex_source src = {
	    .ctx = &r, .now = src_now, .wallclock = src_wallclock, .uuid = src_uuid};
	struct executor *ex = ex_new(&cfg, &src);
	CHECK(ex != NULL);
	r.ex = ex;

	for (int ops = 0; in.n && ops < MAX_OPS && r.nexits == 0 && r.n < MAX_POST; ops++) {
		switch (byte(&in) % 18) {
		case 0:
			subscribed(&r, &in);
			break;
		case 1:
			launch(&r, &in);
			break;
		case 2:
			kill_ev(&r, &in);
			break;
		case 3:
			ack(&r, &in);
			break;
		case 4:
			misc_event(&r, &in);
			break;
		case 5:
			raw_event(&r, &in);
			break;
		case 6:
			ex_disconnected(ex);
			break;
		case 7:
			if (r.launched && !r.exited_task) {
				r.exited_task = true;
				uint8_t s = byte(&in);
				ex_task_exited(ex, s & 1 ? (s >> 1) << 8 : (s >> 1) % 32);
			}
			break;
		case 8:
			if (r.exited_task && !r.tree_gone) {
				r.tree_gone = true;
				ex_tree_gone(ex);
			}
			break;
		case 9:
			hooks_done(&r, &in);
			break;
		case 10:
			advance(&r, &in);
			break;
		case 11:
			if (r.health_running) {
				uint8_t v = byte(&in) % 4;
				ex_health(ex, (enum health_verdict)v,
				          v >= 2 ? "probe failed" : NULL);
			}
			break;
		case 12:
			if (r.health_running)
				check_result(&r, &in);
			break;
		case 13:
			ex_sigterm(ex);
			break;
		case 14: /* the certificate expires, if the launch checked one */
			if (r.due[EX_TIMER_CERT] >= 0)
				advance_to(&r, r.due[EX_TIMER_CERT]);
			break;
		case 15:
			subscribe_body(&r);
			break;
		case 16: {
			char buf[128];
			ex_describe_exit((int)byte(&in) << 8 | byte(&in), buf, sizeof(buf));
			break;
		}
		default: {
			/* what the runtime does when the task's tree dies by itself */
			if (r.launched && !r.exited_task) {
				r.exited_task = r.tree_gone = true;
				ex_task_exited(ex, SIGKILL);
				ex_tree_gone(ex);
			}
			break;
		}
		}
		drain(&r); /* the effects of the inputs above that did not drain */
	}
	final_checks(&r);
	ex_free(ex);
	free(r.v);
	return 0;
}
