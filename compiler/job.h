/*
 * job: one piece of work on a thread of its own, waited for later.
 *
 * The build overlaps independent steps: GRUB's images and the initrd's
 * bulk while layers are read, a layer's digest beside pass one, copies
 * into the result cache while the image is finished. Each is a job: it
 * runs on a new thread, or, where no thread can be made, at once in the
 * caller, so a job always runs, and job_wait returns when it is done.
 */
#ifndef HPC_JOB_H
#define HPC_JOB_H

#include <pthread.h>
#include <stdbool.h>

struct job {
	pthread_t thread;
	bool running;		/* on its thread, not waited for yet */
};

/* job_start - run fn(arg), on a thread if one starts, else now. */
void job_start(struct job *j, void *(*fn)(void *), void *arg);

/* job_wait - return once the job is done; again, at once. */
void job_wait(struct job *j);

#endif
