/*
 * test_init_exec: finding and running a container's command
 * (init/exec.c): PATH lookup from the container's environment, and the
 * shell's statuses, 127 for not found and 126 for not runnable.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec.h"

static char dir[] = "/tmp/test_init_exec.XXXXXX";
static char bin1[128], bin2[128];

static void make_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\nexit 5\n", 17), 17);
	close(fd);
	chmod(path, mode);
}

static int setup(void **state)
{
	char p[256];

	if (!mkdtemp(dir))
		return -1;
	snprintf(bin1, sizeof(bin1), "%s/bin1", dir);
	snprintf(bin2, sizeof(bin2), "%s/bin2", dir);
	mkdir(bin1, 0755);
	mkdir(bin2, 0755);
	snprintf(p, sizeof(p), "%s/tool", bin2);
	make_file(p, 0755);
	snprintf(p, sizeof(p), "%s/tool", bin1);
	make_file(p, 0644);		/* shadowed, not runnable */
	snprintf(p, sizeof(p), "%s/plain", bin1);
	make_file(p, 0644);
	snprintf(p, sizeof(p), "%s/sub", bin1);
	mkdir(p, 0755);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_lookup(void **state)
{
	char path[512], found[512], want[512];

	snprintf(path, sizeof(path), "/nonexistent:%s:%s", bin1, bin2);
	assert_int_equal(exec_lookup("tool", path, found, sizeof(found)), 0);
	snprintf(want, sizeof(want), "%s/tool", bin2);
	assert_string_equal(found, want);
	assert_int_equal(exec_lookup("plain", path, found, sizeof(found)),
			 -EACCES);
	assert_int_equal(exec_lookup("sub", path, found, sizeof(found)),
			 -EACCES);
	assert_int_equal(exec_lookup("nothing", path, found, sizeof(found)),
			 -ENOENT);
	assert_int_equal(exec_lookup("", path, found, sizeof(found)), -ENOENT);
}

static void test_lookup_slash(void **state)
{
	char found[512], p[512];

	snprintf(p, sizeof(p), "%s/tool", bin2);
	assert_int_equal(exec_lookup(p, "", found, sizeof(found)), 0);
	assert_string_equal(found, p);
	snprintf(p, sizeof(p), "%s/plain", bin1);
	assert_int_equal(exec_lookup(p, "", found, sizeof(found)), -EACCES);
	assert_int_equal(exec_lookup(bin1, "", found, sizeof(found)),
			 -EACCES);
	assert_int_equal(exec_lookup("/nonexistent/x", "/bin", found,
				     sizeof(found)), -ENOENT);
}

static void test_lookup_empty_entry(void **state)
{
	char found[512], old[512];

	/* An empty PATH entry is the working directory. */
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(bin2), 0);
	assert_int_equal(exec_lookup("tool", "/nonexistent:", found,
				     sizeof(found)), 0);
	assert_string_equal(found, "./tool");
	assert_int_equal(chdir(old), 0);
}

static void test_env_get(void **state)
{
	char *env[] = { "PATHX=1", "PATH=/a:/b", "EMPTY=", NULL };

	assert_string_equal(exec_env_get(env, "PATH"), "/a:/b");
	assert_string_equal(exec_env_get(env, "EMPTY"), "");
	assert_null(exec_env_get(env, "PAT"));
	assert_null(exec_env_get(NULL, "PATH"));
}

/* Run exec_command in a child; its status, and its stderr in msg. */
static int run(char *const *argv, char *const *envp, char *msg, size_t size)
{
	int fds[2], ws;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		exec_command(argv, envp);
	}
	close(fds[1]);
	n = read(fds[0], msg, size - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	return WEXITSTATUS(ws);
}

static void test_command(void **state)
{
	char path[512], msg[512], plain[512];
	char *env[] = { path, NULL };
	char *found[] = { "tool", NULL };
	char *missing[] = { "nothing", NULL };
	char *noexec[] = { plain, NULL };

	snprintf(path, sizeof(path), "PATH=%s", bin2);
	snprintf(plain, sizeof(plain), "%s/plain", bin1);
	assert_int_equal(run(found, env, msg, sizeof(msg)), 5);
	assert_string_equal(msg, "");
	assert_int_equal(run(missing, env, msg, sizeof(msg)), 127);
	assert_string_equal(msg, "hpc-init: cannot run 'nothing': "
			    "command not found\n");
	assert_int_equal(run(noexec, env, msg, sizeof(msg)), 126);
	assert_non_null(strstr(msg, "Permission denied"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_lookup_slash),
		cmocka_unit_test(test_lookup_empty_entry),
		cmocka_unit_test(test_env_get),
		cmocka_unit_test(test_command),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
