#!/bin/sh
# t-registry-faults: stage "fetch" against a registry that misbehaves on
# purpose (tests/fixtures/registry-fault.py, on 127.0.0.1): server errors
# and rate limits that pass, truncated and corrupt blobs, a lying
# Docker-Content-Digest, a redirect to storage that must not see the
# token, a challenge with a comma in its quoted scope, schema 1, and a
# manifest list without our platform. Every pull ends with a correct
# image or a clear error, and the cache never holds a bad blob.
. "$(dirname "$0")/lib.sh"

FX=$ROOT/tests/fixtures
D=$T/fault
mkdir -p "$D"
trap '"$FX/registry-stop.sh" "$D"; rm -rf "$T"' EXIT
unset REGISTRY_AUTH_FILE DOCKER_CONFIG HPC_CERTS_D
export HOME="$T/home"
mkdir -p "$HOME"

BB=$(busybox_image)
"$FX/registry-make-multi.py" "$BB" "$T/multi" >"$T/digests"
AMD=$(awk '$1 == "config-amd64" { print $2 }' "$T/digests")
LAYER=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1] + "/index.json"))["manifests"][0]["digest"]
m = json.load(open(sys.argv[1] + "/blobs/sha256/" + d[7:]))
print(m["layers"][0]["digest"])' "$BB")

fault_registry "$T/multi" "$D"
R=$fault_addr
n=0

# ok REPO[:TAG] [ARGS]: the pull succeeds with the amd64 busybox image.
ok() {
	n=$((n + 1))
	ref=$1
	shift
	"$HPC" pull --cache "$T/c$n" --insecure-registry "$R" "$@" \
		"$R/$ref" >"$T/out" 2>&1 || { cat "$T/out"; fail "pull $ref"; }
	expect_contains "$T/out" "config $AMD, 1 layer"
	[ -f "$T/c$n/blobs/sha256/${LAYER#sha256:}" ] ||
		fail "$ref: the layer is not in the cache"
	"$FX/registry-cache-check.sh" "$T/c$n" || fail "$ref: bad cache"
}

# fails REPO TEXT: the pull fails saying TEXT, and caches no bad blob.
fails() {
	n=$((n + 1))
	if "$HPC" pull --cache "$T/c$n" --insecure-registry "$R" \
		"$R/$1" >"$T/out" 2>&1; then
		fail "pull $1 succeeded"
	fi
	expect_contains "$T/out" "$2"
	"$FX/registry-cache-check.sh" "$T/c$n" || fail "$1: bad cache"
}

# requests WHO PATH-PART: how many requests of the log match.
requests() {
	grep -c "^$1 GET [^ ]*$2" "$D/log" || true
}

ok ok
ok ok:nested

ok flaky
[ "$(requests registry "/v2/flaky/blobs/$LAYER auth=none 500")" = 1 ] ||
	fail "flaky: no 500 first"
[ "$(requests registry "/v2/flaky/blobs/$LAYER auth=none 200")" = 1 ] ||
	fail "flaky: no 200 after the 500"

start=$(date +%s)
ok busy
[ $(($(date +%s) - start)) -ge 1 ] || fail "busy: Retry-After not honoured"

ok truncated
[ "$(requests registry "/v2/truncated/blobs/$LAYER auth=none 200-truncated")" = 1 ] ||
	fail "truncated: the blob was not cut short once"

fails alwaystrunc "download (4 tries)"
[ ! -e "$T/c$n/blobs/sha256/${LAYER#sha256:}" ] ||
	fail "alwaystrunc: a short blob reached the cache"

ok lying

fails corrupt "layer 1 ($LAYER): digest mismatch (got sha256:"
[ ! -e "$T/c$n/blobs/sha256/${LAYER#sha256:}" ] ||
	fail "corrupt: the corrupt layer reached the cache"

# The token goes to the registry, never to the storage it redirects to;
# the issuer refuses any scope but the whole quoted one.
ok redirect
[ "$(requests registry "/token?service=fault&scope=repository%3Aredirect%3Apull%2Cpush auth=none 200")" = 1 ] ||
	fail "redirect: no token for the whole quoted scope"
[ "$(requests registry "/v2/redirect/blobs/$LAYER auth=Bearer 307")" -ge 1 ] ||
	fail "redirect: the registry saw no token"
[ "$(requests storage "/blobs/$LAYER auth=none 200")" = 1 ] ||
	fail "redirect: storage did not serve the layer"
if grep -q "^storage .* auth=Bearer" "$D/log"; then
	fail "redirect: the token reached the storage host"
fi

fails schema1 "Docker schema 1 manifests are not supported"
fails nolinux "no manifest for platform linux/amd64 (platforms: linux/arm64/v8, windows/amd64)"
echo ok
