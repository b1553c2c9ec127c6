#!/bin/sh
# asan-build.sh HPC: "hpc build" of small pods with HPC, the binary "make
# asan" built with AddressSanitizer and UndefinedBehaviorSanitizer, the
# leak checker on: the busybox example image; a dir: image (never kept
# in the result cache); pod files and volumes of each kind; and a file
# whose owner the image does not list, which must fail. Any sanitizer
# report fails it. The images must pass sgdisk and e2fsck like any other.
set -eu
asan=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.sh"
# after lib.sh, which points HPC at bin/hpc
HPC=$asan

img=$(busybox_image)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
passed=0

# sanitized NAME STATUS: build $T/NAME.json, which must exit STATUS and
# draw no sanitizer report; a built image is checked.
sanitized() {
	set +e
	"$HPC" build -q "$T/$1.json" -o "$T/$1.img" 2>"$T/$1.log"
	got=$?
	set -e
	[ "$got" = "$2" ] || { cat "$T/$1.log" >&2; fail "$1: status $got, not $2"; }
	! grep -q "Sanitizer" "$T/$1.log" || { cat "$T/$1.log" >&2; fail "$1: a sanitizer report"; }
	[ "$2" != 0 ] || check_disk "$T/$1.img"
	passed=$((passed + 1))
}

pod_file "$T/pod.json" "oci:$img:latest" asan '["true"]'
sanitized pod 0

mkdir -p "$T/tree/bin"
cp /bin/busybox "$T/tree/bin/"
pod_file "$T/dir.json" "dir:$T/tree" dir '["/bin/busybox", "true"]'
sanitized dir 0

mkdir -p "$T/vsrc"
echo abc >"$T/abc.txt"
echo data >"$T/vsrc/a"
mkfs.ext4 -q -F "$T/ext4.bin" 4M >/dev/null 2>&1
cat >"$T/storage.json" <<POD
{"name": "storage",
 "files": [{"name": "f", "uri": "file:abc.txt"}, {"name": "g", "content": "eA==", "encoding": "base64"}],
 "volumes": [{"name": "v", "source": "vsrc"}, {"name": "one", "source": "abc.txt"},
	{"name": "e"}, {"name": "r", "source": "ext4.bin", "driver": "raw"}],
 "containers": [{"image": "oci:$img:latest", "command": ["true"],
	"files": [{"path": "/x", "filename": "f", "user": "1000", "perm": "0600"},
		{"path": "/etc/g", "filename": "g"}],
	"volumes": [{"path": "/v", "volume": "v"}, {"path": "/one", "volume": "one"},
		{"path": "/e", "volume": "e"}, {"path": "/r", "volume": "r", "readOnly": true}]}]}
POD
sanitized storage 0

cat >"$T/owner.json" <<POD
{"name": "owner", "files": [{"name": "f", "content": "x"}],
 "containers": [{"image": "oci:$img:latest", "command": ["true"],
	"files": [{"path": "/x", "filename": "f", "user": "bob"}]}]}
POD
sanitized owner 1
echo "asan-build: $passed passed, 0 failed"
