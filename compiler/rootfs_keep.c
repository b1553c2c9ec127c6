/*
 * rootfs_keep: copying a root filesystem into the result cache as it is
 * written. See rootfs_keep.h.
 *
 * Pass two's thread marks blocks settled; the chunk whose last block
 * settles goes on a queue that the copier thread empties. Each chunk is
 * read once, summed from that buffer, and its non-zero blocks written to
 * the copy, so the copy stays as sparse as the image.
 */
#include "rootfs_keep.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "rootfs_cache.h"
#include "rootfs_sum.h"
#include "span.h"

#define CHUNK_BLOCKS (ROOTFS_SUM_CHUNK / SPAN_BLOCK)

struct rootfs_keep {
	char *cache, *key, *image;
	struct span src;		/* the filesystem, in the image */
	int dst, handle;		/* the copy, under tmp */
	char *tmp;
	size_t nchunks;
	uint64_t nblocks;
	uint64_t *settled;		/* a bit a block */
	uint16_t *count;		/* settled blocks, a chunk */
	struct rootfs_chunk *sums;
	bool *copied;
	unsigned char *buf;
	/* chunks settled and not yet copied: queue[head, tail) */
	size_t *queue, head, tail;
	bool closing, threaded;
	pthread_mutex_t lock;
	pthread_cond_t more;
	pthread_t thread;
	int rc;				/* the copier's first failure */
	struct hpc_err err;
};

static uint64_t chunk_len(const struct rootfs_keep *k, size_t i)
{
	uint64_t at = (uint64_t)i * ROOTFS_SUM_CHUNK;

	return k->src.size - at < ROOTFS_SUM_CHUNK ? k->src.size - at :
						      ROOTFS_SUM_CHUNK;
}

static int put(struct rootfs_keep *k, const unsigned char *p, size_t len,
	       uint64_t at, struct hpc_err *err)
{
	int r = len ? pwrite_all(k->dst, p, len, at) : 0;

	return r < 0 ? err_set(err, r, "cannot write '%s': %s", k->tmp,
			       strerror(-r)) : 0;
}

/* copy_chunk - chunk i summed, its non-zero blocks written to the copy. */
static int copy_chunk(struct rootfs_keep *k, size_t i, unsigned char *buf,
		      struct hpc_err *err)
{
	uint64_t at = (uint64_t)i * ROOTFS_SUM_CHUNK;
	size_t len = (size_t)chunk_len(k, i), start = 0, n;
	int r = span_read(&k->src, buf, len, at, err);

	if (r < 0)
		return r;
	rootfs_sum_chunk(buf, len, i, &k->sums[i]);
	k->copied[i] = true;
	for (size_t b = 0; b < len && r == 0; b += SPAN_BLOCK) {
		n = len - b < SPAN_BLOCK ? len - b : SPAN_BLOCK;
		if (!span_block_is_zero(buf + b, n))
			continue;
		r = put(k, buf + start, b - start, at + start, err);
		start = b + n;
	}
	return r < 0 ? r : put(k, buf + start, len - start, at + start, err);
}

/* copier - the thread: settled chunks, as they come, until closing. */
static void *copier(void *arg)
{
	struct rootfs_keep *k = arg;
	unsigned char *buf = xmalloc(ROOTFS_SUM_CHUNK);
	struct hpc_err err;
	size_t i;
	int r;

	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (k->head == k->tail && !k->closing)
			pthread_cond_wait(&k->more, &k->lock);
		if (k->head == k->tail)
			break;
		i = k->queue[k->head++];
		if (k->rc < 0)
			continue;
		pthread_mutex_unlock(&k->lock);
		r = copy_chunk(k, i, buf, &err);
		pthread_mutex_lock(&k->lock);
		if (r < 0) {
			k->rc = r;
			k->err = err;
		}
	}
	pthread_mutex_unlock(&k->lock);
	free(buf);
	return NULL;
}

void rootfs_keep_settled(void *arg, uint64_t off, uint64_t len)
{
	struct rootfs_keep *k = arg;
	uint64_t b = off / SPAN_BLOCK, end = (off + len) / SPAN_BLOCK;
	size_t i;

	if (!k->threaded)
		return;
	for (; b < end && b < k->nblocks; b++) {
		if (k->settled[b / 64] & 1ULL << b % 64)
			continue;
		k->settled[b / 64] |= 1ULL << b % 64;
		i = (size_t)(b / CHUNK_BLOCKS);
		if (++k->count[i] < (chunk_len(k, i) + SPAN_BLOCK - 1) /
				    SPAN_BLOCK)
			continue;
		pthread_mutex_lock(&k->lock);
		k->queue[k->tail++] = i;
		pthread_cond_signal(&k->more);
		pthread_mutex_unlock(&k->lock);
	}
}

/* stop - the copier done with what it was given: its result. */
static int stop(struct rootfs_keep *k, struct hpc_err *err)
{
	if (!k->threaded)
		return 0;
	pthread_mutex_lock(&k->lock);
	k->closing = true;
	pthread_cond_signal(&k->more);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	k->threaded = false;
	if (k->rc < 0 && err)
		*err = k->err;
	return k->rc;
}

static void keep_free(struct rootfs_keep *k)
{
	(void)stop(k, NULL);
	if (k->tmp)
		(void)unlink(k->tmp);
	cleanup_forget(k->handle);
	if (k->dst >= 0)
		close(k->dst);
	if (k->src.fd >= 0)
		close(k->src.fd);
	pthread_cond_destroy(&k->more);
	pthread_mutex_destroy(&k->lock);
	free(k->settled);
	free(k->count);
	free(k->sums);
	free(k->copied);
	free(k->queue);
	free(k->buf);
	free(k->tmp);
	free(k->image);
	free(k->key);
	free(k->cache);
	free(k);
}

static void alloc_tables(struct rootfs_keep *k)
{
	k->nchunks = rootfs_sum_chunks(k->src.size);
	k->nblocks = (k->src.size + SPAN_BLOCK - 1) / SPAN_BLOCK;
	k->settled = xcalloc(k->nblocks / 64 + 1, sizeof(*k->settled));
	k->count = xcalloc(k->nchunks + 1, sizeof(*k->count));
	k->sums = xcalloc(k->nchunks + 1, sizeof(*k->sums));
	k->copied = xcalloc(k->nchunks + 1, sizeof(*k->copied));
	k->queue = xcalloc(k->nchunks + 1, sizeof(*k->queue));
	k->buf = xmalloc(ROOTFS_SUM_CHUNK);
}

int rootfs_keep_start(const char *cache, const char *key, const char *image,
		      uint64_t offset, uint64_t size, struct rootfs_keep **ret,
		      struct hpc_err *err)
{
	struct rootfs_keep *k = xcalloc(1, sizeof(*k));
	int r = 0;

	k->cache = xstrdup(cache);
	k->key = xstrdup(key);
	k->image = xstrdup(image);
	k->src = (struct span){ .name = k->image, .off = offset,
				.size = size };
	k->dst = k->handle = -1;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->more, NULL);
	k->src.fd = open(image, O_RDONLY | O_CLOEXEC);
	if (k->src.fd < 0)
		r = err_set(err, -errno, "cannot open '%s': %s", image,
			    strerror(errno));
	if (r == 0)
		k->dst = rootfs_cache_new_content(cache, &k->tmp, &k->handle,
						  err);
	r = r < 0 ? r : k->dst < 0 ? k->dst : 0;
	if (r == 0 && ftruncate(k->dst, (off_t)size) < 0)
		r = err_set(err, -errno, "cannot size '%s': %s", k->tmp,
			    strerror(errno));
	if (r < 0) {
		keep_free(k);
		return r;
	}
	alloc_tables(k);
	/* without a thread, everything is copied at the end */
	k->threaded = pthread_create(&k->thread, NULL, copier, k) == 0;
	*ret = k;
	return 0;
}

int rootfs_keep_finish(struct rootfs_keep *k, struct hpc_err *err)
{
	uint8_t sum[ROOTFS_SUM_LEN];
	uint64_t at;
	int r = stop(k, err);

	for (size_t i = 0; r == 0 && i < k->nchunks; i++) {
		at = (uint64_t)i * ROOTFS_SUM_CHUNK;
		if (!k->copied[i] && span_has_data(&k->src, at,
						   chunk_len(k, i)))
			r = copy_chunk(k, i, k->buf, err);
	}
	if (r == 0 && rootfs_sum_total(k->sums, k->src.size, sum) < 0)
		r = err_set(err, -ENOMEM, "cannot start XXH3");
	if (r == 0)
		r = rootfs_cache_add(k->cache, k->key, k->tmp, k->dst, sum,
				     k->src.size, err);
	if (r == 0) {
		free(k->tmp);
		k->tmp = NULL;
	}
	keep_free(k);
	return r;
}

void rootfs_keep_abort(struct rootfs_keep *k)
{
	if (k)
		keep_free(k);
}
