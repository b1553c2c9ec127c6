/*
 * diskfmt: tell raw from qcow2 and read a qcow2's ranges through
 * qemu-img. See diskfmt.h.
 */
#include "diskfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu.h"
#include "tool.h"

#define SECTOR 512
/* The qcow2 header (QEMU's docs/interop/qcow2.txt), big-endian. */
#define QCOW2_MAGIC "QFI\xfb"
#define QCOW2_VERSION_AT 4	/* u32 */
#define QCOW2_BACKING_AT 8	/* u64: where the backing file's name is */
#define QCOW2_SIZE_AT 24	/* u64: the virtual disk's size in bytes */
#define QCOW2_HEADER_MIN 32
#define QCOW2_INCOMPAT_AT 72	/* u64, version 3 on */
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)

static const char *const names[] = {
	[DISKFMT_RAW] = "raw",
	[DISKFMT_QCOW2] = "qcow2",
};

const char *diskfmt_name(enum diskfmt f)
{
	return names[f];
}

int diskfmt_parse(const char *s, enum diskfmt *ret)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*ret = (enum diskfmt)i;
			return 0;
		}
	}
	return -EINVAL;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int diskfmt_qcow2_whole(const char *path, struct hpc_err *err)
{
	uint8_t head[QCOW2_INCOMPAT_AT + 8] = { 0 };
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_set(err, -errno, "cannot read '%s': %s", path,
			       strerror(errno));
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n < QCOW2_HEADER_MIN || memcmp(head, QCOW2_MAGIC, 4))
		return err_set(err, -EINVAL, "'%s' is not a qcow2 image",
			       path);
	if (be64(head + QCOW2_BACKING_AT))
		return err_set(err, -EINVAL, "'%s' has a backing file "
			       "(expected a whole image; 'qemu-img convert "
			       "-O qcow2' makes one)", path);
	if (be32(head + QCOW2_VERSION_AT) >= 3 && n == (ssize_t)sizeof(head) &&
	    (be64(head + QCOW2_INCOMPAT_AT) & QCOW2_INCOMPAT_DATA_FILE))
		return err_set(err, -EINVAL, "'%s' keeps its data in an "
			       "external file (expected a whole image)", path);
	return 0;
}

/* "qemu-img check": metadata past the file's end is an error there. */
static int qcow2_check(const char *path, struct hpc_err *err)
{
	char *argv[] = { "qemu-img", "check", "-q", "-f", "qcow2",
			 (char *)path, NULL };
	int r = tool_run(argv, err);

	if (r == -EIO)
		err_prefix(err, "'%s' is a damaged or truncated qcow2 image",
			   path);
	return r;
}

int diskfmt_probe(const char *path, enum diskfmt *ret_fmt,
		  uint64_t *ret_size, struct hpc_err *err)
{
	uint8_t head[QCOW2_HEADER_MIN];
	struct stat st;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return err_set(err, r, "cannot read '%s': %s", path,
			       strerror(-r));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, -EINVAL, "'%s' is %s, not a disk image "
			       "file", path, file_kind(st.st_mode));
	}
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n < 4 || memcmp(head, QCOW2_MAGIC, 4)) {
		*ret_fmt = DISKFMT_RAW;
		*ret_size = (uint64_t)st.st_size;
		return 0;
	}
	if (n < QCOW2_HEADER_MIN)
		return err_set(err, -EINVAL, "'%s' is a truncated qcow2 image"
			       " (no whole header)", path);
	r = diskfmt_qcow2_whole(path, err);
	if (r == 0)
		r = qcow2_check(path, err);
	if (r < 0)
		return r;
	*ret_fmt = DISKFMT_QCOW2;
	*ret_size = be64(head + QCOW2_SIZE_AT);
	return 0;
}

int diskfmt_read_qcow2(const char *path, uint64_t offset, uint64_t size,
		       const char *dest, uint64_t *ret_skip,
		       struct hpc_err *err)
{
	uint64_t start = offset / SECTOR * SECTOR;
	uint64_t end = (offset + size + SECTOR - 1) / SECTOR * SECTOR;
	char *file = qemu_opt_escape(path), *opts;
	char *argv[] = { "qemu-img", "convert", "-O", "raw", "--image-opts",
			 NULL, (char *)dest, NULL };
	int r;

	/* the raw driver's offset and size select the range, in sectors */
	opts = xasprintf("driver=raw,offset=%llu,size=%llu,file.driver=qcow2,"
			 "file.file.driver=file,file.file.filename=%s",
			 (unsigned long long)start,
			 (unsigned long long)(end - start), file);
	argv[5] = opts;
	r = tool_run(argv, err);
	if (r < 0)
		err_prefix(err, "cannot read bytes %llu to %llu of '%s'",
			   (unsigned long long)offset,
			   (unsigned long long)(offset + size), path);
	else
		*ret_skip = offset - start;
	free(opts);
	free(file);
	return r;
}
