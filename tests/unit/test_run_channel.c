/*
 * test_run_channel: the exit channel parser of the runtime stub and the
 * summaries it prints, and its socket end with a real client.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "channel.h"

static void feed(struct channel *ch, const char *s)
{
	channel_feed(ch, s, strlen(s));
}

/* The report of ch as one string; the caller frees it. */
static char *report(const struct channel *ch, char *const *plan)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	channel_report(ch, plan, f);
	fclose(f);
	return buf;
}

static void test_simple(void **state)
{
	struct channel ch;
	char *plan[] = { "main", NULL }, *r;

	channel_init(&ch);
	feed(&ch, "started main\nexit main 7 0\npod 7\n");
	assert_int_equal(ch.pod_status, 7);
	r = report(&ch, plan);
	assert_string_equal(r, "hpc: container 'main' exited with status 7\n");
	free(r);
	channel_release(&ch);
}

/* Lines split anywhere across reads, CRLF endings, no final newline. */
static void test_split_reads(void **state)
{
	const char *s = "started web\r\nexit web 0 3\r\npod 0";
	struct channel ch;
	size_t i;

	channel_init(&ch);
	for (i = 0; s[i]; i++)
		channel_feed(&ch, s + i, 1);
	assert_int_equal(ch.pod_status, -1);
	channel_finish(&ch);
	assert_int_equal(ch.pod_status, 0);
	assert_int_equal(ch.n_containers, 1);
	assert_true(ch.containers[0].exited);
	assert_int_equal(ch.containers[0].restarts, 3);
	channel_release(&ch);
}

static void test_report_order_and_kinds(void **state)
{
	struct channel ch;
	char *plan[] = { "a", "b", "c", "d", NULL }, *r;

	channel_init(&ch);
	feed(&ch, "started d\nexit d 1 1\nexit b 143 0\nstarted c\n"
	     "started extra\nexit extra 0 0\n"
	     "error cannot mount 'hpc-root-1'\npod 143\n");
	r = report(&ch, plan);
	assert_string_equal(r,
		"hpc: pod error: cannot mount 'hpc-root-1'\n"
		"hpc: container 'a' did not start\n"
		"hpc: container 'b' exited with status 143 (SIGTERM)\n"
		"hpc: container 'c' started but reported no exit\n"
		"hpc: container 'd' exited with status 1 after 1 restart\n"
		"hpc: container 'extra' exited with status 0\n");
	free(r);
	assert_int_equal(ch.pod_status, 143);
	channel_release(&ch);
}

/* A pod is whole only once each container of the plan has started. */
static void test_all_started(void **state)
{
	struct channel ch;
	char *plan[] = { "a", "b", NULL };

	channel_init(&ch);
	assert_false(channel_all_started(&ch, plan));
	feed(&ch, "started a\npod 0\n");
	assert_false(channel_all_started(&ch, plan));
	feed(&ch, "started b\nexit b 0 0\n");
	assert_true(channel_all_started(&ch, plan));
	assert_true(channel_all_started(&ch, NULL));
	channel_release(&ch);
}

/* Nonsense is reported and changes nothing; unknown verbs are skipped. */
static void test_bad_lines(void **state)
{
	struct channel ch;
	char *r;

	channel_init(&ch);
	feed(&ch, "pod 256\npod -1\npod 1x\nexit a 1\nexit a 1 2 3\n"
	     "exit a 300 0\nstarted\nstarted a b\nerror\n"
	     "hello there\n\nstats a 1 2\npod \x1b[2J9\n");
	assert_int_equal(ch.pod_status, -1);
	assert_int_equal(ch.n_containers, 0);
	r = report(&ch, NULL);
	assert_non_null(strstr(r, "bad line on the exit channel: 'pod 256',"
			       " ignoring\n"));
	assert_non_null(strstr(r, "'exit a 1 2 3'"));
	assert_non_null(strstr(r, "'started a b'"));
	assert_non_null(strstr(r, "'error'"));
	/* The escape byte never reaches the terminal. */
	assert_non_null(strstr(r, "'pod ?[2J9'"));
	assert_null(strstr(r, "hello"));
	assert_null(strstr(r, "stats"));
	assert_null(strchr(r, '\x1b'));
	free(r);
	channel_release(&ch);
}

static void test_overlong_line(void **state)
{
	struct channel ch;
	char *big = malloc(3 * CHANNEL_LINE_MAX), *r;

	memset(big, 'x', 3 * CHANNEL_LINE_MAX);
	memcpy(big, "error ", 6);
	channel_init(&ch);
	channel_feed(&ch, big, 3 * CHANNEL_LINE_MAX);
	feed(&ch, "\npod 3\n");
	assert_int_equal(ch.pod_status, 3);
	assert_null(ch.errors);
	r = report(&ch, NULL);
	assert_non_null(strstr(r, "(a line too long to keep)"));
	free(r);
	free(big);
	channel_release(&ch);
}

static void test_socket(void **state)
{
	char dir[] = "/tmp/test_run_channel.XXXXXX", path[128], buf[64];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct hpc_err err = { "" };
	int lfd, c, s;
	ssize_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/exit.sock", dir);
	lfd = channel_listen(path, &err);
	assert_true(lfd >= 0);
	assert_int_equal(channel_listen(path, &err), -EADDRINUSE);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(a.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(c, "pod 5\n", 6), 6);
	s = accept(lfd, NULL, NULL);
	n = read(s, buf, sizeof(buf));
	assert_int_equal(n, 6);
	close(s);
	close(c);
	close(lfd);
	unlink(path);
	rmdir(dir);
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(channel_listen(path, &err), -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "set TMPDIR"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_split_reads),
		cmocka_unit_test(test_report_order_and_kinds),
		cmocka_unit_test(test_all_started),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
