/*
 * test_init_user: resolving a container's user (init/user.c) against its
 * own passwd and group files, the way Docker and runc resolve it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "user.h"

static char dir[] = "/tmp/test_init_user.XXXXXX";
static char passwd[64], group[64];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
	snprintf(group, sizeof(group), "%s/group", dir);
	write_file(passwd,
		   "root:x:0:0:root:/root:/bin/sh\n"
		   "# a comment line\n"
		   "broken line\n"
		   "app:x:1000:1001:App:/home/app:/bin/sh\n"
		   "nohome:x:1002:1002:::/bin/sh\n");
	write_file(group,
		   "root:x:0:\n"
		   "wheel:x:10:root,app\n"
		   "app:x:1001:\n"
		   "staff:x:50:nobody,app,other\n"
		   "other:x:60:appx\n");
	return 0;
}

static int teardown(void **state)
{
	unlink(passwd);
	unlink(group);
	rmdir(dir);
	return 0;
}

static struct user_ids resolve_ok(const char *spec)
{
	struct user_ids u;
	struct errmsg e;

	assert_int_equal(user_resolve(spec, passwd, group, &u, &e), 0);
	return u;
}

static void test_default_root(void **state)
{
	struct user_ids u = resolve_ok(NULL);

	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.home, "/root");
	assert_int_equal(u.n_groups, 2);
	assert_int_equal(u.groups[0], 0);
	assert_int_equal(u.groups[1], 10);
	u = resolve_ok("");
	assert_int_equal(u.uid, 0);
}

static void test_name(void **state)
{
	struct user_ids u = resolve_ok("app");

	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1001);
	assert_string_equal(u.home, "/home/app");
	assert_int_equal(u.n_groups, 3);
	assert_int_equal(u.groups[0], 1001);
	assert_int_equal(u.groups[1], 10);
	assert_int_equal(u.groups[2], 50);
}

static void test_uid_known(void **state)
{
	struct user_ids u = resolve_ok("1000");

	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1001);
	assert_int_equal(u.n_groups, 3);
}

static void test_uid_unknown(void **state)
{
	struct user_ids u = resolve_ok("4242");

	assert_int_equal(u.uid, 4242);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.home, "/");
	assert_int_equal(u.n_groups, 1);
	assert_int_equal(u.groups[0], 0);
}

static void test_explicit_group(void **state)
{
	struct user_ids u = resolve_ok("app:staff");

	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 50);
	/* An explicit group leaves out the supplementary ones. */
	assert_int_equal(u.n_groups, 1);
	assert_int_equal(u.groups[0], 50);
	u = resolve_ok("4242:77");
	assert_int_equal(u.uid, 4242);
	assert_int_equal(u.gid, 77);
}

static void test_empty_home(void **state)
{
	struct user_ids u = resolve_ok("nohome");

	assert_int_equal(u.uid, 1002);
	assert_string_equal(u.home, "/");
}

static void test_errors(void **state)
{
	struct user_ids u;
	struct errmsg e;
	char want[256];

	assert_int_equal(user_resolve("nobody", passwd, group, &u, &e),
			 -ENOENT);
	snprintf(want, sizeof(want), "no user 'nobody' in '%s'", passwd);
	assert_string_equal(e.msg, want);
	assert_int_equal(user_resolve("app:nogroup", passwd, group, &u, &e),
			 -ENOENT);
	snprintf(want, sizeof(want), "no group 'nogroup' in '%s'", group);
	assert_string_equal(e.msg, want);
	assert_int_equal(user_resolve(":50", passwd, group, &u, &e), -ENOENT);
	assert_int_equal(user_resolve("app:", passwd, group, &u, &e),
			 -ENOENT);
	assert_int_equal(user_resolve("-1", passwd, group, &u, &e), -ENOENT);
}

static void test_missing_files(void **state)
{
	struct user_ids u;
	struct errmsg e;

	/* Numbers need no files; names do. */
	assert_int_equal(user_resolve("5:6", "/nonexistent/passwd",
				      "/nonexistent/group", &u, &e), 0);
	assert_int_equal(u.uid, 5);
	assert_int_equal(u.gid, 6);
	assert_int_equal(user_resolve(NULL, "/nonexistent/passwd",
				      "/nonexistent/group", &u, &e), 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(user_resolve("app", "/nonexistent/passwd",
				      "/nonexistent/group", &u, &e), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_root),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_uid_known),
		cmocka_unit_test(test_uid_unknown),
		cmocka_unit_test(test_explicit_group),
		cmocka_unit_test(test_empty_home),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
