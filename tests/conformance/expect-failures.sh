#!/bin/sh
# Runs `fakeagent conformance` and passes when exactly the expected cases
# failed (in any encoding), nothing was skipped for another reason than a
# failed `subscribe` or a task form, and the exit status says the same.
#   expect-failures.sh FAKEAGENT NAMES [conformance options...]
# NAMES: the cases that must fail, comma-separated ("" for none).
set -u
fakeagent=$1
want=$(printf '%s\n' "$2" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$fakeagent" conformance "$@" >"$out" 2>&1
status=$?
cat "$out"
got=$(sed -n 's/^FAIL  \([^ ]*\) .*/\1/p' "$out" | sort -u | paste -sd, -)
bad=0
if [ "$got" != "$want" ]; then
	echo "expect-failures: failed cases: '$got', expected: '$want'"
	bad=1
fi
if ! grep -q '^conformance: [0-9]* passed' "$out"; then
	echo "expect-failures: no summary line"
	bad=1
fi
# Skips a test may see: the cases a failed subscribe stops, and those that
# have no Marathon form.
unexpected=$(grep '^SKIP ' "$out" | grep -v -e 'did not subscribe' -e 'no such form')
if [ -n "$unexpected" ]; then
	echo "expect-failures: unexpected skips:"
	echo "$unexpected"
	bad=1
fi
if [ -n "$want" ] && [ "$status" -ne 1 ]; then
	echo "expect-failures: exit status $status, expected 1"
	bad=1
fi
if [ -z "$want" ] && [ "$status" -ne 0 ]; then
	echo "expect-failures: exit status $status, expected 0"
	bad=1
fi
# With --junit, one testcase per run line.
junit=$(printf '%s\n' "$@" | sed -n '/^--junit$/{n;p;}')
if [ -n "$junit" ]; then
	runs=$(grep -c -E '^(PASS|FAIL|SKIP)  ' "$out")
	cases=$(grep -c '<testcase ' "$junit" 2>/dev/null || echo 0)
	if [ "$cases" -ne "$runs" ]; then
		echo "expect-failures: $junit holds $cases testcases for $runs runs"
		bad=1
	fi
fi
exit $bad
