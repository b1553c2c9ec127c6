/*
 * user: resolve and become a container's user (see user.h). The files are
 * read with plain stdio: musl's getpwnam would read them too, but only at
 * the fixed path, and the unit tests need other paths.
 */
#include "user.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIELDS_MAX 8

/* Split line at ':' into at most FIELDS_MAX fields; the count. */
static size_t split(char *line, char **f)
{
	size_t n = 0;

	line[strcspn(line, "\n")] = '\0';
	f[n++] = line;
	while (n < FIELDS_MAX && (line = strchr(line, ':'))) {
		*line++ = '\0';
		f[n++] = line;
	}
	return n;
}

static int parse_id(const char *s, unsigned *ret)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xfffffffeUL)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/*
 * The passwd entry whose name is name (or, name NULL, whose uid is uid):
 * fills u and ret_name; -ENOENT when none.
 */
static int find_passwd(const char *path, const char *name, unsigned uid,
		       struct user_ids *u, char *ret_name, size_t size)
{
	char line[1024], *f[FIELDS_MAX];
	unsigned id, gid;
	FILE *fp = fopen(path, "re");
	int r = -ENOENT;

	while (fp && r < 0 && fgets(line, sizeof(line), fp)) {
		if (split(line, f) < 7 || parse_id(f[2], &id) < 0 ||
		    parse_id(f[3], &gid) < 0)
			continue;
		if (name ? strcmp(f[0], name) : id != uid)
			continue;
		u->uid = id;
		u->gid = gid;
		snprintf(u->home, sizeof(u->home), "%s", *f[5] ? f[5] : "/");
		snprintf(ret_name, size, "%s", f[0]);
		r = 0;
	}
	if (fp)
		fclose(fp);
	return r;
}

static int find_group(const char *path, const char *name, gid_t *ret)
{
	char line[4096], *f[FIELDS_MAX];
	unsigned gid;
	FILE *fp = fopen(path, "re");
	int r = -ENOENT;

	while (fp && r < 0 && fgets(line, sizeof(line), fp))
		if (split(line, f) >= 3 && !strcmp(f[0], name) &&
		    parse_id(f[2], &gid) == 0) {
			*ret = gid;
			r = 0;
		}
	if (fp)
		fclose(fp);
	return r;
}

static int is_member(char *members, const char *user)
{
	char *save = NULL, *m;

	for (m = strtok_r(members, ",", &save); m;
	     m = strtok_r(NULL, ",", &save))
		if (!strcmp(m, user))
			return 1;
	return 0;
}

/* The primary gid, then every group that lists user. */
static void add_groups(const char *path, const char *user,
		       struct user_ids *u)
{
	char line[4096], *f[FIELDS_MAX];
	unsigned gid;
	FILE *fp;

	u->groups[0] = u->gid;
	u->n_groups = 1;
	fp = *user ? fopen(path, "re") : NULL;
	while (fp && u->n_groups < USER_MAX_GROUPS &&
	       fgets(line, sizeof(line), fp))
		if (split(line, f) >= 4 && parse_id(f[2], &gid) == 0 &&
		    gid != u->gid && is_member(f[3], user))
			u->groups[u->n_groups++] = gid;
	if (fp)
		fclose(fp);
}

static int resolve_group(const char *spec, const char *path,
			 struct user_ids *u, struct errmsg *e)
{
	unsigned id;

	if (parse_id(spec, &id) == 0)
		u->gid = id;
	else if (!*spec || find_group(path, spec, &u->gid) < 0)
		return errmsg_set(e, -ENOENT, "no group '%s' in '%s'", spec,
				  path);
	u->groups[0] = u->gid;
	u->n_groups = 1;
	return 0;
}

int user_resolve(const char *spec, const char *passwd, const char *group,
		 struct user_ids *ret, struct errmsg *e)
{
	struct user_ids u = { .uid = 0, .gid = 0, .home = "/" };
	char buf[256], name[256] = "";
	char *gspec;
	unsigned id;
	int r;

	if (snprintf(buf, sizeof(buf), "%s", spec && *spec ? spec : "0") >=
	    (int)sizeof(buf))
		return errmsg_set(e, -EINVAL, "user '%s' is too long", spec);
	gspec = strchr(buf, ':');
	if (gspec)
		*gspec++ = '\0';
	if (parse_id(buf, &id) == 0) {
		/* A uid without a passwd entry runs with gid 0. */
		if (find_passwd(passwd, NULL, id, &u, name, sizeof(name)) < 0)
			u.uid = id;
	} else if (!*buf || find_passwd(passwd, buf, 0, &u, name,
					sizeof(name)) < 0) {
		return errmsg_set(e, -ENOENT, "no user '%s' in '%s'", buf,
				  passwd);
	}
	if (gspec) {
		r = resolve_group(gspec, group, &u, e);
		if (r < 0)
			return r;
	} else {
		add_groups(group, name, &u);
	}
	*ret = u;
	return 0;
}

int user_add_groups(struct user_ids *u, char *const *groups,
		    const char *group, struct errmsg *e)
{
	unsigned id;
	gid_t gid;
	size_t i, j;

	for (i = 0; groups && groups[i]; i++) {
		if (parse_id(groups[i], &id) == 0)
			gid = id;
		else if (find_group(group, groups[i], &gid) < 0)
			return errmsg_set(e, -ENOENT, "no group '%s' in '%s'",
					  groups[i], group);
		for (j = 0; j < u->n_groups && u->groups[j] != gid; j++)
			;
		if (j < u->n_groups)
			continue;
		if (u->n_groups >= USER_MAX_GROUPS)
			return errmsg_set(e, -E2BIG, "more than %d groups",
					  USER_MAX_GROUPS);
		u->groups[u->n_groups++] = gid;
	}
	return 0;
}

int user_apply(const struct user_ids *u, struct errmsg *e)
{
	if (setgroups(u->n_groups, u->groups) < 0)
		return errmsg_set(e, -errno, "cannot set groups: %s",
				  strerror(errno));
	if (setgid(u->gid) < 0)
		return errmsg_set(e, -errno, "cannot set gid %u: %s",
				  (unsigned)u->gid, strerror(errno));
	if (setuid(u->uid) < 0)
		return errmsg_set(e, -errno, "cannot set uid %u: %s",
				  (unsigned)u->uid, strerror(errno));
	return 0;
}
