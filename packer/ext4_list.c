/*
 * ext4_list: a built root filesystem, read back with libext2fs. See
 * ext4_list.h.
 *
 * Directories are read with ext2fs_dir_iterate2, which reads every block
 * whether or not the directory has an htree index, so a listing sees
 * all names even if an index were wrong (e2fsck and the guest check the
 * index itself).
 */
#include "ext4_list.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <et/com_err.h>
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>

struct lister {
	ext2_filsys fs;
	ext4_list_fn fn;
	void *arg;
	struct hpc_err *err;
};

/* One name of a directory, collected so that names come out sorted. */
struct name {
	char *name;
	ext2_ino_t ino;
};

struct names {
	struct name *v;
	size_t n, cap;
};

static int fail(struct hpc_err *err, errcode_t code, const char *what,
		const char *path)
{
	int r = code > 0 && code < 4096 ? -(int)code : -EIO;

	return err_set(err, r, "%s '%s': %s", what, path,
		       error_message(code));
}

static int collect(ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
		   int offset, int blocksize, char *buf, void *priv)
{
	struct names *ns = priv;
	int len = ext2fs_dirent_name_len(de);

	if ((len == 1 && de->name[0] == '.') ||
	    (len == 2 && !memcmp(de->name, "..", 2)))
		return 0;
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		ns->v = xreallocarray(ns->v, ns->cap, sizeof(*ns->v));
	}
	ns->v[ns->n].name = xstrndup(de->name, (size_t)len);
	ns->v[ns->n++].ino = de->inode;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct name *)a)->name,
		      ((const struct name *)b)->name);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct xnames {
	char **v;
	size_t n;
};

static int xattr_name(char *name, char *value, size_t len, void *priv)
{
	struct xnames *x = priv;

	x->v = xreallocarray(x->v, x->n + 1, sizeof(*x->v));
	x->v[x->n++] = xstrdup(name);
	return 0;
}

static int read_xattrs(struct lister *l, ext2_ino_t ino, const char *path,
		       struct xnames *x)
{
	struct ext2_xattr_handle *h = NULL;
	errcode_t c;

	c = ext2fs_xattrs_open(l->fs, ino, &h);
	if (!c)
		c = ext2fs_xattrs_read(h);
	if (!c)
		c = ext2fs_xattrs_iterate(h, xattr_name, x);
	if (h)
		ext2fs_xattrs_close(&h);
	if (c)
		return fail(l->err, c, "cannot read the xattrs of", path);
	if (x->n)
		qsort(x->v, x->n, sizeof(*x->v), str_cmp);
	return 0;
}

/* read_target - a symlink's target, inline or in its block. */
static int read_target(struct lister *l, ext2_ino_t ino,
		       struct ext2_inode_large *in, const char *path,
		       char **ret)
{
	size_t len = EXT2_I_SIZE(in);
	char *t = xcalloc(1, len + 1);
	ext2_file_t f = NULL;
	unsigned int got = 0;
	errcode_t c = 0;

	if (ext2fs_is_fast_symlink((struct ext2_inode *)in)) {
		memcpy(t, in->i_block, len < sizeof(in->i_block) ?
					       len : sizeof(in->i_block));
	} else {
		c = ext2fs_file_open(l->fs, ino, 0, &f);
		if (!c)
			c = ext2fs_file_read(f, t, (unsigned int)len, &got);
		if (f)
			ext2fs_file_close(f);
	}
	if (c) {
		free(t);
		return fail(l->err, c, "cannot read the symlink", path);
	}
	*ret = t;
	return 0;
}

static void decode_rdev(const struct ext2_inode_large *in,
			struct ext4_list_entry *e)
{
	uint32_t old = in->i_block[0], dev = in->i_block[1];

	if (old) {
		e->rdev_major = (old >> 8) & 0xff;
		e->rdev_minor = old & 0xff;
	} else {
		e->rdev_major = (dev & 0xfff00) >> 8;
		e->rdev_minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
	}
}

static int walk(struct lister *l, ext2_ino_t ino, const char *path);

/* visit - report one inode at path, then what is below it. */
static int visit(struct lister *l, ext2_ino_t ino, const char *path)
{
	struct ext2_inode_large in = { 0 };
	struct ext4_list_entry e = { .path = path };
	struct xnames x = { 0 };
	char *target = NULL;
	errcode_t c;
	int r;

	c = ext2fs_read_inode_full(l->fs, ino, (struct ext2_inode *)&in,
				   sizeof(in));
	if (c)
		return fail(l->err, c, "cannot read the inode of", path);
	e.mode = in.i_mode;
	e.uid = inode_uid(in);
	e.gid = inode_gid(in);
	e.nlink = in.i_links_count;
	e.size = EXT2_I_SIZE(&in);
	if (S_ISCHR(in.i_mode) || S_ISBLK(in.i_mode))
		decode_rdev(&in, &e);
	r = S_ISLNK(in.i_mode) ? read_target(l, ino, &in, path, &target) : 0;
	if (r == 0)
		r = read_xattrs(l, ino, path, &x);
	e.target = target;
	e.xattrs = x.v;
	e.nxattrs = x.n;
	if (r == 0)
		r = l->fn(&e, l->arg);
	if (r == 0 && S_ISDIR(in.i_mode))
		r = walk(l, ino, path);
	for (size_t i = 0; i < x.n; i++)
		free(x.v[i]);
	free(x.v);
	free(target);
	return r;
}

static int walk(struct lister *l, ext2_ino_t ino, const char *path)
{
	struct names ns = { 0 };
	errcode_t c;
	int r = 0;

	c = ext2fs_dir_iterate2(l->fs, ino, 0, NULL, collect, &ns);
	if (c)
		r = fail(l->err, c, "cannot read the directory", path);
	if (ns.n)
		qsort(ns.v, ns.n, sizeof(*ns.v), name_cmp);
	for (size_t i = 0; i < ns.n; i++) {
		char *p = xasprintf("%s%s%s", path,
				    path[strlen(path) - 1] == '/' ? "" : "/",
				    ns.v[i].name);

		if (r == 0)
			r = visit(l, ns.v[i].ino, p);
		free(p);
		free(ns.v[i].name);
	}
	free(ns.v);
	return r;
}

int ext4_list(const char *image, uint64_t offset, const char *path,
	      ext4_list_fn fn, void *arg, struct hpc_err *err)
{
	struct lister l = { .fn = fn, .arg = arg, .err = err };
	char opts[64], *where = NULL;
	ext2_ino_t ino;
	errcode_t c;
	int r;

	initialize_ext2_error_table();
	snprintf(opts, sizeof(opts), "offset=%llu",
		 (unsigned long long)offset);
	c = ext2fs_open2(image, opts, EXT2_FLAG_64BITS, 0, 0, unix_io_manager,
			 &l.fs);
	if (c)
		return err_set(err, -EINVAL, "no ext4 at byte %llu of '%s': %s",
			       (unsigned long long)offset, image,
			       error_message(c));
	c = ext2fs_namei(l.fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino);
	if (c) {
		r = err_set(err, -ENOENT, "'%s' not found in '%s'", path,
			    image);
		goto out;
	}
	/* one leading '/' and no trailing one, whatever the caller wrote */
	while (*path == '/')
		path++;
	where = xasprintf("/%s", path);
	for (size_t n = strlen(where); n > 1 && where[n - 1] == '/'; n--)
		where[n - 1] = 0;
	r = visit(&l, ino, where);
out:
	free(where);
	ext2fs_close_free(&l.fs);
	return r;
}
