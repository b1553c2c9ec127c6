/*
 * stage: compressed layers' bytes kept between the passes. See stage.h.
 *
 * Each file starts on a 4 KiB boundary of the stage, so a run the host
 * filesystem reports as a hole (SEEK_HOLE) never covers another file's
 * bytes. Holes only save reading: where the host reports data for a
 * region nothing was put in, it reads as zeros, which the ext4 writer
 * turns into holes as it would have from the layer itself, so the image
 * does not depend on the host filesystem.
 */
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

#define ALIGN 4096u
#define CHUNK (1u << 20)

struct stage {
	int fd;
	uint64_t end;		/* the next free offset */
	unsigned char *buf;	/* CHUNK bytes for stage_read */
};

int stage_new(const char *dir, struct stage **ret)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	struct stage *s;

	if (fd < 0)
		return -errno;
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	*ret = s;
	return 0;
}

void stage_free(struct stage *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s->buf);
	free(s);
}

uint64_t stage_reserve(struct stage *s, uint64_t size)
{
	uint64_t at = s->end;

	s->end += (size + ALIGN - 1) / ALIGN * ALIGN;
	return at;
}

int stage_put(struct stage *s, uint64_t at, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(s->fd, p, len, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		p += n;
		at += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* read_run - [at, end) of the stage, for the file at base. */
static int read_run(struct stage *s, uint64_t base, uint64_t at,
		    uint64_t end, stage_read_fn fn, void *arg)
{
	size_t want;
	ssize_t n;
	int r;

	while (at < end) {
		want = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
		n = pread(s->fd, s->buf, want, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;	/* past what was ever put: zeros */
		r = fn(at - base, s->buf, (size_t)n, arg);
		if (r < 0)
			return r;
		at += (uint64_t)n;
	}
	return 0;
}

int stage_read(struct stage *s, uint64_t base, uint64_t size,
	       stage_read_fn fn, void *arg)
{
	uint64_t at = base, stop = base + size;
	off_t d, h;
	int r = 0;

	if (!s->buf)
		s->buf = xmalloc(CHUNK);
	while (r == 0 && at < stop) {
		d = lseek(s->fd, (off_t)at, SEEK_DATA);
		if (d < 0)
			return errno == ENXIO ? 0 : -errno;
		if ((uint64_t)d >= stop)
			break;
		h = lseek(s->fd, d, SEEK_HOLE);
		if (h < 0)
			return -errno;
		if ((uint64_t)h > stop)
			h = (off_t)stop;
		r = read_run(s, base, (uint64_t)d, (uint64_t)h, fn, arg);
		at = (uint64_t)h;
	}
	return r;
}
