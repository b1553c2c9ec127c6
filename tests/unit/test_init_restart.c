/*
 * test_init_restart: restart policies and backoff (init/restart.c), the
 * statuses a wait gives (init/reap.c): 128+N for signal N, and the count
 * of zombies the init says at the end of a pod, read from a real /proc
 * and from a made-up one.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "reap.h"
#include "tmpdir.h"
#include "restart.h"

static void test_wanted(void **state)
{
	assert_false(restart_wanted(PLAN_RESTART_NEVER, 0));
	assert_false(restart_wanted(PLAN_RESTART_NEVER, 1));
	assert_false(restart_wanted(PLAN_RESTART_ON_FAILURE, 0));
	assert_true(restart_wanted(PLAN_RESTART_ON_FAILURE, 1));
	assert_true(restart_wanted(PLAN_RESTART_ON_FAILURE, 137));
	assert_true(restart_wanted(PLAN_RESTART_ALWAYS, 0));
	assert_true(restart_wanted(PLAN_RESTART_ALWAYS, 2));
}

static void test_delay(void **state)
{
	static const unsigned want[] = {
		100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000,
	};
	unsigned d = 0;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		d = restart_delay(d, 50);
		assert_int_equal(d, want[i]);
	}
	/* A run of 10 s or more starts the backoff again. */
	assert_int_equal(restart_delay(10000, 9999), 10000);
	assert_int_equal(restart_delay(10000, 10000), 100);
	assert_int_equal(restart_delay(400, 60000), 100);
}

static int status_of(void (*child)(void))
{
	int ws;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		child();
		_exit(99);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	return reap_status(ws);
}

static void exit_7(void)
{
	_exit(7);
}

static void kill_9(void)
{
	kill(getpid(), SIGKILL);
}

static void term(void)
{
	signal(SIGTERM, SIG_DFL);
	raise(SIGTERM);
}

static void test_status(void **state)
{
	assert_int_equal(status_of(exit_7), 7);
	assert_int_equal(status_of(kill_9), 137);
	assert_int_equal(status_of(term), 143);
}

static void test_reap_one(void **state)
{
	int status = -1;
	pid_t pid = fork(), got;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(3);
	while ((got = reap_one(&status)) == 0)
		usleep(1000);
	assert_int_equal(got, pid);
	assert_int_equal(status, 3);
	assert_int_equal(reap_one(&status), -ECHILD);
}

/* A made-up /proc: the name holds ')' and spaces, as a comm may. */
static void write_stat(const char *dir, const char *pid, const char *line)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s/stat", dir, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(line, f);
	fclose(f);
}

static void test_zombies_fake(void **state)
{
	const char *dir = *state;
	char path[512];

	write_stat(dir, "1", "1 (init) S 0 1 1 0 -1\n");
	write_stat(dir, "42", "42 (a) Z (b) Z 1 42 42 0 -1\n");
	write_stat(dir, "43", "43 (sleep) Z 1 43 43 0 -1\n");
	write_stat(dir, "44", "44 (Z) R 1 44 44 0 -1\n");
	snprintf(path, sizeof(path), "%s/self", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(reap_count_zombies(dir), 2);
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(reap_count_zombies(path), -ENOENT);
}

/* The state letter of pid in /proc, or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], buf[256], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

/*
 * A child that ended and was not waited for is a zombie in /proc. Other
 * processes of the machine come and go meanwhile, so the count is only
 * known to hold this one while it is a zombie.
 */
static void test_zombies_real(void **state)
{
	pid_t pid = fork();
	int status, i;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	for (i = 0; i < 100 && proc_state(pid) != 'Z'; i++)
		usleep(20000);
	assert_int_equal(proc_state(pid), 'Z');
	assert_true(reap_count_zombies("/proc") >= 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_reap_one),
		cmocka_unit_test_setup_teardown(test_zombies_fake, setup_tmp,
						teardown_tmp),
		cmocka_unit_test(test_zombies_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
