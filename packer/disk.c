/*
 * disk: the GPT of a pod image.
 *
 * Stage "pack", last step: the partitions (boot files, manifest, root
 * filesystems) are already written at the offsets disk_layout gave them;
 * disk_write_gpt then writes the protective MBR and both GPT copies with
 * util-linux's libfdisk. libfdisk would pick random GUIDs, so the disk GUID
 * and every partition GUID are set from the build's seed; it writes only
 * the table's own sectors, so partition content is left as it is. The
 * runtime stub and hpc-init find the partitions by the names given here.
 * See disk.h.
 */
#include "disk.h"

#include <errno.h>
#include <libfdisk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SECTOR 512
/* the backup GPT: 32 sectors of entries and its header */
#define GPT_TAIL_SECTORS 33
#define GUID_STR_LEN 37

static const char *const type_guids[] = {
	[DISK_PART_BIOS_BOOT] = "21686148-6449-6E6F-744E-656564454649",
	[DISK_PART_ESP] = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
	[DISK_PART_LINUX] = "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
};

static uint64_t align_up(uint64_t v)
{
	return (v + DISK_ALIGN - 1) / DISK_ALIGN * DISK_ALIGN;
}

void disk_layout(struct disk_part *parts, size_t n, uint64_t *ret_size)
{
	uint64_t off = DISK_ALIGN;	/* room for the primary GPT */
	size_t i;

	for (i = 0; i < n; i++) {
		parts[i].offset = off;
		off = align_up(off + parts[i].size);
	}
	/* and room for the backup GPT at the end */
	*ret_size = off + DISK_ALIGN;
}

/*
 * guid_from_seed - a GUID string for label, shaped like a random (version
 * 4) UUID so tools see nothing unusual, but derived from the seed.
 */
static void guid_from_seed(const uint8_t seed[DIGEST_LEN], const char *label,
			   char out[GUID_STR_LEN])
{
	uint8_t d[DIGEST_LEN];

	digest_derive(seed, label, d);
	d[6] = (d[6] & 0x0f) | 0x40;
	d[8] = (d[8] & 0x3f) | 0x80;
	snprintf(out, GUID_STR_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9],
		 d[10], d[11], d[12], d[13], d[14], d[15]);
}

static int name_ok(const char *name)
{
	size_t i, len = strnlen(name, sizeof(((struct disk_part *)0)->name));

	if (len == 0 || len == sizeof(((struct disk_part *)0)->name))
		return 0;
	for (i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return 0;
	return 1;
}

static int check_part(const struct disk_part *parts, size_t i,
		      uint64_t disk_size, struct hpc_err *err)
{
	const struct disk_part *p = &parts[i];
	size_t j;

	if (!name_ok(p->name))
		return err_set(err, -EINVAL, "partition %zu has no printable "
			       "ASCII name of 1 to 36 characters", i + 1);
	for (j = 0; j < i; j++)
		if (strcmp(parts[j].name, p->name) == 0)
			return err_set(err, -EINVAL, "partition name '%s' "
				       "used twice", p->name);
	if ((unsigned int)p->type >= ARRAY_SIZE(type_guids))
		return err_set(err, -EINVAL, "partition '%s' has an unknown "
			       "type", p->name);
	if (p->size == 0 || p->size % SECTOR || p->offset % DISK_ALIGN ||
	    p->offset < DISK_ALIGN || (i && p->offset < parts[i - 1].offset +
				       parts[i - 1].size))
		return err_set(err, -EINVAL, "partition '%s' is not laid out "
			       "(offset %llu, size %llu)", p->name,
			       (unsigned long long)p->offset,
			       (unsigned long long)p->size);
	if (p->offset + p->size > disk_size - GPT_TAIL_SECTORS * SECTOR)
		return err_set(err, -EINVAL, "partition '%s' ends past the "
			       "disk's last usable byte", p->name);
	return 0;
}

static int check_input(const char *image_path, const struct disk_part *parts,
		       size_t n, uint64_t disk_size, struct hpc_err *err)
{
	struct stat st;
	size_t i;
	int rc;

	if (stat(image_path, &st) < 0)
		return err_set(err, -errno, "cannot open disk image '%s': %s",
			       image_path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != disk_size ||
	    disk_size % DISK_ALIGN || disk_size < 2 * DISK_ALIGN)
		return err_set(err, -EINVAL, "disk image '%s' is %llu bytes, "
			       "not the disk's %llu", image_path,
			       (unsigned long long)st.st_size,
			       (unsigned long long)disk_size);
	for (i = 0; i < n; i++) {
		rc = check_part(parts, i, disk_size, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* fdisk_rc - libfdisk's status as -errno (it returns -errno or 1). */
static int fdisk_rc(int rc)
{
	return rc < 0 ? rc : -EIO;
}

static int add_part(struct fdisk_context *cxt, const struct disk_part *p,
		    size_t i, const uint8_t seed[DIGEST_LEN])
{
	struct fdisk_label *lb = fdisk_get_label(cxt, NULL);
	struct fdisk_partition *pa = fdisk_new_partition();
	struct fdisk_parttype *t;
	char guid[GUID_STR_LEN], *label;
	int rc;

	label = xasprintf("gpt-partition:%s", p->name);
	guid_from_seed(seed, label, guid);
	free(label);
	t = fdisk_label_get_parttype_from_string(lb, type_guids[p->type]);
	if (!pa || !t ||
	    fdisk_partition_set_partno(pa, i) ||
	    fdisk_partition_set_start(pa, p->offset / SECTOR) ||
	    fdisk_partition_set_size(pa, p->size / SECTOR) ||
	    fdisk_partition_set_name(pa, p->name) ||
	    fdisk_partition_set_uuid(pa, guid) ||
	    fdisk_partition_set_type(pa, t)) {
		rc = -ENOMEM;
		goto out;
	}
	rc = fdisk_add_partition(cxt, pa, NULL);
	if (rc)
		rc = fdisk_rc(rc);
out:
	fdisk_unref_partition(pa);
	return rc;
}

/* write_table - steps that need the device assigned to cxt. */
static int write_table(struct fdisk_context *cxt,
		       const struct disk_part *parts, size_t n,
		       const uint8_t seed[DIGEST_LEN], const char **ret_step)
{
	char guid[GUID_STR_LEN];
	size_t i;
	int rc;

	*ret_step = "create the partition table";
	rc = fdisk_create_disklabel(cxt, "gpt");
	if (rc)
		return fdisk_rc(rc);
	*ret_step = "set the disk GUID";
	guid_from_seed(seed, "gpt-disk", guid);
	rc = fdisk_set_disklabel_id_from_string(cxt, guid);
	if (rc)
		return fdisk_rc(rc);
	*ret_step = "add a partition";
	for (i = 0; i < n; i++) {
		rc = add_part(cxt, &parts[i], i, seed);
		if (rc)
			return rc;
	}
	*ret_step = "write the partition table";
	rc = fdisk_write_disklabel(cxt);
	return rc ? fdisk_rc(rc) : 0;
}

int disk_write_gpt(const char *image_path, const struct disk_part *parts,
		   size_t n, uint64_t disk_size, const uint8_t seed[DIGEST_LEN],
		   struct hpc_err *err)
{
	struct fdisk_context *cxt = NULL;
	const char *step = "open the disk image";
	int rc;

	rc = check_input(image_path, parts, n, disk_size, err);
	if (rc < 0)
		return rc;
	cxt = fdisk_new_context();
	if (!cxt)
		return err_set(err, -ENOMEM, "out of memory");
	/*
	 * No questions; 512-byte sectors whatever the host's disk has; and
	 * boot code already in the first 440 bytes (GRUB's) is kept.
	 */
	fdisk_disable_dialogs(cxt, 1);
	fdisk_save_user_sector_size(cxt, SECTOR, SECTOR);
	fdisk_enable_bootbits_protection(cxt, 1);
	rc = fdisk_assign_device(cxt, image_path, 0);
	if (rc) {
		rc = fdisk_rc(rc);
		goto out;
	}
	rc = write_table(cxt, parts, n, seed, &step);
	if (rc == 0) {
		/* no sync(2) of every file system: the image is synced
		 * once, before it is renamed into place */
		step = "close the disk image";
		rc = fdisk_deassign_device(cxt, 1);
		rc = rc ? fdisk_rc(rc) : 0;
	}
out:
	fdisk_unref_context(cxt);
	if (rc < 0)
		return err_set(err, rc, "cannot %s of '%s': %s", step,
			       image_path, strerror(-rc));
	return 0;
}
