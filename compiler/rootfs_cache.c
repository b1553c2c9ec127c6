/*
 * rootfs_cache: finished root filesystems reused between builds. See
 * rootfs_cache.h.
 *
 * Copies go through one loop (copy_region) in both directions: it walks
 * the source's data with SEEK_DATA and SEEK_HOLE, writes only non-zero
 * blocks, so the target keeps the holes, and digests what it copies.
 */
#include "rootfs_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "cleanup.h"

#define KEY_FORMAT "hpc-rootfs-cache-1"
#define BLOCK 4096u
#define CHUNK (1u << 20)

static void put_str(struct digest_ctx *ctx, const char *s)
{
	digest_update(ctx, s, strlen(s) + 1);
}

int rootfs_cache_key(const struct rootfs_cache_inputs *in,
		     char ret[DIGEST_STR_LEN])
{
	struct digest_ctx *ctx;
	uint8_t self[DIGEST_LEN], sum[DIGEST_LEN];
	char num[64];
	int r = digest_self(self);

	if (r < 0)
		return r;
	ctx = digest_new();
	put_str(ctx, KEY_FORMAT);
	digest_update(ctx, self, sizeof(self));
	digest_update(ctx, in->seed, DIGEST_LEN);
	put_str(ctx, in->label ? in->label : "");
	snprintf(num, sizeof(num), "%u %lld %zu", in->reserve_percent,
		 (long long)in->time_clamp, in->n_layers);
	put_str(ctx, num);
	for (size_t i = 0; i < in->n_layers; i++)
		put_str(ctx, in->layers[i]);
	digest_final(ctx, sum);
	digest_free(ctx);
	digest_format(sum, ret);
	return 0;
}

static char *key_path(const char *cache, const char *key)
{
	return xasprintf("%s/rootfs/keys/%s", cache, key + 7);
}

bool rootfs_cache_lookup(const char *cache, const char *key,
			 char **ret_path, uint64_t *ret_size)
{
	char *kp = key_path(cache, key), *text = NULL, *path = NULL;
	uint8_t sum[DIGEST_LEN];
	char hex[65];
	struct stat st;
	size_t len;
	bool ok = false;

	path = xasprintf("%s/rootfs", cache);
	if (access(path, F_OK) < 0)
		goto out;
	if (!cache_is_private(path)) {
		log_debug("'%s' is not this user's own, not reused", path);
		goto out;
	}
	free(path);
	path = NULL;
	if (read_file(kp, 256, &text, &len, NULL) < 0)
		goto out;
	text[strcspn(text, "\n")] = '\0';
	if (digest_parse(text, sum) < 0)
		goto out;
	digest_hex(sum, hex);
	path = xasprintf("%s/rootfs/sha256/%s", cache, hex);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !st.st_size ||
	    st.st_size % (1 << 20))
		goto out;
	*ret_path = path;
	*ret_size = (uint64_t)st.st_size;
	path = NULL;
	ok = true;
out:
	free(path);
	free(text);
	free(kp);
	return ok;
}

/* Where a copy reads and writes, and what it has seen. */
struct region {
	int src, dst;
	const char *src_name, *dst_name;
	uint64_t src_off, dst_off, size;
	struct digest_ctx *ctx;
	unsigned char *buf;
};

static int io_fail(struct hpc_err *err, const char *what, const char *path)
{
	return err_set(err, -errno, "cannot %s '%s': %s", what, path,
		       strerror(errno));
}

static bool block_is_zero(const unsigned char *p, size_t len)
{
	return !p[0] && !memcmp(p, p + 1, len - 1);
}

/*
 * write_at - all of buf at off. A short write sets no errno, so it is
 * retried: the next call says why (ENOSPC, EFBIG), where a test of the
 * count alone would report whatever errno an earlier call left.
 */
static int write_at(int fd, const void *buf, size_t len, off_t off,
		    const char *name, struct hpc_err *err)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return io_fail(err, "write", name);
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* put_run - write the run [from, to) of the buffer, at region offset at. */
static int put_run(struct region *g, uint64_t at, size_t from, size_t to,
		   struct hpc_err *err)
{
	return write_at(g->dst, g->buf + from, to - from,
			(off_t)(g->dst_off + at + from), g->dst_name, err);
}

/*
 * copy_blocks - the non-zero blocks of [at, at + len) of the region,
 * each run of them in one write; zero blocks stay holes.
 */
static int copy_blocks(struct region *g, uint64_t at, size_t len,
		       struct hpc_err *err)
{
	ssize_t n = pread(g->src, g->buf, len, (off_t)(g->src_off + at));
	size_t run = 0, b;
	uint64_t index;
	int r = 0;

	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = EIO;
		return io_fail(err, "read", g->src_name);
	}
	for (b = 0; b < len && r == 0; b += BLOCK) {
		if (block_is_zero(g->buf + b, BLOCK)) {
			r = put_run(g, at, run, b, err);
			run = b + BLOCK;
			continue;
		}
		index = (at + b) / BLOCK;
		digest_update(g->ctx, &index, sizeof(index));
		digest_update(g->ctx, g->buf + b, BLOCK);
	}
	return r < 0 ? r : put_run(g, at, run, len, err);
}

/* next_data - the next data run at or after *at, clipped to the region. */
static bool next_data(struct region *g, uint64_t *at, uint64_t *end)
{
	off_t d = lseek(g->src, (off_t)(g->src_off + *at), SEEK_DATA), h;

	if (d < 0 || (uint64_t)d >= g->src_off + g->size)
		return false;
	h = lseek(g->src, d, SEEK_HOLE);
	if (h < 0 || (uint64_t)h > g->src_off + g->size)
		h = (off_t)(g->src_off + g->size);
	/* whole blocks: the region starts on a block boundary */
	*at = ((uint64_t)d - g->src_off) / BLOCK * BLOCK;
	*end = ((uint64_t)h - g->src_off + BLOCK - 1) / BLOCK * BLOCK;
	if (*end > g->size)
		*end = g->size;
	return true;
}

/* copy_region - copy the region's data, digest in ret. */
static int copy_region(struct region *g, uint8_t ret[DIGEST_LEN],
		       struct hpc_err *err)
{
	uint64_t at = 0, end, len;
	int r = 0;

	g->ctx = digest_new();
	g->buf = xmalloc(CHUNK);
	while (r == 0 && at < g->size && next_data(g, &at, &end)) {
		for (; r == 0 && at < end; at += len) {
			len = end - at < CHUNK ? end - at : CHUNK;
			r = copy_blocks(g, at, (size_t)len, err);
		}
	}
	digest_final(g->ctx, ret);
	digest_free(g->ctx);
	free(g->buf);
	return r;
}

int rootfs_cache_load(const char *path, const char *image, uint64_t offset,
		      uint64_t size, struct hpc_err *err)
{
	struct region g = {
		.src = -1, .dst = -1, .src_name = path, .dst_name = image,
		.dst_off = offset, .size = size,
	};
	uint8_t sum[DIGEST_LEN];
	char hex[65];
	const char *name = strrchr(path, '/');
	int r;

	g.src = open(path, O_RDONLY | O_CLOEXEC);
	if (g.src < 0)
		return io_fail(err, "open", path);
	g.dst = open(image, O_WRONLY | O_CLOEXEC);
	if (g.dst < 0) {
		r = io_fail(err, "open", image);
		goto out;
	}
	r = copy_region(&g, sum, err);
	if (r < 0)
		goto out;
	digest_hex(sum, hex);
	if (!name || strcmp(name + 1, hex)) {
		(void)unlink(path);
		r = err_set(err, -EBADMSG, "cached root filesystem '%s' is "
			    "damaged (its content is sha256:%s), removed",
			    path, hex);
	}
out:
	if (g.dst >= 0)
		close(g.dst);
	close(g.src);
	return r;
}

static int make_dirs(const char *cache, struct hpc_err *err)
{
	static const char *const sub[] = {
		"rootfs", "rootfs/keys", "rootfs/sha256",
	};
	char *p;
	int r = cache_init(cache, err);

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(sub); i++) {
		p = xasprintf("%s/%s", cache, sub[i]);
		/* 0755 whatever the umask: only a private place is reused */
		if (mkdir(p, 0755) == 0)
			(void)chmod(p, 0755);
		else if (errno != EEXIST)
			r = io_fail(err, "create", p);
		free(p);
	}
	return r;
}

/*
 * tmp_file - a new file beside final, named for this writer, removed
 * should a signal end the build until *ret_handle is forgotten.
 */
static int tmp_file(const char *dir, char **ret, int *ret_handle,
		    struct hpc_err *err)
{
	char *tmp = xasprintf("%s/.tmp-%ld-XXXXXX", dir, (long)getpid());
	int fd = cleanup_mkstemp(tmp, ret_handle);

	if (fd < 0) {
		int r;

		errno = -fd;
		r = io_fail(err, "create", tmp);

		free(tmp);
		return r;
	}
	(void)fchmod(fd, 0644);
	*ret = tmp;
	return fd;
}

/* write_key - CACHE/rootfs/keys/KEYHEX names the content digest. */
static int write_key(const char *cache, const char *key,
		     const char *content, struct hpc_err *err)
{
	char *dir = xasprintf("%s/rootfs/keys", cache), *tmp = NULL;
	char *final = key_path(cache, key), *line = xasprintf("%s\n", content);
	int handle = -1, fd = tmp_file(dir, &tmp, &handle, err);
	int r = fd < 0 ? fd : 0;

	if (r == 0)
		r = write_at(fd, line, strlen(line), 0, tmp, err);
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = io_fail(err, "write", tmp);
	if (r == 0 && rename(tmp, final) < 0)
		r = io_fail(err, "rename", tmp);
	if (r < 0 && tmp)
		unlink(tmp);
	cleanup_forget(handle);
	free(line);
	free(final);
	free(tmp);
	free(dir);
	return r;
}

/*
 * keep_content - the region copied to a temporary file, renamed to its
 * digest. No fsync: a copy lost in a crash fails its check on the next
 * load and is rebuilt.
 */
static int keep_content(const char *cache, struct region *g,
			char ret[DIGEST_STR_LEN], struct hpc_err *err)
{
	char *dir = xasprintf("%s/rootfs/sha256", cache), *tmp = NULL;
	char *final = NULL, hex[65];
	uint8_t sum[DIGEST_LEN];
	int r, handle = -1;

	g->dst = tmp_file(dir, &tmp, &handle, err);
	r = g->dst < 0 ? g->dst : 0;
	g->dst_name = tmp;
	if (r == 0 && ftruncate(g->dst, (off_t)g->size) < 0)
		r = io_fail(err, "size", tmp);
	if (r == 0)
		r = copy_region(g, sum, err);
	if (g->dst >= 0 && close(g->dst) < 0 && r == 0)
		r = io_fail(err, "write", tmp);
	if (r == 0) {
		digest_hex(sum, hex);
		final = xasprintf("%s/%s", dir, hex);
		if (rename(tmp, final) < 0)
			r = io_fail(err, "rename", tmp);
	}
	if (r < 0 && tmp)
		unlink(tmp);
	cleanup_forget(handle);
	if (r == 0)
		digest_format(sum, ret);
	free(final);
	free(tmp);
	free(dir);
	return r;
}

int rootfs_cache_store(const char *cache, const char *key,
		       const char *image, uint64_t offset, uint64_t size,
		       struct hpc_err *err)
{
	struct region g = { .src = -1, .dst = -1, .src_name = image,
			    .src_off = offset, .size = size };
	char content[DIGEST_STR_LEN];
	int r = make_dirs(cache, err);

	if (r < 0)
		return r;
	g.src = open(image, O_RDONLY | O_CLOEXEC);
	if (g.src < 0)
		return io_fail(err, "open", image);
	r = keep_content(cache, &g, content, err);
	close(g.src);
	if (r == 0)
		r = write_key(cache, key, content, err);
	return r;
}
