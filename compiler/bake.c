/*
 * bake: the pod's files as one more layer. See bake.h.
 *
 * A reference's path is the file's full path, or a directory when it
 * ends in '/' or the image has a directory there, as cp and COPY treat
 * a destination; the layer rules then replace what the image had and
 * create missing parents (0755, root).
 */
#include "bake.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tarout.h"

#define ETC_MAX (4u << 20)

/* The image's account files, read once, when a name needs them. */
struct accounts {
	char *passwd, *group;
	bool read;
};

struct owner {
	uint32_t uid, gid;
};

static int read_accounts(struct rootfs *fs, struct accounts *acc,
			 struct hpc_err *err)
{
	size_t len;
	int r;

	if (acc->read)
		return 0;
	acc->read = true;
	r = rootfs_read_file(fs, "/etc/passwd", ETC_MAX, &acc->passwd, &len,
			     err);
	if (r < 0 && r != -ENOENT)
		return r;
	r = rootfs_read_file(fs, "/etc/group", ETC_MAX, &acc->group, &len,
			     err);
	return r == -ENOENT ? 0 : r;
}

static bool number(const char *s, uint32_t *ret)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	n = strtoull(s, &end, 10);
	if (*end || n > UINT32_MAX)
		return false;
	*ret = (uint32_t)n;
	return true;
}

static const char *next_line(const char *l)
{
	const char *nl = strchr(l, '\n');

	return nl ? nl + 1 : NULL;
}

/*
 * In text (passwd or group lines), the line for name: its field 2 (the
 * id) in *ret_id and, for passwd, field 3 (the group) in *ret_gid.
 */
static bool lookup(const char *text, const char *name, uint32_t *ret_id,
		   uint32_t *ret_gid)
{
	size_t n = strlen(name);
	const char *l, *f2, *f3;
	char id[16], gid[16];

	for (l = text; l && *l; l = next_line(l)) {
		if (strncmp(l, name, n) || l[n] != ':')
			continue;
		f2 = strchr(l + n + 1, ':');
		f3 = f2 ? strchr(f2 + 1, ':') : NULL;
		if (!f3)
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(f3 - f2 - 1), f2 + 1);
		snprintf(gid, sizeof(gid), "%.*s", (int)strcspn(f3 + 1, ":\n"),
			 f3 + 1);
		if (!number(id, ret_id))
			continue;
		if (ret_gid && !number(gid, ret_gid))
			*ret_gid = 0;
		return true;
	}
	return false;
}

/*
 * Docker's rule for COPY --chown: a user name without a group takes the
 * user's primary group; a number without one, the same number.
 */
static int resolve_owner(struct rootfs *fs, struct accounts *acc,
			 const struct spec_file_ref *r, const char *path,
			 struct owner *o, struct hpc_err *err)
{
	uint32_t primary = 0;
	int rc;

	*o = (struct owner){ 0 };
	if (r->user && number(r->user, &o->uid)) {
		primary = o->uid;
	} else if (r->user) {
		rc = read_accounts(fs, acc, err);
		if (rc < 0)
			return rc;
		if (!acc->passwd ||
		    !lookup(acc->passwd, r->user, &o->uid, &primary))
			return err_set(err, -ENOENT, "%s.user: no user '%s' "
				       "in the image's /etc/passwd (expected "
				       "a name it lists, or a number)", path,
				       r->user);
	}
	o->gid = primary;
	if (!r->group || number(r->group, &o->gid))
		return 0;
	rc = read_accounts(fs, acc, err);
	if (rc < 0)
		return rc;
	if (!acc->group || !lookup(acc->group, r->group, &o->gid, NULL))
		return err_set(err, -ENOENT, "%s.group: no group '%s' in the "
			       "image's /etc/group (expected a name it lists, "
			       "or a number)", path, r->group);
	return 0;
}

/* The path inside the root the file goes to; the caller frees it. */
static char *target(struct rootfs *fs, const struct spec_file_ref *r)
{
	size_t n = strlen(r->path);

	if (r->path[n - 1] == '/')
		return xasprintf("%s%s", r->path, r->filename);
	if (rootfs_is_dir(fs, r->path))
		return xasprintf("%s/%s", r->path, r->filename);
	return xstrdup(r->path);
}

/* The index of the pod file named name, or -1. */
static long file_index(const struct spec_pod *pod, const char *name)
{
	const struct spec_file *f = spec_storage_find_file(&pod->storage,
							   name);

	return f ? (long)(f - pod->storage.files) : -1;
}

static int bake_one(struct rootfs *fs, struct accounts *acc,
		    struct tarout *t, const struct bake_input *in, size_t i,
		    struct hpc_err *err)
{
	const struct spec_file_ref *r = &in->ct->storage.files[i];
	long at = file_index(in->pod, r->filename);
	char path[256], *to;
	struct owner o;
	int rc;

	snprintf(path, sizeof(path), "%s.files[%zu]", in->ct_path, i);
	if (at < 0)
		return err_set(err, -EINVAL, "%s: no pod file '%s'", path,
			       r->filename);
	rc = resolve_owner(fs, acc, r, path, &o, err);
	if (rc < 0)
		return rc;
	to = target(fs, r);
	rc = tarout_add_file(t, to + 1, in->file_paths[at], r->perm, o.uid,
			     o.gid, in->mtime, err);
	free(to);
	return rc;
}

int bake_files(struct rootfs *fs, const struct bake_input *in,
	       const char *tar_path, struct hpc_err *err)
{
	struct accounts acc = { 0 };
	struct tarout *t = NULL;
	size_t i;
	int rc;

	rc = tarout_open(tar_path, &t, err);
	for (i = 0; rc == 0 && i < in->ct->storage.n_files; i++)
		rc = bake_one(fs, &acc, t, in, i, err);
	if (rc == 0) {
		rc = tarout_close(t, err);
		t = NULL;
	}
	if (rc == 0)
		rc = rootfs_add_layer(fs, tar_path, "the pod's files", err);
	tarout_abort(t);
	free(acc.passwd);
	free(acc.group);
	return rc;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool bake_same(const struct spec_container *a, const struct spec_container *b)
{
	const struct spec_storage_container *x = &a->storage, *y = &b->storage;
	size_t i;

	if (x->n_files != y->n_files)
		return false;
	for (i = 0; i < x->n_files; i++)
		if (!same_str(x->files[i].path, y->files[i].path) ||
		    !same_str(x->files[i].filename, y->files[i].filename) ||
		    x->files[i].perm != y->files[i].perm ||
		    !same_str(x->files[i].user, y->files[i].user) ||
		    !same_str(x->files[i].group, y->files[i].group))
			return false;
	return true;
}

/* Whether s names an account rather than giving its number. */
static bool is_name(const char *s)
{
	uint32_t id;

	return s && *s && !number(s, &id);
}

bool bake_user_has_names(const struct spec_container *ct)
{
	size_t i, n = ct->user ? strcspn(ct->user, ":") : 0;
	char *user = ct->user ? xstrndup(ct->user, n) : NULL;
	bool named = is_name(user) || (ct->user && ct->user[n] &&
				       is_name(ct->user + n + 1));

	free(user);
	for (i = 0; ct->groups && ct->groups[i]; i++)
		named = named || is_name(ct->groups[i]);
	return named;
}

/* name in the image's passwd (user) or group file, unless a number. */
static int check_account(struct rootfs *fs, struct accounts *acc,
			 const char *name, bool user, const char *path,
			 struct hpc_err *err)
{
	uint32_t id;
	int rc;

	if (!is_name(name))
		return 0;
	rc = read_accounts(fs, acc, err);
	if (rc < 0)
		return rc;
	if (user && (!acc->passwd || !lookup(acc->passwd, name, &id, NULL)))
		return err_set(err, -ENOENT, "%s: no user '%s' in the image's "
			       "/etc/passwd (expected a name it lists, or a "
			       "number)", path, name);
	if (!user && (!acc->group || !lookup(acc->group, name, &id, NULL)))
		return err_set(err, -ENOENT, "%s: no group '%s' in the image's "
			       "/etc/group (expected a name it lists, or a "
			       "number)", path, name);
	return 0;
}

int bake_check_user(struct rootfs *fs, const struct spec_container *ct,
		    const char *ct_path, struct hpc_err *err)
{
	struct accounts acc = { 0 };
	size_t i, n = ct->user ? strcspn(ct->user, ":") : 0;
	char *user = ct->user ? xstrndup(ct->user, n) : NULL;
	char path[96];
	int rc;

	snprintf(path, sizeof(path), "%s.user", ct_path);
	rc = check_account(fs, &acc, user, true, path, err);
	if (rc == 0 && ct->user && ct->user[n])
		rc = check_account(fs, &acc, ct->user + n + 1, false, path,
				   err);
	for (i = 0; rc == 0 && ct->groups && ct->groups[i]; i++) {
		snprintf(path, sizeof(path), "%s.user.additionalGroups[%zu]",
			 ct_path, i);
		rc = check_account(fs, &acc, ct->groups[i], false, path, err);
	}
	free(user);
	free(acc.passwd);
	free(acc.group);
	return rc;
}
