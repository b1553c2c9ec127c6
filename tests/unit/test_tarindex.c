/*
 * test_tarindex: member offsets of uncompressed tars written by
 * libarchive in PAX and GNU formats (long names both ways), checked by
 * reading the bytes at each offset; compressed and broken files are
 * left to the stream reader (-ENOTSUP).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "tarindex.h"
#include "tmpdir.h"

#define LONG_NAME "blobs/sha256/" \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
	"/and/more/than/a/hundred/bytes"

static void add(struct archive *a, const char *name, const char *data,
		const char *symlink)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, symlink ? AE_IFLNK | 0777 : AE_IFREG | 0644);
	if (symlink)
		archive_entry_set_symlink(e, symlink);
	else
		archive_entry_set_size(e, (la_int64_t)strlen(data));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (!symlink)
		assert_int_equal(archive_write_data(a, data, strlen(data)),
				 (la_ssize_t)strlen(data));
	archive_entry_free(e);
}

static char *write_tar(const char *dir, const char *name, int format,
		       int gzip)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct archive *a = archive_write_new();

	archive_write_set_format(a, format);
	if (gzip)
		archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	add(a, "./index.json", "{\"schemaVersion\":2}", NULL);
	add(a, LONG_NAME, "long-named data", NULL);
	add(a, "link", NULL, "index.json");
	add(a, "empty", "", NULL);
	add(a, "index.json", "{\"again\":1}", NULL);
	archive_write_free(a);
	return path;
}

static void expect_bytes(const char *path, const struct tar_member *m,
			 const char *want)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(m->size, strlen(want));
	assert_int_equal(pread(fd, buf, m->size, (off_t)m->offset),
			 (ssize_t)m->size);
	close(fd);
	assert_memory_equal(buf, want, m->size);
}

static void check_format(const char *dir, const char *name, int format)
{
	struct hpc_err err = { .msg = "" };
	char *path = write_tar(dir, name, format, 0);
	struct tarindex ix = { 0 };

	assert_int_equal(tarindex_read(path, &ix, &err), 0);
	assert_int_equal(ix.n, 5);
	/* "./" goes, and the last member of a name wins */
	expect_bytes(path, tarindex_find(&ix, "index.json"), "{\"again\":1}");
	expect_bytes(path, tarindex_find(&ix, LONG_NAME), "long-named data");
	expect_bytes(path, tarindex_find(&ix, "empty"), "");
	assert_null(tarindex_find(&ix, "link"));
	assert_null(tarindex_find(&ix, "absent"));
	tarindex_release(&ix);
	free(path);
}

static void test_pax(void **state)
{
	check_format(*state, "pax.tar", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
}

static void test_gnu(void **state)
{
	check_format(*state, "gnu.tar", ARCHIVE_FORMAT_TAR_GNUTAR);
}

static void test_not_plain(void **state)
{
	struct hpc_err err = { .msg = "" };
	struct tarindex ix = { 0 };
	char *gz = write_tar(*state, "x.tar.gz",
			     ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 1);
	char *plain = write_tar(*state, "cut.tar",
				ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 0);
	char *junk = xasprintf("%s/junk", (char *)*state);
	char *absent = xasprintf("%s/absent", (char *)*state);
	FILE *f = fopen(junk, "w");

	assert_non_null(f);
	for (int i = 0; i < 1024; i++)
		fputc('x', f);
	fclose(f);
	assert_int_equal(tarindex_read(gz, &ix, &err), -ENOTSUP);
	assert_int_equal(tarindex_read(junk, &ix, &err), -ENOTSUP);
	/* a tar cut short before its end is no index either */
	assert_int_equal(truncate(plain, 1536), 0);
	assert_int_equal(tarindex_read(plain, &ix, &err), -ENOTSUP);
	assert_int_equal(tarindex_read(absent, &ix, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "cannot open"));
	free(gz);
	free(plain);
	free(junk);
	free(absent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pax, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_gnu, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_not_plain, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
