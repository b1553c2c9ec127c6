/*
 * transport_rootfs: dir:PATH and tar:FILE, a root filesystem taken as a
 * one-layer image. See transport_rootfs.h.
 *
 * Neither is copied: the pack stage reads the directory or the tarball
 * where it lies, as it reads an oci: layout's blobs.
 */
#include "transport_rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

/* How deep a directory tree may go before it is refused. */
#define MAX_DEPTH 256

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* One name's metadata in the tree's digest: what the layer will hold. */
static void hash_node(struct digest_ctx *ctx, const char *rel,
		      const char *full, const struct stat *st)
{
	char target[4096];
	ssize_t n = 0;
	char *line;

	if (S_ISLNK(st->st_mode))
		n = readlink(full, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	line = xasprintf("%s\n%o %u %u %lld %lld.%09ld %llu %s\n", rel,
			 (unsigned)st->st_mode, (unsigned)st->st_uid,
			 (unsigned)st->st_gid, (long long)st->st_size,
			 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			 (unsigned long long)st->st_rdev, target);
	digest_update(ctx, line, strlen(line) + 1);
	free(line);
}

/* Every name under full, sorted, never following a symlink. */
static int hash_tree(struct digest_ctx *ctx, const char *full,
		     const char *rel, int depth, struct hpc_err *err)
{
	struct dirent **names = NULL;
	struct stat st;
	char *f, *r;
	int n, i, rc = 0;

	if (depth > MAX_DEPTH)
		return err_set(err, -ELOOP, "'%s': deeper than %d directories",
			       full, MAX_DEPTH);
	n = scandir(full, &names, skip_dots, name_cmp);
	if (n < 0)
		return err_set(err, -errno, "cannot read directory '%s': %s",
			       full, strerror(errno));
	for (i = 0; i < n; i++) {
		f = xasprintf("%s/%s", full, names[i]->d_name);
		r = xasprintf("%s/%s", rel, names[i]->d_name);
		if (rc == 0 && lstat(f, &st) < 0)
			rc = err_set(err, -errno, "cannot stat '%s': %s", f,
				     strerror(errno));
		if (rc == 0)
			hash_node(ctx, r, f, &st);
		if (rc == 0 && S_ISDIR(st.st_mode))
			rc = hash_tree(ctx, f, r, depth + 1, err);
		free(f);
		free(r);
		free(names[i]);
	}
	free(names);
	return rc;
}

static void one_layer(struct image *img, const char *path,
		      const uint8_t sum[DIGEST_LEN], const char *media_type,
		      uint64_t size)
{
	struct image_layer *l;

	img->layers = xcalloc(1, sizeof(*img->layers));
	img->n_layers = 1;
	l = &img->layers[0];
	l->path = xstrdup(path);
	digest_format(sum, l->digest);
	l->media_type = xstrdup(media_type);
	l->size = size;
	/* an empty config, named by the layer it goes with */
	memcpy(img->config_digest, l->digest, DIGEST_STR_LEN);
}

int transport_dir_open(const struct image_ref *ref,
		       const struct image_opts *opts, struct image *img,
		       struct hpc_err *err)
{
	struct digest_ctx *ctx;
	uint8_t sum[DIGEST_LEN];
	struct stat st;
	char *owner;
	int rc;

	if (stat(ref->path, &st) < 0)
		return err_set(err, -errno, "cannot open directory '%s': %s",
			       ref->path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, -ENOTDIR, "'%s' is not a directory",
			       ref->path);
	ctx = digest_new();
	owner = opts->owner_set ? xasprintf("owner %u:%u", opts->owner_uid,
					    opts->owner_gid) :
				  xstrdup("owner as found");
	digest_update(ctx, "hpc-dir-1", 10);
	digest_update(ctx, owner, strlen(owner) + 1);
	hash_node(ctx, ".", ref->path, &st);
	rc = hash_tree(ctx, ref->path, ".", 0, err);
	digest_final(ctx, sum);
	digest_free(ctx);
	free(owner);
	if (rc < 0)
		return rc;
	one_layer(img, ref->path, sum, ROOTFS_DIR_MEDIA_TYPE, 0);
	img->layers[0].owner_set = opts->owner_set;
	img->layers[0].owner_uid = opts->owner_uid;
	img->layers[0].owner_gid = opts->owner_gid;
	return 0;
}

/* A tarball is refused now if libarchive cannot read its first header. */
static int check_tar(const char *path, struct hpc_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *msg;
	int r, rc = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	r = archive_read_open_filename(a, path, 1 << 16);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &e);
	if (r < ARCHIVE_WARN) {
		msg = archive_error_string(a);
		rc = err_set(err, -EINVAL, "'%s' is not a tar archive (%s)",
			     path, msg ? msg : "unreadable");
	}
	archive_read_free(a);
	return rc;
}

int transport_tar_open(const struct image_ref *ref,
		       const struct image_opts *opts, struct image *img,
		       struct hpc_err *err)
{
	uint8_t sum[DIGEST_LEN];
	struct stat st;
	int rc;

	(void)opts;
	if (stat(ref->path, &st) < 0)
		return err_set(err, -errno, "cannot open '%s': %s", ref->path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, -EINVAL, "'%s' is not a file", ref->path);
	rc = check_tar(ref->path, err);
	if (rc == 0)
		rc = digest_file(ref->path, sum, err);
	if (rc < 0)
		return rc;
	one_layer(img, ref->path, sum, "application/vnd.oci.image.layer.v1.tar",
		  (uint64_t)st.st_size);
	return 0;
}
