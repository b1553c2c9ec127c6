/*
 * podfiles: the bytes of the pod's files, fetched at build time.
 *
 * Stage "fetch" of the pipeline, for pod "files": a file's bytes come
 * from its uri (file:, http:, https:, with libcurl) or, when it has none,
 * from its content (already decoded by spec_storage.c), and are checked
 * against its sha256. They are written to one file in the build's private
 * temporary directory and go nowhere else but the image.
 */
#ifndef HPC_PODFILES_H
#define HPC_PODFILES_H

#include "spec_storage.h"
#include "util.h"

/*
 * podfiles_fetch - write the bytes of f to dest (created, mode 0600).
 * A relative file: path is relative to pod_dir. what names the file in
 * messages ("files[2]"). Returns 0, or -errno with a message in err
 * naming the field: a source that cannot be read, a file: source that
 * is not a regular file, more bytes than --max-layer-size, an HTTP
 * status that is not 2xx, a sha256 that does not match.
 */
int podfiles_fetch(const struct spec_file *f, const char *what,
		   const char *pod_dir, const char *dest, struct hpc_err *err);

/*
 * podfiles_file_path - the local path of a file: URI (file:///x, file:x,
 * file://localhost/x), %XX escapes decoded, relative ones joined to
 * pod_dir; NULL when uri is not a file: URI of this host or an escape
 * is malformed. The caller frees it.
 */
char *podfiles_file_path(const char *uri, const char *pod_dir);

#endif
