/*
 * Unit tests for packer/fat.c: filesystems written into sparse images at
 * an offset, then judged by tools that are not ours: fsck.fat checks the
 * structure, mtools lists the names (long and 8.3) and reads every file
 * back. The layout is checked too: each file's bytes sit contiguously at
 * the offset fat_layout gave, two writes are byte-identical, the minimal
 * size holds the files, and bad input is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "fat.h"

#define MIB (1024 * 1024)
#define OFF (1 * MIB)

static const char cfg[] = "set timeout=0\n";
static char big[300000];
static char bootx[70000];

/* sh - run a shell command; its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* output_has - a line of cmd's output contains want. */
static int output_has(const char *cmd, const char *want)
{
	char line[512];
	FILE *p = popen(cmd, "r");
	int found = 0;

	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, want))
			found = 1;
	pclose(p);
	return found;
}

static void new_image(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static char *path_in(void **state, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", (char *)*state, name) > 0);
	return p;
}

/* The files of an ESP, one of them from a host file. */
static size_t esp_files(struct fat_file *f, const char *src)
{
	struct fat_file all[] = {
		{ .path = "vmlinuz", .data = big, .len = sizeof(big) },
		{ .path = "/initrd.img", .src = src },
		{ .path = "grub/grub.cfg", .data = cfg, .len = strlen(cfg) },
		{ .path = "EFI/BOOT/BOOTX64.EFI", .data = bootx,
		  .len = sizeof(bootx) },
		{ .path = "empty", .data = "", .len = 0 },
	};

	memcpy(f, all, sizeof(all));
	return ARRAY_SIZE(all);
}

static void write_src(const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i;

	assert_non_null(f);
	for (i = 0; i < 100000; i++)
		fputc((int)(i % 253), f);
	fclose(f);
}

static void write_esp(const char *img, const char *src, uint64_t size,
		      uint64_t *offs)
{
	struct fat_file f[8];
	struct fat_opts o = { .label = "hpcesp", .serial = 0x1234abcd,
			      .mtime = 1700000000 };
	struct hpc_err err = { "" };
	uint64_t lay[8];
	size_t i, n = esp_files(f, src);

	new_image(img, OFF + size + MIB);
	assert_int_equal(fat_layout(f, n, OFF, size, lay, &err), 0);
	if (fat_write(img, OFF, size, f, n, &o, offs, &err) < 0)
		fail_msg("fat_write: %s", err.msg);
	for (i = 0; i < n; i++)
		assert_int_equal(lay[i], offs[i]);
}

/* fsck_ok - fsck.fat -n finds nothing wrong in the filesystem at OFF. */
static void fsck_ok(void **state, const char *img, uint64_t size)
{
	char *part = path_in(state, "part");

	assert_int_equal(sh("dd if=%s of=%s bs=1M skip=%d count=%llu "
			    "status=none", img, part, OFF / MIB,
			    (unsigned long long)(size / MIB)), 0);
	assert_int_equal(sh("fsck.fat -n %s >%s.log 2>&1", part, part), 0);
	free(part);
}

static void check_esp(void **state, uint64_t size, const char *fs_type)
{
	char *img = path_in(state, "img"), *src = path_in(state, "src");
	char *back = path_in(state, "back"), cmd[1024];
	uint64_t offs[8];
	int fd;
	char *buf = malloc(sizeof(big));

	write_src(src);
	write_esp(img, src, size, offs);
	fsck_ok(state, img, size);
	/* the boot sector says FAT16 or FAT32 */
	assert_int_equal(sh("dd if=%s bs=512 skip=%d count=1 status=none | "
			    "grep -qa '%s'", img, OFF / 512, fs_type), 0);
	/* mtools reads each file back, by its long name */
	assert_int_equal(sh("mcopy -n -i %s@@%d ::/initrd.img %s && cmp %s "
			    "%s", img, OFF, back, back, src), 0);
	assert_int_equal(sh("mtype -i %s@@%d ::/grub/grub.cfg | grep -qx "
			    "'set timeout=0'", img, OFF), 0);
	assert_int_equal(sh("mcopy -n -i %s@@%d ::/EFI/BOOT/BOOTX64.EFI %s",
			    img, OFF, back), 0);
	assert_int_equal(sh("test $(stat -c %%s %s) = %zu", back,
			    sizeof(bootx)), 0);
	snprintf(cmd, sizeof(cmd), "mdir -i %s@@%d ::/", img, OFF);
	assert_true(output_has(cmd, "initrd.img"));
	assert_true(output_has(cmd, "2023-11-14"));
	assert_true(output_has(cmd, "HPCESP"));
	/* the kernel's bytes are where the layout said, in one run */
	fd = open(img, O_RDONLY);
	assert_int_equal(pread(fd, buf, sizeof(big), (off_t)offs[0]),
			 (ssize_t)sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));
	assert_int_equal(offs[0] % 512, 0);
	assert_int_equal(offs[4], 0);	/* the empty file */
	close(fd);
	free(buf);
	free(img);
	free(src);
	free(back);
}

static void test_fat16(void **state)
{
	check_esp(state, 20 * MIB, "FAT16");
}

static void test_fat32(void **state)
{
	check_esp(state, 300 * MIB, "FAT32");
}

/* A tiny FAT16, with clusters smaller than a page. */
static void test_small(void **state)
{
	check_esp(state, 3 * MIB, "FAT16");
}

static void test_reproducible(void **state)
{
	char *a = path_in(state, "a"), *b = path_in(state, "b");
	char *src = path_in(state, "src");
	uint64_t offs[8];
	int fd;

	write_src(src);
	write_esp(a, src, 20 * MIB, offs);
	/* junk where the filesystem goes must not show in the result */
	new_image(b, OFF + 21 * MIB);
	fd = open(b, O_RDWR);
	assert_int_equal(pwrite(fd, "junk", 4, OFF + 5 * MIB), 4);
	close(fd);
	write_esp(b, src, 20 * MIB, offs);
	assert_int_equal(sh("cmp %s %s", a, b), 0);
	free(a);
	free(b);
	free(src);
}

/* Long names, lower case and names that share an 8.3 basis. */
static void test_names(void **state)
{
	char *img = path_in(state, "img"), cmd[512];
	struct fat_file f[] = {
		{ .path = "a very long name.text", .data = "1", .len = 1 },
		{ .path = "a very long nose.text", .data = "2", .len = 1 },
		{ .path = "UPPER.TXT", .data = "3", .len = 1 },
		{ .path = "Mixed.Case", .data = "4", .len = 1 },
		{ .path = "d1/d2/d3/deep-file-name-longer-than-26-chars",
		  .data = "5", .len = 1 },
		{ .path = "AVERYL~1.TEX", .data = "6", .len = 1 },
	};
	struct fat_opts o = { .label = NULL, .serial = 1 };
	struct hpc_err err = { "" };

	new_image(img, OFF + 4 * MIB);
	if (fat_write(img, OFF, 3 * MIB, f, ARRAY_SIZE(f), &o, NULL, &err))
		fail_msg("fat_write: %s", err.msg);
	fsck_ok(state, img, 3 * MIB);
	snprintf(cmd, sizeof(cmd), "mdir -i %s@@%d ::/", img, OFF);
	assert_true(output_has(cmd, "AVERYL~2 TEX"));
	assert_true(output_has(cmd, "AVERYL~3 TEX"));
	assert_true(output_has(cmd, "a very long nose.text"));
	assert_true(output_has(cmd, "Mixed.Case"));
	assert_true(output_has(cmd, "UPPER    TXT"));
	assert_int_equal(sh("mtype -i %s@@%d '::/a very long nose.text' | "
			    "grep -qx 2", img, OFF), 0);
	assert_int_equal(sh("mtype -i %s@@%d ::/AVERYL~1.TEX | grep -qx 6",
			    img, OFF), 0);
	assert_int_equal(sh("mtype -i %s@@%d "
			    "::/d1/d2/d3/deep-file-name-longer-than-26-chars "
			    "| grep -qx 5", img, OFF), 0);
	free(img);
}

static void test_min_size(void **state)
{
	char *src = path_in(state, "src");
	struct fat_file f[8];
	struct hpc_err err = { "" };
	uint64_t size = 0, lay[8];
	size_t n;

	write_src(src);
	n = esp_files(f, src);
	assert_int_equal(fat_min_size(f, n, MIB, &size, &err), 0);
	assert_int_equal(size % MIB, 0);
	assert_int_equal(fat_layout(f, n, OFF, size, lay, &err), 0);
	/* a big file needs its room */
	f[0].len = 20 * MIB;
	f[0].data = calloc(1, f[0].len);
	assert_int_equal(fat_min_size(f, n, MIB, &size, &err), 0);
	assert_true(size > 20 * MIB && size <= 22 * MIB);
	assert_int_equal(fat_layout(f, n, OFF, size, lay, &err), 0);
	assert_int_equal(fat_layout(f, n, OFF, size - MIB, lay, &err),
			 -ENOSPC);
	free((void *)f[0].data);
	free(src);
}

static void refused(struct fat_file *f, size_t n, int code)
{
	struct hpc_err err = { "" };
	uint64_t lay[8];

	assert_int_equal(fat_layout(f, n, OFF, 8 * MIB, lay, &err), code);
	assert_true(err.msg[0] != 0);
}

static void test_refused(void **state)
{
	struct fat_file twice[] = {
		{ .path = "grub/grub.cfg", .data = "", .len = 0 },
		{ .path = "GRUB/Grub.CFG", .data = "", .len = 0 },
	};
	struct fat_file file_dir[] = {
		{ .path = "grub", .data = "", .len = 0 },
		{ .path = "grub/grub.cfg", .data = "", .len = 0 },
	};
	struct fat_file bad[][1] = {
		{ { .path = "a*b", .data = "", .len = 0 } },
		{ { .path = "a//b", .data = "", .len = 0 } },
		{ { .path = "../x", .data = "", .len = 0 } },
		{ { .path = "dot.", .data = "", .len = 0 } },
		{ { .path = "", .data = "", .len = 0 } },
		{ { .path = "x", .src = "/nonexistent/file" } },
	};
	struct fat_file one = { .path = "x", .data = "", .len = 0 };
	struct fat_opts o = { .label = "far too long a label" };
	struct hpc_err err = { "" };
	uint64_t lay[1];
	size_t i;

	refused(twice, 2, -EEXIST);
	refused(file_dir, 2, -EEXIST);
	for (i = 0; i < ARRAY_SIZE(bad) - 1; i++)
		refused(bad[i], 1, -EINVAL);
	refused(bad[i], 1, -ENOENT);
	/* too small for FAT16's least cluster count */
	assert_int_equal(fat_layout(&one, 1, OFF, MIB, lay, &err), -ENOSPC);
	assert_int_equal(fat_write("/nonexistent", OFF, 8 * MIB, &one, 1, &o,
				   NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "label"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fat16, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_fat32, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_small, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_reproducible, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_names, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_min_size, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_refused, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
