/*
 * rootfs: one container's root filesystem, from an image's layers to ext4.
 *
 * Stage "pack" of the pipeline. Layers are applied in two passes: the
 * first reads every layer's headers and applies the OCI rules (whiteouts,
 * opaque directories, replacement, hardlinks, implied parents) to a tree
 * held in memory, which tells the exact size the filesystem needs; the
 * second creates the ext4 filesystem with libext2fs inside the disk image
 * at a given byte offset and writes into it only the content that
 * survived, reading the layers again, or, for a compressed layer, the
 * bytes pass one kept in an unnamed stage file (stage.h) beside the
 * output. Nothing is extracted onto the host.
 */
#ifndef HPC_ROOTFS_H
#define HPC_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "util.h"

struct rootfs;

struct rootfs_opts {
	/* every identifier (UUID, hash seed) is derived from the seed */
	uint8_t seed[DIGEST_LEN];
	/* times later than this are clamped to it; -1 clamps nothing */
	int64_t time_clamp;
	/* free space to add to the content's size, in percent */
	unsigned int reserve_percent;
	/* the filesystem label (at most 16 bytes) */
	const char *label;
	/* at least this many inodes (a volume that is written to); 0: none */
	uint32_t min_inodes;
	/* told of bytes of the filesystem written for good; may be NULL */
	void (*settled)(void *arg, uint64_t off, uint64_t len);
	void *settled_arg;
};

/* rootfs_new - an empty tree; free it with rootfs_free. */
struct rootfs *rootfs_new(void);
void rootfs_free(struct rootfs *fs);

/*
 * rootfs_use_stage - keep compressed layers' file bytes, from the next
 * layer added on, in an unnamed file in directory dir (the output's),
 * so that pass two need not inflate them again. Returns 0, or -errno
 * when dir cannot hold such a file; the layers are then read twice.
 */
int rootfs_use_stage(struct rootfs *fs, const char *dir);

/* rootfs_staged - how many of the layers added so far the stage holds. */
size_t rootfs_staged(const struct rootfs *fs);

/*
 * rootfs_add_layer - pass one: apply the layer stored at path (a tar,
 * gzip- or zstd-compressed or not) on top of the tree. what names the
 * layer in messages (its digest). The path must stay readable until
 * rootfs_write returns. Returns 0, or -errno with a message in err.
 */
int rootfs_add_layer(struct rootfs *fs, const char *path, const char *what,
		     struct hpc_err *err);

/* A layer's bytes: a file, a part of one, or a host directory. */
struct rootfs_source {
	const char *path;	/* a tar, or a directory (dir:PATH) */
	uint64_t offset;	/* with length: the tar is these bytes of */
	uint64_t length;	/* path, a member of an archive; 0: all */
	int64_t uid, gid;	/* both >= 0: every entry's owner */
};

/*
 * rootfs_add_source - rootfs_add_layer for the layer src names; the
 * strings need not outlive the call, the file or directory must stay
 * readable until rootfs_write returns.
 */
int rootfs_add_source(struct rootfs *fs, const struct rootfs_source *src,
		      const char *what, struct hpc_err *err);

/*
 * rootfs_read_file - the bytes of the regular file at path in the tree as
 * the layers so far leave it (a symlink is followed, within the root), in
 * a new NUL-ended buffer of *ret_len bytes the caller frees. Returns 0,
 * -ENOENT (no message) when there is no such file, -EFBIG past max
 * bytes, or -errno with a message in err.
 */
int rootfs_read_file(struct rootfs *fs, const char *path, size_t max,
		     char **ret_buf, size_t *ret_len, struct hpc_err *err);

/* rootfs_is_dir - whether path is a directory (symlinks followed). */
bool rootfs_is_dir(struct rootfs *fs, const char *path);

/*
 * rootfs_size - the bytes the filesystem needs for the tree with the
 * reserve of opts, rounded up to a whole MiB.
 */
uint64_t rootfs_size(const struct rootfs *fs, const struct rootfs_opts *opts);

/*
 * rootfs_write - pass two: create an ext4 filesystem of size bytes at
 * byte offset of the existing file image_path and fill it with the tree,
 * reading the surviving content from the layers. Writes nothing outside
 * [offset, offset + size). Returns 0, or -errno with a message in err.
 */
int rootfs_write(struct rootfs *fs, const char *image_path, uint64_t offset,
		 uint64_t size, const struct rootfs_opts *opts,
		 struct hpc_err *err);

#endif
