/*
 * tool: run an external program, keeping what it says on stderr for the
 * message. See tool.h.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

#define MSG_MAX 1024

/*
 * Read the pipe to its end, keeping the first size - 1 bytes in msg, so
 * a tool that says much is never stopped by a full pipe.
 */
static void drain(int fd, char *msg, size_t size)
{
	char scratch[4096];
	size_t len = 0;
	ssize_t n;

	for (;;) {
		if (len < size - 1)
			n = read(fd, msg + len, size - 1 - len);
		else
			n = read(fd, scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < size - 1)
			len += (size_t)n;
	}
	msg[len] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
}

int tool_run(char *const argv[], struct hpc_err *err)
{
	posix_spawn_file_actions_t fa;
	char msg[MSG_MAX] = "";
	int pipefd[2], status, rc;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_set(err, -errno, "cannot make a pipe: %s",
			       strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == 0)
		cleanup_child(pid);	/* an interrupted build kills it */
	close(pipefd[1]);
	if (rc == 0)
		drain(pipefd[0], msg, sizeof(msg));
	close(pipefd[0]);
	if (rc)
		return err_set(err, -rc, "cannot run '%s': %s", argv[0],
			       strerror(rc));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	cleanup_child_end(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return err_set(err, -EIO, "'%s' failed: %s", argv[0],
			       *msg ? msg : "no message");
	return 0;
}
