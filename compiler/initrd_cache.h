/*
 * initrd_cache: gzip members of the initrd kept in the cache directory,
 * for the initrd step of stage "pack".
 *
 * The initrd's bulk, hpc-init and the kernel modules, is the same from
 * one build to the next while only the plan changes, and compressing it
 * cost every build 40 ms. packer/initrd.c compresses the parts around
 * the plan as gzip members of their own; a large one is kept as
 * CACHE/initrd/KEYHEX, KEY being the digest of the bytes it compresses,
 * zlib's version and the hpc binary, followed by its SHA-256. Written to
 * a temporary name, then renamed; reused only from a CACHE/initrd that
 * no other user can change, and only when its SHA-256 still matches, so
 * a kept member is the one zlib would make again, byte for byte.
 */
#ifndef HPC_INITRD_CACHE_H
#define HPC_INITRD_CACHE_H

#include <stddef.h>

#include "util.h"

/*
 * initrd_cache_gzip - an initrd_gzip_fn (see initrd.h) whose ctx is the
 * cache directory: initrd_gzip's member for in, from the cache when it
 * is kept there, else made and then kept (best effort; a damaged one is
 * replaced, with a warning). Returns 0, or -errno with a message.
 */
int initrd_cache_gzip(void *cache, const void *in, size_t len,
		      unsigned char **ret, size_t *ret_len,
		      struct hpc_err *err);

#endif
