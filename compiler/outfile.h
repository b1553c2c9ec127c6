/*
 * outfile: the image being written, under a temporary name beside the
 * output, renamed into place only on success. An interrupted build
 * (SIGINT, SIGTERM, SIGHUP) or a failed one removes the temporary file,
 * so no partial pod.img is ever left behind. Before any slow step the
 * pipeline asks which file the image will replace (a symlink's target)
 * and whether that file may be replaced at all.
 */
#ifndef HPC_OUTFILE_H
#define HPC_OUTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct outfile;

/* outfile_check_dir - 0 if the directory that will hold path is writable. */
int outfile_check_dir(const char *path, struct hpc_err *err);

/*
 * outfile_resolve - the file that an image written to path replaces:
 * path itself, or the target a symlink at path leads to (as cp and a
 * shell's '>' follow it). Fails, naming path, when path ends in '/',
 * exists and is not a regular file (a directory, a device, a FIFO, a
 * socket), or its directory cannot take a new file. *ret is the
 * caller's to free.
 */
int outfile_resolve(const char *path, char **ret, struct hpc_err *err);

/*
 * outfile_check_input - -EINVAL if writing output would overwrite input:
 * the same file (st_dev and st_ino), or, for an input directory, a file
 * inside it. what names the input in the message ("pod file", ...).
 * An input that cannot be found is left for its own step to report.
 */
int outfile_check_input(const char *output, const char *input,
			const char *what, struct hpc_err *err);

/*
 * outfile_create - a new sparse temporary file of size bytes beside path.
 * Finish with outfile_commit or outfile_abort.
 */
int outfile_create(const char *path, uint64_t size, struct outfile **ret,
		   struct hpc_err *err);

/* outfile_path - the temporary file's path, for writers that open it. */
const char *outfile_path(const struct outfile *f);

int outfile_write(struct outfile *f, uint64_t offset, const void *buf,
		  size_t len, struct hpc_err *err);

/*
 * outfile_start_sync - start writing [offset, offset + len) to disk
 * without waiting, so that the sync at outfile_commit finds less to do.
 */
void outfile_start_sync(struct outfile *f, uint64_t offset, uint64_t len);

/*
 * outfile_convert - run "qemu-img convert OPTS... TMP NEW" and let NEW, a
 * second temporary file beside the output, take TMP's place (TMP is
 * removed). opts is NULL-terminated. On failure f is as it was.
 */
int outfile_convert(struct outfile *f, const char *const *opts,
		    struct hpc_err *err);

/* outfile_sync - the file's bytes to disk now (outfile_commit does it too). */
int outfile_sync(struct outfile *f, struct hpc_err *err);

/*
 * outfile_commit - sync the file and rename it over the output; *f is
 * freed and set to NULL whatever the result.
 */
int outfile_commit(struct outfile **f, struct hpc_err *err);
/* outfile_abort - remove the temporary file and free f (NULL is fine). */
void outfile_abort(struct outfile *f);

#endif
