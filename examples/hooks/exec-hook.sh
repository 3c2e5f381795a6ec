#!/bin/sh
# An exec hook: the executor runs it for every hook event when
#   ALLEGRO_EXECUTOR_EXEC_HOOK=/path/to/exec-hook.sh
# (docs/hooks.md). It reads one JSON object on stdin, compact, on one line:
#   {"event":"BeforeTaskStart","task":{...TaskInfo...},"executor_id":"...",
#    "framework_id":"...","agent_id":"...","agent_hostname":"..."|null,"sandbox":"..."}
# Exit 0 is success; anything else fails the event (for BeforeTaskStart and
# AfterTaskHealthy that fails the task). For BeforeTaskStart every line it
# prints on stdout must be KEY=VALUE and is added to the task's environment.
# stderr goes to the executor's log.
#
# This one gives the task its own id and sandbox, and logs the other events.
# It uses only POSIX sh, grep and cut, so it runs on any agent; for anything
# beyond flat string fields, parse the JSON with jq.
set -eu

input=$(cat)

# The first string value of "KEY":"..." in the input (empty when absent).
field() {
	printf '%s\n' "$input" | grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d '"' -f 4
}

event=$(field event)
# TaskInfo.task_id is an object: "task_id":{"value":"..."}.
task_id=$(printf '%s\n' "$input" | grep -o '"task_id":{"value":"[^"]*"' | head -n 1 |
	cut -d '"' -f 6)

if [ -z "$event" ] || [ -z "$task_id" ]; then
	echo "exec-hook.sh: expected the executor's event JSON on stdin" >&2
	exit 2
fi

case "$event" in
BeforeTaskStart)
	echo "HOOK_TASK_ID=$task_id"
	echo "HOOK_SANDBOX=$(field sandbox)"
	;;
AfterTaskHealthy)
	echo "exec-hook.sh: task $task_id is healthy" >&2
	;;
BeforeTerminate)
	echo "exec-hook.sh: task $task_id is about to be terminated" >&2
	;;
*)
	# AfterTaskStart, and events added later: nothing to do.
	;;
esac
exit 0
