#!/bin/sh
# The golden pod files: tests/golden/NAME.json is checked with
# `hpc validate` (and the arguments in NAME.args, when there is one) from
# inside tests/golden, and what it says must be NAME.expected exactly: a
# first line "exit N", then every line hpc wrote to stderr. A mismatch
# shows as a diff. To add a case, drop in NAME.json (and NAME.args), run
# this with HPC_GOLDEN_UPDATE=1 to write NAME.expected, and read it.
. "$(dirname "$0")/lib.sh"

cd "$ROOT/tests/golden"
passed=0
failed=0
for pod in *.json; do
	name=${pod%.json}
	args=$(cat "$name.args" 2>/dev/null || true)
	set +e
	# shellcheck disable=SC2086 # the arguments are words on purpose
	"$HPC" validate $args "$pod" >/dev/null 2>"$T/stderr"
	status=$?
	set -e
	{ echo "exit $status"; cat "$T/stderr"; } >"$T/got"
	if [ "${HPC_GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$T/got" "$name.expected"
	fi
	if diff -u "$name.expected" "$T/got" >"$T/diff" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "golden case '$name' differs:"
		cat "$T/diff"
	fi
done
# a file that cannot be read is status 1, not a bad pod; a bad pod
# builds nothing
set +e
"$HPC" validate "$T/none.json" 2>"$T/stderr"
status=$?
"$HPC" build err-many.json -o "$T/out.img" 2>"$T/build.err"
bstatus=$?
set -e
[ "$status" = 1 ] || fail "validate of a missing file: status $status, not 1"
expect_contains "$T/stderr" "'$T/none.json'"
[ "$bstatus" = 2 ] || fail "build of err-many.json: status $bstatus, not 2"
[ ! -e "$T/out.img" ] || fail "a bad pod left an image"
[ "$(grep -c "err-many.json'" "$T/build.err")" = 9 ] ||
	fail "build did not report all nine problems: $(cat "$T/build.err")"
# the limit on published ports is the spec's, so build refuses it too
set +e
"$HPC" build err-port-count-range.json -o "$T/ports.img" 2>"$T/build.err"
bstatus=$?
set -e
[ "$bstatus" = 2 ] ||
	fail "build of err-port-count-range.json: status $bstatus, not 2"
[ ! -e "$T/ports.img" ] || fail "a pod over the port limit left an image"
expect_contains "$T/build.err" "over the limit of 1024"

echo "golden: $passed passed, $failed failed"
[ "$failed" = 0 ] || fail "$failed golden cases differ"
[ "$passed" -ge 60 ] || fail "only $passed golden cases"
