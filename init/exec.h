/*
 * exec: the last step of starting a container, running its command. The
 * program is looked up in the PATH of the container's own environment,
 * and the exit statuses follow the shell's rule: 127 when the command is
 * not found, 126 when it cannot be run.
 */
#ifndef HPC_INIT_EXEC_H
#define HPC_INIT_EXEC_H

#include <stddef.h>

#define EXEC_NOT_FOUND 127
#define EXEC_CANNOT_RUN 126
#define EXEC_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * exec_lookup - the file to run for cmd: cmd itself when it holds a '/',
 * else the first executable regular file cmd in the ':'-separated path.
 * Returns 0 with the file in ret, -ENOENT when there is none, -EACCES
 * when one exists but cannot be run.
 */
int exec_lookup(const char *cmd, const char *path, char *ret, size_t size);

/* exec_env_get - the value of NAME in the NULL-terminated envp, or NULL. */
const char *exec_env_get(char *const *envp, const char *name);

/*
 * exec_command - execve argv with envp; on failure say why on stderr and
 * _exit with 127 or 126. Never returns.
 */
void exec_command(char *const *argv, char *const *envp)
	__attribute__((noreturn));

#endif
