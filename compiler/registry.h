/*
 * registry: a client of the Docker Registry HTTP API v2 for one
 * repository, over libcurl. It pings the registry, answers its
 * challenges (anonymous or credentialed bearer tokens, basic auth),
 * retries what may pass (429, 5xx, resets, timeouts; 4 tries, 0.5 s
 * doubling) and streams manifests and blobs to the caller, who checks
 * them against their digests: nothing a registry says about a digest
 * (Docker-Content-Digest) is trusted.
 *
 * Part of stage "fetch", used by transport_docker.c. A client may fetch
 * several blobs at once from several threads.
 */
#ifndef HPC_REGISTRY_H
#define HPC_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "util.h"

/* The Accept header of a manifest request: the four kinds we read. */
#define REGISTRY_MANIFEST_ACCEPT \
	"application/vnd.oci.image.index.v1+json, " \
	"application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.docker.distribution.manifest.v2+json"

struct registry_opts {
	const char *const *insecure;	/* --insecure-registry HOST[:PORT]
					 * entries, NULL-terminated, or NULL */
	const char *certs_dir;		/* NULL: $HPC_CERTS_D, else
					 * /etc/docker/certs.d */
};

struct registry;

/*
 * registry_open - a client for repo on the registry domain (as
 * ref_docker_parse splits them; "docker.io" means Docker Hub). Pings
 * the registry and authenticates as its challenge asks. Returns 0 with
 * *ret to free with registry_free, or -errno with a message.
 */
int registry_open(const char *domain, const char *repo,
		  const struct registry_opts *opts, struct registry **ret,
		  struct hpc_err *err);
void registry_free(struct registry *r);

/*
 * registry_get_manifest - GET the manifest or index that reference (a
 * tag or a digest) names, at most max bytes. Returns 0 with the bytes in
 * *ret_buf (NUL-terminated, length *ret_len) and the Content-Type in
 * *ret_type (NULL when absent), both the caller's to free; -ENOENT when
 * the registry has no such manifest; -errno with a message otherwise.
 */
int registry_get_manifest(struct registry *r, const char *reference,
			  size_t max, char **ret_buf, size_t *ret_len,
			  char **ret_type, struct hpc_err *err);

struct registry_sink {
	/* Called before every try: forget whatever was written before. */
	int (*begin)(void *arg, struct hpc_err *err);
	http_write_fn write;
	void *arg;
};

/*
 * registry_get_blob - stream the blob digest, which must be size bytes,
 * into sink. A body that ends early is retried; one that runs longer
 * fails. Returns 0 once size bytes went to the sink, else -errno with a
 * message. Verifying the digest is the sink's job.
 */
int registry_get_blob(struct registry *r, const char *digest, uint64_t size,
		      const struct registry_sink *sink, struct hpc_err *err);

#endif
