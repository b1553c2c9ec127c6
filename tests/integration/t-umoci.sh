#!/bin/sh
# A root filesystem written by hpc holds what umoci unpacks from the same
# image: every path, type, mode, owner, size, content and link target.
# debugfs (e2fsprogs) reads our ext4; umoci applies the layers itself.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || fail "this test compares owners and must run as root"

compare_image() {
	layout=$1 name=$2
	pod_file "$T/$name.json" "oci:$layout:latest" "$name" '["true"]'
	"$HPC" build "$T/$name.json" -o "$T/$name.img"
	set -- $(part "$T/$name.img" hpc-root-0)
	dd if="$T/$name.img" of="$T/$name.ext4" bs=1M \
		skip=$(($1 / 1048576)) count=$(($2 / 1048576)) status=none
	mkdir "$T/$name.ours"
	debugfs -R "rdump / $T/$name.ours" "$T/$name.ext4" >/dev/null 2>&1
	umoci unpack --image "$layout:latest" "$T/$name.bundle" >/dev/null
	# debugfs's rdump puts the root directory's content in a folder
	# named after it; lost+found is ext4's own
	rm -rf "$T/$name.ours/lost+found"
	python3 "$ROOT/tests/integration/treecmp.py" "$T/$name.bundle/rootfs" \
		"$T/$name.ours" || fail "$name: trees differ"
}

compare_image "$(busybox_image)" busybox
if [ -d "$FIXTURES/debian" ] || [ "${HPC_TEST_DEBIAN:-1}" = 1 ]; then
	"$ROOT/examples/make-debian-image.sh" "$FIXTURES/debian" >/dev/null
	compare_image "$FIXTURES/debian" debian
fi
echo ok
