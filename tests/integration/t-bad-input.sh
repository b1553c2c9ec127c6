#!/bin/sh
# Bad input gets a one-line error naming the thing and the problem, exit
# status 1 (2 for a pod file that is wrong itself), and no output file.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)
"$ROOT/tests/fixtures/make-bad-images.sh" "$T/bad" >/dev/null

pod_file "$T/missing.json" "oci:$T/nowhere:latest" m '["true"]'
expect_failure 1 "$T/nowhere" build "$T/missing.json" -o "$T/out.img"

pod_file "$T/ok.json" "oci:$img:latest" ok '["true"]'
expect_failure 1 "kernel '$T/no-vmlinuz'" build "$T/ok.json" -o "$T/out.img" \
	--kernel "$T/no-vmlinuz"

pod_file "$T/digest.json" "oci:$T/bad/bad-digest:latest" d '["true"]'
expect_failure 1 "digest" build "$T/digest.json" -o "$T/out.img"

pod_file "$T/trunc.json" "oci:$T/bad/truncated:latest" t '["true"]'
expect_failure 1 "truncated" build "$T/trunc.json" -o "$T/out.img"

pod_file "$T/blob.json" "oci:$T/bad/missing-blob:latest" b '["true"]'
expect_failure 1 "sha256:" build "$T/blob.json" -o "$T/out.img"

expect_failure 1 "output directory '$T/no/such'" build "$T/ok.json" \
	-o "$T/no/such/out.img"

printf '{"name": "x", "containers": [],}' >"$T/syntax.json"
expect_failure 2 "syntax.json':1:" build "$T/syntax.json" -o "$T/out.img"

expect_failure 1 "'$T/nothing.img'" run "$T/nothing.img"

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
for c in 'format:"format":"fxrmat":format is missing' \
	'hostname:"hostname":"hxstname":hostname is missing' \
	'name:"name":"nxme":the manifest does not match the sha256 stored after it' \
	'seal:sha256:xha256:the manifest does not match the sha256 stored after it'; do
	name=${c%%:*} rest=${c#*:}
	find=${rest%%:*} rest=${rest#*:}
	repl=${rest%%:*} says=${rest#*:}
	cp "$T/ok.img" "$T/$name.img"
	# the seal's "sha256:" is the last one in the partition
	if [ "$name" = seal ]; then
		python3 -c '
import sys
img, off = sys.argv[1], int(sys.argv[2])
with open(img, "r+b") as f:
    f.seek(off)
    part = f.read(1 << 20)
    f.seek(off + part.rindex(b"sha256:"))
    f.write(b"x")' "$T/$name.img" "$man_off"
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
python3 -c '
import sys
img, off = sys.argv[1], int(sys.argv[2])
with open(img, "r+b") as f:
    f.seek(off)
    part = f.read(1 << 20)
    f.seek(off + part.rindex(b"sha256:"))
    f.write(bytes(72))' "$T/unsealed.img" "$man_off"
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
