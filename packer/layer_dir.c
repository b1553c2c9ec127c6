/*
 * layer_dir: a host directory read as one layer. See layer_dir.h.
 *
 * libarchive's disk reader gives each name its own header with the
 * inode's device and number; a name of an inode already seen becomes a
 * hardlink to the first name, so the host's hardlinks stay one inode in
 * ext4. The disk reader walks in the order readdir gives, which is the
 * same for both passes over an unchanged directory; pass two checks
 * each file it copies against what pass one saw.
 */
#include "layer_dir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct seen_inode {
	dev_t dev;
	ino_t ino;
	char *name;
};

struct layer_dir {
	struct archive *a;
	char *root;		/* path without trailing '/' */
	size_t root_len;
	struct layer_owner owner;
	struct seen_inode *seen;
	size_t n_seen;
	char *name;		/* the current entry's name */
};

static int dir_fail(struct archive *a, const char *what, struct hpc_err *err)
{
	int e = archive_errno(a);
	const char *msg = archive_error_string(a);

	return err_set(err, e > 0 ? -e : -EIO, "directory '%s': %s", what,
		       msg ? msg : "cannot read");
}

int layer_dir_open(const char *path, const char *what,
		   const struct layer_owner *owner, struct layer_dir **ret,
		   struct archive **ret_a, struct hpc_err *err)
{
	struct layer_dir *d = xcalloc(1, sizeof(*d));
	int r;

	d->root = xstrdup(path);
	d->root_len = strlen(d->root);
	while (d->root_len > 1 && d->root[d->root_len - 1] == '/')
		d->root[--d->root_len] = '\0';
	if (!strcmp(d->root, "/"))
		d->root_len = 0;
	if (owner)
		d->owner = *owner;
	d->a = archive_read_disk_new();
	if (!d->a) {
		layer_dir_free(d);
		return err_set(err, -ENOMEM, "directory '%s': out of memory",
			       what);
	}
	/* symlinks are entries, never followed, but for the path itself
	 * (a link to the tree, as tar -H takes it); ACLs have no place in
	 * ext4 here */
	archive_read_disk_set_symlink_hybrid(d->a);
	archive_read_disk_set_behavior(d->a, ARCHIVE_READDISK_NO_ACL);
	if (archive_read_disk_open(d->a, d->root) != ARCHIVE_OK) {
		r = dir_fail(d->a, what, err);
		layer_dir_free(d);
		return r;
	}
	*ret = d;
	*ret_a = d->a;
	return 0;
}

/* The first name of a host inode with several, or NULL. */
static const char *seen_name(struct layer_dir *d, struct archive_entry *ae,
			     const char *name)
{
	dev_t dev = archive_entry_dev(ae);
	ino_t ino = (ino_t)archive_entry_ino64(ae);
	size_t i;

	for (i = 0; i < d->n_seen; i++)
		if (d->seen[i].dev == dev && d->seen[i].ino == ino)
			return d->seen[i].name;
	d->seen = xreallocarray(d->seen, d->n_seen + 1, sizeof(*d->seen));
	d->seen[d->n_seen++] = (struct seen_inode){ .dev = dev, .ino = ino,
						    .name = xstrdup(name) };
	return NULL;
}

int layer_dir_fix(struct layer_dir *d, struct archive_entry *ae,
		  struct hpc_err *err)
{
	const char *full = archive_entry_pathname(ae), *first;

	if (!full || strncmp(full, d->root, d->root_len) != 0 ||
	    (full[d->root_len] && full[d->root_len] != '/'))
		return err_set(err, -EINVAL, "'%s': outside '%s'",
			       full ? full : "?", d->root);
	free(d->name);
	d->name = xstrdup(full[d->root_len] ? full + d->root_len + 1 : ".");
	archive_entry_set_pathname(ae, d->name);
	/* reading the tree changes its access times (even this build's own
	 * reading): the mtime stands for them, as in a tar without them */
	archive_entry_unset_atime(ae);
	if (d->owner.set) {
		archive_entry_set_uid(ae, d->owner.uid);
		archive_entry_set_gid(ae, d->owner.gid);
	}
	if (archive_entry_filetype(ae) != AE_IFDIR &&
	    archive_entry_nlink(ae) > 1) {
		first = seen_name(d, ae, d->name);
		if (first) {
			archive_entry_set_hardlink(ae, first);
			archive_entry_set_size(ae, 0);
		}
	}
	if (archive_read_disk_can_descend(d->a) &&
	    archive_read_disk_descend(d->a) != ARCHIVE_OK)
		return dir_fail(d->a, d->name, err);
	return 0;
}

void layer_dir_free(struct layer_dir *d)
{
	size_t i;

	if (!d)
		return;
	archive_read_free(d->a);
	for (i = 0; i < d->n_seen; i++)
		free(d->seen[i].name);
	free(d->seen);
	free(d->root);
	free(d->name);
	free(d);
}
