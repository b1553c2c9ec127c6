/*
 * docker_archive: the docker-archive:FILE[:REF] transport of stage
 * "fetch". Reads what "docker save" (and skopeo, and other tools that
 * imitate it) write: a tar with manifest.json naming each image's config
 * and layer files, legacy "<id>/layer.tar" layers or Docker 25's
 * "blobs/sha256/HEX". The config and the layers are copied into the blob
 * cache and verified on the way.
 */
#ifndef HPC_DOCKER_ARCHIVE_H
#define HPC_DOCKER_ARCHIVE_H

#include "image.h"
#include "ref.h"

/*
 * docker_archive_open - fill img from the image in archive ref->path that
 * ref->tag names ("" for the only one, "@N" for the Nth). Layer paths
 * point into opts->cache_dir, which cache_init has set up. Returns 0 or
 * -errno with a message (not naming the reference).
 */
int docker_archive_open(const struct image_ref *ref,
			const struct image_opts *opts, struct image *img,
			struct hpc_err *err);

#endif
