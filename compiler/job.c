/*
 * job: work on a thread of its own. See job.h.
 */
#include "job.h"

void job_start(struct job *j, void *(*fn)(void *), void *arg)
{
	j->running = pthread_create(&j->thread, NULL, fn, arg) == 0;
	if (!j->running)
		fn(arg);
}

void job_wait(struct job *j)
{
	if (j->running)
		pthread_join(j->thread, NULL);
	j->running = false;
}
