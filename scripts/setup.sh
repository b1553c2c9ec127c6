#!/bin/sh
# setup.sh: install, with apt-get, the Debian packages hpc needs to build,
# test and demo, when they are missing; say what is installed.
#
#   scripts/setup.sh           everything (build, demo and tests)
#   scripts/setup.sh --build   only what building bin/hpc needs
set -eu

BUILD="build-essential pkg-config libarchive-dev libisal-dev libcjson-dev
libcurl4-openssl-dev libext2fs-dev comerr-dev libssl-dev libfdisk-dev
musl-tools libcmocka-dev"
RUN="qemu-system-x86 qemu-utils linux-image-cloud-amd64 ca-certificates
grub-pc-bin grub-efi-amd64-bin"
TEST="e2fsprogs gdisk fdisk umoci skopeo busybox-static debootstrap zstd
cpio python3 curl procps ovmf dosfstools mtools isal time tmux
docker-registry apache2-utils python3-jwt python3-cryptography"

case "${1:-}" in
--build) WANT="$BUILD" ;;
"") WANT="$BUILD $RUN $TEST" ;;
*) echo "usage: $0 [--build]" >&2; exit 2 ;;
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
