/*
 * oci_archive: the oci-archive:FILE[:TAG] transport of stage "fetch": a
 * tar (plain or compressed) of an OCI image layout, as skopeo and podman
 * write it. The archive is read with libarchive, never extracted; the
 * blobs the chosen image needs are copied into the content-addressed
 * cache, verified by the digests their names give, and used from there.
 */
#ifndef HPC_OCI_ARCHIVE_H
#define HPC_OCI_ARCHIVE_H

#include "image.h"
#include "ref.h"

/*
 * oci_archive_open - fill img's config and layers from the archive at
 * ref->path, choosing by ref->tag and opts' platform as oci: does.
 * Returns 0 or -errno with a message (not naming the reference).
 */
int oci_archive_open(const struct image_ref *ref,
		     const struct image_opts *opts, struct image *img,
		     struct hpc_err *err);

#endif
