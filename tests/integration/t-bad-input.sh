#!/bin/sh
# Bad input gets a one-line error naming the thing and the problem, exit
# status 1 (2 for a pod file that is wrong itself), and no output file.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)
"$ROOT/tests/fixtures/make-bad-images.sh" "$T/bad" >/dev/null

pod_file "$T/missing.json" "oci:$T/nowhere:latest" m '["true"]'
expect_one_line_failure 1 "hpc: container 'm': image 'oci:$T/nowhere:latest': cannot open '$T/nowhere/oci-layout': No such file or directory" \
	build "$T/missing.json" -o "$T/out.img"

pod_file "$T/ok.json" "oci:$img:latest" ok '["true"]'
expect_one_line_failure 1 "hpc: kernel '$T/no-vmlinuz': No such file or directory" \
	build "$T/ok.json" -o "$T/out.img" --kernel "$T/no-vmlinuz"
# an init the guest's kernel could not start fails the build, not the boot
expect_one_line_failure 1 "hpc: init '/etc/passwd': not an ELF executable (the init must be a static x86-64 program)" \
	build "$T/ok.json" -o "$T/out.img" --init /etc/passwd
expect_one_line_failure 1 "hpc: init '/bin/ls': linked dynamically, but the initrd has no libraries" \
	build "$T/ok.json" -o "$T/out.img" --init /bin/ls
# --modules alone is the default kernel's module tree, not ignored
expect_failure 1 "cannot open '$T/no-modules/modules.dep'" build "$T/ok.json" \
	-o "$T/out.img" --modules "$T/no-modules"

# a kernel with ext4 neither as a module nor built in cannot boot a pod
std=$(ls /boot/vmlinuz-*-amd64 | grep -v -- '-cloud-amd64$' | sort -V |
	tail -n 1)
[ -n "$std" ] || fail "no standard kernel in /boot (linux-image-amd64)"
mkdir "$T/noext4"
grep -v '/ext4\.ko' "/lib/modules/${std#/boot/vmlinuz-}/modules.dep" \
	>"$T/noext4/modules.dep"
: >"$T/noext4/modules.builtin"
want="kernel module 'ext4' is neither in '$T/noext4/modules.dep' nor"
expect_one_line_failure 1 "$want built in" \
	build "$T/ok.json" -o "$T/out.img" --kernel "$std" --modules "$T/noext4"

# The fixtures' paths hold "digest" and "truncated" themselves, so each
# message is pinned whole: the container, the image, the layer, the fault.
# layer_of LAYOUT: the digest of the one layer of LAYOUT's image.
layer_of() {
	python3 -c '
import json, sys
def blob(d):
    return json.load(open(sys.argv[1] + "/blobs/sha256/" + d.split(":")[1]))
m = json.load(open(sys.argv[1] + "/index.json"))["manifests"][0]
print(blob(m["digest"])["layers"][0]["digest"])' "$1"
}
pod_file "$T/digest.json" "oci:$T/bad/bad-digest:latest" d '["true"]'
expect_one_line_failure 1 "hpc: container 'd': image 'oci:$T/bad/bad-digest:latest': layer $(layer_of "$T/bad/bad-digest"): digest mismatch (got sha256:" \
	build "$T/digest.json" -o "$T/out.img"

pod_file "$T/trunc.json" "oci:$T/bad/truncated:latest" t '["true"]'
expect_one_line_failure 1 "hpc: container 't': image 'oci:$T/bad/truncated:latest': layer '$(layer_of "$T/bad/truncated")': truncated gzip input" \
	build "$T/trunc.json" -o "$T/out.img"

pod_file "$T/blob.json" "oci:$T/bad/missing-blob:latest" b '["true"]'
expect_failure 1 "sha256:" build "$T/blob.json" -o "$T/out.img"

expect_one_line_failure 1 "hpc: output directory '$T/no/such': No such file or directory" \
	build "$T/ok.json" -o "$T/no/such/out.img"
# a cache named that is a file is a mistake, as hpc cache says too
: >"$T/afile"
expect_one_line_failure 1 "hpc: cache '$T/afile': not a directory" \
	build "$T/ok.json" -o "$T/out.img" --cache "$T/afile"
[ ! -e "$T/no" ] || fail "the missing output directory was made"

printf '{"name": "x", "containers": [],}' >"$T/syntax.json"
expect_failure 2 "syntax.json':1:" build "$T/syntax.json" -o "$T/out.img"

# a user name the image does not list fails the build, not the boot,
# also when the same filesystem is in the result cache already
cat >"$T/user.json" <<POD
{"containers": [{"image": "oci:$img:latest", "command": ["true"],
  "user": {"name": "0", "additionalGroups": ["0"]}}]}
POD
"$HPC" build -q "$T/user.json" -o "$T/user.img" --cache "$T/cache" ||
	fail "numeric user ids did not build"
for u in '"nosuch"' '"root:nosuchgrp"' \
	'{"name": "nobody", "additionalGroups": ["nogroup", "nosuchgrp"]}'; do
	cat >"$T/user.json" <<POD
{"containers": [{"image": "oci:$img:latest", "command": ["true"],
  "user": $u}]}
POD
	expect_failure 1 "user.json': containers[0].user" build \
		"$T/user.json" -o "$T/out.img" --cache "$T/cache"
done
expect_contains "$T/stderr" "additionalGroups[1]: no group 'nosuchgrp' in the image's /etc/group"
cat >"$T/user.json" <<POD
{"containers": [{"image": "oci:$img:latest", "command": ["true"],
  "user": {"name": "nobody", "group": "nogroup", "additionalGroups": ["root"]}}]}
POD
"$HPC" build -q "$T/user.json" -o "$T/user.img" --cache "$T/cache" ||
	fail "a user the image lists did not build"

expect_failure 1 "'$T/nothing.img'" run "$T/nothing.img"

# --- the output path, checked before anything slow ----------------------
# refuse_output TEXT OUT: building ok.json to OUT fails at once, says TEXT
# and leaves OUT as it was.
refuse_output() {
	before=$(ls -ld "$2" 2>/dev/null || true)
	expect_one_line_failure 1 "$1" build "$T/ok.json" -o "$2"
	[ "$(ls -ld "$2" 2>/dev/null || true)" = "$before" ] ||
		fail "'$2' was changed"
}
# a device node of our own (as root), so a regression replaces no real one
if mknod "$T/full" c 1 7 2>/dev/null; then
	refuse_output "output '$T/full' is a character device" "$T/full"
	[ -c "$T/full" ] || fail "the device node was replaced"
fi
mkfifo "$T/fifo"
refuse_output "output '$T/fifo' is a FIFO" "$T/fifo"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	"$T/sock"
refuse_output "output '$T/sock' is a socket" "$T/sock"
mkdir "$T/dir"
refuse_output "output '$T/dir' is a directory" "$T/dir"
refuse_output "output '$T/dir/' names a directory" "$T/dir/"
[ -z "$(ls -A "$T/dir")" ] || fail "a file was left in '$T/dir'"
ln -s nowhere/x.img "$T/dangling.img"
refuse_output "output '$T/dangling.img' is a symlink to '$T/nowhere/x.img'" \
	"$T/dangling.img"

# the pod file, an image archive or layout, a file: uri, a volume source
cp "$T/ok.json" "$T/ok.copy"
refuse_output "output '$T/ok.json' is the pod file" "$T/ok.json"
ln -s ok.json "$T/pod-link.img"
refuse_output "is the pod file '$T/ok.json'" "$T/pod-link.img"
cmp -s "$T/ok.json" "$T/ok.copy" || fail "the pod file was changed"
refuse_output "output '$img/index.json' is inside the image '$img'" \
	"$img/index.json"
(cd "$T" && tar cf in.tar ok.json)
pod_file "$T/tar.json" "tar:in.tar" t '["true"]'
cp "$T/in.tar" "$T/in.copy"
expect_failure 1 "output '$T/in.tar' is the image '$T/in.tar'" \
	build "$T/tar.json" -o "$T/in.tar"
cmp -s "$T/in.tar" "$T/in.copy" || fail "the image archive was changed"
printf 'x\n' >"$T/data.txt"
printf '{"name": "f", "files": [{"name": "f", "uri": "file:data.txt"}],
 "volumes": [{"name": "v", "source": "vol.raw", "format": "raw"}],
 "containers": [{"image": "oci:%s:latest", "command": ["true"]}]}\n' \
	"$img" >"$T/inputs.json"
truncate -s 1M "$T/vol.raw"
expect_failure 1 "output '$T/data.txt' is the file '$T/data.txt'" \
	build "$T/inputs.json" -o "$T/data.txt"
expect_failure 1 "output '$T/vol.raw' is the volume source '$T/vol.raw'" \
	build "$T/inputs.json" -o "$T/vol.raw"
[ "$(cat "$T/data.txt")" = x ] || fail "the file: uri's file was changed"
# and the files the flags name
cp "$HPC_INIT" "$T/init"
expect_failure 1 "output '$T/init' is the init '$T/init'" \
	build "$T/ok.json" -o "$T/init" --init "$T/init"
cmp -s "$T/init" "$HPC_INIT" || fail "the init was changed"

# a symlink is followed, as cp and '>' follow it: the target is replaced
printf 'old\n' >"$T/target.img"
ln -s target.img "$T/link.img"
"$HPC" build -q "$T/ok.json" -o "$T/link.img"
[ -L "$T/link.img" ] || fail "the symlink was replaced"
[ "$(head -c 3 "$T/target.img")" != old ] || fail "the target was not written"
"$HPC" inspect "$T/link.img" >/dev/null || fail "the image behind the link"
# options after the image, as build takes them
"$HPC" run "$T/target.img" --accel tcg --dry-run >"$T/dry" ||
	fail "run IMG --dry-run"
expect_contains "$T/dry" "-accel tcg"
rm -f "$T/target.img" "$T/link.img"

# --- usage errors: one line saying why, one hint, status 2 --------------
# usage TEXT ARGS...: hpc ARGS is a usage error that says TEXT.
usage() {
	text=$1
	shift
	expect_failure 2 "$text" "$@"
	[ "$(wc -l <"$T/stderr")" -le 2 ] || {
		cat "$T/stderr"
		fail "more than a cause and a hint: $*"
	}
	grep -q '^usage\|^try ' "$T/stderr" || fail "no hint: $*"
}
usage "hpc: build: no output" build "$T/ok.json"
usage "hpc: build: no pod file" build -o "$T/out.img"
usage "hpc: build: 'extra': one pod file only" build "$T/ok.json" extra \
	-o "$T/out.img"
usage "hpc: build: -o: an empty path" build "$T/ok.json" -o ""
# an empty --cache is not the root directory, nor the default cache
usage "hpc: build: --cache: an empty path" build "$T/ok.json" \
	-o "$T/out.img" --cache ""
usage "hpc: build: --modules: an empty path" build "$T/ok.json" \
	-o "$T/out.img" --modules ""
usage "hpc: pull: --cache: an empty path" pull --cache "" "oci:$img:latest"
usage "hpc: cache: --cache: an empty path" cache prune --cache ""
usage "hpc: build: unknown option or missing value in '--frob'" \
	build --frob "$T/ok.json" -o "$T/out.img"
usage "hpc: validate: no pod file" validate
usage "hpc: validate: 'b': one pod file only" validate a b
usage "hpc: inspect: no image" inspect
usage "hpc: inspect: 'b': one image only" inspect a b
usage "hpc: cache: 'frob' is not an action" cache frob
usage "hpc: cache: no action" cache
usage "hpc: cache: prune: --all or --older-than, not both" \
	cache prune --all --older-than 3 --cache "$T/nocache"
usage "hpc: cache: 'x': verify takes no argument" \
	cache verify x --cache "$T/nocache"
usage "hpc: pull: no image" pull
usage "hpc: run: no image" run
usage "hpc: run: 'b': one image only" run a b

# help: the overview, a command's own usage, an unknown command
"$HPC" help >"$T/help" || fail "hpc help failed"
expect_contains "$T/help" "'hpc help COMMAND' or 'hpc COMMAND --help'"
"$HPC" help build >"$T/help" || fail "hpc help build failed"
expect_contains "$T/help" "usage: hpc build POD -o IMG"
expect_failure 2 "hpc: help: unknown command 'frob'" help frob

# a cache named with --cache must exist
expect_failure 1 "cache '$T/nocache': No such file or directory" \
	cache verify --cache "$T/nocache"
expect_failure 1 "cache '$T/ok.json': not a directory" \
	cache prune --cache "$T/ok.json"

# -q: errors only, no warnings
pod_file "$T/warn.json" "oci:$T/nowhere:latest" q '["true"]'
sed -i 's/"name": "q",/"name": "q", "colour": "red",/' "$T/warn.json"
expect_failure 1 "$T/nowhere" build "$T/warn.json" -o "$T/out.img"
expect_contains "$T/stderr" "warning: "
expect_failure 1 "$T/nowhere" build -q "$T/warn.json" -o "$T/out.img"
! grep -q "warning" "$T/stderr" || fail "-q printed a warning"
# a truncated image is refused by run and inspect before anything boots
"$HPC" build -q "$T/ok.json" -o "$T/ok.img"
cp "$T/ok.img" "$T/cut.img"
truncate -s 20000000 "$T/cut.img"
root_end=$(sgdisk -i 4 "$T/ok.img" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')
cut="the image is truncated: partition 'hpc-root-0' ends at $(( (root_end + 1) * 512 )), the file has 20000000 bytes"
for cmd in run inspect; do
	expect_failure 1 "hpc: '$T/cut.img': $cut" $cmd "$T/cut.img"
done
qemu-img convert -f raw -O qcow2 "$T/cut.img" "$T/cut.qcow2"
expect_failure 1 "partition 'hpc-root-0' ends at $(( (root_end + 1) * 512 )), the disk has" \
	inspect "$T/cut.qcow2"
# only the backup GPT header is cut off, or it is not where the primary says
size=$(stat -c %s "$T/ok.img")
cp "$T/ok.img" "$T/cut.img"
truncate -s $((size - 512)) "$T/cut.img"
expect_failure 1 "the image is truncated: the backup GPT header ends at $size, the file has $((size - 512)) bytes" \
	inspect "$T/cut.img"
cp "$T/ok.img" "$T/cut.img"
dd if=/dev/zero of="$T/cut.img" bs=512 seek=$((size / 512 - 1)) count=1 \
	conv=notrunc status=none
expect_failure 1 "no backup GPT header at byte $((size - 512)), where the primary header says" \
	run "$T/cut.img"
"$HPC" inspect "$T/ok.img" >/dev/null || fail "inspect refused a whole image"

# A damaged manifest is refused by run and inspect alike, in the same
# words: a key the reader needs, or any byte its seal covers.
# damage NAME FIND REPLACE: ok.img with the first FIND in its manifest
# partition replaced (same length), as $T/NAME.img.
man_off=$(( $(sgdisk -i 3 "$T/ok.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p') * 512 ))
damage() {
	python3 -c '
import sys
img, off, find, repl = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(img, "r+b") as f:
    f.seek(off)
    part = f.read(1 << 20)
    at = part.index(find.encode())
    f.seek(off + at)
    f.write(repl.encode())' "$2" "$man_off" "$3" "$4"
}

# over_seal IMG HEX: write the bytes HEX over the seal's "sha256:", the
# last one in the manifest partition.
over_seal() {
	python3 -c '
import sys
img, off, data = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
with open(img, "r+b") as f:
    f.seek(off)
    part = f.read(1 << 20)
    f.seek(off + part.rindex(b"sha256:"))
    f.write(data)' "$1" "$man_off" "$2"
}

for c in 'format:"format":"fxrmat":format is missing' \
	'hostname:"hostname":"hxstname":hostname is missing' \
	'name:"name":"nxme":the manifest does not match the sha256 stored after it' \
	'seal:sha256:xha256:the manifest does not match the sha256 stored after it'; do
	name=${c%%:*} rest=${c#*:}
	find=${rest%%:*} rest=${rest#*:}
	repl=${rest%%:*} says=${rest#*:}
	cp "$T/ok.img" "$T/$name.img"
	if [ "$name" = seal ]; then
		over_seal "$T/$name.img" 78
	else
		damage "$name" "$T/$name.img" "$find" "$repl"
	fi
	for cmd in run inspect; do
		expect_failure 1 "hpc: bad manifest in '$T/$name.img': $says" \
			$cmd "$T/$name.img"
	done
done
# an image from before the seal: only NULs after the JSON
cp "$T/ok.img" "$T/unsealed.img"
over_seal "$T/unsealed.img" "$(printf '%0144d' 0)"
for cmd in run inspect; do
	expect_failure 1 "hpc: bad manifest in '$T/unsealed.img': the manifest has no sha256 after it (an image from an older hpc: build it again)" \
		$cmd "$T/unsealed.img"
done

# a tar: image's layer error names its container, like any image error
python3 -c '
import sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("bin/x")
    i.type, i.linkname = tarfile.LNKTYPE, "bin/missing"
    t.addfile(i)' "$T/hardlink.tar"
pod_file "$T/hardlink.json" "tar:$T/hardlink.tar" web '["/bin/x"]'
expect_failure 1 "container 'web': image 'tar:$T/hardlink.tar': layer " \
	build "$T/hardlink.json" -o "$T/out.img"
expect_contains "$T/stderr" "hardlink to missing 'bin/missing'"
echo ok
