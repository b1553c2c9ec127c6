/*
 * tool: run one of the external programs the chain leans on (GRUB's
 * grub-mkimage when packing, qemu-img for a qcow2 volume and when an
 * image is written as qcow2 or read back from one) and turn its failure
 * into one message.
 */
#ifndef HPC_TOOL_H
#define HPC_TOOL_H

#include "util.h"

/*
 * tool_run - run argv (argv[0] found on PATH) and wait for it; its output
 * is discarded and the first line of its error output kept for the
 * message. Returns 0 when it exits 0; -ENOENT (or another -errno) when it
 * cannot be started; -EIO when it fails, the message saying how.
 */
int tool_run(char *const argv[], struct hpc_err *err);

#endif
