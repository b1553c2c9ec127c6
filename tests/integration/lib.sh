# lib.sh: shared helpers for the integration tests (sourced, not run).
#
# Every test is a script tests/integration/t-NAME.sh that exits non-zero
# on failure. It makes its own fixtures under $T (removed afterwards);
# slow fixtures shared by several tests (the example images) live under
# $FIXTURES and are made once by the scripts that make them.

set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HPC="$ROOT/bin/hpc"
FIXTURES="${HPC_FIXTURES:-$ROOT/build/fixtures}"
mkdir -p "$FIXTURES"
T=$(mktemp -d "${TMPDIR:-/tmp}/hpc-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HPC_INIT="$ROOT/bin/hpc-init"
export XDG_CACHE_HOME="$T/cache"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_contains FILE TEXT: FILE holds TEXT.
expect_contains() {
	grep -qF -- "$2" "$1" || {
		echo "--- $1:" >&2
		cat "$1" >&2
		fail "'$1' does not contain '$2'"
	}
}

# busybox_image: the OCI layout of the busybox example, made once.
busybox_image() {
	"$ROOT/examples/make-busybox-image.sh" "$FIXTURES/busybox" >/dev/null
	echo "$FIXTURES/busybox"
}

# debian_image: the OCI layout of the Debian example (three layers, the
# last one deleting files), made once; making it needs root (debootstrap).
debian_image() {
	"$ROOT/examples/make-debian-image.sh" "$FIXTURES/debian" >/dev/null
	echo "$FIXTURES/debian"
}

# boot IMG [ARGS...]: boot under TCG with a time limit; output in $T/out.
boot() {
	img=$1
	shift
	set +e
	timeout 300 "$HPC" run --accel tcg "$@" "$img" >"$T/out" 2>"$T/err"
	status=$?
	set -e
	cat "$T/out" "$T/err" >"$T/all"
	echo "$status"
}

# part IMG NAME: "OFFSET SIZE" in bytes of the partition named NAME,
# read from the GPT by sfdisk, a reader that is not ours.
part() {
	sfdisk -J "$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
for p in t["partitions"]:
    if p.get("name") == sys.argv[1]:
        print(p["start"] * 512, p["size"] * 512)
        sys.exit(0)
sys.exit("no partition named " + sys.argv[1])' "$2"
}

# fsck_parts IMG PREFIX: e2fsck -fn finds every partition whose GPT name
# starts with PREFIX clean.
fsck_parts() {
	for name in $(sfdisk -J "$1" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    if p.get("name", "").startswith(sys.argv[1]):
        print(p["name"])' "$2"); do
		set -- "$1" "$2" $(part "$1" "$name")
		e2fsck -fn "$1?offset=$3" >"$T/fsck" 2>&1 ||
			fail "e2fsck of $name: $(cat "$T/fsck")"
	done
}

# check_disk IMG: the GPT is sound and every root filesystem is clean.
check_disk() {
	sgdisk -v "$1" >"$T/sgdisk" 2>&1 || fail "sgdisk -v: $(cat "$T/sgdisk")"
	expect_contains "$T/sgdisk" "No problems found"
	fsck_parts "$1" hpc-root-
}

# expect_failure STATUS TEXT ARGS...: hpc fails with STATUS, says TEXT
# (on some line of stderr), and leaves no image (nor temporary file)
# behind. expect_one_line_failure also demands that stderr is that one
# line and nothing more.
expect_failure() {
	want=$1 text=$2
	shift 2
	set +e
	"$HPC" "$@" >"$T/stdout" 2>"$T/stderr"
	got=$?
	set -e
	[ "$got" = "$want" ] || { cat "$T/stderr"; fail "status $got, not $want: $*"; }
	expect_contains "$T/stderr" "$text"
	[ "$(wc -l <"$T/stderr")" -ge 1 ] || fail "no message: $*"
	[ ! -e "$T/out.img" ] || fail "an image was left behind: $*"
	! ls -a "$T" | grep -q '\.out\.img\.tmp' || fail "a temporary file was left: $*"
}

expect_one_line_failure() {
	expect_failure "$@"
	[ "$(wc -l <"$T/stderr")" -eq 1 ] || {
		cat "$T/stderr" >&2
		shift 2
		fail "not one line of stderr: $*"
	}
}

# check_volumes IMG: every volume partition holds a clean ext4.
check_volumes() {
	fsck_parts "$1" hpc-vol-
}

# pod_file FILE IMAGE NAME ARGV-JSON: a one-container pod.
pod_file() {
	cat >"$1" <<POD
{
	"name": "$3",
	"containers": [{
		"name": "$3",
		"image": "$2",
		"command": $4
	}]
}
POD
}

# wait_file FILE WHAT: until FILE has something in it (a server writes
# its port there once it listens), 10 s at most; else WHAT did not start.
wait_file() {
	i=0
	until [ -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "$2 did not start"
		sleep 0.1
	done
}

# fault_registry LAYOUT DIR: start tests/fixtures/registry-fault.py on
# LAYOUT (its pid in DIR/pids, for registry-stop.sh; its log in DIR/log)
# and wait until it listens; fault_addr is then 127.0.0.1:PORT.
fault_registry() {
	/usr/bin/python3 "$ROOT/tests/fixtures/registry-fault.py" "$1" \
		"$2/ports" 2>"$2/log" &
	echo $! >"$2/pids"
	wait_file "$2/ports" "the fault registry"
	fault_addr=127.0.0.1:$(cut -d' ' -f1 "$2/ports")
}
