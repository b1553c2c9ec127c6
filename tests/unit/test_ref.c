/*
 * test_ref: image references split into transport, path and tag, and
 * Docker names normalised for matching docker save RepoTags.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ref.h"

static void parse_ok(const char *s, enum ref_transport t, const char *path,
		     const char *tag)
{
	struct image_ref r = { 0 };
	struct hpc_err err = { { 0 } };

	assert_int_equal(ref_parse(s, &r, &err), 0);
	assert_int_equal(r.transport, t);
	assert_string_equal(r.path, path);
	assert_string_equal(r.tag, tag);
	ref_release(&r);
}

static void parse_fails(const char *s, int code, const char *text)
{
	struct image_ref r = { 0 };
	struct hpc_err err = { { 0 } };

	assert_int_equal(ref_parse(s, &r, &err), code);
	assert_non_null(strstr(err.msg, text));
	assert_null(r.path);
}

static void test_oci(void **state)
{
	parse_ok("oci:/x/y", REF_OCI, "/x/y", "");
	parse_ok("oci:/x/y:latest", REF_OCI, "/x/y", "latest");
	parse_ok("oci:rel/dir:1.0", REF_OCI, "rel/dir", "1.0");
	parse_ok("oci:/x:", REF_OCI, "/x", "");
}

static void test_docker_archive(void **state)
{
	parse_ok("docker-archive:/a.tar", REF_DOCKER_ARCHIVE, "/a.tar", "");
	/* Only the first ':' after the transport splits. */
	parse_ok("docker-archive:/a.tar:example.com:5000/app:1",
		 REF_DOCKER_ARCHIVE, "/a.tar", "example.com:5000/app:1");
	parse_ok("docker-archive:a.tar:@1", REF_DOCKER_ARCHIVE, "a.tar", "@1");
}

static void test_unsupported(void **state)
{
	parse_fails("busybox", -ENOTSUP, "registry transport");
	parse_fails("busybox:latest", -ENOTSUP, "registry transport");
	parse_fails("docker.io/library/busybox:1", -ENOTSUP,
		    "registry transport");
	parse_fails("docker://busybox", -ENOTSUP,
		    "docker transport is not supported yet");
	parse_fails("oci-archive:/x.tar", -ENOTSUP, "oci-archive transport");
	parse_fails("", -EINVAL, "empty");
	parse_fails("oci:", -EINVAL, "no path");
	parse_fails("oci::tag", -EINVAL, "no path");
}

static void norm(const char *in, const char *want)
{
	char *got = ref_docker_normalize(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_normalize(void **state)
{
	norm("busybox", "docker.io/library/busybox:latest");
	norm("busybox:1.36", "docker.io/library/busybox:1.36");
	norm("library/busybox", "docker.io/library/busybox:latest");
	norm("docker.io/library/busybox:latest",
	     "docker.io/library/busybox:latest");
	norm("index.docker.io/busybox", "docker.io/library/busybox:latest");
	norm("me/app:2", "docker.io/me/app:2");
	norm("localhost/app", "localhost/app:latest");
	norm("example.com:5000/a/b", "example.com:5000/a/b:latest");
	norm("example.com:5000/a/b:3", "example.com:5000/a/b:3");
	norm("bazel/v1/tarball:test_image_1",
	     "docker.io/bazel/v1/tarball:test_image_1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci),
		cmocka_unit_test(test_docker_archive),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_normalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
