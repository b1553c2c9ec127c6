/*
 * user: who a container's command runs as. The plan carries the user as
 * the image or pod wrote it (uid, uid:gid, name or name:group); names
 * resolve against the container's own /etc/passwd and /etc/group, as
 * Docker and runc resolve them, and root is the default.
 */
#ifndef HPC_INIT_USER_H
#define HPC_INIT_USER_H

#include <stddef.h>
#include <sys/types.h>

#include "errmsg.h"

#define USER_MAX_GROUPS 64

struct user_ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[USER_MAX_GROUPS];	/* supplementary, the gid first */
	size_t n_groups;
	char home[256];			/* from passwd, else "/" */
};

/*
 * user_resolve - resolve spec (NULL or "" for root) against the files at
 * passwd and group (either may be missing when no name needs them).
 * Supplementary groups come from group only when spec names no group.
 * Returns 0, or -ENOENT or -EINVAL with a message in e.
 */
int user_resolve(const char *spec, const char *passwd, const char *group,
		 struct user_ids *ret, struct errmsg *e);

/*
 * user_add_groups - add each of groups (names looked up in the file at
 * group, or gids) to u's supplementary groups, as docker run --group-add
 * does. Returns 0, or -ENOENT for a name the file lacks, -E2BIG past
 * USER_MAX_GROUPS.
 */
int user_add_groups(struct user_ids *u, char *const *groups,
		    const char *group, struct errmsg *e);

/* user_apply - setgroups, setgid, setuid. Returns 0 or -errno. */
int user_apply(const struct user_ids *u, struct errmsg *e);

#endif
