#!/bin/sh
# Runs each libFuzzer target for a bounded time and prints one line per
# target with its executions; exits non-zero if any target found a crash,
# leak, UB or hang (its log and reproducer stay in <builddir>/fuzz-out/).
#   run.sh SECONDS CORPUS_DIR BUILD_DIR TARGET...
set -u
secs=$1 corpus=$2 bin=$3
shift 3
out=$bin/fuzz-out
mkdir -p "$out"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for t in "$@"; do
	mkdir -p "$out/$t.corpus"
	# New inputs go to the build dir's corpus; the seeds are only read.
	"$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/$t-" "$out/$t.corpus" "$corpus/$t" >"$out/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
	cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\).*/\1/p' "$out/$t.log")
	if [ $rc -eq 0 ]; then
		echo "$t: ${runs:-?} runs in ${secs}s, coverage ${cov:-?} edges: ok"
	else
		echo "$t: FAILED (exit $rc) after ${runs:-?} runs; log $out/$t.log"
		grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$out/$t.log" | head -n 20
		status=1
	fi
done
exit $status
