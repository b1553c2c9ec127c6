#!/bin/sh
# Interruption and full disks (the build's cleanup on SIGINT and SIGTERM,
# cleanup.c, and its error paths on write failures).
#
# The Debian example is built from a docker-archive of it: the build
# copies such layers into the cache before it reads them (an oci: layout
# is read where it lies and gives the cache nothing to leave half
# written), so a signal can land in a blob's copy into the cache, in the
# writing of the root filesystem, in keeping that filesystem and the boot
# loaders in the cache, or in the image itself.
#
# 20 rounds share one cache and each sends SIGINT or SIGTERM at a random
# moment. A round starts from one of three states, made by removing what
# would let the build skip work: cold (an empty cache), blobs (the
# layers kept, no finished root filesystem or loader) and warm (whatever
# the rounds before kept). Each state's build is timed beforehand, from
# a synced disk as every round starts, and the round's moment is drawn
# from within that time (a build that still ended first shortens the
# time its state's later moments are drawn from); a state can hold less
# than its name says (an earlier round was killed) but never more, so a
# build does not end sooner than its timing and the signal lands in it.
# After each round the build has ended by that signal or finished whole,
# no temporary file is left in the output directory, TMPDIR or the cache,
# any image is byte-identical to an uninterrupted build, and "hpc cache
# verify" finds nothing to remove. At least 15 of the 20 rounds must end
# by the signal. A last build on the cache the rounds left is
# byte-identical to one that was never interrupted.
#
# Then a full output filesystem (ENOSPC, a small tmpfs), a file size
# limit (EFBIG), a full TMPDIR and a read-only output directory each give
# a clear error and leave nothing; a full cache is a warning that names
# ENOSPC. The tmpfs mounts need root: an ordinary user runs the whole
# test as root of a user and mount namespace of its own.
if [ "$(id -u)" != 0 ]; then
	echo "not root: the test runs in a user and mount namespace" >&2
	exec unshare --map-root-user --mount sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

img=$(debian_image)
export SOURCE_DATE_EPOCH=1700000000
mkdir -p "$T/out" "$T/tmp"
skopeo copy -q "oci:$img:latest" "docker-archive:$T/debian.tar:debian:1"
pod_file "$T/pod.json" "docker-archive:$T/debian.tar" debian '["true"]'

# set_state STATE: remove from the cache what STATE does not keep.
set_state() {
	case $1 in
	cold) rm -rf "$T/cache" ;;
	blobs) rm -rf "$T/cache/rootfs" "$T/cache/loaders" ;;
	warm) ;;
	esac
}

# start_state STATE: the cache as STATE has it, and nothing of an
# earlier build still waiting to be written back: a build that starts
# behind a whole build's dirty pages took a third longer here than one
# that starts behind a killed build's few, which made moments drawn
# from the first come after the second had ended.
start_state() {
	set_state "$1"
	sync
}

# timed_build STATE: an uninterrupted build from STATE as a round makes
# it, so the timing sees what a round will (the same cache, the same
# files removed before); prints milliseconds.
timed_build() {
	start_state "$1"
	start=$(date +%s%N)
	TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/out/pod.img" \
		--cache "$T/cache"
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	cmp "$T/out/pod.img" "$T/ref.img" >&2 || fail "a $1 build differs"
	rm -f "$T/out/pod.img"
	echo "$took"
}

# The reference, with a cache of its own; then each state's time, the
# shorter of two builds.
TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/ref.img" \
	--cache "$T/refcache"
rm -rf "$T/refcache"
for state in cold blobs warm cold blobs warm; do
	ms=$(timed_build "$state")
	eval "prev=\${took_$state:-$ms}"
	eval "took_$state=$(( ms < prev ? ms : prev ))"
	echo "an uninterrupted $state build took $ms ms"
done

leftovers() {
	find "$T/out" -mindepth 1 ! -name pod.img
	find "$T/tmp" -mindepth 1
	[ ! -d "$T/cache" ] || find "$T/cache" -name '.tmp-*'
}

passed=0 failed=0
check() {
	if [ -z "$2" ]; then
		passed=$((passed + 1))
		echo "ok   $1"
	else
		failed=$((failed + 1))
		echo "FAIL $1: $2"
	fi
}

# verify_clean: "hpc cache verify" removed nothing; else what it said.
verify_clean() {
	[ -d "$T/cache" ] || return 0
	TMPDIR="$T/tmp" "$HPC" cache verify --cache "$T/cache" \
		>"$T/verify" 2>&1 || { echo "status $?: $(cat "$T/verify")"; return; }
	[ "$(wc -l <"$T/verify")" = 1 ] && grep -Eq \
		'^verify: [0-9]+ files? kept, 0 files removed, 0\.0 MiB freed$' \
		"$T/verify" || cat "$T/verify"
}

# Each round's moment is drawn from a seed that is printed, so a
# failing run can be replayed, from just after the start (a signal
# before the shell has let the command run finds SIGINT still ignored)
# to four fifths of its state's time.
seed=${HPC_INTERRUPT_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "seed $seed (HPC_INTERRUPT_SEED replays it)"
moment() {
	python3 -c 'import random, sys
took = int(sys.argv[3])
print(random.Random(sys.argv[1] + "/" + sys.argv[2]).randint(
	took // 20, took * 4 // 5))' "$seed" "$1" "$2"
}

signalled=0
i=0
while [ "$i" -lt 20 ]; do
	i=$((i + 1))
	sig=INT
	[ $((i % 2)) = 1 ] || sig=TERM
	state=$(echo cold blobs warm | cut -d' ' -f$((i % 3 + 1)))
	eval "took=\$took_$state"
	delay_ms=$(moment "$i" "$took")
	start_state "$state"
	want=130
	[ "$sig" = INT ] || want=143
	TMPDIR="$T/tmp" env --default-signal=INT,TERM "$HPC" build -q \
		"$T/pod.json" -o "$T/out/pod.img" --cache "$T/cache" \
		>"$T/stdout" 2>"$T/stderr" &
	pid=$!
	sleep "$(( delay_ms / 1000 )).$(printf %03d $(( delay_ms % 1000 )))"
	kill -s "$sig" "$pid" 2>/dev/null || true
	set +e
	wait "$pid"
	status=$?
	set -e
	why=$(leftovers | tr '\n' ' ')
	case $status in
	"$want") signalled=$((signalled + 1)) ;;
	# the machine got faster: draw this state's next moments from the
	# time this build is now known to have taken at most
	0) eval "took_$state=$delay_ms" ;;
	*) why="$why status $status, not $want or 0: $(cat "$T/stderr")" ;;
	esac
	# a build that ends by the signal leaves no image; one that put
	# its image in place succeeded, whenever the signal came
	if [ -e "$T/out/pod.img" ]; then
		cmp -s "$T/out/pod.img" "$T/ref.img" || why="$why a partial image"
		[ "$status" = 0 ] || why="$why an image, yet status $status"
		rm -f "$T/out/pod.img"
	elif [ "$status" = 0 ]; then
		why="$why status 0 and no image"
	fi
	why="$why$(verify_clean)"
	check "$i: SIG$sig after ${delay_ms} ms of a $state build (status $status)" \
		"$why"
done
check "the signal ended $signalled of 20 builds" \
	"$([ "$signalled" -ge 15 ] || echo "fewer than 15: most came too late")"

TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/out/pod.img" --cache "$T/cache"
check "the last build is byte-identical to an uninterrupted one" \
	"$(cmp "$T/out/pod.img" "$T/ref.img" 2>&1 || true)"
rm -f "$T/out/pod.img"
check "and leaves nothing behind" "$(leftovers)$(verify_clean)"

# expect_refused NAME TEXT DIR ARGS...: a clear error and nothing in DIR.
expect_refused() {
	name=$1 text=$2 dir=$3
	shift 3
	set +e
	"$@" >"$T/stdout" 2>"$T/stderr"
	status=$?
	set -e
	why=""
	[ "$status" = 1 ] || why="status $status"
	grep -qF -- "$text" "$T/stderr" || why="$why, no '$text' in: $(cat "$T/stderr")"
	[ -z "$(find "$dir" -mindepth 1)" ] || why="$why, left: $(find "$dir" -mindepth 1)"
	[ -z "$(leftovers)" ] || why="$why, left: $(leftovers)"
	check "$name" "$why"
	# a build that wrongly succeeded must not fail the cases after it
	rm -f "$T/out/pod.img"
}

# Full and read-only filesystems are small tmpfs mounts (root, or root of
# the namespace entered above).
mkdir -p "$T/full" "$T/ro" "$T/fulltmp"
mount -t tmpfs -o size=4m tmpfs "$T/full"
# smaller than the initrd, which the build writes there
mount -t tmpfs -o size=64k tmpfs "$T/fulltmp"
mount -t tmpfs -o ro,size=1m tmpfs "$T/ro"
# a cache with room for its directories but not a root filesystem
mkdir -p "$T/smallcache"
mount -t tmpfs -o size=512k tmpfs "$T/smallcache"
trap 'umount "$T/full" "$T/ro" "$T/fulltmp" "$T/smallcache" 2>/dev/null
	rm -rf "$T"' EXIT
pod_file "$T/oci.json" "oci:$img:latest" debian '["true"]'
set +e
TMPDIR="$T/tmp" "$HPC" build "$T/oci.json" -o "$T/out/oci.img" \
	--cache "$T/smallcache" >"$T/stdout" 2>"$T/stderr"
status=$?
set -e
check "a full cache is a warning naming ENOSPC" "$([ "$status" = 0 ] &&
	grep -q 'cannot keep hpc-root-0 in the cache: .*No space left on device, ignoring' \
	"$T/stderr" || echo "status $status: $(grep hpc: "$T/stderr")")"
check "a full cache keeps no temporary file" "$(find "$T/smallcache" -name '.tmp-*')"
rm -f "$T/out/oci.img"
# the image is named, not the cached filesystem copied into it
expect_refused "a full output filesystem" \
	"cannot write '$T/full/.pod.img.tmp-" "$T/full" \
	env TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/full/pod.img" \
	--cache "$T/cache"
expect_refused "a full TMPDIR" "No space left on device" "$T/fulltmp" \
	env TMPDIR="$T/fulltmp" "$HPC" build -q "$T/pod.json" -o "$T/out/pod.img" \
	--cache "$T/cache"
expect_refused "a read-only output directory" "Read-only file system" "$T/ro" \
	env TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/ro/pod.img" \
	--cache "$T/cache"
# RLIMIT_FSIZE: with SIGXFSZ ignored, a write past it fails with EFBIG
expect_refused "a file size limit" "File too large" "$T/out" \
	sh -c 'trap "" XFSZ; ulimit -f 65536; exec env TMPDIR="$1" "$2" build -q \
		"$3" -o "$4" --cache "$5"' sh "$T/tmp" "$HPC" "$T/pod.json" \
	"$T/out/pod.img" "$T/cache"
expect_refused "a cache that is a file" "$T/out/cachefile" "$T/out" \
	sh -c ': >"$1/out/cachefile"; env TMPDIR="$1/tmp" "$2" build -q "$3" \
		-o "$1/out/pod.img" --cache "$1/out/cachefile/c" ||
		{ s=$?; rm "$1/out/cachefile"; exit $s; }' sh "$T" "$HPC" "$T/pod.json"

# hold_lock FILE: a writer still at work on FILE, idle for two minutes
# but holding its lock, until release_lock
hold_lock() {
	: >"$1"
	touch -d '2 minutes ago' "$1"
	flock -o "$1" sleep 60 &
	holder=$!
	for _ in $(seq 50); do
		flock -n "$1" true || break
		sleep 0.1
	done
}
release_lock() {
	pkill -P "$holder" sleep
	wait "$holder" || true
}

# SIGKILL runs no handler: the temporary image it leaves beside the
# output goes with the next build there, once idle and unlocked
: >"$T/out/.pod.img.tmp-killed"
touch -d '2 minutes ago' "$T/out/.pod.img.tmp-killed"
hold_lock "$T/out/.pod.img.tmp-running"
TMPDIR="$T/tmp" "$HPC" build "$T/pod.json" -o "$T/out/pod.img" \
	--cache "$T/cache" >"$T/stdout" 2>"$T/stderr"
check "a build removes what a killed one left beside its output" \
	"$([ ! -e "$T/out/.pod.img.tmp-killed" ] &&
	grep -qF "removed '$T/out/.pod.img.tmp-killed', left by a build that was killed" \
	"$T/stderr" || cat "$T/stderr")"
check "and leaves one whose writer holds its lock" \
	"$([ -e "$T/out/.pod.img.tmp-running" ] || echo removed)"
release_lock
rm -f "$T/out/.pod.img.tmp-running" "$T/out/pod.img"

# verify removes a blob whose bytes changed and a dead writer's leftover,
# and says so; prune --older-than keeps fresh blobs; --all frees the rest
blob=$(find "$T/cache/blobs/sha256" -type f -size +1M | head -1)
printf 'X' | dd of="$blob" bs=1 seek=100 conv=notrunc status=none
# a writer's file goes once nothing holds its lock and it has been idle
# for a minute: a fresh one stays, and so does an idle one still locked
# (its writer may be in another PID namespace, where its PID means nothing)
tmps="$T/cache/blobs/sha256/.tmp"
: >"$tmps-999999999-dead"
: >"$tmps-999999998-fresh"
touch -d '2 minutes ago' "$tmps-999999999-dead"
hold_lock "$tmps-1-locked"
# a prune that cannot look (no descriptor left) takes nothing for a
# leftover: neither the locked file nor a kept filesystem whose key it
# could not read
kept=$(find "$T/cache" -type f | wc -l)
(ulimit -n 5; "$HPC" cache prune --cache "$T/cache" >"$T/prune" 2>&1) || true
check "prune short of descriptors removes nothing" "$([ -e "$tmps-1-locked" ] &&
	[ "$(find "$T/cache" -type f | wc -l)" = "$kept" ] || cat "$T/prune")"
"$HPC" cache verify --cache "$T/cache" >"$T/verify" 2>&1 || true
check "verify leaves a fresh writer's file" "$([ -e "$tmps-999999998-fresh" ] || cat "$T/verify")"
check "verify leaves a file whose writer holds its lock" \
	"$([ -e "$tmps-1-locked" ] || cat "$T/verify")"
release_lock
rm -f "$tmps-999999998-fresh" "$tmps-1-locked"
check "verify removes a changed blob" "$(grep -qF "removed '$blob': its content is" \
	"$T/verify" || cat "$T/verify")"
check "verify removes a dead writer's file" "$(grep -qF '.tmp-999999999-dead' \
	"$T/verify" || cat "$T/verify")"
check "the changed blob is gone" "$([ ! -e "$blob" ] || echo "'$blob' is still there")"
"$HPC" cache prune --cache "$T/cache" --older-than 1 >"$T/prune" 2>&1
check "prune --older-than 1 keeps fresh blobs" "$(grep -q ' 0 files removed' \
	"$T/prune" || cat "$T/prune")"
# a number of days past any clock is no age a file has: all are kept
for days in 106751991167301 99999999999999999999; do
	"$HPC" cache prune --cache "$T/cache" --older-than "$days" \
		>"$T/prune" 2>&1
	check "prune --older-than $days keeps every file" "$(grep -q \
		' 0 files removed' "$T/prune" || cat "$T/prune")"
done
check "the builds kept a root filesystem" "$([ -n "$(find "$T/cache/rootfs" \
	-type f 2>/dev/null)" ] || echo "nothing under '$T/cache/rootfs'")"
# results kept by hpc before the XXH3 sums, and before they were summed
# by chunks: prune takes them as well
mkdir -p "$T/cache/rootfs/sha256" "$T/cache/rootfs/xxh128"
head -c 8192 /dev/urandom >"$T/cache/rootfs/sha256/$(printf '%064d' 0)"
head -c 8192 /dev/urandom >"$T/cache/rootfs/xxh128/$(printf '%032d' 0)"
# kept long ago: --all takes them as it takes all, without a word each
find "$T/cache/rootfs/xxh128c" -type f -exec touch -d '2 minutes ago' {} +
"$HPC" cache prune --cache "$T/cache" --all >"$T/prune" 2>&1
check "prune --all says no reason for each file" "$(grep 'no key names it' "$T/prune")"
check "prune --all frees the rest" "$(grep -q 'files\? kept, [1-9][0-9]* files\? removed, [0-9.]* MiB freed' \
	"$T/prune" && [ -z "$(ls -A "$T/cache/blobs/sha256")" ] || cat "$T/prune")"
check "prune --all takes the kept results too, old ones with them" "$(find "$T/cache/rootfs" \
	"$T/cache/loaders" -type f 2>/dev/null | head -3)"
set +e
"$HPC" cache prune --all --older-than 3 >/dev/null 2>&1
status=$?
set -e
check "prune --all with --older-than is a usage error" "$([ "$status" = 2 ] || echo "status $status")"

echo "interrupt: $passed passed, $failed failed"
[ "$failed" = 0 ]
