#!/bin/sh
# Hostile input: every case of tests/fixtures/make-hostile.py is refused
# with its expected one-line error and exit status (1, or 2 for a pod
# file wrong in itself), within a time and memory limit, leaving nothing
# in the output directory, the cache or TMPDIR. Then the confined cases:
# layers whose names try to leave the root build, their files land
# inside the root filesystem, and nothing is written outside.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)
python3 "$ROOT/tests/fixtures/make-hostile.py" "$T/h" "$img"
OUTDIR="$T/o"
mkdir -p "$OUTDIR" "$T/tmp"
CACHE="$T/cache"
TIME_LIMIT=${HOSTILE_TIME_LIMIT:-120}
MEM_LIMIT_KB=4194304

# leftovers: anything in the output directory, TMPDIR or a cache temp.
leftovers() {
	find "$OUTDIR" "$T/tmp" -mindepth 1
	[ ! -d "$CACHE" ] || find "$CACHE" -name '.tmp-*'
}

# run_limited ARGS...: hpc under the time and memory limits.
run_limited() {
	(
		ulimit -v "$MEM_LIMIT_KB"
		TMPDIR="$T/tmp" exec timeout -s KILL "$TIME_LIMIT" "$HPC" "$@"
	)
}

passed=0 failed=0
tab=$(printf '\t')
while IFS="$tab" read -r name want text pod flags; do
	[ "$flags" != "-" ] || flags=""
	set +e
	# shellcheck disable=SC2086
	run_limited build "$pod" -o "$OUTDIR/out.img" --cache "$CACHE" \
		$flags >"$T/stdout" 2>"$T/stderr"
	got=$?
	set -e
	why=""
	if [ "$got" != "$want" ]; then
		why="status $got, not $want"
	elif ! grep -qF -- "$text" "$T/stderr"; then
		why="no '$text' in the message"
	elif [ "$(grep -c '^hpc: ' "$T/stderr")" -lt 1 ]; then
		why="no 'hpc: ' message"
	elif [ -n "$(leftovers)" ]; then
		why="left behind: $(leftovers | tr '\n' ' ')"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $name: $why"
		sed 's/^/    /' "$T/stderr" | head -5 | cut -c1-300
		failed=$((failed + 1))
		rm -rf "$OUTDIR"/* "$OUTDIR"/.[!.]* "$T/tmp"/*
	else
		echo "ok   $name: $(head -1 "$T/stderr" | cut -c1-200)"
		passed=$((passed + 1))
	fi
done <"$T/h/cases.tsv"
[ "$passed" -ge 60 ] || { echo "only $passed refused cases"; failed=$((failed + 1)); }

# build_confined POD: build POD into $OUTDIR/out.img under the limits;
# why says what failed, or is empty.
build_confined() {
	set +e
	run_limited build -q "$1" -o "$OUTDIR/out.img" --cache "$CACHE" \
		>"$T/stdout" 2>"$T/stderr"
	got=$?
	set -e
	why=""
	[ "$got" = 0 ] || why="status $got: $(cat "$T/stderr")"
}

# rootfs_check: e2fsck on the root filesystem of out.img; why on failure.
rootfs_check() {
	set -- $(part "$OUTDIR/out.img" hpc-root-0)
	e2fsck -fn "$OUTDIR/out.img?offset=$1" >"$T/fsck" 2>&1 ||
		why="e2fsck: $(tail -3 "$T/fsck")"
}

# tally NAME: remove out.img and count the case by why and leftovers.
tally() {
	rm -f "$OUTDIR/out.img"
	if [ -n "$why" ] || [ -n "$(leftovers)" ]; then
		echo "FAIL $1: $why $(leftovers)"
		failed=$((failed + 1))
	else
		echo "ok   $1"
		passed=$((passed + 1))
	fi
}

# Confined: the build succeeds, the file is inside the root filesystem,
# and the host path it aimed at was never written.
while IFS="$tab" read -r name pod must; do
	rm -f "$must"
	build_confined "$pod"
	if [ -n "$why" ]; then
		:
	elif [ -e "$must" ]; then
		why="'$must' was written on the host"
	else
		set -- $(part "$OUTDIR/out.img" hpc-root-0)
		debugfs -R "stat \"$must\"" "$OUTDIR/out.img?offset=$1" \
			>"$T/stat" 2>&1
		grep -q "Inode:" "$T/stat" || why="'$must' not in the rootfs"
		rootfs_check
	fi
	tally "confined $name"
done <"$T/h/confined.tsv"

# A dir: source whose symlinks loop: nothing is followed, so the build
# ends, each link stays a link, and the filesystem is clean.
mkdir -p "$T/loop/sub"
ln -s b "$T/loop/a"
ln -s a "$T/loop/b"
ln -s . "$T/loop/self"
ln -s ../sub "$T/loop/sub/up"
pod_file "$T/loop.json" "dir:$T/loop" loop '["true"]'
build_confined "$T/loop.json"
if [ -z "$why" ]; then
	set -- $(part "$OUTDIR/out.img" hpc-root-0)
	for l in a:b b:a self:. sub/up:../sub; do
		debugfs -R "stat /${l%%:*}" "$OUTDIR/out.img?offset=$1" \
			2>/dev/null | grep -q "Fast link dest: \"${l#*:}\"" ||
			why="$why /${l%%:*} is not a link to ${l#*:};"
	done
	rootfs_check
fi
tally "dir: symlink loop"

# A vfs volume from a directory that holds a FIFO: the FIFO is kept as
# a FIFO and never opened, so the build ends, and the files beside it
# keep their bytes.
mkdir -p "$T/voltree"
mkfifo "$T/voltree/fifo"
echo kept >"$T/voltree/file"
cat >"$T/voltree.json" <<POD
{"name": "voltree", "volumes": [{"name": "tree", "source": "$T/voltree"}],
 "containers": [{"name": "c", "image": "oci:$img:latest",
  "command": ["true"], "volumes": [{"path": "/t", "volume": "tree"}]}]}
POD
build_confined "$T/voltree.json"
if [ -z "$why" ]; then
	set -- $(part "$OUTDIR/out.img" hpc-vol-tree)
	debugfs -R "stat /fifo" "$OUTDIR/out.img?offset=$1" 2>/dev/null |
		grep -q "Type: FIFO" || why="/fifo is not a FIFO in the volume"
	debugfs -R "cat /file" "$OUTDIR/out.img?offset=$1" 2>/dev/null |
		grep -qx kept || why="$why /file does not hold its bytes"
fi
tally "volume: a tree holding a FIFO"

# A registry that accepts connections and never answers: the build
# gives up after --registry-timeout, saying so. The server lives 60 s.
python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
s.settimeout(1)
print(s.getsockname()[1], flush=True)
held, end = [], time.time() + 60
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' >"$T/port" &
stall=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$T/port" ] && break; sleep 1; done
port=$(cat "$T/port")
pod_file "$T/stall.json" "docker://127.0.0.1:$port/x:1" stall '["true"]'
start=$(date +%s)
set +e
run_limited build "$T/stall.json" -o "$OUTDIR/out.img" --cache "$CACHE" \
	--insecure-registry "127.0.0.1:$port" --registry-timeout 3 \
	--registry-stall-timeout 2 >"$T/stdout" 2>"$T/stderr"
got=$?
set -e
took=$(( $(date +%s) - start ))
kill "$stall" 2>/dev/null || true
if [ "$got" = 1 ] && grep -qF -- "--registry-timeout 3" "$T/stderr" &&
	[ "$took" -lt 30 ] && [ -z "$(leftovers)" ]; then
	echo "ok   registry-stall: ${took}s: $(head -1 "$T/stderr" | cut -c1-200)"
	passed=$((passed + 1))
else
	echo "FAIL registry-stall: status $got after ${took}s: $(cat "$T/stderr")"
	failed=$((failed + 1))
fi

echo "hostile: $passed passed, $failed failed"
[ "$failed" = 0 ]
