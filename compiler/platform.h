/*
 * platform: the --platform OS/ARCH[/VARIANT] option of "hpc build" and
 * "hpc pull", which picks an image from a multi-platform index in stage
 * "fetch".
 */
#ifndef HPC_PLATFORM_H
#define HPC_PLATFORM_H

#include "util.h"

struct platform {
	char *os, *arch;
	char *variant;		/* NULL when not given */
};

/*
 * platform_parse - split "os/arch" or "os/arch/variant" into ret, whose
 * strings the caller frees with platform_release. Returns 0, or -EINVAL
 * with a message.
 */
int platform_parse(const char *s, struct platform *ret, struct hpc_err *err);
void platform_release(struct platform *p);

#endif
