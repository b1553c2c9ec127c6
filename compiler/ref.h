/*
 * ref: image references as the user writes them in a pod file, split into
 * a transport, a path and a tag or reference (oci:DIR[:TAG],
 * oci-archive:FILE[:TAG], docker-archive:FILE[:REF], dir:PATH, tar:FILE,
 * docker://NAME, or a bare NAME, which means a registry), and Docker-style names checked, split into registry,
 * repository, tag and digest, and normalised so that "busybox" and
 * "docker.io/library/busybox:latest" compare equal.
 *
 * First step of stage "fetch": image.c picks a transport from the result.
 */
#ifndef HPC_REF_H
#define HPC_REF_H

#include "util.h"

enum ref_transport {
	REF_OCI,
	REF_DOCKER_ARCHIVE,
	REF_DOCKER,
	REF_OCI_ARCHIVE,
	REF_DIR,
	REF_TAR,
};

struct image_ref {
	enum ref_transport transport;
	char *path;	/* the layout directory, the archive file, or for
			 * REF_DOCKER the image name as written */
	char *tag;	/* what follows the path's ':', "" when absent;
			 * always "" for REF_DOCKER, REF_DIR and REF_TAR,
			 * whose paths may hold ':' */
};

/*
 * ref_parse - split s into ret. "docker://NAME" and a NAME with no
 * transport in front (its first ':' does not follow a transport name)
 * are REF_DOCKER, and NAME is checked with ref_docker_parse. Returns 0,
 * or -EINVAL for a malformed reference. Free ret with ref_release.
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

/* A registry image name taken apart. */
struct docker_ref {
	char *domain;	/* "docker.io", "localhost:5000", "127.0.0.1:5000" */
	char *repo;	/* "library/busybox" */
	char *tag;	/* NULL when only a digest is given */
	char *digest;	/* "sha256:HEX", NULL when absent */
	char *name;	/* the whole, normalised: DOMAIN/REPO[:TAG][@DIGEST] */
};

/*
 * ref_docker_parse - check a Docker image name against the distribution
 * grammar (lowercase repository components, tags of at most 128 word
 * characters, sha256 digests) and split it, with Docker Hub's rules:
 * no registry means docker.io, a one-component docker.io repository gets
 * "library/", no tag and no digest means ":latest". Returns 0, or
 * -EINVAL with a message saying what is wrong. Free with
 * ref_docker_release.
 */
int ref_docker_parse(const char *s, struct docker_ref *ret,
		     struct hpc_err *err);
void ref_docker_release(struct docker_ref *r);

#endif
