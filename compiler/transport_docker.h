/*
 * transport_docker: the docker://NAME transport of stage "fetch" (also
 * what a reference without a transport means). Resolves a registry
 * reference to a manifest, through nested indexes by platform, and
 * brings its config and layers into the blob cache, each verified by its
 * digest as it streams in, and each layer also by the config's diff_id.
 * With opts->offline only the cache is used, and whatever it lacks is
 * named.
 */
#ifndef HPC_TRANSPORT_DOCKER_H
#define HPC_TRANSPORT_DOCKER_H

#include "image.h"
#include "ref.h"

/*
 * transport_docker_open - fill img's config and layers (paths in the
 * cache opts->cache_dir, which cache_init has set up) for ref->path.
 * Returns 0 or -errno with a message (not naming the reference).
 */
int transport_docker_open(const struct image_ref *ref,
			  const struct image_opts *opts, struct image *img,
			  struct hpc_err *err);

#endif
