/*
 * layer_dir: a root filesystem directory on the host (the dir:PATH
 * transport) read as if it were one layer tar, with libarchive's disk
 * reader: owners and modes as found (or one owner for everything),
 * symlinks kept and never followed, device nodes, FIFOs, xattrs where
 * readable, holes where SEEK_HOLE finds them, and names of one host
 * inode turned into hardlinks to its first name.
 *
 * Part of stage "pack" (see rootfs.h): layer.c reads a directory layer
 * through it, in both passes; nothing is copied anywhere first.
 */
#ifndef HPC_LAYER_DIR_H
#define HPC_LAYER_DIR_H

#include <stdbool.h>
#include <stdint.h>

#include <archive.h>
#include <archive_entry.h>

#include "util.h"

/* One owner for every entry of a layer, or none (as found). */
struct layer_owner {
	bool set;
	uint32_t uid, gid;
};

struct layer_dir;

/*
 * layer_dir_open - start reading the directory path. *ret_a is the
 * archive to read headers and data from; free both with layer_dir_free.
 * Returns 0, or -errno with a message naming what.
 */
int layer_dir_open(const char *path, const char *what,
		   const struct layer_owner *owner, struct layer_dir **ret,
		   struct archive **ret_a, struct hpc_err *err);

/*
 * layer_dir_fix - make the header just read look like a tar entry of
 * the layer: its name relative to the directory ("." for the directory
 * itself), a hardlink for a second name of an inode, the owner, and the
 * reader told to descend into it when it is a directory. Returns 0 or
 * -errno.
 */
int layer_dir_fix(struct layer_dir *d, struct archive_entry *ae,
		  struct hpc_err *err);

void layer_dir_free(struct layer_dir *d);

#endif
