/* The executor HTTP API (POST /api/v1/executor and /slave(1)/api/v1/executor)
 * with the agent's checks in the agent's order (Mesos src/slave/http.cpp,
 * Http::executor):
 * 401, 503 while the containerizer recovers, 405, 400 without Content-Type,
 * 400 for a body that does not parse, 415 for another type, 400 for a call
 * that fails validation, 406, HEARTBEAT 202, 503 while recovering, 400 for an
 * unknown framework or executor, 403 for claims of another executor, 403
 * before SUBSCRIBE, then SUBSCRIBE (200 stream), UPDATE/MESSAGE (202),
 * UNKNOWN (501). */
#include "internal.h"
#include "jwt.h"

#include "proto/pbjson.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PATH_PREFIXED   "/slave(1)/api/v1/executor"
#define PATH_PLAIN      "/api/v1/executor"
#define TEXT_RECOVERING "Agent has not finished recovery"

/* ------------------------------------------------------------ Accept */

/* The quality the Accept header gives `type` ("application/json"): the q of
 * the most specific matching range (exact, then type/x, then x/x); 0 when no
 * range matches. */
static double accept_quality(const char *accept, const char *type)
{
	double best_q = 0;
	int best_spec = 0;
	const char *slash = strchr(type, '/');
	size_t major_len = (size_t)(slash - type);
	const char *p = accept;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char range[256];
		if (len >= sizeof(range))
			len = sizeof(range) - 1;
		memcpy(range, p, len);
		range[len] = '\0';
		p = end ? end + 1 : p + strlen(p);

		double q = 1;
		char *params = strchr(range, ';');
		if (params) {
			*params++ = '\0';
			for (char *tok = strtok(params, ";"); tok; tok = strtok(NULL, ";")) {
				while (isspace((unsigned char)*tok))
					tok++;
				if ((tok[0] == 'q' || tok[0] == 'Q') && tok[1] == '=')
					q = strtod(tok + 2, NULL);
			}
		}
		char *mt = range;
		while (isspace((unsigned char)*mt))
			mt++;
		size_t ml = strlen(mt);
		while (ml && isspace((unsigned char)mt[ml - 1]))
			mt[--ml] = '\0';
		int spec = 0;
		if (strcasecmp(mt, type) == 0)
			spec = 3;
		else if (ml == major_len + 2 && strncasecmp(mt, type, major_len + 1) == 0 &&
		         mt[ml - 1] == '*')
			spec = 2;
		else if (strcmp(mt, "*/*") == 0)
			spec = 1;
		if (spec > best_spec) {
			best_spec = spec;
			best_q = q;
		}
	}
	return best_q;
}

int fa_accept_negotiate(const char *accept, int only)
{
	/* The agent tries JSON first, then protobuf, whatever the q values. */
	const int order[2] = {MESOS_JSON, MESOS_PROTOBUF};
	for (int i = 0; i < 2; i++) {
		if (only >= 0 && only != order[i])
			continue;
		if (!accept || accept_quality(accept, mesos_content_type(order[i])) > 0)
			return order[i];
	}
	return -1;
}

/* ------------------------------------------------------------ replies */

static void reject(struct httpd_req *r, struct fa_agent *a, unsigned code, const char *text,
                   const char *const *headers)
{
	if (text)
		httpd_reply(r, code, "text/plain; charset=utf-8", text, strlen(text), headers);
	else
		httpd_reply(r, code, NULL, "", 0, headers);
	fa_note(a, FA_NOTE_REJECT, NULL, NULL, "%s %s -> %u %s", httpd_method(r), httpd_path(r),
	        code, text ? text : "");
}

static void accepted(struct httpd_req *r)
{
	httpd_reply(r, 202, NULL, "", 0, NULL);
}

/* ------------------------------------------------------------ calls */

static bool in_unacked_tasks(const Mesos__V1__Executor__Call__Subscribe *s, const char *task_id)
{
	for (size_t i = 0; i < s->n_unacknowledged_tasks; i++)
		if (strcmp(s->unacknowledged_tasks[i]->task_id->value, task_id) == 0)
			return true;
	return false;
}

static void subscribe_terminating(struct httpd_req *r, struct fa_executor *e,
                                  enum mesos_encoding enc)
{
	struct httpd_stream *s =
	    httpd_stream_open(r, 200, mesos_content_type(enc), NULL, NULL, NULL);
	if (!s)
		return;
	struct httpd_stream *keep = e->stream;
	enum mesos_encoding keep_enc = e->enc;
	e->stream = s;
	e->enc = enc;
	fa_send_simple(e, MESOS__V1__EXECUTOR__EVENT__TYPE__SHUTDOWN);
	e->stream = keep;
	e->enc = keep_enc;
	httpd_stream_end(s, false);
	httpd_stream_release(s);
}

static void subscribe(struct httpd_req *r, struct fa_agent *a, struct fa_executor *e,
                      const mesos_call *call, enum mesos_encoding enc)
{
	const Mesos__V1__Executor__Call__Subscribe *sub = call->subscribe;

	fa_note(a, FA_NOTE_CALL, e, NULL,
	        "SUBSCRIBE (%s stream, %zu unacknowledged updates, %zu unacknowledged tasks)",
	        enc == MESOS_JSON ? "json" : "protobuf", sub->n_unacknowledged_updates,
	        sub->n_unacknowledged_tasks);
	/* Slave::subscribe: the agent's state, the framework's, the executor's */
	const char *ending = a->terminating                     ? "the agent is terminating"
	                     : a->fw_state == FA_FW_TERMINATING ? "the framework is terminating"
	                     : e->state == FA_EXEC_TERMINATING  ? "the executor is terminating"
	                     : e->state == FA_EXEC_TERMINATED   ? "the executor is terminated"
	                                                        : NULL;
	if (ending) {
		fa_note(a, FA_NOTE_INFO, e, NULL, "%s: its stream gets SHUTDOWN and is closed",
		        ending);
		subscribe_terminating(r, e, enc);
		return;
	}
	struct httpd_stream *s =
	    httpd_stream_open(r, 200, mesos_content_type(enc), NULL, fa_stream_closed_cb(), e);
	if (!s)
		return;
	bool first = e->state == FA_EXEC_REGISTERING;
	fa_stream_attach(e, s, enc);
	e->state = FA_EXEC_RUNNING;
	uv_timer_stop(&e->deadline);
	if (a->phase == FA_PHASE_RECOVERING)
		e->resubscribed = true;

	/* Unacknowledged updates are taken like fresh UPDATE calls; their ACKs
	 * are queued and so follow SUBSCRIBED. */
	for (size_t i = 0; i < sub->n_unacknowledged_updates; i++) {
		const Mesos__V1__TaskStatus *st = sub->unacknowledged_updates[i]->status;
		if (st->uuid.len != 16) {
			fa_note(a, FA_NOTE_WARN, e, st->task_id->value,
			        "unacknowledged update without a 16-byte uuid ignored");
			continue;
		}
		fa_status_from_executor(a, st);
	}
	/* A task delivered but still STAGING that the executor does not list
	 * never reached it. */
	bool partition_aware =
	    fa_framework_has(a, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE);
	for (struct fa_task *t = e->tasks; t; t = t->next)
		if (t->delivered && t->state == MESOS__V1__TASK_STATE__TASK_STAGING &&
		    !in_unacked_tasks(sub, t->info->task_id->value))
			fa_status_from_agent(a, t,
			                     partition_aware ? MESOS__V1__TASK_STATE__TASK_DROPPED
			                                     : MESOS__V1__TASK_STATE__TASK_LOST,
			                     MESOS__V1__TASK_STATUS__REASON__REASON_AGENT_RESTARTED,
			                     "Task launched during agent restart", -1);

	bool queued = false;
	for (struct fa_task *t = e->tasks; t; t = t->next)
		queued |= !t->delivered && !mesos_task_state_terminal(t->state);
	if (first && a->phase != FA_PHASE_RECOVERING && !queued && !e->ever_sent_task) {
		fa_note(a, FA_NOTE_WARN, e, NULL,
		        "executor has no tasks to run: shutting it down instead of SUBSCRIBED");
		fa_executor_shutdown(e);
		return;
	}
	fa_send_subscribed(e);
	fa_heartbeat_start(e);
	fa_executor_deliver(e);
}

/* ------------------------------------------------------------ authentication */

/* 401 with a Bearer challenge, as libprocess' JWT authenticator answers
 * (`why` NULL: no credentials at all, so no error in the challenge). */
static void unauthorized(struct httpd_req *r, struct fa_agent *a, const char *why)
{
	char challenge[700];
	if (why)
		snprintf(challenge, sizeof(challenge),
		         "WWW-Authenticate: Bearer realm=\"%s\", error=\"invalid_token\", "
		         "error_description=\"%s\"",
		         FA_EXECUTOR_REALM, why);
	else
		snprintf(challenge, sizeof(challenge), "WWW-Authenticate: Bearer realm=\"%s\"",
		         FA_EXECUTOR_REALM);
	const char *hdrs[] = {challenge, NULL};
	reject(r, a, 401, "401 Unauthorized.", hdrs);
}

/* The claims of the request's token (caller deletes), or NULL once it has
 * been answered 401. */
static cJSON *authenticate(struct httpd_req *r, struct fa_agent *a)
{
	const char *auth = httpd_header(r, "Authorization");
	char why[600], err[400];
	if (!auth) {
		unauthorized(r, a, NULL);
		return NULL;
	}
	const char *sp = strchr(auth, ' ');
	if (!sp || strchr(sp + 1, ' ')) {
		unauthorized(r, a, "Malformed 'Authorization' header");
		return NULL;
	}
	if ((size_t)(sp - auth) != 6 || strncmp(auth, "Bearer", 6) != 0) {
		snprintf(why, sizeof(why), "Scheme '%.*s' unsupported",
		         (int)(sp - auth > 100 ? 100 : sp - auth), auth);
		unauthorized(r, a, why);
		return NULL;
	}
	cJSON *claims = jwt_verify(sp + 1, a->jwt_key, err, sizeof(err));
	if (!claims) {
		snprintf(why, sizeof(why), "Invalid JWT: %s", err);
		unauthorized(r, a, why);
		return NULL;
	}
	if (!cJSON_GetArraySize(claims)) {
		cJSON_Delete(claims);
		unauthorized(r, a, "JWT claims missing");
		return NULL;
	}
	return claims;
}

/* The claim's value as the authenticator keeps it: strings as they are,
 * anything else as JSON text (claims owns it). */
static const char *claim(cJSON *claims, const char *name)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(claims, name);
	if (!v)
		return NULL;
	if (!cJSON_IsString(v)) {
		char *text = cJSON_PrintUnformatted(v);
		cJSON_ReplaceItemViaPointer(claims, v, cJSON_CreateString(text ? text : ""));
		free(text);
		v = cJSON_GetObjectItemCaseSensitive(claims, name);
	}
	return v->valuestring;
}

/* The agent's verifyExecutorClaims: 0, or -1 with the 403 text in err. */
static int verify_claims(cJSON *claims, const mesos_call *call, const struct fa_executor *e,
                         char *err, size_t errlen)
{
	const char *fid = claim(claims, "fid"), *eid = claim(claims, "eid");
	const char *cid = claim(claims, "cid");
	cJSON *principal = cJSON_CreateObject();
	cJSON_AddItemToObject(principal, "claims", cJSON_Duplicate(claims, true));
	char *who = cJSON_PrintUnformatted(principal);
	cJSON_Delete(principal);
	int rc = -1;
	if (!fid || strcmp(fid, call->framework_id->value))
		snprintf(err, errlen,
		         "Authenticated principal '%s' does not contain an 'fid' claim with the "
		         "framework ID %s, which is set in the call",
		         who ? who : "?", call->framework_id->value);
	else if (!eid || strcmp(eid, call->executor_id->value))
		snprintf(err, errlen,
		         "Authenticated principal '%s' does not contain an 'eid' claim with the "
		         "executor ID %s, which is set in the call",
		         who ? who : "?", call->executor_id->value);
	else if (!cid || strcmp(cid, e->container_id))
		snprintf(err, errlen,
		         "Authenticated principal '%s' does not contain a 'cid' claim with the "
		         "correct active ContainerID",
		         who ? who : "?");
	else
		rc = 0;
	free(who);
	return rc;
}

/* ------------------------------------------------------------ bodies */

/* stout's JSON::parse (picojson) in its own words: a syntax error names
 * the line and the rest of it; a value followed by more than whitespace is
 * refused. NULL with err filled. */
static cJSON *parse_json(const char *body, size_t len, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!j) {
		const char *at = cJSON_GetErrorPtr();
		if (!at || at < body || at > body + len)
			at = body + len;
		int line = 1;
		for (const char *p = body; p < at; p++)
			line += *p == '\n';
		size_t rest = strcspn(at, "\n");
		if (rest > (size_t)(body + len - at))
			rest = (size_t)(body + len - at);
		snprintf(err, errlen, "syntax error at line %d near: %.*s", line,
		         (int)(rest > 200 ? 200 : rest), at);
		return NULL;
	}
	const char *p = end, *last = body + len;
	while (p < last && strchr(" \t\r\n", *p) && *p)
		p++;
	while (last > p && strchr(" \t\r\n", last[-1]) && last[-1])
		last--;
	if (p < last) {
		snprintf(err, errlen,
		         "Parsed JSON included non-whitespace trailing characters: %.*s",
		         (int)(last - p > 200 ? 200 : last - p), p);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static mesos_call *decode_call(struct httpd_req *r, struct fa_agent *a, enum mesos_encoding enc)
{
	size_t len;
	const char *body = httpd_body(r, &len);
	char err[512], text[700];

	if (enc == MESOS_PROTOBUF) {
		mesos_call *c =
		    mesos_call_decode(enc, (const uint8_t *)body, len, err, sizeof(err));
		if (!c)
			reject(r, a, 400, "Failed to parse body into Call protobuf", NULL);
		return c;
	}
	cJSON *j = parse_json(body, len, err, sizeof(err));
	if (!j) {
		snprintf(text, sizeof(text), "Failed to parse body into JSON: %s", err);
		reject(r, a, 400, text, NULL);
		return NULL;
	}
	if (!cJSON_IsObject(j)) { /* stout's protobuf::parse wants an object */
		cJSON_Delete(j);
		reject(r, a, 400,
		       "Failed to convert JSON into Call protobuf: Expecting a JSON object", NULL);
		return NULL;
	}
	mesos_call *c = (mesos_call *)pbjson_from_json(&mesos__v1__executor__call__descriptor, j,
	                                               err, sizeof(err));
	cJSON_Delete(j);
	if (!c) {
		snprintf(text, sizeof(text), "Failed to convert JSON into Call protobuf: %s", err);
		reject(r, a, 400, text, NULL);
	}
	return c;
}

void fa_endpoint_handle(struct httpd_req *r, struct fa_agent *a)
{
	const char *path = httpd_path(r);
	bool prefixed = strcmp(path, PATH_PREFIXED) == 0;

	fa_streams_reap(a);
	if (httpd_via_unix_socket(r) && !prefixed) {
		/* Only the prefixed executor (and operator) paths are served there. */
		reject(r, a, strcmp(path, "/slave(1)/api/v1") == 0 ? 404 : 403,
		       "Only the executor API is served on the executor domain socket", NULL);
		return;
	}
	if (!prefixed && strcmp(path, PATH_PLAIN) != 0) {
		httpd_reply_text(r, 404, "Not found");
		return;
	}

	/* 0: authentication, as libprocess' JWT authenticator */
	cJSON *claims = NULL;
	if (a->cfg.executor_auth && !(claims = authenticate(r, a)))
		return;
	mesos_call *call = NULL;
	/* 1: containerizer still recovering */
	if (a->phase == FA_PHASE_DOWN) {
		reject(r, a, 503, TEXT_RECOVERING, NULL);
		goto out;
	}
	/* 2: method */
	if (strcmp(httpd_method(r), "POST") != 0) {
		char text[300];
		snprintf(
		    text, sizeof(text),
		    "405 Method Not Allowed. Expecting one of { 'POST' }, but received '%.200s'.",
		    httpd_method(r));
		const char *hdrs[] = {"Allow: POST", NULL};
		reject(r, a, 405, text, hdrs);
		goto out;
	}
	/* 3-5: Content-Type and body */
	const char *ct = httpd_header(r, "Content-Type");
	if (!ct) {
		reject(r, a, 400, "Expecting 'Content-Type' to be present", NULL);
		goto out;
	}
	int enc = mesos_encoding_from_content_type(ct);
	if (enc < 0 || (a->cfg.only_encoding >= 0 && enc != a->cfg.only_encoding)) {
		reject(r, a, 415,
		       a->cfg.only_encoding < 0 ? "Expecting 'Content-Type' of application/json or "
		                                  "application/x-protobuf"
		       : a->cfg.only_encoding == MESOS_JSON
		           ? "Expecting 'Content-Type' of application/json"
		           : "Expecting 'Content-Type' of application/x-protobuf",
		       NULL);
		goto out;
	}
	call = decode_call(r, a, (enum mesos_encoding)enc);
	if (!call)
		goto out;

	/* 6: validation */
	char err[1400], text[1500];
	if (mesos_validate_call(call, err, sizeof(err)) < 0) {
		snprintf(text, sizeof(text), "Failed to validate Executor::Call: %s", err);
		reject(r, a, 400, text, NULL);
		goto out;
	}
	/* 7: Accept, for SUBSCRIBE */
	int stream_enc = -1;
	if (call->type == MESOS__V1__EXECUTOR__CALL__TYPE__SUBSCRIBE) {
		stream_enc = fa_accept_negotiate(httpd_header(r, "Accept"), a->cfg.only_encoding);
		if (stream_enc < 0) {
			reject(r, a, 406,
			       "Expecting 'Accept' to allow 'application/x-protobuf' or "
			       "'application/json'",
			       NULL);
			goto out;
		}
	}
	/* 8: HEARTBEAT, before any lookup */
	if (call->type == MESOS__V1__EXECUTOR__CALL__TYPE__HEARTBEAT) {
		accepted(r);
		fa_note(a, FA_NOTE_CALL, NULL, NULL, "HEARTBEAT from %s", call->executor_id->value);
		goto out;
	}
	/* 9: agent recovering */
	if (a->phase == FA_PHASE_RECOVERING &&
	    call->type != MESOS__V1__EXECUTOR__CALL__TYPE__SUBSCRIBE) {
		reject(r, a, 503, TEXT_RECOVERING, NULL);
		goto out;
	}
	/* 10-11: lookups */
	if (strcmp(call->framework_id->value, a->framework_id) != 0 || a->fw_state == FA_FW_GONE) {
		reject(r, a, 400, "Framework cannot be found", NULL);
		goto out;
	}
	/* A terminated executor stays known until its tasks' terminal updates
	 * are acknowledged by the scheduler, which the fake never does. */
	struct fa_executor *e = fa_agent_executor(a, call->executor_id->value);
	if (!e) {
		reject(r, a, 400, "Executor cannot be found", NULL);
		goto out;
	}
	/* 12: the token's claims */
	if (claims && verify_claims(claims, call, e, err, sizeof(err)) < 0) {
		reject(r, a, 403, err, NULL);
		goto out;
	}
	/* 13: not subscribed yet */
	if (e->state == FA_EXEC_REGISTERING &&
	    call->type != MESOS__V1__EXECUTOR__CALL__TYPE__SUBSCRIBE) {
		reject(r, a, 403, "Executor is not subscribed", NULL);
		goto out;
	}
	switch (call->type) {
	case MESOS__V1__EXECUTOR__CALL__TYPE__SUBSCRIBE:
		subscribe(r, a, e, call, (enum mesos_encoding)stream_enc);
		break;
	case MESOS__V1__EXECUTOR__CALL__TYPE__UPDATE: {
		const Mesos__V1__TaskStatus *st = call->update->status;
		accepted(r);
		fa_note(a, FA_NOTE_CALL, e, st->task_id->value, "UPDATE %s for task %s",
		        mesos_task_state_name(st->state), st->task_id->value);
		fa_status_from_executor(a, st);
		break;
	}
	case MESOS__V1__EXECUTOR__CALL__TYPE__MESSAGE:
		accepted(r);
		fa_note(a, FA_NOTE_CALL, e, NULL, "MESSAGE (%zu bytes) for the scheduler",
		        call->message->data.len);
		break;
	default:
		reject(r, a, 501, "501 Not Implemented.", NULL);
		break;
	}
out:
	if (call)
		protobuf_c_message_free_unpacked(&call->base, NULL);
	cJSON_Delete(claims);
}
