#!/bin/sh
# Bad pod files and volumes: each gets a one-line error naming the field
# and what was expected, exit status 2 for a pod file wrong in itself or
# 1 for what only the host can tell, and no image left behind.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)
echo abc >"$T/abc.txt"
abd=$(printf abd | sha256sum | cut -c1-64)

# bad NAME STATUS TEXT JSON: the pod JSON (one busybox container, whose
# keys JSON adds to) fails to build with STATUS and says TEXT.
bad() {
	printf '{"name": "b", %s}\n' "$4" |
		sed "s|IMAGE|oci:$img:latest|" >"$T/$1.json"
	expect_failure "$2" "$3" build "$T/$1.json" -o "$T/out.img"
}

bad source 1 "'$T/source.json': volumes[0].source: cannot read '$T/nowhere': No such file or directory" \
	'"volumes": [{"name": "v", "source": "nowhere", "driver": "vfs"}],
	 "containers": [{"image": "IMAGE", "volumes": [{"path": "/v", "volume": "v"}]}]'
bad base64 2 "files[0].content: not valid base64 (encoding is base64)" \
	'"files": [{"name": "f", "encoding": "base64", "content": "VsbG8sDQpoeXBlciENCg="}],
	 "containers": [{"image": "IMAGE"}]'
expect_contains "$T/stderr" "'$T/base64.json'"
bad filename 2 "containers[0].files[0]: filename 'nope' names no pod file (expected the name of an entry of the pod's 'files')" \
	'"files": [{"name": "f", "content": "x"}],
	 "containers": [{"image": "IMAGE", "files": [{"path": "/x", "filename": "nope"}]}]'
bad volume 2 "containers[0].volumes[0]: volume 'nov' names no pod volume" \
	'"containers": [{"image": "IMAGE", "volumes": [{"path": "/v", "volume": "nov"}]}]'
bad driver 2 "volumes[0].driver: volume format 'rbd' is not supported (expected vfs, raw or qcow2)" \
	'"volumes": [{"name": "v", "source": "pool/img", "driver": "rbd"}],
	 "containers": [{"image": "IMAGE"}]'
bad nas 2 "volumes[0].format: volume format 'nas' is not supported" \
	'"volumes": [{"name": "v", "source": "10.0.0.1:/export", "format": "nas"}],
	 "containers": [{"image": "IMAGE"}]'
bad sha256 1 "files[0].sha256: the fetched file has SHA-256 edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb, not $abd" \
	'"files": [{"name": "f", "uri": "file:abc.txt", "sha256": "'"$abd"'"}],
	 "containers": [{"image": "IMAGE", "command": ["true"], "files": [{"path": "/f", "filename": "f"}]}]'
bad perm 2 "containers[0].files[0].perm: '0999' is not an octal mode" \
	'"files": [{"name": "f", "content": "x"}],
	 "containers": [{"image": "IMAGE", "files": [{"path": "/x", "filename": "f", "perm": "0999"}]}]'
bad owner 1 "containers[0].files[0].user: no user 'bob' in the image's /etc/passwd" \
	'"files": [{"name": "f", "content": "x"}],
	 "containers": [{"image": "IMAGE", "command": ["true"], "files": [{"path": "/x", "filename": "f", "user": "bob"}]}]'
bad uri 1 "files[0].uri: cannot read '$T/gone.txt': No such file or directory" \
	'"files": [{"name": "f", "uri": "file:gone.txt"}],
	 "containers": [{"image": "IMAGE", "command": ["true"]}]'
bad qcow2 1 "volumes[0].source: '$T/abc.txt' is not a qcow2 image" \
	'"volumes": [{"name": "q", "source": "abc.txt", "format": "qcow2"}],
	 "containers": [{"image": "IMAGE", "command": ["true"]}]'
bad raw 2 "volumes[0]: a raw volume needs a 'source'" \
	'"volumes": [{"name": "r", "format": "raw"}],
	 "containers": [{"image": "IMAGE"}]'
bad dup 2 "volumes[1]: name 'v' is already used by volumes[0]" \
	'"volumes": [{"name": "v"}, {"name": "v"}],
	 "containers": [{"image": "IMAGE"}]'
# raw and qcow2 volumes must hold ext4, which the guest mounts
head -c 4194304 /dev/urandom >"$T/junk.bin"
qemu-img convert -q -f raw -O qcow2 "$T/junk.bin" "$T/junk.qcow2"
printf 'short' >"$T/short.bin"
for v in junk.bin:raw junk.qcow2:qcow2 short.bin:raw; do
	bad "notext4-${v#*:}" 1 "volumes[0].source: '$T/${v%:*}' holds no ext4 filesystem (expected the superblock magic 0xEF53 at byte 1080" \
		'"volumes": [{"name": "r", "source": "'"${v%:*}"'", "driver": "'"${v#*:}"'"}],
		 "containers": [{"image": "IMAGE", "command": ["true"]}]'
done
# and one that does is taken as it is
mkfs.ext4 -q -F "$T/ext4.bin" 4M >/dev/null 2>&1
printf '{"name": "g", "volumes": [{"name": "r", "source": "ext4.bin", "driver": "raw"}],
	"containers": [{"image": "oci:%s:latest", "command": ["true"]}]}\n' "$img" >"$T/good.json"
"$HPC" build -q "$T/good.json" -o "$T/good.img" || fail "an ext4 raw volume was refused"
echo ok
