#!/bin/sh
# t-image: image_open (stage "fetch") against OCI layouts made by hand,
# the same image exported by skopeo to a docker-archive, the other docker
# save shapes, and broken copies of each. A small driver (image-dump.c)
# prints what image_open returns; this script checks it line by line.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hpc-t-image.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
FX=$T/fx
DUMP=$T/image-dump
fails=0
n=0

make -s -C "$ROOT" build/libhpc.a
# shellcheck disable=SC2046
cc -D_GNU_SOURCE -std=gnu11 -I"$ROOT/compiler" -o "$DUMP" \
	"$ROOT/tests/integration/image-dump.c" "$ROOT/build/libhpc.a" \
	$(pkg-config --cflags --libs libarchive libisal libcjson libcurl libcrypto) -lpthread
"$ROOT/tests/fixtures/image-make.sh" "$FX"
. "$FX/expect"

fail() {
	echo "FAIL: $*"
	sed 's/^/    /' "$T/out"
	fails=$((fails + 1))
}

# ok ARGS: image_open succeeds, each case with a fresh cache in $cache.
ok() {
	n=$((n + 1))
	cache=$T/cache.$n
	what="$*"
	"$DUMP" -c "$cache" "$@" >"$T/out" 2>&1 || fail "$what"
}

# err TEXT ARGS: image_open fails, and its message holds TEXT.
err() {
	text=$1
	shift
	n=$((n + 1))
	cache=$T/cache.$n
	if "$DUMP" -c "$cache" "$@" >"$T/out" 2>&1; then
		fail "$* succeeded"
	elif ! grep -qF -- "$text" "$T/out"; then
		fail "$*: no '$text'"
	fi
}

# has LINE: the last output holds exactly this line.
has() {
	grep -qxF -- "$1" "$T/out" || fail "$what: no line '$1'"
}

size() {
	stat -c %s "$1"
}

process_fields() {
	has "config sha256:$CONFIG"
	has "env [PATH=/usr/bin:/bin] [GREETING=hi there]"
	has "entrypoint [/bin/run.sh]"
	has "cmd [--loud]"
	has "workdir /srv"
	has "user 1000:1000"
	has "stopsignal SIGQUIT"
	has "layers 2"
}

oci_layers() {
	b=$FX/oci/$1/blobs/sha256
	has "layer sha256:$L1GZ $(size "$b/$L1GZ") $2 $b/$L1GZ"
	has "layer sha256:$L2 $(size "$b/$L2") $3 $b/$L2"
}

# The blobs a docker-archive case copied into its cache.
cached() {
	has "layer sha256:$1 $(size "$cache/blobs/sha256/$1") $2 $cache/blobs/sha256/$1"
}

OCI_TAR=application/vnd.oci.image.layer.v1.tar
D_TAR=application/vnd.docker.image.rootfs.diff.tar

# --- OCI layouts
ok "oci:$FX/oci/simple:1.0"
process_fields
oci_layers simple "$OCI_TAR+gzip" $OCI_TAR
ok "oci:$FX/oci/simple:edge"
process_fields
ok "oci:$FX/oci/simple:docker"
process_fields
oci_layers simple "$D_TAR.gzip" "$D_TAR"
ok "oci:$FX/oci/single"
process_fields
oci_layers single "$OCI_TAR+gzip" $OCI_TAR
err "image 'oci:$FX/oci/simple': no manifest tagged 'latest' (tags: 1.0, edge, docker)" \
	"oci:$FX/oci/simple"
err "no manifest tagged 'nope' (tags: 1.0, edge, docker)" \
	"oci:$FX/oci/simple:nope"

# Platforms: amd64 by default, the attestation never chosen.
ok "oci:$FX/oci/multi"
process_fields
oci_layers multi "$OCI_TAR+gzip" $OCI_TAR
ok -p linux/arm64 "oci:$FX/oci/multi:latest"
has "config sha256:$ARMCONFIG"
has "cmd [arm]"
has "layers 1"
err "no manifest for platform linux/s390x (platforms: linux/arm64/v8, linux/amd64)" \
	-p linux/s390x "oci:$FX/oci/multi"

err "Docker schema 1 manifests are not supported" "oci:$FX/oci/schema1:old"
err "digest algorithm 'sha512' is not supported" "oci:$FX/oci/sha512"
err "lists 1 diff_ids for 2 layers" "oci:$FX/oci/count"
err "not a container image (config media type 'application/vnd.cncf.helm.config.v1+json')" \
	"oci:$FX/oci/artifact"
err "image 'oci:$FX/oci/tampered:1.0': layer sha256:$L1GZ: digest mismatch (got sha256:" \
	"oci:$FX/oci/tampered:1.0"
err "layer sha256:$L1GZ: blob '$FX/oci/missing/blobs/sha256/$L1GZ': No such file or directory" \
	"oci:$FX/oci/missing:1.0"
err "layer sha256:$L1GZ: size mismatch ('$FX/oci/truncated/blobs/sha256/$L1GZ' has 50 bytes, expected $(size "$FX/oci/simple/blobs/sha256/$L1GZ"))" \
	"oci:$FX/oci/truncated:1.0"
err "'$FX/oci/badindex/index.json': manifest is not valid JSON" \
	"oci:$FX/oci/badindex:1.0"
err "cannot open '$FX/da/oci-layout'" "oci:$FX/da"
# A name without a transport is a registry reference (t-registry*.sh).
err "image 'Busybox:latest': invalid repository name 'library/Busybox'" \
	Busybox:latest
err "cannot open '$FX/x.tar': No such file or directory" "oci-archive:$FX/x.tar"

# --- docker-archive: skopeo's export of the same image
DA=docker-archive:$FX/da
ok "$DA/skopeo.tar"
process_fields
cached "$L1" "$D_TAR"
cached "$L2" "$D_TAR"
test -f "$cache/blobs/sha256/$CONFIG" || fail "config not cached"
ok "$DA/skopeo.tar:example/app:1.0"
process_fields
ok "$DA/skopeo.tar:docker.io/example/app:1.0"
process_fields
err "no image tagged 'example/app' in the archive (tags: docker.io/example/app:1.0)" \
	"$DA/skopeo.tar:example/app"

# Two images; a layer.tar that is a symlink entry to another.
err "the archive holds 2 images; name one (tags: example/base:1, example/app:2, example/app:latest)" \
	"$DA/legacy-link.tar"
ok "$DA/legacy-link.tar:example/app"
process_fields
cached "$L1" "$D_TAR"
cached "$L2" "$D_TAR"
ok "$DA/legacy-link.tar:index.docker.io/example/app:2"
process_fields
ok "$DA/legacy-link.tar:@0"
has "config sha256:$C1"
has "layers 1"
cached "$L1" "$D_TAR"
err "no image '@2' in the archive (it holds 2)" "$DA/legacy-link.tar:@2"

ok "$DA/v25.tar"
process_fields
cached "$L1" "$D_TAR"
cached "$L2" "$D_TAR"

# Compressed layers: one vouched for by its name, one by its diff_id.
ok "$DA/gz.tar"
process_fields
cached "$L1GZ" "$D_TAR.gzip"
cached "$G2" "$D_TAR.gzip"

err "manifest.json is null" "$DA/null.tar"
err "no manifest.json: archives saved by Docker before 1.10 are not supported" \
	"$DA/old.tar"
err "layer 1: 'bbbb/layer.tar' is not in the archive" "$DA/missing.tar"
err "layer 1 ('bbbb/layer.tar'): digest mismatch (got sha256:" \
	"$DA/tampered.tar"
grep -qF "the config's diff_id is sha256:$L2)" "$T/out" || fail "diff_id"
# A blob that failed verification is nowhere in the cache.
ls "$cache/blobs/sha256" >"$T/ls"
[ "$(wc -l <"$T/ls")" -eq 2 ] || fail "tampered left $(cat "$T/ls")"
err "layer 1 ('bbbb/layer.tar'): uncompressed digest mismatch" \
	"$DA/gzbad.tar"
err "config ('$L1.json'): digest mismatch (got sha256:$CONFIG, its name says sha256:$L1)" \
	"$DA/badname.tar"
err "cannot read '$FX/da/truncated.tar': Truncated" "$DA/truncated.tar"
err "cannot open '$FX/da/absent.tar': No such file or directory" "$DA/absent.tar"

# --- the cache: reused, shared by concurrent builds, no temp files left
ok "$DA/skopeo.tar"
before=$(stat -c %i "$cache/blobs/sha256/$L1")
"$DUMP" -c "$cache" "$DA/skopeo.tar" >"$T/out" 2>&1 || fail "reuse"
[ "$(stat -c %i "$cache/blobs/sha256/$L1")" = "$before" ] ||
	fail "a cached blob was written again"
shared=$T/shared
pids=""
for i in 1 2 3 4; do
	"$DUMP" -c "$shared" "$DA/legacy-link.tar:example/app" \
		>"$T/par.$i" 2>&1 &
	pids="$pids $!"
done
i=0
for p in $pids; do
	i=$((i + 1))
	# the output file is the child's to create: read it once it ended
	st=0
	wait "$p" || st=$?
	cp "$T/par.$i" "$T/out"
	[ "$st" -eq 0 ] || fail "concurrent build $i"
	grep -qF "layer sha256:$L2" "$T/par.$i" || fail "concurrent build $i"
done
for f in "$shared"/blobs/sha256/*; do
	[ "sha256:$(sha256sum <"$f" | cut -c1-64)" = "sha256:${f##*/}" ] ||
		fail "'$f' does not hash to its name"
done
leftover=$(find "$T" -name '.tmp-*' | wc -l)
[ "$leftover" -eq 0 ] || fail "$leftover temporary files left in caches"

if [ "$fails" -ne 0 ]; then
	echo "t-image: $fails failures"
	exit 1
fi
echo "t-image: ok ($n cases)"
