/*
 * test_init_report: the init's side of the exit channel (init/report.c):
 * the lines it writes and the host's requests it reads, over a socket
 * pair standing in for the virtio-serial port; and the clamp of the
 * container limits (init/limits.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "limits.h"
#include "report.h"

static int pair[2];

static int setup_pair(void **state)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
		return -1;
	report_use_fd(pair[0]);
	return 0;
}

static int teardown_pair(void **state)
{
	report_use_fd(-1);
	close(pair[0]);
	close(pair[1]);
	return 0;
}

static void host_says(const char *s)
{
	assert_int_equal(write(pair[1], s, strlen(s)), (ssize_t)strlen(s));
}

static void test_events(void **state)
{
	char buf[256];
	ssize_t n;

	report_event("exit %s %d %u", "web", 143, 2u);
	report_event("time %llu started %s", 1234ULL, "web");
	n = read(pair[1], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "exit web 143 2\ntime 1234 started web\n");
}

static void test_requests(void **state)
{
	assert_int_equal(report_read_requests(), REPORT_NONE);
	host_says("hello\nst");
	assert_int_equal(report_read_requests(), REPORT_NONE);
	/* A request split across reads, with a CR. */
	host_says("op\r\n");
	assert_int_equal(report_read_requests(), REPORT_STOP);
	assert_int_equal(report_read_requests(), REPORT_NONE);
	host_says("stopped\nstop now\n");
	assert_int_equal(report_read_requests(), REPORT_NONE);
}

static void test_parse(void **state)
{
	assert_int_equal(report_parse_request("stop"), REPORT_STOP);
	assert_int_equal(report_parse_request("STOP"), REPORT_NONE);
	assert_int_equal(report_parse_request(""), REPORT_NONE);
}

static void test_closed(void **state)
{
	report_use_fd(-1);
	report_event("pod %d", 0);	/* nowhere to go: nothing happens */
	assert_int_equal(report_read_requests(), REPORT_NONE);
}

static void test_limits_clamp(void **state)
{
	assert_int_equal(limits_clamp(LIMITS_NOFILE, 0), LIMITS_NOFILE);
	assert_int_equal(limits_clamp(LIMITS_NOFILE, 65536), 65536);
	assert_int_equal(limits_clamp(LIMITS_NOFILE, 1u << 30), LIMITS_NOFILE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_events, setup_pair,
						teardown_pair),
		cmocka_unit_test_setup_teardown(test_requests, setup_pair,
						teardown_pair),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_closed),
		cmocka_unit_test(test_limits_clamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
