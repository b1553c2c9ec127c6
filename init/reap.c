/*
 * reap: ended children (see reap.h).
 */
#include "reap.h"

#include <errno.h>
#include <sys/wait.h>

int reap_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

pid_t reap_one(int *ret_status)
{
	int ws;
	pid_t pid;

	do
		pid = waitpid(-1, &ws, WNOHANG);
	while (pid < 0 && errno == EINTR);
	if (pid < 0)
		return -errno;
	if (pid > 0)
		*ret_status = reap_status(ws);
	return pid;
}
