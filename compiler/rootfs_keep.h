/*
 * rootfs_keep: a root filesystem copied into the result cache while pass
 * two writes it, between stage "pack" and the cache (rootfs_cache).
 *
 * Pass two says which blocks it has written for good (file data and
 * directories, never written again); each 1 MiB chunk whose blocks have
 * all settled is copied and summed on a thread of its own, on the core
 * pass two leaves idle. What never settles (inode tables, bitmaps,
 * superblocks, extent and xattr blocks, the free tail) is copied and
 * summed once the filesystem is closed. The copy is then named by its
 * sum (rootfs_sum.h) and the key written, as rootfs_cache describes.
 */
#ifndef HPC_ROOTFS_KEEP_H
#define HPC_ROOTFS_KEEP_H

#include <stdint.h>

#include "util.h"

struct rootfs_keep;

/*
 * rootfs_keep_start - follow [offset, offset + size) of image, to be
 * kept for key in cache. Returns 0 with *ret (finish or abort it), or
 * -errno with a message in err (then nothing will be kept).
 */
int rootfs_keep_start(const char *cache, const char *key, const char *image,
		      uint64_t offset, uint64_t size, struct rootfs_keep **ret,
		      struct hpc_err *err);

/*
 * rootfs_keep_settled - bytes [off, off + len) of the filesystem (whole
 * blocks) are written and will not change: the hook pass two calls, k
 * being the rootfs_keep. Called from one thread at a time.
 */
void rootfs_keep_settled(void *k, uint64_t off, uint64_t len);

/*
 * rootfs_keep_finish - the filesystem is complete: copy the rest, name
 * the copy, write the key. Frees k. Returns 0, or -errno with a message
 * (then nothing is kept).
 */
int rootfs_keep_finish(struct rootfs_keep *k, struct hpc_err *err);

/* rootfs_keep_abort - keep nothing; frees k (NULL is ignored). */
void rootfs_keep_abort(struct rootfs_keep *k);

#endif
