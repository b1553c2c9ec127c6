/*
 * inflate: a layer blob opened for libarchive's tar reader, with gzip
 * inflated by ISA-L on a thread of its own.
 *
 * Part of stage "pack" (see rootfs.h): both passes over a layer read it
 * through here. A blob that starts with the gzip magic is inflated with
 * ISA-L's igzip, several times faster than zlib, one buffer ahead of the
 * tar reader, so inflating and writing ext4 share the machine's cores.
 * Concatenated gzip members are read as one stream, and bytes after the
 * last member that do not start another are not read, as libarchive's
 * own gzip reader does. Anything else (zstd, plain tar) goes to
 * libarchive's filters unchanged.
 */
#ifndef HPC_INFLATE_H
#define HPC_INFLATE_H

#include <archive.h>
#include <stdbool.h>

/*
 * inflate_open - open the blob at path on the archive a (formats and
 * filters already chosen). Returns libarchive's status, ARCHIVE_OK or an
 * error with archive_errno and archive_error_string set; a gzip blob's
 * inflater is freed by archive_read_close or archive_read_free.
 * *ret_gzip (when not NULL) says whether ISA-L inflates the blob.
 */
int inflate_open(struct archive *a, const char *path, bool *ret_gzip);

#endif
