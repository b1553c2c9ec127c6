/*
 * cleanup: what an interrupted build must undo. Every stage that makes a
 * temporary file or directory (the image beside the output, the private
 * directory of initrd and loaders, a blob on its way into the cache)
 * registers it here, and every child process it waits for; on SIGINT,
 * SIGTERM or SIGHUP the handler kills the children, removes what is
 * registered, newest first, and dies of the same signal, so a killed
 * "hpc build" leaves no partial file behind and the cache holds only
 * whole, verified blobs.
 */
#ifndef HPC_CLEANUP_H
#define HPC_CLEANUP_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * cleanup_add - remove path (a file, or an empty directory) if a signal
 * ends the process. Returns a handle for cleanup_forget, or -1 when the
 * table is full (then nothing is registered). Thread-safe; the first call
 * installs the signal handlers.
 */
int cleanup_add(const char *path);

/*
 * cleanup_mkstemp, cleanup_mkdtemp - mkostemp(tmpl, O_CLOEXEC) and
 * mkdtemp(tmpl) with the result registered, signals held off in between
 * so no moment leaves an unregistered file. Return the fd (or 0 for the
 * directory) with *ret_handle set, or -errno.
 *
 * The file holds an exclusive flock for as long as its descriptor is
 * open, so what SIGKILL leaves (which no handler removes) is told from
 * a file still being written by cleanup_is_leftover, in any PID
 * namespace: a PID cannot tell, as another namespace or host sharing
 * the directory has PIDs that mean nothing here.
 */
int cleanup_mkstemp(char *tmpl, int *ret_handle);
int cleanup_mkdtemp(char *tmpl, int *ret_handle);

/*
 * cleanup_is_leftover - whether the temporary file at path, found with
 * st, was left by a writer that is gone: its lock can be taken (any
 * failure to try says no), and it has not changed for CLEANUP_IDLE
 * seconds (which covers the instant between its creation and its lock,
 * and the file systems where no lock is taken: SMB and NFS, where a
 * lock binds more than upkeep).
 */
#define CLEANUP_IDLE 60
bool cleanup_is_leftover(const char *path, const struct stat *st);

/*
 * cleanup_commit - call commit(arg), the step that puts the output in
 * place, with signals held off. When it returns 0 the build has
 * succeeded: a signal after it still removes what is registered, but
 * the process then exits with status 0, not of the signal. Returns what
 * commit returned.
 */
int cleanup_commit(int (*commit)(void *arg), void *arg);

/* cleanup_forget - path is renamed or removed: leave it. -1 is ignored. */
void cleanup_forget(int handle);

/*
 * cleanup_child - kill pid if a signal ends the process, until
 * cleanup_child_end(pid); a few tools may run at once.
 */
void cleanup_child(pid_t pid);
void cleanup_child_end(pid_t pid);

#endif
