/*
 * volume: one pod volume, from its source on the host to the bytes of
 * its GPT partition (hpc-vol-NAME, docs/image-format.md).
 *
 * Stage "pack" of the pipeline. A vfs volume's host directory or file
 * goes through a tar in the build's private directory (tarout.h) and the
 * same layer rules and ext4 writer as a root filesystem (rootfs.h),
 * owners and modes as the host has them; an empty volume is a fresh
 * ext4; a raw source is copied as it is (its zero blocks left as holes)
 * and a qcow2 one converted to raw with qemu-img first.
 */
#ifndef HPC_VOLUME_H
#define HPC_VOLUME_H

#include <stdint.h>

#include "spec_storage.h"
#include "util.h"

struct volume;

/*
 * volume_prepare - read v's source (relative to pod_dir) and work out
 * the partition's size; tmp is a path in the private directory the
 * volume may use (removed by the caller). what names the volume in
 * messages ("volumes[1]"). Returns 0 with *ret (free with volume_free),
 * or -errno with a message naming the field.
 */
int volume_prepare(const struct spec_volume *v, const char *what,
		   const char *pod_dir, const char *tmp, struct volume **ret,
		   struct hpc_err *err);

/* volume_size - the bytes the partition needs, a whole number of MiB. */
uint64_t volume_size(const struct volume *vol);

/*
 * volume_file - for a vfs volume made from one host file, the name it
 * has at the volume's root (the one thing a container mounts); else NULL.
 */
const char *volume_file(const struct volume *vol);

/*
 * volume_write - write the volume into [offset, offset + size) of the
 * image file. Times later than clamp are clamped (-1: none).
 */
int volume_write(struct volume *vol, const char *image, uint64_t offset,
		 uint64_t size, int64_t clamp, struct hpc_err *err);

void volume_free(struct volume *vol);

#endif
