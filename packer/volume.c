/*
 * volume: a pod volume's partition. See volume.h.
 *
 * An ext4 volume is written to, unlike a root filesystem, so it gets
 * room: the size the pod asks (1 GiB by default, sparse in the image)
 * or what the content needs if that is more, and an inode for every
 * 16 KiB as mke2fs gives.
 */
#include "volume.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "diskfmt.h"
#include "rootfs.h"
#include "tarout.h"
#include "tool.h"

#define MIB (1ull << 20)
#define BYTES_PER_INODE 16384
#define RESERVE_PERCENT 10
#define BLOCK 4096

struct volume {
	const struct spec_volume *spec;
	struct rootfs *fs;	/* ext4 volumes */
	char *raw;		/* raw volumes: the bytes to copy */
	char *file;		/* a vfs volume of one file: its name */
	uint64_t size;
	uint8_t seed[DIGEST_LEN];
};

static char *source_path(const char *source, const char *pod_dir)
{
	if (source[0] == '/' || !strcmp(pod_dir, "."))
		return xstrdup(source);
	return xasprintf("%s/%s", pod_dir, source);
}

static uint64_t round_mib(uint64_t n)
{
	return (n + MIB - 1) / MIB * MIB;
}

static void seed_of(struct volume *vol, const char *content)
{
	struct digest_ctx *ctx = digest_new();
	const char *name = vol->spec->name;

	digest_update(ctx, "hpc-volume-1", 13);
	digest_update(ctx, name, strlen(name) + 1);
	if (content)
		digest_update(ctx, content, strlen(content) + 1);
	digest_final(ctx, vol->seed);
	digest_free(ctx);
}

/* The host tree at src as a tar at tmp, applied to a new tree. */
static int bake_tree(struct volume *vol, const char *src,
		     const struct stat *st, const char *tmp,
		     struct hpc_err *err)
{
	struct tarout *t = NULL;
	uint8_t d[DIGEST_LEN];
	char hex[65], *copy;
	int r;

	if (S_ISREG(st->st_mode)) {
		copy = xstrdup(src);
		vol->file = xstrdup(basename(copy));
		free(copy);
	}
	r = tarout_open(tmp, &t, err);
	if (r == 0)
		r = tarout_add_tree(t, src, vol->file ? vol->file : "", err);
	if (r == 0) {
		r = tarout_close(t, err);
		t = NULL;
	}
	tarout_abort(t);
	if (r == 0)
		r = rootfs_add_layer(vol->fs, tmp, src, err);
	if (r == 0)
		r = digest_file(tmp, d, err);
	if (r < 0)
		return r;
	digest_hex(d, hex);
	seed_of(vol, hex);
	return 0;
}

static int prepare_ext4(struct volume *vol, const char *what,
			const char *src, const char *tmp, struct hpc_err *err)
{
	struct rootfs_opts ro = { .reserve_percent = RESERVE_PERCENT };
	uint64_t want = vol->spec->size ? vol->spec->size
					: SPEC_VOLUME_DEFAULT_SIZE;
	struct stat st;
	int r = 0;

	vol->fs = rootfs_new();
	seed_of(vol, NULL);
	if (src) {
		if (stat(src, &st) < 0)
			return err_set(err, -errno, "%s.source: cannot read "
				       "'%s': %s", what, src, strerror(errno));
		/* a device or FIFO is no tree: its bytes could be endless */
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return err_set(err, -EINVAL, "%s.source: '%s' is %s, "
				       "not a directory or a regular file",
				       what, src, file_kind(st.st_mode));
		r = bake_tree(vol, src, &st, tmp, err);
		if (r < 0) {
			err_prefix(err, "%s.source", what);
			return r;
		}
	}
	vol->size = rootfs_size(vol->fs, &ro);
	if (vol->size < round_mib(want))
		vol->size = round_mib(want);
	return 0;
}

/*
 * check_ext4 - the guest mounts a raw or qcow2 volume as ext4 (ext2 and
 * ext3 too), so one without the superblock magic (0xEF53, little-endian,
 * 56 bytes into the superblock at 1024) would only fail at boot.
 */
static int check_ext4(const char *what, const char *src, const char *file,
		      struct hpc_err *err)
{
	unsigned char magic[2];
	struct stat st;
	int fd = open_regular(file, &st, err), r = 0;
	ssize_t n;

	if (fd < 0) {
		err_prefix(err, "%s.source", what);
		return fd;
	}
	n = pread(fd, magic, sizeof(magic), 1024 + 56);
	if (n < 0)
		r = err_set(err, -errno, "%s.source: cannot read '%s': %s",
			    what, file, strerror(errno));
	else if (n != sizeof(magic) || magic[0] != 0x53 || magic[1] != 0xef)
		r = err_set(err, -EINVAL, "%s.source: '%s' holds no ext4 "
			    "filesystem (expected the superblock magic 0xEF53 "
			    "at byte 1080; the guest mounts it as ext4)", what,
			    src);
	close(fd);
	return r;
}

static int prepare_raw(struct volume *vol, const char *what, const char *src,
		       const char *tmp, struct hpc_err *err)
{
	char *argv[] = { "qemu-img", "convert", "-q", "-f", "qcow2", "-O",
			 "raw", (char *)src, (char *)tmp, NULL };
	const char *file = src;
	struct stat st;
	int r;

	if (stat(src, &st) < 0)
		return err_set(err, -errno, "%s.source: cannot read '%s': %s",
			       what, src, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, -EINVAL, "%s.source: '%s' is %s, not a "
			       "regular file (a %s volume is a disk image "
			       "file)", what, src, file_kind(st.st_mode),
			       spec_volume_format_name(vol->spec->format));
	if (vol->spec->format == SPEC_VOLUME_QCOW2) {
		r = diskfmt_qcow2_whole(src, err);
		if (r < 0) {
			err_prefix(err, "%s.source", what);
			return r;
		}
		r = tool_run(argv, err);
		if (r < 0) {
			err_prefix(err, "%s.source: cannot convert '%s' from "
				   "qcow2", what, src);
			return r;
		}
		file = tmp;
		if (stat(file, &st) < 0)
			return err_set(err, -errno, "cannot read '%s': %s",
				       file, strerror(errno));
	}
	if (st.st_size == 0)
		return err_set(err, -EINVAL, "%s.source: '%s' is empty", what,
			       src);
	r = check_ext4(what, src, file, err);
	if (r < 0)
		return r;
	vol->raw = xstrdup(file);
	vol->size = round_mib((uint64_t)st.st_size);
	return 0;
}

int volume_prepare(const struct spec_volume *v, const char *what,
		   const char *pod_dir, const char *tmp, struct volume **ret,
		   struct hpc_err *err)
{
	struct volume *vol = xcalloc(1, sizeof(*vol));
	char *src = v->source ? source_path(v->source, pod_dir) : NULL;
	int r;

	vol->spec = v;
	if (v->format == SPEC_VOLUME_RAW || v->format == SPEC_VOLUME_QCOW2)
		r = prepare_raw(vol, what, src, tmp, err);
	else
		r = prepare_ext4(vol, what, src, tmp, err);
	free(src);
	if (r < 0) {
		volume_free(vol);
		return r;
	}
	*ret = vol;
	return 0;
}

uint64_t volume_size(const struct volume *vol)
{
	return vol->size;
}

const char *volume_file(const struct volume *vol)
{
	return vol->file;
}

static bool all_zero(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

/* The raw bytes, block by block, blocks of zeros left as holes. */
static int copy_raw(const char *src, int out, uint64_t offset,
		    uint64_t size, struct hpc_err *err)
{
	static char buf[1 << 20];
	uint64_t at = 0;
	size_t i, n;
	struct stat st;
	ssize_t got;
	int in = open_regular(src, &st, err), r = 0;

	if (in < 0)
		return in;
	while (r == 0 && (got = read(in, buf, sizeof(buf))) != 0) {
		if (got < 0 || at + (uint64_t)got > size) {
			r = err_set(err, got < 0 ? -errno : -EFBIG, "cannot "
				    "copy '%s': %s", src, got < 0 ?
				    strerror(errno) : "it grew");
			break;
		}
		for (i = 0; r == 0 && i < (size_t)got; i += n) {
			n = (size_t)got - i < BLOCK ? (size_t)got - i : BLOCK;
			if (!all_zero(buf + i, n) &&
			    pwrite(out, buf + i, n, (off_t)(offset + at + i)) !=
				    (ssize_t)n)
				r = err_set(err, -EIO, "cannot write the image: "
					    "%s", strerror(errno));
		}
		at += (uint64_t)got;
	}
	close(in);
	return r;
}

static int write_raw(struct volume *vol, const char *image, uint64_t offset,
		     uint64_t size, struct hpc_err *err)
{
	int fd = open(image, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s", image,
			       strerror(errno));
	r = copy_raw(vol->raw, fd, offset, size, err);
	if (close(fd) < 0 && r == 0)
		r = err_set(err, -errno, "cannot write '%s': %s", image,
			    strerror(errno));
	return r;
}

int volume_write(struct volume *vol, const char *image, uint64_t offset,
		 uint64_t size, int64_t clamp, struct hpc_err *err)
{
	struct rootfs_opts ro = {
		.time_clamp = clamp,
		.reserve_percent = RESERVE_PERCENT,
		.label = vol->spec->name,
		.min_inodes = (uint32_t)(size / BYTES_PER_INODE),
	};
	char label[17];
	int r;

	if (vol->raw)
		r = write_raw(vol, image, offset, size, err);
	else {
		snprintf(label, sizeof(label), "%s", vol->spec->name);
		ro.label = label;
		memcpy(ro.seed, vol->seed, sizeof(ro.seed));
		r = rootfs_write(vol->fs, image, offset, size, &ro, err);
	}
	if (r < 0)
		err_prefix(err, "volume '%s'", vol->spec->name);
	return r;
}

void volume_free(struct volume *vol)
{
	if (!vol)
		return;
	rootfs_free(vol->fs);
	free(vol->raw);
	free(vol->file);
	free(vol);
}
