#!/bin/sh
# t-boot-anywhere: one pod image, made by hpc build from the busybox
# image, boots every way a host may boot it, and ships as qcow2 and as a
# libvirt domain.
#
# The container prints a marker and exits 3. It must be seen, and hpc run
# must exit 3, with --boot direct, bios and uefi; a plain QEMU command
# with SeaBIOS, and one with OVMF, must show it too, with the init's
# report on the console (they give the VM no exit channel), and with a
# VGA adapter the screen must show them as well as the serial port.
# Built for Debian's standard kernel, the pod boots directly and, at
# the 128 MiB floor, through GRUB. Independent tools judge the disk: sgdisk -v, fsck.vfat -n, e2fsck, and libguestfs,
# which must list every partition with its filesystem and read back a
# root filesystem's file and the ESP's kernel. Two builds are identical;
# a qcow2 boots and converts back to the raw bytes; --compress is
# smaller; the libvirt domain validates. Bad input: --boot nonsense,
# -f vmdk, --compress without qcow2, a truncated qcow2, a qcow2 over a
# backing file, and a qemu-img that fails, which must leave no output
# behind.
. "$(dirname "$0")/lib.sh"

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
MARK=boot-anywhere-marker
# hpc run's private directories (OVMF's variables too) go here, to be
# seen gone; libguestfs keeps its appliance where it always does
export TMPDIR="$T/tmp" LIBGUESTFS_CACHEDIR=/var/tmp
mkdir "$TMPDIR"
step() { echo "t-boot-anywhere: $*"; }

img=$(busybox_image)
pod_file "$T/pod.json" "oci:$img:latest" anywhere \
	"[\"sh\", \"-c\", \"echo $MARK; exit 3\"]"

step "build twice: byte-identical"
"$HPC" build -q "$T/pod.json" -o "$T/pod.img"
(cd "$T" && umask 077 && "$HPC" build -q pod.json -o "$T/again.img")
cmp "$T/pod.img" "$T/again.img" || fail "two builds of one pod differ"
rm "$T/again.img"

step "disk: sgdisk -v, e2fsck, fsck.vfat -n"
check_disk "$T/pod.img"
set -- $(part "$T/pod.img" hpc-esp)
dd if="$T/pod.img" of="$T/esp" bs=1M skip=$(($1 / 1048576)) \
	count=$(($2 / 1048576)) status=none
fsck.vfat -n "$T/esp" >"$T/fsck" 2>&1 || fail "fsck.vfat: $(cat "$T/fsck")"
rm "$T/esp"

# run_boot NAME ARGS...: hpc run under TCG; the marker, and status 3
run_boot() {
	name=$1
	shift
	st=$(boot "$T/pod.img" "$@")
	cp "$T/all" "$T/$name.log"
	expect_contains "$T/$name.log" "anywhere | $MARK"
	[ "$st" = 3 ] || fail "$name: hpc run exited $st, not 3"
}

step "hpc run --boot direct, bios, uefi"
run_boot direct --boot direct
run_boot bios --boot bios
run_boot uefi --boot uefi
expect_contains "$T/uefi.log" "a UEFI boot needs 256 MiB"
[ -z "$(ls -A "$TMPDIR")" ] ||
	fail "hpc run left its private directory: $(ls -A "$TMPDIR")"

# Debian's standard kernel has ext4, jbd2, mbcache, crc16 and crc32c as
# modules, where the cloud kernel has them built in: the initrd must
# carry them. Booted through GRUB at the memory floor, its worst case.
step "the standard kernel boots, directly and by BIOS at 128 MiB"
std=$(ls /boot/vmlinuz-*-amd64 | grep -v -- '-cloud-amd64$' | sort -V |
	tail -n 1)
[ -n "$std" ] || fail "no standard kernel in /boot (linux-image-amd64)"
"$HPC" build -q "$T/pod.json" -o "$T/std.img" --kernel "$std"
st=$(boot "$T/std.img" --boot direct)
cp "$T/all" "$T/std-direct.log"
expect_contains "$T/std-direct.log" "anywhere | $MARK"
[ "$st" = 3 ] || fail "standard kernel: hpc run exited $st, not 3"
st=$(boot "$T/std.img" --boot bios --memory 128)
cp "$T/all" "$T/std-bios.log"
expect_contains "$T/std-bios.log" "anywhere | $MARK"
[ "$st" = 3 ] || fail "standard kernel, bios, 128 MiB: exited $st, not 3"
rm "$T/std.img"

step "hpc run --dry-run shows each boot"
"$HPC" run --accel tcg --boot bios --dry-run "$T/pod.img" >"$T/dry-bios"
expect_contains "$T/dry-bios" "-M pc "
expect_contains "$T/dry-bios" "virtio-blk-pci,drive=d0,bootindex=0"
expect_contains "$T/dry-bios" "name=hpc.exit"
grep -q -- "-kernel" "$T/dry-bios" && fail "bios: the command has -kernel"
"$HPC" run --accel tcg --boot uefi --dry-run "$T/pod.img" \
	>"$T/dry-uefi" 2>/dev/null
expect_contains "$T/dry-uefi" "-M q35 "
expect_contains "$T/dry-uefi" "file=$OVMF_CODE"
expect_contains "$T/dry-uefi" "/OVMF_VARS.fd "

# plain_check NAME: what a host without hpc sees on the serial port
plain_check() {
	expect_contains "$T/$1.log" "anywhere | $MARK"
	expect_contains "$T/$1.log" "hpc-init: report: exit anywhere 3 0"
	expect_contains "$T/$1.log" "hpc-init: report: pod 3"
}

step "plain QEMU: SeaBIOS on pc, with a VGA screen"
# -no-shutdown keeps QEMU after the guest's power off, so its monitor can
# save the VGA text memory (0xb8000, a character and an attribute a cell)
# into its working directory
: >"$T/plain-bios.log"
(cd "$T" && exec timeout 300 qemu-system-x86_64 -accel tcg -M pc \
	-nodefaults -serial stdio -display none -no-reboot -no-shutdown \
	-device VGA -monitor "unix:$T/mon.sock,server=on,wait=off" \
	-drive "file=$T/pod.img,format=raw,if=virtio,readonly=on" \
	>"$T/plain-bios.log" 2>&1) &
QPID=$!
until grep -q "hpc-init: report: pod" "$T/plain-bios.log"; do
	kill -0 "$QPID" 2>/dev/null || break
	sleep 1
done
(cd "$T" && python3 - <<'EOF'
import socket, time
s = socket.socket(socket.AF_UNIX)
s.connect("mon.sock")
s.recv(4096)
# the screen is whole once the guest has powered off, not when the
# serial port has shown the last line
s.settimeout(5)
for _ in range(120):
    s.sendall(b"info status\n")
    time.sleep(0.5)
    try:
        if b"shutdown" in s.recv(4096):
            break
    except socket.timeout:
        pass
# all 32 KiB of text memory: once the screen is full the console
# scrolls by moving its origin through it, away from 0xb8000
s.sendall(b"pmemsave 0xb8000 32768 vga.bin\n")
time.sleep(2)
s.sendall(b"quit\n")
time.sleep(0.5)
b = open("vga.bin", "rb").read()
cells = bytes(b[i] for i in range(0, len(b), 2)).decode("latin1")
open("screen.log", "w").write("\n".join(cells[r:r + 80].rstrip()
                                        for r in range(0, len(cells), 80)))
EOF
) || fail "cannot read the VGA screen: $(tail -n 20 "$T/plain-bios.log")"
wait "$QPID" ||
	fail "qemu (SeaBIOS) exited $?: $(tail -n 20 "$T/plain-bios.log")"
plain_check plain-bios
plain_check screen

step "plain QEMU: OVMF on q35"
cp "$OVMF_VARS" "$T/vars.fd"
timeout 300 qemu-system-x86_64 -accel tcg -M q35 -m 256 -nodefaults \
	-serial stdio -display none -no-reboot \
	-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" \
	-drive "if=pflash,format=raw,file=$T/vars.fd" \
	-drive "file=$T/pod.img,format=raw,if=none,id=d0,readonly=on" \
	-device virtio-blk-pci,drive=d0,bootindex=0 \
	>"$T/plain-uefi.log" 2>&1 ||
	fail "qemu (OVMF) exited $?: $(tail -n 20 "$T/plain-uefi.log")"
plain_check plain-uefi

step "libguestfs: partitions, a root filesystem's file, the ESP's kernel"
python3 - "$img" "$T/index.html" <<'EOF'
import gzip, io, json, sys, tarfile
d = sys.argv[1]
blob = lambda dg: open(d + "/blobs/sha256/" + dg.split(":")[1], "rb").read()
index = json.load(open(d + "/index.json"))
m = json.loads(blob(index["manifests"][0]["digest"]))
tgz = blob(m["layers"][0]["digest"])
layer = tarfile.open(fileobj=io.BytesIO(gzip.decompress(tgz)))
for name in ("www/index.html", "./www/index.html"):
    try:
        open(sys.argv[2], "wb").write(layer.extractfile(name).read())
        break
    except KeyError:
        pass
else:
    sys.exit("no www/index.html in the busybox layer")
EOF
LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg \
	timeout 600 guestfish --ro -a "$T/pod.img" run : list-filesystems : \
	mount /dev/sda4 / : download /www/index.html "$T/g-index.html" : \
	umount / : mount /dev/sda2 / : download /vmlinuz "$T/g-vmlinuz" : \
	cat /grub/grub.cfg >"$T/guestfish" 2>&1 ||
	fail "guestfish: $(tail -n 20 "$T/guestfish")"
for fs in "/dev/sda1: unknown" "/dev/sda2: vfat" "/dev/sda3: unknown" \
	"/dev/sda4: ext4"; do
	expect_contains "$T/guestfish" "$fs"
done
expect_contains "$T/guestfish" \
	"linux /vmlinuz console=tty0 console=ttyS0 panic=-1 quiet cryptomgr.notests"
cmp "$T/g-index.html" "$T/index.html" ||
	fail "/www/index.html read by libguestfs differs from the layer's"
sha256sum /boot/vmlinuz-* | grep -q "^$(sha256sum <"$T/g-vmlinuz" |
	cut -d' ' -f1) " || fail "the ESP's vmlinuz is no kernel in /boot"

step "libvirt: the domain validates (bios, uefi, qcow2, ports)"
"$HPC" run --emit libvirt "$T/pod.img" >"$T/bios.xml"
virt-xml-validate "$T/bios.xml" domain >"$T/v" 2>&1 || fail "$(cat "$T/v")"
expect_contains "$T/bios.xml" "<source file='$T/pod.img'/>"
expect_contains "$T/bios.xml" "<target type='virtio' name='hpc.exit'/>"
expect_contains "$T/bios.xml" "<memory unit='MiB'>128</memory>"
"$HPC" run --emit libvirt --boot uefi "$T/pod.img" >"$T/uefi.xml" 2>/dev/null
virt-xml-validate "$T/uefi.xml" domain >"$T/v" 2>&1 || fail "$(cat "$T/v")"
expect_contains "$T/uefi.xml" "<os firmware='efi'>"
# a manifest that publishes ports, written over the image's own
cp "$T/pod.img" "$T/ports.img"
set -- $(part "$T/ports.img" hpc-manifest)
python3 - "$T/ports.img" "$1" "$2" <<'EOF'
import hashlib, sys
path, off, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "r+b") as f:
    f.seek(off)
    text = f.read(size).split(b"\0")[0]
    old = b'"ports":\t[]'
    assert old in text, "no empty ports list in the manifest"
    text = text.replace(old, b'"ports": [{"containerPort": 80, '
        b'"hostPort": 8080}, {"containerPort": 53, "protocol": "udp"}]')
    # sealed again, as the build seals it (docs/image-format.md)
    text += b"\0sha256:" + hashlib.sha256(text).hexdigest().encode() + b"\n"
    f.seek(off)
    f.write(text + b"\0" * (size - len(text)))
EOF
"$HPC" run --emit libvirt "$T/ports.img" >"$T/ports.xml"
virt-xml-validate "$T/ports.xml" domain >"$T/v" 2>&1 || fail "$(cat "$T/v")"
expect_contains "$T/ports.xml" "<range start='8080' to='80'/>"
expect_contains "$T/ports.xml" "<backend type='passt'/>"
rm "$T/ports.img"

step "qcow2: boots, converts back to the raw bytes, --compress is smaller"
"$HPC" build -q -f qcow2 "$T/pod.json" -o "$T/pod.qcow2"
"$HPC" build -q -f qcow2 --compress "$T/pod.json" -o "$T/small.qcow2"
qemu-img info "$T/pod.qcow2" | grep -q "^file format: qcow2" ||
	fail "-f qcow2 did not write a qcow2"
for q in pod small; do
	qemu-img convert -O raw "$T/$q.qcow2" "$T/back.img"
	cmp "$T/back.img" "$T/pod.img" || fail "$q.qcow2 converted back differs"
	rm "$T/back.img"
done
[ "$(stat -c %s "$T/small.qcow2")" -lt "$(stat -c %s "$T/pod.qcow2")" ] ||
	fail "--compress is not smaller"
"$HPC" build -q -f qcow2 --compress "$T/pod.json" -o "$T/small2.qcow2"
cmp "$T/small.qcow2" "$T/small2.qcow2" || fail "two qcow2 builds differ"
"$HPC" inspect "$T/small.qcow2" >"$T/iq"
"$HPC" inspect "$T/pod.img" >"$T/ir"
cmp "$T/iq" "$T/ir" || fail "inspect of the qcow2 differs from the raw's"
"$HPC" inspect --files anywhere "$T/small.qcow2" /www >"$T/fq"
"$HPC" inspect --files anywhere "$T/pod.img" /www >"$T/fr"
cmp "$T/fq" "$T/fr" || fail "inspect --files of the qcow2 differs"
"$HPC" run --accel tcg --dry-run "$T/small.qcow2" >"$T/dry-q"
expect_contains "$T/dry-q" "file=$T/small.qcow2,format=qcow2,"
st=$(boot "$T/small.qcow2")
expect_contains "$T/all" "anywhere | $MARK"
[ "$st" = 3 ] || fail "qcow2: hpc run exited $st, not 3"

# bad CMD...: a usage or image error, one line naming it, non-zero
bad() {
	want=$1
	shift
	set +e
	"$@" >"$T/bad.out" 2>"$T/bad.err"
	st=$?
	set -e
	[ "$st" -ne 0 ] || fail "'$*' succeeded"
	expect_contains "$T/bad.err" "$want"
	[ ! -s "$T/bad.out" ] || fail "'$*' wrote to stdout"
}

step "bad input"
bad "hpc: --boot: 'nonsense' is not direct, bios or uefi" \
	"$HPC" run --boot nonsense "$T/pod.img"
bad "hpc: -f: 'vmdk' is not an image format hpc writes (raw or qcow2)" \
	"$HPC" build -f vmdk "$T/pod.json" -o "$T/x.img"
bad "hpc: --compress: only a qcow2 image (-f qcow2) can be compressed" \
	"$HPC" build --compress "$T/pod.json" -o "$T/x.img"
[ ! -e "$T/x.img" ] || fail "a refused build wrote '$T/x.img'"
bad "hpc: --emit: 'xml' is not libvirt" \
	"$HPC" run --emit xml "$T/pod.img"
bad "a domain cannot boot the kernel directly" \
	"$HPC" run --emit libvirt --boot direct "$T/pod.img"
head -c 5000000 "$T/small.qcow2" >"$T/cut.qcow2"
bad "hpc: '$T/cut.qcow2' is a damaged or truncated qcow2 image" \
	"$HPC" run --accel tcg "$T/cut.qcow2"
bad "hpc: '$T/cut.qcow2' is a damaged or truncated qcow2 image" \
	"$HPC" inspect "$T/cut.qcow2"
head -c 16 "$T/small.qcow2" >"$T/cut.qcow2"
bad "hpc: '$T/cut.qcow2' is a truncated qcow2 image (no whole header)" \
	"$HPC" run --accel tcg "$T/cut.qcow2"
# a qcow2 over a backing file would read that host file into the guest
qemu-img create -q -f qcow2 -b "$T/pod.img" -F raw "$T/over.qcow2"
bad "hpc: '$T/over.qcow2' has a backing file (expected a whole image" \
	"$HPC" run --accel tcg "$T/over.qcow2"
bad "hpc: '$T/over.qcow2' has a backing file (expected a whole image" \
	"$HPC" inspect "$T/over.qcow2"
# a qemu-img that fails, as on a full disk: no image, no temporary file
mkdir "$T/bin" "$T/outdir"
printf '#!/bin/sh\necho "qemu-img: No space left on device" >&2\nexit 1\n' \
	>"$T/bin/qemu-img"
chmod 755 "$T/bin/qemu-img"
bad "No space left on device" env PATH="$T/bin:$PATH" \
	"$HPC" build -q -f qcow2 "$T/pod.json" -o "$T/outdir/x.qcow2"
[ -z "$(ls -A "$T/outdir")" ] ||
	fail "a failed conversion left: $(ls -A "$T/outdir")"

echo ok
