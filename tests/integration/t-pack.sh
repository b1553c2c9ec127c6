#!/bin/sh
# t-pack: the packer's disk and initrd checked with independent tools.
#
# A small driver, built here against build/libhpc.a, lays out a pod disk
# (hpc-bios, hpc-esp, hpc-manifest, hpc-root-0), fills the partitions
# (markers, and a real ext4 made by mke2fs in the root partition) and
# writes the GPT; then it writes an initrd with the cloud kernel's virtio
# modules. sgdisk, sfdisk, e2fsck, debugfs, gzip and cpio judge the result,
# and two builds of each must be byte-identical.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(mktemp -d /tmp/hpc-t-pack-XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() { echo "t-pack: FAIL: $*" >&2; exit 1; }
step() { echo "t-pack: $*"; }

make -s build/libhpc.a bin/hpc-init

cat > "$T/driver.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"
#include "initrd.h"
#include "kernel.h"

#define MIB (1024 * 1024)

static int die(const struct hpc_err *err)
{
	fprintf(stderr, "driver: %s\n", err->msg);
	return 1;
}

static void put(int fd, const char *s, uint64_t off)
{
	if (pwrite(fd, s, strlen(s), (off_t)off) != (ssize_t)strlen(s))
		exit(1);
}

/* copy - the file at src into fd at off */
static void copy(int fd, const char *src, uint64_t off)
{
	char buf[65536];
	int in = open(src, O_RDONLY);
	ssize_t n;

	if (in < 0)
		exit(1);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (pwrite(fd, buf, (size_t)n, (off_t)off) != n)
			exit(1);
		off += (uint64_t)n;
	}
	close(in);
}

static int disk(const char *img, const char *rootfs)
{
	struct disk_part p[] = {
		{ "hpc-bios", DISK_PART_BIOS_BOOT, 1 * MIB, 0 },
		{ "hpc-esp", DISK_PART_ESP, 4 * MIB, 0 },
		{ "hpc-manifest", DISK_PART_LINUX, 1 * MIB, 0 },
		{ "hpc-root-0", DISK_PART_LINUX, 0, 0 },
	};
	struct hpc_err err = { "" };
	uint8_t seed[DIGEST_LEN];
	struct stat st;
	uint64_t size;
	size_t i;
	int fd;

	if (stat(rootfs, &st) < 0)
		return 1;
	p[3].size = (uint64_t)st.st_size;
	digest_buf("t-pack", 6, seed);
	disk_layout(p, 4, &size);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return 1;
	for (i = 0; i < 3; i++) {
		put(fd, "MARKER-START", p[i].offset);
		put(fd, "MARKER-END", p[i].offset + p[i].size - 10);
	}
	copy(fd, rootfs, p[3].offset);
	close(fd);
	if (disk_write_gpt(img, p, 4, size, seed, &err) < 0)
		return die(&err);
	for (i = 0; i < 4; i++)
		printf("%s %llu %llu\n", p[i].name,
		       (unsigned long long)p[i].offset,
		       (unsigned long long)p[i].size);
	return 0;
}

static int initrd(const char *out, const char *init, const char *plan_path,
		  const char *const *wanted)
{
	struct initrd_input in = { .init_path = init, .mtime = 1700000000 };
	char *kernel = NULL, *moddir = NULL, *plan = NULL;
	struct kernel_module *mods = NULL;
	struct hpc_err err = { "" };
	size_t n = 0, len, i;

	if (kernel_find_default(&kernel, &moddir, &err) < 0 ||
	    kernel_resolve_modules(moddir, wanted, &mods, &n, &err) < 0 ||
	    read_file(plan_path, 1 << 20, &plan, &len, &err) < 0)
		return die(&err);
	in.modules = mods;
	in.n_modules = n;
	in.plan = plan;
	if (initrd_write(out, &in, &err) < 0)
		return die(&err);
	for (i = 0; i < n; i++)
		printf("%s %s\n", mods[i].name, mods[i].path);
	kernel_modules_free(mods, n);
	free(kernel);
	free(moddir);
	free(plan);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "disk") == 0)
		return disk(argv[2], argv[3]);
	if (argc >= 5 && strcmp(argv[1], "initrd") == 0)
		return initrd(argv[2], argv[3], argv[4],
			      (const char *const *)argv + 5);
	fprintf(stderr, "usage: driver disk IMG ROOTFS | "
		"driver initrd OUT INIT PLAN MODULE...\n");
	return 2;
}
EOF

PKGS="libarchive libisal libcjson libcurl ext2fs com_err libcrypto fdisk zlib"
# shellcheck disable=SC2046
cc -D_GNU_SOURCE -std=gnu11 -Wall -Werror -Icompiler -Ipacker \
	$(pkg-config --cflags $PKGS) -o "$T/driver" "$T/driver.c" \
	build/libhpc.a $(pkg-config --libs $PKGS) -lpthread

# ---- the disk ----

step "disk: layout, GPT, content"
mkdir -p "$T/tree/etc"
echo "hello from the root partition" > "$T/tree/etc/hello"
E2FSPROGS_FAKE_TIME=1700000000 mke2fs -q -F -t ext4 \
	-U 6f1b1e4e-3d0f-4c7e-9a53-0a1d2c3b4e5f \
	-E hash_seed=1b4e28ba-2fa1-4d2f-883f-0016d3cca427,nodiscard \
	-d "$T/tree" "$T/root.ext4" 8M > /dev/null

"$T/driver" disk "$T/d1.img" "$T/root.ext4" > "$T/map"
sleep 1
"$T/driver" disk "$T/d2.img" "$T/root.ext4" > "$T/map2"
cmp "$T/d1.img" "$T/d2.img" || fail "two disk builds differ"
cmp "$T/map" "$T/map2" || fail "two layouts differ"

sgdisk -v "$T/d1.img" > "$T/verify" 2>&1 || fail "sgdisk -v: $(cat "$T/verify")"
grep -q "^No problems found" "$T/verify" || fail "sgdisk -v: $(cat "$T/verify")"

# sgdisk -p: number, start sector, name for each partition, in order
sgdisk -p "$T/d1.img" | awk '/^ +[0-9]+ /{print $1, $2, $NF}' > "$T/got"
awk '{print NR, $2 / 512, $1}' "$T/map" > "$T/want"
diff -u "$T/want" "$T/got" || fail "sgdisk -p disagrees with the layout"

sfdisk --json "$T/d1.img" > "$T/json"
python3 - "$T/json" "$T/map" <<'EOF' || fail "sfdisk --json disagrees"
import json, sys
t = json.load(open(sys.argv[1]))["partitiontable"]
want = [l.split() for l in open(sys.argv[2])]
types = ["21686148-6449-6E6F-744E-656564454649",
         "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
         "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
         "0FC63DAF-8483-4772-8E79-3D69D8477DE4"]
assert t["label"] == "gpt" and t["sectorsize"] == 512, t
ps = t["partitions"]
assert len(ps) == 4, ps
uuids = {p["uuid"] for p in ps} | {t["id"]}
assert len(uuids) == 5, uuids
for p, (name, off, size), ty in zip(ps, want, types):
    assert p["name"] == name, (p, name)
    assert p["start"] * 512 == int(off) and p["size"] * 512 == int(size), p
    assert p["type"] == ty, (p, ty)
    assert p["uuid"][14] == "4", p
EOF

while read -r name off size; do
	[ "$name" = hpc-root-0 ] && continue
	got=$(dd if="$T/d1.img" bs=1 skip="$off" count=12 status=none)
	[ "$got" = MARKER-START ] || fail "$name: start marker lost"
	got=$(dd if="$T/d1.img" bs=1 skip=$((off + size - 10)) count=10 \
		status=none)
	[ "$got" = MARKER-END ] || fail "$name: end marker lost"
done < "$T/map"

ROOT_OFF=$(awk '$1 == "hpc-root-0" {print $2}' "$T/map")
e2fsck -fn "$T/d1.img?offset=$ROOT_OFF" > "$T/fsck" 2>&1 ||
	fail "e2fsck of hpc-root-0: $(cat "$T/fsck")"
got=$(debugfs -R "cat /etc/hello" "$T/d1.img?offset=$ROOT_OFF" 2>/dev/null)
[ "$got" = "hello from the root partition" ] || fail "debugfs read '$got'"

# ---- the initrd ----

step "initrd: listing, bytes, reproducibility"
printf 'hpc-plan 1\nname t-pack\n' > "$T/plan"
MODS="virtio_pci virtio_blk virtio_net virtio_console overlay"
# shellcheck disable=SC2086
"$T/driver" initrd "$T/i1.gz" bin/hpc-init "$T/plan" $MODS > "$T/mods"
sleep 1
# shellcheck disable=SC2086
"$T/driver" initrd "$T/i2.gz" bin/hpc-init "$T/plan" $MODS > /dev/null
cmp "$T/i1.gz" "$T/i2.gz" || fail "two initrd builds differ"
gzip -t "$T/i1.gz" || fail "gzip -t"

awk '{print $1}' "$T/mods" | tr '\n' ' ' > "$T/order"
printf '%s ' virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
	virtio_pci virtio_blk failover net_failover virtio_net virtio_console \
	overlay |
	cmp - "$T/order" || fail "module order: $(cat "$T/order")"

zcat "$T/i1.gz" | cpio -it --quiet > "$T/list"
{
	printf '%s\n' dev dev/console etc hpc hpc/plan init lib lib/modules
	awk '{print "lib/modules/" $1 ".ko"}' "$T/mods" | sort
	printf '%s\n' proc run sys tmp
} > "$T/want-list"
diff -u "$T/want-list" "$T/list" || fail "initrd listing"

zcat "$T/i1.gz" | cpio -itv --quiet > "$T/listv"
grep -q '^-rwxr-xr-x .* root  *root .* init$' "$T/listv" || fail "init mode"
grep -q '^crw------- .* 5, *1 .* dev/console$' "$T/listv" || fail "console"
grep -q '^-rw-r--r-- .* hpc/plan$' "$T/listv" || fail "plan mode"

mkdir "$T/x"
(cd "$T/x" && zcat "$T/i1.gz" |
	cpio -id --quiet --no-absolute-filenames --nonmatching 'dev/console')
cmp "$T/x/init" bin/hpc-init || fail "init bytes"
cmp "$T/x/hpc/plan" "$T/plan" || fail "plan bytes"
while read -r name path; do
	cmp "$T/x/lib/modules/$name.ko" "$path" || fail "module $name bytes"
done < "$T/mods"

# The kernel itself must take the archive: unpack it and run /init (what
# /init then does is not this test's concern).
step "initrd: the cloud kernel unpacks it and runs /init"
KERNEL=$(ls /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -n 1)
timeout 30 qemu-system-x86_64 -accel tcg -M pc -m 256 -nographic \
	-nodefaults -no-reboot -serial "file:$T/boot.log" -kernel "$KERNEL" \
	-initrd "$T/i1.gz" -append "console=ttyS0 panic=-1" \
	> /dev/null 2>&1 || true
grep -q "Run /init as init process" "$T/boot.log" ||
	fail "the kernel did not run /init: $(tail -n 5 "$T/boot.log")"
if grep "Initramfs unpacking failed" "$T/boot.log"; then
	fail "the kernel could not unpack the initrd"
fi

step "ok"
