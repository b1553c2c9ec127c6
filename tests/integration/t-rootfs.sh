#!/bin/sh
# t-rootfs: layers to an ext4 root filesystem inside an image (stage
# "pack", packer/rootfs.c), checked with e2fsck, debugfs and umoci.
#
# The layers come from tests/fixtures/make-layers.py, one of them gzip and
# one zstd; the filesystem is written at a non-zero offset of an image by
# tests/tools/rootfs-tool.c and must be clean for e2fsck, list the same
# as `umoci unpack` of the same layers, be byte-identical when written
# again, and keep a sparse file over 4 GiB sparse.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
off=$((5 << 20))
fail() { echo "t-rootfs: $*" >&2; exit 1; }

# the driver, built with the flags of the library it links
make -s -C "$top" DEV=1 build/libhpc.a
cc -D_GNU_SOURCE -I"$top/compiler" -I"$top/packer" -std=gnu11 -Wall \
	-Wextra -Werror -O2 -o "$tmp/rootfs-tool" \
	"$top/tests/tools/rootfs-tool.c" "$top/build/libhpc.a" \
	$(pkg-config --cflags --libs libarchive libisal ext2fs com_err libcrypto) -lpthread
tool=$tmp/rootfs-tool
list="python3 $top/tests/fixtures/list-tree.py"

# clean IMG: the filesystem at $off of IMG is clean for e2fsck -fn
clean() {
	e2fsck -fn "$1?offset=$off" >fsck.log 2>&1 ||
		{ cat fsck.log; fail "e2fsck: $1"; }
}

cd "$tmp"
python3 "$top/tests/fixtures/make-layers.py" layers .
gzip -9n -k layer2.tar
zstd -q -k layer3.tar
layers="layer1.tar layer2.tar.gz layer3.tar.zst"

echo "== write at byte $off, check with e2fsck"
$tool -o $off img $layers >out
clean img

echo "== compare with umoci unpack of the same layers"
$list ext4 "img?offset=$off" >ours.txt
python3 "$top/tests/fixtures/make-layers.py" oci oci layer1.tar layer2.tar \
	layer3.tar
if [ "$(id -u)" = 0 ]; then
	umoci unpack --image oci:test bundle >/dev/null
	$list dir bundle/rootfs >theirs.txt
	diff -u theirs.txt ours.txt || fail "differs from umoci"
	# the recorded listing must stay what umoci says
	diff -u "$top/tests/fixtures/rootfs-expected.txt" theirs.txt ||
		fail "tests/fixtures/rootfs-expected.txt is stale"
else
	# umoci keeps owners and devices only as root: use its recorded view
	diff -u "$top/tests/fixtures/rootfs-expected.txt" ours.txt ||
		fail "differs from the recorded umoci listing"
fi

echo "== details debugfs shows"
dfs() { debugfs -R "$1" "img?offset=$off" 2>/dev/null; }
dfs "stat /len59" | grep -q 'Fast link dest' || fail "59 bytes not inline"
dfs "stat /len60" | grep -q 'EXTENTS' || fail "60 bytes not in a block"
dfs "stat /bigxattr" | grep -q 'File ACL: [1-9]' || fail "no xattr block"
dfs "stat /nstime" | grep -q 'mtime: 0x6553f100:1d6f3454' ||
	fail "nanoseconds lost"
dfs "stat /nstime" | grep -q 'atime: 0x5f5e1000:77359400' ||
	fail "atime lost"
dfs "stat /" | grep -q 'Size of extra inode fields: 32' ||
	fail "no large inodes"
dfs "ea_get -x /caps security.capability" |
	grep -q '(20) = 00 00 00 02 01 00' ||
	fail "capability value lost its leading NUL"

echo "== the same layers give the same bytes, at any offset"
$tool -o $off img2 $layers >/dev/null
cmp img img2 || fail "not reproducible"
size=$(awk '{print $4}' out)
$tool -o 4096 img3 $layers >/dev/null
dd if=img bs=4096 skip=$((off / 4096)) count=$((size / 4096)) \
	of=a.part 2>/dev/null
dd if=img3 bs=4096 skip=1 count=$((size / 4096)) of=b.part 2>/dev/null
cmp a.part b.part || fail "the offset changes the filesystem"
$tool -t 1600000000 -o $off img4 $layers >/dev/null
clean img4
cmp -s img img4 && fail "time clamp changed nothing"
debugfs -R "stat /big" "img4?offset=$off" 2>/dev/null |
	grep -q 'mtime: 0x5f5e1000:00000000' || fail "time not clamped"

echo "== a truncated gzip layer is an error, not a crash"
gzip -n -c layer3.tar | head -c 100000 >cut.tar.gz
if $tool -o $off img5 layer1.tar cut.tar.gz 2>err; then
	fail "truncated layer accepted"
fi
grep -q "^hpc: layer 'sha256:[0-9a-f]\{64\}': .*runcated" err ||
	{ cat err; fail "unclear message"; }

echo "== a sparse file over 4 GiB keeps its holes"
mkdir sp
truncate -s 5G sp/sparse
printf 'head' | dd of=sp/sparse conv=notrunc 2>/dev/null
printf 'far data' | dd of=sp/sparse bs=1M seek=4608 conv=notrunc 2>/dev/null
tar --sparse --format=posix --numeric-owner -C sp -cf sparse.tar sparse
$tool -o $off img6 layer1.tar sparse.tar >/dev/null
clean img6
st=$(debugfs -R "stat /sparse" "img6?offset=$off" 2>/dev/null)
echo "$st" | grep -q 'Size: 5368709120' || fail "size lost"
echo "$st" | grep -q 'Blockcount: 16$' || fail "holes filled: $st"
blk=$(debugfs -R "bmap /sparse 1179648" "img6?offset=$off" 2>/dev/null)
[ "$(debugfs -R "bmap /sparse 1000" "img6?offset=$off" 2>/dev/null)" = 0 ] ||
	fail "hole mapped"
dd if=img6 bs=4096 skip=$((off / 4096 + blk)) count=1 2>/dev/null |
	head -c 8 | grep -q 'far data' || fail "data after the hole lost"

echo "== bytes kept from pass one give the same filesystem"
$tool -K . -o $off img8 $layers >out8
grep -q ' staged 2$' out8 || { cat out8; fail "gzip and zstd not staged"; }
cmp img img8 || fail "the stage changed the filesystem"
gzip -n -k sparse.tar
$tool -K . -o $off img9 layer1.tar sparse.tar.gz >out9
grep -q ' staged 1$' out9 || { cat out9; fail "sparse layer not staged"; }
cmp img6 img9 || fail "the stage changed the sparse file"
# a stage that cannot take a write (past 1 GiB here) falls back to
# reading the layer again, with the same result
$tool -K . -F $((1 << 30)) -o $off img10 layer1.tar sparse.tar.gz >out10
grep -q ' staged 0$' out10 || { cat out10; fail "stage did not fail"; }
cmp img6 img10 || fail "the fallback changed the sparse file"

echo "== too small a filesystem is an error"
if $tool -s $((2 << 20)) -o $off img7 layer1.tar layer3.tar.zst 2>err; then
	fail "overfull filesystem accepted"
fi
grep -q "full" err || { cat err; fail "unclear message"; }
echo "t-rootfs: ok"
