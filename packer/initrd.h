/*
 * initrd: the gzip-compressed cpio (newc) archive the kernel unpacks as
 * its first root: hpc-init as /init, the kernel modules under
 * /lib/modules, and the init plan at /hpc/plan. Written with libarchive,
 * reproducibly: entries sorted, owned by 0:0, with a fixed time.
 */
#ifndef HPC_INITRD_H
#define HPC_INITRD_H

#include <stdint.h>

#include "kernel.h"
#include "util.h"

struct initrd_input {
	const char *init_path;			/* hpc-init on the host */
	const struct kernel_module *modules;	/* become /lib/modules/NAME.ko */
	size_t n_modules;
	const char *plan;			/* the plan's text */
	int64_t mtime;				/* every entry's time */
};

/*
 * initrd_write - write the archive to out_path (created or truncated).
 * Returns 0, or -errno with a message in err.
 */
int initrd_write(const char *out_path, const struct initrd_input *in,
		 struct hpc_err *err);

#endif
