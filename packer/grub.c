/*
 * grub: GRUB's images and the BIOS install. See grub.h.
 *
 * The BIOS install does by hand what grub-bios-setup does for a disk
 * with a BIOS boot partition: the core image goes at the partition's
 * first sector, its first sector (diskboot) is told where the rest of
 * the core is, and boot.img, told where the core starts, becomes the
 * MBR's boot code. The offsets patched are those of GRUB's boot.S and
 * diskboot.S; their default values are checked before anything is
 * written, so a GRUB laid out differently is refused, not half installed.
 */
#include "grub.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"
#include "cleanup.h"

#define SECTOR 512
#define MBR_CODE_LEN 440		/* boot code before the disk signature */
#define CORE_MAX (8 * 1024 * 1024)
/* boot.img: the LBA of the core's first sector (default 1) */
#define BOOT_KERNEL_SECTOR 0x5c
/* boot.img: a jmp that skips the BIOS drive check; NOPs for a disk */
#define BOOT_DRIVE_CHECK 0x66
/* diskboot (the core's first sector): the blocklist of the rest */
#define CORE_LIST_START 0x1f4		/* u64 LBA (default 2) */
#define CORE_LIST_LEN 0x1fc		/* u16 sectors */

static const char *const pc_modules[] = {
	"biosdisk", "part_gpt", "fat", "search", "search_label", "linux",
	"normal", "configfile", "echo", "serial", "terminal", NULL,
};

static const char *const efi_modules[] = {
	"part_gpt", "fat", "search", "search_label", "linux", "normal",
	"configfile", "echo", "serial", "terminal", "efi_gop", NULL,
};

static const struct {
	const char *format;		/* grub-mkimage -O, and the lib dir */
	const char *const *modules;
} platforms[] = {
	[GRUB_PC] = { "i386-pc", pc_modules },
	[GRUB_EFI] = { "x86_64-efi", efi_modules },
};

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int label_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= 11 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-_") == len;
}

static int write_text(const char *path, const char *text,
		      struct hpc_err *err)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f)
		return err_set(err, -errno, "cannot create '%s': %s", path,
			       strerror(errno));
	ok = fputs(text, f) >= 0;
	if (fclose(f) != 0 || !ok)
		return err_set(err, -EIO, "cannot write '%s'", path);
	return 0;
}

const char *grub_platform_name(enum grub_platform platform)
{
	if ((unsigned int)platform >= ARRAY_SIZE(platforms))
		return NULL;
	return platforms[platform].format;
}

int grub_mkimage(enum grub_platform platform, const char *lib_dir,
		 const char *fs_label, const char *out_path,
		 struct hpc_err *err)
{
	const char *const *m;
	char *early, *cfg_path, *dir, **argv = NULL;
	int rc, handle;

	if ((unsigned int)platform >= ARRAY_SIZE(platforms))
		return err_set(err, -EINVAL, "unknown GRUB platform %d",
			       (int)platform);
	if (!label_ok(fs_label))
		return err_set(err, -EINVAL, "'%s' is not a label GRUB's "
			       "early config can search for", fs_label);
	early = xasprintf("search --no-floppy --label %s --set root\n"
			  "set prefix=($root)/grub\n", fs_label);
	cfg_path = xasprintf("%s.early.cfg", out_path);
	dir = xasprintf("%s/%s", lib_dir ? lib_dir : GRUB_LIB_DIR,
			platforms[platform].format);
	handle = cleanup_add(cfg_path);
	rc = write_text(cfg_path, early, err);
	if (rc < 0)
		goto out;
	strv_push(&argv, "grub-mkimage");
	strv_take(&argv, xasprintf("--directory=%s", dir));
	strv_take(&argv, xasprintf("--format=%s", platforms[platform].format));
	strv_take(&argv, xasprintf("--output=%s", out_path));
	strv_take(&argv, xasprintf("--config=%s", cfg_path));
	strv_push(&argv, "--prefix=/grub");
	for (m = platforms[platform].modules; *m; m++)
		strv_push(&argv, *m);
	rc = tool_run(argv, err);
out:
	unlink(cfg_path);
	cleanup_forget(handle);
	strv_free(argv);
	free(early);
	free(cfg_path);
	free(dir);
	return rc;
}

/* check_core - the core image fits, and its blocklist is GRUB's default. */
static int check_core(const uint8_t *core, size_t len, const char *path,
		      uint64_t part_size, struct hpc_err *err)
{
	size_t sectors = (len + SECTOR - 1) / SECTOR;
	unsigned int list_len;

	if ((uint64_t)sectors * SECTOR > part_size)
		return err_set(err, -ENOSPC, "GRUB's core image '%s' (%zu "
			       "bytes) does not fit the BIOS boot partition "
			       "(%llu bytes)", path, len,
			       (unsigned long long)part_size);
	if (len < SECTOR)
		return err_set(err, -EINVAL, "'%s' is not a GRUB core image",
			       path);
	list_len = core[CORE_LIST_LEN] | core[CORE_LIST_LEN + 1] << 8;
	if (get64(core + CORE_LIST_START) != 2 || list_len != sectors - 1)
		return err_set(err, -EINVAL, "'%s' is not a GRUB i386-pc core "
			       "image laid out as expected", path);
	return 0;
}

/* read_boot_img - GRUB's MBR boot code, checked like the core. */
static int read_boot_img(const char *lib_dir, uint8_t boot[SECTOR],
			 struct hpc_err *err)
{
	char *path, *buf = NULL;
	size_t len;
	int rc;

	path = xasprintf("%s/i386-pc/boot.img", lib_dir ? lib_dir :
			 GRUB_LIB_DIR);
	rc = read_file(path, SECTOR, &buf, &len, err);
	if (rc < 0)
		goto out;
	memcpy(boot, buf, len < SECTOR ? len : SECTOR);
	if (len != SECTOR || boot[510] != 0x55 || boot[511] != 0xaa ||
	    get64(boot + BOOT_KERNEL_SECTOR) != 1 ||
	    boot[BOOT_DRIVE_CHECK] != 0xeb)
		rc = err_set(err, -EINVAL, "'%s' is not a GRUB boot image "
			     "laid out as expected", path);
out:
	free(buf);
	free(path);
	return rc;
}

/* write_both - the core at its partition, then boot code in the MBR. */
static int write_both(const char *image_path, const uint8_t *core,
		      size_t core_len, uint64_t part_offset,
		      const uint8_t *boot, uint64_t part_end,
		      struct hpc_err *err)
{
	struct stat st;
	int fd, rc;

	fd = open(image_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s",
			       image_path, strerror(errno));
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < part_end) {
		rc = err_set(err, -EINVAL, "'%s' ends before its BIOS boot "
			     "partition", image_path);
		goto out;
	}
	rc = pwrite_all(fd, core, core_len, part_offset);
	if (rc == 0)
		rc = pwrite_all(fd, boot, MBR_CODE_LEN, 0);
	if (rc < 0)
		err_set(err, rc, "cannot write '%s': %s", image_path,
			strerror(-rc));
out:
	if (close(fd) < 0 && rc == 0)
		rc = err_set(err, -errno, "cannot write '%s': %s",
			     image_path, strerror(errno));
	return rc;
}

int grub_install_bios(const char *image_path, const char *lib_dir,
		      const char *core_path, uint64_t part_offset,
		      uint64_t part_size, struct hpc_err *err)
{
	uint64_t lba = part_offset / SECTOR;
	uint8_t boot[SECTOR], *core = NULL;
	char *buf = NULL;
	size_t len, padded;
	int rc;

	if (part_offset % SECTOR || part_offset == 0)
		return err_set(err, -EINVAL, "BIOS boot partition at byte %llu "
			       "is not on a sector after the MBR",
			       (unsigned long long)part_offset);
	rc = read_file(core_path, CORE_MAX, &buf, &len, err);
	if (rc == 0)
		rc = check_core((uint8_t *)buf, len, core_path, part_size,
				err);
	if (rc == 0)
		rc = read_boot_img(lib_dir, boot, err);
	if (rc < 0)
		goto out;
	/* the core whole sectors; its second sector follows its first */
	padded = (len + SECTOR - 1) / SECTOR * SECTOR;
	core = xcalloc(1, padded);
	memcpy(core, buf, len);
	put64(core + CORE_LIST_START, lba + 1);
	/* boot.img loads the core's first sector; a disk needs no check */
	put64(boot + BOOT_KERNEL_SECTOR, lba);
	boot[BOOT_DRIVE_CHECK] = 0x90;
	boot[BOOT_DRIVE_CHECK + 1] = 0x90;
	rc = write_both(image_path, core, padded, part_offset, boot,
			part_offset + part_size, err);
out:
	free(core);
	free(buf);
	return rc;
}
