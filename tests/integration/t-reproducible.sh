#!/bin/sh
# The same inputs give a byte-identical image, whatever the working
# directory, cache, umask, time zone or clock.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)
pod_file "$T/pod.json" "oci:$img:latest" repro '["echo", "hi"]'

mkdir "$T/a" "$T/b"
(cd "$T/a" && umask 022 && TZ=UTC XDG_CACHE_HOME="$T/c1" \
	"$HPC" build "$T/pod.json" -o "$T/a/p.img")
sleep 1
(cd "$T/b" && umask 077 && TZ=Asia/Tokyo XDG_CACHE_HOME="$T/c2" \
	"$HPC" build "$T/pod.json" -o "$T/b/p.img" --cache "$T/c3")
cmp "$T/a/p.img" "$T/b/p.img" || fail "two builds of one pod differ"
echo ok
