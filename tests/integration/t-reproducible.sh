#!/bin/sh
# The same inputs give a byte-identical image, whatever the working
# directory, cache location, umask, time zone, clock or user, and whether
# the root filesystems come from the result cache or are written afresh
# (a damaged, resized or unreadable cache entry included);
# SOURCE_DATE_EPOCH clamps every time as reproducible-builds.org defines
# it; hpc inspect's digest of the inputs follows the inputs.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)
pod_file "$T/pod.json" "oci:$img:latest" repro '["echo", "hi"]'
pod_file "$T/other.json" "oci:$img:latest" repro '["echo", "bye"]'

# same NAME: the image NAME is byte for byte the first one
same() {
	cmp "$T/a/p.img" "$1" || fail "$2 differs from the first build"
}

# poke DIR OFFSET CHAR: CHAR written at OFFSET of every file in DIR
poke() {
	for f in "$1"/*; do
		printf '%s' "$3" | dd of="$f" bs=1 seek="$2" conv=notrunc \
			2>/dev/null
	done
}

# inputs IMG: the digest of everything that went in, as inspect says it
inputs() {
	"$HPC" inspect "$1" | awk '$1 == "inputs" { print $2 }'
}

mkdir "$T/a" "$T/b" "$T/c"
(cd "$T/a" && umask 022 && TZ=UTC XDG_CACHE_HOME="$T/c1" \
	"$HPC" build ../pod.json -o p.img)
[ -n "$(ls "$T/c1/hpc/rootfs/keys")" ] || fail "no result was cached"
[ "$(ls "$T/c1/hpc/loaders" | wc -l)" = 2 ] || fail "GRUB's images were not cached"

# another directory, cache, umask, zone, and a clock 14 years on
(cd "$T/b" && umask 077 && TZ=Asia/Tokyo XDG_CACHE_HOME="$T/c2" \
	faketime '2040-01-01 12:00:00' \
	"$HPC" build "$T/pod.json" -o "$T/b/p.img" --cache "$T/c3")
same "$T/b/p.img" "a build elsewhere, later, with another umask"

# the result cache: a warm rebuild copies the filesystem and GRUB's
# images, same bytes
(cd "$T/c" && XDG_CACHE_HOME="$T/c1" "$HPC" build -v "$T/pod.json" \
	-o p.img 2>"$T/warm.log")
expect_contains "$T/warm.log" "hpc-root-0: reusing"
same "$T/c/p.img" "a build from the result cache"

# a damaged entry is noticed, said, rebuilt, and gives the same bytes
poke "$T/c1/hpc/rootfs/xxh128c" 1024 X
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/d.img" \
	2>"$T/damaged.log"
expect_contains "$T/damaged.log" "is damaged"
same "$T/c/d.img" "a build past a damaged cache entry"

# a read of the cached filesystem that fails during its copy (EIO
# injected into copy_file_range) rebuilds it, same bytes; a full disk
# there fails the build naming the image, not the cache
XDG_CACHE_HOME="$T/c1" "$HPC" build -q "$T/pod.json" -o "$T/c/e.img"
XDG_CACHE_HOME="$T/c1" strace -f -qq -o /dev/null -e trace=copy_file_range \
	-e inject=copy_file_range:error=EIO "$HPC" build "$T/pod.json" \
	-o "$T/c/e.img" 2>"$T/eio.log" ||
	{ cat "$T/eio.log" >&2; fail "a failed read of a cached filesystem failed the build"; }
expect_contains "$T/eio.log" "Input/output error, rebuilding it"
same "$T/c/e.img" "a build past a cached filesystem that could not be read"
! XDG_CACHE_HOME="$T/c1" strace -f -qq -o /dev/null -e trace=copy_file_range \
	-e inject=copy_file_range:error=ENOSPC "$HPC" build "$T/pod.json" \
	-o "$T/c/n.img" 2>"$T/enospc.log" || fail "a full disk passed"
expect_contains "$T/enospc.log" "cannot write '$T/c/.n.img.tmp-"
[ ! -e "$T/c/n.img" ] || fail "a failed build left its image"

# one in a cache that cannot be written is said to be left, not removed
poke "$T/c1/hpc/rootfs/xxh128c" 1024 W
unshare --map-root-user --mount sh -c 'mount --bind -o ro "$1/hpc" "$1/hpc" &&
	XDG_CACHE_HOME="$1" "$2" build "$3" -o "$4"' sh "$T/c1" "$HPC" \
	"$T/pod.json" "$T/c/r.img" 2>"$T/ro.log" ||
	{ cat "$T/ro.log" >&2; fail "a read-only cache failed the build"; }
expect_contains "$T/ro.log" "is damaged (its content is xxh128:"
expect_contains "$T/ro.log" "left as it is (Read-only file system), rebuilding it"
same "$T/c/r.img" "a build past a damaged entry of a read-only cache"

# keys or contents others may write in are not trusted, whatever the
# directory above them
for d in keys xxh128c; do
	chmod 0777 "$T/c1/hpc/rootfs/$d"
	XDG_CACHE_HOME="$T/c1" "$HPC" build -v "$T/pod.json" \
		-o "$T/c/w.img" 2>"$T/w.log"
	chmod 0755 "$T/c1/hpc/rootfs/$d"
	! grep -q "reusing" "$T/w.log" || fail "a rootfs/$d others may write in was trusted"
	expect_contains "$T/w.log" "rootfs/$d' is not private to this user"
	same "$T/c/w.img" "a build beside a rootfs/$d others may write in"
done

# a build trusts an entry whose file is as its key recorded it: one
# rewritten in place with its size and mtime put back is noticed by its
# ctime, said, rebuilt, and gives the same bytes
for f in "$T"/c1/hpc/rootfs/xxh128c/*; do
	grep -q '^seen ' "$T"/c1/hpc/rootfs/keys/* ||
		fail "no key records its content file"
	touch -r "$f" "$T/mtime"
	printf 'Y' | dd of="$f" bs=1 seek=2048 conv=notrunc 2>/dev/null
	touch -r "$T/mtime" "$f"
done
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/s.img" \
	2>"$T/rewritten.log"
expect_contains "$T/rewritten.log" "is damaged"
same "$T/c/s.img" "a build past an entry rewritten in place"

# an entry cut or grown is not the size its key recorded: the disk is
# not laid out for it, it is said, rebuilt, and gives the same bytes
for size in -1M +1M 1M; do
	for f in "$T"/c1/hpc/rootfs/xxh128c/*; do
		truncate -s "$size" "$f"
	done
	XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" \
		-o "$T/c/t.img" 2>"$T/resized.log" ||
		{ cat "$T/resized.log" >&2; fail "an entry resized by $size failed the build"; }
	expect_contains "$T/resized.log" "is damaged"
	same "$T/c/t.img" "a build past an entry resized by $size"
done

# a key copied over another (times clamped otherwise: same layers, so
# the same superblock seed) names its own key no more: said, rebuilt
rm -rf "$T/ck"
SOURCE_DATE_EPOCH=1000000000 "$HPC" build -q "$T/pod.json" -o "$T/c/e1.img" \
	--cache "$T/ck"
cp -r "$T/ck/rootfs/keys" "$T/keys1"
rm "$T"/ck/rootfs/keys/*
SOURCE_DATE_EPOCH=1700000000 "$HPC" build -q "$T/pod.json" -o "$T/c/e2.img" \
	--cache "$T/ck"
for k in "$T"/keys1/*; do
	cp "$T"/ck/rootfs/keys/* "$T/ck/rootfs/keys/${k##*/}"
done
SOURCE_DATE_EPOCH=1000000000 "$HPC" build "$T/pod.json" -o "$T/c/e3.img" \
	--cache "$T/ck" 2>"$T/copied.log"
expect_contains "$T/copied.log" "': damaged, removed, rebuilding it"
cmp "$T/c/e1.img" "$T/c/e3.img" || fail "a key copied over another was trusted"

# a FIFO where a key belongs is no key: the build neither waits on it
# nor fails, and gives the same bytes
for k in "$T"/c1/hpc/rootfs/keys/*; do
	rm "$k" && mkfifo "$k"
done
XDG_CACHE_HOME="$T/c1" timeout 120 "$HPC" build "$T/pod.json" \
	-o "$T/c/f.img" || fail "a FIFO for a key stopped the build"
same "$T/c/f.img" "a build past a FIFO for a key"

# hpc cache verify digests every kept root filesystem, as no build does
poke "$T/c1/hpc/rootfs/xxh128c" 2048 Z
"$HPC" cache verify --cache "$T/c1/hpc" >"$T/verify.log"
expect_contains "$T/verify.log" "rootfs/xxh128c/"
# the damaged filesystem, and its key, which names it no more
expect_contains "$T/verify.log" " 2 files removed"
[ -z "$(ls "$T/c1/hpc/rootfs/xxh128c")" ] ||
	fail "cache verify kept a damaged root filesystem"
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/v.img"
same "$T/c/v.img" "a build after cache verify"

# a kept filesystem no key names (its key could not be written) is a
# leftover once idle for a minute: verify and prune take it; one just
# put in place, whose key may be on its way, stays
orphan() {
	for f in "$T"/c1/hpc/rootfs/xxh128c/*; do
		cp "$f" "$T/c1/hpc/rootfs/xxh128c/$(printf '%032d' "$1")"
		touch -d '2 minutes ago' "$T/c1/hpc/rootfs/xxh128c/$(printf '%032d' "$1")"
		return
	done
}
orphan 1
"$HPC" cache verify --cache "$T/c1/hpc" >"$T/verify.log"
expect_contains "$T/verify.log" "$(printf '%032d' 1)': no key names it"
orphan 2
"$HPC" cache prune --cache "$T/c1/hpc" >"$T/prune.log"
expect_contains "$T/prune.log" " 1 file removed"
[ ! -e "$T/c1/hpc/rootfs/xxh128c/$(printf '%032d' 2)" ] ||
	fail "cache prune kept a filesystem no key names"
rm "$T"/c1/hpc/rootfs/keys/*
"$HPC" cache verify --cache "$T/c1/hpc" >"$T/verify.log"
[ -n "$(ls "$T/c1/hpc/rootfs/xxh128c")" ] ||
	fail "cache verify took a filesystem just put in place: $(cat "$T/verify.log")"

# the same grown by holes only: the digest covers the length
for f in "$T"/c1/hpc/rootfs/xxh128c/*; do
	truncate -s +1M "$f"
done
"$HPC" cache verify --cache "$T/c1/hpc" >"$T/verify.log"
expect_contains "$T/verify.log" "rootfs/xxh128c/"
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/v.img"

# a damaged key is said by the build, which makes the result again, and
# removed by verify
for k in "$T"/c1/hpc/rootfs/keys/*; do
	head -c 300 /dev/urandom >"$k"
done
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/k.img" \
	2>"$T/key.log"
expect_contains "$T/key.log" "cached result key '$T/c1/hpc/rootfs/keys/"
same "$T/c/k.img" "a build past a damaged key"
# a size that is not digits alone is damage too, never a wrapped number
for size in -16777216 +16777216 ' 16777216'; do
	for k in "$T"/c1/hpc/rootfs/keys/*; do
		d=$(head -1 "$k" | cut -d' ' -f1)
		printf '%s %s %s\n' "$d" "$size" "${k##*/}" >"$k"
	done
	XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/k.img" \
		2>"$T/key.log"
	expect_contains "$T/key.log" "': damaged, removed, rebuilding it"
	same "$T/c/k.img" "a build past a key of size '$size'"
done
for k in "$T"/c1/hpc/rootfs/keys/*; do
	printf 'xxh128:%032d 1048576 %s\n' 0 "${k##*/}" >"$k"
done
"$HPC" cache verify --cache "$T/c1/hpc" >"$T/verify.log"
expect_contains "$T/verify.log" "which is gone"
[ -z "$(ls "$T/c1/hpc/rootfs/keys")" ] || fail "cache verify kept a key to nothing"

# prune goes on past a part of the cache it cannot read, and says it
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/k.img"
cp -a "$T/c1/hpc" "$T/pc"
rm -r "$T/pc/rootfs/keys" && echo x >"$T/pc/rootfs/keys"
! "$HPC" cache prune --all --cache "$T/pc" >"$T/prune.log" 2>&1 ||
	fail "prune --all passed over a part it cannot read"
expect_contains "$T/prune.log" "rootfs/keys"
[ -z "$(find "$T/pc/rootfs/xxh128c" "$T/pc/loaders" -type f)" ] ||
	fail "prune --all stopped at a part it cannot read"

# nor does it follow a symbolic link out of the cache
rm "$T/pc/rootfs/keys"
mkdir "$T/elsewhere" && echo keep >"$T/elsewhere/precious"
ln -s "$T/elsewhere" "$T/pc/rootfs/keys"
! "$HPC" cache prune --all --cache "$T/pc" >"$T/prune.log" 2>&1 ||
	fail "prune --all passed over a symbolic link in the cache"
expect_contains "$T/prune.log" "is a symbolic link"
[ -f "$T/elsewhere/precious" ] || fail "prune followed a symbolic link"
"$HPC" cache verify --cache "$T/pc" >/dev/null 2>&1 || true
[ -f "$T/elsewhere/precious" ] || fail "verify followed a symbolic link"

# a key recording a size its content file does not have is removed by
# verify, and the content file kept
d=$(ls "$T/c1/hpc/rootfs/xxh128c" | head -1)
for k in "$T"/c1/hpc/rootfs/keys/*; do
	printf 'xxh128:%s 33554432 %s\n' "$d" "${k##*/}" >"$k"
done
"$HPC" cache verify --cache "$T/c1/hpc" >"$T/verify.log"
expect_contains "$T/verify.log" "it records 33554432 bytes"
[ -f "$T/c1/hpc/rootfs/xxh128c/$d" ] || fail "verify removed a good filesystem"

# a directory where an entry belongs is named for what it is
d="$T/c1/hpc/rootfs/xxh128c/$(printf '%032d' 0)"
mkdir "$d"
! "$HPC" cache verify --cache "$T/c1/hpc" >"$T/verify.log" 2>&1 ||
	fail "cache verify passed over a directory"
expect_contains "$T/verify.log" "'$d' is a directory"
rmdir "$d"

# GRUB's two images are kept once, reused by every later build, and a
# damaged one is made again, said, with the same bytes
[ "$(ls "$T/c1/hpc/loaders" | wc -l)" = 2 ] ||
	fail "not two kept boot loaders: $(ls "$T/c1/hpc/loaders")"
poke "$T/c1/hpc/loaders" 600 X
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/l.img" \
	2>"$T/loaders.log"
[ "$(grep -c "kept boot loader .* is damaged, making it again" \
	"$T/loaders.log")" = 2 ] || { cat "$T/loaders.log" >&2;
	fail "the damaged boot loaders were not both said"; }
same "$T/c/l.img" "a build past damaged boot loaders"

# the initrd's bulk (init and modules) is kept as one gzip member,
# reused, and a damaged one is made again, said, with the same bytes
[ "$(ls "$T/c1/hpc/initrd" | wc -l)" = 1 ] ||
	fail "not one kept initrd part: $(ls "$T/c1/hpc/initrd")"
poke "$T/c1/hpc/initrd" 600 X
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/i.img" \
	2>"$T/initrd.log"
expect_contains "$T/initrd.log" "is damaged, making it again"
same "$T/c/i.img" "a build past a damaged initrd part"

# verify checks their seals as a build does, and keeps the good ones
poke "$T/c1/hpc/loaders" 600 Y
poke "$T/c1/hpc/initrd" 600 Y
: >"$T/c1/hpc/initrd/.tmp-999999999-dead"
touch -d '2 minutes ago' "$T/c1/hpc/initrd/.tmp-999999999-dead"
"$HPC" cache verify --cache "$T/c1/hpc" >"$T/verify.log"
[ "$(grep -c "its seal does not match its content" "$T/verify.log")" = 3 ] ||
	fail "verify did not find the three damaged results: $(cat "$T/verify.log")"
expect_contains "$T/verify.log" ".tmp-999999999-dead': left by a writer that died"
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/pod.json" -o "$T/c/i.img"
"$HPC" cache verify --cache "$T/c1/hpc" >"$T/verify.log"
expect_contains "$T/verify.log" " 0 files removed"

# an ordinary user, with a cache of its own, and with root's
if [ "$(id -u)" = 0 ]; then
	chmod 0755 "$T"
	mkdir -m 0777 "$T/u"
	HOME="$T/u" XDG_CACHE_HOME="$T/u/cache" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$HPC" build "$T/pod.json" -o "$T/u/p.img"
	same "$T/u/p.img" "an ordinary user's build"
	# an entry the user cannot read is said, rebuilt, same bytes; and
	# cache verify removes one, since no build could use it
	chmod 000 "$T"/u/cache/hpc/rootfs/xxh128c/*
	HOME="$T/u" XDG_CACHE_HOME="$T/u/cache" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$HPC" build "$T/pod.json" -o "$T/u/r.img" 2>"$T/u/r.log" ||
		{ cat "$T/u/r.log" >&2; fail "an unreadable entry failed the build"; }
	expect_contains "$T/u/r.log" "Permission denied, rebuilding it"
	same "$T/u/r.img" "a build past an unreadable entry"
	chmod 000 "$T"/u/cache/hpc/rootfs/xxh128c/*
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$HPC" cache verify --cache "$T/u/cache/hpc" >"$T/u/v.log" ||
		fail "cache verify failed on an unreadable entry"
	expect_contains "$T/u/v.log" "cannot be read (Permission denied)"
	# root's cache: readable, but not the user's own, so not reused
	HOME="$T/u" XDG_CACHE_HOME="$T/c1" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$HPC" build -v "$T/pod.json" -o "$T/u/q.img" 2>"$T/u/q.log"
	! grep -q "reusing" "$T/u/q.log" || fail "another user's cache was reused"
	expect_contains "$T/u/q.log" "not private to this user"
	same "$T/u/q.img" "an ordinary user's build beside root's cache"
fi

# what went in: the same for the same inputs, another for another command
[ "$(inputs "$T/a/p.img")" = "$(inputs "$T/b/p.img")" ] ||
	fail "the inputs digest of two identical builds differs"
XDG_CACHE_HOME="$T/c1" "$HPC" build "$T/other.json" -o "$T/c/o.img"
[ "$(inputs "$T/a/p.img")" != "$(inputs "$T/c/o.img")" ] ||
	fail "the inputs digest did not follow the command"
"$HPC" inspect "$T/a/p.img" | grep -q "layer sha256:" ||
	fail "inspect does not list the layers that went in"

# SOURCE_DATE_EPOCH: reproducible across clocks and caches, and every
# time later than it (files, the filesystems' own) clamped to it, older
# ones kept
epoch=1000000000
mkdir -p "$T/tree/bin"
printf 'new\n' >"$T/tree/bin/new"
printf 'old\n' >"$T/tree/old"
tar -C "$T/tree" --numeric-owner --sort=name --mtime=@1500000000 \
	-cf "$T/layer.tar" ./bin ./bin/new
tar -C "$T/tree" --numeric-owner --mtime=@600000000 -rf "$T/layer.tar" ./old
echo '{"config": {"Cmd": ["/bin/new"]}}' >"$T/conf.json"
python3 "$ROOT/examples/oci-layout.py" write "$T/sde" --config "$T/conf.json" \
	--layer "$T/layer.tar"
pod_file "$T/sde.json" "oci:$T/sde:latest" sde '["/bin/new"]'
SOURCE_DATE_EPOCH=$epoch XDG_CACHE_HOME="$T/c1" \
	"$HPC" build "$T/sde.json" -o "$T/c/e1.img"
SOURCE_DATE_EPOCH=$epoch XDG_CACHE_HOME="$T/c4" faketime '2040-01-01' \
	"$HPC" build "$T/sde.json" -o "$T/c/e2.img"
cmp "$T/c/e1.img" "$T/c/e2.img" || fail "two SOURCE_DATE_EPOCH builds differ"
"$HPC" build "$T/sde.json" -o "$T/c/e0.img"
! cmp -s "$T/c/e0.img" "$T/c/e1.img" || fail "SOURCE_DATE_EPOCH changed nothing"
set -- $(part "$T/c/e1.img" hpc-root-0)
debugfs -R "stat /bin/new" "$T/c/e1.img?offset=$1" >"$T/stat" 2>&1
expect_contains "$T/stat" "mtime: 0x3b9aca00:00000000"
debugfs -R "stat /old" "$T/c/e1.img?offset=$1" >"$T/stat" 2>&1
expect_contains "$T/stat" "mtime: 0x23c34600:00000000"
dumpe2fs -h "$T/c/e1.img?offset=$1" >"$T/super" 2>&1
TZ=UTC LC_ALL=C date -d @$epoch '+%a %b %e %H:%M:%S %Y' >"$T/when"
expect_contains "$T/super" "Filesystem created:       $(cat "$T/when")"
echo ok
