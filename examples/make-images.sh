#!/bin/sh
# make-images.sh: make the images that the example pods name, under
# examples/images/ (or DIR): busybox always, debian when run as root
# (debootstrap needs root). Existing images are reused; -f remakes them.
#
#   examples/make-images.sh [-f] [DIR]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
force=""
if [ "${1:-}" = "-f" ]; then
	force="-f"
	shift
fi
dir=${1:-$here/images}
dir=${dir%/}

# shellcheck disable=SC2086
"$here/make-busybox-image.sh" $force "$dir/busybox"
if [ "$(id -u)" = 0 ]; then
	# shellcheck disable=SC2086
	"$here/make-debian-image.sh" $force "$dir/debian"
else
	echo "make-images: not root, so no '$dir/debian' (debootstrap needs root); examples/debian needs it" >&2
fi
