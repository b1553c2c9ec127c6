/*
 * ext4_dir: the blocks of one ext4 directory, built in memory from the
 * tree's names, for ext4.c to place on disk.
 *
 * Part of stage "pack" (see rootfs.h), private to the ext4 writer. A
 * directory whose names fit in one block is linear; a larger one is an
 * htree (dir_index), so the guest finds a name among 100,000 in a few
 * block reads instead of scanning them all.
 */
#ifndef HPC_EXT4_DIR_H
#define HPC_EXT4_DIR_H

#include <stddef.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "tree.h"
#include "util.h"

/* A directory's blocks, logical block i at p + i * block size. */
struct ext4_dir {
	unsigned char *p;
	size_t nblocks, cap, used;
	struct ext2_dir_entry *last;
	int htree;		/* set: the inode needs EXT2_INDEX_FL */
	uint32_t subdirs;	/* names that are directories */
};

/*
 * ext4_dir_build - fill d (zeroed by the caller) with the entries of dir:
 * "." (dir->ino), ".." (parent->ino) and every name, sorted so the same
 * tree gives the same bytes. Returns 0, or -ENAMETOOLONG or -EFBIG with
 * a message. Release d with ext4_dir_release, also on failure.
 */
int ext4_dir_build(ext2_filsys fs, struct ext4_dir *d,
		   const struct tree_node *dir,
		   const struct tree_node *parent, struct hpc_err *err);
void ext4_dir_release(struct ext4_dir *d);

#endif
