/*
 * layer: one image layer, a tar stream read with libarchive (gzip, zstd,
 * xz, bzip2 or none) or a host directory (layer_dir.h), and the OCI rules that apply its entries to the tree.
 *
 * Part of stage "pack" (see rootfs.h). Pass one (layer_apply) reads the
 * headers only and changes the tree; pass two (layer_copy) reads a layer
 * again and hands over the bytes of the entries that survived. This is
 * the one place that speaks libarchive's reader, with layer_dir.
 */
#ifndef HPC_LAYER_H
#define HPC_LAYER_H

#include <stdint.h>

#include "layer_dir.h"
#include "stage.h"
#include "tree.h"
#include "util.h"

/* One tar entry, as the rules see it. */
struct layer_entry {
	const char *path;
	const char *hardlink;	/* set: a hardlink to this path */
	const char *symlink;	/* symlinks: the target */
	uint32_t mode;		/* S_IFMT type and mode bits */
	uint32_t uid, gid;
	int64_t mtime, atime;
	uint32_t mtime_ns, atime_ns;
	uint64_t size;
	uint32_t rdev_major, rdev_minor;
	const struct tree_xattr *xattrs;
	size_t nxattrs;
	uint64_t index;		/* the entry's number in its layer, from 0 */
	uint32_t regions;	/* runs of data; more than one when sparse */
	uint64_t stored;	/* bytes of data the tar holds */
	uint64_t stage_off;	/* where its bytes go in the stage, if kept */
};

/*
 * layer_apply_entry - apply one entry of layer number layer (from 1, in
 * order) to the tree: whiteouts by name whatever the type, the opaque
 * marker, a directory merged into a directory, anything else replacing
 * what was there. Returns 0, or -errno with a message naming the path.
 */
int layer_apply_entry(struct tree *t, const struct layer_entry *e,
		      uint32_t layer, struct hpc_err *err);

/* Where a layer's bytes are. */
struct layer_src {
	const char *path;	/* a tar blob, or a host directory */
	uint64_t offset;	/* with length: the tar is these bytes of */
	uint64_t length;	/* path (an archive's member); 0: all of it */
	struct layer_owner owner;	/* set: every entry's owner */
};

/*
 * layer_apply - pass one: read every header of the layer src names (a
 * tar, or a host directory read as one) and apply it. what names the
 * layer in messages; *total counts the bytes of every layer of the root
 * filesystem so far. The limits of limit.h (entries, bytes of the layer
 * and of *total, path depth, name length) are checked entry by entry,
 * before any data is read. With a stage (or NULL), a compressed layer's
 * file bytes are kept in it as they go by, each file's at the offset its
 * node's src.stage_off says. Returns 1 when every one of them was kept,
 * 0 when pass two must read the layer again, or -errno with a message.
 */
int layer_apply(struct tree *t, uint32_t layer, const struct layer_src *src,
		const char *what, uint64_t *total, struct stage *stage,
		struct hpc_err *err);

/* A regular file whose bytes pass two wants: entry index of a layer. */
struct layer_want {
	uint64_t index;
	struct tree_node *node;
};

struct layer_data;

/*
 * layer_copy_fn - called for each wanted entry, in the layer's order;
 * reads the bytes with layer_data_next. Returns 0 or -errno.
 */
typedef int (*layer_copy_fn)(struct tree_node *node, struct layer_data *d,
			     void *arg, struct hpc_err *err);

/*
 * layer_copy - pass two: read the layer src names again and call fn for
 * the wanted entries (sorted by index), stopping after the last one.
 * Fails with -ESTALE if an entry is not what pass one saw.
 */
int layer_copy(const struct layer_src *src, const char *what,
	       const struct layer_want *wants, size_t nwants,
	       layer_copy_fn fn, void *arg, struct hpc_err *err);

/*
 * layer_data_next - the next run of the current file's bytes at *ret_off:
 * 1 with *ret_buf and *ret_len set, 0 at the end, or -errno.
 */
int layer_data_next(struct layer_data *d, const void **ret_buf,
		    size_t *ret_len, uint64_t *ret_off, struct hpc_err *err);

#endif
