#!/bin/sh
# demo.sh: make the busybox example image, compile examples/hello into a
# disk image and boot it. The pod's "fetch" container prints the page the
# "web" container serves; the demo exits with the pod's status.
#
#   examples/demo.sh [HPC-RUN-OPTION...]
#
# Options go to `hpc run` (the tests pass `--accel tcg`, as every boot
# test does, so the demo never trusts this host's KVM probe).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/build/demo"
mkdir -p "$OUT"

echo "demo: making the busybox image from Debian's busybox-static"
"$ROOT/examples/make-busybox-image.sh" "$ROOT/examples/images/busybox"

echo "demo: hpc build examples/hello/pod.json -o build/demo/hello.img"
"$ROOT/bin/hpc" build "$ROOT/examples/hello/pod.json" -o "$OUT/hello.img"

echo "demo: hpc run build/demo/hello.img"
exec "$ROOT/bin/hpc" run --timeout 300 "$@" "$OUT/hello.img"
