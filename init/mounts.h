/*
 * mounts: every filesystem the init mounts. Its own basics (devtmpfs,
 * proc, sysfs, a tmpfs /run), each root filesystem read-only once on a
 * lower directory, an overlay per container with its upper layer in
 * memory, and, inside a container's namespace, the container's /proc,
 * /sys and /dev.
 */
#ifndef HPC_INIT_MOUNTS_H
#define HPC_INIT_MOUNTS_H

#include <stddef.h>
#include <sys/types.h>

#include "errmsg.h"

/* mounts_mkdir_p - mkdir -p path. Returns 0 or -errno. */
int mounts_mkdir_p(const char *path, mode_t mode);

/* mounts_basic - /dev, /proc, /sys and /run for the init itself. */
int mounts_basic(struct errmsg *e);

/*
 * mounts_lower - mount the ext4 on dev, the partition named part,
 * read-only at dir (created).
 */
int mounts_lower(const char *part, const char *dev, const char *dir,
		 struct errmsg *e);

/*
 * mounts_volume - mount the ext4 on dev, the partition named part,
 * read-write at dir (created).
 */
int mounts_volume(const char *part, const char *dev, const char *dir,
		  struct errmsg *e);

/*
 * mounts_overlay - a tmpfs at dir (created) holding upper/, work/ and
 * root/, and an overlay of lower under upper at root; the merged tree's
 * path goes to ret_root. The tmpfs stays for the container's life, so a
 * restarted container finds what it wrote before.
 */
/*
 * mounts_overlay_ro - a read-only root for a container: a tmpfs at dir
 * holding top/, with an empty file for each of paths (relative to the
 * root; a path ending in '/' is a directory), and an overlay of top over
 * lower with no upper layer at dir/root, so nothing in it can be written
 * while the mount points the init needs exist. ret_root as above.
 */
int mounts_overlay_ro(const char *lower, const char *dir,
		      char *const *paths, char *ret_root, size_t size,
		      struct errmsg *e);

int mounts_overlay(const char *lower, const char *dir, char *ret_root,
		   size_t size, struct errmsg *e);

/* mounts_bind - bind-mount the file or directory src onto dst. */
int mounts_bind(const char *src, const char *dst, struct errmsg *e);

/*
 * mounts_container - in a container's new mount and PID namespaces, after
 * it changed root: /proc, a read-only /sys, a tmpfs /dev with the usual
 * nodes, /dev/pts and /dev/shm.
 */
int mounts_container(struct errmsg *e);

/*
 * mounts_console - after mounts_container, for the container that has the
 * console (open on fd) as its terminal: the console bound on /dev/console,
 * so that ttyname() names it.
 */
int mounts_console(int fd, struct errmsg *e);

/* mounts_release - unmount, newest first, all the init mounted. */
void mounts_release(void);

#endif
