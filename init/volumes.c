/*
 * volumes: mount the pod's volumes and bind them into containers (see
 * volumes.h). The binds are made inside the container's namespace,
 * after it changed root, so a mount path is resolved within the root
 * (a symlink in the image cannot lead it out); the source is reached
 * through a descriptor opened before the change of root.
 */
#include "volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "mounts.h"
#include "partitions.h"

#define PART_PREFIX "hpc-vol-"

/* Whether an earlier mount of the plan named the same volume. */
static int seen_before(const struct plan *plan, size_t ci, size_t mi)
{
	const char *name = plan->containers[ci].mounts[mi].volume;
	size_t i, j;

	for (i = 0; i <= ci; i++)
		for (j = 0; j < plan->containers[i].n_mounts; j++) {
			if (i == ci && j == mi)
				return 0;
			if (!strcmp(plan->containers[i].mounts[j].volume, name))
				return 1;
		}
	return 0;
}

static int mount_volume(const char *name, const char *dir,
			unsigned timeout_ms, struct errmsg *e)
{
	char part[128], dev[128], target[512];
	int r;

	snprintf(part, sizeof(part), PART_PREFIX "%s", name);
	snprintf(target, sizeof(target), "%s/%s", dir, name);
	r = partitions_find(part, timeout_ms, dev, sizeof(dev), e);
	if (r < 0)
		return r;
	return mounts_volume(part, dev, target, e);
}

int volumes_mount(const struct plan *plan, const char *dir,
		  unsigned timeout_ms, struct errmsg *e)
{
	const struct plan_container *c;
	size_t i, j;
	int r;

	for (i = 0; i < plan->n_containers; i++) {
		c = &plan->containers[i];
		for (j = 0; j < c->n_mounts; j++) {
			if (seen_before(plan, i, j))
				continue;
			r = mount_volume(c->mounts[j].volume, dir, timeout_ms,
					 e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int volumes_open(const struct plan_container *c, const char *dir,
		 int **ret_fds, struct errmsg *e)
{
	int *fds = calloc(c->n_mounts + 1, sizeof(*fds));
	const struct plan_mount *m;
	char src[512];
	size_t i;

	if (!fds)
		return errmsg_set(e, -ENOMEM, "out of memory");
	for (i = 0; i < c->n_mounts; i++) {
		m = &c->mounts[i];
		snprintf(src, sizeof(src), "%s/%s%s%s", dir, m->volume,
			 m->file ? "/" : "", m->file ? m->file : "");
		fds[i] = open(src, O_PATH | O_CLOEXEC);
		if (fds[i] < 0) {
			errmsg_set(e, -errno, "cannot open volume '%s': %s",
				   src, strerror(errno));
			free(fds);
			return -1;
		}
	}
	*ret_fds = fds;
	return 0;
}

/* The mount point: a directory, or for a file volume an empty file. */
static int make_target(const struct plan_mount *m, struct errmsg *e)
{
	char parent[512], *slash;
	int fd, r;

	if (!m->file) {
		r = mounts_mkdir_p(m->path, 0755);
		goto out;
	}
	snprintf(parent, sizeof(parent), "%s", m->path);
	slash = strrchr(parent, '/');
	*slash = '\0';
	r = *parent ? mounts_mkdir_p(parent, 0755) : 0;
	/* on a read-only root the point exists already; opening it to write
	 * would fail there */
	if (r == 0 && access(m->path, F_OK) < 0) {
		fd = open(m->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		r = fd < 0 && errno != EISDIR ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
out:
	if (r < 0)
		return errmsg_set(e, r, "cannot create '%s' for volume '%s': "
				  "%s", m->path, m->volume, strerror(-r));
	return 0;
}

static int bind_one(const struct plan_mount *m, int fd, struct errmsg *e)
{
	char src[64];
	int r;

	r = make_target(m, e);
	if (r < 0)
		return r;
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (mount(src, m->path, NULL, MS_BIND, NULL) < 0)
		return errmsg_set(e, -errno, "cannot mount volume '%s' on "
				  "'%s': %s", m->volume, m->path,
				  strerror(errno));
	if (m->read_only &&
	    mount(NULL, m->path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY,
		  NULL) < 0)
		return errmsg_set(e, -errno, "cannot make volume '%s' on '%s' "
				  "read-only: %s", m->volume, m->path,
				  strerror(errno));
	return 0;
}

int volumes_bind(const struct plan_container *c, const int *fds,
		 struct errmsg *e)
{
	size_t i;
	int r;

	for (i = 0; i < c->n_mounts; i++) {
		r = bind_one(&c->mounts[i], fds[i], e);
		if (r < 0)
			return r;
		close(fds[i]);
	}
	return 0;
}
