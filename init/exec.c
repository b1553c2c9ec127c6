/*
 * exec: run a container's command (see exec.h).
 */
#include "exec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"

/* 0 for a file we may run, -EACCES for one we may not, -ENOENT. */
static int check(const char *file)
{
	struct stat st;

	if (stat(file, &st) < 0)
		return errno == EACCES ? -EACCES : -ENOENT;
	if (!S_ISREG(st.st_mode) || access(file, X_OK) < 0)
		return -EACCES;
	return 0;
}

int exec_lookup(const char *cmd, const char *path, char *ret, size_t size)
{
	char file[4096];
	const char *dir, *end;
	int r, best = -ENOENT;

	if (!*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		r = check(cmd);
		if (r == 0)
			snprintf(ret, size, "%s", cmd);
		return r;
	}
	for (dir = path; dir; dir = *end ? end + 1 : NULL) {
		end = strchrnul(dir, ':');
		/* An empty entry is the working directory, as in sh. */
		if (end == dir)
			snprintf(file, sizeof(file), "./%s", cmd);
		else
			snprintf(file, sizeof(file), "%.*s/%s",
				 (int)(end - dir), dir, cmd);
		r = check(file);
		if (r == 0) {
			snprintf(ret, size, "%s", file);
			return 0;
		}
		if (r == -EACCES)
			best = r;
	}
	return best;
}

const char *exec_env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

void exec_command(char *const *argv, char *const *envp)
{
	const char *path = exec_env_get(envp, "PATH");
	char file[4096];
	int r;

	r = exec_lookup(argv[0], path ? path : EXEC_DEFAULT_PATH, file,
			sizeof(file));
	if (r == 0) {
		execve(file, argv, envp);
		r = -errno;
	}
	if (r == -ENOENT) {
		console_say("cannot run '%s': %s", argv[0],
			    strchr(argv[0], '/') ? "no such file"
						 : "command not found");
		_exit(EXEC_NOT_FOUND);
	}
	console_say("cannot run '%s': %s", argv[0], strerror(-r));
	_exit(EXEC_CANNOT_RUN);
}
