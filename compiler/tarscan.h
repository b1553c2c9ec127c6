/*
 * tarscan: one pass over the entries of an image archive (a docker save
 * tar, an OCI layout tar; plain or compressed) with libarchive, for the
 * archive transports of stage "fetch". Entries are read where they lie,
 * never extracted; what a transport keeps goes into the blob cache.
 */
#ifndef HPC_TARSCAN_H
#define HPC_TARSCAN_H

#include <stddef.h>

#include <archive.h>
#include <archive_entry.h>

#include "util.h"

/*
 * tarscan_fn - called for each entry, name without "./" or "/" in front.
 * Returns 0 to go on, >0 to stop early, or -errno to fail.
 */
typedef int (*tarscan_fn)(struct archive *a, struct archive_entry *e,
			  const char *name, void *arg, struct hpc_err *err);

/* tarscan_each - call fn on each entry of file. Returns 0 or -errno. */
int tarscan_each(const char *file, tarscan_fn fn, void *arg,
		 struct hpc_err *err);

/*
 * tarscan_read_all - the current entry's data, at most max bytes, into a
 * NUL-terminated buffer the caller frees. Returns 0 or -errno (-EFBIG
 * when larger).
 */
int tarscan_read_all(struct archive *a, const char *file, const char *name,
		     size_t max, char **ret, size_t *ret_len,
		     struct hpc_err *err);

/* tarscan_name - a name without "./" or "/" in front. */
const char *tarscan_name(const char *name);

/* tarscan_err - the one translation of libarchive's errors. */
int tarscan_err(struct archive *a, const char *file, struct hpc_err *err);

#endif
