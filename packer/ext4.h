/*
 * ext4: writing the tree of pass one as an ext4 filesystem, with
 * libext2fs, at a byte offset inside an existing image file.
 *
 * Part of stage "pack" (see rootfs.h). The filesystem is made for a
 * read-only lower layer: 4 KiB blocks, 256-byte inodes (nanosecond
 * times), extents, flex_bg, 64bit, metadata_csum, no journal,
 * directories built here (ext4_dir.c), htree-indexed past one block,
 * dir_nlink for directories of 65,000 subdirectories and more. Every
 * identifier comes from a seed and every filesystem time from one value,
 * so the same tree gives the same bytes. With ext4_dir.c, this is the one
 * place that writes with libext2fs (ext4_list.c reads).
 */
#ifndef HPC_EXT4_H
#define HPC_EXT4_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "tree.h"
#include "util.h"

struct ext4;
struct ext2_super_block;

/*
 * A hook told that bytes [off, off + len) of the filesystem (whole
 * blocks: file data, directories) are written and will not be written
 * again before ext4_close; called on the writer's thread.
 */
typedef void ext4_settled_fn(void *arg, uint64_t off, uint64_t len);

struct ext4_params {
	uint64_t offset;	/* bytes into the image file */
	uint64_t size;		/* bytes of the filesystem */
	uint32_t inodes;	/* from ext4_plan */
	uint8_t seed[DIGEST_LEN];
	int64_t clamp;		/* inode times after this are clamped; -1 */
	const char *label;
	ext4_settled_fn *settled;	/* or NULL */
	void *settled_arg;
};

/*
 * ext4_set_ids - the UUID and directory hash seed a filesystem made
 * from seed gets, into sb (the checksum seed is then taken from them).
 */
void ext4_set_ids(struct ext2_super_block *sb, const uint8_t seed[DIGEST_LEN]);

/*
 * ext4_super_is - whether sb (the 1024 bytes at byte 1024 of a
 * filesystem) is that of a filesystem this writer made from seed with
 * label, size bytes long: a cheap check that a file is the one expected,
 * not a check of its content.
 */
bool ext4_super_is(const struct ext2_super_block *sb,
		   const uint8_t seed[DIGEST_LEN], const char *label,
		   uint64_t size);

/*
 * ext4_plan - the bytes (a whole number of MiB) and the inodes a
 * filesystem needs for the tree, with reserve_percent more of both.
 */
void ext4_plan(struct tree *t, unsigned int reserve_percent,
	       uint64_t *ret_size, uint32_t *ret_inodes);

/*
 * ext4_number - give every node an inode number: the root 2, the others
 * from 11 in walk order, so numbers depend on the tree alone.
 */
void ext4_number(struct tree *t);

/*
 * ext4_create - zero [offset, offset + size) of the image (as a hole
 * where the filesystem allows) and lay out an empty filesystem there.
 * Free the result with ext4_close or ext4_abort.
 */
int ext4_create(const char *image, const struct ext4_params *p,
		struct ext4 **ret, struct hpc_err *err);

/*
 * ext4_write_node - write a node's inode, and a directory's entries or a
 * long symlink's block. parent is the directory holding it (the root's
 * parent is the root). Regular files with bytes go through ext4_file_*.
 */
int ext4_write_node(struct ext4 *fs, struct tree_node *n,
		    struct tree_node *parent, struct hpc_err *err);

/*
 * ext4_file_begin/write/end - write a regular file's bytes, in rising
 * offsets, then its inode. Blocks of zeros and gaps become holes.
 */
int ext4_file_begin(struct ext4 *fs, struct tree_node *n,
		    struct hpc_err *err);
int ext4_file_write(struct ext4 *fs, uint64_t off, const void *buf,
		    size_t len, struct hpc_err *err);
int ext4_file_end(struct ext4 *fs, struct hpc_err *err);

/* ext4_close - write the superblocks, bitmaps and descriptors; free fs. */
int ext4_close(struct ext4 *fs, struct hpc_err *err);
/* ext4_abort - free fs without finishing it; accepts NULL. */
void ext4_abort(struct ext4 *fs);

#endif
