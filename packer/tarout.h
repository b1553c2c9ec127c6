/*
 * tarout: tar streams written into the build's private directory, so
 * that what does not come from an image layer (the pod's files baked
 * into a root filesystem, a host directory baked into a volume) enters
 * stage "pack" through the same layer rules (layer.c) as everything else.
 */
#ifndef HPC_TAROUT_H
#define HPC_TAROUT_H

#include <stdint.h>

#include "util.h"

struct tarout;

/* tarout_open - a new tar at path; finish it with tarout_close. */
int tarout_open(const char *path, struct tarout **ret, struct hpc_err *err);

/*
 * tarout_add_file - a regular file name (inside the tar) holding the
 * bytes of the host file src, with the given mode bits, owner and time.
 */
int tarout_add_file(struct tarout *t, const char *name, const char *src,
		    uint32_t mode, uint32_t uid, uint32_t gid, int64_t mtime,
		    struct hpc_err *err);

/*
 * tarout_add_tree - the host file or directory at src, as name (""
 * for a directory at the tar's root), with owners, modes and times as
 * the host has them. Directories are walked in byte order of their
 * names, so the same tree gives the same tar; symlinks are kept as
 * symlinks, except src itself, which is followed; a file with several
 * names in the tree is one file with hardlinks.
 */
int tarout_add_tree(struct tarout *t, const char *src, const char *name,
		    struct hpc_err *err);

/* tarout_close - finish and free t; tarout_abort frees it (or NULL). */
int tarout_close(struct tarout *t, struct hpc_err *err);
void tarout_abort(struct tarout *t);

#endif
