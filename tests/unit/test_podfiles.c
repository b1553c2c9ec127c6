/*
 * test_podfiles: the bytes of a pod file from its source (stage fetch).
 * A file: source must be a regular file, opened without waiting on a
 * FIFO; every source stops at --max-layer-size. An alarm turns a fetch
 * that waits for ever into a failure instead of a hung test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "limit.h"
#include "podfiles.h"
#include "tmpdir.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Fetch f into DIR/out; the result, with the message in err. */
static int fetch(void **state, struct spec_file *f, struct hpc_err *err)
{
	int r;

	alarm(10);
	r = podfiles_fetch(f, "files[0]", *state, tmp_at(state, "out"), err);
	alarm(0);
	return r;
}

static void refused(void **state, const char *uri, int code,
		    const char *text)
{
	struct spec_file f = { .name = "f", .uri = (char *)uri };
	struct hpc_err err = { .msg = "" };

	assert_int_equal(fetch(state, &f, &err), code);
	if (!strstr(err.msg, text))
		fail_msg("'%s' lacks '%s'", err.msg, text);
}

static void test_regular(void **state)
{
	struct spec_file f = { .name = "f", .uri = "file:in.txt" };
	struct hpc_err err = { .msg = "" };
	char buf[32] = "";
	FILE *out;

	put(tmp_at(state, "in.txt"), "hello\n");
	assert_int_equal(fetch(state, &f, &err), 0);
	out = fopen(tmp_at(state, "out"), "r");
	assert_non_null(out);
	assert_non_null(fgets(buf, sizeof(buf), out));
	fclose(out);
	assert_string_equal(buf, "hello\n");
}

static void test_not_regular(void **state)
{
	assert_int_equal(mkfifo(tmp_at(state, "fifo"), 0600), 0);
	refused(state, "file:fifo", -EINVAL,
		"/fifo' is a FIFO, not a regular file");
	refused(state, "file:///dev/zero", -EINVAL,
		"files[0].uri: '/dev/zero' is a character device, not a "
		"regular file");
	refused(state, "file:///", -EINVAL,
		"files[0].uri: '/' is a directory, not a regular file");
	refused(state, "file:gone", -ENOENT, "files[0].uri: cannot read");
}

static void test_limit(void **state)
{
	struct spec_file f = { .name = "f", .content = "0123456789",
			       .content_len = 10 };
	struct hpc_err err = { .msg = "" };
	uint64_t saved = limits.layer_bytes;

	limits.layer_bytes = 4;
	put(tmp_at(state, "ten"), "0123456789");
	refused(state, "file:ten", -EFBIG, "files[0].uri: '");
	refused(state, "file:ten", -EFBIG, "ten': bytes: 10, over the limit "
		"of 4 (--max-layer-size raises it)");
	assert_int_equal(fetch(state, &f, &err), -EFBIG);
	assert_string_equal(err.msg, "files[0].content: bytes: over the "
			    "limit of 4 (--max-layer-size raises it)");
	limits.layer_bytes = 10;
	assert_int_equal(fetch(state, &f, &err), 0);
	f.uri = "file:ten";
	assert_int_equal(fetch(state, &f, &err), 0);
	limits.layer_bytes = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_not_regular, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_limit, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
