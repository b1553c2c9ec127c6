/*
 * loader_cache: grub-mkimage's output reused between builds. See
 * loader_cache.h.
 */
#include "loader_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "digest.h"
#include "sealed.h"

#define KEY_FORMAT "hpc-loader-2"
#define IMAGE_MAX (16u << 20)

/* find_tool - the first executable name on PATH, as posix_spawnp finds. */
static char *find_tool(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char *c;

	for (p = path && *path ? path : "/usr/bin:/bin"; *p; p = end) {
		end = strchrnul(p, ':');
		c = xasprintf("%.*s/%s", (int)(end - p), p, name);
		if (access(c, X_OK) == 0)
			return c;
		free(c);
		if (*end)
			end++;
	}
	return NULL;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* put_dir - every file of dir by name, size, change time and inode. */
static int put_dir(struct digest_ctx *ctx, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char **names = NULL, *p, line[160];
	size_t n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(&names, de->d_name);
	closedir(d);
	n = strv_len(names);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		if (stat(p, &st) == 0) {
			snprintf(line, sizeof(line), "%lld %lld.%09ld %llu",
				 (long long)st.st_size,
				 (long long)st.st_ctim.tv_sec,
				 st.st_ctim.tv_nsec,
				 (unsigned long long)st.st_ino);
			digest_update(ctx, names[i], strlen(names[i]) + 1);
			digest_update(ctx, line, strlen(line) + 1);
		}
		free(p);
	}
	strv_free(names);
	return 0;
}

/* loader_path - CACHE/loaders/KEYHEX for these inputs, or NULL. */
static char *loader_path(const char *cache, enum grub_platform platform,
			 const char *label)
{
	const char *name = grub_platform_name(platform);
	uint8_t self[DIGEST_LEN], tool_sum[DIGEST_LEN], sum[DIGEST_LEN];
	char *tool = find_tool("grub-mkimage"), *dir = NULL, hex[65];
	struct digest_ctx *ctx = NULL;
	int r = -ENOENT;

	if (!name || !tool || digest_self(self) < 0 ||
	    digest_file(tool, tool_sum, NULL) < 0)
		goto out;
	ctx = digest_new();
	digest_update(ctx, KEY_FORMAT, sizeof(KEY_FORMAT));
	digest_update(ctx, self, sizeof(self));
	digest_update(ctx, tool_sum, sizeof(tool_sum));
	digest_update(ctx, name, strlen(name) + 1);
	digest_update(ctx, label, strlen(label) + 1);
	dir = xasprintf("%s/%s", GRUB_LIB_DIR, name);
	r = put_dir(ctx, dir);
	digest_final(ctx, sum);
out:
	digest_free(ctx);
	free(dir);
	free(tool);
	if (r < 0)
		return NULL;
	digest_hex(sum, hex);
	return xasprintf("%s/loaders/%s", cache, hex);
}

/*
 * reuse - write the image kept at path to out, once its seal matches.
 * -ENOENT when nothing usable is kept, -EBADMSG when it is damaged.
 */
static int reuse(const char *path, const char *out)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, r = sealed_read(path, IMAGE_MAX, &buf, &len);

	if (r < 0)
		return r;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : 0;
	if (fd >= 0 && write(fd, buf, len) != (ssize_t)len)
		r = -EIO;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	free(buf);
	return r;
}

/* keep - the fresh image at src, kept as final. */
static void keep(const char *cache, const char *src, const char *final)
{
	char *buf = NULL;
	size_t len = 0;

	if (read_file(src, IMAGE_MAX, &buf, &len, NULL) == 0)
		sealed_keep(cache, "loaders", final, buf, len);
	free(buf);
}

int loader_cache_mkimage(const char *cache, enum grub_platform platform,
			 const char *label, const char *tmp_out,
			 char **ret_path, struct hpc_err *err)
{
	char *path = loader_path(cache, platform, label);
	char *dir = xasprintf("%s/loaders", cache);
	bool private = cache_is_private(dir);
	int r;

	free(dir);
	r = path && private ? reuse(path, tmp_out) : -ENOENT;
	if (r == 0) {
		free(path);
		*ret_path = xstrdup(tmp_out);
		return 0;
	}
	if (r == -EBADMSG) {
		log_warn("kept boot loader '%s' is damaged, making it again",
			 path);
		unlink(path);
	}
	r = grub_mkimage(platform, NULL, label, tmp_out, err);
	if (r == 0 && path)
		keep(cache, tmp_out, path);
	free(path);
	if (r == 0)
		*ret_path = xstrdup(tmp_out);
	return r;
}
