#!/bin/sh
# A pod from the busybox OCI layout, end to end: build, check the disk
# with independent tools, boot under TCG, and get the container's output
# and exit status back through hpc run.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)
pod_file "$T/pod.json" "oci:$img:latest" status \
	'["sh", "-c", "echo ip=$DVM_POD_IP host=$HOSTNAME; echo to-stderr >&2; exit 7"]'

"$HPC" build "$T/pod.json" -o "$T/p.img"
check_disk "$T/p.img"

status=$(boot "$T/p.img")
[ "$status" = 7 ] || { cat "$T/all"; fail "exit status $status, not 7"; }
expect_contains "$T/out" "status | ip=10.0.2.15 host=status"
expect_contains "$T/out" "status ! to-stderr"

# the same pod built from the docker-archive form of the image
skopeo copy -q "oci:$img:latest" "docker-archive:$T/bb.tar:busybox:latest"
pod_file "$T/pod2.json" "docker-archive:$T/bb.tar:busybox:latest" archived \
	'["sh", "-c", "echo from-archive; exit 0"]'
"$HPC" build "$T/pod2.json" -o "$T/p2.img"
check_disk "$T/p2.img"
status=$(boot "$T/p2.img")
[ "$status" = 0 ] || { cat "$T/all"; fail "exit status $status, not 0"; }
expect_contains "$T/out" "archived | from-archive"

# a layout made by another producer: umoci, from a busybox binary alone
umoci init --layout "$T/u"
umoci new --image "$T/u:latest"
umoci unpack --rootless --image "$T/u:latest" "$T/bundle" >/dev/null
mkdir -p "$T/bundle/rootfs/bin"
tar -xzf "$(ls -S "$img"/blobs/sha256/* | head -1)" -C "$T/bundle/rootfs" bin/busybox
ln -s busybox "$T/bundle/rootfs/bin/sh"
umoci repack --image "$T/u:latest" "$T/bundle"
pod_file "$T/pod3.json" "oci:$T/u:latest" umoci \
	'["sh", "-c", "echo $DVM_POD_IP; exit 7"]'
"$HPC" build "$T/pod3.json" -o "$T/p3.img"
status=$(boot "$T/p3.img")
[ "$status" = 7 ] || { cat "$T/all"; fail "umoci layout: status $status, not 7"; }
expect_contains "$T/out" "umoci | 10.0.2.15"
echo ok
