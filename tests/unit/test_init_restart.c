/*
 * test_init_restart: restart policies and backoff (init/restart.c), and
 * the statuses a wait gives (init/reap.c): 128+N for signal N.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "reap.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_reap_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
