/*
 * initrd: the gzip-compressed cpio (newc) archive the kernel unpacks as
 * its first root: hpc-init as /init, the kernel modules under
 * /lib/modules, and the init plan at /hpc/plan. Written with libarchive,
 * reproducibly: entries sorted, owned by 0:0, with a fixed time; the plan
 * and the runs of entries around it are gzip members of their own, one
 * after another.
 */
#ifndef HPC_INITRD_H
#define HPC_INITRD_H

#include <stdint.h>

#include "kernel.h"
#include "util.h"

/*
 * initrd_gzip_fn - compress len bytes at in into one gzip member in
 * *ret (freed by the caller), as initrd_gzip does, byte for byte (a
 * cache of its results, say). Returns 0 or -errno with a message.
 */
typedef int initrd_gzip_fn(void *ctx, const void *in, size_t len,
			   unsigned char **ret, size_t *ret_len,
			   struct hpc_err *err);

struct initrd_parts;

struct initrd_input {
	const char *init_path;			/* hpc-init on the host */
	const struct kernel_module *modules;	/* become /lib/modules/NAME.ko */
	size_t n_modules;
	const char *plan;			/* the plan's text */
	int64_t mtime;				/* every entry's time */
	initrd_gzip_fn *gzip;			/* NULL: initrd_gzip */
	void *gzip_ctx;
	/* NULL, or initrd_prepare's members for the same input but plan */
	const struct initrd_parts *prepared;
};

/* initrd_gzip - zlib's gzip at level 1, without a time stamp; no ctx. */
int initrd_gzip(void *ctx, const void *in, size_t len, unsigned char **ret,
		size_t *ret_len, struct hpc_err *err);

/* initrd_gzip_version - the version of zlib that initrd_gzip runs. */
const char *initrd_gzip_version(void);

/*
 * initrd_prepare - compress every member of the archive but the plan's
 * (in->plan is not read), so that initrd_write, given them in
 * in->prepared, has only the plan left to compress; name is the initrd
 * in messages. *ret is freed with initrd_parts_free. Returns 0, or
 * -errno with a message in err.
 */
int initrd_prepare(const char *name, const struct initrd_input *in,
		   struct initrd_parts **ret, struct hpc_err *err);
void initrd_parts_free(struct initrd_parts *parts);

/*
 * initrd_write - write the archive to out_path (created or truncated).
 * Returns 0, or -errno with a message in err.
 */
int initrd_write(const char *out_path, const struct initrd_input *in,
		 struct hpc_err *err);

#endif
