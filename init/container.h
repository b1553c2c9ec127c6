/*
 * container: one container of the pod, from its root to its running
 * process. The init prepares the root once (an overlay of the read-only
 * root filesystem, the pod's /etc files bound in) and starts the process
 * as often as the restart policy asks, in new mount, PID, UTS and IPC
 * namespaces; the network stays the pod's.
 */
#ifndef HPC_INIT_CONTAINER_H
#define HPC_INIT_CONTAINER_H

#include <sys/types.h>

#include "console.h"
#include "errmsg.h"
#include "plan.h"

struct container {
	const struct plan_container *spec;	/* not owned */
	const struct plan *plan;		/* not owned */
	char root[300];		/* the merged tree, in the init's namespace */
	int tty;		/* the console is its controlling terminal */
	pid_t pid;		/* the namespace's shim; 0 when not running */
	int out_fd;		/* read ends of its stdout and stderr; -1 */
	int err_fd;		/* when closed or with a tty */
	struct console_stream out;
	struct console_stream err;
};

/*
 * container_prepare - set up the root of plan's container index: an
 * overlay of lower in a tmpfs under dir, with the files of etc_dir bound
 * into it. Returns 0 or -errno with a message in e.
 */
int container_prepare(struct container *c, const struct plan *plan,
		      size_t index, const char *lower, const char *dir,
		      const char *etc_dir, struct errmsg *e);

/*
 * container_start - start the container's process; c->pid and the read
 * ends (non-blocking) are set on success. What fails inside the new
 * namespaces is said on the container's stderr and ends it with status
 * 126 (or 127 for a command not found). Returns 0 or -errno.
 */
int container_start(struct container *c, struct errmsg *e);

#endif
