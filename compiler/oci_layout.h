/*
 * oci_layout: the oci:DIR[:TAG] transport of stage "fetch". Reads an OCI
 * image layout directory, selects a manifest by tag and platform, and
 * verifies every blob it names in place.
 */
#ifndef HPC_OCI_LAYOUT_H
#define HPC_OCI_LAYOUT_H

#include "image.h"
#include "ref.h"

/*
 * oci_layout_open - fill img's config and layers from the layout at
 * ref->path. Layers point into DIR/blobs/sha256, verified in place.
 * Returns 0 or -errno with a message (not naming the reference).
 */
int oci_layout_open(const struct image_ref *ref, const struct image_opts *opts,
		    struct image *img, struct hpc_err *err);

#endif
