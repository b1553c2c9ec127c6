/*
 * test_outfile: what an output path may be before a build writes to it.
 * outfile_resolve follows symlinks and refuses what an image cannot
 * replace; outfile_check_input refuses an output that is an input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "outfile.h"
#include "tmpdir.h"

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

/* outfile_resolve fails with code and a message holding text. */
static void refused(const char *path, int code, const char *text)
{
	struct hpc_err err = { .msg = "" };
	char *target = NULL;

	assert_int_equal(outfile_resolve(path, &target, &err), code);
	assert_null(target);
	if (!strstr(err.msg, text))
		fail_msg("'%s' lacks '%s'", err.msg, text);
}

static void test_regular_and_new(void **state)
{
	struct hpc_err err = { .msg = "" };
	char *target = NULL;

	touch(tmp_at(state, "old.img"));
	assert_int_equal(outfile_resolve(tmp_at(state, "old.img"), &target,
					 &err), 0);
	assert_string_equal(target, tmp_at(state, "old.img"));
	free(target);
	assert_int_equal(outfile_resolve(tmp_at(state, "new.img"), &target,
					 &err), 0);
	assert_string_equal(target, tmp_at(state, "new.img"));
	free(target);
}

static void test_not_regular(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	assert_int_equal(mkdir(tmp_at(state, "d"), 0755), 0);
	refused(tmp_at(state, "d"), -EEXIST, "is a directory, not a regular");
	refused(tmp_at(state, "d/"), -EISDIR, "names a directory");
	assert_int_equal(mkfifo(tmp_at(state, "fifo"), 0644), 0);
	refused(tmp_at(state, "fifo"), -EEXIST, "is a FIFO");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tmp_at(state, "s"));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	refused(tmp_at(state, "s"), -EEXIST, "is a socket");
	refused("/dev/null", -EEXIST, "'/dev/null' is a character device");
	refused("", -EINVAL, "an empty path");
}

static void test_symlinks(void **state)
{
	struct hpc_err err = { .msg = "" };
	char *target = NULL;

	/* a relative link, through a second one, to a file not yet there */
	assert_int_equal(symlink("b.img", tmp_at(state, "a.img")), 0);
	assert_int_equal(symlink("real.img", tmp_at(state, "b.img")), 0);
	assert_int_equal(outfile_resolve(tmp_at(state, "a.img"), &target, &err),
			 0);
	assert_string_equal(target, tmp_at(state, "real.img"));
	free(target);

	assert_int_equal(symlink("/dev/null", tmp_at(state, "null.img")), 0);
	refused(tmp_at(state, "null.img"), -EEXIST, "is a symlink to '/dev/null'");
	assert_int_equal(symlink("gone/x.img", tmp_at(state, "dangling.img")), 0);
	refused(tmp_at(state, "dangling.img"), -ENOENT, "gone/x.img'");
	assert_int_equal(symlink("loop.img", tmp_at(state, "loop.img")), 0);
	refused(tmp_at(state, "loop.img"), -ELOOP, "loop.img'");
}

static void test_inputs(void **state)
{
	struct hpc_err err = { .msg = "" };

	touch(tmp_at(state, "pod.json"));
	assert_int_equal(link(tmp_at(state, "pod.json"), tmp_at(state, "hard.img")),
			 0);
	assert_int_equal(outfile_check_input(tmp_at(state, "hard.img"),
					     tmp_at(state, "pod.json"), "pod file",
					     &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is the pod file"));

	assert_int_equal(mkdir(tmp_at(state, "layout"), 0755), 0);
	touch(tmp_at(state, "layout/index.json"));
	assert_int_equal(outfile_check_input(tmp_at(state, "layout/index.json"),
					     tmp_at(state, "layout"), "image",
					     &err), -EINVAL);
	assert_non_null(strstr(err.msg, "inside the image"));

	/* a new output, a sibling with a common prefix, a missing input */
	assert_int_equal(outfile_check_input(tmp_at(state, "new.img"),
					     tmp_at(state, "pod.json"), "pod file",
					     &err), 0);
	touch(tmp_at(state, "layout2"));
	assert_int_equal(outfile_check_input(tmp_at(state, "layout2"),
					     tmp_at(state, "layout"), "image",
					     &err), 0);
	assert_int_equal(outfile_check_input(tmp_at(state, "pod.json"),
					     tmp_at(state, "nowhere"), "file",
					     &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_and_new,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_not_regular, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_symlinks, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_inputs, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
