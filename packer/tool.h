/*
 * tool: an outside program run by stage "pack" of the pipeline, such as
 * grub-mkimage for the boot loaders or qemu-img for a qcow2 volume.
 */
#ifndef HPC_TOOL_H
#define HPC_TOOL_H

#include "util.h"

/*
 * tool_run - run argv (argv[0] found on PATH, no shell) and wait for it;
 * its output is discarded and its error output kept for the message.
 * Returns 0 when it exits 0, or -errno with a message in err.
 */
int tool_run(char *const argv[], struct hpc_err *err);

#endif
