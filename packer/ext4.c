/*
 * ext4: the tree of pass one written as ext4 with libext2fs. See ext4.h.
 *
 * Blocks are handed out from a cursor that only moves forward, so each
 * file's data lands in as few extents as the block groups allow and is
 * written with one call a run. Directories are built here, block by
 * block, rather than with ext2fs_link, which scans the whole directory
 * on every insert. Inodes are written whole (256 bytes), because
 * ext2fs_write_new_inode keeps only the first 128 and with them would go
 * the nanosecond times.
 */
#include "ext4.h"
#include "ext4_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <et/com_err.h>
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>

#define BS 4096
#define CHUNK_BLOCKS 256
#define RUN_BLOCKS 256
/* file data is handed to the disk each time this much more is written */
#define HINT_BLOCKS 4096
#define MAX_EXTENT_LEN 32768
#define FAST_SYMLINK_MAX (EXT2_N_BLOCKS * 4)
#define INODE_SIZE 256
#define LABEL_MAX sizeof(((struct ext2_super_block *)0)->s_volume_name)
#define EXTRA_ISIZE (sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE)

/* Extents of one inode, the last one kept back while it can still grow. */
struct extents {
	ext2_ino_t ino;
	struct ext2_inode_large *inode;
	ext2_extent_handle_t handle;
	struct ext2fs_extent pend;
	int has_pend, count;
};

/* The regular file being written. */
struct file_writer {
	struct tree_node *node;
	struct ext2_inode_large inode;
	struct extents ext;
	uint64_t lblk;		/* the logical block at buf[0] */
	size_t fill;		/* bytes of buf in use */
	uint64_t end;		/* the end of the bytes written so far */
};

struct ext4 {
	ext2_filsys fs;
	blk64_t cursor;
	int64_t clamp;
	time_t now;
	char *image;
	/* byte positions of the superblock and its backups in the image */
	uint64_t *supers;
	size_t nsupers;
	unsigned char *buf;
	struct file_writer w;
	/* data blocks in a row on disk, small files' included, put out in
	 * one write: libext2fs writes runs of a few blocks one at a time */
	unsigned char *run;
	blk64_t run_start, run_len;
	/* the image, where file data and directories are written without
	 * libext2fs: data blocks below hinted have been handed to the
	 * disk, those up to written are only cached */
	int fd;
	uint64_t offset;
	blk64_t hinted, written;
	ext4_settled_fn *settled;
	void *settled_arg;
};

static pthread_once_t error_table_once = PTHREAD_ONCE_INIT;

/* fail - the one translation of a libext2fs error code. */
static int fail(struct hpc_err *err, errcode_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct hpc_err *err, errcode_t code, const char *fmt, ...)
{
	static const errcode_t nospace[] = {
		EXT2_ET_BLOCK_ALLOC_FAIL, EXT2_ET_INODE_ALLOC_FAIL,
		EXT2_ET_DIR_NO_SPACE, EXT2_ET_EA_NO_SPACE,
		EXT2_ET_TOO_MANY_INODES,
	};
	int r = code > 0 && code < 4096 ? -(int)code : -EIO;
	char head[512];
	va_list ap;

	for (size_t i = 0; i < ARRAY_SIZE(nospace); i++)
		if (code == nospace[i])
			r = -ENOSPC;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	return err_set(err, r, "%s: %s", head, error_message(code));
}

/* time_put - ext4's seconds and "extra" word: epoch bits, nanoseconds. */
static void time_put(const struct ext4 *e, int64_t sec, uint32_t ns,
		     __u32 *lo, __u32 *extra)
{
	const int64_t min = INT32_MIN, max = INT32_MAX + (3LL << 32);

	if (e->clamp >= 0 && sec > e->clamp) {
		sec = e->clamp;
		ns = 0;
	}
	if (sec < min || sec > max || ns >= 1000000000u)
		ns = 0;
	sec = sec < min ? min : sec > max ? max : sec;
	*lo = (uint32_t)sec;
	*extra = (uint32_t)(((sec - (int32_t)sec) >> 32) & 3) | ns << 2;
}

static void inode_fill(const struct ext4 *e, const struct tree_node *n,
		       struct ext2_inode_large *in, uint32_t links)
{
	memset(in, 0, sizeof(*in));
	in->i_mode = (__u16)n->mode;
	in->i_uid = (__u16)n->uid;
	in->i_uid_high = (__u16)(n->uid >> 16);
	in->i_gid = (__u16)n->gid;
	in->i_gid_high = (__u16)(n->gid >> 16);
	in->i_links_count = (__u16)links;
	in->i_extra_isize = EXTRA_ISIZE;
	time_put(e, n->atime, n->atime_ns, &in->i_atime, &in->i_atime_extra);
	time_put(e, n->mtime, n->mtime_ns, &in->i_mtime, &in->i_mtime_extra);
	time_put(e, n->mtime, n->mtime_ns, &in->i_ctime, &in->i_ctime_extra);
	time_put(e, n->mtime, n->mtime_ns, &in->i_crtime,
		 &in->i_crtime_extra);
}

/* extent_header_init - an empty extent tree in the inode itself. */
static void extent_header_init(struct ext2_inode_large *in)
{
	struct ext3_extent_header *eh = (void *)in->i_block;

	eh->eh_magic = ext2fs_cpu_to_le16(EXT3_EXT_MAGIC);
	eh->eh_max = ext2fs_cpu_to_le16((sizeof(in->i_block) - sizeof(*eh)) /
					sizeof(struct ext3_extent));
	in->i_flags |= EXT4_EXTENTS_FL;
}

static int ext_push(struct ext4 *e, struct extents *x, struct hpc_err *err)
{
	errcode_t c;

	if (!x->has_pend)
		return 0;
	if (!x->handle) {
		c = ext2fs_extent_open2(e->fs, x->ino,
					(struct ext2_inode *)x->inode,
					&x->handle);
		if (c)
			return fail(err, c, "inode %u: extents", x->ino);
	}
	c = ext2fs_extent_insert(x->handle,
				 x->count ? EXT2_EXTENT_INSERT_AFTER : 0,
				 &x->pend);
	if (c)
		return fail(err, c, "inode %u: extents", x->ino);
	x->count++;
	x->has_pend = 0;
	return 0;
}

/* ext_add - map len blocks at lblk to pblk, growing the last extent. */
static int ext_add(struct ext4 *e, struct extents *x, blk64_t lblk,
		   blk64_t pblk, blk64_t len, struct hpc_err *err)
{
	struct ext2fs_extent *p = &x->pend;
	blk64_t n;
	int r;

	for (; len; lblk += n, pblk += n, len -= n) {
		if (x->has_pend && p->e_lblk + p->e_len == lblk &&
		    p->e_pblk + p->e_len == pblk &&
		    p->e_len < MAX_EXTENT_LEN) {
			n = len < MAX_EXTENT_LEN - p->e_len ?
				    len : MAX_EXTENT_LEN - p->e_len;
			p->e_len += n;
			continue;
		}
		r = ext_push(e, x, err);
		if (r < 0)
			return r;
		n = len < MAX_EXTENT_LEN ? len : MAX_EXTENT_LEN;
		*p = (struct ext2fs_extent){ .e_pblk = pblk, .e_lblk = lblk,
					     .e_len = (__u32)n };
		x->has_pend = 1;
	}
	return 0;
}

static int ext_finish(struct ext4 *e, struct extents *x, struct hpc_err *err)
{
	int r = ext_push(e, x, err);

	if (x->handle)
		ext2fs_extent_free(x->handle);
	x->handle = NULL;
	return r;
}

/* alloc_run - up to want free blocks in a row, from the cursor on. */
static int alloc_run(struct ext4 *e, blk64_t want, blk64_t *ret_blk,
		     blk64_t *ret_len, struct hpc_err *err)
{
	ext2fs_block_bitmap map = e->fs->block_map;
	blk64_t last = ext2fs_blocks_count(e->fs->super) - 1, first, stop, set;
	errcode_t c;

	c = ENOENT;
	if (e->cursor <= last)
		c = ext2fs_find_first_zero_block_bitmap2(map, e->cursor, last,
							 &first);
	if (c == ENOENT && e->cursor > e->fs->super->s_first_data_block)
		c = ext2fs_find_first_zero_block_bitmap2(
			map, e->fs->super->s_first_data_block, last, &first);
	if (c)
		return err_set(err, -ENOSPC, "filesystem of %llu bytes full: "
			       "the content needs more than was planned",
			       (unsigned long long)(last + 1) * BS);
	stop = first + want - 1 < last ? first + want - 1 : last;
	if (ext2fs_find_first_set_block_bitmap2(map, first, stop, &set) == 0)
		stop = set - 1;
	ext2fs_block_alloc_stats_range(e->fs, first, stop - first + 1, +1);
	e->cursor = stop + 1;
	*ret_blk = first;
	*ret_len = stop - first + 1;
	return 0;
}

/*
 * written - blocks [pblk, pblk + n) reached the page cache, for good:
 * the hook hears of them. Data goes out in the cursor's order, so what
 * lies below the highest block written is handed to the disk as it grows
 * (best effort): the image's fsync then finds most of it written
 * instead of starting it all.
 */
static void written(struct ext4 *e, blk64_t pblk, blk64_t n)
{
	if (e->settled)
		e->settled(e->settled_arg, pblk * BS, n * BS);
	if (pblk + n > e->written)
		e->written = pblk + n;
	if (e->written < e->hinted + HINT_BLOCKS)
		return;
	(void)sync_file_range(e->fd, (off64_t)(e->offset + e->hinted * BS),
			      (off64_t)((e->written - e->hinted) * BS),
			      SYNC_FILE_RANGE_WRITE);
	e->hinted = e->written;
}

/*
 * data_write - n blocks of file data or directory at pblk, to the image.
 * libext2fs never reads or caches these blocks, so they go around it,
 * in one call: its channel keeps runs of up to four blocks in a cache
 * and writes them who knows when.
 */
static int data_write(struct ext4 *e, blk64_t pblk, blk64_t n,
		      const unsigned char *data, struct hpc_err *err)
{
	int r = pwrite_all(e->fd, data, n * BS, e->offset + pblk * BS);

	if (r < 0)
		return err_set(err, r, "writing data at block %llu: %s",
			       (unsigned long long)pblk, strerror(-r));
	written(e, pblk, n);
	return 0;
}

/* run_flush - the blocks gathered so far, to the image. */
static int run_flush(struct ext4 *e, struct hpc_err *err)
{
	blk64_t n = e->run_len;

	e->run_len = 0;
	return n ? data_write(e, e->run_start, n, e->run, err) : 0;
}

/* run_put - n blocks of data for pblk on, gathered while they follow. */
static int run_put(struct ext4 *e, blk64_t pblk, blk64_t n,
		   const unsigned char *data, struct hpc_err *err)
{
	int r = 0;

	if (e->run_len && (pblk != e->run_start + e->run_len ||
			   e->run_len + n > RUN_BLOCKS))
		r = run_flush(e, err);
	if (r < 0)
		return r;
	if (n >= RUN_BLOCKS)
		return data_write(e, pblk, n, data, err);
	if (!e->run_len)
		e->run_start = pblk;
	memcpy(e->run + e->run_len * BS, data, n * BS);
	e->run_len += n;
	return 0;
}

/* write_run - count blocks of data at logical block lblk of an inode. */
static int write_run(struct ext4 *e, struct extents *x, blk64_t lblk,
		     const unsigned char *data, blk64_t count,
		     struct hpc_err *err)
{
	blk64_t pblk, n;
	int r;

	for (; count; lblk += n, data += n * BS, count -= n) {
		r = alloc_run(e, count, &pblk, &n, err);
		if (r < 0)
			return r;
		r = run_put(e, pblk, n, data, err);
		if (r < 0)
			return r;
		r = ext_add(e, x, lblk, pblk, n, err);
		if (r < 0)
			return r;
		ext2fs_iblk_add_blocks(e->fs, (struct ext2_inode *)x->inode,
				       n);
	}
	return 0;
}

static int write_xattrs(struct ext4 *e, ext2_ino_t ino,
			const struct tree_node *n, struct hpc_err *err)
{
	struct ext2_xattr_handle *h = NULL;
	errcode_t c;
	size_t i;

	if (!n->nxattrs)
		return 0;
	c = ext2fs_xattrs_open(e->fs, ino, &h);
	if (!c)
		c = ext2fs_xattrs_read(h);
	for (i = 0; !c && i < n->nxattrs; i++)
		c = ext2fs_xattr_set(h, n->xattrs[i].name, n->xattrs[i].value,
				     n->xattrs[i].len);
	if (h)
		ext2fs_xattrs_close(&h);
	if (c)
		return fail(err, c, "inode %u: xattr '%s'", ino,
			    i ? n->xattrs[i - 1].name : "");
	return 0;
}

/* inode_write - the whole inode, then its xattrs, which read it back. */
static int inode_write(struct ext4 *e, ext2_ino_t ino,
		       struct ext2_inode_large *in, const struct tree_node *n,
		       struct hpc_err *err)
{
	errcode_t c;

	c = ext2fs_write_inode_full(e->fs, ino, (struct ext2_inode *)in,
				    sizeof(*in));
	if (c)
		return fail(err, c, "inode %u", ino);
	return write_xattrs(e, ino, n, err);
}

static int write_dir(struct ext4 *e, struct tree_node *dir,
		     struct tree_node *parent, struct hpc_err *err)
{
	struct ext2_inode_large in;
	struct extents x = { .ino = dir->ino, .inode = &in };
	struct ext4_dir b = { 0 };
	blk64_t pblk, n;
	errcode_t c;
	int r;

	r = ext4_dir_build(e->fs, &b, dir, parent, err);
	if (r < 0)
		goto out;
	/* past EXT4_LINK_MAX, dir_nlink says "many" with a count of 1 */
	inode_fill(e, dir, &in, b.subdirs + 2 < 65000 ? b.subdirs + 2 : 1);
	extent_header_init(&in);
	if (b.htree)
		in.i_flags |= EXT2_INDEX_FL;
	in.i_size = (__u32)(b.nblocks * BS);
	ext2fs_inode_alloc_stats2(e->fs, dir->ino, +1, 1);
	for (blk64_t i = 0; i < b.nblocks; i += n) {
		r = alloc_run(e, b.nblocks - i, &pblk, &n, err);
		for (blk64_t k = 0; r == 0 && k < n; k++) {
			c = ext2fs_dir_block_csum_set(e->fs, dir->ino,
				(struct ext2_dir_entry *)(b.p + (i + k) * BS));
			if (c)
				r = fail(err, c, "directory inode %u",
					 dir->ino);
		}
		if (r == 0)
			r = data_write(e, pblk, n, b.p + i * BS, err);
		if (r == 0)
			r = ext_add(e, &x, i, pblk, n, err);
		if (r < 0)
			goto out;
		ext2fs_iblk_add_blocks(e->fs, (struct ext2_inode *)&in, n);
	}
	r = ext_finish(e, &x, err);
	if (r == 0)
		r = inode_write(e, dir->ino, &in, dir, err);
out:
	ext_finish(e, &x, NULL);
	ext4_dir_release(&b);
	return r;
}

static int write_symlink(struct ext4 *e, struct tree_node *n,
			 struct hpc_err *err)
{
	struct ext2_inode_large in;
	struct extents x = { .ino = n->ino, .inode = &in };
	size_t len = strlen(n->target);
	int r;

	if (len >= BS)
		return err_set(err, -ENAMETOOLONG,
			       "symlink to '%.64s...' too long", n->target);
	inode_fill(e, n, &in, n->nlink);
	in.i_size = (__u32)len;
	ext2fs_inode_alloc_stats2(e->fs, n->ino, +1, 0);
	if (len < FAST_SYMLINK_MAX) {
		memcpy(in.i_block, n->target, len);
		return inode_write(e, n->ino, &in, n, err);
	}
	extent_header_init(&in);
	memset(e->buf, 0, BS);
	memcpy(e->buf, n->target, len);
	r = write_run(e, &x, 0, e->buf, 1, err);
	if (r == 0)
		r = ext_finish(e, &x, err);
	if (r == 0)
		r = inode_write(e, n->ino, &in, n, err);
	ext_finish(e, &x, NULL);
	return r;
}

/* write_plain - devices, FIFOs, sockets and empty regular files. */
static int write_plain(struct ext4 *e, struct tree_node *n,
		       struct hpc_err *err)
{
	struct ext2_inode_large in;
	uint32_t ma = n->rdev_major, mi = n->rdev_minor;
	errcode_t c;

	inode_fill(e, n, &in, n->nlink);
	if (S_ISREG(n->mode)) {
		extent_header_init(&in);
		c = ext2fs_inode_size_set(e->fs, (struct ext2_inode *)&in,
					  n->size);
		if (c)
			return fail(err, c, "inode %u", n->ino);
	} else if (ma < 256 && mi < 256) {
		in.i_block[0] = ma << 8 | mi;
	} else {
		in.i_block[1] = (mi & 0xff) | ma << 8 | (mi & ~0xffu) << 12;
	}
	ext2fs_inode_alloc_stats2(e->fs, n->ino, +1, 0);
	return inode_write(e, n->ino, &in, n, err);
}

int ext4_write_node(struct ext4 *fs, struct tree_node *n,
		    struct tree_node *parent, struct hpc_err *err)
{
	if (n->dir)
		return write_dir(fs, n, parent, err);
	if (S_ISLNK(n->mode))
		return write_symlink(fs, n, err);
	return write_plain(fs, n, err);
}

int ext4_file_begin(struct ext4 *e, struct tree_node *n, struct hpc_err *err)
{
	struct file_writer *w = &e->w;
	errcode_t c;

	memset(w, 0, sizeof(*w));
	w->node = n;
	w->ext.ino = n->ino;
	w->ext.inode = &w->inode;
	inode_fill(e, n, &w->inode, n->nlink);
	extent_header_init(&w->inode);
	c = ext2fs_inode_size_set(e->fs, (struct ext2_inode *)&w->inode,
				  n->size);
	if (c)
		return fail(err, c, "inode %u", n->ino);
	ext2fs_inode_alloc_stats2(e->fs, n->ino, +1, 0);
	return 0;
}

static int block_is_zero(const unsigned char *p)
{
	static const unsigned char zero[BS];

	return !memcmp(p, zero, BS);
}

/* put_blocks - nblocks of data from lblk on, blocks of zeros as holes. */
static int put_blocks(struct ext4 *e, uint64_t lblk,
		      const unsigned char *data, size_t nblocks,
		      struct hpc_err *err)
{
	size_t i = 0, j;
	int r = 0;

	while (r == 0 && i < nblocks) {
		for (; i < nblocks && block_is_zero(data + i * BS); i++)
			;
		for (j = i; j < nblocks && !block_is_zero(data + j * BS); j++)
			;
		if (j > i)
			r = write_run(e, &e->w.ext, lblk + i, data + i * BS,
				      j - i, err);
		i = j;
	}
	return r;
}

/* flush - write the buffered blocks, the last one padded with zeros. */
static int flush(struct ext4 *e, struct hpc_err *err)
{
	struct file_writer *w = &e->w;
	size_t nblocks = (w->fill + BS - 1) / BS;

	memset(e->buf + w->fill, 0, nblocks * BS - w->fill);
	w->fill = 0;
	return put_blocks(e, w->lblk, e->buf, nblocks, err);
}

int ext4_file_write(struct ext4 *e, uint64_t off, const void *buf,
		    size_t len, struct hpc_err *err)
{
	struct file_writer *w = &e->w;
	const unsigned char *p = buf;
	uint64_t pos;
	size_t n;
	int r;

	if (off < w->end || off + len > w->node->size)
		return err_set(err, -EINVAL, "inode %u: data out of order",
			       w->node->ino);
	for (; len; off += n, p += n, len -= n) {
		/* whole blocks with nothing buffered: no copy into buf */
		if (!w->fill && off % BS == 0 && len >= BS) {
			n = len / BS * BS;
			r = put_blocks(e, off / BS, p, n / BS, err);
			if (r < 0)
				return r;
			w->end = off + n;
			continue;
		}
		pos = w->lblk * BS + w->fill;
		/* a gap within the buffer's last block is zeros */
		if (w->fill && off != pos && off < w->lblk * BS +
		    (w->fill + BS - 1) / BS * BS) {
			memset(e->buf + w->fill, 0, off - pos);
			w->fill = off - w->lblk * BS;
		} else if (w->fill && off != pos) {
			r = flush(e, err);
			if (r < 0)
				return r;
		}
		if (!w->fill) {
			w->lblk = off / BS;
			w->fill = off % BS;
			memset(e->buf, 0, w->fill);
		}
		n = CHUNK_BLOCKS * BS - w->fill;
		n = len < n ? len : n;
		memcpy(e->buf + w->fill, p, n);
		w->fill += n;
		w->end = off + n;
		if (w->fill == CHUNK_BLOCKS * BS && (r = flush(e, err)) < 0)
			return r;
	}
	return 0;
}

int ext4_file_end(struct ext4 *e, struct hpc_err *err)
{
	struct file_writer *w = &e->w;
	int r = 0;

	if (w->fill)
		r = flush(e, err);
	if (r == 0)
		r = ext_finish(e, &w->ext, err);
	if (r == 0)
		r = inode_write(e, w->node->ino, &w->inode, w->node, err);
	ext_finish(e, &w->ext, NULL);
	return r;
}

/*
 * zero_range - the filesystem relies on reading zeros where it wrote
 * nothing (inode tables, directory tails), so clear its range first; a
 * punched hole keeps a sparse image sparse.
 */
static int zero_range(const char *image, uint64_t off, uint64_t size,
		      struct hpc_err *err)
{
	static const unsigned char zero[1 << 16];
	struct stat st;
	int fd, r = 0;

	fd = open(image, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s", image,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < off + size) {
		r = err_set(err, -ENOSPC, "image '%s' ends before byte %llu",
			    image, (unsigned long long)(off + size));
		goto out;
	}
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)size) == 0)
		goto out;
	for (uint64_t done = 0; done < size && r == 0;) {
		size_t n = size - done < sizeof(zero) ? size - done :
							sizeof(zero);
		ssize_t w = pwrite(fd, zero, n, (off_t)(off + done));

		if (w <= 0)
			r = err_set(err, w < 0 ? -errno : -EIO,
				    "cannot write '%s': %s", image,
				    strerror(w < 0 ? errno : EIO));
		done += w > 0 ? (uint64_t)w : 0;
	}
out:
	close(fd);
	return r;
}

static void params_to_super(const struct ext4_params *p,
			    struct ext2_super_block *sb)
{
	memset(sb, 0, sizeof(*sb));
	ext2fs_blocks_count_set(sb, p->size / BS);
	sb->s_log_block_size = 2;	/* 1024 << 2 */
	sb->s_inodes_count = p->inodes;
	sb->s_rev_level = EXT2_DYNAMIC_REV;
	sb->s_first_ino = EXT2_GOOD_OLD_FIRST_INO;
	sb->s_inode_size = INODE_SIZE;
	sb->s_min_extra_isize = EXTRA_ISIZE;
	sb->s_want_extra_isize = EXTRA_ISIZE;
	sb->s_log_groups_per_flex = 4;
	sb->s_desc_size = EXT2_MIN_DESC_SIZE_64BIT;
	ext2fs_set_feature_xattr(sb);
	ext2fs_set_feature_filetype(sb);
	ext2fs_set_feature_extents(sb);
	ext2fs_set_feature_64bit(sb);
	ext2fs_set_feature_flex_bg(sb);
	ext2fs_set_feature_sparse_super(sb);
	ext2fs_set_feature_large_file(sb);
	ext2fs_set_feature_huge_file(sb);
	ext2fs_set_feature_dir_nlink(sb);
	ext2fs_set_feature_dir_index(sb);
	ext2fs_set_feature_extra_isize(sb);
	ext2fs_set_feature_metadata_csum(sb);
}

void ext4_set_ids(struct ext2_super_block *sb, const uint8_t seed[DIGEST_LEN])
{
	uint8_t d[DIGEST_LEN];

	digest_derive(seed, "ext4 uuid", d);
	d[6] = (d[6] & 0x0f) | 0x40;	/* a version 4 (random) UUID */
	d[8] = (d[8] & 0x3f) | 0x80;
	memcpy(sb->s_uuid, d, sizeof(sb->s_uuid));
	digest_derive(seed, "ext4 hash seed", d);
	memcpy(sb->s_hash_seed, d, sizeof(sb->s_hash_seed));
}

bool ext4_super_is(const struct ext2_super_block *sb,
		   const uint8_t seed[DIGEST_LEN], const char *label,
		   uint64_t size)
{
	struct ext2_super_block want = { 0 };
	char name[LABEL_MAX] = { 0 };

	if (label && strlen(label) > LABEL_MAX)
		return false;
	if (label)
		memcpy(name, label, strlen(label));
	ext4_set_ids(&want, seed);
	/* the little-endian fields are read as they are: x86 and arm64 */
	return sb->s_magic == EXT2_SUPER_MAGIC && sb->s_log_block_size <= 6 &&
	       ext2fs_blocks_count((struct ext2_super_block *)sb) *
		       (1024ull << sb->s_log_block_size) ==
		       size &&
	       !memcmp(sb->s_uuid, want.s_uuid, sizeof(want.s_uuid)) &&
	       !memcmp(sb->s_hash_seed, want.s_hash_seed,
		       sizeof(want.s_hash_seed)) &&
	       !memcmp(sb->s_volume_name, name, sizeof(name));
}

/* set_ids - in this order: the checksum seed is taken from the UUID. */
static void set_ids(ext2_filsys fs, const struct ext4_params *p)
{
	ext4_set_ids(fs->super, p->seed);
	fs->super->s_def_hash_version = EXT2_HASH_HALF_MD4;
	fs->super->s_flags |= EXT2_FLAGS_SIGNED_HASH;
	fs->super->s_checksum_type = EXT2_CRC32C_CHKSUM;
	ext2fs_init_csum_seed(fs);
}

static void set_times(ext2_filsys fs, time_t t)
{
	fs->now = t;
	fs->super->s_mkfs_time = (__u32)t;
	fs->super->s_wtime = (__u32)t;
	fs->super->s_lastcheck = (__u32)t;
	fs->super->s_max_mnt_count = (__s16)-1;
	fs->super->s_checkinterval = 0;
}

/* reserve_inodes - inodes 1 to 10 in use and zeroed, as mke2fs leaves. */
static int reserve_inodes(struct ext4 *e, struct hpc_err *err)
{
	unsigned char zero[INODE_SIZE] = { 0 };
	errcode_t c;

	for (ext2_ino_t ino = 1; ino < EXT2_FIRST_INO(e->fs->super); ino++) {
		if (ino == EXT2_ROOT_INO)
			continue;
		ext2fs_inode_alloc_stats2(e->fs, ino, +1, 0);
		c = ext2fs_write_inode_full(e->fs, ino, (void *)zero,
					    sizeof(zero));
		if (c)
			return fail(err, c, "inode %u", ino);
	}
	/* a flag changes the descriptor: its checksum must follow */
	for (dgrp_t g = 0; g < e->fs->group_desc_count; g++) {
		ext2fs_bg_flags_set(e->fs, g, EXT2_BG_INODE_ZEROED);
		ext2fs_group_desc_csum_set(e->fs, g);
	}
	return 0;
}

/* find_supers - where ext2fs_close will write the superblock copies. */
static void find_supers(struct ext4 *e, uint64_t offset)
{
	ext2_filsys fs = e->fs;

	e->supers = xcalloc(fs->group_desc_count + 1, sizeof(*e->supers));
	e->supers[e->nsupers++] = offset + SUPERBLOCK_OFFSET;
	for (dgrp_t g = 1; g < fs->group_desc_count; g++)
		if (ext2fs_bg_has_super(fs, g))
			e->supers[e->nsupers++] =
				offset + ext2fs_group_first_block2(fs, g) * BS;
}

/*
 * fix_write_time - libext2fs stamps each superblock copy with the clock
 * when fs->now is 0, so a filesystem dated 0 gets its time (and then its
 * checksum) rewritten here.
 */
static int fix_write_time(struct ext4 *e, struct hpc_err *err)
{
	struct ext2_super_block sb;
	const size_t csum_at = offsetof(struct ext2_super_block, s_checksum);
	int fd, r = 0;

	fd = open(e->image, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s", e->image,
			       strerror(errno));
	for (size_t i = 0; i < e->nsupers && r == 0; i++) {
		if (pread(fd, &sb, sizeof(sb), (off_t)e->supers[i]) !=
			    sizeof(sb) ||
		    sb.s_magic != ext2fs_cpu_to_le16(EXT2_SUPER_MAGIC)) {
			r = err_set(err, -EIO,
				    "superblock at byte %llu unreadable",
				    (unsigned long long)e->supers[i]);
			break;
		}
		sb.s_wtime = ext2fs_cpu_to_le32((__u32)e->now);
		sb.s_wtime_hi = (__u8)((uint64_t)e->now >> 32);
		sb.s_checksum = ext2fs_cpu_to_le32(
			ext2fs_crc32c_le(~0U, (unsigned char *)&sb, csum_at));
		if (pwrite(fd, &sb, sizeof(sb), (off_t)e->supers[i]) !=
		    sizeof(sb))
			r = err_set(err, -EIO, "cannot write '%s'", e->image);
	}
	close(fd);
	return r;
}

static int layout(struct ext4 *e, const char *image,
		  const struct ext4_params *p, struct hpc_err *err)
{
	struct ext2_super_block sb;
	char opt[64];
	errcode_t c;

	params_to_super(p, &sb);
	c = ext2fs_initialize(image, EXT2_FLAG_64BITS, &sb, unix_io_manager,
			      &e->fs);
	if (c)
		return fail(err, c, "cannot lay out ext4 in '%s'", image);
	snprintf(opt, sizeof(opt), "offset=%llu",
		 (unsigned long long)p->offset);
	c = io_channel_set_options(e->fs->io, opt);
	if (c)
		return fail(err, c, "cannot seek in '%s'", image);
	set_ids(e->fs, p);
	set_times(e->fs, e->now);
	memcpy(e->fs->super->s_volume_name, p->label ? p->label : "",
	       p->label ? strlen(p->label) : 0);
	c = ext2fs_allocate_tables(e->fs);
	if (c)
		return fail(err, c, "cannot lay out ext4 in '%s'", image);
	e->cursor = e->fs->super->s_first_data_block;
	find_supers(e, p->offset);
	return reserve_inodes(e, err);
}

int ext4_create(const char *image, const struct ext4_params *p,
		struct ext4 **ret, struct hpc_err *err)
{
	struct ext4 *e;
	int r;

	if (p->label && strlen(p->label) > LABEL_MAX)
		return err_set(err, -EINVAL, "label '%s' longer than 16 bytes",
			       p->label);
	if (p->size % BS || p->size < 64 * BS)
		return err_set(err, -EINVAL, "filesystem size %llu unusable",
			       (unsigned long long)p->size);
	r = zero_range(image, p->offset, p->size, err);
	if (r < 0)
		return r;
	/* filesystems of different containers are written side by side */
	pthread_once(&error_table_once, initialize_ext2_error_table);
	e = xcalloc(1, sizeof(*e));
	e->clamp = p->clamp;
	e->now = p->clamp > 0 ? (time_t)p->clamp : 0;
	e->image = xstrdup(image);
	e->buf = xmalloc(CHUNK_BLOCKS * BS);
	e->run = xmalloc(RUN_BLOCKS * BS);
	e->offset = p->offset;
	e->settled = p->settled;
	e->settled_arg = p->settled_arg;
	e->fd = open(image, O_WRONLY | O_CLOEXEC);
	r = e->fd < 0 ? err_set(err, -errno, "cannot open '%s': %s", image,
				strerror(errno)) : 0;
	if (r == 0)
		r = layout(e, image, p, err);
	if (r < 0) {
		ext4_abort(e);
		return r;
	}
	*ret = e;
	return 0;
}

static void ext4_free(struct ext4 *e)
{
	if (e->fd >= 0)
		close(e->fd);
	free(e->supers);
	free(e->image);
	free(e->buf);
	free(e->run);
	free(e);
}

int ext4_close(struct ext4 *e, struct hpc_err *err)
{
	errcode_t c;
	int r = run_flush(e, err);

	if (r < 0) {
		ext4_abort(e);
		return r;
	}
	/* no fsync of its own: the build syncs the image once, at its end */
	c = ext2fs_close2(e->fs, EXT2_FLAG_FLUSH_NO_SYNC);
	if (c)
		ext2fs_free(e->fs);
	e->fs = NULL;
	if (c)
		r = fail(err, c, "cannot finish ext4");
	if (r == 0)
		r = fix_write_time(e, err);
	ext4_free(e);
	return r;
}

void ext4_abort(struct ext4 *e)
{
	if (!e)
		return;
	if (e->fs)
		ext2fs_free(e->fs);
	ext4_free(e);
}
