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
#include "digest.h"
#include "initrd.h"
#include "sealed.h"

#define KEY_FORMAT "hpc-initrd-gzip-2"
/* smaller parts (the skeleton, the plan) cost less to compress than to
 * look up */
#define KEEP_MIN (64u << 10)
/* a member is at most its input and a little: see deflateBound */
#define MEMBER_MAX(len) ((len) + ((len) >> 8) + 4096)

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
		r = sealed_read(path, MEMBER_MAX(len), (char **)ret, ret_len);
	if (r == -EBADMSG) {
		log_warn("kept initrd part '%s' is damaged, making it again",
			 path);
		unlink(path);
	}
	if (r < 0) {
		r = initrd_gzip(NULL, in, len, ret, ret_len, err);
		if (r == 0 && path)
			sealed_keep(cache, "initrd", path, *ret, *ret_len);
	}
	free(path);
	return r;
}
