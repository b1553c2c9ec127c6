/*
 * test_init_console: the init's line cutter (init/console.c), which turns
 * what a container writes, in whatever pieces, into whole prefixed lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "console.h"

/* Everything written to fd so far (a temporary file), NUL-terminated. */
static char *written(int fd)
{
	static char buf[3 * CONSOLE_LINE_MAX];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static int tmp_fd(void)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	return dup(fileno(f));
}

static void test_pieces(void **state)
{
	struct console_stream s;
	int fd = tmp_fd();

	console_stream_init(&s, "web", '|', fd);
	console_stream_feed(&s, "hel", 3);
	assert_string_equal(written(fd), "");
	console_stream_feed(&s, "lo\nwor", 6);
	assert_string_equal(written(fd), "web | hello\n");
	console_stream_feed(&s, "ld\n\nlast", 8);
	assert_string_equal(written(fd), "web | hello\nweb | world\nweb | \n");
	console_stream_flush(&s);
	assert_string_equal(written(fd), "web | hello\nweb | world\nweb | \n"
			    "web | last\n");
	console_stream_flush(&s);
	assert_string_equal(written(fd), "web | hello\nweb | world\nweb | \n"
			    "web | last\n");
	close(fd);
}

static void test_stderr_mark(void **state)
{
	struct console_stream s;
	int fd = tmp_fd();

	console_stream_init(&s, "db", '!', fd);
	console_stream_feed(&s, "oops\n", 5);
	assert_string_equal(written(fd), "db ! oops\n");
	close(fd);
}

static void test_long_line(void **state)
{
	struct console_stream s;
	char *in = malloc(CONSOLE_LINE_MAX + 11);
	char *out;
	int fd = tmp_fd();

	memset(in, 'x', CONSOLE_LINE_MAX + 10);
	in[CONSOLE_LINE_MAX + 10] = '\n';
	console_stream_init(&s, "a", '|', fd);
	console_stream_feed(&s, in, CONSOLE_LINE_MAX + 11);
	out = written(fd);
	assert_int_equal(strlen(out), 4 + CONSOLE_LINE_MAX + 1 + 4 + 10 + 1);
	assert_memory_equal(out, "a | xxx", 7);
	assert_memory_equal(out + 4 + CONSOLE_LINE_MAX, "\na | xxxxxxxxxx\n",
			    16);
	free(in);
	close(fd);
}

static void test_exact_fill(void **state)
{
	struct console_stream s;
	char *in = malloc(CONSOLE_LINE_MAX + 1);
	int fd = tmp_fd();

	/* A line of exactly the buffer's size and its newline: one line. */
	memset(in, 'y', CONSOLE_LINE_MAX);
	in[CONSOLE_LINE_MAX] = '\n';
	console_stream_init(&s, "a", '|', fd);
	console_stream_feed(&s, in, CONSOLE_LINE_MAX);
	console_stream_feed(&s, in + CONSOLE_LINE_MAX, 1);
	console_stream_flush(&s);
	assert_int_equal(strlen(written(fd)), 4 + CONSOLE_LINE_MAX + 1);
	free(in);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_stderr_mark),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_exact_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
