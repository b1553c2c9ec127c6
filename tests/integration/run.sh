#!/bin/sh
# run.sh: run every integration test (tests/integration/t-*.sh, or the
# ones named) and report each; exits non-zero if any failed.
set -u

cd "$(dirname "$0")"
tests=${*:-$(ls t-*.sh)}
failed=""
for t in $tests; do
	start=$(date +%s)
	if sh "./$t" >"/tmp/hpc-$t.log" 2>&1; then
		echo "PASS $t ($(( $(date +%s) - start ))s)"
	else
		echo "FAIL $t ($(( $(date +%s) - start ))s)"
		sed 's/^/    /' "/tmp/hpc-$t.log" | tail -40
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "failed:$failed"
	exit 1
fi
echo "all integration tests passed"
