/*
 * cache: the content-addressed blob cache of stage "fetch". See cache.h.
 */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

struct cache_writer {
	char *dir;		/* CACHE/blobs/sha256 */
	char *tmp;		/* the temporary file, NULL once renamed */
	int fd;
	int cleanup;		/* the tmp file's handle in cleanup.c */
	struct digest_ctx *ctx;
	uint64_t size;
	bool done;		/* sum holds the final digest */
	uint8_t sum[DIGEST_LEN];
};

char *cache_default_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg && *xdg == '/')
		return xasprintf("%s/hpc", xdg);
	if (home && *home)
		return xasprintf("%s/.cache/hpc", home);
	return NULL;
}

/* mkdir -p, one component at a time, so any missing parent is made. */
static int mkdir_p(const char *path, struct hpc_err *err)
{
	char *p = xstrdup(path), *s, c;
	int rc = 0;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			rc = err_set(err, -errno, "cannot create '%s': %s", p,
				     strerror(errno));
			goto out;
		}
		*s = c;
		if (!c)
			break;
	}
out:
	free(p);
	return rc;
}

int cache_init(const char *dir, struct hpc_err *err)
{
	char *blobs = xasprintf("%s/blobs/sha256", dir);
	int rc;

	rc = mkdir_p(blobs, err);
	free(blobs);
	return rc;
}

char *cache_blob_path(const char *dir, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
}

bool cache_has(const char *dir, const char *digest)
{
	char *path = cache_blob_path(dir, digest);
	struct stat st;
	bool ok;

	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

bool cache_is_private(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

int cache_tmp_create(const char *dir, char **ret_path, int *ret_handle)
{
	/* the pid and mkstemp's letters keep writers apart */
	char *tmp = xasprintf("%s/.tmp-%ld-XXXXXX", dir, (long)getpid());
	int fd = cleanup_mkstemp(tmp, ret_handle);

	if (fd < 0) {
		free(tmp);
		return fd;
	}
	/* mkstemp makes it 0600; a shared cache wants it readable */
	(void)fchmod(fd, 0644);
	*ret_path = tmp;
	return fd;
}

int cache_writer_new(const char *dir, struct cache_writer **ret,
		     struct hpc_err *err)
{
	struct cache_writer *w = xcalloc(1, sizeof(*w));

	w->dir = xasprintf("%s/blobs/sha256", dir);
	w->cleanup = -1;
	w->fd = cache_tmp_create(w->dir, &w->tmp, &w->cleanup);
	if (w->fd < 0) {
		int rc = err_set(err, w->fd, "cannot create a file in '%s': %s",
				 w->dir, strerror(-w->fd));

		cache_writer_free(w);
		return rc;
	}
	w->ctx = digest_new();
	*ret = w;
	return 0;
}

int cache_writer_write(struct cache_writer *w, const void *buf, size_t len,
		       struct hpc_err *err)
{
	const char *p = buf;
	ssize_t n;

	if (w->done)
		return err_set(err, -EINVAL, "'%s' is already complete", w->tmp);
	digest_update(w->ctx, buf, len);
	w->size += len;
	while (len) {
		n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(err, -errno, "cannot write '%s': %s",
				       w->tmp, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

uint64_t cache_writer_size(const struct cache_writer *w)
{
	return w->size;
}

void cache_writer_digest(struct cache_writer *w, char ret[DIGEST_STR_LEN])
{
	if (!w->done)
		digest_final(w->ctx, w->sum);
	w->done = true;
	digest_format(w->sum, ret);
}

/* Make the rename itself durable, so a crash leaves a whole blob or none. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

int cache_writer_commit(struct cache_writer *w, const char *expected,
			struct hpc_err *err)
{
	char got[DIGEST_STR_LEN], *final = NULL;
	int rc = 0;

	cache_writer_digest(w, got);
	if (expected && strcmp(expected, got) != 0)
		return err_set(err, -EBADMSG, "digest mismatch (got %s)", got);
	if (fsync(w->fd) < 0) {
		rc = err_set(err, -errno, "cannot sync '%s': %s", w->tmp,
			     strerror(errno));
		goto out;
	}
	final = xasprintf("%s/%s", w->dir, got + 7);
	if (rename(w->tmp, final) < 0) {
		rc = err_set(err, -errno, "cannot rename '%s' to '%s': %s",
			     w->tmp, final, strerror(errno));
		goto out;
	}
	cleanup_forget(w->cleanup);
	w->cleanup = -1;
	free(w->tmp);
	w->tmp = NULL;
	sync_dir(w->dir);
out:
	free(final);
	return rc;
}

void cache_writer_free(struct cache_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	cleanup_forget(w->cleanup);
	digest_free(w->ctx);
	free(w->tmp);
	free(w->dir);
	free(w);
}
