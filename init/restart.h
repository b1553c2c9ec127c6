/*
 * restart: the restart policy of a container (never, onFailure, always)
 * and the pause before each restart: 100 ms, doubling to 10 s, back to
 * 100 ms after a run of 10 s or more, so a crash loop does not eat the VM
 * and a container that ran well restarts at once.
 */
#ifndef HPC_INIT_RESTART_H
#define HPC_INIT_RESTART_H

#include <stdint.h>

#include "plan.h"

#define RESTART_FIRST_MS 100
#define RESTART_MAX_MS 10000
#define RESTART_RESET_MS 10000

/* restart_wanted - 1 when a container that ended with status restarts. */
int restart_wanted(enum plan_restart policy, int status);

/*
 * restart_delay - the pause before the next start, given the pause before
 * the last one (0 for none yet) and how long the last run lasted.
 */
unsigned restart_delay(unsigned prev_ms, uint64_t ran_ms);

#endif
