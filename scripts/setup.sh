#!/bin/sh
# setup.sh: install, with apt-get, the Debian packages hpc needs to build,
# test and demo, when they are missing; say what is installed.
#
#   scripts/setup.sh           everything (build, demo and tests)
#   scripts/setup.sh --build   only what building bin/hpc needs
#   scripts/setup.sh --fuzz    what "make fuzz" needs (clang, libFuzzer)
#   scripts/setup.sh --bench   everything, and what make bench compares with
set -eu

BUILD="build-essential pkg-config libarchive-dev zlib1g-dev libisal-dev libcjson-dev
libcurl4-openssl-dev libext2fs-dev comerr-dev libssl-dev libfdisk-dev
libxxhash-dev musl-tools libcmocka-dev"
RUN="qemu-system-x86 qemu-utils linux-image-cloud-amd64 ca-certificates
grub-pc-bin grub-efi-amd64-bin ovmf"
TEST="e2fsprogs gdisk fdisk umoci skopeo busybox-static debootstrap zstd
cpio python3 curl procps dosfstools mtools isal time xz-utils bzip2
libvirt-clients libguestfs-tools faketime tmux linux-image-amd64
docker-registry apache2-utils python3-jwt python3-cryptography strace"
FUZZ="clang libclang-rt-14-dev"
BENCH="linux-perf btrfs-progs"

case "${1:-}" in
--build) WANT="$BUILD" ;;
--fuzz) WANT="$BUILD $TEST $FUZZ" ;;
"") WANT="$BUILD $RUN $TEST" ;;
--bench) WANT="$BUILD $RUN $TEST $BENCH" ;;
*) echo "usage: $0 [--build | --fuzz | --bench]" >&2; exit 2 ;;
esac

missing=""
for p in $WANT; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "setup: every package hpc needs is installed"
	exit 0
fi

echo "setup: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "setup: not root and no sudo; run as root:" >&2
		echo "  apt-get install --no-install-recommends$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
