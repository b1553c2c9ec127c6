/*
 * limits: the resource limits a container's command starts with. The
 * kernel gives PID 1 small defaults (1024 open files); a server in a
 * container expects what Docker gives, so each container raises them
 * before it runs its command.
 */
#ifndef HPC_INIT_LIMITS_H
#define HPC_INIT_LIMITS_H

#include <sys/resource.h>

#include "errmsg.h"

/* Open files, soft and hard, when the kernel's fs.nr_open allows. */
#define LIMITS_NOFILE 1048576

/*
 * limits_clamp - the value to set for a wanted limit when the kernel's
 * ceiling is max (0: none known): the smaller of the two.
 */
rlim_t limits_clamp(rlim_t want, rlim_t max);

/*
 * limits_apply - set every limit of the table, each clamped to the
 * kernel's ceiling read from nr_open (a /proc/sys/fs/nr_open path).
 * Returns 0 or -errno with a message in e.
 */
int limits_apply(const char *nr_open, struct errmsg *e);

#endif
