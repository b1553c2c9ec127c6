#!/bin/sh
# make-busybox-image.sh: make the busybox OCI image that examples/hello runs
# and that tests build pods from (the "image" input of pod -> image -> boot).
#
#   examples/make-busybox-image.sh [-f] [OUTDIR]
#
# OUTDIR (default examples/images/busybox) becomes an OCI image layout
# tagged "latest", with one gzip layer made from Debian's busybox-static:
# /bin/busybox and a symlink for each applet, /etc/passwd and /etc/group
# (root, nobody), /tmp (1777) and /www/index.html for httpd. OUTDIR.tar is
# the same image as a docker-archive (busybox:latest), made with skopeo.
#
# The layer, config and manifest are the same bytes on every run for the
# same .deb (owners 0:0, sorted entries, mtimes from SOURCE_DATE_EPOCH or
# 0, gzip without a timestamp). An existing OUTDIR is reused; -f remakes
# it. The .deb comes from $BUSYBOX_DEB, else apt's cache, else
# `apt-get download`. Root is not needed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
force=0
if [ "${1:-}" = "-f" ]; then
	force=1
	shift
fi
out=${1:-$here/images/busybox}
out=${out%/}

if [ -e "$out/index.json" ] && [ "$force" = 0 ]; then
	echo "make-busybox-image: reusing '$out' (-f remakes it)"
	[ -e "$out.tar" ] || skopeo copy -q "oci:$out:latest" \
		"docker-archive:$out.tar:busybox:latest"
	exit 0
fi

tmp=$(mktemp -d)
new="$out.new.$$"
trap 'rm -rf "$tmp" "$new"' EXIT
trap 'exit 130' INT TERM
umask 022

# the .deb: newest in apt's cache, or one fresh from the mirror
deb=${BUSYBOX_DEB:-}
if [ -z "$deb" ]; then
	deb=$(ls /var/cache/apt/archives/busybox-static_*_amd64.deb \
		2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$deb" ]; then
	mkdir "$tmp/dl"
	sandbox=""
	[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	(cd "$tmp/dl" && apt-get download -q $sandbox busybox-static >&2)
	deb=$(ls "$tmp"/dl/busybox-static_*.deb)
fi
dpkg-deb -x "$deb" "$tmp/deb"
bb="$tmp/deb/bin/busybox"

# the root filesystem tree
r="$tmp/root"
mkdir -p "$r/bin" "$r/etc" "$r/dev" "$r/proc" "$r/sys" "$r/root" \
	"$r/tmp" "$r/www" "$r/var/log" "$r/home"
chmod 1777 "$r/tmp"
chmod 0700 "$r/root"
cp "$bb" "$r/bin/busybox"
chmod 0755 "$r/bin/busybox"
"$bb" --list | while read -r applet; do
	[ "$applet" = busybox ] || ln -s busybox "$r/bin/$applet"
done
cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$r/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat >"$r/www/index.html" <<'EOF'
<html><body><h1>hello from an hpc pod</h1></body></html>
EOF
chmod 0644 "$r/etc/passwd" "$r/etc/group" "$r/www/index.html"

python3 "$here/oci-layout.py" tar-tree "$r" "$tmp/layer.tar"
cat >"$tmp/config.json" <<'EOF'
{
	"architecture": "amd64",
	"os": "linux",
	"config": {
		"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		"Cmd": ["sh"],
		"WorkingDir": "/"
	}
}
EOF
version=$(dpkg-deb -f "$deb" Version)
mkdir -p "$(dirname "$out")"
python3 "$here/oci-layout.py" write "$new" \
	--config "$tmp/config.json" --layer "$tmp/layer.tar" \
	--history "busybox-static $version" >"$tmp/digest"

# put the new layout in place whole, then its docker-archive copy
rm -rf "$out" "$out.tar"
mv "$new" "$out"
skopeo copy -q "oci:$out:latest" "docker-archive:$out.tar:busybox:latest"
echo "make-busybox-image: '$out' $(cat "$tmp/digest") (busybox $version)"
