#!/bin/sh
# asan-build.sh HPC: one "hpc build" of a small pod (the busybox example
# image) with HPC, the binary "make asan" built with AddressSanitizer and
# UndefinedBehaviorSanitizer; any report fails it. The image must pass
# sgdisk and e2fsck like any other.
set -eu
HPC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)
pod_file "$T/pod.json" "oci:$img:latest" asan '["true"]'
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$HPC" build -q "$T/pod.json" -o "$T/pod.img" 2>"$T/asan.log" || {
	cat "$T/asan.log" >&2
	fail "the sanitized build failed"
}
! grep -q "Sanitizer" "$T/asan.log" || { cat "$T/asan.log" >&2; fail "a sanitizer report"; }
check_disk "$T/pod.img"
echo "asan-build: 1 passed, 0 failed"
