/*
 * initrd_cache: gzip members of the initrd kept between builds. See
 * initrd_cache.h.
 */
#include "initrd_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "cleanup.h"
#include "digest.h"
#include "initrd.h"

#define KEY_FORMAT "hpc-initrd-gzip-1"
/* smaller parts (the skeleton, the plan) cost less to compress than to
 * look up */
#define KEEP_MIN (64u << 10)
/* a member is at most its input and a little: see deflateBound */
#define MEMBER_MAX(len) ((len) + ((len) >> 8) + 4096 + DIGEST_LEN)

/* member_path - CACHE/initrd/KEYHEX for in, or NULL. */
static char *member_path(const char *cache, const void *in, size_t len)
{
	const char *zlib = initrd_gzip_version();
	uint8_t self[DIGEST_LEN], sum[DIGEST_LEN];
	struct digest_ctx *ctx;
	char hex[65];
	uint64_t n = len;

	if (digest_self(self) < 0)
		return NULL;
	ctx = digest_new();
	digest_update(ctx, KEY_FORMAT, sizeof(KEY_FORMAT));
	digest_update(ctx, self, sizeof(self));
	digest_update(ctx, zlib, strlen(zlib) + 1);
	digest_update(ctx, &n, sizeof(n));
	digest_update(ctx, in, len);
	digest_final(ctx, sum);
	digest_free(ctx);
	digest_hex(sum, hex);
	return xasprintf("%s/initrd/%s", cache, hex);
}

/*
 * reuse - the member kept at path, once its SHA-256 matches: 0, -ENOENT
 * when none is kept, -EBADMSG when it is damaged.
 */
static int reuse(const char *path, size_t in_len, unsigned char **ret,
		 size_t *ret_len)
{
	uint8_t sum[DIGEST_LEN];
	char *buf = NULL;
	size_t len = 0;

	if (read_file(path, MEMBER_MAX(in_len), &buf, &len, NULL) < 0)
		return -ENOENT;
	if (len <= DIGEST_LEN)
		goto bad;
	len -= DIGEST_LEN;
	digest_buf(buf, len, sum);
	if (memcmp(sum, buf + len, DIGEST_LEN))
		goto bad;
	*ret = (unsigned char *)buf;
	*ret_len = len;
	return 0;
bad:
	free(buf);
	return -EBADMSG;
}

/* keep - the member and its SHA-256 at path, through a temporary name. */
static void keep(const char *cache, const char *path,
		 const unsigned char *gz, size_t len)
{
	char *dir = xasprintf("%s/initrd", cache), *tmp = NULL;
	uint8_t sum[DIGEST_LEN];
	int fd, handle = -1;
	bool ok;

	if (cache_init(cache, NULL) < 0)
		goto out;
	/* 0755 whatever the umask: only a private place is reused */
	if (mkdir(dir, 0755) == 0)
		(void)chmod(dir, 0755);
	else if (errno != EEXIST)
		goto out;
	tmp = xasprintf("%s/.tmp-%ld-XXXXXX", dir, (long)getpid());
	fd = cleanup_mkstemp(tmp, &handle);
	if (fd < 0)
		goto out;
	(void)fchmod(fd, 0644);
	digest_buf(gz, len, sum);
	ok = write(fd, gz, len) == (ssize_t)len &&
	     write(fd, sum, sizeof(sum)) == (ssize_t)sizeof(sum);
	ok = close(fd) == 0 && ok;
	if (ok && rename(tmp, path) == 0)
		goto out;
	log_debug("cannot keep '%s' in the cache, ignoring", path);
	unlink(tmp);
out:
	cleanup_forget(handle);
	free(tmp);
	free(dir);
}

int initrd_cache_gzip(void *cache, const void *in, size_t len,
		      unsigned char **ret, size_t *ret_len,
		      struct hpc_err *err)
{
	char *path = NULL, *dir;
	bool private;
	int r = -ENOENT;

	if (!cache || len < KEEP_MIN)
		return initrd_gzip(NULL, in, len, ret, ret_len, err);
	path = member_path(cache, in, len);
	dir = xasprintf("%s/initrd", (const char *)cache);
	private = cache_is_private(dir);
	free(dir);
	if (path && private)
		r = reuse(path, len, ret, ret_len);
	if (r == -EBADMSG) {
		log_warn("kept initrd part '%s' is damaged, making it again",
			 path);
		unlink(path);
	}
	if (r < 0) {
		r = initrd_gzip(NULL, in, len, ret, ret_len, err);
		if (r == 0 && path)
			keep(cache, path, *ret, *ret_len);
	}
	free(path);
	return r;
}
