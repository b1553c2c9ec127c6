/*
 * initbin: the check that the init named for the initrd (hpc-init, or
 * --init) can be PID 1 in the guest, made at build time so a wrong file
 * fails the build instead of panicking the guest's kernel.
 */
#ifndef HPC_INITBIN_H
#define HPC_INITBIN_H

#include "util.h"

/*
 * initbin_check - 0 when path is a static x86-64 ELF executable, else
 * -errno (-ENOEXEC for a file of the wrong kind) with err saying why.
 */
int initbin_check(const char *path, struct hpc_err *err);

#endif
