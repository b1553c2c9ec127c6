#!/usr/bin/env python3
"""oci-layout.py: write OCI image layouts from layer tars, reproducibly.

The example pods and the test fixtures name OCI images that hpc reads
(the "images" input of the spec -> image -> boot chain). This helper turns
root filesystem trees into layer tars and layer tars into an OCI image
layout (oci-layout, index.json, blobs/sha256/...), with nothing but the
Python standard library, so the same inputs always give the same bytes.

  oci-layout.py tar-tree ROOT OUT.tar [--mtime N]
      pack the tree under ROOT: sorted entries, owners 0:0 (names empty),
      every mtime set to N (default SOURCE_DATE_EPOCH, else 0). Modes,
      symlinks and hardlinks are kept; whiteout files (.wh.NAME) are
      packed as they are.

  oci-layout.py write OUTDIR --config CONF.json --layer A.tar [...]
      [--tag latest] [--history TEXT ...] [--level 9] [--cache DIR]
      write a layout into OUTDIR (which must not exist): each layer tar is
      gzipped (mtime 0, no name), its diff_id is the SHA-256 of the tar;
      CONF.json holds the image config's "config" object and may set
      "architecture" and "os". With --cache, compressed layers are kept
      under DIR by diff_id, so an unchanged layer is compressed once.
"""

import argparse
import gzip
import hashlib
import json
import os
import shutil
import sys
import tarfile
import time

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CHUNK = 1 << 20


def default_mtime():
	return int(os.environ.get("SOURCE_DATE_EPOCH", "0"))


def walk_sorted(root, rel=""):
	"""Yield paths under root relative to it, each directory before its
	children, names in sorted order."""
	full = os.path.join(root, rel) if rel else root
	for name in sorted(os.listdir(full)):
		child = rel + "/" + name if rel else name
		yield child
		path = os.path.join(root, child)
		if os.path.isdir(path) and not os.path.islink(path):
			yield from walk_sorted(root, child)


def tar_tree(root, out, mtime):
	"""Pack root into out with fixed owners and times."""
	seen = {}
	with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
		for rel in walk_sorted(root):
			full = os.path.join(root, rel)
			info = tar.gettarinfo(full, arcname=rel)
			st = os.lstat(full)
			if info.isreg() and st.st_nlink > 1:
				key = (st.st_dev, st.st_ino)
				if key in seen:
					info.type = tarfile.LNKTYPE
					info.linkname = seen[key]
					info.size = 0
				else:
					seen[key] = rel
			info.uid = info.gid = 0
			info.uname = info.gname = ""
			info.mtime = mtime
			if info.isreg():
				with open(full, "rb") as f:
					tar.addfile(info, f)
			else:
				tar.addfile(info)


def sha256_file(path):
	h = hashlib.sha256()
	with open(path, "rb") as f:
		for chunk in iter(lambda: f.read(CHUNK), b""):
			h.update(chunk)
	return h.hexdigest()


def gzip_layer(tar_path, out_path, level):
	"""Compress tar_path into out_path; return the tar's SHA-256."""
	h = hashlib.sha256()
	with open(tar_path, "rb") as src, open(out_path, "wb") as raw:
		# filename="" and mtime=0 keep the gzip header free of
		# anything that changes between runs
		with gzip.GzipFile(filename="", mode="wb", fileobj=raw,
				   compresslevel=level, mtime=0) as gz:
			for chunk in iter(lambda: src.read(CHUNK), b""):
				h.update(chunk)
				gz.write(chunk)
	return h.hexdigest()


def put_blob(blobs, src, move):
	"""Store file src as a blob; return (digest, size)."""
	hexd = sha256_file(src)
	dst = os.path.join(blobs, hexd)
	if move:
		os.replace(src, dst)
	elif not os.path.exists(dst):
		shutil.copyfile(src, dst)
	return "sha256:" + hexd, os.path.getsize(dst)


def put_json(blobs, obj):
	data = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
	hexd = hashlib.sha256(data).hexdigest()
	with open(os.path.join(blobs, hexd), "wb") as f:
		f.write(data)
	return "sha256:" + hexd, len(data)


def layer_blob(tar_path, blobs, level, cache):
	"""Compress one layer into blobs; return (digest, size, diff_id)."""
	if cache:
		diff = sha256_file(tar_path)
		cached = os.path.join(cache, diff + ".gz")
		if not os.path.exists(cached):
			tmp = cached + ".tmp.%d" % os.getpid()
			gzip_layer(tar_path, tmp, level)
			os.replace(tmp, cached)
		digest, size = put_blob(blobs, cached, False)
		return digest, size, "sha256:" + diff
	tmp = os.path.join(blobs, ".layer.tmp")
	diff = gzip_layer(tar_path, tmp, level)
	digest, size = put_blob(blobs, tmp, True)
	return digest, size, "sha256:" + diff


def write_layout(args):
	with open(args.config) as f:
		conf = json.load(f)
	os.makedirs(args.outdir)
	blobs = os.path.join(args.outdir, "blobs", "sha256")
	os.makedirs(blobs)
	if args.cache:
		os.makedirs(args.cache, exist_ok=True)

	layers, diffs = [], []
	for path in args.layer:
		digest, size, diff = layer_blob(path, blobs, args.level,
						args.cache)
		layers.append({"mediaType": MT_LAYER, "digest": digest,
			       "size": size})
		diffs.append(diff)

	created = time.strftime("%Y-%m-%dT%H:%M:%SZ",
				time.gmtime(default_mtime()))
	history = [{"created": created, "created_by": h}
		   for h in (args.history or [])]
	image = {
		"created": created,
		"architecture": conf.get("architecture", "amd64"),
		"os": conf.get("os", "linux"),
		"config": conf.get("config", {}),
		"rootfs": {"type": "layers", "diff_ids": diffs},
	}
	if history:
		image["history"] = history
	cdigest, csize = put_json(blobs, image)
	manifest = {
		"schemaVersion": 2,
		"mediaType": MT_MANIFEST,
		"config": {"mediaType": MT_CONFIG, "digest": cdigest,
			   "size": csize},
		"layers": layers,
	}
	mdigest, msize = put_json(blobs, manifest)
	index = {
		"schemaVersion": 2,
		"mediaType": MT_INDEX,
		"manifests": [{
			"mediaType": MT_MANIFEST, "digest": mdigest,
			"size": msize,
			"platform": {"architecture": image["architecture"],
				     "os": image["os"]},
			"annotations": {
				"org.opencontainers.image.ref.name": args.tag},
		}],
	}
	with open(os.path.join(args.outdir, "oci-layout"), "w") as f:
		f.write('{"imageLayoutVersion":"1.0.0"}')
	with open(os.path.join(args.outdir, "index.json"), "w") as f:
		json.dump(index, f, sort_keys=True, separators=(",", ":"))
	print(mdigest)


def main():
	p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	sub = p.add_subparsers(dest="cmd", required=True)
	t = sub.add_parser("tar-tree")
	t.add_argument("root")
	t.add_argument("out")
	t.add_argument("--mtime", type=int, default=None)
	w = sub.add_parser("write")
	w.add_argument("outdir")
	w.add_argument("--config", required=True)
	w.add_argument("--layer", action="append", required=True)
	w.add_argument("--tag", default="latest")
	w.add_argument("--history", action="append")
	w.add_argument("--level", type=int, default=9)
	w.add_argument("--cache")
	args = p.parse_args()
	if args.cmd == "tar-tree":
		mtime = default_mtime() if args.mtime is None else args.mtime
		tar_tree(args.root, args.out, mtime)
	else:
		write_layout(args)
	return 0


if __name__ == "__main__":
	sys.exit(main())
