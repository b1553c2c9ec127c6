#!/bin/sh
# t-lifecycle: hpc-init as PID 1, proved on pods built by "hpc build" from
# the busybox image and booted by "hpc run" under TCG.
#
#   1. restart policies, exec failures, orphans, limits, timings: one pod
#      of several containers. The onFailure count lives in a file of the
#      container's own writable root (the overlay's upper layer, kept
#      across restarts of the same container), not on a volume.
#   2. stopping on SIGTERM to hpc run, with --stop-timeout 3: a container
#      that traps SIGTERM, one that ignores it (killed after the grace),
#      and an "always" container restarted until the stop.
#   3. the default grace period of 10 s, once, on SIGINT; a SIGINT so
#      early that the container may not have started gives 130 or its
#      status, never 0.
#   4. an interactive shell on the console as its terminal, driven
#      through tmux: the host terminal is raw while it runs and restored,
#      when the shell exits and when hpc run gets SIGTERM.
#   5. build errors of "tty": two containers with it, or a pod "tty" that
#      names none of several; 6. a bad --stop-timeout.
#   7. a pod whose containers all end well, status 0: onFailure with its
#      count on a pod volume; the container's devices, /dev/pts and
#      /dev/shm, /etc/hostname; its own UTS, IPC, mount and PID
#      namespaces and the pod's shared network.
#   8. the init's own failures, each a message and a clean power-off with
#      status 1: a root filesystem's partition missing from the disk, one
#      that does not mount, a module that does not load.
# The zombie count the init reports on the exit channel, which hpc run
# shows only when it is not 0, is read directly in t-init.sh.
. "$(dirname "$0")/lib.sh"
# KEEP=1 keeps the work directory for a look after a failure.
[ -z "${KEEP:-}" ] || { trap - EXIT; echo "t-lifecycle: work in $T"; }

img=$(busybox_image)
IMAGE="oci:$img:latest"

# count TEXT FILE: how many lines of FILE are exactly TEXT (CRs aside).
count() {
	tr -d '\r' <"$2" | grep -cxF -- "$1" || true
}

# json_str TEXT: TEXT as a JSON string, quotes and all.
json_str() {
	printf '%s' "$1" | python3 -c 'import json, sys; print(json.dumps(sys.stdin.read()))'
}

# elapsed_since START: whole seconds since START (date +%s).
elapsed_since() {
	echo $(( $(date +%s) - $1 ))
}

# wait_for TEXT FILE SECONDS: until FILE holds TEXT, or fail.
wait_for() {
	i=0
	until grep -qF -- "$1" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt $(($3 * 10)) ] || { cat "$T"/*.out "$T"/*.err 2>/dev/null >&2;
			fail "no '$1' in '$2' after $3 s"; }
		sleep 0.1
	done
}

# --- 1. restarts, exec failures, orphans, limits, timings ------------------
FLAKY='n=$(cat /count 2>/dev/null || echo 0); n=$((n+1)); echo $n > /count;
echo attempt $n; [ $n -ge 3 ]'
# 100 children orphaned at once (each subshell exits at once), counted
# from the container's own PID namespace as children of its PID 1; then
# killed, so that only a reaper keeps them from staying zombies.
ORPHANS='i=0; while [ $i -lt 100 ]; do (sleep 1000 &); i=$((i+1)); done;
stats() { cat /proc/[0-9]*/stat 2>/dev/null; };
echo "orphans=$(stats | awk "\$2 == \"(sleep)\" && \$4 == 1" | wc -l)";
kill $(stats | awk "\$2 == \"(sleep)\" { print \$1 }"); sleep 3;
echo "zombies=$(stats | awk "\$3 == \"Z\"" | wc -l)";
echo "left=$(stats | awk "\$2 == \"(sleep)\"" | wc -l)";
i=0; while [ $i -lt 100 ]; do (sleep 1000 &); i=$((i+1)); done; exit 0'
cat >"$T/life.json" <<EOF
{
	"name": "life",
	"containers": [
		{ "name": "flaky", "image": "$IMAGE", "restartPolicy": "onFailure",
		  "command": ["sh", "-c", $(json_str "$FLAKY")] },
		{ "name": "failer", "image": "$IMAGE", "restartPolicy": "never",
		  "command": ["sh", "-c", "echo failing once; exit 5"] },
		{ "name": "missing", "image": "$IMAGE",
		  "command": ["/no/such/binary"] },
		{ "name": "notexec", "image": "$IMAGE",
		  "command": ["/etc/passwd"] },
		{ "name": "orphans", "image": "$IMAGE",
		  "command": ["sh", "-c", $(json_str "$ORPHANS")] },
		{ "name": "limits", "image": "$IMAGE",
		  "command": ["sh", "-c", "echo nofile=\$(ulimit -n) hard=\$(ulimit -Hn); exit 0"] }
	]
}
EOF
"$HPC" build -q "$T/life.json" -o "$T/life.img"
status=$(boot "$T/life.img" --timings)
[ "$status" = 5 ] || { cat "$T/all" >&2; fail "life: status $status, not 5"; }
# The serial console ends lines with CR LF.
tr -d '\r' <"$T/all" >"$T/life.all"
A=$T/life.all
grep -q 'Kernel panic' "$A" && fail "life: kernel panic"
for n in 1 2 3; do
	expect_contains "$A" "flaky | attempt $n"
done
[ "$(grep -c 'flaky | attempt' "$A")" = 3 ] || fail "flaky did not run 3 times"
expect_contains "$A" "hpc: container 'flaky' exited with status 0 after 2 restarts"
[ "$(count 'failer | failing once' "$A")" = 1 ] || fail "failer ran more than once"
expect_contains "$A" "hpc: container 'failer' exited with status 5"
expect_contains "$A" "missing ! hpc-init: cannot run '/no/such/binary': no such file"
expect_contains "$A" "hpc: container 'missing' exited with status 127"
expect_contains "$A" "notexec ! hpc-init: cannot run '/etc/passwd': Permission denied"
expect_contains "$A" "hpc: container 'notexec' exited with status 126"
expect_contains "$A" "orphans | orphans=100"
expect_contains "$A" "orphans | zombies=0"
expect_contains "$A" "orphans | left=0"
expect_contains "$A" "hpc: container 'orphans' exited with status 0"
grep -q "zombie" "$T/err" && fail "life: the init counted zombies at the end"
expect_contains "$A" "limits | nofile=1048576 hard=1048576"
# Timings: the host's events and the guest's marks, in order of time.
for w in "qemu started" "init started (guest clock" \
	"kernel modules loaded" "network set up" "root filesystems mounted" "container 'flaky' started" \
	"container 'orphans' exited" "pod ended, powering off" "qemu ended"; do
	grep "^hpc: timing: " "$T/err" | grep -qF -- "$w" ||
		fail "timings: no '$w'"
done
grep '^hpc: timing: ' "$T/err" | awk '{ print $3 }' >"$T/times"
sort -n -c "$T/times" || fail "timings are not in order: $(cat "$T/err")"
[ "$(grep -c "container 'flaky' started" "$T/err")" = 3 ] ||
	fail "timings: flaky's three starts"
echo "t-lifecycle: ok: restarts, exec failures, orphans, limits, timings"

# --- 2. stopping on SIGTERM, --stop-timeout 3 -------------------------------
cat >"$T/stop.json" <<EOF
{
	"name": "stop",
	"containers": [
		{ "name": "trapper", "image": "$IMAGE",
		  "command": ["sh", "-c", "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.2; done"] },
		{ "name": "ignorer", "image": "$IMAGE",
		  "command": ["sh", "-c", "trap '' TERM; echo ignoring; while :; do sleep 0.2; done"] },
		{ "name": "looper", "image": "$IMAGE", "restartPolicy": "always",
		  "command": ["sh", "-c", "echo looping"] }
	]
}
EOF
"$HPC" build -q "$T/stop.json" -o "$T/stop.img"

# stop_run SIG NAME IMG GRACE-ARGS...: boot in the background, wait until
# the pod is up, send SIG to hpc run, and time how long it takes to return.
stop_run() {
	sig=$1
	name=$2
	image=$3
	shift 3
	timeout 300 "$HPC" run --accel tcg "$@" "$image" \
		>"$T/$name.out" 2>"$T/$name.err" </dev/null &
	tpid=$!
	wait_for "ignorer | ignoring" "$T/$name.out" 240
	[ "$name" != stop ] || wait_for "trapper | ready" "$T/$name.out" 60
	[ "$name" != stop ] || wait_for "looper | looping" "$T/$name.out" 60
	i=0
	while [ "$name" = stop ] &&
		[ "$(count 'looper | looping' "$T/$name.out")" -lt 3 ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "looper was not restarted twice in 60 s"
		sleep 0.2
	done
	hpid=$(pgrep -P $tpid)
	[ -n "$hpid" ] || fail "$name: cannot find hpc run"
	t0=$(date +%s)
	kill -s "$sig" "$hpid"
	rc=0
	wait $tpid || rc=$?
	took=$(elapsed_since "$t0")
	cat "$T/$name.out" "$T/$name.err" | tr -d '\r' >"$T/$name.all"
}

stop_run TERM stop "$T/stop.img" --stop-timeout 3
S=$T/stop.all
[ "$rc" = 3 ] || { cat "$S" >&2; fail "stop: status $rc, not 3 (trapper's)"; }
[ "$took" -ge 3 ] || fail "stop: returned after $took s, before the grace of 3 s"
[ "$took" -le 10 ] || fail "stop: returned after $took s, grace 3 s"
expect_contains "$S" "hpc-init: stopping the pod"
expect_contains "$S" "trapper | got TERM"
expect_contains "$S" "hpc: container 'trapper' exited with status 3"
expect_contains "$S" "hpc: container 'ignorer' exited with status 137 (SIGKILL)"
loops=$(count 'looper | looping' "$S")
expect_contains "$S" "hpc: container 'looper' exited with status 0 after $((loops - 1)) restarts"
[ "$loops" -ge 3 ] || fail "looper ran only $loops times"
expect_contains "$S" "hpc: warning: stopped the pod on TERM"
grep -q "did not stop within" "$S" && fail "stop: the VM had to be killed"
echo "t-lifecycle: ok: SIGTERM stops the pod in $took s (grace 3 s)"

# --- 3. the default grace period -------------------------------------------
cat >"$T/grace.json" <<EOF
{
	"name": "grace",
	"containers": [
		{ "name": "ignorer", "image": "$IMAGE",
		  "command": ["sh", "-c", "trap '' TERM; echo ignoring; while :; do sleep 0.2; done"] }
	]
}
EOF
"$HPC" build -q "$T/grace.json" -o "$T/grace.img"
# SIGINT this time: what Ctrl-C sends when the pod has no tty.
stop_run INT grace "$T/grace.img"
[ "$rc" = 137 ] || { cat "$T/grace.all" >&2; fail "grace: status $rc, not 137"; }
expect_contains "$T/grace.all" "hpc: warning: stopped the pod on INT"
[ "$took" -ge 10 ] || fail "grace: returned after $took s, before 10 s"
[ "$took" -le 17 ] || fail "grace: returned after $took s, grace 10 s"
expect_contains "$T/grace.all" "hpc-init: grace period of 10000 ms over"
echo "t-lifecycle: ok: the default grace period is 10 s ($took s)"

# A signal soon after the start, before the container may have run: the
# pod's status is the container's when it ran and was stopped (143), and
# 128+N when it never started; never 0.
pod_file "$T/early.json" "$IMAGE" early '["sleep", "30"]'
"$HPC" build -q "$T/early.json" -o "$T/early.img"
for delay in 0.2 1.5; do
	timeout 120 "$HPC" run --accel tcg "$T/early.img" </dev/null \
		>"$T/early.out" 2>"$T/early.err" &
	hpid=$!
	sleep "$delay"
	kill -INT "$hpid"
	rc=0
	wait "$hpid" || rc=$?
	if grep -q "container 'early' did not start" "$T/early.err"; then
		want=130
	else
		expect_contains "$T/early.err" \
			"hpc: container 'early' exited with status 143"
		want=143
	fi
	[ "$rc" = "$want" ] || { cat "$T/early.err" >&2;
		fail "SIGINT after $delay s: status $rc, not $want"; }
	echo "t-lifecycle: ok: SIGINT after $delay s gives $rc"
done

# --- 4. an interactive shell with the console as its terminal --------------
cat >"$T/tty.json" <<EOF
{
	"name": "tty",
	"tty": true,
	"containers": [ { "name": "shell", "image": "$IMAGE", "command": ["sh"] } ]
}
EOF
"$HPC" build -q "$T/tty.json" -o "$T/tty.img"
# tty_session NAME RUN-ARGS...: in a tmux pane of its own, note the
# terminal's settings, run the tty pod, note its status and the settings
# again (NAME.before, NAME.rc, NAME.after); wait for the shell's prompt.
# capture-pane drops trailing blanks: the prompt is "/ #".
tty_session() {
	n=$1
	shift
	cat >"$T/$n.sh" <<EOF
stty -a >"$T/$n.before"
timeout --foreground 300 "$HPC" run --accel tcg $* "$T/tty.img" 2>"$T/$n.err"
echo \$? >"$T/$n.rc"
stty -a >"$T/$n.after"
EOF
	SOCK=$T/$n.sock
	tmux -S "$SOCK" new-session -d -x 100 -y 30 "sh '$T/$n.sh'; sleep 600"
	i=0
	until screen && grep -q '^/ #' "$T/screen"; do
		i=$((i + 1))
		[ $i -lt 2400 ] || { cat "$T/screen" >&2; fail "$n: no prompt"; }
		sleep 0.1
	done
}
screen() { tmux -S "$SOCK" capture-pane -p -S -100 >"$T/screen"; }
# Under set -e a failing command would end the trap, and the test.
trap 'for s in "$T"/*.sock; do tmux -S "$s" kill-server 2>/dev/null || true; done
[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# tty_done NAME: wait for hpc run to end; the terminal is as it was.
tty_done() {
	i=0
	until [ -s "$T/$1.after" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || { screen; cat "$T/screen" >&2;
			fail "$1: hpc run did not end"; }
		sleep 0.1
	done
	screen
	cmp -s "$T/$1.before" "$T/$1.after" || {
		diff "$T/$1.before" "$T/$1.after" >&2
		fail "$1: the host terminal was not restored"; }
	grep -q ' -icanon' "$T/$1.before" && fail "$1: the terminal started raw"
	tmux -S "$SOCK" kill-server 2>/dev/null || true
}

tty_session shell
tmux -S "$SOCK" send-keys 'echo hi; tty; stty size; exit 3' Enter
tty_done shell
[ "$(cat "$T/shell.rc")" = 3 ] || { cat "$T/screen" "$T/shell.err" >&2;
	fail "tty: status $(cat "$T/shell.rc"), not 3"; }
grep -qx 'hi' "$T/screen" || { cat "$T/screen" >&2; fail "tty: no 'hi' line"; }
grep -qx '/dev/console' "$T/screen" || { cat "$T/screen" >&2;
	fail "tty: the shell's terminal is not the console"; }
grep -qx '30 100' "$T/screen" || { cat "$T/screen" >&2;
	fail "tty: the guest's terminal is not the pane's 30 rows, 100 columns"; }
expect_contains "$T/shell.err" "hpc: container 'shell' exited with status 3"

# The terminal comes back on a signal too: SIGTERM to hpc run while the
# shell waits at its prompt. An interactive shell ignores SIGTERM, so the
# grace of 1 s runs out (137); 143 if this shell did not.
tty_session term --stop-timeout 1
tpid=$(pgrep -f "timeout --foreground 300 $HPC run --accel tcg --stop-timeout 1")
hpid=$(pgrep -P "$tpid")
[ -n "$hpid" ] || fail "tty: cannot find hpc run"
kill -TERM "$hpid"
tty_done term
case $(cat "$T/term.rc") in
137|143) ;;
*) cat "$T/screen" "$T/term.err" >&2; fail "tty term: status $(cat "$T/term.rc")" ;;
esac
expect_contains "$T/term.err" "hpc: warning: stopped the pod on TERM"
echo "t-lifecycle: ok: an interactive shell on a tty, terminal restored"

# --- 5. tty errors at build time ---------------------------------------------
# bad_build NAME TEXT: building NAME.json fails with 2, says TEXT on one
# line, and leaves no image.
bad_build() {
	rc=0
	"$HPC" build "$T/$1.json" -o "$T/$1.img" 2>"$T/$1.err" || rc=$?
	[ "$rc" = 2 ] || fail "$1: build status $rc, not 2"
	expect_contains "$T/$1.err" "$2"
	[ ! -e "$T/$1.img" ] || fail "$1: a partial image was left"
}
cat >"$T/twotty.json" <<EOF
{ "name": "twotty", "containers": [
	{ "name": "a", "image": "$IMAGE", "command": ["sh"], "tty": true },
	{ "name": "b", "image": "$IMAGE", "command": ["sh"], "tty": true } ] }
EOF
bad_build twotty "containers[1].tty: only one container can have the terminal, and containers[0] has it"
cat >"$T/podtty.json" <<EOF
{ "name": "podtty", "tty": true, "containers": [
	{ "name": "a", "image": "$IMAGE", "command": ["sh"] },
	{ "name": "b", "image": "$IMAGE", "command": ["sh"] } ] }
EOF
bad_build podtty "tty: a pod of 2 containers must say which one has the terminal"
echo "t-lifecycle: ok: tty errors at build time"

# --- 6. a bad --stop-timeout: one line naming it, status 2, no boot --------
rc=0
"$HPC" run --accel tcg --stop-timeout soon "$T/grace.img" >"$T/bad.out" \
	2>"$T/bad.err" || rc=$?
[ "$rc" = 2 ] || fail "bad --stop-timeout: status $rc, not 2"
expect_contains "$T/bad.err" "hpc: --stop-timeout: 'soon' is not a number from 0 to 86400"
[ ! -s "$T/bad.out" ] || fail "bad --stop-timeout: something booted"
echo "t-lifecycle: ok: a bad --stop-timeout is refused"

# --- 7. a pod that ends well: onFailure on a volume, the container's world --
# flaky keeps its count on an empty pod volume, which the watcher reads
# too; the renamer changes its own hostname, which the watcher must not
# see. Both say which namespaces they are in, for the test to compare.
NS='for n in uts ipc net mnt pid; do
	echo "ns $n $(readlink /proc/self/ns/$n)"; done'
GFLAKY='n=$(cat /state/count 2>/dev/null || echo 0); n=$((n+1));
echo $n >/state/count; echo attempt $n; [ $n -ge 3 ]'
RENAMER="hostname other && echo \"renamed to \$(hostname)\"; $NS;
touch /state/renamed"
# wait_file FILE TEXT: until FILE holds TEXT; false after 120 s.
WATCHER='wait_file() { i=0; until [ "$(cat $1 2>/dev/null)" = "$2" ]; do
	[ $i -lt 600 ] || return 1; sleep 0.2; i=$((i+1)); done; };
for d in null zero urandom tty; do
	if [ -c /dev/$d ]; then echo "/dev/$d char"; else echo "/dev/$d not char"; fi;
done;
echo "zero$(head -c 4 /dev/zero | od -An -tx1)";
echo "urandom $(head -c 16 /dev/urandom | wc -c)";
awk "\$2 == \"/dev/pts\" || \$2 == \"/dev/shm\" {
	print \"mount\", \$2, \$3 }" /proc/self/mounts;
echo "etc/hostname $(cat /etc/hostname)";
'"$NS"';
wait_file /state/renamed "" && echo "hostname $(hostname)";
wait_file /state/count 3 && echo "count on the volume $(cat /state/count)"'
cat >"$T/good.json" <<EOF
{
	"name": "good",
	"hostname": "goodhost",
	"volumes": [ { "name": "state", "source": "", "driver": "vfs",
		       "size": "8M" } ],
	"containers": [
		{ "name": "flaky", "image": "$IMAGE", "restartPolicy": "onFailure",
		  "command": ["sh", "-c", $(json_str "$GFLAKY")],
		  "volumes": [ { "path": "/state", "volume": "state" } ] },
		{ "name": "renamer", "image": "$IMAGE",
		  "command": ["sh", "-c", $(json_str "$RENAMER")],
		  "volumes": [ { "path": "/state", "volume": "state" } ] },
		{ "name": "watcher", "image": "$IMAGE",
		  "command": ["sh", "-c", $(json_str "$WATCHER")],
		  "volumes": [ { "path": "/state", "volume": "state" } ] }
	]
}
EOF
"$HPC" build -q "$T/good.json" -o "$T/good.img"
status=$(boot "$T/good.img")
tr -d '\r' <"$T/all" >"$T/good.all"
G=$T/good.all
[ "$status" = 0 ] || { cat "$G" >&2; fail "good: status $status, not 0"; }
grep -q 'Kernel panic' "$G" && fail "good: kernel panic"
# once LINE: the pod's output holds LINE exactly once.
once() {
	[ "$(count "$1" "$G")" = 1 ] || { cat "$G" >&2;
		fail "good: not once in the output: '$1'"; }
}
for n in 1 2 3; do
	once "flaky | attempt $n"
done
[ "$(grep -c 'flaky | attempt' "$G")" = 3 ] ||
	fail "good: flaky did not run 3 times"
expect_contains "$G" "hpc: container 'flaky' exited with status 0 after 2 restarts"
once "watcher | count on the volume 3"
for d in null zero urandom tty; do
	once "watcher | /dev/$d char"
done
once "watcher | zero 00 00 00 00"
once "watcher | urandom 16"
once "watcher | mount /dev/pts devpts"
once "watcher | mount /dev/shm tmpfs"
once "watcher | etc/hostname goodhost"
# The renamer may set its hostname; the watcher, asking once the renamer
# has, still sees the pod's.
once "renamer | renamed to other"
once "watcher | hostname goodhost"
# ns_of CONTAINER NS: the namespace CONTAINER said it is in.
ns_of() {
	sed -n "s/^$1 | ns $2 \\($2:\\[[0-9]*\\]\\)\$/\\1/p" "$G"
}
for n in uts ipc net mnt pid; do
	r=$(ns_of renamer $n) w=$(ns_of watcher $n)
	[ -n "$r" ] && [ -n "$w" ] || { cat "$G" >&2;
		fail "good: no $n namespace said"; }
	if [ "$n" = net ]; then
		[ "$r" = "$w" ] || fail "good: the network is not shared ($r, $w)"
	else
		[ "$r" != "$w" ] || fail "good: one $n namespace for both ($r)"
	fi
done
echo "t-lifecycle: ok: a pod that ends well, its devices, mounts, namespaces"

# --- 8. the init's own failures, through hpc run ---------------------------
# Each is said on the console and reported as the pod's error, then the
# VM powers off cleanly: hpc run exits 1, and the kernel never panics.
# init_fails NAME TEXT: so it goes for NAME.img, the init saying TEXT.
init_fails() {
	status=$(boot "$T/$1.img")
	tr -d '\r' <"$T/all" >"$T/$1.all"
	[ "$status" = 1 ] || { cat "$T/$1.all" >&2;
		fail "$1: status $status, not 1"; }
	expect_contains "$T/$1.all" "hpc-init: $2"
	expect_contains "$T/$1.all" "hpc: pod error: $2"
	grep -q 'Kernel panic' "$T/$1.all" && fail "$1: kernel panic"
	expect_contains "$T/$1.all" "hpc: container 'ignorer' did not start"
}

# A plan naming a partition the disk lacks. The plan lives in the initrd,
# whose bytes the manifest seals, so the disk loses the name instead:
# the GPT entry of the container's root filesystem is renamed.
cp "$T/grace.img" "$T/nopart.img"
n=$(sgdisk -p "$T/nopart.img" | awk '$7 == "hpc-root-0" { print $1 }')
[ -n "$n" ] || fail "nopart: no hpc-root-0 in the GPT"
sgdisk -c "$n:hpc-root-9" "$T/nopart.img" >/dev/null
init_fails nopart "no partition named 'hpc-root-0' after 5000 ms"

# A root filesystem that does not mount: its superblock is zeroed.
cp "$T/grace.img" "$T/nomount.img"
set -- $(part "$T/nomount.img" hpc-root-0)
dd if=/dev/zero of="$T/nomount.img" bs=1024 seek=$(($1 / 1024 + 1)) \
	count=1 conv=notrunc 2>/dev/null
init_fails nomount \
	"cannot mount partition 'hpc-root-0' (ext4 on /dev/vda4) on '/run/hpc/lower/0': Invalid argument"

# A module that does not load: --modules names a tree whose overlay.ko,
# the last module the init loads, is cut short.
KVER=$(ls /lib/modules | grep -- '-cloud-amd64$' | sort -V | tail -n 1)
MODS=/lib/modules/$KVER
mkdir "$T/mods"
cp "$MODS/modules.dep" "$MODS/modules.builtin" "$T/mods/"
ln -s "$MODS/kernel" "$T/mods/kernel"
head -c 4096 "$MODS/kernel/fs/overlayfs/overlay.ko" >"$T/mods/overlay.ko"
sed -i 's|^kernel/fs/overlayfs/overlay\.ko:|overlay.ko:|' "$T/mods/modules.dep"
grep -q '^overlay\.ko:' "$T/mods/modules.dep" || fail "badmod: modules.dep"
"$HPC" build -q "$T/grace.json" -o "$T/badmod.img" \
	--kernel "/boot/vmlinuz-$KVER" --modules "$T/mods"
init_fails badmod \
	"cannot load module '/lib/modules/overlay.ko': Exec format error"
echo "t-lifecycle: ok: the init's own failures power off with status 1"
echo ok
