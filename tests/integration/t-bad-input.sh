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

# a kernel with ext4 neither as a module nor built in cannot boot a pod
std=$(ls /boot/vmlinuz-*-amd64 | grep -v -- '-cloud-amd64$' | sort -V |
	tail -n 1)
[ -n "$std" ] || fail "no standard kernel in /boot (linux-image-amd64)"
mkdir "$T/noext4"
grep -v '/ext4\.ko' "/lib/modules/${std#/boot/vmlinuz-}/modules.dep" \
	>"$T/noext4/modules.dep"
: >"$T/noext4/modules.builtin"
want="kernel module 'ext4' is neither in '$T/noext4/modules.dep' nor"
expect_failure 1 "$want built in" \
	build "$T/ok.json" -o "$T/out.img" --kernel "$std" --modules "$T/noext4"
[ "$(wc -l <"$T/stderr")" = 1 ] || fail "noext4: not one line"

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
echo ok
