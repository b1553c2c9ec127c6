#!/bin/sh
# make-debian-image.sh: make the multi-layer Debian image that
# examples/debian runs and that the layer tests and benchmarks build from
# (the "image" input of pod -> image -> boot).
#
#   examples/make-debian-image.sh [-f] [OUTDIR]
#
# OUTDIR (default examples/images/debian) becomes an OCI image layout
# tagged "latest" with three gzip layers:
#
#   1. debootstrap --variant=minbase --include=python3-minimal bookworm,
#      packed by GNU tar exactly as on disk: numeric owners, modes, device
#      nodes, hardlinks, xattrs and nanosecond mtimes, sorted by name;
#      apt's downloaded .debs are still in /var/cache/apt/archives
#   2. the app: /srv/hello/hello.py, /srv/hello/draft.txt, /etc/hello.conf
#   3. deletions: a .wh. whiteout for every entry of /usr/share/doc plus a
#      new /usr/share/doc/README.hpc; usr/share/.wh.man; opaque markers
#      (.wh..wh..opq) on /var/cache/apt/archives (the .debs die here; the
#      partial/ directory comes back) and /srv/hello (draft.txt dies,
#      hello.py comes back); etc/.wh.motd
#
# so that in a container of this image `ls /usr/share/doc` shows only
# README.hpc. debootstrap needs root. Its tree is cached (HPC_EXAMPLES_CACHE,
# default examples/images/.cache), as are the compressed layers, so reruns
# are quick. The mirror is DEBIAN_MIRROR, else the first bookworm mirror in
# apt's sources. An existing OUTDIR is reused; -f remakes it. Times are
# kept as they are on disk unless SOURCE_DATE_EPOCH is set (then clamped).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
force=0
if [ "${1:-}" = "-f" ]; then
	force=1
	shift
fi
out=${1:-$here/images/debian}
out=${out%/}
cache=${HPC_EXAMPLES_CACHE:-$here/images/.cache}
suite=bookworm

say() { echo "make-debian-image: $*" >&2; }
die() { say "$*"; exit 1; }

if [ -e "$out/index.json" ] && [ "$force" = 0 ]; then
	say "reusing '$out' (-f remakes it)"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "debootstrap needs root; run this as root"
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"

# The first mirror apt uses for $suite, from one-line or deb822 sources.
find_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v s="$suite" '$1 == "deb" {
			sub(/\[[^]]*\][ \t]*/, "")	# [options]
			if ($3 == s) { print $2; exit } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" } {
			uri = ""; ok = 0; deb = 0; off = 0
			for (i = 1; i <= NF; i++) {
				split($i, kv, ":[ \t]*")
				k = tolower(kv[1]); v = substr($i, length(kv[1]) + 2)
				if (k == "uris") { split(v, u, " "); uri = u[1] }
				if (k == "suites" && (" " v " ") ~ (" " s " ")) ok = 1
				if (k == "types" && v ~ /(^| )deb( |$)/) deb = 1
				if (k == "enabled" && v ~ /no/) off = 1
			}
			if (uri != "" && ok && deb && !off) { print uri; exit } }' \
			"$f"
	done
}

# Unmount whatever a failed debootstrap left mounted under $1.
unmount_under() {
	awk -v d="$1/" 'index($2 "/", d) == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do umount -l "$m" || true; done
}

# The cached debootstrap tree: made once, renamed into place when whole.
bootstrap() {
	root="$cache/$suite-minbase"
	[ -e "$root.done" ] && return 0
	mirror=${DEBIAN_MIRROR:-$(find_mirror | head -n 1)}
	[ -n "$mirror" ] || die "no $suite mirror in apt's sources; set DEBIAN_MIRROR"
	say "debootstrap $suite from $mirror (a few minutes, once)"
	mkdir -p "$cache"
	unmount_under "$root.tmp"
	rm -rf "$root.tmp" "$root"
	start=$(date +%s)
	debootstrap --variant=minbase --include=python3-minimal \
		"$suite" "$root.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		{ unmount_under "$root.tmp"; tail -n 20 "$cache/debootstrap.log" >&2;
		  die "debootstrap failed; log in '$cache/debootstrap.log'"; }
	unmount_under "$root.tmp"
	mv "$root.tmp" "$root"
	echo "$mirror" >"$root.done"
	say "debootstrap took $(( $(date +%s) - start )) s"
}

# Layer 1: the tree exactly as on disk, sorted, free of run-dependent
# header fields, so the same tree always gives the same tar.
tar_base() {
	set -- --format=posix --numeric-owner --xattrs --xattrs-include='*' \
		--sort=name \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime
	if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
		set -- "$@" --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime
	fi
	# name the top-level entries so that no "./" prefix appears
	(cd "$root" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' |
		LC_ALL=C sort >"$tmp/top")
	tar -C "$root" -cf "$tmp/layer1.tar" "$@" -T "$tmp/top"
}

# Layer 2: the app.
tree_app() {
	a="$tmp/app"
	mkdir -p "$a/srv/hello" "$a/etc"
	cat >"$a/srv/hello/hello.py" <<'EOF'
#!/usr/bin/python3
import os
import sys

with open("/etc/debian_version") as f:
	version = f.read().strip()
with open("/etc/hello.conf") as f:
	greeting = f.read().strip()
print("%s: python %d.%d on debian %s, in %s" % (greeting,
	sys.version_info[0], sys.version_info[1], version, os.getcwd()))
EOF
	echo "this file is hidden by an opaque whiteout in layer 3" \
		>"$a/srv/hello/draft.txt"
	echo "hello from an hpc pod" >"$a/etc/hello.conf"
	chmod 0755 "$a/srv/hello/hello.py"
	python3 "$here/oci-layout.py" tar-tree "$a" "$tmp/layer2.tar"
}

# Layer 3: whiteouts, opaque directories and a few new files.
tree_delete() {
	d="$tmp/del"
	mkdir -p "$d/usr/share/doc" "$d/var/cache/apt/archives/partial" \
		"$d/srv/hello" "$d/etc"
	find "$root/usr/share/doc" -mindepth 1 -maxdepth 1 -printf '%P\n' |
		while read -r n; do : >"$d/usr/share/doc/.wh.$n"; done
	cat >"$d/usr/share/doc/README.hpc" <<'EOF'
The documentation of this image's packages was removed in its third layer,
one whiteout an entry; this file was added by the same layer.
EOF
	: >"$d/usr/share/.wh.man"
	: >"$d/var/cache/apt/archives/.wh..wh..opq"
	: >"$d/srv/hello/.wh..wh..opq"
	cp -p "$tmp/app/srv/hello/hello.py" "$d/srv/hello/hello.py"
	: >"$d/etc/.wh.motd"
	chmod 0700 "$d/var/cache/apt/archives/partial"
	python3 "$here/oci-layout.py" tar-tree "$d" "$tmp/layer3.tar"
}

tmp=$(mktemp -d)
new="$out.new.$$"
trap 'rm -rf "$tmp" "$new"' EXIT
trap 'exit 130' INT TERM
umask 022
t0=$(date +%s)

bootstrap
root="$cache/$suite-minbase"
tar_base
tree_app
tree_delete
cat >"$tmp/config.json" <<'EOF'
{
	"architecture": "amd64",
	"os": "linux",
	"config": {
		"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"LANG=C.UTF-8"],
		"Cmd": ["python3", "/srv/hello/hello.py"],
		"WorkingDir": "/srv/hello"
	}
}
EOF
mkdir -p "$(dirname "$out")"
python3 "$here/oci-layout.py" write "$new" --config "$tmp/config.json" \
	--level 6 --cache "$cache/layers" \
	--layer "$tmp/layer1.tar" --layer "$tmp/layer2.tar" \
	--layer "$tmp/layer3.tar" \
	--history "debootstrap --variant=minbase --include=python3-minimal $suite" \
	--history "add /srv/hello and /etc/hello.conf" \
	--history "remove /usr/share/doc, /usr/share/man, apt's .debs" \
	>"$tmp/digest"
rm -rf "$out"
mv "$new" "$out"
say "'$out' $(cat "$tmp/digest") in $(( $(date +%s) - t0 )) s"
