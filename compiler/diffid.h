/*
 * diffid: a layer's uncompressed digest (its "diff_id" in the image
 * config), checked once per cache. A registry layer is verified by its
 * compressed digest as it downloads; that the config's diff_id matches
 * what it uncompresses to is checked after, and the answer is kept in
 * CACHE/diffids/sha256/HEX so later builds need not uncompress again.
 *
 * Part of stage "fetch" (transport_docker.c).
 */
#ifndef HPC_DIFFID_H
#define HPC_DIFFID_H

#include "digest.h"
#include "util.h"

/*
 * diffid_compute - SHA-256 of what the blob at path uncompresses to
 * (gzip, zstd, bzip2, xz or none, found by its bytes).
 */
int diffid_compute(const char *path, char ret[DIGEST_STR_LEN],
		   struct hpc_err *err);

/*
 * diffid_verify - check that the cached blob digest uncompresses to
 * want, and remember it. Returns 0, -EBADMSG with a message naming both
 * digests on a mismatch, or another -errno.
 */
int diffid_verify(const char *cache, const char *digest, const char *want,
		  struct hpc_err *err);

#endif
