/*
 * ext4_plan: how big the filesystem for a tree must be, and which inode
 * number each node gets. See ext4.h.
 *
 * The size is counted from the tree, not guessed from the tar bytes: data
 * blocks, extent blocks of fragmented files, directory blocks, long
 * symlinks and xattr blocks, then the filesystem's own metadata. Counts
 * err on the large side; pass two fails cleanly if they were short.
 */
#include "ext4.h"

#include <string.h>
#include <sys/stat.h>

#define BS 4096ULL
#define BLOCKS_PER_GROUP 32768ULL
#define INODE_SIZE 256ULL
#define EXTENTS_PER_BLOCK 340ULL
#define MAX_EXTENT_LEN 32768ULL
/* in-inode room for xattrs: 256 - 128 - 32 (extra isize) - 4 - 4 */
#define XATTR_IN_INODE 88
/* entries never straddle blocks: a block may waste one longest entry */
#define DIR_USABLE (BS - 12 - (8 + 256))
#define LINK_INLINE 60
/* index entries in an htree root and node, with their checksum tail */
#define DX_ROOT_LIMIT 507
#define DX_NODE_LIMIT 510

struct plan {
	uint32_t mark;
	uint64_t blocks, inodes;
};

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static uint64_t dir_blocks(const struct tree_node *dir)
{
	const struct tree_dir *td = dir->dir;
	uint64_t bytes = 12 + 12;

	for (size_t i = 0; i < td->nbuckets; i++)
		for (struct tree_dentry *d = td->buckets[i]; d; d = d->next)
			bytes += (8 + strlen(d->name) + 3) & ~3ULL;
	uint64_t leaves = div_up(bytes, DIR_USABLE);

	/* past one block an htree adds its root, and index nodes past 507 */
	if (leaves > 1)
		leaves += 1 + (leaves > DX_ROOT_LIMIT ?
			       div_up(leaves, DX_NODE_LIMIT) : 0);
	return leaves;
}

static uint64_t file_blocks(const struct tree_node *n)
{
	/* each run of a sparse file may start and end in a partial block */
	uint64_t data = div_up(n->stored, BS) +
			(n->regions > 1 ? n->regions : 0);
	uint64_t extents = n->regions + data / MAX_EXTENT_LEN + 1;

	/* the inode holds 4 extents; more need a tree of 340 a block */
	if (extents > 4)
		data += div_up(extents, EXTENTS_PER_BLOCK) + 1;
	return data;
}

static uint64_t xattr_blocks(const struct tree_node *n)
{
	size_t bytes = 0;

	for (size_t i = 0; i < n->nxattrs; i++)
		bytes += 16 + ((strlen(n->xattrs[i].name) + 3) & ~3ULL) +
			 ((n->xattrs[i].len + 3) & ~3ULL);
	return bytes > XATTR_IN_INODE;
}

static uint64_t node_blocks(const struct tree_node *n)
{
	uint64_t b = xattr_blocks(n);

	if (n->dir)
		return b + dir_blocks(n);
	if (S_ISREG(n->mode))
		return b + file_blocks(n);
	if (S_ISLNK(n->mode) && strlen(n->target) >= LINK_INLINE)
		return b + 1;
	return b;
}

static int count(struct tree_node *dir, struct tree_dentry *d, void *arg)
{
	struct plan *p = arg;

	if (d->node->mark == p->mark)
		return 0;
	d->node->mark = p->mark;
	p->inodes++;
	p->blocks += node_blocks(d->node);
	return 0;
}

/* metadata - blocks of bitmaps, inode tables, superblocks and GDTs. */
static uint64_t metadata(uint64_t blocks, uint64_t inodes)
{
	uint64_t itable = div_up(inodes * INODE_SIZE, BS), groups = 1, total;

	for (int i = 0; i < 3; i++) {
		/* as if every group had a backup: sparse_super has fewer */
		uint64_t gdt = div_up(groups * 64, BS);

		total = blocks + itable + groups * (2 + 1 + gdt + 1);
		groups = div_up(total, BLOCKS_PER_GROUP);
	}
	return total - blocks;
}

void ext4_plan(struct tree *t, unsigned int reserve_percent,
	       uint64_t *ret_size, uint32_t *ret_inodes)
{
	struct plan p = { .mark = tree_new_mark(t) };
	uint64_t inodes, blocks, rem;

	/* the root and lost+found, which the write may add */
	p.inodes = 2;
	p.blocks = node_blocks(tree_root(t)) + 1;
	tree_walk(t, count, &p);
	inodes = p.inodes + p.inodes * reserve_percent / 100 + 16 + 10;
	blocks = p.blocks + div_up(p.blocks * reserve_percent, 100) + 64;
	blocks += metadata(blocks, inodes);
	/* a group may hold no more inodes than it has blocks */
	if (blocks < (inodes / BLOCKS_PER_GROUP) * BLOCKS_PER_GROUP + 4096)
		blocks = (inodes / BLOCKS_PER_GROUP) * BLOCKS_PER_GROUP + 4096;
	/* mke2fs-style layout drops a last group too small to be useful */
	rem = blocks % BLOCKS_PER_GROUP;
	if (blocks > BLOCKS_PER_GROUP && rem && rem < 2048)
		blocks += 2048 - rem;
	*ret_size = div_up(blocks * BS, 1 << 20) << 20;
	*ret_inodes = (uint32_t)inodes;
}

struct numbering {
	uint32_t mark, next;
};

static int number(struct tree_node *dir, struct tree_dentry *d, void *arg)
{
	struct numbering *nb = arg;

	if (d->node->mark != nb->mark) {
		d->node->mark = nb->mark;
		d->node->ino = nb->next++;
	}
	return 0;
}

void ext4_number(struct tree *t)
{
	/* 11 is the first inode past the reserved ones */
	struct numbering nb = { .mark = tree_new_mark(t), .next = 11 };

	tree_walk(t, number, &nb);
	tree_root(t)->ino = 2;
}
