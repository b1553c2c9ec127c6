/*
 * tool: running the outside programs of stage "pack" (grub-mkimage,
 * qemu-img) as tools are run by the packer: no shell, found on PATH.
 * See tool.h.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSG_MAX 1024

/* first_line - the first line of what a failed tool said, for a message. */
static void first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

/*
 * The message names the tool and gives the first line it wrote to its
 * error output, which is where every tool we run says what went wrong.
 */
int tool_run(char *const argv[], struct hpc_err *err)
{
	posix_spawn_file_actions_t fa;
	char msg[MSG_MAX] = "";
	size_t len = 0;
	int pipefd[2], status, rc;
	pid_t pid;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_set(err, -errno, "cannot make a pipe: %s",
			       strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	while (rc == 0 && (n = read(pipefd[0], msg + len,
				    sizeof(msg) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (len += (size_t)n) == sizeof(msg) - 1)
			break;
	}
	close(pipefd[0]);
	if (rc)
		return err_set(err, -rc, "cannot run '%s': %s", argv[0],
			       strerror(rc));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	msg[len] = '\0';
	first_line(msg);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return err_set(err, -EIO, "'%s' failed: %s", argv[0],
			       *msg ? msg : "no message");
	return 0;
}

