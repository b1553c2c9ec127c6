/*
 * bake: a container's pod files, written into its root filesystem as
 * one more layer on top of the image's.
 *
 * Stage "pack" of the pipeline, between the image's layers and the
 * ext4 writer: each file reference of the container (spec_storage.h)
 * becomes an entry of a tar in the build's private directory, which is
 * then applied with the same rules as a layer (rootfs.h). Owners given as
 * names are resolved in the container's own /etc/passwd and /etc/group,
 * as its layers leave them.
 */
#ifndef HPC_BAKE_H
#define HPC_BAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "rootfs.h"
#include "spec.h"
#include "util.h"

struct bake_input {
	const struct spec_pod *pod;
	const struct spec_container *ct;
	const char *ct_path;		/* "containers[1]", for messages */
	char *const *file_paths;	/* the pod files' bytes, in pod order */
	int64_t mtime;			/* of every baked file */
};

/*
 * bake_files - write in's files into a tar at tar_path and apply it to
 * fs. Returns 0, or -errno with a message naming the field (an owner
 * the image does not know).
 */
int bake_files(struct rootfs *fs, const struct bake_input *in,
	       const char *tar_path, struct hpc_err *err);

/*
 * bake_check_user - whether the names in ct's user (name, name:group,
 * additionalGroups) are in fs's /etc/passwd and /etc/group, as the
 * guest will look them up. Returns 0, or -ENOENT with a message naming
 * the field under ct_path ("containers[1]"); numbers are the spec's.
 */
int bake_check_user(struct rootfs *fs, const struct spec_container *ct,
		    const char *ct_path, struct hpc_err *err);

/* bake_user_has_names - whether ct's user or groups hold any name. */
bool bake_user_has_names(const struct spec_container *ct);

/*
 * bake_same - whether containers a and b bake the same files (same
 * references in the same order), so they may share a filesystem.
 */
bool bake_same(const struct spec_container *a, const struct spec_container *b);

#endif
