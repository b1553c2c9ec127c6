#!/bin/sh
# The two example pods, built and booted as a user would: hello, by the
# script `make demo` runs (a web server sidecar and a client that prints
# the page it fetched), and debian (a three-layer debootstrap image whose
# last layer deletes files).
. "$(dirname "$0")/lib.sh"

# examples/hello through examples/demo.sh itself, as `make demo` runs it
# (its busybox image in examples/images, its disk in build/demo), under
# TCG like every boot here
rm -f "$ROOT/build/demo/hello.img"
set +e
timeout 400 "$ROOT/examples/demo.sh" --accel tcg >"$T/out" 2>"$T/err"
status=$?
set -e
cat "$T/out" "$T/err" >"$T/all"
[ "$status" = 0 ] || { cat "$T/all"; fail "demo.sh: status $status, not 0"; }
expect_contains "$T/out" "fetch | <html><body><h1>hello from an hpc pod</h1></body></html>"
check_disk "$ROOT/build/demo/hello.img"

[ "$(id -u)" = 0 ] || fail "the debian example needs debootstrap, run as root"
"$ROOT/examples/make-debian-image.sh" "$FIXTURES/debian" >/dev/null
mkdir -p "$T/ex/debian" "$T/ex/images"
cp "$ROOT/examples/debian/pod.json" "$T/ex/debian/"
ln -s "$FIXTURES/debian" "$T/ex/images/debian"
"$HPC" build "$T/ex/debian/pod.json" -o "$T/debian.img"
check_disk "$T/debian.img"
status=$(boot "$T/debian.img" --timeout 200)
[ "$status" = 0 ] || { cat "$T/all"; fail "debian: status $status, not 0"; }
expect_contains "$T/out" "debian | debian 12."
expect_contains "$T/out" "debian | 42"
# the last layer whited out every document but its own
expect_contains "$T/out" "debian | README.hpc"
grep -q "debian | copyright\|debian | apt$\|debian | bash$" "$T/out" &&
	fail "debian: /usr/share/doc still holds the lower layers' files"
echo ok
