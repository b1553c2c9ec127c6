/*
 * Unit tests for packer/grub.c: grub-mkimage's images for both platforms
 * (the same bytes on every run, the early config inside), and the BIOS
 * install into a GPT disk read back byte for byte: the core at its
 * partition with its blocklist pointing at itself, GRUB's boot code in
 * bytes 0..439 with its two patches, and the GPT's part of the MBR, and
 * the GPT itself (sgdisk -v), untouched whichever is written first.
 * Images that do not fit, or are not GRUB's, are refused before writing.
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "disk.h"
#include "grub.h"

#define MIB (1024 * 1024)
#define BOOT_IMG GRUB_LIB_DIR "/i386-pc/boot.img"

static char *path_in(void **state, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", (char *)*state, name) > 0);
	return p;
}

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

static uint8_t *slurp(const char *path, size_t *ret_len)
{
	struct hpc_err err = { "" };
	char *buf = NULL;

	if (read_file(path, 64 * MIB, &buf, ret_len, &err) < 0)
		fail_msg("%s", err.msg);
	return (uint8_t *)buf;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void make_core(void **state, const char *name)
{
	char *core = path_in(state, name);
	struct hpc_err err = { "" };

	if (grub_mkimage(GRUB_PC, NULL, "HPCESP", core, &err) < 0)
		fail_msg("grub_mkimage: %s", err.msg);
	free(core);
}

static void test_mkimage(void **state)
{
	char *a = path_in(state, "a.efi"), *b = path_in(state, "b.efi");
	char *c = path_in(state, "c.img"), *d = path_in(state, "d.img");
	static const char early[] = "search --no-floppy --label HPCESP "
				    "--set root\nset prefix=($root)/grub\n";
	struct hpc_err err = { "" };
	uint8_t *efi;
	size_t len;

	assert_int_equal(grub_mkimage(GRUB_EFI, NULL, "HPCESP", a, &err), 0);
	assert_int_equal(grub_mkimage(GRUB_EFI, NULL, "HPCESP", b, &err), 0);
	make_core(state, "c.img");
	make_core(state, "d.img");
	assert_int_equal(sh("cmp %s %s && cmp %s %s", a, b, c, d), 0);
	/* a PE image for x86-64 that carries the early config */
	efi = slurp(a, &len);
	assert_memory_equal(efi, "MZ", 2);
	assert_non_null(memmem(efi, len, early, strlen(early)));
	assert_int_equal(sh("file %s | grep -q 'PE32+.*EFI application"
			    ".*x86-64'", a), 0);
	/* the early config file is not left behind */
	assert_int_equal(sh("ls %s | grep -q early", (char *)*state), 1);
	free(efi);
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_mkimage_refused(void **state)
{
	char *out = path_in(state, "x");
	struct hpc_err err = { "" };

	assert_int_equal(grub_mkimage(GRUB_PC, NULL, "two words", out, &err),
			 -EINVAL);
	assert_int_equal(grub_mkimage(GRUB_PC, NULL, "x'$y", out, &err),
			 -EINVAL);
	assert_int_equal(grub_mkimage(GRUB_EFI, "/nonexistent", "HPCESP", out,
				      &err), -EIO);
	assert_non_null(strstr(err.msg, "grub-mkimage"));
	assert_non_null(strstr(err.msg, "/nonexistent"));
	free(out);
}

/* new_disk - a sparse GPT disk: hpc-bios at 1 MiB, one more partition. */
static void new_disk(const char *img, struct disk_part *p, uint64_t *size,
		     int gpt)
{
	uint8_t seed[DIGEST_LEN] = { 7 };
	struct hpc_err err = { "" };
	int fd;

	disk_layout(p, 2, size);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)*size), 0);
	close(fd);
	if (gpt && disk_write_gpt(img, p, 2, *size, seed, &err) < 0)
		fail_msg("%s", err.msg);
}

/* check_install - GRUB's pieces where they belong, the GPT intact. */
static void check_install(const char *img, const char *core_path,
			  const struct disk_part *bios, const uint8_t *mbr)
{
	size_t len, clen, blen;
	uint8_t *disk = slurp(img, &len), *core = slurp(core_path, &clen);
	uint8_t *boot = slurp(BOOT_IMG, &blen);
	uint64_t lba = bios->offset / 512;

	/* boot.img's code, told where the core is, NOPs over the check */
	assert_int_equal(get64(disk + 0x5c), lba);
	assert_memory_equal(disk + 0x66, "\x90\x90", 2);
	assert_memory_equal(disk, boot, 0x5c);
	assert_memory_equal(disk + 0x68, boot + 0x68, 440 - 0x68);
	/* the GPT's protective MBR is as the GPT writer left it */
	assert_memory_equal(disk + 440, mbr + 440, 72);
	/* the core, its second sector right after its first */
	assert_int_equal(get64(disk + bios->offset + 0x1f4), lba + 1);
	assert_memory_equal(disk + bios->offset, core, 0x1f4);
	assert_memory_equal(disk + bios->offset + 0x1fc, core + 0x1fc,
			    clen - 0x1fc);
	assert_int_equal(sh("sgdisk -v %s | grep -q 'No problems found'",
			    img), 0);
	free(disk);
	free(core);
	free(boot);
}

static void test_install(void **state)
{
	char *img = path_in(state, "disk"), *core = path_in(state, "core");
	struct disk_part p[] = {
		{ "hpc-bios", DISK_PART_BIOS_BOOT, 1 * MIB, 0 },
		{ "hpc-esp", DISK_PART_ESP, 4 * MIB, 0 },
	};
	uint8_t seed[DIGEST_LEN] = { 7 }, *mbr;
	struct hpc_err err = { "" };
	uint64_t size;
	size_t len;

	make_core(state, "core");
	/* GPT first, then GRUB */
	new_disk(img, p, &size, 1);
	mbr = slurp(img, &len);
	if (grub_install_bios(img, NULL, core, p[0].offset, p[0].size, &err))
		fail_msg("grub_install_bios: %s", err.msg);
	check_install(img, core, &p[0], mbr);
	/* GRUB first, then the GPT, as the pipeline does */
	new_disk(img, p, &size, 0);
	if (grub_install_bios(img, NULL, core, p[0].offset, p[0].size, &err))
		fail_msg("grub_install_bios: %s", err.msg);
	if (disk_write_gpt(img, p, 2, size, seed, &err) < 0)
		fail_msg("%s", err.msg);
	check_install(img, core, &p[0], mbr);
	free(mbr);
	free(img);
	free(core);
}

static void test_install_refused(void **state)
{
	char *img = path_in(state, "disk"), *core = path_in(state, "core");
	char *junk = path_in(state, "junk"), *lib = path_in(state, "lib");
	struct disk_part p[] = {
		{ "hpc-bios", DISK_PART_BIOS_BOOT, 1 * MIB, 0 },
		{ "hpc-esp", DISK_PART_ESP, 4 * MIB, 0 },
	};
	struct hpc_err err = { "" };
	uint64_t size;

	make_core(state, "core");
	new_disk(img, p, &size, 0);
	/* a partition too small for the core */
	assert_int_equal(grub_install_bios(img, NULL, core, p[0].offset,
					   64 * 1024, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "does not fit"));
	/* not a core image */
	assert_int_equal(sh("head -c 100000 /dev/urandom > %s", junk), 0);
	assert_int_equal(grub_install_bios(img, NULL, junk, p[0].offset,
					   p[0].size, &err), -EINVAL);
	/* a boot.img that is not GRUB's */
	assert_int_equal(sh("mkdir -p %s/i386-pc && head -c 512 /dev/zero "
			    "> %s/i386-pc/boot.img", lib, lib), 0);
	assert_int_equal(grub_install_bios(img, lib, core, p[0].offset,
					   p[0].size, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "boot.img"));
	/* the partition must lie inside the image */
	assert_int_equal(grub_install_bios(img, NULL, core, size - 512 * 1024,
					   p[0].size, &err), -EINVAL);
	/* nothing was written */
	assert_int_equal(sh("test -z \"$(od -An -tx1 %s | tr -d ' 0*\\n')\"",
			    img), 0);
	free(img);
	free(core);
	free(junk);
	free(lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkimage, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_mkimage_refused, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_install, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_install_refused, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
