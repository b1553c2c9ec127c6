#!/bin/sh
# t-transports: images from every transport but the registry's (which
# t-registry*.sh cover) in one pod that boots: oci-archive: (plain and
# gzip), dir: (owners as found, and --owner 0:0), tar: (gzip and zstd
# booted; uncompressed, xz and bzip2 built),
# docker-archive: with several images chosen by REF, a layer.tar that is
# a symlink entry, and the Docker 25 archive that is also an OCI layout.
# A layer with bytes after its gzip stream builds, and those bytes are
# under its digest. Then bad input of each kind, two builds at once
# sharing one cache, and
# progress lines on a terminal and nowhere else.
. "$(dirname "$0")/lib.sh"

FX=$ROOT/tests/fixtures
REG=$T/reg
FAULT=$T/fault
mkdir -p "$FAULT"
: >"$FAULT/pids"
trap '"$FX/registry-stop.sh" "$FAULT"; [ ! -d "$REG" ] ||
	"$FX/registry-stop.sh" "$REG"; rm -rf "$T"' EXIT
unset REGISTRY_AUTH_FILE DOCKER_CONFIG HPC_CERTS_D
export HOME="$T/home"
mkdir -p "$HOME"

BB=$(busybox_image)
A=$T/fx
"$FX/transports-make.py" "$BB" "$A"
gzip -n -c "$A/rootfs.tar" >"$A/rootfs.tar.gz"
zstd -q -c "$A/rootfs.tar" >"$A/rootfs.tar.zst"

# The dir: tree: busybox, and what a tar of it could not say alone.
R=$A/root
mkdir -p "$R"
tar -C "$R" -xf "$A/rootfs.tar"
echo from-dir >"$R/etc/dirfile"
ln "$R/etc/dirfile" "$R/etc/dirlink"
ln -s loop2 "$R/loop1"
ln -s loop1 "$R/loop2"
ln -s /etc/passwd "$R/abslink"
mkfifo "$R/fifo"
truncate -s 8M "$R/sparse"
echo end >>"$R/sparse"
if [ "$(id -u)" = 0 ]; then
	chown 1234:5678 "$R/etc/dirfile"
	mknod "$R/null" c 1 3
fi
xattr=$(python3 -c 'import os, sys
try:
    os.setxattr(sys.argv[1], "user.hpc", b"yes")
    print(1)
except OSError:
    print(0)' "$R/etc/dirfile")
OWNER=$(stat -c %u:%g "$R/etc/dirfile")

cat >"$T/pod.json" <<POD
{
	"name": "transports",
	"resource": { "memory": 256 },
	"containers": [
		{ "name": "oa", "image": "oci-archive:$A/oci.tar.gz",
		  "command": ["sh", "-c", "echo oci-archive-gz \$(cat /www/index.html | wc -c)"] },
		{ "name": "oap", "image": "oci-archive:$A/oci.tar:latest",
		  "command": ["echo", "oci-archive-plain"] },
		{ "name": "dir", "image": "dir:$R",
		  "command": ["sh", "-c", "cat /etc/dirfile; stat -c '%u:%g %h' /etc/dirfile; readlink /loop1; readlink /abslink; [ -p /fifo ] && echo fifo; tail -c 4 /sparse"] },
		{ "name": "tgz", "image": "tar:$A/rootfs.tar.gz",
		  "command": ["echo", "tar-gzip"] },
		{ "name": "tzst", "image": "tar:$A/rootfs.tar.zst",
		  "command": ["echo", "tar-zstd"] },
		{ "name": "two", "image": "docker-archive:$A/multi.tar:example/two:2",
		  "command": ["sh", "-c", "echo multi-\$(cat /marker)"] },
		{ "name": "v25", "image": "docker-archive:$A/v25.tar",
		  "command": ["sh", "-c", "echo docker-\$(cat /marker)"] },
		{ "name": "v25o", "image": "oci-archive:$A/v25.tar:1",
		  "command": ["sh", "-c", "echo oci-\$(cat /marker)"] }
	]
}
POD

echo "== one pod from every transport, owners as found"
"$HPC" build -q "$T/pod.json" -o "$T/found.img"
check_disk "$T/found.img"
"$HPC" inspect "$T/found.img" --files dir /etc/dirfile >"$T/files"
set -- $(cat "$T/files")
[ "$4:$5" = "$OWNER" ] || fail "dir: owner $4:$5, the host says $OWNER"
[ "$9" = 2 ] || fail "dir: the hardlink is not one inode: $*"
[ "$xattr" = 0 ] || [ "$8" = user.hpc ] || fail "dir: no xattr: $*"
"$HPC" inspect "$T/found.img" --files dir / >"$T/all-files"
expect_contains "$T/all-files" "/loop1 l 0777"
expect_contains "$T/all-files" "/abslink l 0777"
expect_contains "$T/all-files" "/fifo p "
[ "$(id -u)" != 0 ] || expect_contains "$T/all-files" "/null c 0644 0 0 1,3"
# /bin/busybox keeps the owner the extracted tar gave it.
expect_contains "$T/all-files" "/bin/busybox f 0755 $(stat -c '%u %g' "$R/bin/busybox")"
# The hole stays a hole: one block of data in an 8 MiB file.
set -- $(part "$T/found.img" \
	"$("$HPC" inspect "$T/found.img" | awk '$1 == "dir:" { print $NF }')")
debugfs -R "stat /sparse" "$T/found.img?offset=$1" 2>/dev/null >"$T/stat"
expect_contains "$T/stat" "Blockcount: 8"

echo "== reading the dir: tree changes no byte of the next image"
# access times move with every read of the tree, this build's own too
find "$R" -type f -exec cat {} + >/dev/null
touch -a -d '2001-02-03 04:05:06' "$R/etc/dirfile"
"$HPC" build -q "$T/pod.json" -o "$T/again.img"
cmp "$T/found.img" "$T/again.img" || fail "dir: takes the host's atimes"

echo "== the same pod with --owner 0:0, booted"
"$HPC" build -q --owner 0:0 "$T/pod.json" -o "$T/owned.img"
check_disk "$T/owned.img"
"$HPC" inspect "$T/owned.img" --files dir /etc/dirfile >"$T/files"
set -- $(cat "$T/files")
[ "$4:$5" = 0:0 ] || fail "--owner 0:0 gave $4:$5"
status=$(boot "$T/owned.img")
[ "$status" = 0 ] || { cat "$T/all"; fail "the pod exited $status"; }
for line in "oa | oci-archive-gz " "oap | oci-archive-plain" \
	"dir | from-dir" "dir | 0:0 2" "dir | loop2" "dir | /etc/passwd" \
	"dir | fifo" "dir | end" "tgz | tar-gzip" "tzst | tar-zstd" \
	"two | multi-two" "v25 | docker-v25" "v25o | oci-v25"; do
	expect_contains "$T/out" "$line"
done

echo "== tar: uncompressed, with xz and with bzip2 gives what gzip gives"
"$HPC" inspect "$T/found.img" --files tgz >"$T/gz-files"
for z in plain xz bzip2; do
	f=$A/rootfs.tar
	[ "$z" = plain ] || { f=$f.$z; "$z" -c "$A/rootfs.tar" >"$f"; }
	pod_file "$T/$z.json" "tar:$f" tgz '["true"]'
	"$HPC" build -q "$T/$z.json" -o "$T/$z.img"
	check_disk "$T/$z.img"
	"$HPC" inspect "$T/$z.img" --files tgz >"$T/$z-files"
	cmp "$T/gz-files" "$T/$z-files" || fail "tar: $z differs"
done
expect_contains "$T/gz-files" "/bin/busybox f 0755 0 0"

echo "== an uncompressed oci-archive's layers are read in place"
pod_file "$T/inplace.json" "oci-archive:$A/v25.tar:1" inplace '["true"]'
"$HPC" build -q --cache "$T/inplace-cache" "$T/inplace.json" -o "$T/inplace.img"
check_disk "$T/inplace.img"
for f in "$T/inplace-cache/blobs/sha256/"*; do
	[ "$(head -c 1 "$f")" = "{" ] || fail "a layer was copied: $f"
done
"$HPC" inspect "$T/inplace.img" --files inplace /marker >"$T/files"
expect_contains "$T/files" "/marker f 0644 0 0 4 "
# A layer changed inside the archive is caught where it lies.
python3 -c 'import sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
with tarfile.open(src) as t:
    m = max(t.getmembers(), key=lambda m: m.size)
data[m.offset_data + 600] ^= 1
open(dst, "wb").write(data)' "$A/oci.tar" "$A/tampered.tar"

echo "== bytes after a layer's gzip stream are read past, not unverified"
pod_file "$T/trailing.json" "oci:$A/trailing" trailing '["true"]'
"$HPC" build -q "$T/trailing.json" -o "$T/trailing.img"
check_disk "$T/trailing.img"
"$HPC" inspect "$T/trailing.img" --files trailing >"$T/trailing-files"
cmp "$T/gz-files" "$T/trailing-files" || fail "trailing bytes changed the tree"
# The same layout with the last trailing byte changed fails (below).
cp -r "$A/trailing" "$A/tamp"
blob=$(ls -S "$A/tamp/blobs/sha256" | head -n 1)
printf X | dd of="$A/tamp/blobs/sha256/$blob" conv=notrunc bs=1 \
	seek=$(($(stat -c %s "$A/tamp/blobs/sha256/$blob") - 1)) 2>/dev/null

echo "== bad input: one line, exit 1, no image"
# bad IMAGE TEXT: a pod of that image fails to build, saying TEXT.
bad() {
	pod_file "$T/bad.json" "$1" bad '["true"]'
	set +e
	"$HPC" build "$T/bad.json" -o "$T/bad.img" >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	set -e
	[ "$rc" = 1 ] || { cat "$T/bad.err"; fail "$1: exit $rc, not 1"; }
	[ ! -s "$T/bad.out" ] || fail "$1: printed on stdout"
	[ "$(wc -l <"$T/bad.err")" = 1 ] ||
		{ cat "$T/bad.err"; fail "$1: not one line"; }
	expect_contains "$T/bad.err" "hpc: container 'bad': image '$1': "
	expect_contains "$T/bad.err" "$2"
	[ -z "$(ls "$T" | grep '^bad\.img')" ] || fail "$1: left an image"
}
echo "not a tar" >"$T/text.tar"
bad "tar:$T/absent.tar" "cannot open '$T/absent.tar': No such file"
bad "tar:$T/text.tar" "'$T/text.tar' is not a tar archive"
bad "tar:$A" "'$A' is not a file"
bad "oci-archive:$T/absent.tar" "cannot open '$T/absent.tar': No such file"
bad "oci-archive:$A/noindex.tar" "no index.json: not an OCI layout archive"
bad "oci-archive:$A/v25null.tar" "\"manifests\" is null"
bad "oci-archive:$A/oci.tar:nope" "no manifest tagged 'nope'"
bad "oci-archive:$A/tampered.tar" "digest mismatch (got sha256:"
# A build whose result is cached reads no layer, and so takes a layout
# whose blob was damaged; it gives what the good blob gave. A build
# without the result reads the layer and refuses it.
pod_file "$T/tamp.json" "oci:$A/tamp" trailing '["true"]'
"$HPC" build -q "$T/tamp.json" -o "$T/tamp.img"
"$HPC" inspect "$T/tamp.img" --files trailing >"$T/tamp-files"
cmp "$T/gz-files" "$T/tamp-files" || fail "the cached result differs"
rm -r "$XDG_CACHE_HOME/hpc/rootfs"
bad "oci:$A/tamp" "layer sha256:$blob: digest mismatch (got sha256:"
bad "dir:$T/absent" "cannot open directory '$T/absent': No such file"
bad "dir:$T/text.tar" "is not a directory"
bad "docker-archive:$A/multi.tar" \
	"the archive holds 2 images; name one (tags: example/one:1, example/two:2)"
bad "docker-archive:$A/multi.tar:example/three" \
	"no image tagged 'example/three' in the archive (tags: example/one:1, example/two:2)"
bad "docker-archive:$T/absent.tar" "cannot open '$T/absent.tar': No such file"
# An archive has no index: the config's platform must be the one asked.
pod_file "$T/bad.json" "docker-archive:$A/v25.tar" bad '["true"]'
set +e
"$HPC" build --platform linux/arm64 "$T/bad.json" -o "$T/bad.img" \
	2>"$T/bad.err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "docker-archive of another platform: exit $rc"
expect_contains "$T/bad.err" \
	"the image is for linux/amd64, not linux/arm64 (choose it with --platform linux/amd64)"
set +e
"$HPC" build --owner root "$T/pod.json" -o "$T/bad.img" 2>"$T/bad.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "--owner root: exit $rc"
expect_contains "$T/bad.err" "hpc: --owner: 'root' is not UID:GID"

echo "== two builds at once share one cache"
"$FX/registry-start.sh" plain "$REG"
RR=127.0.0.1:$(cat "$REG/port")
skopeo copy -q --dest-tls-verify=false "oci:$BB:latest" \
	"docker://$RR/busybox:latest"
cat >"$T/shared.json" <<POD
{
	"name": "shared",
	"containers": [
		{ "name": "reg", "image": "$RR/busybox", "command": ["true"] },
		{ "name": "oa", "image": "oci-archive:$A/oci.tar", "command": ["true"] },
		{ "name": "two", "image": "docker-archive:$A/multi.tar:example/two:2",
		  "command": ["true"] }
	]
}
POD
C=$T/shared-cache
"$HPC" build -q --cache "$C" --insecure-registry "$RR" "$T/shared.json" \
	-o "$T/s1.img" >"$T/s1" 2>&1 &
p1=$!
"$HPC" build -q --cache "$C" --insecure-registry "$RR" "$T/shared.json" \
	-o "$T/s2.img" >"$T/s2" 2>&1 &
p2=$!
wait "$p1" || { cat "$T/s1"; fail "the first of two builds at once"; }
wait "$p2" || { cat "$T/s2"; fail "the second of two builds at once"; }
cmp "$T/s1.img" "$T/s2.img" || fail "two builds at once differ"
"$FX/registry-cache-check.sh" "$C" || fail "the shared cache"
# Every blob of the three images came through the cache.
LAYER=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1] + "/index.json"))["manifests"][0]["digest"]
m = json.load(open(sys.argv[1] + "/blobs/sha256/" + d[7:]))
print(m["layers"][0]["digest"][7:])' "$BB")
[ -f "$C/blobs/sha256/$LAYER" ] || fail "busybox's layer is not cached"
n=$(ls "$C/blobs/sha256" | wc -l)
[ "$n" -ge 6 ] || fail "only $n blobs in the shared cache"

echo "== progress: on a terminal only, and not with -q"
fault_registry "$BB" "$FAULT"
FR=$fault_addr
short=layer\ 1\ sha256:$(echo "$LAYER" | cut -c1-12)
script -qec "'$HPC' pull --cache '$T/p1' --insecure-registry $FR $FR/slow" \
	/dev/null >"$T/tty" 2>&1 || { cat "$T/tty"; fail "pull on a terminal"; }
# A line with bytes so far, rate and time left, redrawn in place (the
# cursor goes up over the lines), and the finished line.
grep -aqE "$short  [0-9.]+ [KM]iB / 1007.4 KiB  [0-9.]+ [KM]?i?B/s  ETA [0-9]+s" \
	"$T/tty" || { cat -v "$T/tty"; fail "no line with rate and ETA"; }
grep -aq "$(printf '\033\\[2A')" "$T/tty" || fail "lines not redrawn in place"
grep -aqE "$short  1007.4 KiB  [0-9.]+ [KM]iB/s  in [0-9.]+s  done" "$T/tty" ||
	{ cat -v "$T/tty"; fail "no finished line"; }
"$HPC" pull --cache "$T/p2" --insecure-registry "$FR" "$FR/slow" \
	>"$T/pipe" 2>&1 || fail "pull to a pipe"
! grep -aq "$(printf '\033')" "$T/pipe" || fail "escape codes in a pipe"
! grep -aq "ETA\|KiB" "$T/pipe" || { cat "$T/pipe"; fail "progress in a pipe"; }
script -qec "'$HPC' pull -q --cache '$T/p3' --insecure-registry $FR $FR/slow" \
	/dev/null >"$T/tty" 2>&1 || fail "quiet pull on a terminal"
[ ! -s "$T/tty" ] || { cat -v "$T/tty"; fail "-q printed something"; }

echo "t-transports: ok"
