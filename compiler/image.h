/*
 * image: resolve an image reference to a verified config and layer blobs.
 *
 * Stage "fetch" of the pipeline. A reference names a transport the way
 * skopeo does: oci:DIR[:TAG], oci-archive:FILE[:TAG],
 * docker-archive:FILE[:REF], dir:PATH, tar:FILE, and docker://NAME or a
 * bare NAME for a registry.
 * The first ':' after the transport separates the path from the tag or
 * reference. Every manifest, config and layer is checked against its
 * digest before use; blobs that must be copied out of an archive go into
 * the content-addressed cache under a temporary name and are renamed into
 * place only after they are verified.
 */
#ifndef HPC_IMAGE_H
#define HPC_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "util.h"

/* The parts of an image's config that a container's process inherits. */
struct image_config {
	char **env;		/* "NAME=VALUE", NULL-terminated, or NULL */
	char **entrypoint;	/* NULL when the image sets none */
	char **cmd;		/* NULL when the image sets none */
	char *working_dir;	/* NULL when unset */
	char *user;		/* NULL when unset */
	char *stop_signal;	/* NULL when unset, else e.g. "SIGQUIT" */
};

/* The media type of a dir: image's one layer, a host directory. */
#define ROOTFS_DIR_MEDIA_TYPE "application/vnd.hpc.rootfs.dir"

struct image_layer {
	char *path;			/* a readable, verified blob file */
	/* length > 0: the blob is these bytes of path (an archive's
	 * member, read in place); 0: all of path */
	uint64_t offset, length;
	char digest[DIGEST_STR_LEN];	/* the digest it was verified by */
	char *media_type;
	uint64_t size;
	/* dir: layers under --owner: every entry gets this owner */
	bool owner_set;
	uint32_t owner_uid, owner_gid;
	/* path (all of it) is still to be checked against digest, by
	 * image_verify_start, before anything read from it is used */
	bool digest_pending;
};

struct image {
	char *ref;			/* as the user wrote it */
	char config_digest[DIGEST_STR_LEN];
	struct image_config config;
	struct image_layer *layers;	/* base layer first */
	size_t n_layers;
};

struct image_opts {
	const char *cache_dir;	/* the blob cache, created when missing */
	const char *os;		/* platform to select from an index */
	const char *arch;
	const char *variant;	/* NULL: whichever os/arch comes first */
	/* Registries ("HOST" or "HOST:PORT", NULL-terminated; NULL for
	 * none) that may use plain HTTP or unverified TLS. */
	const char *const *insecure_registries;
	bool offline;		/* registries: only the cache, no network */
	/* dir: images only: one owner for every entry, else as found */
	bool owner_set;
	uint32_t owner_uid, owner_gid;
	/* a layer blob read in place from an oci: layout is left with
	 * digest_pending, for the caller to check when it reads the layer
	 * (a build whose result is cached never does); else image_open
	 * checks every layer itself */
	bool defer_layer_digests;
};

/*
 * image_open - resolve ref and verify everything it names. On success
 * *ret is a new image that the caller frees with image_free. On failure,
 * returns -errno with a message that names the reference and the problem.
 */
int image_open(const char *ref, const struct image_opts *opts,
	       struct image **ret, struct hpc_err *err);
void image_free(struct image *img);

struct image_verify;

/*
 * image_verify_start - check img's pending layer digests on a thread of
 * their own (or in image_verify_finish when no thread starts), so that
 * the caller can read the layers meanwhile. Nothing read from a layer
 * may reach an image before image_verify_finish returned 0.
 */
struct image_verify *image_verify_start(const struct image *img);

/*
 * image_verify_finish - wait for the check and free v. Returns 0, or the
 * first failure (-EBADMSG for a digest mismatch) with a message naming
 * the layer.
 */
int image_verify_finish(struct image_verify *v, struct hpc_err *err);

#endif
