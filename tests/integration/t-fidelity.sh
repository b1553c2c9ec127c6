#!/bin/sh
# t-fidelity: a root filesystem holds exactly what the layers say (stage
# "pack", packer/layer.c and packer/ext4*.c), checked with readers we did
# not write: umoci, GNU tar, e2fsck, debugfs.
#
# The layers come from tests/fixtures/make-fidelity.py (PAX, GNU and ustar
# headers; plain, gzip and zstd) and from GNU tar (the sparse formats).
# Every filesystem must be clean for e2fsck -fn and list, path by path,
# as umoci unpack (as root) or GNU tar makes the same bytes. The last
# case, a file of 4 GiB + 1 byte, is the slow one (about a minute).
. "$(dirname "$0")/lib.sh"

top=$ROOT
tmp=$T
off=$((1 << 20))

make -s -C "$top" DEV=1 build/libhpc.a bin/hpc
cc -D_GNU_SOURCE -I"$top/compiler" -I"$top/packer" -std=gnu11 -Wall \
	-Wextra -Werror -O2 -o "$tmp/rootfs-tool" \
	"$top/tests/tools/rootfs-tool.c" "$top/build/libhpc.a" \
	$(pkg-config --cflags --libs libarchive libisal ext2fs com_err libcrypto) -lpthread
tool=$tmp/rootfs-tool
fx=$top/tests/fixtures
list="python3 $fx/list-tree.py"
cd "$tmp"

# clean IMG: the filesystem at $off of IMG is clean for e2fsck -fn
clean() {
	e2fsck -fn "$1?offset=$off" >fsck.log 2>&1 ||
		{ cat fsck.log; fail "e2fsck: $1"; }
}

# build IMG LAYER...: a filesystem at $off of IMG, clean for e2fsck
build() {
	img=$1
	shift
	$tool -o $off "$img" "$@" >/dev/null
	clean "$img"
}

# has LISTING LINE: the listing holds the line, up to its end or a space
has() {
	grep -qxF -- "$2" "$1" || grep -qF -- "$2 " "$1" ||
		fail "'$1' lacks '$2'"
}

echo "== the rules, across PAX, GNU and ustar layers"
python3 "$fx/make-fidelity.py" layers .
gzip -1n -k fid2.tar
zstd -q -k fid3.tar
build fid.img fid1.tar fid2.tar.gz fid3.tar.zst
$list ext4 "fid.img?offset=$off" >ours.txt
python3 "$fx/make-layers.py" oci oci fid1.tar fid2.tar fid3.tar
if [ "$(id -u)" = 0 ]; then
	umoci unpack --image oci:test bundle >/dev/null
	$list dir bundle/rootfs >theirs.txt
	diff -u theirs.txt ours.txt || fail "differs from umoci"
	diff -u "$fx/fidelity-expected.txt" theirs.txt ||
		fail "tests/fixtures/fidelity-expected.txt is stale"
else
	# umoci keeps owners and devices only as root: its recorded view
	diff -u "$fx/fidelity-expected.txt" ours.txt ||
		fail "differs from the recorded umoci listing"
fi
# what the listing must say, whoever recorded it
new=4:7aa7a5359173d05b63cfd682e3c38487f3cb4f7f1d60659fe59fab1505977d4c
has ours.txt "/opq/new f 0644 0:0 $new"
has ours.txt "/opq/keep/new f 0644 0:0 $new"
has ours.txt "/wd/new f 0644 0:0 $new"
has ours.txt "/wd d 0750 7:0 -"
has ours.txt "/sym l 0777 0:0 ->target2"
has ours.txt "/lnk/h l 0777 0:0 ->x"
has ours.txt "/modes/locked d 0000 0:0 -"
has ours.txt "/modes/all f 7777 0:0"
has ours.txt "/owner32 f 0644 4000000000:4294967294"
has ours.txt "/dev/wide c 0600 0:0 300:70000"
for gone in /opq/old /opq/sub /opq/keep/old /wd/a /wd/sub /hl/target \
	/ghost; do
	grep -q "^$gone " ours.txt && fail "'$gone' should be gone"
done
grep -q '^/hl/link f .* links=' ours.txt && fail "link count of /hl/link"
grep -q '^/three/c .*links=2 =/three/b$' ours.txt || fail "three names"
grep -q '^/twice f 0644 0:0 7:' ours.txt || fail "last entry lost"
grep -q '^/mine f' ours.txt || fail "a whiteout hid its own layer's file"
grep -q 'security.capability=00000002' ours.txt || fail "capability bytes"
grep -q 'mtime=1700000000.987654321' ours.txt || fail "nanoseconds"

echo "== hpc inspect --files reads the same filesystem"
mkdir pod
cat >pod/pod.json <<EOF
{ "name": "fid", "containers": [ { "name": "fid",
  "image": "oci:$tmp/oci:test", "command": ["/sym"] } ] }
EOF
"$top/bin/hpc" build -q pod/pod.json -o pod.img \
	--init "$top/bin/hpc-init" || fail "hpc build"
check_disk pod.img
"$top/bin/hpc" inspect pod.img --files fid >files.txt
has files.txt "/three/b f 0644 0 0 10 - - 2"
has files.txt "/caps f 0755 0 0 8 - security.capability 1"
has files.txt "/dev/wide c 0600 0 0 300,70000 - - 1"
has files.txt "/sym l 0777 0 0 7 target2 - 1"
has files.txt "/modes/sticky d 1777 0 0 4096 - - 2"
# every path of the listing, plus lost+found
[ $(wc -l <files.txt) = $(($(wc -l <ours.txt) + 1)) ] ||
	fail "inspect lists $(wc -l <files.txt) names"
"$top/bin/hpc" inspect pod.img --files fid /modes/locked >sub.txt
[ "$(cut -d' ' -f1 sub.txt | tr '\n' ' ')" = \
	"/modes/locked /modes/locked/inner /modes/locked/sub " ] ||
	fail "inspect of a subtree: $(cat sub.txt)"
"$top/bin/hpc" inspect pod.img --files nope 2>err && fail "no container"
grep -q "no container or partition 'nope'" err || fail "$(cat err)"

echo "== an ordinary user builds the same bytes"
if [ "$(id -u)" = 0 ]; then
	mkdir -m 0777 user
	chmod 0755 "$tmp"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		$tool -o $off user/fid.img fid1.tar fid2.tar.gz \
		fid3.tar.zst >/dev/null
	cmp fid.img user/fid.img || fail "an ordinary user's build differs"
else
	# as an ordinary user already: this very build is the one to compare
	$tool -o $off again.img fid1.tar fid2.tar.gz fid3.tar.zst >/dev/null
	cmp fid.img again.img || fail "not reproducible"
fi

echo "== edges: a link to itself, trailing bytes, what ext4 cannot hold"
python3 "$fx/make-fidelity.py" edge .
$tool -o $off self.img self-link.tar >/dev/null 2>err
grep -q "'self': hardlink to itself, ignoring" err || fail "$(cat err)"
clean self.img
$list ext4 "self.img?offset=$off" | grep -q '^/self f 0644 0:0 5:' ||
	fail "self-linked file lost"
build trail.img trailing.tar.gz
$list ext4 "trail.img?offset=$off" | grep -q '^/kept f' ||
	fail "trailing bytes lost the file"
for bad in bad-name:"a name of 256 bytes" \
	bad-link:"a symlink target of 4096 bytes" \
	many-links:"more than the 65000 names"; do
	if $tool -o $off bad.img "${bad%%:*}.tar" 2>err; then
		fail "${bad%%:*} accepted"
	fi
	grep -q "${bad#*:}" err || { cat err; fail "unclear message"; }
done

echo "== GNU sparse files in the five formats"
mkdir src
truncate -s 5M src/sparse
printf head | dd of=src/sparse conv=notrunc 2>/dev/null
printf middle | dd of=src/sparse bs=1 seek=1048676 conv=notrunc 2>/dev/null
printf tail | dd of=src/sparse bs=1 seek=$((5 * 1048576 - 4)) \
	conv=notrunc 2>/dev/null
want=$(sha256sum <src/sparse | cut -d' ' -f1)
for f in gnu oldgnu posix-0.0 posix-0.1 posix-1.0; do
	case $f in
	posix-*) opt="--format=posix --sparse-version=${f#posix-}" ;;
	*) opt="--format=$f" ;;
	esac
	tar --sparse $opt --numeric-owner -C src -cf $f.tar sparse
	build $f.img $f.tar
	st=$(debugfs -R "stat /sparse" "$f.img?offset=$off" 2>/dev/null)
	echo "$st" | grep -q 'Size: 5242880$' || fail "$f: size"
	echo "$st" | grep -q 'Blockcount: 24$' || fail "$f: holes filled"
	[ "$(python3 "$fx/ext4-digest.py" "$f.img?offset=$off" /sparse)" = \
		"$want" ] || fail "$f: content"
	[ "$($list ext4 "$f.img?offset=$off" | wc -l)" = 2 ] ||
		fail "$f: names beside /sparse"
done

echo "== a directory of 100,000 names is an htree the index finds"
python3 "$fx/make-fidelity.py" bigdir many.tar 100000
build many.img many.tar
dfs() { debugfs -R "$1" "many.img?offset=$off" 2>/dev/null; }
dfs "stat /many" | grep -q 'Flags: 0x81000' || fail "no index flag"
dfs "htree_dump /many" >htree.txt
# a lookup as the kernel makes it: hash the name, pick the index entry,
# find the name in that leaf
seed=$(dumpe2fs -h "many.img?offset=$off" 2>/dev/null |
	sed -n 's/^Directory Hash Seed: *//p')
for name in file-000000 file-054321 file-099999; do
	h=$(dfs "dx_hash -h half_md4 -s $seed $name" |
		sed -n "s/^Hash of .* is \\(0x[0-9a-f]*\\).*/\\1/p")
	python3 - "$h" "$name" htree.txt <<'EOF' || fail "lookup of $name"
import re, sys
h, name, text = int(sys.argv[1], 16), sys.argv[2], open(sys.argv[3]).read()
root = text.split("Reading directory block")[0]
count = int(re.search(r"Number of entries \(count\): (\d+)", root).group(1))
idx = [(int(a, 16), int(b)) for a, b in
       re.findall(r"Entry #\d+: Hash (0x[0-9a-f]+), block (\d+)", root)]
idx = idx[:count]
blk = [b for a, b in idx if a & ~1 <= h][-1]
leaf = text.split("Reading directory block %d," % blk)[1]
leaf = leaf.split("Reading directory block")[0]
sys.exit(0 if re.search(r" %s\b" % re.escape(name), leaf) else 1)
EOF
done
[ "$(dfs "ls /many" | grep -o 'file-[0-9]*' | sort -u | wc -l)" = 100000 ] ||
	fail "names lost"

echo "== a file of 4 GiB + 1 byte from a stream (the slow one)"
python3 "$fx/make-fidelity.py" bigfile 2>big.sum | zstd -1 -q -o big.tar.zst
/usr/bin/time -f %M -o big.rss $tool -o $off big.img big.tar.zst >/dev/null
clean big.img
dfs() { debugfs -R "$1" "big.img?offset=$off" 2>/dev/null; }
dfs "stat /big" | grep -q 'Size: 4294967297$' || fail "size"
[ "$(python3 "$fx/ext4-digest.py" "big.img?offset=$off" /big)" = \
	"$(cat big.sum)" ] || fail "content of /big"
# streamed: the build never held the file, nor wrote its zeros
[ "$(cat big.rss)" -lt 200000 ] || fail "peak memory $(cat big.rss) KiB"
[ "$(du -k big.img | cut -f1)" -lt 100000 ] || fail "holes written"
echo "t-fidelity: ok"
