/*
 * sealed: small results of a build kept in the cache directory, each
 * followed by its SHA-256, so that a damaged one is found before reuse.
 *
 * Part of stage "pack": GRUB's images (loader_cache.c) and the initrd's
 * bulk (initrd_cache.c) are kept this way, in CACHE/SUB/NAME. A file is
 * written under a temporary name and renamed; whoever reads it checks
 * the seal first.
 */
#ifndef HPC_SEALED_H
#define HPC_SEALED_H

#include <stddef.h>

/*
 * sealed_read - the bytes kept at path (at most max of them), seal
 * checked, in a new buffer the caller frees: 0, -ENOENT when nothing
 * usable is kept there, -EBADMSG when it is damaged.
 */
int sealed_read(const char *path, size_t max, char **ret_buf,
		size_t *ret_len);

/*
 * sealed_keep - buf and its seal at path, which lies in CACHE/sub (made
 * 0755 if it is missing). Best effort: a result not kept only costs time
 * later, so a failure is said only at the verbose level.
 */
void sealed_keep(const char *cache, const char *sub, const char *path,
		 const void *buf, size_t len);

#endif
