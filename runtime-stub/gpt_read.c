/*
 * gpt_read: a small read-only GPT reader. See gpt_read.h.
 *
 * The layout follows the UEFI specification: a header in the second
 * logical block, an array of entries it points to, both guarded by CRC32.
 * Entries are read from the primary copy; of the backup, only that its
 * header is where the primary says. A pod image is never repaired here.
 */
#include "gpt_read.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GPT_SIGNATURE "EFI PART"
#define GPT_HEADER_MIN 92
#define GPT_ENTRY_MIN 128
/* More than any sane table; bounds what a broken header makes us read. */
#define GPT_ENTRIES_MAX_BYTES (4u * 1024 * 1024)

/* Both sector sizes a disk image can have been laid out with. */
static const unsigned gpt_sector_sizes[] = { 512, 4096 };

struct gpt_header {
	unsigned sector;
	uint64_t backup_lba;
	uint64_t entries_lba;
	uint32_t n_entries;
	uint32_t entry_size;
	uint32_t entries_crc;
};

static uint32_t gpt_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t r;
	size_t done = 0;

	while (done < n) {
		r = pread(fd, (uint8_t *)buf + done, n - done, off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENODATA;
		done += r;
	}
	return 0;
}

/* Check one header candidate in blk (a whole sector); 0 if valid. */
static int header_parse(uint8_t *blk, unsigned sector, struct gpt_header *h)
{
	uint32_t hsize = le32(blk + 12), crc = le32(blk + 16);

	if (memcmp(blk, GPT_SIGNATURE, 8))
		return -EINVAL;
	if (hsize < GPT_HEADER_MIN || hsize > sector)
		return -EBADMSG;
	memset(blk + 16, 0, 4);
	if (gpt_crc32(blk, hsize) != crc)
		return -EBADMSG;
	h->sector = sector;
	h->backup_lba = le64(blk + 32);
	h->entries_lba = le64(blk + 72);
	h->n_entries = le32(blk + 80);
	h->entry_size = le32(blk + 84);
	h->entries_crc = le32(blk + 88);
	if (h->entry_size < GPT_ENTRY_MIN || h->entry_size % 8 ||
	    (uint64_t)h->n_entries * h->entry_size > GPT_ENTRIES_MAX_BYTES)
		return -EBADMSG;
	return 0;
}

static int header_read(int fd, const char *path, struct gpt_header *h,
		       struct hpc_err *err)
{
	uint8_t blk[4096];
	int r = -EINVAL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(gpt_sector_sizes); i++) {
		unsigned s = gpt_sector_sizes[i];

		r = read_at(fd, blk, s, s);
		if (r == -ENODATA)
			break;
		if (r < 0)
			return err_set(err, -EIO, "cannot read '%s': %s",
				       path, strerror(-r));
		r = header_parse(blk, s, h);
		if (r != -EINVAL)
			break;
	}
	if (r == -EBADMSG)
		return err_set(err, -EINVAL,
			       "'%s' has a corrupt GPT header", path);
	if (r < 0)
		return err_set(err, -EINVAL, "'%s' is not a GPT disk", path);
	return 0;
}

/* The ASCII rendering of a UTF-16LE name of GPT_NAME_MAX units. */
static void entry_name(const uint8_t *raw, char out[GPT_NAME_MAX + 1])
{
	int i;

	for (i = 0; i < GPT_NAME_MAX; i++) {
		unsigned u = raw[2 * i] | raw[2 * i + 1] << 8;

		if (!u)
			break;
		out[i] = u < 0x80 ? (char)u : '?';
	}
	out[i] = '\0';
}

static bool entry_used(const uint8_t *e)
{
	static const uint8_t zero[16];

	return memcmp(e, zero, sizeof(zero)) != 0;
}

/* Search the entry array for name; 0 and *ret filled, or -ENOENT. */
static int entries_search(const uint8_t *tab, const struct gpt_header *h,
			  const char *name, struct gpt_part *ret)
{
	struct gpt_part p;
	uint64_t first, last;
	uint32_t i;

	for (i = 0; i < h->n_entries; i++) {
		const uint8_t *e = tab + (size_t)i * h->entry_size;

		if (!entry_used(e))
			continue;
		entry_name(e + 56, p.name);
		if (strcmp(p.name, name))
			continue;
		first = le64(e + 32);
		last = le64(e + 40);
		if (last < first || last >= UINT64_MAX / h->sector)
			return -ERANGE;
		p.offset = first * h->sector;
		p.size = (last - first + 1) * h->sector;
		*ret = p;
		return 0;
	}
	return -ENOENT;
}

/* The primary header and its checked entries, in *ret_tab (to free). */
static int table_read(int fd, const char *path, struct gpt_header *h,
		      uint8_t **ret_tab, struct hpc_err *err)
{
	uint8_t *tab;
	size_t len;
	int r;

	r = header_read(fd, path, h, err);
	if (r < 0)
		return r;
	len = (size_t)h->n_entries * h->entry_size;
	tab = xmalloc(len);
	if (h->entries_lba > UINT64_MAX / h->sector ||
	    read_at(fd, tab, len, h->entries_lba * h->sector) < 0)
		r = err_set(err, -EINVAL, "'%s' has a truncated GPT", path);
	else if (gpt_crc32(tab, len) != h->entries_crc)
		r = err_set(err, -EINVAL,
			    "'%s' has a corrupt GPT partition array", path);
	if (r < 0) {
		free(tab);
		return r;
	}
	*ret_tab = tab;
	return 0;
}

int gpt_find(int fd, const char *path, const char *name,
	     struct gpt_part *ret, struct hpc_err *err)
{
	struct gpt_header h;
	uint8_t *tab = NULL;
	int r;

	r = table_read(fd, path, &h, &tab, err);
	if (r < 0)
		return r;
	r = entries_search(tab, &h, name, ret);
	if (r == -ENOENT)
		err_set(err, r, "'%s' has no '%s' partition", path, name);
	else if (r < 0)
		err_set(err, -EINVAL, "'%s': partition '%s' has a bad range",
			path, name);
	free(tab);
	return r;
}

static int truncated(const char *path, const char *what, uint64_t end,
		     uint64_t size, const char *unit, struct hpc_err *err)
{
	return err_set(err, -EIO, "'%s': the image is truncated: %s ends at "
		       "%llu, the %s has %llu bytes", path, what,
		       (unsigned long long)end, unit,
		       (unsigned long long)size);
}

/* Every used entry ends within size bytes; -EIO naming the first not. */
static int entries_fit(const uint8_t *tab, const struct gpt_header *h,
		       const char *path, const struct gpt_fit *fit,
		       struct hpc_err *err)
{
	char name[GPT_NAME_MAX + 1], what[GPT_NAME_MAX + 16];
	uint64_t last;

	for (uint32_t i = 0; i < h->n_entries; i++) {
		const uint8_t *e = tab + (size_t)i * h->entry_size;

		if (!entry_used(e))
			continue;
		last = le64(e + 40);
		if (last < fit->size / h->sector)
			continue;
		entry_name(e + 56, name);
		snprintf(what, sizeof(what), "partition '%s'", name);
		return truncated(path, what,
				 last < UINT64_MAX / h->sector - 1 ?
				 (last + 1) * h->sector : UINT64_MAX,
				 fit->size, fit->unit, err);
	}
	return 0;
}

/* The backup header lies within the disk and, if readable, is one. */
static int backup_fits(int fd, const struct gpt_header *h, const char *path,
		       const struct gpt_fit *fit, struct hpc_err *err)
{
	uint8_t blk[4096];
	uint64_t at;

	if (h->backup_lba >= fit->size / h->sector)
		return truncated(path, "the backup GPT header",
				 h->backup_lba < UINT64_MAX / h->sector - 1 ?
				 (h->backup_lba + 1) * h->sector : UINT64_MAX,
				 fit->size, fit->unit, err);
	at = h->backup_lba * h->sector;
	if (fit->whole && (read_at(fd, blk, h->sector, at) < 0 ||
			   memcmp(blk, GPT_SIGNATURE, 8)))
		return err_set(err, -EINVAL, "'%s': no backup GPT header at "
			       "byte %llu, where the primary header says (the "
			       "image is damaged or truncated)", path,
			       (unsigned long long)at);
	return 0;
}

int gpt_check_fit(int fd, const char *path, const struct gpt_fit *fit,
		  struct hpc_err *err)
{
	struct gpt_header h;
	uint8_t *tab = NULL;
	int r;

	r = table_read(fd, path, &h, &tab, err);
	if (r < 0)
		return r;
	r = entries_fit(tab, &h, path, fit, err);
	if (r == 0)
		r = backup_fits(fd, &h, path, fit, err);
	free(tab);
	return r;
}
