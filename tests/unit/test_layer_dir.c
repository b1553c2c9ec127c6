/*
 * test_layer_dir: a host directory read as one layer (packer/layer_dir.c
 * through layer_apply): names relative to it, the directory's own mode
 * on the root, hardlinks as one node, symlinks (a loop, a link out of
 * the tree) kept and never followed, FIFOs, holes, and one owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "layer.h"
#include "tmpdir.h"
#include "tree.h"

/* Run fn on DIR/root/NAME, a path made and freed here. */
#define AT(fn, dir, name, ...)                                  \
	do {                                                    \
		char *p_ = xasprintf("%s/root/%s", dir, name);  \
		assert_int_equal(fn(p_, __VA_ARGS__), 0);       \
		free(p_);                                       \
	} while (0)

static void make_file(const char *dir)
{
	char *p = xasprintf("%s/root/sub/file", dir);
	int fd = open(p, O_CREAT | O_WRONLY, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	/* a hole of 1 MiB, then one byte */
	assert_int_equal(pwrite(fd, "x", 1, 1 << 20), 1);
	close(fd);
	free(p);
}

static void link_file(const char *dir)
{
	char *a = xasprintf("%s/root/sub/file", dir);
	char *b = xasprintf("%s/root/other", dir);

	assert_int_equal(link(a, b), 0);
	free(a);
	free(b);
}

static void make_symlink(const char *dir, const char *name,
			 const char *target)
{
	char *p = xasprintf("%s/root/%s", dir, name);

	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static char *make_tree(const char *dir)
{
	char *root = xasprintf("%s/root", dir);

	assert_int_equal(mkdir(root, 0750), 0);
	AT(mkdir, dir, "sub", 0755);
	make_file(dir);
	link_file(dir);
	make_symlink(dir, "loop1", "loop2");
	make_symlink(dir, "loop2", "loop1");
	make_symlink(dir, "out", "/etc/passwd");
	AT(mkfifo, dir, "fifo", 0600);
	return root;
}

static struct tree *read_dir(const char *root, const struct layer_owner *o)
{
	struct layer_src src = { .path = root };
	struct hpc_err err = { .msg = "" };
	struct tree *t = tree_new();
	uint64_t total = 0;

	if (o)
		src.owner = *o;
	assert_int_equal(layer_apply(t, 1, &src, "test", &total, NULL, &err), 0);
	return t;
}

static void test_tree(void **state)
{
	char *root = make_tree(*state);
	struct tree *t = read_dir(root, NULL);
	struct tree_node *f = tree_get(t, "sub/file");

	assert_int_equal(tree_root(t)->mode, S_IFDIR | 0750);
	assert_non_null(f);
	assert_int_equal(f->mode, S_IFREG | 0640);
	assert_int_equal(f->size, (1 << 20) + 1);
	assert_int_equal(f->uid, getuid());
	/* the hole is found, and only the data is stored */
	assert_true(f->regions >= 2);
	assert_true(f->stored < f->size);
	/* two names of one host inode are one node */
	assert_ptr_equal(tree_get(t, "other"), f);
	assert_int_equal(f->nlink, 2);
	assert_string_equal(tree_get(t, "loop1")->target, "loop2");
	assert_string_equal(tree_get(t, "out")->target, "/etc/passwd");
	assert_true(S_ISFIFO(tree_get(t, "fifo")->mode));
	/* nothing of the host's path leaks into the names */
	assert_null(tree_lookup(tree_root(t), "root"));
	tree_free(t);
	free(root);
}

static void test_owner(void **state)
{
	const struct layer_owner o = { .set = true, .uid = 7, .gid = 9 };
	char *root = make_tree(*state);
	struct tree *t = read_dir(root, &o);

	assert_int_equal(tree_get(t, "sub/file")->uid, 7);
	assert_int_equal(tree_get(t, "sub/file")->gid, 9);
	assert_int_equal(tree_get(t, "loop1")->uid, 7);
	assert_int_equal(tree_root(t)->gid, 9);
	tree_free(t);
	free(root);
}

/* A path that is a symlink to the tree names the tree. */
static void test_root_link(void **state)
{
	char *root = make_tree(*state);
	char *link = xasprintf("%s/link", (char *)*state);
	struct tree *t;

	assert_int_equal(symlink(root, link), 0);
	t = read_dir(link, NULL);
	assert_int_equal(tree_root(t)->mode, S_IFDIR | 0750);
	assert_non_null(tree_get(t, "sub/file"));
	assert_string_equal(tree_get(t, "loop1")->target, "loop2");
	tree_free(t);
	free(link);
	free(root);
}

static void test_missing(void **state)
{
	char *root = xasprintf("%s/absent", (char *)*state);
	struct layer_src src = { .path = root };
	struct hpc_err err = { .msg = "" };
	struct tree *t = tree_new();
	uint64_t total = 0;

	assert_true(layer_apply(t, 1, &src, "test", &total, NULL, &err) < 0);
	assert_true(strlen(err.msg) > 0);
	tree_free(t);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tree, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_owner, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_root_link, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_missing, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
