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
echo ok
