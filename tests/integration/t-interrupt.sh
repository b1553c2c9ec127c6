#!/bin/sh
# Interruption and full disks. A build of a three-layer busybox image
# from a docker-archive (so its blobs are copied into the cache) is
# killed with SIGINT or SIGTERM at 20 random moments; after each, no
# temporary file is left in the output directory, TMPDIR or the cache,
# and any image that did appear is whole. Then "hpc cache verify" finds
# nothing to remove and a last build is byte-identical to one that was
# never interrupted. A full output filesystem (ENOSPC, a small tmpfs), a
# file size limit (EFBIG), a full TMPDIR and a read-only output
# directory each give a clear error and leave nothing; a full cache
# is a warning that names ENOSPC.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)
export SOURCE_DATE_EPOCH=1700000000
mkdir -p "$T/l2/opt/data" "$T/l3/etc" "$T/out" "$T/tmp"
# layer 2: 24 MiB that does not compress, so the copy takes a while
python3 -c '
import hashlib, sys
b = hashlib.sha256(b"hpc").digest()
with open(sys.argv[1], "wb") as f:
    for _ in range(24 * 32768):
        b = hashlib.sha256(b).digest()
        f.write(b)' "$T/l2/opt/data/noise"
echo interrupted >"$T/l3/etc/motd"
python3 "$ROOT/examples/oci-layout.py" tar-tree --mtime 0 "$T/l2" "$T/l2.tar"
python3 "$ROOT/examples/oci-layout.py" tar-tree --mtime 0 "$T/l3" "$T/l3.tar"
manifest=$(python3 -c 'import json,sys
print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:])' "$img")
base=$(python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["layers"][0]["digest"][7:])' \
	"$img/blobs/sha256/$manifest")
gzip -dc "$img/blobs/sha256/$base" >"$T/l1.tar"
echo '{"config": {"Cmd": ["/bin/sh"]}}' >"$T/config.json"
python3 "$ROOT/examples/oci-layout.py" write "$T/multi" --config "$T/config.json" \
	--layer "$T/l1.tar" --layer "$T/l2.tar" --layer "$T/l3.tar" --level 1 >/dev/null
skopeo copy -q "oci:$T/multi:latest" "docker-archive:$T/multi.tar:multi:1"
pod_file "$T/pod.json" "docker-archive:$T/multi.tar" multi '["true"]'

# the reference: one uninterrupted build with a cache of its own
TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/ref.img" --cache "$T/refcache"
start=$(date +%s%N)
TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/ref2.img" --cache "$T/refcache2"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cmp "$T/ref.img" "$T/ref2.img" || fail "two uninterrupted builds differ"
rm -rf "$T/ref2.img" "$T/refcache" "$T/refcache2"
echo "an uninterrupted build takes ${took_ms} ms"

leftovers() {
	find "$T/out" "$T/tmp" -mindepth 1 -name '*tmp*'
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

# 20 random moments, from the start to a little past a whole build
i=0
while [ "$i" -lt 20 ]; do
	i=$((i + 1))
	sig=INT
	[ $((i % 2)) = 0 ] && sig=TERM
	delay_ms=$(python3 -c "import random; print(random.randint(0, $took_ms * 11 // 10))")
	TMPDIR="$T/tmp" env --default-signal=INT,TERM "$HPC" build -q \
		"$T/pod.json" -o "$T/out/pod.img" --cache "$T/cache" \
		>"$T/stdout" 2>"$T/stderr" &
	pid=$!
	sleep "$(python3 -c "print($delay_ms / 1000)")"
	kill -s "$sig" "$pid" 2>/dev/null || true
	set +e
	wait "$pid"
	status=$?
	set -e
	why=$(leftovers | tr '\n' ' ')
	if [ -e "$T/out/pod.img" ]; then
		cmp -s "$T/out/pod.img" "$T/ref.img" || why="$why a partial image"
		rm -f "$T/out/pod.img"
	fi
	check "SIG$sig after ${delay_ms} ms (status $status)" "$why"
done

TMPDIR="$T/tmp" "$HPC" cache verify --cache "$T/cache" >"$T/verify" 2>&1 ||
	fail "cache verify: $(cat "$T/verify")"
cat "$T/verify"
check "cache verify removed nothing" \
	"$(grep -v '0 files removed' "$T/verify" || true)"
TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/out/pod.img" --cache "$T/cache"
check "the last build is byte-identical to an uninterrupted one" \
	"$(cmp "$T/out/pod.img" "$T/ref.img" 2>&1 || true)"
rm -f "$T/out/pod.img"

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

# Full and read-only filesystems are small tmpfs mounts, which need root.
if [ "$(id -u)" = 0 ]; then
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
	pod_file "$T/bb.json" "oci:$img" bb '["true"]'
	set +e
	TMPDIR="$T/tmp" "$HPC" build "$T/bb.json" -o "$T/out/bb.img" \
		--cache "$T/smallcache" >"$T/stdout" 2>"$T/stderr"
	status=$?
	set -e
	check "a full cache is a warning naming ENOSPC" "$([ "$status" = 0 ] &&
		grep -q 'cannot keep hpc-root-0 in the cache: .*No space left on device, ignoring' \
		"$T/stderr" || echo "status $status: $(grep hpc: "$T/stderr")")"
	check "a full cache keeps no temporary file" "$(find "$T/smallcache" -name '.tmp-*')"
	rm -f "$T/out/bb.img"
	expect_refused "a full output filesystem" "No space left on device" "$T/full" \
		env TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/full/pod.img" \
		--cache "$T/cache"
	expect_refused "a full TMPDIR" "No space left on device" "$T/fulltmp" \
		env TMPDIR="$T/fulltmp" "$HPC" build -q "$T/pod.json" -o "$T/out/pod.img" \
		--cache "$T/cache"
	expect_refused "a read-only output directory" "Read-only file system" "$T/ro" \
		env TMPDIR="$T/tmp" "$HPC" build -q "$T/pod.json" -o "$T/ro/pod.img" \
		--cache "$T/cache"
else
	echo "note: not root, so no tmpfs: the ENOSPC and read-only cases did not run"
fi
# RLIMIT_FSIZE: with SIGXFSZ ignored, a write past it fails with EFBIG
expect_refused "a file size limit" "File too large" "$T/out" \
	sh -c 'trap "" XFSZ; ulimit -f 65536; exec env TMPDIR="$1" "$2" build -q \
		"$3" -o "$4" --cache "$5"' sh "$T/tmp" "$HPC" "$T/pod.json" \
	"$T/out/pod.img" "$T/cache"
expect_refused "a cache that is a file" "$T/out/cachefile" "$T/out" \
	sh -c ': >"$1/out/cachefile"; env TMPDIR="$1/tmp" "$2" build -q "$3" \
		-o "$1/out/pod.img" --cache "$1/out/cachefile/c" ||
		{ s=$?; rm "$1/out/cachefile"; exit $s; }' sh "$T" "$HPC" "$T/pod.json"

# verify removes a blob whose bytes changed and a dead writer's leftover,
# and says so; prune --older-than keeps fresh blobs; --all frees the rest
blob=$(find "$T/cache/blobs/sha256" -type f -size +1M | head -1)
printf 'X' | dd of="$blob" bs=1 seek=100 conv=notrunc status=none
: >"$T/cache/blobs/sha256/.tmp-999999999-dead"
"$HPC" cache verify --cache "$T/cache" >"$T/verify" 2>&1 || true
check "verify removes a changed blob" "$(grep -qF "removed '$blob': its content is" \
	"$T/verify" || cat "$T/verify")"
check "verify removes a dead writer's file" "$(grep -qF '.tmp-999999999-dead' \
	"$T/verify" || cat "$T/verify")"
check "the changed blob is gone" "$([ ! -e "$blob" ] || echo "'$blob' is still there")"
"$HPC" cache prune --cache "$T/cache" --older-than 1 >"$T/prune" 2>&1
check "prune --older-than 1 keeps fresh blobs" "$(grep -q ' 0 files removed' \
	"$T/prune" || cat "$T/prune")"
check "the builds kept a root filesystem" "$([ -n "$(find "$T/cache/rootfs" \
	-type f 2>/dev/null)" ] || echo "nothing under '$T/cache/rootfs'")"
"$HPC" cache prune --cache "$T/cache" --all >"$T/prune" 2>&1
check "prune --all frees the rest" "$(grep -q 'blobs kept, [1-9][0-9]* files removed, [0-9.]* MiB freed' \
	"$T/prune" && [ -z "$(ls -A "$T/cache/blobs/sha256")" ] || cat "$T/prune")"
check "prune --all takes the kept results too" "$(find "$T/cache/rootfs" \
	"$T/cache/loaders" -type f 2>/dev/null | head -3)"
set +e
"$HPC" cache prune --all --older-than 3 >/dev/null 2>&1
status=$?
set -e
check "prune --all with --older-than is a usage error" "$([ "$status" = 2 ] || echo "status $status")"

echo "interrupt: $passed passed, $failed failed"
[ "$failed" = 0 ]
