/*
 * ref: image references as the user writes them in a pod file, split into
 * a transport, a path and a tag or reference (oci:DIR[:TAG],
 * docker-archive:FILE[:REF]), and Docker-style names normalised so that
 * "busybox" and "docker.io/library/busybox:latest" compare equal.
 *
 * First step of stage "fetch": image.c picks a transport from the result.
 */
#ifndef HPC_REF_H
#define HPC_REF_H

#include "util.h"

enum ref_transport {
	REF_OCI,
	REF_DOCKER_ARCHIVE,
};

struct image_ref {
	enum ref_transport transport;
	char *path;	/* the layout directory or the archive file */
	char *tag;	/* what follows the path's ':', "" when absent */
};

/*
 * ref_parse - split s into ret. Returns 0, or -EINVAL for a malformed
 * reference and -ENOTSUP for a transport that is not supported yet
 * (including a reference with no transport, which means a registry).
 * Free ret with ref_release.
 */
int ref_parse(const char *s, struct image_ref *ret, struct hpc_err *err);
void ref_release(struct image_ref *ref);

/*
 * ref_docker_normalize - the full form of a Docker image name:
 * "busybox" -> "docker.io/library/busybox:latest",
 * "me/app:1" -> "docker.io/me/app:1", "index.docker.io/x" -> "docker.io/
 * library/x:latest". A name with a digest keeps it and gets no tag.
 * Returns a new string the caller frees.
 */
char *ref_docker_normalize(const char *name);

#endif
