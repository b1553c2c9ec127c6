/*
 * refindex: which manifest a registry reference named when it was last
 * pulled, kept in the blob cache (CACHE/references) so that --offline
 * can open "docker://NAME:TAG" from the cache alone. One line a
 * reference: "NAME DIGEST MEDIA-TYPE". Updates take a lock file and
 * replace the whole file by rename, so builds sharing a cache neither
 * lose each other's entries nor see half a file.
 *
 * Part of stage "fetch" (transport_docker.c, pull.c).
 */
#ifndef HPC_REFINDEX_H
#define HPC_REFINDEX_H

#include "digest.h"
#include "util.h"

/*
 * refindex_get - the manifest digest and media type recorded for name (a
 * normalised reference, as ref_docker_parse gives it). Returns 0 with
 * *ret_type to free ("" when unknown), or -ENOENT.
 */
int refindex_get(const char *cache, const char *name,
		 char ret_digest[DIGEST_STR_LEN], char **ret_type,
		 struct hpc_err *err);

/* refindex_put - record name -> digest (media type may be NULL). */
int refindex_put(const char *cache, const char *name, const char *digest,
		 const char *type, struct hpc_err *err);

#endif
