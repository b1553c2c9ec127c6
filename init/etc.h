/*
 * etc: the pod's /etc/hosts, /etc/resolv.conf and /etc/hostname. The init
 * writes them once into a tmpfs and bind-mounts them into each container
 * root, over whatever the image had, as container runtimes do.
 */
#ifndef HPC_INIT_ETC_H
#define HPC_INIT_ETC_H

#include "errmsg.h"
#include "plan.h"

/* etc_prepare - write the files into dir (created) from the plan. */
int etc_prepare(const char *dir, const struct plan *plan, struct errmsg *e);

/*
 * etc_bind - bind the files in dir onto root/etc/..., first replacing
 * what is not a regular file there (a symlink would lead the mount out of
 * the root). resolv.conf is left alone when the plan has no dns.
 */
int etc_bind(const char *dir, const char *root, const struct plan *plan,
	     struct errmsg *e);

#endif
