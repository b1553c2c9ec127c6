/*
 * sealed: results kept with their SHA-256 after them. See sealed.h.
 */
#include "sealed.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "cleanup.h"
#include "digest.h"
#include "util.h"

int sealed_read(const char *path, size_t max, char **ret_buf,
		size_t *ret_len)
{
	uint8_t sum[DIGEST_LEN];
	char *buf = NULL;
	size_t len = 0;
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    read_file(path, max + DIGEST_LEN, &buf, &len, NULL) < 0)
		return -ENOENT;
	if (len <= DIGEST_LEN)
		goto bad;
	len -= DIGEST_LEN;
	digest_buf(buf, len, sum);
	if (memcmp(sum, buf + len, DIGEST_LEN))
		goto bad;
	*ret_buf = buf;
	*ret_len = len;
	return 0;
bad:
	free(buf);
	return -EBADMSG;
}

void sealed_keep(const char *cache, const char *sub, const char *path,
		 const void *buf, size_t len)
{
	char *dir = xasprintf("%s/%s", cache, sub), *tmp = NULL;
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
	fd = cache_tmp_create(dir, &tmp, &handle);
	if (fd < 0)
		goto out;
	digest_buf(buf, len, sum);
	ok = write(fd, buf, len) == (ssize_t)len &&
	     write(fd, sum, sizeof(sum)) == (ssize_t)sizeof(sum);
	/* renamed before it is closed: its lock covers the rename */
	ok = ok && rename(tmp, path) == 0;
	close(fd);
	if (ok)
		goto out;
	log_debug("cannot keep '%s' in the cache, ignoring", path);
	unlink(tmp);
out:
	cleanup_forget(handle);
	free(tmp);
	free(dir);
}
