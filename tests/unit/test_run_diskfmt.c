/*
 * test_run_diskfmt: telling raw from qcow2 by the magic, the disk size of
 * each, a truncated qcow2 refused, and a range of a qcow2 read back
 * through qemu-img with the sector rounding the caller must skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "diskfmt.h"
#include "tmpdir.h"

#define DISK (4u * 1024 * 1024)
#define AT 1234567u		/* not on a sector */
static const char text[] = "the bytes at an odd offset";

static char *path_in(void **state, const char *name)
{
	return xasprintf("%s/%s", (char *)*state, name);
}

/* A sparse raw disk with text at AT, and its qcow2 conversion. */
static void make_disks(char *raw, char *qcow2)
{
	char *cmd;
	int fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, DISK), 0);
	assert_int_equal(pwrite(fd, text, sizeof(text), AT), sizeof(text));
	close(fd);
	cmd = xasprintf("qemu-img convert -f raw -O qcow2 '%s' '%s'", raw,
			qcow2);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_names(void **state)
{
	enum diskfmt f;

	assert_int_equal(diskfmt_parse("raw", &f), 0);
	assert_int_equal(f, DISKFMT_RAW);
	assert_int_equal(diskfmt_parse("qcow2", &f), 0);
	assert_int_equal(f, DISKFMT_QCOW2);
	assert_string_equal(diskfmt_name(f), "qcow2");
	assert_int_equal(diskfmt_parse("vmdk", &f), -EINVAL);
	assert_int_equal(diskfmt_parse("QCOW2", &f), -EINVAL);
}

static void test_probe_and_read(void **state)
{
	char *raw = path_in(state, "d.img"), *q = path_in(state, "d.qcow2");
	char *out = path_in(state, "range"), buf[sizeof(text)];
	struct hpc_err err = { "" };
	enum diskfmt f;
	uint64_t size, skip;
	int fd;

	make_disks(raw, q);
	assert_int_equal(diskfmt_probe(raw, &f, &size, &err), 0);
	assert_int_equal(f, DISKFMT_RAW);
	assert_int_equal(size, DISK);
	assert_int_equal(diskfmt_probe(q, &f, &size, &err), 0);
	assert_int_equal(f, DISKFMT_QCOW2);
	assert_int_equal(size, DISK);
	assert_int_equal(diskfmt_read_qcow2(q, AT, sizeof(text), out, &skip,
					    &err), 0);
	assert_int_equal(skip, AT % 512);
	fd = open(out, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), (off_t)skip),
			 sizeof(buf));
	close(fd);
	assert_memory_equal(buf, text, sizeof(text));
	free(raw);
	free(q);
	free(out);
}

/* Cut after the header: qemu-img check finds the clusters missing. */
static void test_truncated(void **state)
{
	char *raw = path_in(state, "d.img"), *q = path_in(state, "d.qcow2");
	struct hpc_err err = { "" };
	enum diskfmt f;
	uint64_t size;

	make_disks(raw, q);
	assert_int_equal(truncate(q, 200 * 1024), 0);
	assert_int_equal(diskfmt_probe(q, &f, &size, &err), -EIO);
	assert_non_null(strstr(err.msg, "is a damaged or truncated qcow2"));
	assert_int_equal(truncate(q, 20), 0);
	assert_int_equal(diskfmt_probe(q, &f, &size, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "truncated qcow2 image"));
	assert_int_equal(diskfmt_probe(*state, &f, &size, &err), -EINVAL);
	free(raw);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_probe_and_read, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_truncated, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
