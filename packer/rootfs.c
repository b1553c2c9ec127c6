/*
 * rootfs: one container's root filesystem, from layer blobs to ext4.
 * See rootfs.h.
 *
 * The orchestrator of stage "pack" for a root filesystem: pass one
 * applies each layer's headers to the tree (layer.c), keeping a
 * compressed layer's file bytes in the stage (stage.c); pass two lays
 * out the filesystem (ext4.c), writes every inode that needs no layer
 * bytes, then copies only the files that survived, from the stage or by
 * reading their layer again, each layer once and in order.
 */
#include "rootfs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ext4.h"
#include "layer.h"
#include "stage.h"
#include "tree.h"

struct rootfs_layer {
	char *path;
	char *what;
	struct layer_src src;	/* src.path is path */
	bool staged;		/* its files' bytes are in the stage */
	struct layer_want *wants;
	size_t nwants, cap;
};

struct rootfs {
	struct tree *tree;
	struct rootfs_layer *layers;
	size_t nlayers;
	uint64_t bytes;		/* every layer's file bytes, for the limit */
	struct stage *stage;	/* or NULL: every layer is read twice */
};

struct rootfs *rootfs_new(void)
{
	struct rootfs *fs = xcalloc(1, sizeof(*fs));

	fs->tree = tree_new();
	return fs;
}

void rootfs_free(struct rootfs *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->nlayers; i++) {
		free(fs->layers[i].path);
		free(fs->layers[i].what);
		free(fs->layers[i].wants);
	}
	free(fs->layers);
	tree_free(fs->tree);
	stage_free(fs->stage);
	free(fs);
}

int rootfs_use_stage(struct rootfs *fs, const char *dir)
{
	return fs->stage ? 0 : stage_new(dir, &fs->stage);
}

size_t rootfs_staged(const struct rootfs *fs)
{
	size_t n = 0;

	for (size_t i = 0; i < fs->nlayers; i++)
		n += fs->layers[i].staged;
	return n;
}

int rootfs_add_layer(struct rootfs *fs, const char *path, const char *what,
		     struct hpc_err *err)
{
	const struct rootfs_source src = { .path = path, .uid = -1,
					   .gid = -1 };

	return rootfs_add_source(fs, &src, what, err);
}

int rootfs_add_source(struct rootfs *fs, const struct rootfs_source *rs,
		      const char *what, struct hpc_err *err)
{
	struct layer_src src = {
		.path = rs->path, .offset = rs->offset, .length = rs->length,
		.owner = { .set = rs->uid >= 0 && rs->gid >= 0,
			   .uid = (uint32_t)rs->uid,
			   .gid = (uint32_t)rs->gid },
	};
	struct rootfs_layer *l;
	int r;

	r = layer_apply(fs->tree, (uint32_t)fs->nlayers + 1, &src, what,
			&fs->bytes, fs->stage, err);
	if (r < 0)
		return r;
	fs->layers = xreallocarray(fs->layers, fs->nlayers + 1,
				   sizeof(*fs->layers));
	l = &fs->layers[fs->nlayers++];
	*l = (struct rootfs_layer){ .path = xstrdup(rs->path),
				    .what = xstrdup(what), .src = src,
				    .staged = r == 1 };
	l->src.path = l->path;
	return 0;
}

uint64_t rootfs_size(const struct rootfs *fs, const struct rootfs_opts *opts)
{
	uint64_t size;
	uint32_t inodes;

	ext4_plan(fs->tree, opts->reserve_percent, &size, &inodes);
	return size;
}

static int stage_fail(struct hpc_err *err, int r,
		      const struct rootfs_layer *l)
{
	return err_set(err, r, "cannot read back the inflated bytes of "
		       "layer '%s': %s", l->what, strerror(-r));
}

struct read_buf {
	char *buf;
	size_t len, max;
};

/* collect_run - one run of a file's bytes into the buffer. */
static int collect_run(uint64_t off, const void *chunk, size_t len,
		       void *arg)
{
	struct read_buf *b = arg;

	if (off + len > b->max)
		return -EFBIG;
	if (off + len > b->len) {
		b->buf = xrealloc(b->buf, off + len + 1);
		memset(b->buf + b->len, 0, off + len - b->len);
		b->len = off + len;
	}
	memcpy(b->buf + off, chunk, len);
	return 0;
}

static int collect(struct tree_node *n, struct layer_data *d, void *arg,
		   struct hpc_err *err)
{
	const void *chunk;
	uint64_t off;
	size_t len;
	int r;

	while ((r = layer_data_next(d, &chunk, &len, &off, err)) > 0) {
		r = collect_run(off, chunk, len, arg);
		if (r < 0)
			return r;
	}
	return r;
}

/* read_bytes - the bytes of n, from the stage or from its layer. */
static int read_bytes(struct rootfs *fs, struct tree_node *n,
		      struct read_buf *b, struct hpc_err *err)
{
	struct rootfs_layer *l = &fs->layers[n->src.layer - 1];
	struct layer_want w = { .index = n->src.index, .node = n };
	int r;

	if (!l->staged)
		return layer_copy(&l->src, l->what, &w, 1, collect, b, err);
	r = stage_read(fs->stage, n->src.stage_off, n->size, collect_run, b);
	return r < 0 && r != -EFBIG ? stage_fail(err, r, l) : r;
}

/* The node at path, its last symlinks followed (a few, inside the root). */
static struct tree_node *get_followed(struct tree *t, const char *path)
{
	struct tree_node *n = tree_get(t, path);
	char buf[2][4096], *at = buf[0];
	const char *slash;
	int hops;

	for (hops = 0; n && S_ISLNK(n->mode) && hops < 8; hops++) {
		slash = strrchr(path, '/');
		if (n->target[0] == '/' || !slash)
			snprintf(at, sizeof(buf[0]), "%s", n->target);
		else
			snprintf(at, sizeof(buf[0]), "%.*s/%s",
				 (int)(slash - path), path, n->target);
		n = tree_get(t, at);
		path = at;
		at = at == buf[0] ? buf[1] : buf[0];
	}
	return n;
}

bool rootfs_is_dir(struct rootfs *fs, const char *path)
{
	struct tree_node *n = get_followed(fs->tree, path);

	return n && S_ISDIR(n->mode);
}

int rootfs_read_file(struct rootfs *fs, const char *path, size_t max,
		     char **ret_buf, size_t *ret_len, struct hpc_err *err)
{
	struct tree_node *n = get_followed(fs->tree, path);
	struct read_buf b = { .max = max };

	if (n && !S_ISREG(n->mode))
		n = NULL;
	int r = 0;

	if (!n)
		return -ENOENT;
	if (n->size > max)
		return err_set(err, -EFBIG, "'%s' is larger than %zu bytes",
			       path, max);
	if (n->src.layer)
		r = read_bytes(fs, n, &b, err);
	if (r == -EFBIG)
		r = err_set(err, r, "'%s' is larger than %zu bytes", path, max);
	if (r < 0) {
		free(b.buf);
		return r;
	}
	b.buf = xrealloc(b.buf, n->size + 1);
	if (n->size > b.len)
		memset(b.buf + b.len, 0, n->size - b.len);
	b.buf[n->size] = '\0';
	*ret_buf = b.buf;
	*ret_len = n->size;
	return 0;
}

/* State of the walk that writes the inodes needing no layer bytes. */
struct pass_two {
	struct rootfs *fs;
	struct ext4 *ext4;
	uint32_t mark;
	struct hpc_err *err;
};

static void want(struct rootfs_layer *l, struct tree_node *n)
{
	if (l->nwants == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->wants = xreallocarray(l->wants, l->cap, sizeof(*l->wants));
	}
	l->wants[l->nwants++] = (struct layer_want){ .index = n->src.index,
						     .node = n };
}

static int write_visit(struct tree_node *dir, struct tree_dentry *d,
		       void *arg)
{
	struct pass_two *p = arg;
	struct tree_node *n = d->node;

	if (n->mark == p->mark)
		return 0;
	n->mark = p->mark;
	if (S_ISREG(n->mode) && n->src.layer) {
		want(&p->fs->layers[n->src.layer - 1], n);
		return 0;
	}
	return ext4_write_node(p->ext4, n, dir, p->err);
}

static int copy_file(struct tree_node *n, struct layer_data *d, void *arg,
		     struct hpc_err *err)
{
	struct ext4 *e = arg;
	const void *buf;
	uint64_t off;
	size_t len;
	int r;

	r = ext4_file_begin(e, n, err);
	if (r < 0)
		return r;
	while ((r = layer_data_next(d, &buf, &len, &off, err)) > 0) {
		r = ext4_file_write(e, off, buf, len, err);
		if (r < 0)
			return r;
	}
	if (r == 0)
		r = ext4_file_end(e, err);
	return r;
}

/* State of copying one file's bytes from the stage. */
struct staged_copy {
	struct ext4 *ext4;
	struct hpc_err *err;
	bool said;		/* ext4 failed, with its message in err */
};

static int put_run(uint64_t off, const void *buf, size_t len, void *arg)
{
	struct staged_copy *c = arg;
	int r = ext4_file_write(c->ext4, off, buf, len, c->err);

	c->said = r < 0;
	return r;
}

/* copy_staged - a file whose bytes pass one kept in the stage. */
static int copy_staged(struct rootfs *fs, struct rootfs_layer *l,
		       struct tree_node *n, struct ext4 *e,
		       struct hpc_err *err)
{
	struct staged_copy c = { .ext4 = e, .err = err };
	int r = ext4_file_begin(e, n, err);

	if (r == 0)
		r = stage_read(fs->stage, n->src.stage_off, n->size, put_run,
			       &c);
	if (r < 0 && !c.said)
		r = stage_fail(err, r, l);
	if (r == 0)
		r = ext4_file_end(e, err);
	/* files come in the stage's order: what is behind is done with */
	if (r == 0)
		stage_release(fs->stage, n->src.stage_off + n->size);
	return r;
}

static int want_cmp(const void *a, const void *b)
{
	const struct layer_want *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* copy_layers - each layer read once, only for the files that survived. */
static int copy_layers(struct rootfs *fs, struct ext4 *e, struct hpc_err *err)
{
	int r = 0;

	for (size_t i = 0; i < fs->nlayers && r == 0; i++) {
		struct rootfs_layer *l = &fs->layers[i];

		/* a layer nothing survived from has no array at all */
		if (l->nwants)
			qsort(l->wants, l->nwants, sizeof(*l->wants),
			      want_cmp);
		if (l->staged)
			for (size_t w = 0; w < l->nwants && r == 0; w++)
				r = copy_staged(fs, l, l->wants[w].node, e,
						err);
		else
			r = layer_copy(&l->src, l->what, l->wants, l->nwants,
				       copy_file, e, err);
		l->nwants = 0;
	}
	return r;
}

/*
 * drop_stage - pass two is the stage's last reader: dropping it now
 * frees its pages before the image is synced, which would otherwise
 * wait for them to be written out.
 */
static void drop_stage(struct rootfs *fs)
{
	for (size_t i = 0; i < fs->nlayers; i++)
		fs->layers[i].staged = false;
	stage_free(fs->stage);
	fs->stage = NULL;
}

/* add_lost_found - e2fsck expects it, and mke2fs would have made it. */
static void add_lost_found(struct tree *t)
{
	struct tree_node *n;

	if (tree_lookup(tree_root(t), "lost+found"))
		return;
	n = tree_node_new(S_IFDIR | 0700);
	tree_insert(tree_root(t), "lost+found", n, 0);
}

int rootfs_write(struct rootfs *fs, const char *image_path, uint64_t offset,
		 uint64_t size, const struct rootfs_opts *opts,
		 struct hpc_err *err)
{
	struct ext4_params p = { .offset = offset, .size = size,
				 .clamp = opts->time_clamp,
				 .label = opts->label,
				 .settled = opts->settled,
				 .settled_arg = opts->settled_arg };
	struct pass_two pt = { .fs = fs, .err = err };
	uint64_t need;
	int r;

	add_lost_found(fs->tree);
	ext4_plan(fs->tree, opts->reserve_percent, &need, &p.inodes);
	if (p.inodes < opts->min_inodes)
		p.inodes = opts->min_inodes;
	memcpy(p.seed, opts->seed, sizeof(p.seed));
	ext4_number(fs->tree);
	r = ext4_create(image_path, &p, &pt.ext4, err);
	if (r < 0)
		goto out;
	/* the root first, then every inode but those with layer bytes */
	r = ext4_write_node(pt.ext4, tree_root(fs->tree), tree_root(fs->tree),
			    err);
	pt.mark = tree_new_mark(fs->tree);
	if (r == 0)
		r = tree_walk(fs->tree, write_visit, &pt);
	if (r == 0)
		r = copy_layers(fs, pt.ext4, err);
	drop_stage(fs);
	if (r == 0) {
		r = ext4_close(pt.ext4, err);
		pt.ext4 = NULL;
	}
out:
	ext4_abort(pt.ext4);
	if (r < 0)
		err_prefix(err, "root filesystem in '%s'", image_path);
	return r;
}
