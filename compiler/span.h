/*
 * span: a byte range of a file, read with its holes in mind. The result
 * cache copies and sums root filesystems as spans: a partition of the
 * image, or a kept file whole.
 */
#ifndef HPC_SPAN_H
#define HPC_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SPAN_BLOCK 4096u

struct span {
	int fd;
	const char *name;	/* for messages */
	uint64_t off, size;	/* [off, off + size) of the file */
};

/*
 * span_read - len bytes at at (relative to the span) into buf; a hole
 * reads as zeros. Returns 0, or -errno with a message naming the file.
 */
int span_read(const struct span *s, void *buf, size_t len, uint64_t at,
	      struct hpc_err *err);

/*
 * span_next_data - the next data run at or after *at, in whole blocks
 * (a span starts on a block boundary), clipped to the span: true with
 * [*at, *end) set, false when only holes follow.
 */
bool span_next_data(const struct span *s, uint64_t *at, uint64_t *end);

/* span_has_data - whether [at, at + len) of the span holds any data. */
bool span_has_data(const struct span *s, uint64_t at, uint64_t len);

/* span_block_is_zero - whether the len bytes at p are all zero. */
bool span_block_is_zero(const unsigned char *p, size_t len);

#endif
