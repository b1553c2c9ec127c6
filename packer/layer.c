/*
 * layer: reading layer blobs with libarchive and the OCI rules that
 * apply their entries to the tree. See layer.h.
 *
 * The rules follow the OCI image spec: a whiteout or an opaque marker
 * hides only what lower layers put there, wherever it sits in the layer.
 * A name that this layer wrote, or that an entry of this layer passed
 * through, belongs to this layer: a whiteout of it removes only the
 * lower content below it (umoci does the same; containerd and Docker
 * remove it, files of this layer included, when the marker comes last;
 * docs/decisions.md says why the spec wins).
 */
#include "layer.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "inflate.h"
#include "limit.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
/* ext4's longest name, and its longest symlink: a block less the NUL */
#define NAME_MAX_BYTES 255
#define LINK_MAX_BYTES 4095
/* the names one inode may have in ext4 (EXT4_LINK_MAX) */
#define LINKS_MAX 65000

struct layer_data {
	struct archive *a;
	const char *what;
	struct layer_dir *dir;	/* set when the layer is a host directory */
	/* a member of an archive: read with pread inside its bytes */
	int fd;
	uint64_t start, end, pos;
	uint8_t *buf;
	bool gzip;		/* inflated by ISA-L */
};

/*
 * set_meta - what a tar header says about an inode, bar its type. A
 * symlink's mode is 0777 whatever the header says, as on every Linux
 * filesystem, where symlink(2) makes it so and nothing changes it.
 */
static void set_meta(struct tree_node *n, const struct layer_entry *e)
{
	n->mode = S_ISLNK(e->mode) ? S_IFLNK | 0777 : e->mode;
	n->uid = e->uid;
	n->gid = e->gid;
	n->mtime = e->mtime;
	n->mtime_ns = e->mtime_ns;
	n->atime = e->atime;
	n->atime_ns = e->atime_ns;
	tree_node_set_xattrs(n, e->xattrs, e->nxattrs);
}

static struct tree_node *node_from_entry(const struct layer_entry *e,
					 uint32_t layer)
{
	struct tree_node *n = tree_node_new(e->mode);

	set_meta(n, e);
	if (S_ISLNK(e->mode))
		n->target = xstrdup(e->symlink);
	if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
		n->rdev_major = e->rdev_major;
		n->rdev_minor = e->rdev_minor;
	}
	if (S_ISREG(e->mode)) {
		n->size = e->size;
		n->regions = e->regions ? e->regions : 1;
		n->stored = e->regions ? e->stored : e->size;
		if (e->size) {
			n->src.layer = layer;
			n->src.index = e->index;
			n->src.stage_off = e->stage_off;
		}
	}
	return n;
}

/*
 * apply_hardlink - name in dir becomes another name of the target's
 * inode. The target is found before the old name goes, so a link that
 * replaces a name of its own target keeps the inode alive. A link to
 * itself names nothing (the old name is gone before a link is made), so
 * it is skipped with a warning and the file stays as it was.
 */
static int apply_hardlink(struct tree *t, struct tree_node *dir,
			  const char *name, const struct layer_entry *e,
			  uint32_t layer, struct hpc_err *err)
{
	struct tree_node *target = tree_get(t, e->hardlink);
	struct tree_dentry *old = tree_lookup(dir, name);

	if (!target)
		return err_set(err, -ENOENT, "'%s': hardlink to missing '%s'",
			       e->path, e->hardlink);
	if (target->dir)
		return err_set(err, -EPERM,
			       "'%s': hardlink to directory '%s'", e->path,
			       e->hardlink);
	if (old && old->node == target && !strcmp(e->path, e->hardlink)) {
		log_warn("'%s': hardlink to itself, ignoring", e->path);
		return 0;
	}
	if (target->nlink >= LINKS_MAX && !(old && old->node == target))
		return err_set(err, -EMLINK,
			       "'%s': hardlink to '%s' would give it more "
			       "than the %d names ext4 allows", e->path,
			       e->hardlink, LINKS_MAX);
	target->nlink++;
	tree_remove(dir, name);
	tree_insert(dir, name, target, layer);
	target->nlink--;
	return 0;
}

/*
 * apply_whiteout - hide name (or, for the opaque marker, every name) of
 * dir from lower layers. What this layer wrote stays, and inside a
 * directory of this layer only the lower content goes.
 */
static void apply_whiteout(struct tree_node *dir, const char *name,
			   uint32_t layer)
{
	struct tree_dentry *d;

	if (!strcmp(name, WH_OPAQUE)) {
		tree_opaque(dir, layer);
		return;
	}
	name += strlen(WH_PREFIX);
	d = *name ? tree_lookup(dir, name) : NULL;
	if (!d)
		return;
	if (d->layer < layer)
		tree_remove(dir, name);
	else if (d->node->dir)
		tree_opaque(d->node, layer);
}

/* whiteout - a whiteout entry: its parents are looked up, never made. */
static int whiteout(struct tree *t, const struct layer_entry *e,
		    uint32_t layer, struct hpc_err *err)
{
	struct tree_node *dir;
	const char *last;
	int r;

	r = tree_resolve(t, e->path, 0, &dir, &last);
	/* nothing to hide where nothing is */
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return err_set(err, r, "'%s': %s", e->path, strerror(-r));
	apply_whiteout(dir, last, layer);
	return 0;
}

/* is_whiteout - whether the path's last name starts with ".wh.". */
static int is_whiteout(const char *path)
{
	const char *end = path + strlen(path), *base;

	while (end > path && end[-1] == '/')
		end--;
	for (base = end; base > path && base[-1] != '/'; base--)
		;
	return (size_t)(end - base) >= strlen(WH_PREFIX) &&
	       !strncmp(base, WH_PREFIX, strlen(WH_PREFIX));
}

/*
 * check_limits - what ext4 cannot hold, refused before anything is made:
 * a name over 255 bytes anywhere in the path, a symlink over 4095 bytes.
 */
static int check_limits(const struct layer_entry *e, struct hpc_err *err)
{
	const char *p = e->path, *slash;
	size_t len;

	for (; *p; p = *slash ? slash + 1 : slash) {
		slash = strchrnul(p, '/');
		len = (size_t)(slash - p);
		if (len > NAME_MAX_BYTES)
			return err_set(err, -ENAMETOOLONG,
				       "'%s': a name of %zu bytes, longer than "
				       "the %d ext4 allows", e->path, len,
				       NAME_MAX_BYTES);
		if (len > limits.name_bytes)
			return limit_exceeded(err, -ENAMETOOLONG,
					      &limits.name_bytes, len,
					      "'%.64s...': name bytes",
					      e->path);
	}
	if (S_ISLNK(e->mode) && !e->hardlink && e->symlink &&
	    strlen(e->symlink) > LINK_MAX_BYTES)
		return err_set(err, -ENAMETOOLONG,
			       "'%s': a symlink target of %zu bytes, longer "
			       "than the %d ext4 allows", e->path,
			       strlen(e->symlink), LINK_MAX_BYTES);
	return 0;
}

/*
 * check_depth - the directory an entry lands in, counted from the root
 * through its parents, since symlinked parents can make it deeper than
 * the entry's own path says; deep trees would exhaust the stack of
 * every later walk.
 */
static int check_depth(struct tree *t, struct tree_node *dir,
		       const struct layer_entry *e, struct hpc_err *err)
{
	struct tree_node *root = tree_root(t);
	uint64_t depth = 1;

	for (; dir != root; dir = dir->dir->parent)
		if (++depth > limits.path_depth)
			return limit_exceeded(err, -ELOOP, &limits.path_depth,
					      0, "'%.64s...': directory depth",
					      e->path);
	return 0;
}

int layer_apply_entry(struct tree *t, const struct layer_entry *e,
		      uint32_t layer, struct hpc_err *err)
{
	struct tree_node *dir;
	struct tree_dentry *old;
	const char *last;
	char *name = NULL;
	int r;

	if (is_whiteout(e->path))
		return whiteout(t, e, layer, err);
	r = check_limits(e, err);
	if (r < 0)
		return r;
	r = tree_resolve(t, e->path, layer, &dir, &last);
	if (r < 0)
		return err_set(err, r, "'%.200s': %s", e->path, strerror(-r));
	r = check_depth(t, dir, e, err);
	if (r < 0)
		return r;
	/* the root itself, or a trailing '..': only metadata can apply */
	if (!last) {
		if (S_ISDIR(e->mode))
			set_meta(dir, e);
		else
			log_warn("'%s': not a directory, cannot replace the "
				 "root, ignoring", e->path);
		return 0;
	}
	/* "a/.wh.b/.": still a whiteout, and never a name to create */
	if (!strncmp(last, WH_PREFIX, strlen(WH_PREFIX))) {
		apply_whiteout(dir, last, layer);
		return 0;
	}
	if (S_ISLNK(e->mode) && !e->hardlink && (!e->symlink || !*e->symlink))
		return err_set(err, -EINVAL, "'%s': symlink to nothing",
			       e->path);
	/* the name lives in scratch space that resolving a link reuses */
	name = xstrdup(last);
	if (e->hardlink) {
		r = apply_hardlink(t, dir, name, e, layer, err);
		goto out;
	}
	old = tree_lookup(dir, name);
	if (old && old->node->dir && S_ISDIR(e->mode)) {
		set_meta(old->node, e);
		old->layer = layer;
		goto out;
	}
	tree_remove(dir, name);
	tree_insert(dir, name, node_from_entry(e, layer), layer);
out:
	free(name);
	return r;
}

/*
 * Locale: libarchive converts names with the thread's LC_CTYPE and fails
 * on UTF-8 names in PAX records under "C", so reads run under C.UTF-8,
 * set for this thread only.
 */
struct utf8_locale {
	locale_t loc, old;
};

static void locale_enter(struct utf8_locale *l)
{
	l->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	l->old = l->loc ? uselocale(l->loc) : (locale_t)0;
}

static void locale_leave(struct utf8_locale *l)
{
	if (!l->loc)
		return;
	uselocale(l->old);
	freelocale(l->loc);
}

/* archive_fail - the one translation of a libarchive failure. */
static int archive_fail(struct archive *a, const char *what,
			struct hpc_err *err)
{
	int e = archive_errno(a);
	const char *msg = archive_error_string(a);

	/* libarchive says EILSEQ for "not a tar", which is bad input */
	if (e == EILSEQ)
		e = EINVAL;
	return err_set(err, e > 0 ? -e : -EIO, "layer '%s': %s", what,
		       msg ? msg : "cannot read");
}

#define READ_BUF (1u << 16)

static la_ssize_t member_read(struct archive *a, void *arg, const void **ret)
{
	struct layer_data *d = arg;
	uint64_t left = d->end - d->pos;
	ssize_t n;

	n = pread(d->fd, d->buf, left < READ_BUF ? (size_t)left : READ_BUF,
		  (off_t)d->pos);
	if (n < 0) {
		archive_set_error(a, errno, "cannot read: %s", strerror(errno));
		return -1;
	}
	d->pos += (uint64_t)n;
	*ret = d->buf;
	return n;
}

static la_int64_t member_skip(struct archive *a, void *arg, la_int64_t n)
{
	struct layer_data *d = arg;
	uint64_t left = d->end - d->pos;

	(void)a;
	if ((uint64_t)n > left)
		n = (la_int64_t)left;
	d->pos += (uint64_t)n;
	return n;
}

/* member_open - the tar that is bytes [offset, offset + length) of path. */
static int member_open(struct archive *a, const struct layer_src *src,
		       struct layer_data *d)
{
	d->fd = open(src->path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0) {
		archive_set_error(a, errno, "cannot open '%s': %s", src->path,
				  strerror(errno));
		return ARCHIVE_FATAL;
	}
	d->start = d->pos = src->offset;
	d->end = src->offset + src->length;
	d->buf = xmalloc(READ_BUF);
	archive_read_set_read_callback(a, member_read);
	archive_read_set_skip_callback(a, member_skip);
	archive_read_set_callback_data(a, d);
	return archive_read_open1(a);
}

/*
 * archive_start - open the layer src names: a tar (compressed or not, a
 * whole file or an archive's member), or a directory read through
 * layer_dir. Release with archive_stop.
 */
static int archive_start(const struct layer_src *src, const char *what,
			 struct layer_data *d, struct hpc_err *err)
{
	struct archive *a;
	struct stat st;
	int r;

	d->what = what;
	d->fd = -1;
	if (!src->length && stat(src->path, &st) == 0 && S_ISDIR(st.st_mode))
		return layer_dir_open(src->path, what, &src->owner, &d->dir,
				      &d->a, err);
	a = archive_read_new();
	if (!a)
		return err_set(err, -ENOMEM, "layer '%s': out of memory", what);
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	d->a = a;
	/* a member read in place goes through libarchive's own filters; a
	 * whole gzip blob is inflated by ISA-L on a thread of its own */
	r = src->length ? member_open(a, src, d) :
			  inflate_open(a, src->path, &d->gzip);
	if (r != ARCHIVE_OK)
		return archive_fail(a, what, err);
	return 0;
}

static void archive_stop(struct layer_data *d)
{
	if (d->dir)
		layer_dir_free(d->dir);
	else
		archive_read_free(d->a);
	if (d->fd >= 0)
		close(d->fd);
	free(d->buf);
	d->a = NULL;
	d->dir = NULL;
	d->fd = -1;
	d->buf = NULL;
}

/* next_header - 1 with *ret_ae set, 0 at the end, or -errno. */
static int next_header(struct layer_data *d, struct archive_entry **ret_ae,
		       struct hpc_err *err)
{
	int r = archive_read_next_header(d->a, ret_ae);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN)
		return archive_fail(d->a, d->what, err);
	if (d->dir) {
		r = layer_dir_fix(d->dir, *ret_ae, err);
		if (r < 0)
			return r;
	}
	return 1;
}

/* Growing room for one entry's xattrs, reused from entry to entry. */
struct xattr_buf {
	struct tree_xattr *v;
	size_t cap;
};

static size_t read_xattrs(struct archive_entry *ae, struct xattr_buf *b)
{
	size_t n = 0, want = (size_t)archive_entry_xattr_reset(ae);
	const char *name;
	const void *value;
	size_t len;

	if (want > b->cap) {
		b->v = xreallocarray(b->v, want, sizeof(*b->v));
		b->cap = want;
	}
	while (n < want && archive_entry_xattr_next(ae, &name, &value,
						    &len) == ARCHIVE_OK) {
		b->v[n].name = (char *)name;
		b->v[n].value = (void *)value;
		b->v[n].len = len;
		n++;
	}
	return n;
}

static int check_ids(struct archive_entry *ae, const char *path,
		     struct hpc_err *err)
{
	int64_t uid = archive_entry_uid(ae), gid = archive_entry_gid(ae);

	if (uid < 0 || uid > UINT32_MAX || gid < 0 || gid > UINT32_MAX)
		return err_set(err, -ERANGE,
			       "'%s': owner %lld:%lld out of range", path,
			       (long long)uid, (long long)gid);
	return 0;
}

/* sparse_bytes - the bytes of data a sparse entry holds. */
static uint64_t sparse_bytes(struct archive_entry *ae)
{
	la_int64_t off, len;
	uint64_t sum = 0;

	archive_entry_sparse_reset(ae);
	while (archive_entry_sparse_next(ae, &off, &len) == ARCHIVE_OK)
		sum += (uint64_t)len;
	return sum;
}

/* to_entry - the rules' view of a libarchive header. */
static int to_entry(struct archive_entry *ae, uint64_t index,
		    struct xattr_buf *xb, struct layer_entry *e,
		    struct hpc_err *err)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->path = archive_entry_pathname(ae);
	if (!e->path)
		return err_set(err, -EILSEQ, "entry %llu: no usable name",
			       (unsigned long long)index);
	r = check_ids(ae, e->path, err);
	if (r < 0)
		return r;
	e->hardlink = archive_entry_hardlink(ae);
	e->symlink = archive_entry_symlink(ae);
	e->mode = archive_entry_mode(ae);
	if (!e->hardlink && !(e->mode & S_IFMT))
		return err_set(err, -EINVAL, "'%s': unknown entry type",
			       e->path);
	e->uid = (uint32_t)archive_entry_uid(ae);
	e->gid = (uint32_t)archive_entry_gid(ae);
	e->mtime = archive_entry_mtime(ae);
	e->mtime_ns = (uint32_t)archive_entry_mtime_nsec(ae);
	e->atime = e->mtime;
	e->atime_ns = e->mtime_ns;
	if (archive_entry_atime_is_set(ae)) {
		e->atime = archive_entry_atime(ae);
		e->atime_ns = (uint32_t)archive_entry_atime_nsec(ae);
	}
	e->size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
	e->rdev_major = archive_entry_rdevmajor(ae);
	e->rdev_minor = archive_entry_rdevminor(ae);
	e->nxattrs = read_xattrs(ae, xb);
	e->xattrs = xb->v;
	e->index = index;
	e->regions = (uint32_t)archive_entry_sparse_reset(ae);
	e->stored = sparse_bytes(ae);
	return 0;
}

/* check_counts - entry number index with e's bytes, against the limits. */
static int check_counts(const struct layer_entry *e, uint64_t index,
			uint64_t *bytes, uint64_t *total, struct hpc_err *err)
{
	uint64_t size = e->hardlink ? 0 : e->size;

	if (index >= limits.layer_entries)
		return limit_exceeded(err, -E2BIG, &limits.layer_entries, 0,
				      "entries");
	*bytes += size;
	*total += size;
	if (*bytes > limits.layer_bytes || *bytes < size)
		return limit_exceeded(err, -EFBIG, &limits.layer_bytes, 0,
				      "'%.200s': expanded bytes", e->path);
	if (*total > limits.rootfs_bytes || *total < size)
		return limit_exceeded(err, -EFBIG, &limits.rootfs_bytes, 0,
				      "'%.200s': the root filesystem's bytes",
				      e->path);
	return 0;
}

/*
 * compressed - whether reading the layer again would mean inflating it:
 * only then is keeping its bytes cheaper than a second read.
 */
static bool compressed(const struct layer_data *d)
{
	return !d->dir && (d->gzip || archive_filter_code(d->a, 0) !=
						 ARCHIVE_FILTER_NONE);
}

static bool has_bytes(const struct layer_entry *e)
{
	return S_ISREG(e->mode) && !e->hardlink && e->size;
}

/*
 * keep_bytes - the current entry's bytes into the stage at e's offset. A
 * read that fails is the layer's failure; a stage that cannot take the
 * bytes, or bytes out of order or past the entry's size (which pass two
 * reports when it reads them from the layer), only end the staging of
 * this layer (*staging false).
 */
static int keep_bytes(struct layer_data *d, const struct layer_entry *e,
		      struct stage *stage, bool *staging, struct hpc_err *err)
{
	uint64_t off = 0, end = 0;
	const void *buf;
	size_t len;
	int r;

	while ((r = layer_data_next(d, &buf, &len, &off, err)) > 0) {
		if (off < end || off > e->size || len > e->size - off ||
		    stage_put(stage, e->stage_off + off, buf, len) < 0) {
			*staging = false;
			return 0;
		}
		end = off + len;
	}
	/* the caller names the layer: name the entry, and what went wrong */
	if (r < 0) {
		const char *msg = archive_error_string(d->a);

		r = err_set(err, r, "'%s': %s", e->path,
			    msg ? msg : "cannot read");
	}
	return r;
}

/* apply_one - entry number index of the layer, its bytes kept if asked. */
static int apply_one(struct tree *t, uint32_t layer, struct layer_data *d,
		     struct layer_entry *e, struct stage *stage,
		     bool *staging, struct hpc_err *err)
{
	bool keep = *staging && has_bytes(e);
	int r;

	if (keep)
		e->stage_off = stage_reserve(stage, e->size);
	r = layer_apply_entry(t, e, layer, err);
	if (r == 0 && keep)
		r = keep_bytes(d, e, stage, staging, err);
	return r;
}

int layer_apply(struct tree *t, uint32_t layer, const struct layer_src *src,
		const char *what, uint64_t *total, struct stage *stage,
		struct hpc_err *err)
{
	uint64_t bytes = 0;
	struct xattr_buf xb = { 0 };
	struct layer_data d = { 0 };
	struct archive_entry *ae;
	struct layer_entry e;
	struct utf8_locale loc;
	uint64_t index, start = 0;
	bool staging, tried;
	int r;

	locale_enter(&loc);
	r = archive_start(src, what, &d, err);
	if (r < 0)
		goto out;
	staging = tried = stage && compressed(&d);
	start = staging ? stage_end(stage) : 0;
	for (index = 0;; index++) {
		r = next_header(&d, &ae, err);
		if (r <= 0)
			break;
		r = to_entry(ae, index, &xb, &e, err);
		if (r == 0)
			r = check_counts(&e, index, &bytes, total, err);
		if (r == 0)
			r = apply_one(t, layer, &d, &e, stage, &staging, err);
		if (r < 0) {
			err_prefix(err, "layer '%s'", what);
			break;
		}
	}
	/* what the stage held back must be written for the layer to count */
	if (r == 0)
		r = staging && stage_flush(stage) == 0;
	/* a layer given up half way, or failed, leaves no bytes behind */
	if (tried && r <= 0)
		stage_discard(stage, start);
out:
	archive_stop(&d);
	locale_leave(&loc);
	free(xb.v);
	return r;
}

int layer_data_next(struct layer_data *d, const void **ret_buf,
		    size_t *ret_len, uint64_t *ret_off, struct hpc_err *err)
{
	la_int64_t off;
	int r;

	r = archive_read_data_block(d->a, ret_buf, ret_len, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN)
		return archive_fail(d->a, d->what, err);
	*ret_off = (uint64_t)off;
	return 1;
}

/* same_entry - whether the entry is still the file pass one saw. */
static int same_entry(struct archive_entry *ae, const struct tree_node *n)
{
	return archive_entry_filetype(ae) == AE_IFREG &&
	       !archive_entry_hardlink(ae) &&
	       (uint64_t)archive_entry_size(ae) == n->size;
}

int layer_copy(const struct layer_src *src, const char *what,
	       const struct layer_want *wants, size_t nwants,
	       layer_copy_fn fn, void *arg, struct hpc_err *err)
{
	struct layer_data d = { 0 };
	struct archive_entry *ae;
	struct utf8_locale loc;
	uint64_t index;
	size_t w = 0;
	int r;

	if (!nwants)
		return 0;
	locale_enter(&loc);
	r = archive_start(src, what, &d, err);
	for (index = 0; r == 0 && w < nwants; index++) {
		r = next_header(&d, &ae, err);
		if (r == 0)
			r = err_set(err, -ESTALE, "layer '%s': ends early",
				    what);
		if (r < 0)
			break;
		r = 0;
		if (index != wants[w].index)
			continue;
		if (!same_entry(ae, wants[w].node))
			r = err_set(err, -ESTALE,
				    "layer '%s': entry %llu changed since "
				    "it was read", what,
				    (unsigned long long)index);
		if (r == 0)
			r = fn(wants[w].node, &d, arg, err);
		w++;
	}
	archive_stop(&d);
	locale_leave(&loc);
	return r;
}
