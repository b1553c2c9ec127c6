/*
 * supervise: the init's main loop once the containers are prepared. It
 * starts them, relays their output to the console, reaps every child
 * (orphans included), restarts by policy with backoff, reports starts
 * and exits on the exit channel, and stops the pod when asked.
 */
#ifndef HPC_INIT_SUPERVISE_H
#define HPC_INIT_SUPERVISE_H

#include <stddef.h>

#include "container.h"
#include "errmsg.h"

/* How long containers have, after their stop signal, before SIGKILL,
 * unless the host says otherwise (as Docker's "docker stop" gives). */
#define SUPERVISE_GRACE_MS 10000

/*
 * supervise_run - run the n prepared containers until none is left to
 * run, and return the pod's status: the first non-zero last status in
 * plan order, else 0. SIGTERM or SIGINT to the init (Ctrl-Alt-Del
 * becomes SIGINT), or a "stop" from the host on the exit channel, send
 * each container its stop signal and end restarts; what still runs after
 * grace_ms gets SIGKILL. Returns -errno with a message in e when the loop
 * itself cannot run.
 */
int supervise_run(struct container *ctrs, size_t n, unsigned grace_ms,
		  struct errmsg *e);

#endif
