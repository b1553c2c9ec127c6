/*
 * ext4_dir: directory blocks, linear or htree. See ext4_dir.h.
 *
 * Names are packed a block at a time, never straddling one, each block
 * closed by stretching its last entry and, with metadata_csum, a tail
 * that ext2fs_write_dir_block4 fills in. An htree keeps "." and ".." in
 * its root block (logical block 0) with the index; the leaves follow,
 * holding the names in hash order, then, when the root cannot point at
 * every leaf, one level of index nodes. A run of equal hashes may cross
 * a leaf boundary; the index entry of the second leaf then has its low
 * bit set, as the kernel and e2fsck expect.
 */
#include "ext4_dir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ext2fs/ext2_fs.h>

/* the root's "." (12 bytes), ".." and its 8-byte info */
#define DX_ROOT_COUNT_AT 32
/* an index node's empty entry spanning the block */
#define DX_NODE_COUNT_AT 8

static const struct {
	uint32_t fmt;
	int type;
} file_types[] = {
	{ S_IFREG, EXT2_FT_REG_FILE }, { S_IFDIR, EXT2_FT_DIR },
	{ S_IFCHR, EXT2_FT_CHRDEV },   { S_IFBLK, EXT2_FT_BLKDEV },
	{ S_IFIFO, EXT2_FT_FIFO },     { S_IFSOCK, EXT2_FT_SOCK },
	{ S_IFLNK, EXT2_FT_SYMLINK },
};

static int file_type(uint32_t mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(file_types); i++)
		if ((mode & S_IFMT) == file_types[i].fmt)
			return file_types[i].type;
	return EXT2_FT_UNKNOWN;
}

static size_t tail_size(ext2_filsys fs)
{
	return ext2fs_has_feature_metadata_csum(fs->super) ?
		       sizeof(struct ext2_dir_entry_tail) : 0;
}

/* dx_tail_size - the checksum tail of an index block */
static size_t dx_tail_size(ext2_filsys fs)
{
	return ext2fs_has_feature_metadata_csum(fs->super) ?
		       sizeof(struct ext2_dx_tail) : 0;
}

static size_t usable(ext2_filsys fs)
{
	return fs->blocksize - tail_size(fs);
}

static size_t rec_len(size_t name_len)
{
	return (8 + name_len + 3) & ~(size_t)3;
}

static unsigned char *block(ext2_filsys fs, struct ext4_dir *d, size_t i)
{
	return d->p + i * fs->blocksize;
}

/* new_block - a zeroed block at the end; returns its index. */
static size_t new_block(ext2_filsys fs, struct ext4_dir *d)
{
	if (d->nblocks == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1;
		d->p = xreallocarray(d->p, d->cap, fs->blocksize);
	}
	memset(block(fs, d, d->nblocks), 0, fs->blocksize);
	d->used = 0;
	d->last = NULL;
	return d->nblocks++;
}

/* close_block - stretch the last entry to the tail, add the tail. */
static void close_block(ext2_filsys fs, struct ext4_dir *d)
{
	unsigned char *blk = block(fs, d, d->nblocks - 1);
	unsigned int len = 0;

	ext2fs_get_rec_len(fs, d->last, &len);
	ext2fs_set_rec_len(fs, len + usable(fs) - d->used, d->last);
	if (tail_size(fs))
		ext2fs_initialize_dirent_tail(
			fs, EXT2_DIRENT_TAIL(blk, fs->blocksize));
}

/* add - one entry; returns 1 when it opened a new block, else 0. */
static int add(ext2_filsys fs, struct ext4_dir *d, ext2_ino_t ino,
	       const char *name, size_t len, int type)
{
	size_t rec = rec_len(len);
	struct ext2_dir_entry *de;
	int opened = 0;

	if (!d->last || d->used + rec > usable(fs)) {
		if (d->last)
			close_block(fs, d);
		new_block(fs, d);
		opened = 1;
	}
	de = (void *)(block(fs, d, d->nblocks - 1) + d->used);
	de->inode = ext2fs_cpu_to_le32(ino);
	ext2fs_set_rec_len(fs, (unsigned int)rec, de);
	ext2fs_dirent_set_name_len(de, (int)len);
	ext2fs_dirent_set_file_type(de, type);
	memcpy(de->name, name, len);
	d->last = de;
	d->used += rec;
	return opened;
}

/* One name on its way into an htree leaf. */
struct hent {
	ext2_dirhash_t hash, minor;
	const struct tree_dentry *d;
	size_t len;
};

static int hent_cmp(const void *a, const void *b)
{
	const struct hent *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return strcmp(x->d->name, y->d->name);
}

/* Where each leaf starts: its first hash, low bit set on a collision. */
struct leaves {
	uint32_t *hash;
	size_t n;
};

static int fill_leaves(ext2_filsys fs, struct ext4_dir *d, struct hent *h,
		       size_t n, struct leaves *lv, struct hpc_err *err)
{
	errcode_t c;

	for (size_t i = 0; i < n; i++) {
		c = ext2fs_dirhash2(fs->super->s_def_hash_version,
				    h[i].d->name, (int)h[i].len, NULL, 0,
				    fs->super->s_hash_seed, &h[i].hash,
				    &h[i].minor);
		if (c)
			return err_set(err, -EIO, "name '%s': cannot hash",
				       h[i].d->name);
	}
	qsort(h, n, sizeof(*h), hent_cmp);
	lv->hash = xcalloc(n ? n : 1, sizeof(*lv->hash));
	for (size_t i = 0; i < n; i++) {
		if (add(fs, d, h[i].d->node->ino, h[i].d->name, h[i].len,
			file_type(h[i].d->node->mode)))
			lv->hash[lv->n++] = h[i].hash |
				(i && h[i - 1].hash == h[i].hash);
	}
	close_block(fs, d);
	return 0;
}

/* put_index - count entries (hash, block) after the count/limit pair. */
static void put_index(unsigned char *at, size_t limit, const uint32_t *hash,
		      const uint32_t *blk, size_t count)
{
	struct ext2_dx_countlimit *cl = (void *)at;
	struct ext2_dx_entry *e = (void *)at;

	cl->limit = ext2fs_cpu_to_le16((uint16_t)limit);
	cl->count = ext2fs_cpu_to_le16((uint16_t)count);
	for (size_t i = 0; i < count; i++) {
		/* the first entry's hash is the count/limit pair itself */
		if (i)
			e[i].hash = ext2fs_cpu_to_le32(hash[i]);
		e[i].block = ext2fs_cpu_to_le32(blk[i]);
	}
}

static void put_root_head(ext2_filsys fs, unsigned char *blk,
			  const struct tree_node *dir,
			  const struct tree_node *parent, int levels)
{
	struct ext2_dir_entry *dot = (void *)blk, *dotdot = (void *)(blk + 12);
	struct ext2_dx_root_info *info = (void *)(blk + 24);

	dot->inode = ext2fs_cpu_to_le32(dir->ino);
	ext2fs_set_rec_len(fs, 12, dot);
	ext2fs_dirent_set_name_len(dot, 1);
	ext2fs_dirent_set_file_type(dot, EXT2_FT_DIR);
	dot->name[0] = '.';
	dotdot->inode = ext2fs_cpu_to_le32(parent->ino);
	ext2fs_set_rec_len(fs, fs->blocksize - 12, dotdot);
	ext2fs_dirent_set_name_len(dotdot, 2);
	ext2fs_dirent_set_file_type(dotdot, EXT2_FT_DIR);
	memcpy(dotdot->name, "..", 2);
	info->hash_version = fs->super->s_def_hash_version;
	info->info_length = sizeof(*info);
	info->indirect_levels = (uint8_t)levels;
}

/*
 * put_index_nodes - one level of index blocks over the leaves, at the
 * end of the directory; the root then points at them.
 */
static int put_index_nodes(ext2_filsys fs, struct ext4_dir *d,
			   const struct leaves *lv, size_t root_limit,
			   struct hpc_err *err)
{
	size_t node_limit = (fs->blocksize - DX_NODE_COUNT_AT -
			     dx_tail_size(fs)) / sizeof(struct ext2_dx_entry);
	size_t nodes = (lv->n + node_limit - 1) / node_limit;
	uint32_t *blk, *rhash, *rblk;

	if (nodes > root_limit)
		return err_set(err, -EFBIG, "directory of %zu blocks, more "
			       "than a two-level htree holds", lv->n);
	blk = xcalloc(lv->n, sizeof(*blk));
	rhash = xcalloc(nodes, sizeof(*rhash));
	rblk = xcalloc(nodes, sizeof(*rblk));
	for (size_t i = 0; i < lv->n; i++)
		blk[i] = (uint32_t)(1 + i);
	for (size_t k = 0; k < nodes; k++) {
		size_t first = k * node_limit, cnt = lv->n - first;
		size_t at = new_block(fs, d);
		struct ext2_dir_entry *fake = (void *)block(fs, d, at);

		cnt = cnt < node_limit ? cnt : node_limit;
		ext2fs_set_rec_len(fs, fs->blocksize, fake);
		put_index(block(fs, d, at) + DX_NODE_COUNT_AT, node_limit,
			  lv->hash + first, blk + first, cnt);
		rhash[k] = lv->hash[first];
		rblk[k] = (uint32_t)at;
	}
	put_index(block(fs, d, 0) + DX_ROOT_COUNT_AT, root_limit, rhash, rblk,
		  nodes);
	free(blk);
	free(rhash);
	free(rblk);
	return 0;
}

static int build_htree(ext2_filsys fs, struct ext4_dir *d,
		       const struct tree_node *dir,
		       const struct tree_node *parent,
		       struct tree_dentry **v, size_t n, struct hpc_err *err)
{
	size_t root_limit = (fs->blocksize - DX_ROOT_COUNT_AT -
			     dx_tail_size(fs)) / sizeof(struct ext2_dx_entry);
	struct hent *h = xcalloc(n, sizeof(*h));
	struct leaves lv = { 0 };
	int r;

	for (size_t i = 0; i < n; i++)
		h[i] = (struct hent){ .d = v[i], .len = strlen(v[i]->name) };
	new_block(fs, d);
	r = fill_leaves(fs, d, h, n, &lv, err);
	if (r < 0)
		goto out;
	put_root_head(fs, block(fs, d, 0), dir, parent,
		      lv.n > root_limit);
	if (lv.n > root_limit) {
		r = put_index_nodes(fs, d, &lv, root_limit, err);
	} else {
		uint32_t *blk = xcalloc(lv.n, sizeof(*blk));

		for (size_t i = 0; i < lv.n; i++)
			blk[i] = (uint32_t)(1 + i);
		put_index(block(fs, d, 0) + DX_ROOT_COUNT_AT, root_limit,
			  lv.hash, blk, lv.n);
		free(blk);
	}
	d->htree = 1;
out:
	free(lv.hash);
	free(h);
	return r;
}

static void build_linear(ext2_filsys fs, struct ext4_dir *d,
			 const struct tree_node *dir,
			 const struct tree_node *parent,
			 struct tree_dentry **v, size_t n)
{
	add(fs, d, dir->ino, ".", 1, EXT2_FT_DIR);
	add(fs, d, parent->ino, "..", 2, EXT2_FT_DIR);
	for (size_t i = 0; i < n; i++)
		add(fs, d, v[i]->node->ino, v[i]->name, strlen(v[i]->name),
		    file_type(v[i]->node->mode));
	close_block(fs, d);
}

int ext4_dir_build(ext2_filsys fs, struct ext4_dir *d,
		   const struct tree_node *dir,
		   const struct tree_node *parent, struct hpc_err *err)
{
	struct tree_dentry **v;
	size_t n, bytes = rec_len(1) + rec_len(2);
	int r = 0;

	v = tree_sorted(dir, &n);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]->name);

		if (len > EXT2_NAME_LEN) {
			r = err_set(err, -ENAMETOOLONG, "name '%s' too long",
				    v[i]->name);
			goto out;
		}
		bytes += rec_len(len);
		d->subdirs += v[i]->node->dir != NULL;
	}
	/* one block holds it all: an index would only cost a block */
	if (bytes <= usable(fs))
		build_linear(fs, d, dir, parent, v, n);
	else
		r = build_htree(fs, d, dir, parent, v, n, err);
out:
	free(v);
	return r;
}

void ext4_dir_release(struct ext4_dir *d)
{
	free(d->p);
	d->p = NULL;
}
