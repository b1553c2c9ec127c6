#!/bin/sh
# Pod files and volumes end to end, in one boot: files baked with perm
# and owner, from content, base64, a file: and an http: uri, one over an
# image file; a vfs volume from a host directory (read-only) and one from
# a host file, also on a read-only root that lacks their mount points; an
# empty volume two containers share; raw and qcow2 volumes. The disk is
# judged by e2fsck, the contents by the guest; the boot must not change it.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)

# the host side: a directory, a file, an ext4 image, its qcow2 form
mkdir -p "$T/pod/voldir/sub" "$T/rawsrc" "$T/www" "$T/tmp"
echo "from the host" >"$T/pod/voldir/hello.txt"
echo nested >"$T/pod/voldir/sub/n.txt"
ln "$T/pod/voldir/hello.txt" "$T/pod/voldir/sub/hello-link"
chmod 0750 "$T/pod/voldir/sub"
echo "mapped=1" >"$T/pod/mapped.conf"
echo "uri file" >"$T/pod/data.txt"
echo "raw volume" >"$T/rawsrc/r.txt"
mke2fs -q -F -t ext4 -d "$T/rawsrc" "$T/pod/raw.img" 8M >/dev/null
qemu-img convert -f raw -O qcow2 "$T/pod/raw.img" "$T/pod/q.qcow2"
echo "over http" >"$T/www/page.txt"
web_sha=$(sha256sum "$T/www/page.txt" | cut -c1-64)

# a web server on a free port of 127.0.0.1, for the http: file
python3 -c '
import http.server, os, sys
os.chdir(sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                    http.server.SimpleHTTPRequestHandler)
with open(sys.argv[2] + ".new", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(sys.argv[2] + ".new", sys.argv[2])
s.serve_forever()' "$T/www" "$T/port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$T/port")

files_cmd='stat -c "%a %u %g %n" /etc/app/conf /opt/dir/data.txt;
cat /etc/app/conf /opt/b64 /opt/dir/data.txt /www/index.html /opt/web.txt;
cat /host/hello.txt /host/sub/n.txt; stat -c "%a %n" /host/sub;
stat -c "%h %i" /host/hello.txt /host/sub/hello-link | uniq -c;
cat /etc/mapped.conf /raw/r.txt /q/r.txt;
touch /host/x 2>/dev/null && echo RO-WRITTEN || echo RO-REFUSED'
reader_cmd='i=0; while [ ! -s /mnt/s/msg ] && [ $i -lt 300 ]; do
sleep 0.1; i=$((i + 1)); done; cat /mnt/s/msg'
python3 - "$T/pod/pod.json" "oci:$img:latest" "$port" "$web_sha" \
	"$files_cmd" "$reader_cmd" <<'PY'
import json, sys
out, image, port, sha, files_cmd, reader_cmd = sys.argv[1:]
baked = [
    {"path": "/etc/app/conf", "filename": "conf", "perm": "0640",
     "user": "nobody", "group": "nogroup"},
    {"path": "/opt/b64", "filename": "b64", "perm": "0644"},
    {"path": "/opt/dir/", "filename": "data.txt", "user": "65534"},
    {"path": "/www/index.html", "filename": "index", "perm": "0644"},
    {"path": "/opt/web.txt", "filename": "web"},
]
pod = {
    "id": "storage",
    "files": [
        {"name": "conf", "encoding": "raw", "content": "key=value\n"},
        {"name": "b64", "encoding": "base64",
         "content": "aGVsbG8s\nIGJhc2U2NAo="},
        {"name": "data.txt", "uri": "file:data.txt", "content": "lost"},
        {"name": "index", "content": "replaced\n"},
        {"name": "web", "uri": "http://127.0.0.1:%s/page.txt" % port,
         "sha256": sha},
    ],
    "volumes": [
        {"name": "hostdir", "source": "voldir", "driver": "vfs"},
        {"name": "mapped", "source": "mapped.conf", "format": "vfs"},
        {"name": "shared", "source": "", "format": "", "size": "64M"},
        {"name": "rawvol", "source": "raw.img", "format": "raw"},
        {"name": "qvol", "source": "q.qcow2", "driver": "qcow2"},
    ],
    "containers": [
        {"name": "files", "image": image,
         "command": ["sh", "-c", files_cmd], "files": baked,
         "volumes": [
             {"path": "/host", "volume": "hostdir", "readOnly": True},
             {"path": "/etc/mapped.conf", "volume": "mapped"},
             {"path": "/raw", "volume": "rawvol"},
             {"path": "/q", "volume": "qvol", "readOnly": True}]},
        {"name": "again", "image": image, "files": baked,
         "command": ["cat", "/opt/b64"]},
        {"name": "writer", "image": image,
         "command": ["sh", "-c", "echo shared-data >/shared/msg"],
         "volumes": [{"path": "/shared", "volume": "shared"}]},
        {"name": "rootro", "image": image, "readOnly": True,
         "command": ["cat", "/new/host/hello.txt", "/etc/new.conf"],
         "volumes": [
             {"path": "/new/host", "volume": "hostdir", "readOnly": True},
             {"path": "/etc/new.conf", "volume": "mapped"}]},
        {"name": "reader", "image": image,
         "command": ["sh", "-c", reader_cmd + "; touch /mnt/s/y || exit 9"],
         "volumes": [{"path": "/mnt/s", "volume": "shared",
                      "readOnly": True}]},
    ],
}
json.dump(pod, open(out, "w"), indent=1)
PY

TMPDIR="$T/tmp" "$HPC" build "$T/pod/pod.json" -o "$T/s.img"
[ -z "$(ls -A "$T/tmp")" ] || fail "the build left files in TMPDIR: $(ls "$T/tmp")"
check_disk "$T/s.img"
check_volumes "$T/s.img"
for v in hostdir mapped shared rawvol qvol; do
	part "$T/s.img" "hpc-vol-$v" >/dev/null
done
# "files" and "again" bake the same files: one filesystem; so do the others
[ "$(sfdisk -J "$T/s.img" | grep -c '"name": "hpc-root-')" = 2 ] ||
	fail "expected 2 root filesystems: $(sfdisk -J "$T/s.img")"
# the vfs volume keeps the host's modes, the shared one has its size
set -- $(part "$T/s.img" hpc-vol-hostdir)
debugfs -R "stat /sub" "$T/s.img?offset=$1" 2>/dev/null | grep -q "Mode:  0750" ||
	fail "the vfs volume lost the mode of sub/"
set -- $(part "$T/s.img" hpc-vol-shared)
[ "$2" = $((64 << 20)) ] || fail "the shared volume is $2 bytes, not 64 MiB"

# the writer writes the shared volume and the reader reads it back, yet
# the boot leaves the image as it was, byte for byte
before=$(sha256sum <"$T/s.img")
status=$(boot "$T/s.img")
[ "$status" = 9 ] || { cat "$T/all"; fail "status $status, not 9 (the reader's refused write)"; }
[ "$(sha256sum <"$T/s.img")" = "$before" ] || fail "booting changed the image"
for line in \
	"files | 640 65534 65534 /etc/app/conf" \
	"files | 755 65534 65534 /opt/dir/data.txt" \
	"files | key=value" \
	"files | hello, base64" \
	"files | uri file" \
	"files | replaced" \
	"files | over http" \
	"files | from the host" \
	"files | nested" \
	"files | 750 /host/sub" \
	"files |       2 2 " \
	"files | mapped=1" \
	"files | raw volume" \
	"files | RO-REFUSED" \
	"again | hello, base64" \
	"rootro | from the host" \
	"rootro | mapped=1" \
	"reader | shared-data" \
	"reader ! touch: /mnt/s/y: Read-only file system"; do
	expect_contains "$T/out" "$line"
done
[ "$(grep -c 'files | raw volume' "$T/out")" = 2 ] ||
	fail "the raw and the qcow2 volume should both be read"

# an http: file that is not there stops the build, leaving nothing
sed "s|/page.txt|/gone.txt|" "$T/pod/pod.json" >"$T/pod/gone.json"
expect_failure 1 "files[4].uri: cannot fetch 'http://127.0.0.1:$port/gone.txt': HTTP status 404" \
	build "$T/pod/gone.json" -o "$T/out.img"
# and one longer than a layer may be stops at that limit, not at TMPDIR's end
head -c 5242880 /dev/zero >"$T/www/big.bin"
sed "s|/page.txt|/big.bin|" "$T/pod/pod.json" >"$T/pod/big.json"
(
	export TMPDIR="$T/tmp"
	expect_failure 1 "files[4].uri: cannot fetch 'http://127.0.0.1:$port/big.bin': bytes: over the limit of 4194304 (--max-layer-size raises it)" \
		build "$T/pod/big.json" -o "$T/out.img" --max-layer-size 4M
)
[ -z "$(ls -A "$T/tmp")" ] || fail "left in TMPDIR: $(ls -A "$T/tmp")"
echo ok
