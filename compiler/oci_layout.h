/*
 * oci_layout: the oci:DIR[:TAG] transport of stage "fetch". Reads an OCI
 * image layout directory, selects a manifest by tag and platform, and
 * verifies every blob it names in place.
 */
#ifndef HPC_OCI_LAYOUT_H
#define HPC_OCI_LAYOUT_H

#include "image.h"
#include "manifest.h"
#include "ref.h"

/*
 * oci_layout_open - fill img's config and layers from the layout at
 * ref->path. Layers point into DIR/blobs/sha256, verified in place.
 * Returns 0 or -errno with a message (not naming the reference).
 */
int oci_layout_open(const struct image_ref *ref, const struct image_opts *opts,
		    struct image *img, struct hpc_err *err);

/*
 * oci_layout_pick - the image manifest that tag (or "" for the only
 * one, else "latest") and opts' platform choose from the index idx,
 * following nested indexes through the blobs under dir/blobs/sha256
 * (a layout, or the blob cache, which is laid out the same way). *ret
 * is freed with manifest_free. Returns 0 or -errno with a message.
 */
int oci_layout_pick(const char *dir, const struct manifest *idx,
		    const char *tag, const struct image_opts *opts,
		    struct manifest **ret, struct hpc_err *err);

/*
 * oci_layout_load - img's config and layers from m, read and verified
 * under dir/blobs/sha256 (the layers' digests left pending when defer).
 * Returns 0 or -errno with a message.
 */
int oci_layout_load(const char *dir, const struct manifest *m, bool defer,
		    struct image *img, struct hpc_err *err);

/* oci_layout_load_config, _layers - the two halves of oci_layout_load. */
int oci_layout_load_config(const char *dir, const struct manifest *m,
			   struct image *img, struct hpc_err *err);
int oci_layout_load_layers(const char *dir, const struct manifest *m,
			   bool defer, struct image *img, struct hpc_err *err);

/*
 * oci_layout_verify_blob - the file at path must have this digest; one
 * read a file and process, from any thread. Returns 0, or -EBADMSG
 * ("digest mismatch (got ...)") or -errno with a message.
 */
int oci_layout_verify_blob(const char *path, const char *digest,
			   struct hpc_err *err);

/*
 * oci_layout_layer_type - 0 when d's media type is a layer hpc reads,
 * else -ENOTSUP saying why (encrypted, or not a layer).
 */
int oci_layout_layer_type(const struct manifest_desc *d, struct hpc_err *err);

#endif
