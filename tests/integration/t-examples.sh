#!/bin/sh
# The two example pods, built and booted as a user would: hello (a web
# server sidecar and a client that prints the page it fetched) and debian
# (a three-layer debootstrap image whose last layer deletes files).
. "$(dirname "$0")/lib.sh"

# examples/hello: its pod names ../images/busybox, so lay a copy out
mkdir -p "$T/ex/hello" "$T/ex/images"
cp "$ROOT/examples/hello/pod.json" "$T/ex/hello/"
ln -s "$(busybox_image)" "$T/ex/images/busybox"
"$HPC" build "$T/ex/hello/pod.json" -o "$T/hello.img"
check_disk "$T/hello.img"
status=$(boot "$T/hello.img" --timeout 200)
[ "$status" = 0 ] || { cat "$T/all"; fail "hello: status $status, not 0"; }
expect_contains "$T/out" "fetch | <html><body><h1>hello from an hpc pod</h1></body></html>"

[ "$(id -u)" = 0 ] || fail "the debian example needs debootstrap, run as root"
"$ROOT/examples/make-debian-image.sh" "$FIXTURES/debian" >/dev/null
mkdir -p "$T/ex/debian"
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
