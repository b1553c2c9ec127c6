/*
 * rootfs_cache: finished root filesystems kept in the cache directory,
 * between stage "fetch" and stage "pack".
 *
 * A root filesystem is a pure function of its inputs: the layer digests,
 * the seed, the label, the reserve, the time clamp, and the hpc program
 * that writes it with the libarchive and libext2fs it runs with. Their
 * digest is the key. CACHE/rootfs/keys/KEYHEX
 * names the result and its size, CACHE/rootfs/xxh128c/HEX holds its
 * bytes (sparse, as in the image), HEX being their sum (rootfs_sum.h).
 * Both are written under temporary names and renamed into place. The key
 * also records the content file as it was when its digest last matched
 * its name (the boot, its inode, size, mtime and ctime); a file that no
 * longer matches the record (changed through the file system, or a new
 * boot since) is checked against its name again as it is copied out, so
 * a damaged entry is noticed and rebuilt, never copied into an image.
 * Nothing ties a result to its key but the directory, so results are
 * reused only from a CACHE/rootfs that no other user can change.
 */
#ifndef HPC_ROOTFS_CACHE_H
#define HPC_ROOTFS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "rootfs_sum.h"
#include "util.h"

/* Where, under the cache directory, the results' contents are. */
#define ROOTFS_CACHE_CONTENT "rootfs/xxh128c"

/* What a root filesystem is made from, bar the program itself. */
struct rootfs_cache_inputs {
	const char *const *layers;	/* layer digests, base first */
	size_t n_layers;
	const uint8_t *seed;		/* DIGEST_LEN bytes */
	const char *label;
	unsigned int reserve_percent;
	int64_t time_clamp;		/* -1 clamps nothing */
};

/* rootfs_cache_is_content_name - whether name is a content file's. */
bool rootfs_cache_is_content_name(const char *name);

/*
 * rootfs_cache_check_key - the key named name (CACHE/rootfs/keys/NAME)
 * as hpc cache verify sees it. Returns 0 when it names a content file
 * that is there; -ENOENT when the key is gone; -EBADMSG, with what is
 * wrong in err, for a key that is damaged or names no content file; or
 * -errno.
 */
int rootfs_cache_check_key(const char *cache, const char *name,
			   struct hpc_err *err);

/* What the keys name, read once for an upkeep's many questions. */
struct rootfs_cache_names {
	char **names;		/* sorted */
	size_t n;
	int known;		/* 0 not read yet, 1 read, -1 a key unreadable */
};

/*
 * rootfs_cache_unnamed - whether no key names the content file name
 * (CACHE/rootfs/xxh128c/NAME): no build can reach it. The keys are read
 * into k on the first call; a name not among them is looked for again
 * in the keys as they are now, since one may have been written since.
 * When the keys cannot be listed, or one cannot be read, every name
 * counts as named. rootfs_cache_names_release frees k.
 */
bool rootfs_cache_unnamed(const char *cache, struct rootfs_cache_names *k,
			  const char *name);
void rootfs_cache_names_release(struct rootfs_cache_names *k);

/*
 * rootfs_cache_key - the key of these inputs, built by this very hpc
 * binary (its own bytes are part of the key, so a changed writer never
 * reuses an old result) with these versions of libarchive and
 * libext2fs. Returns 0, or -errno when hpc cannot read itself (then
 * nothing is cached).
 */
int rootfs_cache_key(const struct rootfs_cache_inputs *in,
		     char ret[DIGEST_STR_LEN]);

/*
 * rootfs_cache_lookup - the result cache holds for key, for the slot
 * whose filesystem seed and label make: 0 with *ret_path (freed by the
 * caller) and *ret_size (the size recorded when it was kept, which the
 * file still has) set; -ENOENT when there is none; -EBADMSG, with a
 * message, for one that cannot be used: not as large as recorded
 * (removed), another filesystem than the slot's (its key removed), or
 * unreadable.
 */
int rootfs_cache_lookup(const char *cache, const char *key,
			const uint8_t *seed, const char *label,
			char **ret_path, uint64_t *ret_size,
			struct hpc_err *err);

/*
 * rootfs_cache_load - copy the result at path (which lookup found for
 * key) into image at offset, its holes kept; its content is checked
 * against its name unless the key's record still matches the file.
 * Returns 0; -EBADMSG for an entry that cannot be used: damaged or
 * resized (removed then), gone or unreadable since lookup; -errno
 * otherwise. Each with a message.
 */
int rootfs_cache_load(const char *cache, const char *key, const char *path,
		      const char *image, uint64_t offset, uint64_t size,
		      struct hpc_err *err);

/*
 * rootfs_cache_check - digest the result at path in full, as hpc cache
 * verify does. Returns 0 when it matches its name, -EBADMSG (with what
 * it holds instead) when not, or -errno.
 */
int rootfs_cache_check(const char *path, struct hpc_err *err);

/*
 * rootfs_cache_new_content - a new temporary file in the cache's content
 * directory, for a result being copied in (rootfs_keep). Returns its
 * descriptor with *ret_tmp (freed by the caller) and *ret_handle (for
 * cleanup_forget), or -errno with a message.
 */
int rootfs_cache_new_content(const char *cache, char **ret_tmp,
			      int *ret_handle, struct hpc_err *err);

/*
 * rootfs_cache_add - the complete copy at tmp (open as fd), of size
 * bytes and summing to sum, named by its sum and made the result for
 * key. Returns 0 (tmp is gone), or -errno with a message.
 */
int rootfs_cache_add(const char *cache, const char *key, const char *tmp,
		     int fd, const uint8_t sum[ROOTFS_SUM_LEN], uint64_t size,
		     struct hpc_err *err);

#endif
