/*
 * test_cache: the blob cache makes its directories, shows a blob under
 * its digest only once verified, leaves no temporary files behind, and
 * lets two writers of the same blob both succeed; a cache only this
 * user can change is told from one others can.
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

#include "cache.h"
#include "tmpdir.h"

/* sha256("hello\n") */
#define HELLO "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static int setup(void **state)
{
	char tmpl[] = "/tmp/hpc-test-cache-XXXXXX";

	if (!mkdtemp(tmpl))
		return -1;
	*state = xasprintf("%s/a/b/cache", tmpl);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%.*s'", 26, (char *)*state);
	int rc = system(cmd);

	free(cmd);
	free(*state);
	return rc;
}

static int put(const char *dir, const char *data, const char *expected,
	       struct hpc_err *err)
{
	struct cache_writer *w = NULL;
	int rc;

	rc = cache_writer_new(dir, &w, err);
	if (rc == 0)
		rc = cache_writer_write(w, data, strlen(data), err);
	if (rc == 0)
		rc = cache_writer_commit(w, expected, err);
	cache_writer_free(w);
	return rc;
}

static void test_init_and_commit(void **state)
{
	const char *dir = *state;
	char *blobs = xasprintf("%s/blobs/sha256", dir);
	char *path = cache_blob_path(dir, HELLO);
	struct hpc_err err = { { 0 } };
	struct stat st;

	assert_int_equal(cache_init(dir, &err), 0);
	assert_int_equal(cache_init(dir, &err), 0);
	assert_int_equal(stat(blobs, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_false(cache_has(dir, HELLO));
	assert_int_equal(put(dir, "hello\n", HELLO, &err), 0);
	assert_true(cache_has(dir, HELLO));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(count_entries(blobs), 1);
	free(path);
	free(blobs);
}

static void test_mismatch_leaves_nothing(void **state)
{
	const char *dir = *state;
	char *blobs = xasprintf("%s/blobs/sha256", dir);
	struct hpc_err err = { { 0 } };

	assert_int_equal(cache_init(dir, &err), 0);
	assert_int_equal(put(dir, "hellO\n", HELLO, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "digest mismatch (got sha256:"));
	assert_false(cache_has(dir, HELLO));
	assert_int_equal(count_entries(blobs), 0);
	free(blobs);
}

/* Two writers of one blob, interleaved, as two builds would be. */
static void test_two_writers(void **state)
{
	const char *dir = *state;
	struct cache_writer *a = NULL, *b = NULL;
	struct hpc_err err = { { 0 } };
	char got[DIGEST_STR_LEN];

	assert_int_equal(cache_init(dir, &err), 0);
	assert_int_equal(cache_writer_new(dir, &a, &err), 0);
	assert_int_equal(cache_writer_new(dir, &b, &err), 0);
	assert_int_equal(cache_writer_write(a, "hel", 3, &err), 0);
	assert_int_equal(cache_writer_write(b, "hello\n", 6, &err), 0);
	assert_int_equal(cache_writer_write(a, "lo\n", 3, &err), 0);
	assert_int_equal(cache_writer_size(a), 6);
	assert_int_equal(cache_writer_commit(b, NULL, &err), 0);
	assert_true(cache_has(dir, HELLO));
	cache_writer_digest(a, got);
	assert_string_equal(got, HELLO);
	assert_int_equal(cache_writer_commit(a, HELLO, &err), 0);
	cache_writer_free(a);
	cache_writer_free(b);
	assert_true(cache_has(dir, HELLO));
}

static void test_default_dir(void **state)
{
	char *d;

	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	d = cache_default_dir();
	assert_string_equal(d, "/x/cache/hpc");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/u", 1);
	d = cache_default_dir();
	assert_string_equal(d, "/home/u/.cache/hpc");
	free(d);
}

static void test_private(void **state)
{
	const char *dir = *state;

	assert_int_equal(cache_init(dir, NULL), 0);
	assert_true(cache_is_private(dir));
	assert_int_equal(chmod(dir, 0775), 0);
	assert_false(cache_is_private(dir));
	assert_int_equal(chmod(dir, 0757), 0);
	assert_false(cache_is_private(dir));
	assert_int_equal(chmod(dir, 0700), 0);
	assert_true(cache_is_private(dir));
	assert_false(cache_is_private("/nonexistent/hpc-cache"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_and_commit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mismatch_leaves_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_writers, setup,
						teardown),
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test_setup_teardown(test_private, setup, teardown),
	};

	/* The directory modes asserted are those under the usual umask. */
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
