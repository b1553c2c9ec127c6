/*
 * rootfs_sum: the content sum of a kept root filesystem. See
 * rootfs_sum.h.
 */
#include "rootfs_sum.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

size_t rootfs_sum_chunks(uint64_t size)
{
	return (size_t)((size + ROOTFS_SUM_CHUNK - 1) / ROOTFS_SUM_CHUNK);
}

/* Numbers are summed in the byte order of the disk. */
static void put_u64(XXH3_state_t *st, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	XXH3_128bits_update(st, b, sizeof(b));
}

static void canonical(XXH128_hash_t h, uint8_t ret[ROOTFS_SUM_LEN])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, h);
	memcpy(ret, c.digest, ROOTFS_SUM_LEN);
}

void rootfs_sum_chunk(const unsigned char *buf, size_t len, uint64_t index,
		      struct rootfs_chunk *ret)
{
	ret->data = !span_block_is_zero(buf, len);
	canonical(XXH3_128bits_withSeed(buf, len, index), ret->sum);
}

int rootfs_sum_total(const struct rootfs_chunk *chunks, uint64_t size,
		     uint8_t ret[ROOTFS_SUM_LEN])
{
	XXH3_state_t *st = XXH3_createState();
	size_t n = rootfs_sum_chunks(size);

	if (!st || XXH3_128bits_reset(st) != XXH_OK) {
		XXH3_freeState(st);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (!chunks[i].data)
			continue;
		put_u64(st, i);
		XXH3_128bits_update(st, chunks[i].sum, ROOTFS_SUM_LEN);
	}
	put_u64(st, size);
	canonical(XXH3_128bits_digest(st), ret);
	XXH3_freeState(st);
	return 0;
}

int rootfs_sum_span(const struct span *s, uint8_t ret[ROOTFS_SUM_LEN],
		    struct hpc_err *err)
{
	size_t n = rootfs_sum_chunks(s->size);
	struct rootfs_chunk *chunks = xcalloc(n ? n : 1, sizeof(*chunks));
	unsigned char *buf = xmalloc(ROOTFS_SUM_CHUNK);
	uint64_t at, len;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		at = (uint64_t)i * ROOTFS_SUM_CHUNK;
		len = s->size - at < ROOTFS_SUM_CHUNK ? s->size - at :
							 ROOTFS_SUM_CHUNK;
		if (!span_has_data(s, at, len))
			continue;
		r = span_read(s, buf, (size_t)len, at, err);
		if (r == 0)
			rootfs_sum_chunk(buf, (size_t)len, i, &chunks[i]);
	}
	if (r == 0 && rootfs_sum_total(chunks, s->size, ret) < 0)
		r = err_set(err, -ENOMEM, "cannot start XXH3");
	free(buf);
	free(chunks);
	return r;
}
