/*
 * mounts: the init's filesystems (see mounts.h). Mounts made in the init's
 * own namespace are remembered, so power-off can undo them newest first.
 */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_MOUNTS 256

struct mount_spec {
	const char *source;
	const char *target;
	const char *fstype;
	unsigned long flags;
	const char *data;
};

static const struct mount_spec basic_mounts[] = {
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
};

/* Relative to the container's new root, in this order. */
static const struct mount_spec container_mounts[] = {
	{ "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "sysfs", "sys", "sysfs",
	  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
	  "mode=755,size=65536k" },
	{ "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	  "newinstance,ptmxmode=0666,mode=0620,gid=5" },
	{ "shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	  "mode=1777,size=65536k" },
};

struct dev_node {
	const char *path;
	unsigned major, minor;
};

static const struct dev_node container_nodes[] = {
	{ "dev/null", 1, 3 },
	{ "dev/zero", 1, 5 },
	{ "dev/full", 1, 7 },
	{ "dev/random", 1, 8 },
	{ "dev/urandom", 1, 9 },
	{ "dev/tty", 5, 0 },
};

static const char *const container_links[][2] = {
	{ "/proc/self/fd", "dev/fd" },
	{ "/proc/self/fd/0", "dev/stdin" },
	{ "/proc/self/fd/1", "dev/stdout" },
	{ "/proc/self/fd/2", "dev/stderr" },
	{ "pts/ptmx", "dev/ptmx" },
	{ "/proc/kcore", "dev/core" },
};

static char mounted[MAX_MOUNTS][256];
static size_t n_mounted;

int mounts_mkdir_p(const char *path, mode_t mode)
{
	char buf[512];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* m's target made and m mounted on it; what names m in a failure. */
static int mount_as(const struct mount_spec *m, const char *what,
		    int remember, struct errmsg *e)
{
	int r = mounts_mkdir_p(m->target, 0755);

	if (r < 0)
		return errmsg_set(e, r, "cannot create '%s': %s", m->target,
				  strerror(-r));
	if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0)
		return errmsg_set(e, -errno, "cannot mount %s on '%s': %s",
				  what, m->target, strerror(errno));
	if (remember && n_mounted < MAX_MOUNTS)
		snprintf(mounted[n_mounted++], sizeof(mounted[0]), "%s",
			 m->target);
	return 0;
}

static int mount_one(const struct mount_spec *m, int remember,
		     struct errmsg *e)
{
	return mount_as(m, m->fstype ? m->fstype : m->source, remember, e);
}

int mounts_basic(struct errmsg *e)
{
	size_t i;
	int r;

	for (i = 0; i < sizeof(basic_mounts) / sizeof(basic_mounts[0]); i++) {
		r = mount_one(&basic_mounts[i], 0, e);
		if (r < 0 && r != -EBUSY)
			return r;
	}
	return 0;
}

/* A failure names the partition, which the pod's user knows by name. */
static int mount_partition(const char *part, const char *dev,
			   const char *dir, unsigned long flags,
			   struct errmsg *e)
{
	const struct mount_spec m = { dev, dir, "ext4", flags, NULL };
	char what[256];

	snprintf(what, sizeof(what), "partition '%s' (ext4 on %s)", part,
		 dev);
	return mount_as(&m, what, 1, e);
}

int mounts_lower(const char *part, const char *dev, const char *dir,
		 struct errmsg *e)
{
	return mount_partition(part, dev, dir, MS_RDONLY | MS_NODEV, e);
}

int mounts_volume(const char *part, const char *dev, const char *dir,
		  struct errmsg *e)
{
	return mount_partition(part, dev, dir, 0, e);
}

int mounts_overlay(const char *lower, const char *dir, char *ret_root,
		   size_t size, struct errmsg *e)
{
	const struct mount_spec tmp = { "tmpfs", dir, "tmpfs", 0,
					"mode=0755" };
	char upper[300], work[300], root[300], opts[1024];
	struct mount_spec ovl = { "overlay", root, "overlay", 0, opts };
	int r;

	r = mount_one(&tmp, 1, e);
	if (r < 0)
		return r;
	snprintf(upper, sizeof(upper), "%s/upper", dir);
	snprintf(work, sizeof(work), "%s/work", dir);
	snprintf(root, sizeof(root), "%s/root", dir);
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0755) < 0)
		return errmsg_set(e, -errno, "cannot create '%s/upper': %s",
				  dir, strerror(errno));
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s",
		 lower, upper, work);
	r = mount_one(&ovl, 1, e);
	if (r < 0)
		return r;
	snprintf(ret_root, size, "%s", root);
	return 0;
}

/* An empty file or (ending in '/') directory at top/path, parents made. */
static int make_stub(const char *top, const char *path, struct errmsg *e)
{
	char full[600], *slash;
	int fd, r;

	snprintf(full, sizeof(full), "%s/%s", top, path);
	slash = strrchr(full, '/');
	*slash = '\0';
	r = mounts_mkdir_p(full, 0755);
	*slash = '/';
	if (r == 0 && slash[1]) {
		fd = open(full, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		r = fd < 0 ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
	if (r < 0)
		return errmsg_set(e, r, "cannot create '%s': %s", full,
				  strerror(-r));
	return 0;
}

int mounts_overlay_ro(const char *lower, const char *dir,
		      char *const *paths, char *ret_root, size_t size,
		      struct errmsg *e)
{
	const struct mount_spec tmp = { "tmpfs", dir, "tmpfs", 0,
					"mode=0755" };
	char top[300], root[300], opts[1024];
	struct mount_spec ovl = { "overlay", root, "overlay", MS_RDONLY,
				  opts };
	size_t i;
	int r;

	r = mount_one(&tmp, 1, e);
	if (r < 0)
		return r;
	snprintf(top, sizeof(top), "%s/top", dir);
	snprintf(root, sizeof(root), "%s/root", dir);
	r = mounts_mkdir_p(top, 0755);
	if (r < 0)
		return errmsg_set(e, r, "cannot create '%s': %s", top,
				  strerror(-r));
	for (i = 0; r == 0 && paths && paths[i]; i++)
		r = make_stub(top, paths[i], e);
	if (r < 0)
		return r;
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s", top, lower);
	r = mount_one(&ovl, 1, e);
	if (r < 0)
		return r;
	snprintf(ret_root, size, "%s", root);
	return 0;
}

int mounts_bind(const char *src, const char *dst, struct errmsg *e)
{
	const struct mount_spec m = { src, dst, NULL, MS_BIND, NULL };

	if (mount(m.source, m.target, NULL, m.flags, NULL) < 0)
		return errmsg_set(e, -errno, "cannot bind '%s' on '%s': %s",
				  src, dst, strerror(errno));
	if (n_mounted < MAX_MOUNTS)
		snprintf(mounted[n_mounted++], sizeof(mounted[0]), "%s", dst);
	return 0;
}

static int make_nodes(struct errmsg *e)
{
	const struct dev_node *d;
	size_t i;

	for (i = 0; i < sizeof(container_nodes) / sizeof(*d); i++) {
		d = &container_nodes[i];
		if (mknod(d->path, S_IFCHR | 0666,
			  makedev(d->major, d->minor)) < 0)
			return errmsg_set(e, -errno, "cannot create '/%s': %s",
					  d->path, strerror(errno));
		chmod(d->path, 0666);	/* past the umask */
	}
	for (i = 0; i < sizeof(container_links) / sizeof(*container_links);
	     i++)
		if (symlink(container_links[i][0], container_links[i][1]) < 0)
			return errmsg_set(e, -errno, "cannot create '/%s': %s",
					  container_links[i][1],
					  strerror(errno));
	return 0;
}

int mounts_container(struct errmsg *e)
{
	size_t i;
	int r;

	for (i = 0; i < sizeof(container_mounts) / sizeof(container_mounts[0]);
	     i++) {
		r = mount_one(&container_mounts[i], 0, e);
		if (r < 0)
			return r;
		if (!strcmp(container_mounts[i].target, "dev")) {
			r = make_nodes(e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * A bind of the console the container holds on fd, not a new node: a
 * new node is another inode, and ttyname() wants the very file (Docker
 * binds the terminal the same way).
 */
int mounts_console(int fd, struct errmsg *e)
{
	char src[64];
	int t = open("dev/console", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		     0620);

	if (t < 0)
		return errmsg_set(e, -errno, "cannot create '/dev/console': "
				  "%s", strerror(errno));
	close(t);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (mount(src, "dev/console", NULL, MS_BIND, NULL) < 0)
		return errmsg_set(e, -errno, "cannot bind the console on "
				  "'/dev/console': %s", strerror(errno));
	return 0;
}

void mounts_release(void)
{
	while (n_mounted)
		umount2(mounted[--n_mounted], MNT_DETACH);
}
