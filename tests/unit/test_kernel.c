/*
 * Unit tests for packer/kernel.c: the bzImage version, the default kernel
 * and module resolution, against synthetic trees in a temporary directory
 * and against the cloud kernel installed on this machine.
 */
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

#include "kernel.h"

static void write_at(const char *dir, const char *name, const void *data,
		     size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	free(path);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	write_at(dir, name, text, strlen(text));
}

static void make_dir(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);

	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
}

/* fake_bzimage - the few header bytes kernel_version reads. */
static void fake_bzimage(const char *dir, const char *name, const char *ver)
{
	unsigned char img[0x1000];
	unsigned int off = 0x800;

	memset(img, 0, sizeof(img));
	img[0x1fe] = 0x55;
	img[0x1ff] = 0xaa;
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f;
	img[0x207] = 0x02;
	img[0x20e] = (off - 0x200) & 0xff;
	img[0x20f] = (off - 0x200) >> 8;
	memcpy(img + off, ver, strlen(ver) + 1);
	write_at(dir, name, img, sizeof(img));
}

static void test_version_synthetic(void **state)
{
	struct hpc_err err = { "" };
	char *path, *ver = NULL;

	fake_bzimage(*state, "vmlinuz", "6.9.1-test (me@host) #1 SMP");
	path = xasprintf("%s/vmlinuz", (char *)*state);
	assert_int_equal(kernel_version(path, &ver, &err), 0);
	assert_string_equal(ver, "6.9.1-test");
	free(ver);
	free(path);
}

static void test_version_not_bzimage(void **state)
{
	struct hpc_err err = { "" };
	char zeros[4096] = { 0 };
	char *path, *ver = NULL;

	write_at(*state, "zero", zeros, sizeof(zeros));
	path = xasprintf("%s/zero", (char *)*state);
	assert_int_equal(kernel_version(path, &ver, &err), -EINVAL);
	assert_null(ver);
	assert_non_null(strstr(err.msg, "not a bzImage"));
	assert_non_null(strstr(err.msg, path));
	free(path);

	write_at(*state, "short", "HdrS", 4);
	path = xasprintf("%s/short", (char *)*state);
	assert_int_equal(kernel_version(path, &ver, &err), -EINVAL);
	free(path);

	path = xasprintf("%s/missing", (char *)*state);
	assert_int_equal(kernel_version(path, &ver, &err), -ENOENT);
	free(path);
}

static void test_version_real(void **state)
{
	struct hpc_err err = { "" };
	char *kernel = NULL, *moddir = NULL, *ver = NULL;
	const char *base;

	assert_int_equal(kernel_find_default(&kernel, &moddir, &err), 0);
	assert_int_equal(kernel_version(kernel, &ver, &err), 0);
	/* Debian names the file after the version the header holds */
	base = strstr(kernel, "vmlinuz-");
	assert_non_null(base);
	assert_string_equal(ver, base + strlen("vmlinuz-"));
	assert_non_null(strstr(ver, "cloud-amd64"));
	assert_non_null(strstr(moddir, ver));
	free(ver);
	free(kernel);
	free(moddir);
}

static void test_find_in_newest_with_modules(void **state)
{
	const char *dir = *state;
	char *boot = xasprintf("%s/boot", dir);
	char *mods = xasprintf("%s/mods", dir);
	char *kernel = NULL, *moddir = NULL, *want;
	struct hpc_err err = { "" };

	make_dir(dir, "boot");
	make_dir(dir, "mods");
	fake_bzimage(dir, "boot/vmlinuz-1.9", "1.9 #1");
	fake_bzimage(dir, "boot/vmlinuz-1.10", "1.10 #1");
	fake_bzimage(dir, "boot/vmlinuz-2.0", "2.0 #1");
	write_text(dir, "boot/config-2.0", "");
	make_dir(dir, "mods/1.9");
	make_dir(dir, "mods/1.10");
	make_dir(dir, "mods/2.0");	/* no modules.dep: not a candidate */
	write_text(dir, "mods/1.9/modules.dep", "");
	write_text(dir, "mods/1.10/modules.dep", "");
	assert_int_equal(kernel_find_in(boot, mods, &kernel, &moddir, &err),
			 0);
	want = xasprintf("%s/vmlinuz-1.10", boot);
	assert_string_equal(kernel, want);
	free(want);
	want = xasprintf("%s/1.10", mods);
	assert_string_equal(moddir, want);
	free(want);
	free(kernel);
	free(moddir);

	/* with no modules at all, the error names both directories */
	assert_int_equal(kernel_find_in(boot, boot, &kernel, &moddir, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, boot));
	free(boot);
	free(mods);
}

static void test_module_name(void **state)
{
	static const char *const cases[][2] = {
		{ "kernel/drivers/char/hw_random/virtio-rng.ko", "virtio_rng" },
		{ "kernel/fs/overlayfs/overlay.ko.xz", "overlay" },
		{ "kernel/net/core/failover.ko.zst", "failover" },
		{ "virtio-net", "virtio_net" },
		{ "a.ko.gz", "a" },
		{ ".ko", ".ko" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *name = kernel_module_name(cases[i][0]);

		assert_string_equal(name, cases[i][1]);
		free(name);
	}
}

static const char synthetic_dep[] =
	"kernel/top-mod.ko.xz: kernel/mid_a.ko kernel/mid-b.ko kernel/base.ko\n"
	"kernel/mid_a.ko: kernel/base.ko\n"
	"kernel/mid-b.ko: kernel/base.ko\n"
	"kernel/base.ko:\n"
	"kernel/other.ko: kernel/base.ko\n"
	"/opt/extra/abs.ko:\n";

static char **names_of(const struct kernel_module *m, size_t n)
{
	char **v = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		strv_push(&v, m[i].name);
	return v;
}

static char *joined(char **v)
{
	char *s = NULL;
	size_t i, len;
	FILE *f = open_memstream(&s, &len);

	assert_non_null(f);
	for (i = 0; v && v[i]; i++)
		fprintf(f, "%s%s", i ? " " : "", v[i]);
	fclose(f);
	return s;
}

static void test_resolve_synthetic(void **state)
{
	const char *dir = *state;
	const char *const wanted[] = { "top_mod", "other", "base", "builtin-a",
				       "abs", NULL };
	struct kernel_module *m = NULL;
	struct hpc_err err = { "" };
	char **names, *s, *want;
	size_t n = 0;

	write_text(dir, "modules.dep", synthetic_dep);
	write_text(dir, "modules.builtin", "kernel/fs/builtin_a.ko\n");
	assert_int_equal(kernel_resolve_modules(dir, wanted, &m, &n, &err),
			 0);
	names = names_of(m, n);
	s = joined(names);
	assert_string_equal(s, "base mid_b mid_a top_mod other abs");
	want = xasprintf("%s/kernel/top-mod.ko.xz", dir);
	assert_string_equal(m[3].path, want);
	assert_string_equal(m[5].path, "/opt/extra/abs.ko");
	free(want);
	free(s);
	strv_free(names);
	kernel_modules_free(m, n);
}

static void test_resolve_errors(void **state)
{
	const char *dir = *state;
	const char *const unknown[] = { "base", "no-such-mod", NULL };
	const char *const a[] = { "a", NULL };
	struct kernel_module *m = NULL;
	struct hpc_err err = { "" };
	size_t n = 0;

	write_text(dir, "modules.dep", synthetic_dep);
	assert_int_equal(kernel_resolve_modules(dir, unknown, &m, &n, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "'no-such-mod'"));
	assert_null(m);

	write_text(dir, "modules.dep", "kernel/a.ko: kernel/gone.ko\n");
	assert_int_equal(kernel_resolve_modules(dir, a, &m, &n, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "'gone'"));

	write_text(dir, "modules.dep",
		   "kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n");
	assert_int_equal(kernel_resolve_modules(dir, a, &m, &n, &err),
			 -ELOOP);

	write_text(dir, "modules.dep", "kernel/a.ko kernel/b.ko\n");
	assert_int_equal(kernel_resolve_modules(dir, a, &m, &n, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "line 1"));
}

/* Debian's standard kernel: ext4 and the crc32c it asks for are modules. */
static const char standard_dep[] =
	"kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
	"kernel/drivers/virtio/virtio_ring.ko:\n"
	"kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko "
	"kernel/drivers/virtio/virtio_ring.ko\n"
	"kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko "
	"kernel/drivers/virtio/virtio_ring.ko\n"
	"kernel/drivers/net/virtio_net.ko: kernel/drivers/virtio/virtio.ko\n"
	"kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko\n"
	"kernel/crypto/crc32c_generic.ko:\n"
	"kernel/fs/mbcache.ko:\n"
	"kernel/lib/crc16.ko:\n"
	"kernel/fs/jbd2/jbd2.ko:\n"
	"kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko "
	"kernel/fs/jbd2/jbd2.ko\n"
	"kernel/fs/overlayfs/overlay.ko:\n";

/* The cloud kernel has ext4 and crc32c built in. */
static const char cloud_builtin[] =
	"kernel/fs/mbcache.ko\nkernel/fs/ext4/ext4.ko\n"
	"kernel/fs/jbd2/jbd2.ko\nkernel/crypto/crc32c_generic.ko\n"
	"kernel/lib/crc16.ko\n";

static char *resolved_pod_modules(const char *dir, struct hpc_err *err,
				  int *rc)
{
	struct kernel_module *m = NULL;
	char **names, *s;
	size_t n = 0;

	*rc = kernel_resolve_modules(dir, kernel_pod_modules, &m, &n, err);
	if (*rc < 0)
		return NULL;
	names = names_of(m, n);
	s = joined(names);
	strv_free(names);
	kernel_modules_free(m, n);
	return s;
}

static void test_pod_modules_standard(void **state)
{
	struct hpc_err err = { "" };
	char *s;
	int rc;

	write_text(*state, "modules.dep", standard_dep);
	s = resolved_pod_modules(*state, &err, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(s, "virtio_ring virtio virtio_pci virtio_blk "
			    "virtio_net virtio_console crc32c_generic "
			    "jbd2 mbcache crc16 ext4 overlay");
	free(s);
}

static void test_pod_modules_builtin(void **state)
{
	const char *const gone[] = { "kernel/fs/ext4/ext4.ko:",
				     "kernel/crypto/crc32c_generic.ko:" };
	struct hpc_err err = { "" };
	char *dep = xstrdup(standard_dep), *line, *s;
	size_t i;
	int rc;

	/* drop the lines of what the cloud kernel has built in */
	for (i = 0; i < ARRAY_SIZE(gone); i++) {
		line = strstr(dep, gone[i]);
		assert_non_null(line);
		memmove(line, strchr(line, '\n') + 1,
			strlen(strchr(line, '\n') + 1) + 1);
	}
	write_text(*state, "modules.dep", dep);
	write_text(*state, "modules.builtin", cloud_builtin);
	s = resolved_pod_modules(*state, &err, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(s, "virtio_ring virtio virtio_pci virtio_blk "
			    "virtio_net virtio_console overlay");
	free(s);

	/* neither a module nor built in: the build cannot boot */
	line = xasprintf("%s/modules.builtin", (const char *)*state);
	assert_int_equal(unlink(line), 0);
	free(line);
	s = resolved_pod_modules(*state, &err, &rc);
	assert_int_equal(rc, -ENOENT);
	assert_null(s);
	assert_non_null(strstr(err.msg, "kernel module 'crc32c_generic' is "
				"neither in"));
	assert_non_null(strstr(err.msg, "nor built in"));
	free(dep);
}

/* The cloud kernel: the order measured to boot, virtio_mmio aside. */
static void test_resolve_cloud_kernel(void **state)
{
	const char *const wanted[] = { "virtio_pci", "virtio_blk", "virtio-net",
				       "virtio_console", "overlay", "ext4",
				       NULL };
	struct kernel_module *m = NULL;
	char *kernel = NULL, *moddir = NULL, **names, *s;
	struct hpc_err err = { "" };
	size_t n = 0, i;

	assert_int_equal(kernel_find_default(&kernel, &moddir, &err), 0);
	assert_int_equal(kernel_resolve_modules(moddir, wanted, &m, &n, &err),
			 0);
	names = names_of(m, n);
	s = joined(names);
	/* ext4 is built into the cloud kernel, so it is skipped */
	assert_string_equal(s, "virtio_ring virtio virtio_pci_modern_dev "
			    "virtio_pci_legacy_dev virtio_pci virtio_blk "
			    "failover net_failover virtio_net virtio_console "
			    "overlay");
	for (i = 0; i < n; i++)
		assert_int_equal(access(m[i].path, R_OK), 0);
	free(s);
	strv_free(names);
	kernel_modules_free(m, n);
	free(kernel);
	free(moddir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version_synthetic,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_version_not_bzimage,
						setup_tmp, teardown_tmp),
		cmocka_unit_test(test_version_real),
		cmocka_unit_test_setup_teardown(
			test_find_in_newest_with_modules, setup_tmp,
			teardown_tmp),
		cmocka_unit_test(test_module_name),
		cmocka_unit_test_setup_teardown(test_resolve_synthetic,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_resolve_errors,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_pod_modules_standard,
						setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_pod_modules_builtin,
						setup_tmp, teardown_tmp),
		cmocka_unit_test(test_resolve_cloud_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
