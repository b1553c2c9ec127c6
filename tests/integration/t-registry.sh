#!/bin/sh
# t-registry: stage "fetch" from a real docker-registry on 127.0.0.1,
# seeded with skopeo: plain HTTP (--insecure-registry), HTTPS with a
# private CA (certs.d) and basic auth (REGISTRY_AUTH_FILE), and bearer
# tokens from a token issuer of our own. Each pulls into the cache,
# selects platforms from an index, works offline from the cache, and
# builds a pod that boots. An image of four layers downloads them at
# once; one whose config lies about a diff_id is refused; a token that
# dies during a slow pull is replaced; no password reaches a cache, an
# image or the output.
. "$(dirname "$0")/lib.sh"

FX=$ROOT/tests/fixtures
trap 'for d in "$T"/reg-*; do "$FX/registry-stop.sh" "$d"; done; rm -rf "$T"' EXIT
unset REGISTRY_AUTH_FILE DOCKER_CONFIG HPC_CERTS_D
export HOME="$T/home"
mkdir -p "$HOME"

BB=$(busybox_image)
"$FX/registry-make-multi.py" "$BB" "$T/multi" >"$T/digests"
digest() {
	awk -v k="$1" '$1 == k { print $2 }' "$T/digests"
}
AMD=$(digest config-amd64)
ARM64=$(digest config-arm64-v8)
ARMV7=$(digest config-arm-v7)
LAYER3=$(digest layer-3)
DIFF2=$(digest diffid-2)
DIFF3=$(digest diffid-3)
LAYER=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1] + "/index.json"))["manifests"][0]["digest"]
m = json.load(open(sys.argv[1] + "/blobs/sha256/" + d[7:]))
print(m["layers"][0]["digest"])' "$BB")

# start MODE [NAME [TOKEN-LIFETIME]]: a registry in $T/reg-NAME (NAME
# is MODE unless given); sets D (its directory) and R (host:port).
start() {
	D=$T/reg-${2:-$1}
	"$FX/registry-start.sh" "$1" "$D" ${3:+"$3"}
	R=127.0.0.1:$(cat "$D/port")
}

# seed [SKOPEO-ARGS]: busybox:latest, busybox:multi (an OCI index) and
# busybox:armonly (converted to a Docker manifest list).
seed() {
	skopeo copy -q --dest-tls-verify=false "$@" "oci:$BB:latest" \
		"docker://$R/busybox:latest"
	skopeo copy -q --all --dest-tls-verify=false "$@" \
		"oci:$T/multi:multi" "docker://$R/busybox:multi"
	skopeo copy -q --all --format v2s2 --dest-tls-verify=false "$@" \
		"oci:$T/multi:armonly" "docker://$R/busybox:armonly"
}

# pull CACHE ARGS: hpc pull succeeds; its output is in $T/out, and
# added to $T/said (which the search for passwords reads).
pull() {
	c=$1
	shift
	"$HPC" pull --cache "$c" "$@" >"$T/out" 2>&1 || {
		cat "$T/out" >&2
		fail "hpc pull $*"
	}
	cat "$T/out" >>"$T/said"
	"$FX/registry-cache-check.sh" "$c" || fail "cache '$c' after pull $*"
}

# pull_fails CACHE TEXT ARGS: hpc pull fails and says TEXT.
pull_fails() {
	c=$1
	text=$2
	shift 2
	if "$HPC" pull --cache "$c" "$@" >"$T/out" 2>&1; then
		fail "hpc pull $* succeeded"
	fi
	cat "$T/out" >>"$T/said"
	expect_contains "$T/out" "$text"
	[ ! -d "$c" ] || "$FX/registry-cache-check.sh" "$c" ||
		fail "cache '$c' after pull $*"
}

# boot_pod NAME IMAGE SCRIPT LINE ARGS: a pod of IMAGE running sh -c
# SCRIPT, built with ARGS, checked and booted; it exits 3 and says LINE.
# (check_disk sets "name", so this uses "pod".)
boot_pod() {
	pod=$1 image=$2 script=$3 line=$4
	shift 4
	pod_file "$T/$pod.json" "$image" "$pod" "[\"sh\", \"-c\", \"$script\"]"
	"$HPC" build "$@" "$T/$pod.json" -o "$T/$pod.img"
	check_disk "$T/$pod.img"
	status=$(boot "$T/$pod.img" --timeout 120)
	[ "$status" = 3 ] || { cat "$T/all"; fail "$pod: exit status $status"; }
	expect_contains "$T/out" "$pod | $line"
}

# build_and_boot NAME ARGS: a pod from $R/busybox:multi, booted.
build_and_boot() {
	n=$1
	shift
	boot_pod "$n" "$R/busybox:multi" \
		"echo pulled from the registry; exit 3" \
		"pulled from the registry" "$@"
}

# most_at_once LOG LINE: the most blob downloads the registry served at
# once, from its log after line LINE (each request logs its start and
# its end, in the order they happen).
most_at_once() {
	tail -n "+$(($2 + 1))" "$1" | awk '
		!/http.request.method=GET/ || !/blobs\/sha256:/ { next }
		/msg="authorizing request"/ { n++; if (n > most) most = n }
		/msg="response completed"/ { n-- }
		END { print most + 0 }'
}

# --- plain HTTP
start plain
seed
pull_fails "$T/c0" "--insecure-registry $R allows that" "$R/busybox"
I="--insecure-registry $R"
pull "$T/c1" $I "$R/busybox"
expect_contains "$T/out" "config $AMD, 1 layer"
[ -f "$T/c1/blobs/sha256/${LAYER#sha256:}" ] || fail "layer not cached"
# The attestation listed first for linux/amd64 is skipped.
pull "$T/c1" $I "docker://$R/busybox:multi"
expect_contains "$T/out" "config $AMD, 1 layer"
pull "$T/c1" $I --platform linux/arm64 "$R/busybox:multi"
expect_contains "$T/out" "config $ARM64, 1 layer"
pull_fails "$T/c1" "no manifest for platform linux/amd64 (platforms: linux/arm64/v8, linux/arm/v7)" \
	$I "$R/busybox:armonly"
pull "$T/c1" $I --platform linux/arm/v7 "$R/busybox:armonly"
expect_contains "$T/out" "config $ARMV7, 1 layer"
pull_fails "$T/c1" "platform 'linux' is not OS/ARCH" $I --platform linux \
	"$R/busybox"
pull_fails "$T/c1" "manifest 'nope': HTTP 404" $I "$R/busybox:nope"

# Offline: what was pulled opens from the cache; what was not is named.
pull "$T/c1" --offline "$R/busybox:multi"
expect_contains "$T/out" "config $AMD, 1 layer"
pull_fails "$T/c2" "'$R/busybox:multi' was never pulled into the cache" \
	--offline "$R/busybox:multi"
cp -r "$T/c1" "$T/c3"
rm "$T/c3/blobs/sha256/${LAYER#sha256:}" "$T/c3/blobs/sha256/${AMD#sha256:}"
pull_fails "$T/c3" "lacks config $AMD, layer 1 $LAYER" --offline \
	"$R/busybox:multi"

# Two pulls into one cache at once both succeed.
"$HPC" pull -q --cache "$T/c4" $I "$R/busybox:multi" >"$T/p1" 2>&1 &
p1=$!
"$HPC" pull -q --cache "$T/c4" $I "$R/busybox:multi" >"$T/p2" 2>&1 &
p2=$!
wait "$p1" || { cat "$T/p1"; fail "the first of two pulls at once"; }
wait "$p2" || { cat "$T/p2"; fail "the second of two pulls at once"; }
"$FX/registry-cache-check.sh" "$T/c4" || fail "cache after two pulls"
grep -q "^$R/busybox:multi sha256:" "$T/c4/references" ||
	fail "no reference recorded"

# Progress: on a terminal one line a blob, nothing with -q.
script -qec "'$HPC' pull --cache '$T/c5' $I '$R/busybox'" /dev/null \
	>"$T/tty" 2>&1 || { cat "$T/tty"; fail "pull on a terminal"; }
expect_contains "$T/tty" "layer 1 $(echo "$LAYER" | cut -c1-19)"
expect_contains "$T/tty" "done"
script -qec "'$HPC' pull -q --cache '$T/c6' $I '$R/busybox'" /dev/null \
	>"$T/tty" 2>&1 || fail "quiet pull on a terminal"
[ ! -s "$T/tty" ] || { cat "$T/tty"; fail "-q printed something"; }

# Four layers: they download side by side (the registry's log has two
# or more served at once), and apply in order (the last removes
# /layered/one).
skopeo copy -q --dest-tls-verify=false "oci:$T/multi:layered" \
	"docker://$R/busybox:layered"
from=$(wc -l <"$D/registry.log")
pull "$T/c8" $I "$R/busybox:layered"
expect_contains "$T/out" "4 layers"
at_once=$(most_at_once "$D/registry.log" "$from")
[ "$at_once" -ge 2 ] || fail "the layers came one at a time ($at_once)"
boot_pod layered "$R/busybox:layered" \
	'echo $(ls /layered) $(wc -c </layered/two); exit 3' \
	"three two 1048576" --cache "$T/c8" --offline
# Every blob matches its digest, but the config names the wrong
# uncompressed digest for layer 3: the build names the layer and both.
skopeo copy -q --dest-tls-verify=false "oci:$T/multi:baddiff" \
	"docker://$R/busybox:baddiff"
pod_file "$T/baddiff.json" "$R/busybox:baddiff" baddiff '["true"]'
expect_failure 1 "layer 3 ($LAYER3): uncompressed digest mismatch (got $DIFF3, the config's diff_id is $DIFF2)" \
	build --cache "$T/c9" $I "$T/baddiff.json" -o "$T/out.img"
"$FX/registry-cache-check.sh" "$T/c9" || fail "cache after a bad diff_id"

build_and_boot plain --cache "$T/c7" $I
# Its root filesystem is the one the OCI layout of the same image makes.
pod_file "$T/oci.json" "oci:$BB:latest" plain '["true"]'
"$HPC" build --cache "$T/c7" "$T/oci.json" -o "$T/oci.img"
set -- $(part "$T/plain.img" hpc-root-0) $(part "$T/oci.img" hpc-root-0)
[ "$2" = "$4" ] && cmp -s -n "$2" -i "$1:$3" "$T/plain.img" "$T/oci.img" ||
	fail "the root filesystems from the registry and the layout differ"
# Offline builds need no registry at all.
"$FX/registry-stop.sh" "$D"
build_and_boot offline --cache "$T/c7" --offline

# --- HTTPS with a private CA and basic auth
start tls
seed --dest-creds "hpc:$(cat "$D/password")"
pull_fails "$T/t0" "certificate" "$R/busybox"
export HPC_CERTS_D="$D/certs.d"
pull_fails "$T/t0" "asks for a user name and password" "$R/busybox"
export REGISTRY_AUTH_FILE="$D/auth.json"
pull "$T/t1" "$R/busybox:multi"
expect_contains "$T/out" "config $AMD, 1 layer"
# --insecure-registry also stands in for the CA (unverified TLS).
(
	HPC_CERTS_D=$T/none
	export HPC_CERTS_D
	pull "$T/t2" $I --insecure-registry "$R" "$R/busybox"
) || exit 1
build_and_boot tls --cache "$T/t3"
unset REGISTRY_AUTH_FILE HPC_CERTS_D

# --- bearer tokens from our own issuer, which wants the same basic auth
start token
seed --dest-creds "hpc:$(cat "$D/password")"
export HPC_CERTS_D="$D/certs.d"
pull_fails "$T/k0" "refused anonymous access" "$R/busybox"
# Credentials through DOCKER_CONFIG this time.
mkdir -p "$T/dc"
cp "$D/auth.json" "$T/dc/config.json"
export DOCKER_CONFIG="$T/dc"
pull "$T/k1" "$R/busybox:multi"
expect_contains "$T/out" "config $AMD, 1 layer"
expect_contains "$D/token.log" "/token auth=Basic"
build_and_boot token --cache "$T/k2"
unset DOCKER_CONFIG HPC_CERTS_D

# --- a token that dies during a pull: the registry (the plain one's
# storage, with token auth) is reached through a proxy that makes each
# 1 MiB layer take three seconds or more, and each token lasts two.
mkdir -p "$T/reg-expiry"
cp -a "$T/reg-plain/storage" "$T/reg-expiry/storage"
start token expiry 2
/usr/bin/python3 "$FX/slow-proxy.py" "$(cat "$D/port")" "$D/proxy-port" &
echo $! >>"$D/pids"
wait_file "$D/proxy-port" "the slow proxy"
P=127.0.0.1:$(cat "$D/proxy-port")
mkdir -p "$D/certs.d/$P"
cp "$D/ca.crt" "$D/certs.d/$P/ca.crt"
sed "s/127\.0\.0\.1:[0-9]*/$P/" "$D/auth.json" >"$D/proxy-auth.json"
export HPC_CERTS_D="$D/certs.d" REGISTRY_AUTH_FILE="$D/proxy-auth.json"
pull "$T/e1" "$P/busybox:layered"
expect_contains "$T/out" "4 layers"
grep -q "invalid token" "$D/registry.log" ||
	fail "no token expired during the pull"
tokens=$(grep -c "^token: /token auth=Basic" "$D/token.log" || true)
[ "$tokens" -ge 2 ] || fail "one token for a pull that outlived it"
unset HPC_CERTS_D REGISTRY_AUTH_FILE

# No password reached a cache, an image or what hpc pull printed.
for pw in "$T"/reg-*/password; do
	if grep -rlF --exclude-dir='reg-*' --exclude=leaks "$(cat "$pw")" \
		"$T" >"$T/leaks"; then
		cat "$T/leaks" >&2
		fail "the password of $(dirname "$pw") leaked"
	fi
done
ls "$T"/*.img >"$T/images"
for img in tls token layered; do
	grep -q "/$img.img\$" "$T/images" || fail "$img.img was not searched"
done
echo ok
