/*
 * modules: load the kernel modules the initrd carries (virtio, overlay),
 * in the order the compiler resolved from modules.dep and wrote into the
 * plan, before the init looks for its disks, network and exit channel.
 */
#ifndef HPC_INIT_MODULES_H
#define HPC_INIT_MODULES_H

#include "errmsg.h"

/*
 * modules_load - finit_module each path of the NULL-terminated list in
 * order; a module already loaded (EEXIST) is fine. Returns 0, or -errno
 * with the module's path in e.
 */
int modules_load(char *const *paths, struct errmsg *e);

/*
 * modules_load_dir - load every .ko in dir, in passes, until a pass loads
 * nothing more: the way to reach the exit channel when the plan, and so
 * the load order, cannot be read. Returns how many loaded.
 */
int modules_load_dir(const char *dir);

#endif
