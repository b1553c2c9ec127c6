/*
 * stage: compressed layers' bytes kept between the passes. See stage.h.
 *
 * Each file starts on a 4 KiB boundary of the stage, so a run the host
 * filesystem reports as a hole (SEEK_HOLE) never covers another file's
 * bytes. Holes only save reading: where the host reports data for a
 * region nothing was put in, it reads as zeros, which the ext4 writer
 * turns into holes as it would have from the layer itself, so the image
 * does not depend on the host filesystem.
 *
 * Most files are small and come one after another, so both directions
 * go through a buffer of their own: puts that follow each other (across
 * the padding between files, which is zeros) become one write, and one
 * read serves the files that follow while they lie inside it.
 */
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util.h"

#define ALIGN 4096u
#define CHUNK (1u << 20)
/* how often the free space is looked at, and how much must stay free */
#define CHECK_EVERY (16u << 20)
#define MIN_FREE (64ull << 20)
/* space goes back in steps of this much as pass two reads */
#define RELEASE_STEP (4u << 20)

/* A buffer of CHUNK bytes standing for [at, at + len) of the stage. */
struct window {
	unsigned char *buf;
	uint64_t at;
	size_t len;
};

struct stage {
	int fd;
	uint64_t end;		/* the next free offset */
	struct window put;	/* bytes not written yet */
	struct window got;	/* bytes last read */
	uint64_t written;	/* bytes written, and when free space was */
	uint64_t checked;	/* last looked at */
	uint64_t released;	/* everything before is given back */
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
	free(s->put.buf);
	free(s->got.buf);
	free(s);
}

uint64_t stage_reserve(struct stage *s, uint64_t size)
{
	uint64_t at = s->end;

	s->end += (size + ALIGN - 1) / ALIGN * ALIGN;
	return at;
}

uint64_t stage_end(const struct stage *s)
{
	return s->end;
}

uint64_t stage_held(const struct stage *s)
{
	struct stat st;

	return fstat(s->fd, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* punch - give back the space of [from, to), where the filesystem can. */
static void punch(struct stage *s, uint64_t from, uint64_t to)
{
	if (to > from)
		(void)fallocate(s->fd, FALLOC_FL_PUNCH_HOLE |
				FALLOC_FL_KEEP_SIZE, (off_t)from,
				(off_t)(to - from));
}

void stage_release(struct stage *s, uint64_t upto)
{
	upto = upto / ALIGN * ALIGN;
	if (upto < s->released + RELEASE_STEP)
		return;
	punch(s, s->released, upto);
	s->released = upto;
}

void stage_discard(struct stage *s, uint64_t from)
{
	s->put.len = 0;
	s->got.len = 0;
	punch(s, from / ALIGN * ALIGN, s->end);
}

/*
 * room_left - whether the stage may grow: the image will want about as
 * much room as the stage holds, and gets it back from the stage only as
 * pass two reads, so a filesystem nearly full stops the staging.
 */
static bool room_left(struct stage *s)
{
	struct statvfs st;

	if (s->written - s->checked < CHECK_EVERY)
		return true;
	s->checked = s->written;
	if (fstatvfs(s->fd, &st) < 0)
		return true;
	return (uint64_t)st.f_bavail * st.f_frsize >= MIN_FREE;
}

static int write_all(struct stage *s, const void *buf, size_t len,
		     uint64_t at)
{
	s->written += len;
	if (!room_left(s))
		return -ENOSPC;
	return pwrite_all(s->fd, buf, len, at);
}

int stage_flush(struct stage *s)
{
	int r = s->put.len ? write_all(s, s->put.buf, s->put.len,
				       s->put.at) : 0;

	s->put.len = 0;
	return r;
}

int stage_put(struct stage *s, uint64_t at, const void *buf, size_t len)
{
	struct window *w = &s->put;
	uint64_t end = w->at + w->len;
	int r;

	if (!w->buf)
		w->buf = xmalloc(CHUNK);
	/* a put just past the buffered bytes joins them, zeros between */
	if (w->len && (at < end || at - end >= ALIGN ||
		       at - w->at + len > CHUNK)) {
		r = stage_flush(s);
		if (r < 0)
			return r;
	}
	if (len >= CHUNK)
		return write_all(s, buf, len, at);
	if (!w->len)
		w->at = at;
	memset(w->buf + w->len, 0, at - (w->at + w->len));
	memcpy(w->buf + (at - w->at), buf, len);
	w->len = at - w->at + len;
	return 0;
}

/* fill - the window with the bytes from at on: 0, or -errno. */
static int fill(struct stage *s, uint64_t at)
{
	struct window *w = &s->got;
	ssize_t n;

	if (!w->buf)
		w->buf = xmalloc(CHUNK);
	do
		n = pread(s->fd, w->buf, CHUNK, (off_t)at);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	w->at = at;
	w->len = (size_t)n;
	return 0;
}

/* read_run - [at, end) of the stage, for the file at base. */
static int read_run(struct stage *s, uint64_t base, uint64_t at,
		    uint64_t end, stage_read_fn fn, void *arg)
{
	struct window *w = &s->got;
	size_t from, n;
	int r;

	while (at < end) {
		if (at < w->at || at >= w->at + w->len) {
			r = fill(s, at);
			if (r < 0)
				return r;
			if (!w->len)
				return 0;	/* past what was ever put: zeros */
		}
		from = (size_t)(at - w->at);
		n = w->len - from;
		if (n > end - at)
			n = (size_t)(end - at);
		r = fn(at - base, w->buf + from, n, arg);
		if (r < 0)
			return r;
		at += n;
	}
	return 0;
}

int stage_read(struct stage *s, uint64_t base, uint64_t size,
	       stage_read_fn fn, void *arg)
{
	uint64_t at = base, stop = base + size;
	off_t d, h;
	int r = stage_flush(s);

	/* holes are worth looking for only where they can save reading */
	if (r < 0 || size <= CHUNK)
		return r < 0 ? r : read_run(s, base, base, stop, fn, arg);
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
