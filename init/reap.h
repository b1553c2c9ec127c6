/*
 * reap: collect ended children. PID 1 inherits every orphan in the VM and
 * must wait for each, or they stay zombies; a container's status comes
 * from the same wait.
 */
#ifndef HPC_INIT_REAP_H
#define HPC_INIT_REAP_H

#include <sys/types.h>

/*
 * reap_status - what a wait status reports: the exit code, or 128+N for a
 * process killed by signal N (docs/image-format.md).
 */
int reap_status(int wstatus);

/*
 * reap_one - reap one ended child without blocking. Returns its pid with
 * reap_status of it in *ret_status, 0 when no child has ended, -ECHILD
 * when there are no children.
 */
pid_t reap_one(int *ret_status);

/*
 * reap_count_zombies - how many processes under proc (a /proc mount)
 * are zombies, state 'Z' in their stat file; -errno if proc cannot be
 * read. The init says the count once the pod is done, as a check that
 * nothing it should have reaped was left.
 */
int reap_count_zombies(const char *proc);

#endif
