/*
 * Unit tests for packer/disk.c: the layout arithmetic, and the GPT written
 * into a sparse image read back field by field: names, offsets, types,
 * GUIDs derived from the seed, partition content and boot code left alone,
 * and two writes byte-identical.
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

#include "disk.h"

#define MIB (1024 * 1024)

static void test_layout(void **state)
{
	struct disk_part p[] = {
		{ .name = "a", .size = 1 * MIB },
		{ .name = "b", .size = 3 * MIB },
		{ .name = "c", .size = 1 * MIB + 512 },	/* rounded after */
		{ .name = "d", .size = 2 * MIB },
	};
	uint64_t size = 0;

	disk_layout(p, ARRAY_SIZE(p), &size);
	assert_int_equal(p[0].offset, 1 * MIB);
	assert_int_equal(p[1].offset, 2 * MIB);
	assert_int_equal(p[2].offset, 5 * MIB);
	assert_int_equal(p[3].offset, 7 * MIB);
	assert_int_equal(size, 10 * MIB);

	disk_layout(NULL, 0, &size);
	assert_int_equal(size, 2 * MIB);
}

struct img {
	char path[128];
	struct disk_part parts[4];
	uint64_t size;
	uint8_t seed[DIGEST_LEN];
};

static const struct disk_part pod_parts[] = {
	{ .name = "hpc-bios", .type = DISK_PART_BIOS_BOOT, .size = 1 * MIB },
	{ .name = "hpc-esp", .type = DISK_PART_ESP, .size = 4 * MIB },
	{ .name = "hpc-manifest", .type = DISK_PART_LINUX, .size = 1 * MIB },
	{ .name = "hpc-root-0", .type = DISK_PART_LINUX, .size = 8 * MIB },
};

static void marker(char buf[32], const struct disk_part *p, int end)
{
	memset(buf, 0, 32);
	snprintf(buf, 32, "%s-%.24s", end ? "END" : "START", p->name);
}

/* img_new - a sparse image, a marker at each partition's start and end. */
static void img_new(struct img *im, const char *dir, const char *name)
{
	char m[32];
	size_t i;
	int fd;

	snprintf(im->path, sizeof(im->path), "%s/%s", dir, name);
	fd = open(im->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	memcpy(im->parts, pod_parts, sizeof(pod_parts));
	memset(im->seed, 0x5a, sizeof(im->seed));
	disk_layout(im->parts, ARRAY_SIZE(im->parts), &im->size);
	assert_int_equal(ftruncate(fd, (off_t)im->size), 0);
	for (i = 0; i < ARRAY_SIZE(im->parts); i++) {
		const struct disk_part *p = &im->parts[i];

		marker(m, p, 0);
		assert_int_equal(pwrite(fd, m, 32, (off_t)p->offset), 32);
		marker(m, p, 1);
		assert_int_equal(pwrite(fd, m, 32,
					(off_t)(p->offset + p->size - 32)),
				 32);
	}
	close(fd);
}

static unsigned char *img_read(const struct img *im)
{
	unsigned char *buf = xmalloc(im->size);
	int fd = open(im->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, im->size, 0), (ssize_t)im->size);
	close(fd);
	return buf;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* check_guid - stored (mixed-endian) GUID is the one derived from label. */
static void check_guid(const unsigned char *g, const uint8_t seed[],
		       const char *label)
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
				       8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t d[DIGEST_LEN];
	int i;

	digest_derive(seed, label, d);
	d[6] = (d[6] & 0x0f) | 0x40;
	d[8] = (d[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++)
		assert_int_equal(g[i], d[order[i]]);
}

static void check_entry(const unsigned char *e, const struct disk_part *p,
			const uint8_t seed[])
{
	static const unsigned char esp_type[16] = {
		0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
		0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
	};
	char label[64];
	size_t i;

	assert_int_equal(le64(e + 32), p->offset / 512);
	assert_int_equal(le64(e + 40), (p->offset + p->size) / 512 - 1);
	for (i = 0; i < strlen(p->name); i++) {
		assert_int_equal(e[56 + 2 * i], p->name[i]);
		assert_int_equal(e[57 + 2 * i], 0);
	}
	assert_int_equal(e[56 + 2 * i], 0);
	if (p->type == DISK_PART_ESP)
		assert_memory_equal(e, esp_type, 16);
	snprintf(label, sizeof(label), "gpt-partition:%s", p->name);
	check_guid(e + 16, seed, label);
}

static void test_write_gpt(void **state)
{
	unsigned char *b, *hdr, *bak;
	struct hpc_err err = { "" };
	struct img im;
	char m[32];
	size_t i;

	img_new(&im, *state, "disk.img");
	assert_int_equal(disk_write_gpt(im.path, im.parts, 4, im.size,
					im.seed, &err), 0);
	b = img_read(&im);
	assert_int_equal(b[510], 0x55);
	assert_int_equal(b[511], 0xaa);
	assert_int_equal(b[0x1c2], 0xee);	/* protective MBR */
	hdr = b + 512;
	bak = b + im.size - 512;
	assert_memory_equal(hdr, "EFI PART", 8);
	assert_memory_equal(bak, "EFI PART", 8);
	assert_int_equal(le64(hdr + 32), im.size / 512 - 1);
	check_guid(hdr + 56, im.seed, "gpt-disk");
	assert_memory_equal(hdr + 56, bak + 56, 16);
	for (i = 0; i < 4; i++) {
		check_entry(b + 1024 + 128 * i, &im.parts[i], im.seed);
		marker(m, &im.parts[i], 0);
		assert_memory_equal(b + im.parts[i].offset, m, 32);
		marker(m, &im.parts[i], 1);
		assert_memory_equal(b + im.parts[i].offset +
				    im.parts[i].size - 32, m, 32);
	}
	assert_int_equal(b[1024 + 128 * 4], 0);	/* no fifth entry */
	free(b);
}

static void test_reproducible_and_seeded(void **state)
{
	unsigned char *b1, *b2, *b3;
	struct hpc_err err = { "" };
	struct img a, c;

	img_new(&a, *state, "a.img");
	img_new(&c, *state, "c.img");
	assert_int_equal(disk_write_gpt(a.path, a.parts, 4, a.size, a.seed,
					&err), 0);
	sleep(1);
	assert_int_equal(disk_write_gpt(c.path, c.parts, 4, c.size, c.seed,
					&err), 0);
	b1 = img_read(&a);
	b2 = img_read(&c);
	assert_memory_equal(b1, b2, a.size);

	/* writing again over an existing table changes nothing */
	assert_int_equal(disk_write_gpt(c.path, c.parts, 4, c.size, c.seed,
					&err), 0);
	free(b2);
	b2 = img_read(&c);
	assert_memory_equal(b1, b2, a.size);

	/* another seed, other GUIDs */
	c.seed[0] ^= 1;
	assert_int_equal(disk_write_gpt(c.path, c.parts, 4, c.size, c.seed,
					&err), 0);
	b3 = img_read(&c);
	assert_memory_not_equal(b1 + 512 + 56, b3 + 512 + 56, 16);
	assert_memory_not_equal(b1 + 1024 + 16, b3 + 1024 + 16, 16);
	free(b1);
	free(b2);
	free(b3);
}

static void test_boot_code_kept(void **state)
{
	struct hpc_err err = { "" };
	unsigned char code[440], *b;
	struct img im;
	int fd;

	img_new(&im, *state, "disk.img");
	memset(code, 0xeb, sizeof(code));
	fd = open(im.path, O_WRONLY);
	assert_int_equal(pwrite(fd, code, sizeof(code), 0), sizeof(code));
	close(fd);
	assert_int_equal(disk_write_gpt(im.path, im.parts, 4, im.size,
					im.seed, &err), 0);
	b = img_read(&im);
	assert_memory_equal(b, code, sizeof(code));
	assert_int_equal(b[0x1c2], 0xee);
	free(b);
}

static void expect_einval(struct img *im, const char *what)
{
	struct hpc_err err = { "" };

	assert_int_equal(disk_write_gpt(im->path, im->parts, 4, im->size,
					im->seed, &err), -EINVAL);
	assert_non_null(strstr(err.msg, what));
}

static void test_errors(void **state)
{
	struct hpc_err err = { "" };
	struct img im;

	img_new(&im, *state, "disk.img");
	im.size += MIB;
	expect_einval(&im, "is 16777216 bytes, not the disk's 17825792");
	im.size -= MIB;

	snprintf(im.parts[2].name, sizeof(im.parts[2].name), "hpc-esp");
	expect_einval(&im, "'hpc-esp' used twice");
	im.parts[2].name[0] = '\0';
	expect_einval(&im, "partition 3 has no");
	snprintf(im.parts[2].name, sizeof(im.parts[2].name), "hpc-manifest");

	im.parts[3].offset -= MIB;	/* overlaps the manifest */
	expect_einval(&im, "'hpc-root-0' is not laid out");
	im.parts[3].offset += MIB;
	im.parts[3].size += MIB;	/* into the backup GPT */
	expect_einval(&im, "'hpc-root-0' ends past");
	im.parts[3].size -= MIB;

	assert_int_equal(disk_write_gpt("/nonexistent/img", im.parts, 4,
					im.size, im.seed, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "'/nonexistent/img'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test_setup_teardown(test_write_gpt, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(
			test_reproducible_and_seeded, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_boot_code_kept, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_errors, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
