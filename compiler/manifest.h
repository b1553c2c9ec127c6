/*
 * manifest: the JSON documents that describe an image (OCI and Docker
 * schema 2 manifests, image indexes and manifest lists, image configs),
 * parsed with cJSON into plain structs, and the choices made on them:
 * which manifest of an index a tag or a platform selects, which media
 * types are container images and layers.
 *
 * Used by the transports of stage "fetch" (oci_layout.c,
 * docker_archive.c) once a document's bytes are verified.
 */
#ifndef HPC_MANIFEST_H
#define HPC_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "image.h"
#include "util.h"

enum manifest_class {
	MT_UNKNOWN,
	MT_INDEX,		/* OCI image index, Docker manifest list */
	MT_MANIFEST,		/* OCI image manifest, Docker schema 2 */
	MT_SCHEMA1,		/* Docker schema 1: refused */
	MT_CONFIG,		/* an image config */
	MT_LAYER,		/* a layer tar, maybe compressed */
	MT_ENCRYPTED,		/* an encrypted layer: refused */
};

/* manifest_class_of - what a media type names; MT_UNKNOWN for NULL. */
enum manifest_class manifest_class_of(const char *media_type);

/*
 * manifest_check_digest - 0 for "sha256:" and 64 lowercase hex digits;
 * -ENOTSUP naming the algorithm for any other one; -EINVAL otherwise.
 */
int manifest_check_digest(const char *digest, struct hpc_err *err);

struct manifest_desc {
	char *media_type;		/* NULL when the JSON has none */
	char digest[DIGEST_STR_LEN];
	uint64_t size;
	char *ref_name;			/* org.opencontainers.image.ref.name */
	char *os, *arch, *variant;	/* the platform, NULL when absent */
	bool attestation;		/* vnd.docker.reference.type is set */
};

struct manifest {
	enum manifest_class kind;	/* MT_INDEX or MT_MANIFEST */
	char *media_type;		/* as the document says, or NULL */
	struct manifest_desc config;	/* MT_MANIFEST */
	struct manifest_desc *layers;
	size_t n_layers;
	struct manifest_desc *manifests;	/* MT_INDEX */
	size_t n_manifests;
};

/*
 * manifest_parse - parse an index or a manifest. desc_type is the media
 * type the referring descriptor gave (or NULL); the document's own
 * mediaType wins. Schema 1 fails with -ENOTSUP, anything else that is not
 * an index or manifest with -EINVAL. *ret is freed with manifest_free.
 */
int manifest_parse(const char *buf, size_t len, const char *desc_type,
		   struct manifest **ret, struct hpc_err *err);
void manifest_free(struct manifest *m);

/*
 * manifest_select - pick an entry of index m: among the entries whose
 * ref name is tag (all entries when tag is NULL), attestations left out,
 * the only one when it names no platform, else the first for os/arch.
 * Returns 0 and its position in *ret, or -ENOENT with a message that lists
 * the tags or platforms there are.
 */
int manifest_select(const struct manifest *m, const char *tag,
		    const char *os, const char *arch, size_t *ret,
		    struct hpc_err *err);

/*
 * manifest_parse_config - the process defaults and the diff_ids of an
 * image config. *ret_config is released with manifest_config_release,
 * *ret_diff_ids (NULL-terminated) with strv_free.
 */
int manifest_parse_config(const char *buf, size_t len,
			  struct image_config *ret_config,
			  char ***ret_diff_ids, struct hpc_err *err);
void manifest_config_release(struct image_config *c);

#endif
