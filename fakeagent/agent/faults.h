/* Faults the agent injects into one executor's SUBSCRIBE stream, for tests
 * of what an executor does with a broken connection or with events it did
 * not expect: the stream cut as a network failure would cut it, bytes
 * written as they are (bad RecordIO framing, records that are no event),
 * and events the agent would not normally send (unknown types). The agent
 * itself stays up; fa_agent_go_away (agent.h) takes the whole agent away.
 * Each returns 0, or -1 with err when the executor is unknown or has no
 * open stream. */
#ifndef FAKEAGENT_AGENT_FAULTS_H
#define FAKEAGENT_AGENT_FAULTS_H

#include "agent.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* Cuts the executor's stream without the final chunk. The agent keeps the
 * executor RUNNING (a real agent does not watch the connection), so it may
 * subscribe again at once. */
int fa_fault_drop_stream(struct fa_agent *a, const char *executor_id, char *err, size_t errlen);

/* Writes `len` bytes onto the stream as they are (no RecordIO framing). */
int fa_fault_raw(struct fa_agent *a, const char *executor_id, const void *bytes, size_t len,
                 char *err, size_t errlen);

/* Writes one RecordIO record holding `event` (a mesos.v1.executor.Event in
 * JSON): on a JSON stream the object as given, so type names this agent
 * does not know travel as they are; on a protobuf stream its encoding, with
 * a numeric "type" written as that number. */
int fa_fault_event(struct fa_agent *a, const char *executor_id, const cJSON *event, char *err,
                   size_t errlen);

#endif
