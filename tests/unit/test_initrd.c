/*
 * Unit tests for packer/initrd.c: the archive read back with libarchive
 * (names, order, modes, owners, times, bytes), the gzip header, byte-for-byte
 * reproducibility and the errors.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"

#include "initrd.h"

#define MTIME 1700000000

static char *write_text(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

struct fixture {
	char *init, *mod_a, *mod_b;
	struct kernel_module mods[2];
	struct initrd_input in;
};

static void fixture_init(struct fixture *f, const char *dir)
{
	f->init = write_text(dir, "hpc-init", "\177ELF pretend init");
	f->mod_a = write_text(dir, "a.ko", "module a bytes");
	f->mod_b = write_text(dir, "b.ko", "");
	/* given in load order, not in name order */
	f->mods[0] = (struct kernel_module){ "virtio_ring", f->mod_b };
	f->mods[1] = (struct kernel_module){ "overlay", f->mod_a };
	f->in = (struct initrd_input){
		.init_path = f->init,
		.modules = f->mods,
		.n_modules = 2,
		.plan = "hpc-plan 1\nname t\n",
		.mtime = MTIME,
	};
}

static void fixture_release(struct fixture *f)
{
	free(f->init);
	free(f->mod_a);
	free(f->mod_b);
}

struct want {
	const char *name;
	mode_t mode;
	const char *data;
};

static const struct want want_entries[] = {
	{ "dev", S_IFDIR | 0755, NULL },
	{ "dev/console", S_IFCHR | 0600, NULL },
	{ "etc", S_IFDIR | 0755, NULL },
	{ "hpc", S_IFDIR | 0755, NULL },
	{ "hpc/plan", S_IFREG | 0644, "hpc-plan 1\nname t\n" },
	{ "init", S_IFREG | 0755, "\177ELF pretend init" },
	{ "lib", S_IFDIR | 0755, NULL },
	{ "lib/modules", S_IFDIR | 0755, NULL },
	{ "lib/modules/overlay.ko", S_IFREG | 0644, "module a bytes" },
	{ "lib/modules/virtio_ring.ko", S_IFREG | 0644, "" },
	{ "proc", S_IFDIR | 0555, NULL },
	{ "run", S_IFDIR | 0755, NULL },
	{ "sys", S_IFDIR | 0555, NULL },
	{ "tmp", S_IFDIR | 01777, NULL },
};

static void check_entry(struct archive *a, struct archive_entry *ae,
			const struct want *w)
{
	char buf[256];
	la_ssize_t n;

	assert_string_equal(archive_entry_pathname(ae), w->name);
	assert_int_equal(archive_entry_mode(ae), w->mode);
	assert_int_equal(archive_entry_uid(ae), 0);
	assert_int_equal(archive_entry_gid(ae), 0);
	assert_int_equal(archive_entry_mtime(ae), MTIME);
	if (S_ISCHR(w->mode)) {
		assert_int_equal(archive_entry_rdevmajor(ae), 5);
		assert_int_equal(archive_entry_rdevminor(ae), 1);
	}
	if (!w->data)
		return;
	assert_int_equal(archive_entry_size(ae), strlen(w->data));
	n = archive_read_data(a, buf, sizeof(buf));
	assert_int_equal(n, strlen(w->data));
	assert_memory_equal(buf, w->data, (size_t)n);
}

static void test_contents(void **state)
{
	struct archive_entry *ae;
	struct hpc_err err = { "" };
	struct fixture f;
	struct archive *a;
	char *out;
	size_t i = 0;

	fixture_init(&f, *state);
	out = xasprintf("%s/initrd.gz", (char *)*state);
	assert_int_equal(initrd_write(out, &f.in, &err), 0);

	a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_filename(a, out, 4096), ARCHIVE_OK);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		assert_true(i < ARRAY_SIZE(want_entries));
		check_entry(a, ae, &want_entries[i]);
		i++;
	}
	assert_int_equal(i, ARRAY_SIZE(want_entries));
	assert_int_equal(archive_format(a), ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
	archive_read_free(a);
	free(out);
	fixture_release(&f);
}

static void read_all(const char *path, char **ret, size_t *ret_len)
{
	struct hpc_err err = { "" };

	assert_int_equal(read_file(path, 1 << 24, ret, ret_len, &err), 0);
}

/*
 * Members prepared without the plan give the bytes of a whole write,
 * and are used as they were prepared.
 */
static void test_prepared(void **state)
{
	struct hpc_err err = { "" };
	struct initrd_parts *parts = NULL;
	char *out1, *out2, *b1, *b2;
	const char *plan;
	size_t l1, l2;
	struct fixture f;

	fixture_init(&f, *state);
	out1 = xasprintf("%s/plain.gz", (char *)*state);
	out2 = xasprintf("%s/prepared.gz", (char *)*state);
	plan = f.in.plan;
	f.in.plan = NULL;
	assert_int_equal(initrd_prepare("test", &f.in, &parts, &err), 0);
	f.in.plan = plan;
	assert_int_equal(initrd_write(out1, &f.in, &err), 0);
	/* a module changed now shows only if the member is made again */
	free(write_text(*state, "a.ko", "module a bytes, changed"));
	f.in.prepared = parts;
	assert_int_equal(initrd_write(out2, &f.in, &err), 0);
	read_all(out1, &b1, &l1);
	read_all(out2, &b2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);
	initrd_parts_free(parts);
	free(b1);
	free(b2);
	free(out1);
	free(out2);
	fixture_release(&f);
}

static void test_gzip_header_and_reproducible(void **state)
{
	struct hpc_err err = { "" };
	char *out1, *out2, *b1, *b2;
	size_t l1, l2;
	struct fixture f;

	fixture_init(&f, *state);
	out1 = xasprintf("%s/one.gz", (char *)*state);
	out2 = xasprintf("%s/two.gz", (char *)*state);
	assert_int_equal(initrd_write(out1, &f.in, &err), 0);
	sleep(1);	/* a time stamp would differ now */
	assert_int_equal(initrd_write(out2, &f.in, &err), 0);
	read_all(out1, &b1, &l1);
	read_all(out2, &b2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);

	/* gzip magic, deflate, no flags (no name), MTIME zero */
	assert_true(l1 > 18);
	assert_memory_equal(b1, "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);

	/* another time gives other bytes: the time is really written */
	f.in.mtime = MTIME + 1;
	assert_int_equal(initrd_write(out2, &f.in, &err), 0);
	free(b2);
	read_all(out2, &b2, &l2);
	assert_false(l1 == l2 && memcmp(b1, b2, l1) == 0);
	free(b1);
	free(b2);
	free(out1);
	free(out2);
	fixture_release(&f);
}

static void test_errors(void **state)
{
	struct hpc_err err = { "" };
	struct fixture f;
	char *out;

	fixture_init(&f, *state);
	out = xasprintf("%s/bad.gz", (char *)*state);

	f.in.init_path = "/nonexistent/hpc-init";
	assert_int_equal(initrd_write(out, &f.in, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "'/nonexistent/hpc-init'"));
	assert_int_equal(access(out, F_OK), -1);	/* no half archive */

	f.in.init_path = f.init;
	f.mods[1].name = "../escape";
	assert_int_equal(initrd_write(out, &f.in, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'../escape'"));

	f.mods[1].name = "virtio_ring";
	assert_int_equal(initrd_write(out, &f.in, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "twice"));

	f.mods[1].name = "overlay";
	f.mods[1].path = *state;	/* a directory */
	assert_int_equal(initrd_write(out, &f.in, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));

	f.mods[1].path = f.mod_a;
	free(out);
	out = xasprintf("%s/no/such/dir/initrd.gz", (char *)*state);
	assert_true(initrd_write(out, &f.in, &err) < 0);
	assert_non_null(strstr(err.msg, "cannot write initrd"));
	free(out);
	fixture_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_contents, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(
			test_gzip_header_and_reproducible, setup_tmp,
			teardown_tmp),
		cmocka_unit_test_setup_teardown(test_prepared, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_errors, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
