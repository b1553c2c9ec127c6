#!/bin/sh
# run.sh: run every integration test (tests/integration/t-*.sh, or the
# ones named) and report each; exits non-zero if any failed. Each test's
# output is kept in build/test-logs/.
set -u

cd "$(dirname "$0")"
tests=${*:-$(ls t-*.sh)}
logs=../../build/test-logs
mkdir -p "$logs"
failed=""
for t in $tests; do
	start=$(date +%s)
	if sh "./$t" >"$logs/$t.log" 2>&1; then
		echo "PASS $t ($(( $(date +%s) - start ))s)"
	else
		echo "FAIL $t ($(( $(date +%s) - start ))s)"
		sed 's/^/    /' "$logs/$t.log" | tail -40
		failed="$failed $t"
	fi
done
n_failed=$(echo $failed | wc -w)
n_all=$(echo $tests | wc -w)
echo "integration: $((n_all - n_failed)) passed, $n_failed failed"
if [ -n "$failed" ]; then
	echo "failed:$failed"
	exit 1
fi
