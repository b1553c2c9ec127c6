/*
 * volumes: the pod's volumes inside the VM. Each volume a container
 * uses is found by its GPT name (hpc-vol-NAME, docs/image-format.md) and
 * mounted once, read-write, in the init's namespace; each container
 * then binds it at its path, read-only where the pod says, so two
 * containers that mount one volume see the same files.
 */
#ifndef HPC_INIT_VOLUMES_H
#define HPC_INIT_VOLUMES_H

#include "errmsg.h"
#include "plan.h"

/* Where the init mounts each volume, as VOLUMES_DIR/NAME. */
#define VOLUMES_DIR "/run/hpc/vol"

/*
 * volumes_mount - mount every volume the plan's containers name at
 * dir/NAME, waiting up to timeout_ms for each partition. Returns 0 or
 * -errno with a message.
 */
int volumes_mount(const struct plan *plan, const char *dir,
		  unsigned timeout_ms, struct errmsg *e);

/*
 * volumes_open - in a container's new namespace, before it changes
 * root: an O_PATH descriptor of each of c's mount sources under dir, in
 * a new array (*ret_fds, c->n_mounts long; freed by the caller).
 */
int volumes_open(const struct plan_container *c, const char *dir,
		 int **ret_fds, struct errmsg *e);

/*
 * volumes_bind - after the container changed root and mounted /proc:
 * bind each source onto its path, created when missing (resolved inside
 * the new root), and make it read-only where the plan says.
 */
int volumes_bind(const struct plan_container *c, const int *fds,
		 struct errmsg *e);

#endif
