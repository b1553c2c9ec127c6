/*
 * outfile: write the image under a temporary name. See outfile.h.
 *
 * Renaming the image over an older one frees the older one, and with it
 * the pages it still has in the page cache: 200 MiB of them after the
 * last build, 45 ms in rename(2) here. A thread lets the kernel drop them
 * while the image is written, so the rename at the end finds none.
 */
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "job.h"
#include "tool.h"

struct outfile {
	char *final;
	char *tmp;
	int fd;
	int cleanup;		/* the tmp file's handle in cleanup.c */
	int old_fd;		/* the file final names now, or -1 */
	struct job dropper;	/* dropping old_fd's cached pages */
};

static mode_t umask_get(void)
{
	mode_t m = umask(022);

	umask(m);
	return m;
}

static char *dir_of(const char *path)
{
	char *copy = xstrdup(path), *dir = xstrdup(dirname(copy));

	free(copy);
	return dir;
}

int outfile_check_dir(const char *path, struct hpc_err *err)
{
	char *dir = dir_of(path);
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) < 0)
		rc = err_set(err, -errno, "output directory '%s': %s", dir,
			     strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = err_set(err, -ENOTDIR, "output directory '%s': not a "
			     "directory", dir);
	else if (access(dir, W_OK) < 0)
		rc = err_set(err, -errno, "output directory '%s': %s", dir,
			     strerror(errno));
	free(dir);
	return rc;
}

/* The path a chain of symlinks at path ends at (which may not exist). */
static int follow_links(const char *path, char **ret)
{
	char *cur = xstrdup(path), *dir, buf[PATH_MAX];
	struct stat st;
	ssize_t n;
	int i;

	for (i = 0; i < 40; i++) {
		if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode)) {
			*ret = cur;
			return 0;
		}
		n = readlink(cur, buf, sizeof(buf) - 1);
		if (n < 0) {
			free(cur);
			return -errno;
		}
		buf[n] = '\0';
		dir = dir_of(cur);
		free(cur);
		cur = buf[0] == '/' ? xstrdup(buf) :
				      xasprintf("%s/%s", dir, buf);
		free(dir);
	}
	free(cur);
	return -ELOOP;
}

static int check_kind(const char *path, const char *target,
		      struct hpc_err *err)
{
	struct stat st;

	if (stat(target, &st) < 0 || S_ISREG(st.st_mode))
		return 0;
	return err_set(err, -EEXIST, "output '%s' is %s, not a regular file "
		       "an image can replace", path, file_kind(st.st_mode));
}

int outfile_resolve(const char *path, char **ret, struct hpc_err *err)
{
	size_t len = strlen(path);
	char *target = NULL;
	int rc;

	if (len == 0)
		return err_set(err, -EINVAL, "output '': an empty path");
	if (path[len - 1] == '/')
		return err_set(err, -EISDIR, "output '%s' names a directory, "
			       "not an image file", path);
	rc = follow_links(path, &target);
	if (rc < 0)
		return err_set(err, rc, "output '%s': %s", path, strerror(-rc));
	rc = check_kind(path, target, err);
	if (rc == 0)
		rc = outfile_check_dir(target, err);
	if (rc < 0 && strcmp(path, target))
		err_prefix(err, "output '%s' is a symlink to '%s'", path,
			   target);
	if (rc < 0) {
		free(target);
		return rc;
	}
	*ret = target;
	return 0;
}

/* 1 if path lies inside dir (both existing), else 0. */
static int inside(const char *path, const char *dir)
{
	char *p = realpath(path, NULL), *d = realpath(dir, NULL);
	size_t n = d ? strlen(d) : 0;
	int in = p && d && !strncmp(p, d, n) &&
		 (p[n] == '/' || (n == 1 && d[0] == '/'));

	free(p);
	free(d);
	return in;
}

int outfile_check_input(const char *output, const char *input,
			const char *what, struct hpc_err *err)
{
	struct stat out, in;

	if (stat(output, &out) < 0 || stat(input, &in) < 0)
		return 0;
	if (out.st_dev == in.st_dev && out.st_ino == in.st_ino)
		return err_set(err, -EINVAL, "output '%s' is the %s '%s': "
			       "writing the image would destroy it", output,
			       what, input);
	if (S_ISDIR(in.st_mode) && inside(output, input))
		return err_set(err, -EINVAL, "output '%s' is inside the %s "
			       "'%s': writing the image would change it",
			       output, what, input);
	return 0;
}

static void *drop_pages(void *arg)
{
	const struct outfile *f = arg;

	/* advice only: its pages go, its bytes stay as they are */
	(void)posix_fadvise(f->old_fd, 0, 0, POSIX_FADV_DONTNEED);
	return NULL;
}

/* drop_old - start dropping the cached pages of the file to replace. */
static void drop_old(struct outfile *f)
{
	struct stat st;

	f->old_fd = open(f->final, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
			 O_NONBLOCK);
	if (f->old_fd < 0)
		return;
	if (fstat(f->old_fd, &st) == 0 && S_ISREG(st.st_mode)) {
		job_start(&f->dropper, drop_pages, f);
		return;
	}
	close(f->old_fd);
	f->old_fd = -1;
}

/* drop_wait - the dropping done, the old file let go. */
static void drop_wait(struct outfile *f)
{
	job_wait(&f->dropper);
	if (f->old_fd >= 0)
		close(f->old_fd);
	f->old_fd = -1;
}

/*
 * sweep - the temporary images a killed build left beside this one
 * (".BASE.tmp-*": SIGKILL runs no handler), once cleanup_is_leftover
 * says their writer is gone; a build running meanwhile holds its lock.
 */
static void sweep(const char *dir, const char *base)
{
	char *prefix = xasprintf(".%s.tmp-", base), *path;
	size_t n = strlen(prefix);
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, n))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    cleanup_is_leftover(path, &st) && unlink(path) == 0)
			log_info("removed '%s', left by a build that was "
				 "killed", path);
		free(path);
	}
	if (d)
		closedir(d);
	free(prefix);
}

int outfile_create(const char *path, uint64_t size, struct outfile **ret,
		   struct hpc_err *err)
{
	struct outfile *f = xcalloc(1, sizeof(*f));
	char *dir = dir_of(path), *base = xstrdup(path);
	const char *name = basename(base);

	f->final = xstrdup(path);
	f->tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, name);
	sweep(dir, name);
	free(dir);
	free(base);
	f->cleanup = -1;
	f->old_fd = -1;
	f->fd = cleanup_mkstemp(f->tmp, &f->cleanup);
	if (f->fd < 0) {
		int rc = err_set(err, f->fd, "cannot create the image '%s': %s",
				 f->final, strerror(-f->fd));
		free(f->tmp);
		f->tmp = NULL;
		outfile_abort(f);
		return rc;
	}
	/* mkostemp makes 0600; an image is as readable as any new file */
	fchmod(f->fd, 0666 & ~umask_get());
	if (ftruncate(f->fd, (off_t)size) < 0) {
		int rc = err_set(err, -errno, "cannot size the image '%s': %s",
				 f->final, strerror(errno));
		outfile_abort(f);
		return rc;
	}
	drop_old(f);
	*ret = f;
	return 0;
}

const char *outfile_path(const struct outfile *f)
{
	return f->tmp;
}

int outfile_write(struct outfile *f, uint64_t offset, const void *buf,
		  size_t len, struct hpc_err *err)
{
	int r = pwrite_all(f->fd, buf, len, offset);

	if (r < 0)
		return err_set(err, r, "cannot write the image '%s': %s",
			       f->final, strerror(-r));
	return 0;
}

static void outfile_free(struct outfile *f)
{
	drop_wait(f);
	cleanup_forget(f->cleanup);
	if (f->fd >= 0)
		close(f->fd);
	free(f->tmp);
	free(f->final);
	free(f);
}

/*
 * A new temporary file beside the output, empty, registered for removal
 * should a signal end the build; its descriptor (which holds its lock)
 * is returned.
 */
static int make_tmp(const struct outfile *f, char **ret, int *ret_handle,
		    struct hpc_err *err)
{
	char *dir = dir_of(f->final), *base = xstrdup(f->final), *tmp;
	int fd;

	tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, basename(base));
	free(dir);
	free(base);
	fd = cleanup_mkstemp(tmp, ret_handle);
	if (fd < 0) {
		int rc = err_set(err, fd, "cannot create the image '%s': %s",
				 f->final, strerror(-fd));

		free(tmp);
		return rc;
	}
	fchmod(fd, 0666 & ~umask_get());
	*ret = tmp;
	return fd;
}

int outfile_convert(struct outfile *f, const char *const *opts,
		    struct hpc_err *err)
{
	char **argv = NULL, *out = NULL;
	const char *const *o;
	int fd, rc, handle = -1;

	fd = make_tmp(f, &out, &handle, err);
	if (fd < 0)
		return fd;
	strv_push(&argv, "qemu-img");
	strv_push(&argv, "convert");
	for (o = opts; *o; o++)
		strv_push(&argv, *o);
	strv_push(&argv, f->tmp);
	strv_push(&argv, out);
	rc = tool_run(argv, err);
	strv_free(argv);
	if (rc < 0) {
		close(fd);
		unlink(out);
		cleanup_forget(handle);
		free(out);
		return rc;
	}
	/* the converted file takes the place of the raw one */
	unlink(f->tmp);
	cleanup_forget(f->cleanup);
	close(f->fd);
	free(f->tmp);
	f->tmp = out;
	f->fd = fd;
	f->cleanup = handle;
	return 0;
}

static int rename_into_place(void *arg)
{
	const struct outfile *f = arg;

	return rename(f->tmp, f->final) < 0 ? -errno : 0;
}

void outfile_start_sync(struct outfile *f, uint64_t offset, uint64_t len)
{
	/* best effort: the commit's fsync is what makes the image durable */
	(void)sync_file_range(f->fd, (off64_t)offset, (off64_t)len,
			      SYNC_FILE_RANGE_WRITE);
}

int outfile_sync(struct outfile *f, struct hpc_err *err)
{
	if (fsync(f->fd) < 0)
		return err_set(err, -errno, "cannot write the image '%s': %s",
			       f->final, strerror(errno));
	return 0;
}

int outfile_commit(struct outfile **fp, struct hpc_err *err)
{
	struct outfile *f = *fp;
	int rc;

	*fp = NULL;
	drop_wait(f);
	rc = outfile_sync(f, err);
	if (rc == 0 && (rc = cleanup_commit(rename_into_place, f)) < 0)
		rc = err_set(err, rc, "cannot put the image at '%s': %s",
			     f->final, strerror(-rc));
	if (rc < 0)
		unlink(f->tmp);
	outfile_free(f);
	return rc;
}

void outfile_abort(struct outfile *f)
{
	if (!f)
		return;
	if (f->tmp)
		unlink(f->tmp);
	outfile_free(f);
}
