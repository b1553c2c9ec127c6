/*
 * tarout: write tars with libarchive for the pack stage. See tarout.h.
 *
 * Host trees are walked here rather than with archive_read_disk, which
 * returns names in readdir order: sorting them keeps builds
 * reproducible. Owners are numeric, as the layer rules keep them; a
 * file met again under another name becomes a hardlink to its first.
 */
#include "tarout.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#define DEPTH_MAX 256

/* A file of a host tree with more than one name, by its first name. */
struct tarout_link {
	dev_t dev;
	ino_t ino;
	char *name;
};

struct tarout {
	struct archive *a;
	char *path;
	struct tarout_link *links;
	size_t n_links;
};

static int arc_err(struct tarout *t, const char *what, struct hpc_err *err)
{
	return err_set(err, -EIO, "cannot write '%s' (%s): %s", t->path, what,
		       archive_error_string(t->a));
}

int tarout_open(const char *path, struct tarout **ret, struct hpc_err *err)
{
	struct tarout *t = xcalloc(1, sizeof(*t));

	t->a = archive_write_new();
	t->path = xstrdup(path);
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_open_filename(t->a, path) != ARCHIVE_OK) {
		int r = arc_err(t, "open", err);

		tarout_abort(t);
		return r;
	}
	*ret = t;
	return 0;
}

/*
 * The size bytes of the open file fd as the current entry's data, and
 * no more, as tar reads them: a file that grew meanwhile is cut where
 * the header says it ends, and one whose size says nothing of its
 * content (most of /proc) is never read, so cannot keep a build waiting.
 */
static int copy_data(struct tarout *t, int fd, uint64_t size,
		     const char *src, struct hpc_err *err)
{
	char buf[65536];
	ssize_t n;

	while (size) {
		n = read(fd, buf, size < sizeof(buf) ? size : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(err, -errno, "cannot read '%s': %s",
				       src, strerror(errno));
		if (n == 0)
			return err_set(err, -EIO, "cannot read '%s': it "
				       "shrank while it was read", src);
		if (archive_write_data(t->a, buf, (size_t)n) != n)
			return arc_err(t, src, err);
		size -= (uint64_t)n;
	}
	return 0;
}

/* The first name of the file st, when the walk met it already. */
static const char *link_of(struct tarout *t, const struct stat *st,
			   const char *name)
{
	struct tarout_link *l;
	size_t i;

	if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
		return NULL;
	for (i = 0; i < t->n_links; i++)
		if (t->links[i].dev == st->st_dev &&
		    t->links[i].ino == st->st_ino)
			return t->links[i].name;
	t->links = xreallocarray(t->links, t->n_links + 1, sizeof(*t->links));
	l = &t->links[t->n_links++];
	*l = (struct tarout_link){ .dev = st->st_dev, .ino = st->st_ino,
				   .name = xstrdup(name) };
	return NULL;
}

/* A hardlink entry: name is another name of target. */
static int put_hardlink(struct tarout *t, const char *name,
			const char *target, const char *src,
			struct hpc_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_hardlink(e, target);
	archive_entry_set_size(e, 0);
	if (archive_write_header(t->a, e) != ARCHIVE_OK)
		r = arc_err(t, src, err);
	archive_entry_free(e);
	return r;
}

/*
 * One entry from st; a regular file's bytes read from fd. Only the
 * mtime is kept: reading a tree changes its atimes, and a build must not
 * differ because it was run twice.
 */
static int put(struct tarout *t, const char *name, const struct stat *st,
	       const char *link, int fd, const char *src, struct hpc_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_copy_stat(e, st);
	archive_entry_set_atime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	archive_entry_set_pathname(e, *name ? name : ".");
	archive_entry_set_nlink(e, 1);
	if (link)
		archive_entry_set_symlink(e, link);
	if (!S_ISREG(st->st_mode))
		archive_entry_set_size(e, 0);
	if (archive_write_header(t->a, e) != ARCHIVE_OK)
		r = arc_err(t, src, err);
	else if (S_ISREG(st->st_mode))
		r = copy_data(t, fd, (uint64_t)st->st_size, src, err);
	archive_entry_free(e);
	return r;
}

int tarout_add_file(struct tarout *t, const char *name, const char *src,
		    uint32_t mode, uint32_t uid, uint32_t gid, int64_t mtime,
		    struct hpc_err *err)
{
	struct stat st;
	int fd, r;

	fd = open_regular(src, &st, err);
	if (fd < 0)
		return fd;
	st.st_mode = S_IFREG | (mode & 07777);
	st.st_uid = uid;
	st.st_gid = gid;
	st.st_mtim.tv_sec = mtime;
	st.st_mtim.tv_nsec = 0;
	st.st_atim = st.st_mtim;
	st.st_ctim = st.st_mtim;
	r = put(t, name, &st, NULL, fd, src, err);
	close(fd);
	return r;
}

static int add_at(struct tarout *t, const char *src, const char *name,
		  int follow, int depth, struct hpc_err *err);

/*
 * open_same - open the regular file that st describes, refusing what
 * was put at src since (a FIFO there would keep the build waiting).
 */
static int open_same(const char *src, const struct stat *st,
		     struct hpc_err *err)
{
	struct stat now;
	int fd = open_regular(src, &now, err);

	if (fd < 0)
		return fd;
	if (now.st_dev == st->st_dev && now.st_ino == st->st_ino)
		return fd;
	close(fd);
	return err_set(err, -EAGAIN, "cannot read '%s': it was replaced "
		       "while the tree was read", src);
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int no_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

static int add_dir(struct tarout *t, const char *src, const char *name,
		   int depth, struct hpc_err *err)
{
	struct dirent **list = NULL;
	char *s, *n;
	int count, i, r = 0;

	count = scandir(src, &list, no_dots, byte_order);
	if (count < 0)
		return err_set(err, -errno, "cannot read directory '%s': %s",
			       src, strerror(errno));
	for (i = 0; i < count; i++) {
		if (r == 0) {
			s = xasprintf("%s/%s", src, list[i]->d_name);
			n = *name ? xasprintf("%s/%s", name, list[i]->d_name)
				  : xstrdup(list[i]->d_name);
			r = add_at(t, s, n, 0, depth + 1, err);
			free(s);
			free(n);
		}
		free(list[i]);
	}
	free(list);
	return r;
}

static int add_at(struct tarout *t, const char *src, const char *name,
		  int follow, int depth, struct hpc_err *err)
{
	char link[4097];
	const char *first;
	struct stat st;
	ssize_t n;
	int fd = -1, r;

	if ((follow ? stat(src, &st) : lstat(src, &st)) < 0)
		return err_set(err, -errno, "cannot read '%s': %s", src,
			       strerror(errno));
	if (depth > DEPTH_MAX)
		return err_set(err, -ELOOP, "'%s' is nested too deeply", src);
	first = link_of(t, &st, name);
	if (first)
		return put_hardlink(t, name, first, src, err);
	if (S_ISLNK(st.st_mode)) {
		n = readlink(src, link, sizeof(link) - 1);
		if (n < 0)
			return err_set(err, -errno, "cannot read link '%s': "
				       "%s", src, strerror(errno));
		link[n] = '\0';
		return put(t, name, &st, link, -1, src, err);
	}
	if (S_ISSOCK(st.st_mode))
		return 0;	/* a tar cannot hold one */
	if (S_ISREG(st.st_mode)) {
		fd = open_same(src, &st, err);
		if (fd < 0)
			return fd;
	}
	r = put(t, name, &st, NULL, fd, src, err);
	if (fd >= 0)
		close(fd);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = add_dir(t, src, name, depth, err);
	return r;
}

int tarout_add_tree(struct tarout *t, const char *src, const char *name,
		    struct hpc_err *err)
{
	return add_at(t, src, name, 1, 0, err);
}

int tarout_close(struct tarout *t, struct hpc_err *err)
{
	int r = 0;

	if (archive_write_close(t->a) != ARCHIVE_OK)
		r = arc_err(t, "close", err);
	tarout_abort(t);
	return r;
}

void tarout_abort(struct tarout *t)
{
	if (!t)
		return;
	archive_write_free(t->a);
	for (size_t i = 0; i < t->n_links; i++)
		free(t->links[i].name);
	free(t->links);
	free(t->path);
	free(t);
}
