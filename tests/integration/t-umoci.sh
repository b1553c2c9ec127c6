#!/bin/sh
# A root filesystem written by hpc holds what umoci unpacks from the same
# image: every path, type, mode, owner, time, content, link target, xattr
# and hardlink. debugfs (e2fsprogs) reads our ext4; umoci applies the
# layers itself.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || fail "this test compares owners and must run as root"
list="$ROOT/tests/fixtures/list-tree.py"

compare_image() {
	layout=$1 name=$2
	pod_file "$T/$name.json" "oci:$layout:latest" "$name" '["true"]'
	"$HPC" build "$T/$name.json" -o "$T/$name.img"
	set -- $(part "$T/$name.img" hpc-root-0)
	umoci unpack --image "$layout:latest" "$T/$name.bundle" >/dev/null
	python3 "$list" dir "$T/$name.bundle/rootfs" >"$T/$name.theirs"
	python3 "$list" ext4 "$T/$name.img?offset=$1" >"$T/$name.ours"
	diff -u "$T/$name.theirs" "$T/$name.ours" >"$T/$name.diff" || {
		head -40 "$T/$name.diff"
		fail "$name: hpc's root filesystem differs from umoci's"
	}
	[ "$(wc -l <"$T/$name.ours")" -gt 100 ] || fail "$name: listing too short"
	# last: check_disk sets "name"
	check_disk "$T/$name.img"
}

compare_image "$(busybox_image)" busybox
if [ -d "$FIXTURES/debian" ] || [ "${HPC_TEST_DEBIAN:-1}" = 1 ]; then
	"$ROOT/examples/make-debian-image.sh" "$FIXTURES/debian" >/dev/null
	compare_image "$FIXTURES/debian" debian
fi
echo ok
