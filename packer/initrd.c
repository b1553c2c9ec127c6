/*
 * initrd: the archive the kernel unpacks as its first root filesystem.
 *
 * Stage "pack". The plan (spec -> plan) and the modules resolved by
 * kernel.c end up here next to hpc-init, in a gzip-compressed cpio
 * (newc) archive written with libarchive. At boot the kernel unpacks it
 * and runs /init. The archive is reproducible: entries sorted by name,
 * owned by 0:0, one time for all, inode numbers in order, and a gzip
 * header without a time stamp. See initrd.h.
 *
 * The archive is cut into parts at the entries whose content is a text
 * (the plan): each part is compressed as a gzip member of its own, and
 * the members follow one another, as gzip(1) concatenates them. So what
 * zcat gives is still one archive, and the part that holds the init and
 * the modules, the bulk, is the same from one build to the next, which
 * lets the caller keep its member (initrd_gzip_fn).
 */
#include "initrd.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define COPY_CHUNK (64 * 1024)
/* newc's trailer: a 110-byte header and "TRAILER!!!", padded to 4 */
#define TRAILER_LEN 124
#define TRAILER_NAME "TRAILER!!!"

/* One member of the archive; its content is a host file or a text. */
struct initrd_entry {
	char *name;		/* no leading '/' */
	mode_t mode;		/* type and permissions */
	unsigned int major, minor;	/* of a device node */
	const char *src;	/* host file to copy, or NULL */
	const char *text;	/* content when src is NULL, or NULL */
};

/*
 * The fixed skeleton. /dev/console lets the kernel give /init its
 * standard streams before anything is mounted.
 */
static const struct initrd_entry skeleton[] = {
	{ .name = "dev", .mode = S_IFDIR | 0755 },
	{ .name = "dev/console", .mode = S_IFCHR | 0600, .major = 5,
	  .minor = 1 },
	{ .name = "etc", .mode = S_IFDIR | 0755 },
	{ .name = "hpc", .mode = S_IFDIR | 0755 },
	{ .name = "lib", .mode = S_IFDIR | 0755 },
	{ .name = "lib/modules", .mode = S_IFDIR | 0755 },
	{ .name = "proc", .mode = S_IFDIR | 0555 },
	{ .name = "run", .mode = S_IFDIR | 0755 },
	{ .name = "sys", .mode = S_IFDIR | 0555 },
	{ .name = "tmp", .mode = S_IFDIR | 01777 },
};

struct entry_list {
	struct initrd_entry *v;
	size_t n;
};

static void list_add(struct entry_list *l, const struct initrd_entry *e)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n] = *e;
	l->v[l->n].name = xstrdup(e->name);
	l->n++;
}

static void list_release(struct entry_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct initrd_entry *)a)->name,
		      ((const struct initrd_entry *)b)->name);
}

static int module_name_ok(const char *name)
{
	return name && name[0] && !strchr(name, '/') &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* collect - every entry of the archive, sorted, each name once. */
static int collect(const struct initrd_input *in, struct entry_list *l,
		   struct hpc_err *err)
{
	struct initrd_entry e = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(skeleton); i++)
		list_add(l, &skeleton[i]);
	list_add(l, &(struct initrd_entry){ .name = "init",
		 .mode = S_IFREG | 0755, .src = in->init_path });
	if (in->plan)
		list_add(l, &(struct initrd_entry){ .name = "hpc/plan",
			 .mode = S_IFREG | 0644, .text = in->plan });
	for (i = 0; i < in->n_modules; i++) {
		if (!module_name_ok(in->modules[i].name))
			return err_set(err, -EINVAL, "bad kernel module name "
				       "'%s'", in->modules[i].name ?
				       in->modules[i].name : "");
		e.name = xasprintf("lib/modules/%s.ko", in->modules[i].name);
		e.mode = S_IFREG | 0644;
		e.src = in->modules[i].path;
		list_add(l, &e);
		free(e.name);
	}
	qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
	for (i = 1; i < l->n; i++)
		if (strcmp(l->v[i - 1].name, l->v[i].name) == 0)
			return err_set(err, -EINVAL, "initrd entry '%s' given "
				       "twice", l->v[i].name);
	return 0;
}

/* ar_err - the one place libarchive's status becomes -errno. */
static int ar_err(struct archive *a, const char *out_path,
		  struct hpc_err *err)
{
	const char *msg = archive_error_string(a);
	int e = archive_errno(a);

	if (!msg)
		msg = "unknown error";
	/* libarchive's "Write error" says nothing of why: errno does */
	if (e > 0 && !strstr(msg, strerror(e)))
		return err_set(err, -e, "cannot write initrd '%s': %s: %s",
			       out_path, msg, strerror(e));
	return err_set(err, e > 0 ? -e : -EIO, "cannot write initrd '%s': %s",
		       out_path, msg);
}

/* The bytes of one part of the archive, as libarchive writes them. */
struct membuf {
	unsigned char *p;
	size_t len, cap;
};

static la_ssize_t mem_write(struct archive *a, void *ctx, const void *buf,
			    size_t n)
{
	struct membuf *m = ctx;

	(void)a;
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->p = xrealloc(m->p, m->cap);
	}
	memcpy(m->p + m->len, buf, n);
	m->len += n;
	return (la_ssize_t)n;
}

static int ar_open(struct membuf *m, const char *out_path,
		   struct archive **ret, struct hpc_err *err)
{
	struct archive *a = archive_write_new();
	int rc = 0;

	if (!a)
		return err_set(err, -ENOMEM, "out of memory");
	/* no padding after the trailer */
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, m, NULL, mem_write, NULL, NULL) !=
		    ARCHIVE_OK) {
		rc = ar_err(a, out_path, err);
		archive_write_free(a);
		return rc;
	}
	*ret = a;
	return 0;
}

/* copy_file - the bytes of fd after the header, exactly size of them. */
static int copy_file(struct archive *a, int fd, const struct initrd_entry *e,
		     int64_t size, const char *out_path, struct hpc_err *err)
{
	char *buf = xmalloc(COPY_CHUNK);
	int64_t left = size;
	ssize_t n;
	int rc = 0;

	while (left > 0) {
		n = read(fd, buf, left < COPY_CHUNK ? (size_t)left
						    : COPY_CHUNK);
		if (n <= 0) {
			rc = err_set(err, n < 0 ? -errno : -EIO, "cannot read "
				     "'%s': %s", e->src, n < 0 ?
				     strerror(errno) : "file shrank");
			goto out;
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			rc = ar_err(a, out_path, err);
			goto out;
		}
		left -= n;
	}
out:
	free(buf);
	return rc;
}

static int open_source(const struct initrd_entry *e, int *ret_fd,
		       int64_t *ret_size, struct hpc_err *err)
{
	struct stat st;
	int fd;

	fd = open(e->src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s", e->src,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, -EINVAL, "'%s' is not a regular file",
			       e->src);
	}
	*ret_fd = fd;
	*ret_size = st.st_size;
	return 0;
}

static void fill_header(struct archive_entry *ae,
			const struct initrd_entry *e, int64_t ino,
			int64_t size, int64_t mtime)
{
	archive_entry_set_pathname(ae, e->name);
	archive_entry_set_mode(ae, e->mode);
	archive_entry_set_ino64(ae, ino);
	archive_entry_set_nlink(ae, S_ISDIR(e->mode) ? 2 : 1);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, mtime, 0);
	archive_entry_set_size(ae, size);
	if (S_ISCHR(e->mode)) {
		archive_entry_set_rdevmajor(ae, e->major);
		archive_entry_set_rdevminor(ae, e->minor);
	}
}

static int write_entry(struct archive *a, const struct initrd_entry *e,
		       int64_t ino, int64_t mtime, const char *out_path,
		       struct hpc_err *err)
{
	struct archive_entry *ae = archive_entry_new();
	int64_t size = e->text ? (int64_t)strlen(e->text) : 0;
	int fd = -1, rc = 0;

	if (e->src) {
		rc = open_source(e, &fd, &size, err);
		if (rc < 0)
			goto out;
	}
	fill_header(ae, e, ino, size, mtime);
	if (archive_write_header(a, ae) != ARCHIVE_OK) {
		rc = ar_err(a, out_path, err);
		goto out;
	}
	if (fd >= 0)
		rc = copy_file(a, fd, e, size, out_path, err);
	else if (e->text && archive_write_data(a, e->text, (size_t)size) !=
				    (la_ssize_t)size)
		rc = ar_err(a, out_path, err);
out:
	if (fd >= 0)
		close(fd);
	archive_entry_free(ae);
	return rc;
}

/*
 * cpio_part - entries [from, to) of l as newc bytes in m. Every part but
 * the last loses its trailer, so that the parts, one after another, are
 * one archive.
 */
static int cpio_part(const struct entry_list *l, size_t from, size_t to,
		     int64_t mtime, const char *out_path, struct membuf *m,
		     struct hpc_err *err)
{
	struct archive *a = NULL;
	size_t i;
	int rc = ar_open(m, out_path, &a, err);

	/* inode numbers follow the sorted order, from 1 */
	for (i = from; i < to && rc == 0; i++)
		rc = write_entry(a, &l->v[i], (int64_t)i + 1, mtime, out_path,
				 err);
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = ar_err(a, out_path, err);
	archive_write_free(a);
	if (rc < 0 || to == l->n)
		return rc;
	if (m->len < TRAILER_LEN || memcmp(m->p + m->len - TRAILER_LEN + 110,
					   TRAILER_NAME, sizeof(TRAILER_NAME)))
		return err_set(err, -EIO, "cannot write initrd '%s': no cpio "
			       "trailer where one belongs", out_path);
	m->len -= TRAILER_LEN;
	return 0;
}

int initrd_gzip(void *ctx, const void *in, size_t len, unsigned char **ret,
		size_t *ret_len, struct hpc_err *err)
{
	z_stream z = { 0 };
	unsigned char *out;
	uLong bound;
	int zr;

	(void)ctx;
	/* 15 + 16: a gzip header, time stamp 0; level 1: the cold build
	 * is short of cores while the layers are read, and 6 takes three
	 * times as long for 10 % less */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return err_set(err, -ENOMEM, "cannot start gzip");
	bound = deflateBound(&z, (uLong)len);
	out = xmalloc(bound);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)bound;
	zr = deflate(&z, Z_FINISH);
	*ret_len = z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(out);
		return err_set(err, -EIO, "gzip failed (%d)", zr);
	}
	*ret = out;
	return 0;
}

const char *initrd_gzip_version(void)
{
	return zlibVersion();
}

/* part_end - where the part that starts at from ends: a text, or a run. */
static size_t part_end(const struct entry_list *l, size_t from)
{
	size_t to = from + 1;

	if (l->v[from].text)
		return to;
	while (to < l->n && !l->v[to].text)
		to++;
	return to;
}

/* One gzip member: the entries [from, to) of the sorted list. */
struct member {
	size_t from, to;
	unsigned char *gz;
	size_t len;
};

struct initrd_parts {
	struct member *v;
	size_t n;
};

/* make_member - entries [from, to) compressed into *ret's gz. */
static int make_member(const struct initrd_input *in,
		       const struct entry_list *l, size_t from, size_t to,
		       const char *out_path, struct member *ret,
		       struct hpc_err *err)
{
	initrd_gzip_fn *gzip = in->gzip ? in->gzip : initrd_gzip;
	struct membuf m = { 0 };
	int rc = cpio_part(l, from, to, in->mtime, out_path, &m, err);

	*ret = (struct member){ .from = from, .to = to };
	if (rc == 0)
		rc = gzip(in->gzip_ctx, m.p, m.len, &ret->gz, &ret->len, err);
	free(m.p);
	return rc;
}

/* prepared - initrd_prepare's member for [from, to), or NULL. */
static const struct member *prepared(const struct initrd_input *in,
				     size_t from, size_t to)
{
	const struct initrd_parts *pp = in->prepared;

	for (size_t i = 0; pp && i < pp->n; i++)
		if (pp->v[i].from == from && pp->v[i].to == to)
			return &pp->v[i];
	return NULL;
}

/* put_part - entries [from, to) as one gzip member, at the end of fd. */
static int put_part(const struct initrd_input *in, const struct entry_list *l,
		    size_t from, size_t to, int fd, const char *out_path,
		    struct hpc_err *err)
{
	const struct member *kept = l->v[from].text ? NULL :
				    prepared(in, from, to);
	struct member made = { 0 };
	const unsigned char *gz;
	size_t gz_len;
	int rc = 0;

	if (!kept)
		rc = make_member(in, l, from, to, out_path, &made, err);
	gz = kept ? kept->gz : made.gz;
	gz_len = kept ? kept->len : made.len;
	for (size_t done = 0; rc == 0 && done < gz_len;) {
		ssize_t n = write(fd, gz + done, gz_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = err_set(err, n < 0 ? -errno : -ENOSPC, "cannot "
				     "write initrd '%s': %s", out_path,
				     strerror(n < 0 ? errno : ENOSPC));
		done += n > 0 ? (size_t)n : 0;
	}
	free(made.gz);
	return rc;
}

int initrd_prepare(const char *name, const struct initrd_input *in,
		   struct initrd_parts **ret, struct hpc_err *err)
{
	/* a plan of any content gives the same entries around it */
	struct initrd_input with_plan = *in;
	struct initrd_parts *pp = xcalloc(1, sizeof(*pp));
	struct entry_list l = { 0 };
	size_t from, to;
	int rc;

	with_plan.plan = "";
	rc = collect(&with_plan, &l, err);
	for (from = 0; rc == 0 && from < l.n; from = to) {
		to = part_end(&l, from);
		if (l.v[from].text)
			continue;
		pp->v = xreallocarray(pp->v, pp->n + 1, sizeof(*pp->v));
		rc = make_member(in, &l, from, to, name, &pp->v[pp->n], err);
		pp->n++;
	}
	list_release(&l);
	if (rc < 0) {
		initrd_parts_free(pp);
		return rc;
	}
	*ret = pp;
	return 0;
}

void initrd_parts_free(struct initrd_parts *pp)
{
	if (!pp)
		return;
	for (size_t i = 0; i < pp->n; i++)
		free(pp->v[i].gz);
	free(pp->v);
	free(pp);
}

int initrd_write(const char *out_path, const struct initrd_input *in,
		 struct hpc_err *err)
{
	struct entry_list l = { 0 };
	size_t from, to;
	int fd = -1, rc;

	rc = collect(in, &l, err);
	if (rc < 0)
		goto out;
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = err_set(err, -errno, "cannot write initrd '%s': %s",
			     out_path, strerror(errno));
		goto out;
	}
	for (from = 0; from < l.n && rc == 0; from = to) {
		to = part_end(&l, from);
		rc = put_part(in, &l, from, to, fd, out_path, err);
	}
	if (close(fd) < 0 && rc == 0)
		rc = err_set(err, -errno, "cannot write initrd '%s': %s",
			     out_path, strerror(errno));
	if (rc < 0)
		unlink(out_path);
out:
	list_release(&l);
	return rc;
}
