#!/bin/sh
# t-boot-firmware: a disk made by the packer boots by firmware alone.
#
# A small driver, built here against build/libhpc.a, lays out a GPT disk
# (hpc-bios, hpc-esp), writes the FAT ESP with the cloud kernel, a test
# initrd, grub.cfg and GRUB's EFI image, installs BIOS GRUB and writes the
# GPT last, as the pipeline does. The initrd's /init is a busybox script
# that prints a marker with the firmware it came through and powers off.
# SeaBIOS (pc) and OVMF (q35) must each reach it under TCG; sgdisk,
# fsck.fat and mtools judge the disk, the kernel's bytes sit where the
# driver says, and two builds are byte-identical.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(mktemp -d /tmp/hpc-t-boot-firmware-XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() { echo "t-boot-firmware: FAIL: $*" >&2; exit 1; }
step() { echo "t-boot-firmware: $*"; }

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
KERNEL=$(ls /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -n 1)
[ -r "$KERNEL" ] || fail "no cloud kernel in /boot"
for f in "$OVMF_CODE" "$OVMF_VARS" /bin/busybox; do
	[ -r "$f" ] || fail "'$f' is missing (see scripts/setup.sh)"
done

make -s build/libhpc.a

cat > "$T/driver.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootcfg.h"
#include "disk.h"
#include "fat.h"
#include "grub.h"

#define MIB (1024 * 1024)

static int die(const struct hpc_err *err)
{
	fprintf(stderr, "driver: %s\n", err->msg);
	return 1;
}

int main(int argc, char **argv)
{
	const char *img = argv[1], *kernel = argv[2], *initrd = argv[3];
	const char *work = argv[4];
	char core[4096], efi[4096], *cfg = NULL;
	struct disk_part p[] = {
		{ "hpc-bios", DISK_PART_BIOS_BOOT, 1 * MIB, 0 },
		{ "hpc-esp", DISK_PART_ESP, 0, 0 },
	};
	struct fat_file f[4] = {
		{ BOOTCFG_KERNEL, kernel, NULL, 0 },
		{ BOOTCFG_INITRD, initrd, NULL, 0 },
		{ BOOTCFG_PATH, NULL, NULL, 0 },
		{ BOOTCFG_EFI_LOADER, efi, NULL, 0 },
	};
	struct fat_opts o = { BOOTCFG_ESP_LABEL, 0x68706301, 0 };
	struct hpc_err err = { "" };
	uint8_t seed[DIGEST_LEN];
	uint64_t size, offs[4];
	int fd;

	if (argc != 5)
		return 2;
	snprintf(core, sizeof(core), "%s/core.img", work);
	snprintf(efi, sizeof(efi), "%s/BOOTX64.EFI", work);
	if (grub_mkimage(GRUB_PC, NULL, BOOTCFG_ESP_LABEL, core, &err) ||
	    grub_mkimage(GRUB_EFI, NULL, BOOTCFG_ESP_LABEL, efi, &err) ||
	    bootcfg_grub(BOOTCFG_CMDLINE, &cfg, &err))
		return die(&err);
	f[2].data = cfg;
	f[2].len = strlen(cfg);
	if (fat_min_size(f, 4, DISK_ALIGN, &p[1].size, &err))
		return die(&err);
	disk_layout(p, 2, &size);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) || close(fd))
		return 1;
	if (fat_write(img, p[1].offset, p[1].size, f, 4, &o, offs, &err) ||
	    grub_install_bios(img, NULL, core, p[0].offset, p[0].size, &err))
		return die(&err);
	memset(seed, 0x42, sizeof(seed));
	if (disk_write_gpt(img, p, 2, size, seed, &err))
		return die(&err);
	printf("%llu %llu %llu\n", (unsigned long long)offs[0],
	       (unsigned long long)offs[1], (unsigned long long)p[1].offset);
	free(cfg);
	return 0;
}
EOF

PKGS="libarchive libisal libcjson libcurl ext2fs com_err libcrypto fdisk zlib"
# shellcheck disable=SC2046
cc -D_GNU_SOURCE -std=gnu11 -Wall -Werror -Icompiler -Ipacker \
	$(pkg-config --cflags $PKGS) -o "$T/driver" "$T/driver.c" \
	build/libhpc.a $(pkg-config --libs $PKGS) -lpthread

step "initrd: busybox /init that names its firmware and powers off"
mkdir -p "$T/rd/bin" "$T/rd/dev" "$T/rd/proc" "$T/rd/sys"
cp /bin/busybox "$T/rd/bin/busybox"
cat > "$T/rd/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
exec >/dev/console 2>&1
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
fw=bios
[ -d /sys/firmware/efi ] && fw=uefi
echo "hpc-boot-marker firmware=$fw cmdline=$(/bin/busybox cat /proc/cmdline)"
/bin/busybox poweroff -f
EOF
chmod 755 "$T/rd/init"
(cd "$T/rd" && find . | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet | gzip -n -9) > "$T/initrd.img"

step "disk: built twice"
mkdir "$T/w1" "$T/w2"
"$T/driver" "$T/disk.img" "$KERNEL" "$T/initrd.img" "$T/w1" > "$T/offs" ||
	fail "driver"
"$T/driver" "$T/disk2.img" "$KERNEL" "$T/initrd.img" "$T/w2" > /dev/null ||
	fail "driver, second build"
cmp "$T/disk.img" "$T/disk2.img" || fail "two builds differ"
cmp "$T/w1/core.img" "$T/w2/core.img" || fail "core.img differs"
cmp "$T/w1/BOOTX64.EFI" "$T/w2/BOOTX64.EFI" || fail "BOOTX64.EFI differs"
rm "$T/disk2.img"
read -r KOFF IOFF ESP < "$T/offs"

step "disk: sgdisk, fsck.fat, mtools, byte ranges"
sgdisk -v "$T/disk.img" > "$T/sgdisk" 2>&1 || fail "sgdisk -v: $(cat "$T/sgdisk")"
grep -q "No problems found" "$T/sgdisk" || fail "sgdisk: $(cat "$T/sgdisk")"
sgdisk -i 2 "$T/disk.img" | grep -q "^First sector: $((ESP / 512)) " ||
	fail "the ESP is not where the driver put it"
ESP_SECTORS=$(sgdisk -i 2 "$T/disk.img" | awk '/^Partition size:/ {print $3}')
dd if="$T/disk.img" of="$T/esp" bs=512 skip=$((ESP / 512)) \
	count="$ESP_SECTORS" status=none
fsck.fat -n "$T/esp" > "$T/fsck" 2>&1 || fail "fsck.fat: $(cat "$T/fsck")"
mdir -i "$T/disk.img@@$ESP" -/ :: > "$T/mdir" || fail "mdir"
# long names where the case needs them; BOOTX64.EFI is a plain 8.3 name
for name in ' vmlinuz$' ' initrd.img$' ' grub.cfg$' '^BOOTX64  *EFI '; do
	grep -q "$name" "$T/mdir" || fail "mdir does not list $name"
done
mcopy -n -i "$T/disk.img@@$ESP" ::/vmlinuz "$T/k" && cmp "$T/k" "$KERNEL" ||
	fail "the kernel read back by mtools differs"
mcopy -n -i "$T/disk.img@@$ESP" ::/EFI/BOOT/BOOTX64.EFI "$T/e" &&
	cmp "$T/e" "$T/w1/BOOTX64.EFI" || fail "BOOTX64.EFI read back differs"
mtype -i "$T/disk.img@@$ESP" ::/grub/grub.cfg > "$T/cfg"
grep -qx "linux /vmlinuz console=tty0 console=ttyS0 panic=-1 quiet cryptomgr.notests" "$T/cfg" ||
	fail "grub.cfg: $(cat "$T/cfg")"
cmp -n "$(stat -c %s "$KERNEL")" -i "$KOFF:0" "$T/disk.img" "$KERNEL" ||
	fail "the kernel is not at byte $KOFF"
cmp -n "$(stat -c %s "$T/initrd.img")" -i "$IOFF:0" "$T/disk.img" \
	"$T/initrd.img" || fail "the initrd is not at byte $IOFF"
# The MBR: GRUB's code, then the protective entry and 55aa of the GPT
dd if="$T/disk.img" bs=1 skip=440 count=72 status=none | od -An -tx1 |
	tr -d ' \n' > "$T/mbr-tail"
grep -q '55aa$' "$T/mbr-tail" || fail "no 55aa at the MBR's end"
grep -q '^00000000000000000200ee' "$T/mbr-tail" ||
	fail "protective MBR entry: $(cat "$T/mbr-tail")"
dd if="$T/disk.img" bs=1 count=440 status=none | cmp -s - \
	/usr/lib/grub/i386-pc/boot.img && fail "boot.img was not patched"

# boot_check NAME: the marker, with the expected firmware and console
boot_check() {
	grep -q "hpc-boot-marker firmware=$2 " "$T/$1.log" ||
		fail "$1: no marker for $2: $(tail -n 20 "$T/$1.log")"
	grep -q "cmdline=.*console=tty0 console=ttyS0 panic=-1 quiet cryptomgr.notests" \
		"$T/$1.log" || fail "$1: command line: $(grep marker "$T/$1.log")"
}

step "boot: SeaBIOS (pc), BIOS GRUB"
timeout 240 qemu-system-x86_64 -accel tcg -M pc -m 256 -nodefaults \
	-nographic -serial stdio -no-reboot \
	-drive "file=$T/disk.img,format=raw,if=virtio,readonly=on" \
	> "$T/bios.log" 2>&1 || fail "qemu (SeaBIOS) exited $?: $(tail -n 20 "$T/bios.log")"
boot_check bios bios

step "boot: OVMF (q35), EFI GRUB"
cp "$OVMF_VARS" "$T/vars.fd"
timeout 300 qemu-system-x86_64 -accel tcg -M q35 -m 256 -nodefaults \
	-nographic -serial stdio -no-reboot \
	-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" \
	-drive "if=pflash,format=raw,file=$T/vars.fd" \
	-drive "file=$T/disk.img,format=raw,if=none,id=d0,readonly=on" \
	-device virtio-blk-pci,drive=d0,bootindex=0 \
	> "$T/uefi.log" 2>&1 || fail "qemu (OVMF) exited $?: $(tail -n 20 "$T/uefi.log")"
boot_check uefi uefi

step "PASS"
