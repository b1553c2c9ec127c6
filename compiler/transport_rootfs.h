/*
 * transport_rootfs: the dir:PATH and tar:FILE transports of stage
 * "fetch": a root filesystem that is not an image, a directory on the
 * host or a tarball (plain, gzip, zstd, xz or bzip2), taken as an image
 * of one layer with an empty config (the usual PATH default applies).
 */
#ifndef HPC_TRANSPORT_ROOTFS_H
#define HPC_TRANSPORT_ROOTFS_H

#include "image.h"
#include "ref.h"

/*
 * transport_dir_open - img gets one layer whose path is the directory
 * ref->path, read in place when packing, with opts' owner if set. Its
 * digest covers the tree's names and metadata, so the image's identifiers
 * follow the tree. Returns 0 or -errno with a message.
 */
int transport_dir_open(const struct image_ref *ref,
		       const struct image_opts *opts, struct image *img,
		       struct hpc_err *err);

/*
 * transport_tar_open - img gets one layer, the file ref->path, once its
 * first header has been read as a tar. Returns 0 or -errno with a
 * message.
 */
int transport_tar_open(const struct image_ref *ref,
		       const struct image_opts *opts, struct image *img,
		       struct hpc_err *err);

#endif
