/*
 * test_cleanup: what a signal leaves of a build's temporary files. A
 * child registers files and a directory, is killed with SIGTERM or
 * SIGINT, and must die of that signal with everything removed; a file
 * forgotten before the signal stays. What SIGKILL would leave is told
 * from a file still written by its lock and its age.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "tmpdir.h"

static void child(const char *dir, int sig)
{
	char sub[512], a[600], b[600], kept[600];
	int fd, handle = -1, h;

	snprintf(sub, sizeof(sub), "%s/work-XXXXXX", dir);
	if (cleanup_mkdtemp(sub, &handle) < 0)
		_exit(10);
	snprintf(a, sizeof(a), "%s/a", sub);
	snprintf(b, sizeof(b), "%s/tmp-XXXXXX", dir);
	snprintf(kept, sizeof(kept), "%s/kept", dir);
	cleanup_add(a);
	fd = open(a, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || cleanup_mkstemp(b, &h) < 0)
		_exit(11);
	h = cleanup_add(kept);
	close(open(kept, O_WRONLY | O_CREAT, 0644));
	cleanup_forget(h);
	raise(sig);
	_exit(12);
}

static void run(void **state, int sig)
{
	const char *dir = *state;
	struct dirent *de;
	int status, n = 0;
	DIR *d;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(dir, sig);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			assert_string_equal(de->d_name, "kept");
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

static void test_sigterm(void **state)
{
	run(state, SIGTERM);
}

static void test_sigint(void **state)
{
	run(state, SIGINT);
}

static void test_full_table(void **state)
{
	int h[300], i, got = 0;

	(void)state;
	for (i = 0; i < 300; i++) {
		h[i] = cleanup_add("/nonexistent/x");
		got += h[i] >= 0;
	}
	assert_true(got > 0 && got < 300);
	for (i = 0; i < 300; i++)
		cleanup_forget(h[i]);
	cleanup_forget(-1);
	h[0] = cleanup_add("/nonexistent/y");
	assert_true(h[0] >= 0);
	cleanup_forget(h[0]);
}

/* ages path's mtime past CLEANUP_IDLE and returns its stat */
static struct stat idle(const char *path)
{
	struct timespec t[2] = { { .tv_nsec = UTIME_OMIT } };
	struct stat st;

	t[1].tv_sec = time(NULL) - CLEANUP_IDLE - 1;
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
	assert_int_equal(stat(path, &st), 0);
	return st;
}

static void test_leftover_tmp(void **state)
{
	const char *dir = *state;
	char tmp[512], plain[512];
	struct stat st;
	int handle = -1, fd;

	snprintf(tmp, sizeof(tmp), "%s/tmp-XXXXXX", dir);
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	fd = cleanup_mkstemp(tmp, &handle);
	assert_true(fd >= 0);
	/* idle, but its writer holds the lock: alive */
	st = idle(tmp);
	assert_false(cleanup_is_leftover(tmp, &st));
	assert_int_equal(close(fd), 0);
	assert_true(cleanup_is_leftover(tmp, &st));
	/* unlocked but fresh: it may be between creation and lock */
	assert_int_equal(close(open(plain, O_CREAT | O_WRONLY, 0644)), 0);
	assert_int_equal(stat(plain, &st), 0);
	assert_false(cleanup_is_leftover(plain, &st));
	st = idle(plain);
	assert_true(cleanup_is_leftover(plain, &st));
	cleanup_forget(handle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigterm, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_sigint, setup_tmp,
						teardown_tmp),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test_setup_teardown(test_leftover_tmp, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
