/*
 * rootfs_sum: the content sum that names a root filesystem kept in the
 * result cache. rootfs_keep sums a filesystem chunk by chunk as pass two
 * settles them; rootfs_cache sums a kept file whole, to check it.
 *
 * The sum is XXH3's 128 bits over, for each 1 MiB chunk that is not all
 * zeros, the chunk's number and XXH3's 128 bits of its bytes (seeded
 * with its number), then the length. Holes read as zeros, so a sparse
 * copy sums as its source does; a file cut or grown past its data is
 * another; and chunks can be summed in any order, each once its bytes
 * are final. It finds damage, not forgery: the cache is the user's own.
 */
#ifndef HPC_ROOTFS_SUM_H
#define HPC_ROOTFS_SUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"
#include "util.h"

#define ROOTFS_SUM_LEN 16
#define ROOTFS_SUM_CHUNK (1u << 20)

/* The sum of one chunk; data is false for a chunk of zeros. */
struct rootfs_chunk {
	uint8_t sum[ROOTFS_SUM_LEN];
	bool data;
};

/* rootfs_sum_chunks - how many chunks a span of size bytes has. */
size_t rootfs_sum_chunks(uint64_t size);

/*
 * rootfs_sum_chunk - the sum of chunk number index, whose len bytes
 * (ROOTFS_SUM_CHUNK, or less for a span's last) are at buf.
 */
void rootfs_sum_chunk(const unsigned char *buf, size_t len, uint64_t index,
		      struct rootfs_chunk *ret);

/*
 * rootfs_sum_total - the sum of a span of size bytes from the sums of
 * its rootfs_sum_chunks(size) chunks. Returns 0, or -ENOMEM.
 */
int rootfs_sum_total(const struct rootfs_chunk *chunks, uint64_t size,
		     uint8_t ret[ROOTFS_SUM_LEN]);

/*
 * rootfs_sum_span - the sum of the span, read here (chunks of holes are
 * skipped unread). Returns 0, or -errno with a message in err.
 */
int rootfs_sum_span(const struct span *s, uint8_t ret[ROOTFS_SUM_LEN],
		    struct hpc_err *err);

#endif
