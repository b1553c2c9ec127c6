/*
 * test_layer: the OCI layer rules of pass one (packer/layer.c) on the
 * in-memory tree (packer/tree.c), entry by entry, without any tar.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "layer.h"
#include "tree.h"

static uint64_t next_index;

static int put(struct tree *t, uint32_t layer, const char *path,
	       uint32_t mode, const char *link, struct hpc_err *err)
{
	struct layer_entry e = {
		.path = path, .mode = mode, .index = next_index++, .size = 5,
		.uid = 0, .gid = 0, .mtime = 1700000000,
	};

	if (S_ISLNK(mode))
		e.symlink = link;
	else if (link)
		e.hardlink = link;
	if (!S_ISREG(mode))
		e.size = 0;
	return layer_apply_entry(t, &e, layer, err);
}

static void ok(struct tree *t, uint32_t layer, const char *path,
	       uint32_t mode, const char *link)
{
	struct hpc_err err = { "" };

	assert_int_equal(put(t, layer, path, mode, link, &err), 0);
}

#define DIR (S_IFDIR | 0755)
#define REG (S_IFREG | 0644)
#define LNK (S_IFLNK | 0777)

static void test_whiteout(void **state)
{
	struct tree *t = tree_new();

	ok(t, 1, "etc/passwd", REG, NULL);
	ok(t, 1, "etc/group", REG, NULL);
	ok(t, 2, "etc/.wh.passwd", REG, NULL);
	/* a whiteout by its name, whatever its type */
	ok(t, 2, "etc/.wh.group", LNK, "x");
	assert_null(tree_get(t, "etc/passwd"));
	assert_null(tree_get(t, "etc/group"));
	assert_non_null(tree_get(t, "etc"));
	assert_null(tree_get(t, "etc/.wh.passwd"));
	tree_free(t);
}

static void test_opaque(void **state)
{
	struct tree *t = tree_new();

	ok(t, 1, "d/old", REG, NULL);
	ok(t, 1, "d/sub/old", REG, NULL);
	ok(t, 1, "d/keep/old", REG, NULL);
	ok(t, 2, "d/new", REG, NULL);
	/* a directory of this layer survives; its lower content does not */
	ok(t, 2, "d/keep/new", REG, NULL);
	ok(t, 2, "d/.wh..wh..opq", REG, NULL);
	assert_null(tree_get(t, "d/old"));
	assert_null(tree_get(t, "d/sub"));
	assert_non_null(tree_get(t, "d/new"));
	assert_non_null(tree_get(t, "d/keep/new"));
	assert_null(tree_get(t, "d/keep/old"));
	assert_null(tree_get(t, "d/.wh..wh..opq"));
	tree_free(t);
}

static void test_hardlink_outlives_target(void **state)
{
	struct tree *t = tree_new();
	struct tree_node *n;

	ok(t, 1, "a/target", REG, NULL);
	ok(t, 1, "a/l1", REG, "a/target");
	ok(t, 1, "b/l2", REG, "a/l1");
	n = tree_get(t, "a/target");
	assert_int_equal(n->nlink, 3);
	ok(t, 2, "a/.wh.target", REG, NULL);
	assert_ptr_equal(tree_get(t, "b/l2"), n);
	assert_int_equal(n->nlink, 2);
	assert_int_equal(n->src.layer, 1);
	tree_free(t);
}

static void test_hardlink_errors(void **state)
{
	struct tree *t = tree_new();
	struct hpc_err err = { "" };

	ok(t, 1, "d/", DIR, NULL);
	assert_int_equal(put(t, 1, "x", REG, "missing", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "'missing'"));
	assert_int_equal(put(t, 1, "y", REG, "d", &err), -EPERM);
	/* a link to itself is skipped: the file stays */
	ok(t, 1, "f", REG, NULL);
	ok(t, 1, "f", REG, "f");
	assert_int_equal(tree_get(t, "f")->nlink, 1);
	tree_free(t);
}

static void test_replace_keeps_sibling(void **state)
{
	struct tree *t = tree_new();
	struct tree_node *old;

	ok(t, 1, "a", REG, NULL);
	ok(t, 1, "b", REG, "a");
	old = tree_get(t, "a");
	ok(t, 2, "a", REG, NULL);
	assert_ptr_equal(tree_get(t, "b"), old);
	assert_ptr_not_equal(tree_get(t, "a"), old);
	assert_int_equal(old->nlink, 1);
	assert_int_equal(tree_get(t, "a")->src.layer, 2);
	tree_free(t);
}

static void test_types_replace(void **state)
{
	struct tree *t = tree_new();
	struct layer_entry e = { .path = "usr", .mode = S_IFDIR | 0700,
				 .uid = 3, .gid = 4 };

	ok(t, 1, "nd/child", REG, NULL);
	ok(t, 2, "nd", REG, NULL);
	assert_true(S_ISREG(tree_get(t, "nd")->mode));
	ok(t, 1, "usr/bin/x", REG, NULL);
	assert_int_equal(layer_apply_entry(t, &e, 2, NULL), 0);
	assert_int_equal(tree_get(t, "usr")->mode, S_IFDIR | 0700);
	assert_int_equal(tree_get(t, "usr")->uid, 3);
	assert_non_null(tree_get(t, "usr/bin/x"));
	/* an entry replaces a symlink, never writes through it */
	ok(t, 1, "sw", LNK, "usr");
	ok(t, 2, "sw", REG, NULL);
	assert_true(S_ISREG(tree_get(t, "sw")->mode));
	assert_true(S_ISDIR(tree_get(t, "usr")->mode));
	tree_free(t);
}

static void test_implied_parents(void **state)
{
	struct tree *t = tree_new();
	struct tree_node *n;

	ok(t, 1, "a/b/c/file", REG, NULL);
	n = tree_get(t, "a/b");
	assert_non_null(n);
	assert_int_equal(n->mode, S_IFDIR | 0755);
	assert_int_equal(n->uid, 0);
	tree_free(t);
}

static void test_confined(void **state)
{
	struct tree *t = tree_new();
	struct hpc_err err = { "" };

	ok(t, 1, "usr/lib/", DIR, NULL);
	ok(t, 1, "lib", LNK, "usr/lib");
	ok(t, 1, "escape", LNK, "../../../../tmp");
	ok(t, 1, "abs", LNK, "/etc");
	ok(t, 1, "loop", LNK, "loop");
	ok(t, 1, "file", REG, NULL);
	ok(t, 2, "lib/libc.so", REG, NULL);
	ok(t, 2, "escape/evil", REG, NULL);
	ok(t, 2, "abs/x", REG, NULL);
	ok(t, 2, "../../../dotdot", REG, NULL);
	ok(t, 2, "/absolute", REG, NULL);
	ok(t, 2, "./a/../b/./c", REG, NULL);
	assert_non_null(tree_get(t, "usr/lib/libc.so"));
	assert_non_null(tree_get(t, "tmp/evil"));
	assert_non_null(tree_get(t, "etc/x"));
	assert_non_null(tree_get(t, "dotdot"));
	assert_non_null(tree_get(t, "absolute"));
	assert_non_null(tree_get(t, "b/c"));
	assert_int_equal(put(t, 2, "loop/x", REG, NULL, &err), -ELOOP);
	assert_int_equal(put(t, 2, "file/x", REG, NULL, &err), -ENOTDIR);
	assert_non_null(strstr(err.msg, "'file/x'"));
	assert_int_equal(put(t, 2, "empty", LNK, "", &err), -EINVAL);
	tree_free(t);
}

static void test_root_entry(void **state)
{
	struct tree *t = tree_new();

	ok(t, 1, "./", S_IFDIR | 0700, NULL);
	assert_int_equal(tree_get(t, "/")->mode, S_IFDIR | 0700);
	/* a file cannot replace the root */
	ok(t, 1, "/", REG, NULL);
	assert_true(S_ISDIR(tree_get(t, "/")->mode));
	tree_free(t);
}

static void test_whiteout_lower_only(void **state)
{
	struct tree *t = tree_new();

	ok(t, 1, "d/old", REG, NULL);
	ok(t, 1, "d/keep/old", REG, NULL);
	ok(t, 1, "e/x", REG, NULL);
	/* a whiteout after a name of its own layer leaves that name */
	ok(t, 2, "f", REG, NULL);
	ok(t, 2, ".wh.f", REG, NULL);
	assert_non_null(tree_get(t, "f"));
	/* a directory this layer wrote into keeps this layer's names */
	ok(t, 2, "d/keep/new", REG, NULL);
	ok(t, 2, ".wh.d", REG, NULL);
	assert_non_null(tree_get(t, "d/keep/new"));
	assert_null(tree_get(t, "d/keep/old"));
	assert_null(tree_get(t, "d/old"));
	/* a whiteout in missing directories makes none */
	ok(t, 2, "no/such/.wh.thing", REG, NULL);
	ok(t, 2, "e/x/.wh.y", REG, NULL);
	assert_null(tree_get(t, "no"));
	assert_true(S_ISREG(tree_get(t, "e/x")->mode));
	/* the next layer may hide what this one wrote */
	ok(t, 3, ".wh.f", REG, NULL);
	assert_null(tree_get(t, "f"));
	tree_free(t);
}

static void test_limits(void **state)
{
	struct tree *t = tree_new();
	struct hpc_err err = { "" };
	char name[300], path[320], target[5000];

	memset(name, 'n', 256);
	name[256] = 0;
	snprintf(path, sizeof(path), "dir/%s/file", name);
	assert_int_equal(put(t, 1, path, REG, NULL, &err), -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "256 bytes"));
	assert_null(tree_get(t, "dir"));
	/* 255 bytes fit; its whiteout has 259 */
	name[255] = 0;
	ok(t, 1, name, REG, NULL);
	snprintf(path, sizeof(path), ".wh.%s", name);
	ok(t, 2, path, REG, NULL);
	assert_null(tree_get(t, name));
	memset(target, 't', 4096);
	target[4096] = 0;
	assert_int_equal(put(t, 1, "l", LNK, target, &err), -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "'l'"));
	target[4095] = 0;
	ok(t, 1, "l", LNK, target);
	/* a symlink is 0777, as Linux makes every one */
	ok(t, 1, "l755", S_IFLNK | 0755, "x");
	assert_int_equal(tree_get(t, "l755")->mode, S_IFLNK | 0777);
	/* 65,000 names for one inode, and not one more */
	ok(t, 1, "f", REG, NULL);
	for (int i = 1; i < 65000; i++) {
		snprintf(path, sizeof(path), "links/%d", i);
		ok(t, 1, path, REG, "f");
	}
	assert_int_equal(tree_get(t, "f")->nlink, 65000);
	assert_int_equal(put(t, 1, "one-more", REG, "f", &err), -EMLINK);
	assert_non_null(strstr(err.msg, "'one-more'"));
	/* a name of its own given again adds none */
	ok(t, 1, "links/7", REG, "f");
	tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whiteout),
		cmocka_unit_test(test_opaque),
		cmocka_unit_test(test_hardlink_outlives_target),
		cmocka_unit_test(test_hardlink_errors),
		cmocka_unit_test(test_replace_keeps_sibling),
		cmocka_unit_test(test_types_replace),
		cmocka_unit_test(test_implied_parents),
		cmocka_unit_test(test_confined),
		cmocka_unit_test(test_root_entry),
		cmocka_unit_test(test_whiteout_lower_only),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
