/*
 * inflate: gzip layers inflated by ISA-L, one thread ahead of
 * libarchive. See inflate.h.
 *
 * The inflating thread fills a small ring of buffers; libarchive's read
 * callback lends one buffer at a time to the tar reader and hands it
 * back on its next call. Memory is the ring, whatever the layer's size.
 * A failure on the thread is kept and reported by the read callback once
 * the buffers filled before it are used, so libarchive says it once.
 */
#include "inflate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>

#include "util.h"

#define IN_SIZE (1u << 20)
#define OUT_SIZE (1u << 20)
#define NBUF 4

struct inflater {
	int fd;
	struct inflate_state st;
	unsigned char *in;
	bool in_eof;
	/* the ring: bufs[head] is the oldest full buffer */
	unsigned char *bufs[NBUF];
	size_t lens[NBUF];
	size_t head, count;
	bool lent;		/* bufs[head] is with libarchive */
	bool done, stop;
	int error;		/* an errno, once the thread failed */
	char msg[160];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started;
};

/* What ISA-L's failures mean, in words libarchive's gzip reader uses. */
static const struct {
	int code;
	const char *msg;
} isal_errors[] = {
	{ ISAL_INVALID_BLOCK, "invalid gzip data (bad deflate block)" },
	{ ISAL_INVALID_SYMBOL, "invalid gzip data (bad deflate symbol)" },
	{ ISAL_INVALID_LOOKBACK, "invalid gzip data (bad distance)" },
	{ ISAL_INVALID_WRAPPER, "invalid gzip header" },
	{ ISAL_UNSUPPORTED_METHOD, "unsupported gzip compression method" },
	{ ISAL_INCORRECT_CHECKSUM, "gzip checksum mismatch" },
};

static void set_failure(struct inflater *z, int error, const char *msg)
{
	z->error = error;
	snprintf(z->msg, sizeof(z->msg), "%s", msg);
}

static void isal_failure(struct inflater *z, int code)
{
	const char *msg = "cannot inflate gzip data";

	for (size_t i = 0; i < ARRAY_SIZE(isal_errors); i++)
		if (isal_errors[i].code == code)
			msg = isal_errors[i].msg;
	set_failure(z, EINVAL, msg);
}

/* refill - keep the unread input, and read more after it. */
static int refill(struct inflater *z)
{
	size_t keep = z->st.avail_in;
	ssize_t n;

	if (keep)	/* next_in is NULL before the first read */
		memmove(z->in, z->st.next_in, keep);
	do
		n = read(z->fd, z->in + keep, IN_SIZE - keep);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		set_failure(z, errno, strerror(errno));
		return -1;
	}
	z->in_eof = n == 0;
	z->st.next_in = z->in;
	z->st.avail_in = (uint32_t)(keep + (size_t)n);
	return 0;
}

/*
 * next_member - at the end of a gzip member: 1 when another member
 * follows (and the inflater is ready for it), 0 when the stream ends
 * here, whatever bytes follow, -1 on a read failure.
 */
static int next_member(struct inflater *z)
{
	unsigned char *next;
	uint32_t avail;

	if (z->st.avail_in < 2 && !z->in_eof && refill(z) < 0)
		return -1;
	next = z->st.next_in;
	avail = z->st.avail_in;
	if (avail < 2 || next[0] != 0x1f || next[1] != 0x8b)
		return 0;
	isal_inflate_reset(&z->st);
	z->st.crc_flag = ISAL_GZIP;
	z->st.next_in = next;
	z->st.avail_in = avail;
	return 1;
}

/* fill - inflate into buf: its length, 0 at the stream's end, or -1. */
static ssize_t fill(struct inflater *z, unsigned char *buf)
{
	int r;

	z->st.next_out = buf;
	z->st.avail_out = OUT_SIZE;
	while (z->st.avail_out) {
		if (z->st.block_state == ISAL_BLOCK_FINISH) {
			r = next_member(z);
			if (r < 0)
				return -1;
			if (r == 0)
				return (ssize_t)(OUT_SIZE - z->st.avail_out);
		}
		if (!z->st.avail_in && !z->in_eof && refill(z) < 0)
			return -1;
		if (!z->st.avail_in && z->in_eof &&
		    z->st.block_state != ISAL_BLOCK_FINISH) {
			set_failure(z, EINVAL, "truncated gzip input");
			return -1;
		}
		r = isal_inflate(&z->st);
		if (r < 0) {
			isal_failure(z, r);
			return -1;
		}
	}
	return OUT_SIZE;
}

/* produce - the thread: fill free buffers until the end or a failure. */
static void *produce(void *arg)
{
	struct inflater *z = arg;
	size_t slot;
	ssize_t n;

	for (;;) {
		pthread_mutex_lock(&z->lock);
		while (z->count == NBUF && !z->stop)
			pthread_cond_wait(&z->cond, &z->lock);
		slot = (z->head + z->count) % NBUF;
		if (z->stop) {
			pthread_mutex_unlock(&z->lock);
			return NULL;
		}
		pthread_mutex_unlock(&z->lock);
		n = fill(z, z->bufs[slot]);
		pthread_mutex_lock(&z->lock);
		if (n > 0) {
			z->lens[slot] = (size_t)n;
			z->count++;
		}
		z->done = n <= 0;
		pthread_cond_broadcast(&z->cond);
		pthread_mutex_unlock(&z->lock);
		if (n <= 0)
			return NULL;
	}
}

static la_ssize_t read_cb(struct archive *a, void *arg, const void **ret)
{
	struct inflater *z = arg;
	la_ssize_t n = 0;

	pthread_mutex_lock(&z->lock);
	if (z->lent) {
		z->head = (z->head + 1) % NBUF;
		z->count--;
		z->lent = false;
		pthread_cond_broadcast(&z->cond);
	}
	while (!z->count && !z->done)
		pthread_cond_wait(&z->cond, &z->lock);
	if (z->count) {
		*ret = z->bufs[z->head];
		n = (la_ssize_t)z->lens[z->head];
		z->lent = true;
	} else if (z->error) {
		archive_set_error(a, z->error, "%s", z->msg);
		n = -1;
	}
	pthread_mutex_unlock(&z->lock);
	return n;
}

static void inflater_free(struct inflater *z)
{
	if (z->started) {
		pthread_mutex_lock(&z->lock);
		z->stop = true;
		pthread_cond_broadcast(&z->cond);
		pthread_mutex_unlock(&z->lock);
		pthread_join(z->thread, NULL);
	}
	pthread_cond_destroy(&z->cond);
	pthread_mutex_destroy(&z->lock);
	for (size_t i = 0; i < NBUF; i++)
		free(z->bufs[i]);
	free(z->in);
	if (z->fd >= 0)
		close(z->fd);
	free(z);
}

static int close_cb(struct archive *a, void *arg)
{
	inflater_free(arg);
	return ARCHIVE_OK;
}

static struct inflater *inflater_new(int fd)
{
	struct inflater *z = xcalloc(1, sizeof(*z));

	z->fd = fd;
	z->in = xmalloc(IN_SIZE);
	for (size_t i = 0; i < NBUF; i++)
		z->bufs[i] = xmalloc(OUT_SIZE);
	isal_inflate_init(&z->st);
	z->st.crc_flag = ISAL_GZIP;
	pthread_mutex_init(&z->lock, NULL);
	pthread_cond_init(&z->cond, NULL);
	return z;
}

/* is_gzip - whether the file starts with gzip's magic; keeps the offset. */
static int is_gzip(int fd)
{
	unsigned char magic[2];

	return pread(fd, magic, sizeof(magic), 0) == 2 && magic[0] == 0x1f &&
	       magic[1] == 0x8b;
}

static int open_gzip(struct archive *a, int fd)
{
	struct inflater *z = inflater_new(fd);
	int r;

	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r = pthread_create(&z->thread, NULL, produce, z);
	if (r) {
		inflater_free(z);
		archive_set_error(a, r, "cannot start a thread: %s",
				  strerror(r));
		return ARCHIVE_FATAL;
	}
	z->started = true;
	/* from here libarchive owns z and frees it with close_cb */
	return archive_read_open(a, z, NULL, read_cb, close_cb);
}

int inflate_open(struct archive *a, const char *path, bool *ret_gzip)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool gzip;

	if (fd < 0) {
		archive_set_error(a, errno, "cannot open '%s': %s", path,
				  strerror(errno));
		return ARCHIVE_FATAL;
	}
	gzip = is_gzip(fd);
	if (ret_gzip)
		*ret_gzip = gzip;
	if (gzip)
		return open_gzip(a, fd);
	close(fd);
	return archive_read_open_filename(a, path, 1 << 16);
}
