/*
 * sysctl: a container's kernel parameters, the pod's "sysctl" field.
 *
 * The last step before a container's command on the boot side of the
 * chain: written under /proc/sys from inside the container's own
 * namespaces, so a namespaced parameter (kernel.domainname, in its UTS
 * namespace) is the container's own; the others are the VM's.
 */
#ifndef HPC_INIT_SYSCTL_H
#define HPC_INIT_SYSCTL_H

#include "errmsg.h"

/*
 * sysctl_apply - write each "name=value" of entries (NULL-terminated,
 * may be NULL) to /proc/sys/NAME, dots in the name read as '/'. Returns
 * 0, or -errno with the parameter named in e.
 */
int sysctl_apply(char *const *entries, struct errmsg *e);

#endif
