/*
 * cache: the content-addressed blob cache of stage "fetch". A blob lives
 * at CACHE/blobs/sha256/HEX, and only ever appears there after its bytes
 * were checked against that digest: it is written under a temporary name
 * unique to the writer, fsync'd, verified and renamed into place, so
 * builds that share a cache at the same time see whole blobs or none.
 */
#ifndef HPC_CACHE_H
#define HPC_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "digest.h"
#include "util.h"

/*
 * cache_default_dir - $XDG_CACHE_HOME/hpc, else $HOME/.cache/hpc, else
 * NULL. Returns a new string the caller frees.
 */
char *cache_default_dir(void);

/* cache_init - create dir/blobs/sha256 (and its parents, 0755). */
int cache_init(const char *dir, struct hpc_err *err);

/* cache_blob_path - dir/blobs/sha256/HEX for digest; the caller frees. */
char *cache_blob_path(const char *dir, const char *digest);

/* cache_has - whether a verified blob with this digest is in the cache. */
bool cache_has(const char *dir, const char *digest);

/*
 * cache_is_private - whether path is a directory that only this user can
 * change (owned by the effective uid, not writable by group or others).
 * Results that cannot be checked against the inputs that name them (a
 * finished filesystem, a boot loader) are reused only from such a place.
 */
bool cache_is_private(const char *path);

/*
 * cache_tmp_create - a writer's temporary file in dir, DIR/.tmp-PID-
 * XXXXXX, mode 0644, locked and registered as cleanup_mkstemp makes
 * them (upkeep removes it once cleanup_is_leftover says so). Returns
 * the fd with *ret_path set (the caller frees it), or -errno.
 */
int cache_tmp_create(const char *dir, char **ret_path, int *ret_handle);

struct cache_writer;

/*
 * cache_writer_new - start a blob in dir (already set up by cache_init).
 * Free it with cache_writer_free, which removes an uncommitted temp file.
 */
int cache_writer_new(const char *dir, struct cache_writer **ret,
		     struct hpc_err *err);
int cache_writer_write(struct cache_writer *w, const void *buf, size_t len,
		       struct hpc_err *err);
/* cache_writer_size - the bytes written so far. */
uint64_t cache_writer_size(const struct cache_writer *w);
/* cache_writer_digest - the digest of the bytes written so far. */
void cache_writer_digest(struct cache_writer *w, char ret[DIGEST_STR_LEN]);
/*
 * cache_writer_commit - sync the blob and rename it to its digest's name.
 * When expected is not NULL and differs from the bytes' digest, fails with
 * -EBADMSG ("digest mismatch (got ...)") and keeps nothing.
 */
int cache_writer_commit(struct cache_writer *w, const char *expected,
			struct hpc_err *err);
void cache_writer_free(struct cache_writer *w);

#endif
