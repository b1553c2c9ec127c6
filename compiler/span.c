/*
 * span: reading a byte range of a file. See span.h.
 */
#include "span.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int span_read(const struct span *s, void *buf, size_t len, uint64_t at,
	      struct hpc_err *err)
{
	ssize_t n = pread(s->fd, buf, len, (off_t)(s->off + at));

	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		return err_set(err, -EIO, "cannot read '%s': it ends before "
			       "byte %llu", s->name,
			       (unsigned long long)(s->off + at + len));
	return err_set(err, -errno, "cannot read '%s': %s", s->name,
		       strerror(errno));
}

bool span_next_data(const struct span *s, uint64_t *at, uint64_t *end)
{
	off_t d = lseek(s->fd, (off_t)(s->off + *at), SEEK_DATA), h;

	if (d < 0 || (uint64_t)d >= s->off + s->size)
		return false;
	h = lseek(s->fd, d, SEEK_HOLE);
	if (h < 0 || (uint64_t)h > s->off + s->size)
		h = (off_t)(s->off + s->size);
	*at = ((uint64_t)d - s->off) / SPAN_BLOCK * SPAN_BLOCK;
	*end = ((uint64_t)h - s->off + SPAN_BLOCK - 1) / SPAN_BLOCK *
	       SPAN_BLOCK;
	if (*end > s->size)
		*end = s->size;
	return true;
}

bool span_has_data(const struct span *s, uint64_t at, uint64_t len)
{
	uint64_t from = at, end;

	return span_next_data(s, &from, &end) && from < at + len;
}

bool span_block_is_zero(const unsigned char *p, size_t len)
{
	return !p[0] && !memcmp(p, p + 1, len - 1);
}
