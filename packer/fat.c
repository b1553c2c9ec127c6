/*
 * fat: a reproducible FAT16/FAT32 writer for the pod image's EFI system
 * partition. See fat.h.
 *
 * The files become a tree of directories, each sorted by name; every
 * name gets its 8.3 entry (with long name entries when it needs them).
 * The geometry follows from the size alone, and clusters are handed out
 * in one pre-order walk of the tree, so each file and directory is one
 * contiguous run and the same inputs always give the same layout. The
 * whole range is zeroed before anything is written, so free clusters
 * hold zeros and the output does not depend on what the image held.
 */
#include "fat.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECTOR 512
#define DIRENT 32
#define FAT16_ROOT_ENTRIES 512
#define FAT16_MIN_CLUSTERS 4085
#define FAT16_MAX_CLUSTERS 65524
#define FAT32_MIN_CLUSTERS 65525
#define FAT32_MAX_CLUSTERS 0x0ffffff5u
#define MAX_CLUSTER_BYTES 4096
#define FAT_TIME_MIN 315532800LL	/* 1980-01-01 00:00:00 UTC */
#define FAT_TIME_MAX 4354819198LL	/* 2107-12-31 23:59:58 UTC */
#define LFN_CHARS 13
#define LFN_MAX 255
#define COPY_CHUNK (1024 * 1024)

enum {
	ATTR_VOLUME = 0x08,
	ATTR_DIR = 0x10,
	ATTR_ARCHIVE = 0x20,
	ATTR_LFN = 0x0f,
};

struct node {
	char *name;
	const struct fat_file *file;	/* NULL for a directory */
	size_t index;			/* of file in the caller's array */
	uint64_t len;			/* a file's bytes, a directory's */
	struct node *parent;
	struct node **kids;
	size_t n_kids;
	uint8_t sname[11];		/* the 8.3 name, as on disk */
	int named;			/* sname is set */
	int lfn;			/* long name entries precede it */
	uint32_t cluster;		/* first cluster, 0 for none */
	uint32_t n_clusters;
};

struct geom {
	int fat32;
	uint32_t sectors;		/* of the whole filesystem */
	uint32_t spc;			/* sectors per cluster */
	uint32_t reserved;		/* sectors before the first FAT */
	uint32_t fat_sectors;		/* of one FAT */
	uint32_t root_sectors;		/* FAT16's fixed root directory */
	uint32_t data_start;		/* sector of cluster 2 */
	uint32_t clusters;
};

struct fat {
	struct node *root;
	struct geom g;
	uint32_t next;			/* the next free cluster */
	uint64_t offset;		/* of the filesystem in the image */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* ---- the tree ---- */

static struct node *node_new(const char *name, size_t len,
			     struct node *parent)
{
	struct node *nd = xcalloc(1, sizeof(*nd));

	nd->name = xstrndup(name, len);
	nd->parent = parent;
	if (parent) {
		parent->kids = xreallocarray(parent->kids, parent->n_kids + 1,
					     sizeof(*parent->kids));
		parent->kids[parent->n_kids++] = nd;
	}
	return nd;
}

static void node_free(struct node *nd)
{
	size_t i;

	if (!nd)
		return;
	for (i = 0; i < nd->n_kids; i++)
		node_free(nd->kids[i]);
	free(nd->kids);
	free(nd->name);
	free(nd);
}

/* name_ok - a long name FAT can hold: printable ASCII, no reserved mark. */
static int name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LFN_MAX || s[len - 1] == '.' ||
	    s[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || strchr("\"*/:<>?\\|", s[i]))
			return 0;
	return 1;
}

static struct node *find_kid(const struct node *dir, const char *name,
			     size_t len)
{
	size_t i;

	for (i = 0; i < dir->n_kids; i++)
		if (strlen(dir->kids[i]->name) == len &&
		    strncasecmp(dir->kids[i]->name, name, len) == 0)
			return dir->kids[i];
	return NULL;
}

static int file_len(const struct fat_file *f, uint64_t *ret,
		    struct hpc_err *err)
{
	struct stat st;

	if (!f->src) {
		*ret = f->len;
		return 0;
	}
	if (stat(f->src, &st) < 0)
		return err_set(err, -errno, "cannot read '%s': %s", f->src,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, -EINVAL, "'%s' is not a regular file",
			       f->src);
	*ret = (uint64_t)st.st_size;
	return 0;
}

/* tree_add - add files[i] and the directories above it to the tree. */
static int tree_add(struct node *root, const struct fat_file *files,
		    size_t i, struct hpc_err *err)
{
	const char *p = files[i].path, *end;
	struct node *dir = root, *nd;
	size_t len;
	int rc;

	if (*p == '/')
		p++;
	for (;;) {
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (!name_ok(p, len) || (len <= 2 && strncmp(p, "..", len) == 0))
			return err_set(err, -EINVAL, "'%s' is not a path FAT "
				       "can hold", files[i].path);
		nd = find_kid(dir, p, len);
		if (nd && (nd->file || !*end))
			return err_set(err, -EEXIST, "'%s' is given twice, or "
				       "as a file and a directory",
				       files[i].path);
		if (!nd)
			nd = node_new(p, len, dir);
		if (!*end)
			break;
		dir = nd;
		p = end + 1;
	}
	nd->file = &files[i];
	nd->index = i;
	rc = file_len(&files[i], &nd->len, err);
	if (rc < 0)
		return rc;
	if (nd->len > UINT32_MAX)
		return err_set(err, -EFBIG, "'%s' is larger than FAT's 4 GiB "
			       "limit", files[i].path);
	return 0;
}

static int kid_cmp(const void *a, const void *b)
{
	return strcmp((*(struct node *const *)a)->name,
		      (*(struct node *const *)b)->name);
}

static void tree_sort(struct node *dir)
{
	size_t i;

	if (dir->n_kids)
		qsort(dir->kids, dir->n_kids, sizeof(*dir->kids), kid_cmp);
	for (i = 0; i < dir->n_kids; i++)
		tree_sort(dir->kids[i]);
}

/* ---- names ---- */

static int short_char(int c)
{
	return isupper(c) || isdigit(c) || (c && strchr("!#$%&'()-@^_`{}~", c));
}

/* fits_83 - name is an 8.3 name once upper-cased; its form in out. */
static int fits_83(const char *name, uint8_t out[11])
{
	const char *dot = strrchr(name, '.');
	size_t base = dot ? (size_t)(dot - name) : strlen(name);
	size_t ext = dot ? strlen(dot + 1) : 0, i;

	if (base == 0 || base > 8 || ext > 3)
		return 0;
	memset(out, ' ', 11);
	for (i = 0; i < base; i++)
		if (!short_char(out[i] = (uint8_t)toupper(name[i])))
			return 0;
	for (i = 0; i < ext; i++)
		if (!short_char(out[8 + i] = (uint8_t)toupper(dot[1 + i])))
			return 0;
	return 1;
}

/* basis - the lossy 8.3 form of name: up to 8 + 3 valid characters. */
static size_t basis(const char *name, uint8_t out[11])
{
	const char *dot = strrchr(name, '.'), *p;
	const char *end = dot && dot != name ? dot : name + strlen(name);
	size_t n = 0, e = 0;

	memset(out, ' ', 11);
	for (p = name; p < end && n < 8; p++)
		if (*p != '.' && *p != ' ')
			out[n++] = short_char(toupper(*p)) ?
				   (uint8_t)toupper(*p) : '_';
	if (n == 0)
		out[n++] = '_';
	for (p = end < name + strlen(name) ? end + 1 : end; *p && e < 3; p++)
		if (*p != ' ')
			out[8 + e++] = short_char(toupper(*p)) ?
				       (uint8_t)toupper(*p) : '_';
	return n;
}

static int sname_taken(const struct node *dir, const uint8_t s[11])
{
	size_t i;

	for (i = 0; i < dir->n_kids; i++)
		if (dir->kids[i]->named && !memcmp(dir->kids[i]->sname, s, 11))
			return 1;
	return 0;
}

/* tail_name - basis with "~N" at its end, for the first free N. */
static void tail_name(const struct node *dir, struct node *nd)
{
	uint8_t s[11];
	char tail[12];
	size_t n = basis(nd->name, s), keep, t;
	unsigned long k;

	for (k = 1;; k++) {
		t = (size_t)snprintf(tail, sizeof(tail), "~%lu", k);
		keep = n < 8 - t ? n : 8 - t;
		memcpy(nd->sname, s, 11);
		memcpy(nd->sname + keep, tail, t);
		memset(nd->sname + keep + t, ' ', 8 - keep - t);
		if (!sname_taken(dir, nd->sname))
			break;
	}
}

/*
 * names_assign - the 8.3 names of dir's entries: names that fit keep
 * theirs (and get a long name only for their lower case), the others
 * take a numbered one that no sibling has.
 */
static void names_assign(struct node *dir)
{
	struct node *nd;
	size_t i;

	for (i = 0; i < dir->n_kids; i++) {
		nd = dir->kids[i];
		if (fits_83(nd->name, nd->sname)) {
			nd->named = 1;
			nd->lfn = nd->name[strcspn(nd->name,
					"abcdefghijklmnopqrstuvwxyz")] != 0;
		}
	}
	for (i = 0; i < dir->n_kids; i++) {
		nd = dir->kids[i];
		if (!nd->named) {
			tail_name(dir, nd);
			nd->named = 1;
			nd->lfn = 1;
		}
		names_assign(nd);
	}
}

static size_t entries_of(const struct node *nd)
{
	return nd->lfn ? 1 + (strlen(nd->name) + LFN_CHARS - 1) / LFN_CHARS
		       : 1;
}

/*
 * dir_sizes - each directory's length: its entries, and "." and "..", or
 * in the root the volume label (its slot is kept even without a label,
 * so the layout does not depend on it).
 */
static void dir_sizes(struct node *dir)
{
	size_t i, n = dir->parent ? 2 : 1;

	for (i = 0; i < dir->n_kids; i++) {
		n += entries_of(dir->kids[i]);
		if (!dir->kids[i]->file)
			dir_sizes(dir->kids[i]);
	}
	dir->len = (uint64_t)n * DIRENT;
}

/* ---- geometry and clusters ---- */

/* geom_try - the geometry for fat32 and this cluster size, if valid. */
static int geom_try(struct geom *g, uint64_t size, int fat32,
		    uint32_t cluster_bytes)
{
	uint32_t entry = fat32 ? 4 : 2, meta;

	memset(g, 0, sizeof(*g));
	g->fat32 = fat32;
	g->sectors = (uint32_t)(size / SECTOR);
	g->spc = cluster_bytes / SECTOR;
	g->root_sectors = fat32 ? 0 : FAT16_ROOT_ENTRIES * DIRENT / SECTOR;
	g->fat_sectors = (uint32_t)(((uint64_t)g->sectors / g->spc + 2) *
				    entry + SECTOR - 1) / SECTOR;
	g->reserved = fat32 ? 32 : 1;
	/* pad the reserved area so that clusters are aligned to their size */
	meta = g->reserved + 2 * g->fat_sectors + g->root_sectors;
	g->reserved += (g->spc - meta % g->spc) % g->spc;
	g->data_start = meta + (g->spc - meta % g->spc) % g->spc;
	if (g->data_start >= g->sectors)
		return 0;
	g->clusters = (g->sectors - g->data_start) / g->spc;
	if (fat32)
		return g->clusters >= FAT32_MIN_CLUSTERS &&
		       g->clusters <= FAT32_MAX_CLUSTERS;
	return g->clusters >= FAT16_MIN_CLUSTERS &&
	       g->clusters <= FAT16_MAX_CLUSTERS;
}

/*
 * geom_choose - FAT16 with the largest cluster (up to 4 KiB) that gives
 * it enough clusters; FAT32 once FAT16 would have too many.
 */
static int geom_choose(struct geom *g, uint64_t size, struct hpc_err *err)
{
	uint32_t cb;
	int fat32;

	if (size % SECTOR || size / SECTOR > UINT32_MAX)
		return err_set(err, -EINVAL, "a FAT filesystem of %llu bytes "
			       "is not a whole number of sectors, or too large",
			       (unsigned long long)size);
	for (fat32 = 0; fat32 <= 1; fat32++)
		for (cb = MAX_CLUSTER_BYTES; cb >= SECTOR; cb /= 2)
			if (geom_try(g, size, fat32, cb))
				return 0;
	return err_set(err, -ENOSPC, "a FAT filesystem of %llu bytes is too "
		       "small", (unsigned long long)size);
}

static int alloc_node(struct fat *f, struct node *nd, struct hpc_err *err)
{
	uint64_t cb = (uint64_t)f->g.spc * SECTOR;
	uint64_t n = (nd->len + cb - 1) / cb;
	size_t i;
	int rc;

	if (!nd->parent && !f->g.fat32) {
		if (nd->len > FAT16_ROOT_ENTRIES * DIRENT)
			return err_set(err, -ENOSPC, "too many names in the "
				       "FAT16 root directory");
		n = 0;
	} else if (!nd->file && n == 0) {
		n = 1;
	}
	if (n > f->g.clusters + 2 - f->next)
		return err_set(err, -ENOSPC, "the files do not fit in a FAT "
			       "filesystem of %llu bytes",
			       (unsigned long long)f->g.sectors * SECTOR);
	nd->cluster = n ? f->next : 0;
	nd->n_clusters = (uint32_t)n;
	f->next += (uint32_t)n;
	for (i = 0; i < nd->n_kids; i++) {
		rc = alloc_node(f, nd->kids[i], err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static uint64_t cluster_offset(const struct fat *f, uint32_t c)
{
	return f->offset + ((uint64_t)f->g.data_start +
			    (uint64_t)(c - 2) * f->g.spc) * SECTOR;
}

/* place - the geometry for size and every node's clusters. */
static int place(struct fat *f, uint64_t offset, uint64_t size,
		 struct hpc_err *err)
{
	int rc;

	rc = geom_choose(&f->g, size, err);
	if (rc < 0)
		return rc;
	f->offset = offset;
	f->next = 2;
	return alloc_node(f, f->root, err);
}

static void offsets_of(const struct fat *f, const struct node *nd,
		       uint64_t *ret)
{
	size_t i;

	if (nd->file)
		ret[nd->index] = nd->cluster ? cluster_offset(f, nd->cluster)
					     : 0;
	for (i = 0; i < nd->n_kids; i++)
		offsets_of(f, nd->kids[i], ret);
}

static uint64_t tree_bytes(const struct node *nd)
{
	uint64_t n = (nd->len + SECTOR - 1) / SECTOR * SECTOR;
	size_t i;

	for (i = 0; i < nd->n_kids; i++)
		n += tree_bytes(nd->kids[i]);
	return n;
}

static void fat_release(struct fat *f)
{
	node_free(f->root);
	f->root = NULL;
}

/* fat_init - the tree of files, sorted and named, not yet placed. */
static int fat_init(struct fat *f, const struct fat_file *files, size_t n,
		    struct hpc_err *err)
{
	size_t i;
	int rc;

	memset(f, 0, sizeof(*f));
	f->root = node_new("", 0, NULL);
	for (i = 0; i < n; i++) {
		rc = tree_add(f->root, files, i, err);
		if (rc < 0) {
			fat_release(f);
			return rc;
		}
	}
	tree_sort(f->root);
	names_assign(f->root);
	dir_sizes(f->root);
	return 0;
}

int fat_min_size(const struct fat_file *files, size_t n, uint64_t align,
		 uint64_t *ret_size, struct hpc_err *err)
{
	struct fat f;
	uint64_t size;
	int rc;

	if (align < SECTOR || (align & (align - 1)))
		return err_set(err, -EINVAL, "FAT alignment %llu is not a "
			       "power of two of at least 512",
			       (unsigned long long)align);
	rc = fat_init(&f, files, n, err);
	if (rc < 0)
		return rc;
	/* the content in 512-byte clusters is a lower bound */
	size = tree_bytes(f.root);
	size = (size + align - 1) / align * align;
	for (;; size += align) {
		rc = place(&f, 0, size, NULL);
		if (rc == 0 || size / SECTOR > UINT32_MAX)
			break;
	}
	fat_release(&f);
	if (rc < 0)
		return err_set(err, rc, "the files do not fit in any FAT "
			       "filesystem");
	*ret_size = size;
	return 0;
}

int fat_layout(const struct fat_file *files, size_t n, uint64_t offset,
	       uint64_t size, uint64_t *ret_offsets, struct hpc_err *err)
{
	struct fat f;
	int rc;

	rc = fat_init(&f, files, n, err);
	if (rc < 0)
		return rc;
	rc = place(&f, offset, size, err);
	if (rc == 0)
		offsets_of(&f, f.root, ret_offsets);
	fat_release(&f);
	return rc;
}

/* ---- writing ---- */

struct writer {
	struct fat *f;
	int fd;
	const char *path;
	uint8_t label[11];
	int has_label;
	uint32_t serial;
	uint16_t date, time;
	struct hpc_err *err;
};

static void fat_time(int64_t t, uint16_t *ret_date, uint16_t *ret_time)
{
	time_t tt;
	struct tm tm;

	if (t < FAT_TIME_MIN)
		t = FAT_TIME_MIN;
	if (t > FAT_TIME_MAX)
		t = FAT_TIME_MAX;
	tt = (time_t)t;
	gmtime_r(&tt, &tm);
	*ret_date = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 |
			       tm.tm_mday);
	*ret_time = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 |
			       tm.tm_sec / 2);
}

/* label_of - the label as the boot sector holds it: upper case, padded. */
static int label_of(const char *label, uint8_t out[11], struct hpc_err *err)
{
	size_t i, len = label ? strlen(label) : 0;

	memcpy(out, "NO NAME    ", 11);
	if (!label)
		return 0;
	if (len == 0 || len > 11 || label[0] == ' ')
		return err_set(err, -EINVAL, "FAT label '%s' is not 1 to 11 "
			       "characters", label);
	memset(out, ' ', 11);
	for (i = 0; i < len; i++) {
		out[i] = (uint8_t)toupper(label[i]);
		if (out[i] != ' ' && !short_char(out[i]))
			return err_set(err, -EINVAL, "FAT label '%s' has a "
				       "character FAT does not allow", label);
	}
	return 0;
}

static int put_bytes(struct writer *w, const void *buf, size_t len,
		     uint64_t off)
{
	int r = pwrite_all(w->fd, buf, len, off);

	if (r < 0)
		return err_set(w->err, r, "cannot write '%s': %s", w->path,
			       strerror(-r));
	return 0;
}

/* zero_range - zero the filesystem's bytes, as holes where possible. */
static int zero_range(struct writer *w, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[65536];
	size_t n;
	int rc;

	if (fallocate(w->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		return 0;
	for (; len; len -= n, off += n) {
		n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		rc = put_bytes(w, zeros, n, off);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* boot_sector - the BPB; the code only passes the boot on (int 18h). */
static void boot_sector(const struct writer *w, uint8_t *bs)
{
	const struct geom *g = &w->f->g;
	uint8_t *ext = bs + (g->fat32 ? 64 : 36);

	memcpy(bs, g->fat32 ? "\xeb\x58\x90" : "\xeb\x3c\x90", 3);
	memcpy(bs + 3, "MSWIN4.1", 8);
	put16(bs + 11, SECTOR);
	bs[13] = (uint8_t)g->spc;
	put16(bs + 14, (uint16_t)g->reserved);
	bs[16] = 2;
	put16(bs + 17, (uint16_t)(g->root_sectors * SECTOR / DIRENT));
	if (!g->fat32 && g->sectors < 65536)
		put16(bs + 19, (uint16_t)g->sectors);
	else
		put32(bs + 32, g->sectors);
	bs[21] = 0xf8;
	put16(bs + 24, 32);
	put16(bs + 26, 64);
	put32(bs + 28, (uint32_t)(w->f->offset / SECTOR));
	if (g->fat32) {
		put32(bs + 36, g->fat_sectors);
		put32(bs + 44, w->f->root->cluster);
		put16(bs + 48, 1);
		put16(bs + 50, 6);
	} else {
		put16(bs + 22, (uint16_t)g->fat_sectors);
	}
	ext[0] = 0x80;
	ext[2] = 0x29;
	put32(ext + 3, w->serial);
	memcpy(ext + 7, w->label, 11);
	memcpy(ext + 18, g->fat32 ? "FAT32   " : "FAT16   ", 8);
	memcpy(ext + 26, "\xcd\x18\xeb\xfe", 4);
	bs[510] = 0x55;
	bs[511] = 0xaa;
}

/* write_reserved - the boot sector; FAT32's FSInfo and their copies. */
static int write_reserved(struct writer *w)
{
	const struct geom *g = &w->f->g;
	uint8_t bs[SECTOR] = { 0 }, fsi[SECTOR] = { 0 };
	int rc;

	boot_sector(w, bs);
	rc = put_bytes(w, bs, SECTOR, w->f->offset);
	if (rc < 0 || !g->fat32)
		return rc;
	put32(fsi, 0x41615252);
	put32(fsi + 484, 0x61417272);
	put32(fsi + 488, g->clusters + 2 - w->f->next);
	put32(fsi + 492, w->f->next);
	put32(fsi + 508, 0xaa550000);
	rc = put_bytes(w, fsi, SECTOR, w->f->offset + SECTOR);
	if (rc == 0)
		rc = put_bytes(w, bs, SECTOR, w->f->offset + 6 * SECTOR);
	if (rc == 0)
		rc = put_bytes(w, fsi, SECTOR, w->f->offset + 7 * SECTOR);
	return rc;
}

static void fat_set(const struct geom *g, uint8_t *fat, uint32_t i,
		    uint32_t v)
{
	if (g->fat32)
		put32(fat + 4 * i, v & 0x0fffffff);
	else
		put16(fat + 2 * i, (uint16_t)v);
}

/* chain - each node's clusters, one run ending in end-of-chain. */
static void chain(const struct geom *g, uint8_t *fat, const struct node *nd)
{
	uint32_t c;
	size_t i;

	for (c = nd->cluster; c && c < nd->cluster + nd->n_clusters; c++)
		fat_set(g, fat, c, c + 1 < nd->cluster + nd->n_clusters ?
			c + 1 : 0x0fffffff);
	for (i = 0; i < nd->n_kids; i++)
		chain(g, fat, nd->kids[i]);
}

static int write_fats(struct writer *w)
{
	const struct geom *g = &w->f->g;
	size_t len = (size_t)g->fat_sectors * SECTOR;
	uint8_t *fat = xcalloc(1, len);
	uint64_t off = w->f->offset + (uint64_t)g->reserved * SECTOR;
	int rc;

	fat_set(g, fat, 0, 0x0fffff00 | 0xf8);
	fat_set(g, fat, 1, 0x0fffffff);		/* clean, no errors */
	chain(g, fat, w->f->root);
	rc = put_bytes(w, fat, len, off);
	if (rc == 0)
		rc = put_bytes(w, fat, len, off + len);
	free(fat);
	return rc;
}

static void put_short(const struct writer *w, uint8_t *e, const uint8_t *name,
		      uint8_t attr, uint32_t cluster, uint32_t size)
{
	memcpy(e, name, 11);
	e[11] = attr;
	put16(e + 14, w->time);
	put16(e + 16, w->date);
	put16(e + 18, w->date);
	put16(e + 20, (uint16_t)(cluster >> 16));
	put16(e + 22, w->time);
	put16(e + 24, w->date);
	put16(e + 26, (uint16_t)cluster);
	put32(e + 28, size);
}

static uint8_t lfn_sum(const uint8_t s[11])
{
	uint8_t sum = 0;
	size_t i;

	for (i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + s[i]);
	return sum;
}

/*
 * put_lfn - nd's long name entries at e, last part first as FAT wants;
 * the name ends in a NUL, the rest of its last entry is 0xffff.
 */
static size_t put_lfn(uint8_t *e, const struct node *nd)
{
	static const uint8_t pos[LFN_CHARS] = {
		1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30,
	};
	size_t len = strlen(nd->name), m = entries_of(nd) - 1, seq, i, k;
	uint8_t *p;

	for (seq = m; seq >= 1; seq--) {
		p = e + (m - seq) * DIRENT;
		p[0] = (uint8_t)(seq | (seq == m ? 0x40 : 0));
		p[11] = ATTR_LFN;
		p[13] = lfn_sum(nd->sname);
		for (i = 0; i < LFN_CHARS; i++) {
			k = (seq - 1) * LFN_CHARS + i;
			put16(p + pos[i], k < len ? (uint16_t)nd->name[k] :
				      k == len ? 0 : 0xffff);
		}
	}
	return m;
}

/* dir_bytes - dir's entries in a buffer of its on-disk length. */
static uint8_t *dir_bytes(const struct writer *w, const struct node *dir,
			  size_t *ret_len)
{
	const struct geom *g = &w->f->g;
	size_t len = dir->n_clusters ? (size_t)dir->n_clusters * g->spc *
				       SECTOR : g->root_sectors * SECTOR;
	uint8_t *buf = xcalloc(1, len), *e = buf;
	const struct node *nd;
	size_t i;

	if (dir->parent) {
		put_short(w, e, (const uint8_t *)".          ", ATTR_DIR,
			  dir->cluster, 0);
		/* ".." names the root as cluster 0, even on FAT32 */
		put_short(w, e + DIRENT, (const uint8_t *)"..         ",
			  ATTR_DIR, dir->parent->parent ?
			  dir->parent->cluster : 0, 0);
		e += 2 * DIRENT;
	} else if (w->has_label) {
		put_short(w, e, w->label, ATTR_VOLUME, 0, 0);
		e += DIRENT;
	}
	for (i = 0; i < dir->n_kids; i++) {
		nd = dir->kids[i];
		if (nd->lfn)
			e += put_lfn(e, nd) * DIRENT;
		put_short(w, e, nd->sname, nd->file ? ATTR_ARCHIVE : ATTR_DIR,
			  nd->cluster, nd->file ? (uint32_t)nd->len : 0);
		e += DIRENT;
	}
	*ret_len = len;
	return buf;
}

/*
 * copy_in_kernel - as much of the file as copy_file_range will copy, in
 * *done: the bytes never pass through this process (the kernel, 14 MB,
 * is the most of the partition). It may refuse (another file system),
 * and a file that shrank ends it early; the read loop goes on from there.
 */
static void copy_in_kernel(struct writer *w, int fd, const struct node *nd,
			   uint64_t off, uint64_t *done)
{
	loff_t out = (loff_t)off;
	ssize_t n;

	while (*done < nd->len) {
		n = copy_file_range(fd, NULL, w->fd, &out, nd->len - *done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		*done += (uint64_t)n;
	}
}

static int copy_src(struct writer *w, const struct node *nd, uint64_t off)
{
	uint8_t *buf = xmalloc(COPY_CHUNK);
	uint64_t done = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(nd->file->src, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = err_set(w->err, -errno, "cannot open '%s': %s",
			     nd->file->src, strerror(errno));
		goto out;
	}
	copy_in_kernel(w, fd, nd, off, &done);
	while (rc == 0 && (n = read(fd, buf, COPY_CHUNK)) != 0) {
		if (n < 0 || done + (uint64_t)n > nd->len) {
			rc = err_set(w->err, n < 0 ? -errno : -EIO, "cannot "
				     "read '%s': %s", nd->file->src, n < 0 ?
				     strerror(errno) : "it grew");
			break;
		}
		rc = put_bytes(w, buf, (size_t)n, off + done);
		done += (uint64_t)n;
	}
	if (rc == 0 && done != nd->len)
		rc = err_set(w->err, -EIO, "cannot read '%s': it shrank",
			     nd->file->src);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* write_node - a file's bytes, or a directory's entries and its files. */
static int write_node(struct writer *w, const struct node *nd)
{
	const struct geom *g = &w->f->g;
	uint64_t off;
	uint8_t *buf;
	size_t i, len;
	int rc;

	off = nd->cluster ? cluster_offset(w->f, nd->cluster) : w->f->offset +
	      (uint64_t)(g->reserved + 2 * g->fat_sectors) * SECTOR;
	if (nd->file && nd->len == 0)
		return 0;
	if (nd->file)
		return nd->file->src ? copy_src(w, nd, off) :
		       put_bytes(w, nd->file->data, nd->len, off);
	buf = dir_bytes(w, nd, &len);
	rc = put_bytes(w, buf, len, off);
	free(buf);
	for (i = 0; rc == 0 && i < nd->n_kids; i++)
		rc = write_node(w, nd->kids[i]);
	return rc;
}

static int open_image(const char *path, uint64_t end, struct hpc_err *err)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < end) {
		close(fd);
		return err_set(err, -EINVAL, "'%s' ends before the FAT "
			       "filesystem's last byte", path);
	}
	return fd;
}

int fat_write(const char *image_path, uint64_t offset, uint64_t size,
	      const struct fat_file *files, size_t n,
	      const struct fat_opts *o, uint64_t *ret_offsets,
	      struct hpc_err *err)
{
	struct fat f = { 0 };
	struct writer w = {
		.f = &f, .fd = -1, .path = image_path, .err = err,
		.has_label = o->label != NULL, .serial = o->serial,
	};
	int rc;

	if (offset % SECTOR || offset / SECTOR > UINT32_MAX)
		return err_set(err, -EINVAL, "FAT offset %llu is not a sector "
			       "within 2 TiB", (unsigned long long)offset);
	rc = label_of(o->label, w.label, err);
	if (rc < 0)
		return rc;
	fat_time(o->mtime, &w.date, &w.time);
	rc = fat_init(&f, files, n, err);
	if (rc < 0)
		return rc;
	rc = place(&f, offset, size, err);
	if (rc < 0)
		goto out;
	rc = w.fd = open_image(image_path, offset + size, err);
	if (rc < 0)
		goto out;
	rc = zero_range(&w, offset, size);
	if (rc == 0)
		rc = write_reserved(&w);
	if (rc == 0)
		rc = write_fats(&w);
	if (rc == 0)
		rc = write_node(&w, f.root);
	if (rc == 0 && ret_offsets)
		offsets_of(&f, f.root, ret_offsets);
out:
	if (w.fd >= 0 && close(w.fd) < 0 && rc == 0)
		rc = err_set(err, -errno, "cannot write '%s': %s", image_path,
			     strerror(errno));
	fat_release(&f);
	return rc;
}
