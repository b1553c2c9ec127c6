/*
 * fuzz_layer: stage "pack" under hostile layers. The bytes are a layer
 * blob (tar, compressed or not): pass one applies it to an empty tree,
 * and when it is accepted and small, pass two writes the filesystem
 * into a scratch image, which then must pass ext2fs's own check of its
 * superblock and group descriptors.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "fuzz.h"
#include "rootfs.h"

#define FS_MAX (64u << 20)

static void check_fs(const char *img)
{
	ext2_filsys fs = NULL;

	if (ext2fs_open(img, 0, 0, 0, unix_io_manager, &fs))
		abort();
	if (ext2fs_check_desc(fs))
		abort();
	ext2fs_close_free(&fs);
}

static void write_fs(struct rootfs *fs)
{
	struct rootfs_opts o = { .time_clamp = -1, .reserve_percent = 10,
				 .label = "fuzz" };
	struct hpc_err err = { .msg = "" };
	char img[512];
	uint64_t size = rootfs_size(fs, &o);
	int fd;

	if (size > FS_MAX)
		return;
	snprintf(img, sizeof(img), "%s/fs.img", fuzz_dir());
	fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	close(fd);
	if (rootfs_write(fs, img, 0, size, &o, &err) == 0)
		check_fs(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hpc_err err = { .msg = "" };
	struct rootfs *fs = rootfs_new();
	const char *path;

	log_level = LOG_QUIET;
	path = fuzz_file("layer.tar", data, size);
	if (rootfs_add_layer(fs, path, "fuzz", &err) == 0)
		write_fs(fs);
	rootfs_free(fs);
	return 0;
}
