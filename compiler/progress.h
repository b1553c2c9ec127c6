/*
 * progress: one line per blob on a terminal while stage "fetch"
 * downloads (bytes, rate, time left), redrawn in place. Nothing is drawn
 * when stderr is not a terminal or -q was given. Safe to use from the
 * threads that download at once.
 */
#ifndef HPC_PROGRESS_H
#define HPC_PROGRESS_H

#include <stdint.h>

struct progress;

/* progress_new - a set of lines; NULL-safe and silent when not drawn. */
struct progress *progress_new(void);
/* progress_free - draw the final state and free p (NULL is fine). */
void progress_free(struct progress *p);

/* progress_add - a new line for label, total bytes; returns its id. */
int progress_add(struct progress *p, const char *label, uint64_t total);
/* progress_update - done bytes of line id so far (0 again on a retry). */
void progress_update(struct progress *p, int id, uint64_t done);
/* progress_end - line id is finished; status replaces its numbers. */
void progress_end(struct progress *p, int id, const char *status);

#endif
