/*
 * Unit tests for baking pod files (bake.c) on a tree made from a host
 * directory through tarout.c: owners looked up in the image's own
 * /etc/passwd and /etc/group (here reached through a relative symlink,
 * as some images have it), a path naming a directory, errors naming the
 * field, and which containers may share a filesystem.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bake.h"
#include "rootfs.h"
#include "tarout.h"
#include "tmpdir.h"

static void put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

/* An image tree: /etc/passwd -> passwd.real, /etc/group, /srv/. */
static struct rootfs *image(const char *dir)
{
	static int n;
	char *root = xasprintf("%s/root%d", dir, n++), *etc, *srv, *link, *tar;
	struct tarout *t;
	struct hpc_err err;
	struct rootfs *fs = rootfs_new();

	etc = xasprintf("%s/etc", root);
	srv = xasprintf("%s/srv", root);
	link = xasprintf("%s/passwd", etc);
	tar = xasprintf("%s.tar", root);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(etc, 0755), 0);
	assert_int_equal(mkdir(srv, 0755), 0);
	put(etc, "passwd.real", "root:x:0:0::/root:/bin/sh\n"
	    "alice:x:1000:1001::/home/alice:/bin/sh\n");
	put(etc, "group", "root:x:0:\nstaff:x:50:alice\n");
	assert_int_equal(symlink("passwd.real", link), 0);
	assert_int_equal(tarout_open(tar, &t, &err), 0);
	assert_int_equal(tarout_add_tree(t, root, "", &err), 0);
	assert_int_equal(tarout_close(t, &err), 0);
	assert_int_equal(rootfs_add_layer(fs, tar, "image", &err), 0);
	free(root);
	free(etc);
	free(srv);
	free(link);
	free(tar);
	return fs;
}

static void owners_and_paths(void **state)
{
	const char *dir = *state;
	struct spec_file_ref refs[] = {
		{ .path = "/srv", .filename = "f", .perm = 0640,
		  .user = "alice" },
		{ .path = "/opt/new/", .filename = "f", .perm = 0755,
		  .user = "7", .group = "staff" },
	};
	struct spec_file file = { .name = "f" };
	struct spec_pod pod = { .storage = { .files = &file, .n_files = 1 } };
	struct spec_container ct = { .storage = { .files = refs,
						  .n_files = 2 } };
	char *bytes = xasprintf("%s/f.bytes", dir);
	char *paths[] = { bytes, NULL };
	struct bake_input in = { .pod = &pod, .ct = &ct,
				 .ct_path = "containers[0]",
				 .file_paths = paths };
	char *tar = xasprintf("%s/baked.tar", dir), *buf;
	struct rootfs *fs = image(dir);
	struct hpc_err err;
	size_t len;

	put(dir, "f.bytes", "baked\n");
	assert_int_equal(rootfs_read_file(fs, "/etc/passwd", 4096, &buf, &len,
					  &err), 0);
	assert_non_null(strstr(buf, "alice:x:1000"));
	free(buf);
	assert_int_equal(bake_files(fs, &in, tar, &err), 0);
	/* "/srv" is a directory of the image: the file goes inside */
	assert_int_equal(rootfs_read_file(fs, "/srv/f", 4096, &buf, &len,
					  &err), 0);
	assert_string_equal(buf, "baked\n");
	free(buf);
	assert_true(rootfs_is_dir(fs, "/opt/new"));
	assert_int_equal(rootfs_read_file(fs, "/opt/new/f", 4096, &buf, &len,
					  &err), 0);
	free(buf);
	rootfs_free(fs);

	/* a name the image does not list */
	fs = image(dir);
	refs[1].group = "wheel";
	assert_int_equal(bake_files(fs, &in, tar, &err), -ENOENT);
	assert_string_equal(err.msg, "containers[0].files[1].group: no group "
			    "'wheel' in the image's /etc/group (expected a "
			    "name it lists, or a number)");
	rootfs_free(fs);
	free(tar);
	free(bytes);
}

static void sharing(void **state)
{
	struct spec_file_ref a[] = { { .path = "/x", .filename = "f",
				       .perm = 0755 } };
	struct spec_file_ref b[] = { { .path = "/x", .filename = "f",
				       .perm = 0644 } };
	struct spec_container x = { .storage = { .files = a, .n_files = 1 } };
	struct spec_container y = { .storage = { .files = b, .n_files = 1 } };
	struct spec_container none = { 0 };

	assert_true(bake_same(&x, &x));
	assert_false(bake_same(&x, &y));
	assert_false(bake_same(&x, &none));
	assert_true(bake_same(&none, &none));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(owners_and_paths, setup_tmp,
						teardown_tmp),
		cmocka_unit_test(sharing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
