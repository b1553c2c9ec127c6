#!/bin/sh
# t-init: boot hpc-init for real, under QEMU's TCG, without the compiler.
#
# Builds bin/hpc-init, a busybox root filesystem from Debian's
# busybox-static, a GPT disk with two ext4 root filesystems (hpc-root-0,
# hpc-root-1), an init plan and an initrd, then boots three pods:
#   1. seven containers side by side: prefixed output, environment,
#      hostname, /etc files, network, users and groups, workdir, exit
#      statuses (7, 137 for SIGKILL, 127, 126), onFailure restarts that
#      keep the container's overlay, 100 orphans left behind and no
#      zombie after them (the init's own count), and the pod status;
#   2. a plan naming a partition the disk lacks: "error" and a non-zero
#      pod status, then a clean power-off;
#   3. a plan that does not parse: the same, with the exit channel found
#      by loading every module the initrd has.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/t-init.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

fail() {
	echo "t-init: FAIL: $*" >&2
	for f in "$T"/*.console "$T"/*.exit; do
		[ -f "$f" ] || continue
		echo "--- $f (last 80 lines)" >&2
		tail -n 80 "$f" >&2
	done
	exit 1
}

make -C "$ROOT" -s bin/hpc-init >/dev/null
INIT=$ROOT/bin/hpc-init

KERNEL=$(ls /boot/vmlinuz-6.1.0-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$KERNEL" ] || fail "no /boot/vmlinuz-6.1.0-*-cloud-amd64"
KVER=${KERNEL#/boot/vmlinuz-}
MODDIR=/lib/modules/$KVER
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
virtio_pci virtio_blk failover net_failover virtio_net virtio_console overlay"

# --- a busybox root filesystem -------------------------------------------
DEB=$(ls /var/cache/apt/archives/busybox-static_*.deb 2>/dev/null | head -n 1)
if [ -z "$DEB" ]; then
	(cd "$T" && apt-get download busybox-static >/dev/null)
	DEB=$(ls "$T"/busybox-static_*.deb | head -n 1)
fi
dpkg-deb -x "$DEB" "$T/bb"

R0=$T/root0
mkdir -p "$R0/bin" "$R0/etc" "$R0/tmp" "$R0/proc" "$R0/sys" "$R0/dev" \
	"$R0/home/app" "$R0/root"
cp "$T/bb/bin/busybox" "$R0/bin/busybox"
for a in $("$R0/bin/busybox" --list); do
	[ "$a" = busybox ] || ln -s busybox "$R0/bin/$a"
done
cat > "$R0/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app user:/home/app:/bin/sh
EOF
cat > "$R0/etc/group" <<'EOF'
root:x:0:
tty:x:5:
app:x:1000:
extra:x:2000:nobody,app
EOF
# An image whose /etc/resolv.conf is a link out of the root: it must be
# replaced, not followed.
ln -s /run/systemd/resolve/stub-resolv.conf "$R0/etc/resolv.conf"
chmod 1777 "$R0/tmp"
R1=$T/root1
cp -a "$R0" "$R1"
echo "rootfs one" > "$R1/marker"

# --- the GPT disk ---------------------------------------------------------
DISK=$T/disk.img
truncate -s 72M "$DISK"
sgdisk -Z -a 2048 -n1:2048:+32M -t1:8300 -c1:hpc-root-0 \
	-n2:0:+32M -t2:8300 -c2:hpc-root-1 "$DISK" >/dev/null
start() {
	sgdisk -i "$1" "$DISK" | sed -n 's/^First sector: \([0-9]*\).*/\1/p'
}
S1=$(start 1)
S2=$(start 2)
mke2fs -q -F -t ext4 -E offset=$((S1 * 512)),nodiscard -d "$R0" "$DISK" 32M
mke2fs -q -F -t ext4 -E offset=$((S2 * 512)),nodiscard -d "$R1" "$DISK" 32M
for s in $S1 $S2; do
	e2fsck -fn "$DISK?offset=$((s * 512))" >/dev/null 2>&1 ||
		fail "e2fsck of the filesystem at sector $s"
done

# --- the initrd -----------------------------------------------------------
IR=$T/initrd
mkdir -p "$IR/lib/modules" "$IR/hpc" "$IR/dev" "$IR/proc" "$IR/sys"
cp "$INIT" "$IR/init"
for m in $MODULES; do
	rel=$(grep -E "(^|/)$m\.ko:" "$MODDIR/modules.dep" | cut -d: -f1)
	[ -n "$rel" ] || fail "module $m not in $MODDIR/modules.dep"
	cp "$MODDIR/$rel" "$IR/lib/modules/$m.ko"
done

# Plan values: '%' escaped; these tests use no control bytes.
kv() {
	if [ -z "$2" ]; then
		printf '%s\n' "$1"
	else
		printf '%s %s\n' "$1" "$(printf '%s' "$2" | sed 's/%/%25/g')"
	fi
}

pod_head() {
	kv hpc-plan 1
	kv name t-init
	kv hostname podhost
	kv ip 10.0.2.15
	kv netmask 255.255.255.0
	kv gateway 10.0.2.2
	kv dns 10.0.2.3
	kv tty 0
	for m in $MODULES; do
		kv module "/lib/modules/$m.ko"
	done
}

# container NAME ROOTFS RESTART USER WORKDIR ARG...
container() {
	kv container "$1"
	kv rootfs "$2"
	kv restart "$3"
	[ -z "$4" ] || kv user "$4"
	[ -z "$5" ] || kv workdir "$5"
	shift 5
	for a in "$@"; do
		kv arg "$a"
	done
	kv env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	kv env DVM_POD_IP=10.0.2.15
	kv stopsignal 15
	kv end ""
}

# boot NAME [cad]: boot $T/NAME.plan; console in NAME.console, channel in
# NAME.exit, QEMU's status in $RC. With "cad", press Ctrl-Alt-Del through
# QEMU's monitor once NAME.console has a line "cad | ready".
boot() {
	rm -f "$IR/hpc/plan"
	cp "$T/$1.plan" "$IR/hpc/plan"
	(cd "$IR" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$T/$1.initrd"
	: > "$T/$1.exit"
	RC=0
	timeout 90 qemu-system-x86_64 -accel tcg -M pc -m 256 -nodefaults \
		-no-reboot -nographic -serial stdio \
		-monitor "unix:$T/$1.mon,server=on,wait=off" \
		-kernel "$KERNEL" -initrd "$T/$1.initrd" \
		-append 'console=ttyS0 panic=-1 quiet' \
		-drive "file=$DISK,format=raw,if=none,id=d0,readonly=on" \
		-device virtio-blk-pci,drive=d0 \
		-device virtio-serial-pci \
		-chardev "file,id=ex,path=$T/$1.exit" \
		-device virtserialport,chardev=ex,name=hpc.exit \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
		</dev/null >"$T/$1.console" 2>&1 &
	QPID=$!
	[ "${2:-}" != cad ] || press_cad "$1"
	wait "$QPID" || RC=$?
	# Drop carriage returns and the firmware's screen clearing, which
	# the first line of the guest's output would otherwise follow.
	tr -d '\r' < "$T/$1.console" |
		sed 's/^.*\x1b\[2J//' > "$T/$1.console.tmp"
	mv "$T/$1.console.tmp" "$T/$1.console"
}

# Under TCG the guest's keyboard ignores keys for a while after it shows
# up, so press again each second until the init says it is stopping; it
# takes further presses while stopping as the same request.
press_cad() {
	i=0
	until grep -q 'cad | ready' "$T/$1.console"; do
		i=$((i + 1))
		[ $i -lt 600 ] || return 0	# the boot's own timeout ends it
		sleep 0.1
	done
	python3 - "$T/$1.mon" "$T/$1.console" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.recv(4096)	# the banner: the monitor reads commands after it
try:
    for _ in range(30):
        s.sendall(b"sendkey ctrl-alt-delete\n")
        time.sleep(1)
        if b"hpc-init: stopping" in open(sys.argv[2], "rb").read():
            break
except OSError:
    pass	# QEMU is gone: the checks that follow say why
s.close()
EOF
}

# has FILE TEXT: FILE holds a line that is exactly TEXT.
# has FILE LINE: FILE has LINE. On the serial console the firmware may
# leave a character with no newline before the init's first line, so a
# line may also start with something that is not a letter or digit.
has() {
	LINE=$2 awk '{
		t = ENVIRON["LINE"]; i = index($0, t)
		if (i && i + length(t) - 1 == length($0) &&
		    substr($0, 1, i - 1) !~ /[[:alnum:]]/)
			found = 1
	} END { exit !found }' "$1" ||
		fail "'$(basename "$1")' has no line '$2'"
}

# --- boot 1: a pod of several containers ---------------------------------
# one LINE...: the lines joined by spaces, a one-line shell script.
one() { printf '%s ' "$@"; }
ABC=0123456789abcdefghijklmnopqrstuvwxyz
CHATTY=$(one 'i=0; while [ $i -lt 300 ]; do' \
	"echo \"\$i $ABC$ABC\"; i=\$((i+1)); done")
ALPHA=$(one 'echo hello from alpha; echo alpha err >&2;' \
	'echo "ip=$DVM_POD_IP"; hostname; cat /etc/resolv.conf;' \
	'grep podhost /etc/hosts; route -n; echo "home=$HOME";' \
	'printf "no newline"')
BETA=$(one 'echo beta says hi; id; pwd; cat /marker;' \
	'echo "home=$HOME"; exit 7')
FLAKY=$(one 'n=$(cat /count 2>/dev/null || echo 0); n=$((n+1));' \
	'echo $n > /count; echo attempt $n; [ $n -ge 3 ]')
ISOLATED=$(one 'sleep 2; cat /count 2>/dev/null || echo isolated;' \
	'echo pid=$$; id -u; id -g; id -G; pwd; echo 100%')
# 100 children orphaned at once (each subshell exits at once), counted as
# children of the container's PID 1, and left running at its exit.
ORPHANS=$(one 'i=0; while [ $i -lt 100 ]; do (sleep 1000 &); i=$((i+1));' \
	'done; echo "orphans=$(cat /proc/[0-9]*/stat 2>/dev/null |' \
	'awk "\$2 == \"(sleep)\" && \$4 == 1" | wc -l)"')
{
	pod_head
	container alpha hpc-root-0 never "" "" /bin/sh -c "$ALPHA"
	container beta hpc-root-1 never app /home/app sh -c "$BETA"
	container killed hpc-root-0 never "" "" sh -c \
		'echo about to die; kill -9 $$'
	container missing hpc-root-0 never "" "" nosuchcmd
	container notexec hpc-root-0 never "" "" /etc/passwd
	container flaky hpc-root-0 onFailure "" "" sh -c "$FLAKY"
	container isolated hpc-root-0 never 1000:2000 /tmp sh -c "$ISOLATED"
	container orphans hpc-root-0 never "" "" sh -c "$ORPHANS"
	container chatty1 hpc-root-0 never "" "" sh -c "$CHATTY"
	container chatty2 hpc-root-1 never "" "" sh -c "$CHATTY >&2"
	container nowork hpc-root-0 never "" /etc/passwd/sub true
} > "$T/pod.plan"
grep -q '^arg .*echo 100%25 $' "$T/pod.plan" || fail "plan writer"

boot pod
C=$T/pod.console
X=$T/pod.exit
[ "$RC" -eq 0 ] || fail "qemu exited with $RC (124: timeout)"
grep -q 'Kernel panic' "$C" && fail "kernel panic"

has "$C" "alpha | hello from alpha"
has "$C" "alpha ! alpha err"
has "$C" "alpha | ip=10.0.2.15"
has "$C" "alpha | podhost"
has "$C" "alpha | nameserver 10.0.2.3"
has "$C" "$(printf 'alpha | 10.0.2.15\tpodhost t-init')"
has "$C" "alpha | home=/root"
has "$C" "alpha | no newline"
grep -Eq '^alpha \| 0\.0\.0\.0 +10\.0\.2\.2 +0\.0\.0\.0 +UG' "$C" ||
	fail "no default route by way of 10.0.2.2"
has "$C" "beta | beta says hi"
has "$C" "beta | uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)"
has "$C" "beta | /home/app"
has "$C" "beta | rootfs one"
has "$C" "beta | home=/home/app"
has "$C" "killed | about to die"
has "$C" "missing ! hpc-init: cannot run 'nosuchcmd': command not found"
has "$C" "notexec ! hpc-init: cannot run '/etc/passwd': Permission denied"
has "$C" "nowork ! hpc-init: cannot change to workdir '/etc/passwd/sub':\
 Not a directory"
has "$C" "flaky | attempt 1"
has "$C" "flaky | attempt 2"
has "$C" "flaky | attempt 3"
has "$C" "isolated | isolated"
has "$C" "isolated | pid=2"
has "$C" "isolated | 1000"
has "$C" "isolated | 2000"
has "$C" "isolated | /tmp"
has "$C" "isolated | 100%"
has "$C" "orphans | orphans=100"
# Whole lines only: every line the chatty containers wrote arrives intact.
for n in 1 2; do
	[ $n = 1 ] && m='|' || m='!'
	good=$(grep -cE "^chatty$n \\$m [0-9]+ ($ABC){2}\$" "$C" || true)
	[ "$good" -eq 300 ] || fail "chatty$n: $good whole lines of 300"
done
grep -q 'chatty[12] [|!] .*chatty' "$C" && fail "lines mixed"

for e in "exit alpha 0 0" "exit beta 7 0" "exit killed 137 0" \
	"exit missing 127 0" "exit notexec 126 0" "exit nowork 126 0" \
	"exit flaky 1 0" "exit flaky 1 1" "exit flaky 0 2" \
	"exit isolated 0 0" "exit chatty1 0 0" "exit chatty2 0 0" \
	"exit orphans 0 0" \
	"started alpha" "started beta"; do
	has "$X" "$e"
done
[ "$(grep -c '^started flaky$' "$X")" -eq 3 ] ||
	fail "flaky did not start 3 times"
# The orphans left running are gone, none a zombie: the init's count of
# the whole VM is there, and 0. No container could say so, each seeing
# only its own PID namespace.
has "$X" "zombies 0"
[ "$(tail -n 1 "$X")" = "pod 7" ] || fail "last channel line is not 'pod 7'"
grep -q '^error' "$X" && fail "an error was reported"

# --- boot 2: a partition the disk lacks ----------------------------------
{
	pod_head
	container lost hpc-root-9 never "" "" true
} > "$T/nopart.plan"
boot nopart
[ "$RC" -eq 0 ] || fail "qemu exited with $RC without the partition"
grep -q 'Kernel panic' "$T/nopart.console" && fail "kernel panic"
has "$T/nopart.console" \
	"hpc-init: no partition named 'hpc-root-9' after 5000 ms"
has "$T/nopart.exit" "error no partition named 'hpc-root-9' after 5000 ms"
[ "$(tail -n 1 "$T/nopart.exit")" = "pod 1" ] ||
	fail "no 'pod 1' without the partition"

# --- boot 3: a plan that does not parse -----------------------------------
{
	pod_head
	kv container broken
	kv rootfs hpc-root-0
	kv arg true
} > "$T/badplan.plan"
boot badplan
[ "$RC" -eq 0 ] || fail "qemu exited with $RC on a bad plan"
grep -q 'Kernel panic' "$T/badplan.console" && fail "kernel panic"
has "$T/badplan.console" \
	"hpc-init: plan ends inside container 'broken' without 'end'"
has "$T/badplan.exit" "error plan ends inside container 'broken' without 'end'"
[ "$(tail -n 1 "$T/badplan.exit")" = "pod 1" ] ||
	fail "no 'pod 1' on a bad plan"

# --- boot 4: Ctrl-Alt-Del stops the pod ----------------------------------
# The init turns it into SIGINT for itself and sends each container its
# stop signal; "always" must not restart a container the pod stops.
# "ready" once the guest's keyboard is there: atkbd probes late under TCG.
CAD=$(one 'trap "echo got TERM; exit 3" TERM;' \
	'until cat /sys/class/input/*/name 2>/dev/null | grep -q keyboard;' \
	'do sleep 0.2; done; echo ready; while :; do sleep 1; done')
{
	pod_head
	container cad hpc-root-0 always "" "" sh -c "$CAD"
	container sleeper hpc-root-0 never "" "" sleep 1000
} > "$T/stop.plan"
boot stop cad
[ "$RC" -eq 0 ] || fail "qemu exited with $RC after Ctrl-Alt-Del"
has "$T/stop.console" "hpc-init: stopping the pod"
has "$T/stop.console" "cad | got TERM"
has "$T/stop.exit" "exit cad 3 0"
has "$T/stop.exit" "exit sleeper 143 0"
[ "$(grep -c '^started cad$' "$T/stop.exit")" -eq 1 ] || fail "cad restarted"
[ "$(tail -n 1 "$T/stop.exit")" = "pod 3" ] || fail "no 'pod 3' after the stop"

echo "t-init: ok"
