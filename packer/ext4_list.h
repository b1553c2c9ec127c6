/*
 * ext4_list: a root filesystem read back from a built image, entry by
 * entry, with libext2fs, so "hpc inspect --files" and the tests can see
 * what a container will find without mounting anything.
 *
 * The reading end of stage "pack": it opens the ext4 filesystem at a byte
 * offset of an image file, read-only, and walks it.
 */
#ifndef HPC_EXT4_LIST_H
#define HPC_EXT4_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* One name, as the filesystem holds it. */
struct ext4_list_entry {
	const char *path;	/* from the root, starting with '/' */
	uint32_t mode;		/* S_IFMT type and the 12 mode bits */
	uint32_t uid, gid;
	uint32_t nlink;
	uint64_t size;
	uint32_t rdev_major, rdev_minor;
	const char *target;	/* symlinks only, else NULL */
	char *const *xattrs;	/* the xattr names, sorted */
	size_t nxattrs;
};

/* ext4_list_fn - called for each entry; a non-zero return stops. */
typedef int (*ext4_list_fn)(const struct ext4_list_entry *e, void *arg);

/*
 * ext4_list - call fn for path (its last name not followed) and, when it
 * is a directory, for everything below it, depth first, names sorted by
 * bytes; lost+found is listed like any directory. Returns 0, fn's
 * non-zero return, or -errno with a message naming image and path.
 */
int ext4_list(const char *image, uint64_t offset, const char *path,
	      ext4_list_fn fn, void *arg, struct hpc_err *err);

#endif
