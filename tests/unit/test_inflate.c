/*
 * test_inflate: gzip layer blobs inflated by ISA-L (packer/inflate.c)
 * and read back through libarchive, against the bytes that went in:
 * several members, bytes after the last member, a cut stream, a wrong
 * checksum, and a blob that is not gzip at all.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "inflate.h"
#include "tmpdir.h"

/* past the inflater's buffers, so the ring turns over several times */
#define DATA_SIZE (5u << 20)

static unsigned char *data;

/* Bytes that compress, but not to nothing: a counter mixed with text. */
static void make_data(void)
{
	uint32_t x = 12345;

	data = malloc(DATA_SIZE);
	assert_non_null(data);
	for (size_t i = 0; i < DATA_SIZE; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (i / 64) % 3 ? "layer bytes "[i % 12] :
					 (unsigned char)(x >> 24);
	}
}

/* gzip_of - one gzip member of buf, made by libarchive's zlib writer. */
static size_t gzip_of(const void *buf, size_t len, unsigned char *out,
		      size_t cap)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t used = 0;

	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, out, cap, &used),
			 ARCHIVE_OK);
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, buf, len), (la_ssize_t)len);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_free(a);
	return used;
}

static char *put_file(const char *dir, const char *name,
		      const unsigned char *buf, size_t len)
{
	char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

/*
 * read_all - the blob's bytes through inflate_open and libarchive's raw
 * reader: 0 with *ret_len set, or -1 with the error text in msg.
 */
static int read_all(const char *path, unsigned char *out, size_t cap,
		    size_t *ret_len, char *msg, size_t msg_cap)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t len = 0;
	la_ssize_t n;
	int r;

	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	r = inflate_open(a, path, NULL);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &e);
	while (r == ARCHIVE_OK &&
	       (n = archive_read_data(a, out + len, cap - len)) != 0) {
		if (n < 0)
			r = ARCHIVE_FATAL;
		else
			len += (size_t)n;
	}
	if (r != ARCHIVE_OK)
		snprintf(msg, msg_cap, "%s", archive_error_string(a) ?
			 archive_error_string(a) : "?");
	archive_read_free(a);
	*ret_len = len;
	return r == ARCHIVE_OK ? 0 : -1;
}

static void test_members_and_trailing_bytes(void **state)
{
	size_t cap = DATA_SIZE * 2, n, got;
	unsigned char *gz = malloc(cap), *out = malloc(DATA_SIZE + 1);
	char msg[256], *path;

	make_data();
	/* two members: the first 3 MiB, then the rest; then garbage */
	n = gzip_of(data, 3u << 20, gz, cap);
	n += gzip_of(data + (3u << 20), DATA_SIZE - (3u << 20), gz + n,
		     cap - n);
	memcpy(gz + n, "not gzip", 8);
	path = put_file(*state, "two.gz", gz, n + 8);
	assert_int_equal(read_all(path, out, DATA_SIZE + 1, &got, msg,
				  sizeof(msg)), 0);
	assert_int_equal(got, DATA_SIZE);
	assert_memory_equal(out, data, DATA_SIZE);
	free(path);
	free(gz);
	free(out);
	free(data);
}

static void test_cut_and_corrupt(void **state)
{
	size_t cap = DATA_SIZE * 2, n, got;
	unsigned char *gz = malloc(cap), *out = malloc(DATA_SIZE);
	char msg[256], *path;

	make_data();
	n = gzip_of(data, DATA_SIZE, gz, cap);
	path = put_file(*state, "cut.gz", gz, n / 2);
	assert_int_equal(read_all(path, out, DATA_SIZE, &got, msg,
				  sizeof(msg)), -1);
	assert_non_null(strstr(msg, "truncated"));
	free(path);
	/* the stored CRC-32 sits in the trailer's first four bytes */
	gz[n - 8] ^= 0xff;
	path = put_file(*state, "crc.gz", gz, n);
	assert_int_equal(read_all(path, out, DATA_SIZE, &got, msg,
				  sizeof(msg)), -1);
	assert_non_null(strstr(msg, "checksum"));
	free(path);
	free(gz);
	free(out);
	free(data);
}

static void test_plain_goes_to_libarchive(void **state)
{
	static const unsigned char text[] = "plain bytes, no gzip here\n";
	unsigned char out[64];
	char msg[256], *path;
	size_t got;

	path = put_file(*state, "plain", text, sizeof(text) - 1);
	assert_int_equal(read_all(path, out, sizeof(out), &got, msg,
				  sizeof(msg)), 0);
	assert_int_equal(got, sizeof(text) - 1);
	assert_memory_equal(out, text, got);
	free(path);
}

static void test_missing_file(void **state)
{
	struct archive *a = archive_read_new();

	archive_read_support_format_raw(a);
	assert_int_equal(inflate_open(a, "/nonexistent/layer", NULL),
			 ARCHIVE_FATAL);
	assert_int_equal(archive_errno(a), ENOENT);
	archive_read_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_members_and_trailing_bytes,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_cut_and_corrupt,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_plain_goes_to_libarchive,
						setup_tmp, teardown_tmp),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
