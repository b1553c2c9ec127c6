/*
 * reap: ended children (see reap.h).
 */
#include "reap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The state letter of a stat line: after the last ')' of the name. */
static char stat_state(int dirfd, const char *pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/stat", pid);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

int reap_count_zombies(const char *proc)
{
	DIR *d = opendir(proc);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
		    stat_state(dirfd(d), de->d_name) == 'Z')
			n++;
	closedir(d);
	return n;
}
