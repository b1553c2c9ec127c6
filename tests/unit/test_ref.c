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

static void test_registry(void **state)
{
	/* No transport, or docker://, means a registry; the name is kept. */
	parse_ok("busybox", REF_DOCKER, "busybox", "");
	parse_ok("busybox:latest", REF_DOCKER, "busybox:latest", "");
	parse_ok("docker.io/library/busybox:1", REF_DOCKER,
		 "docker.io/library/busybox:1", "");
	parse_ok("docker://busybox", REF_DOCKER, "busybox", "");
	parse_ok("docker://127.0.0.1:5000/a/b:1", REF_DOCKER,
		 "127.0.0.1:5000/a/b:1", "");
	parse_ok("localhost:5000/app", REF_DOCKER, "localhost:5000/app", "");
	/* "docker:" without "//" is the image named docker. */
	parse_ok("docker:24", REF_DOCKER, "docker:24", "");
	parse_fails("Busybox", -EINVAL, "invalid repository name");
	parse_fails("docker://", -EINVAL, "image 'docker://': no repository");
	parse_fails(":::", -EINVAL, "image ':::': no repository name");
	parse_fails("@sha256:00", -EINVAL, "no repository name");
	parse_fails("busybox:", -EINVAL, "invalid tag");
}

static void test_local(void **state)
{
	/* oci-archive: takes a tag; dir: and tar: paths may hold ':'. */
	parse_ok("oci-archive:/x.tar", REF_OCI_ARCHIVE, "/x.tar", "");
	parse_ok("oci-archive:x.tar:v1", REF_OCI_ARCHIVE, "x.tar", "v1");
	parse_ok("dir:/srv/root", REF_DIR, "/srv/root", "");
	parse_ok("dir:a:b", REF_DIR, "a:b", "");
	parse_ok("tar:root.tar.zst", REF_TAR, "root.tar.zst", "");
	parse_ok("tar:a:b.tar", REF_TAR, "a:b.tar", "");
	parse_fails("", -EINVAL, "empty");
	parse_fails("dir:", -EINVAL, "no path");
	parse_fails("oci:", -EINVAL,
		    "no path after 'oci:' (expected oci:PATH)");
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

static void split_ok(const char *in, const char *domain, const char *repo,
		     const char *tag, const char *digest, const char *name)
{
	struct docker_ref r = { 0 };
	struct hpc_err err = { { 0 } };

	assert_int_equal(ref_docker_parse(in, &r, &err), 0);
	assert_string_equal(r.domain, domain);
	assert_string_equal(r.repo, repo);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	assert_string_equal(r.name, name);
	ref_docker_release(&r);
}

static void split_fails(const char *in, const char *text)
{
	struct docker_ref r = { 0 };
	struct hpc_err err = { { 0 } };

	assert_int_equal(ref_docker_parse(in, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, text));
	assert_null(r.name);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_docker_parse(void **state)
{
	split_ok("busybox", "docker.io", "library/busybox", "latest", NULL,
		 "docker.io/library/busybox:latest");
	split_ok("index.docker.io/me/app:2", "docker.io", "me/app", "2", NULL,
		 "docker.io/me/app:2");
	split_ok("127.0.0.1:5000/busybox", "127.0.0.1:5000", "busybox",
		 "latest", NULL, "127.0.0.1:5000/busybox:latest");
	split_ok("localhost/a/b-c__d.e:v1.0_x", "localhost", "a/b-c__d.e",
		 "v1.0_x", NULL, "localhost/a/b-c__d.e:v1.0_x");
	split_ok("busybox@sha256:" D64, "docker.io", "library/busybox", NULL,
		 "sha256:" D64, "docker.io/library/busybox@sha256:" D64);
	split_ok("quay.io/x/y:1@sha256:" D64, "quay.io", "x/y", "1",
		 "sha256:" D64, "quay.io/x/y:1@sha256:" D64);
	split_ok("a--b", "docker.io", "library/a--b", "latest", NULL,
		 "docker.io/library/a--b:latest");
	split_fails("UPPER/x", "invalid repository name");
	split_fails("a__-b", "invalid repository name");
	split_fails("a___b", "invalid repository name");
	split_fails("a.", "invalid repository name");
	split_fails("a//b", "invalid repository name");
	split_fails("-a", "invalid repository name");
	split_fails("a:.x", "invalid tag");
	split_fails("a:x y", "invalid tag");
	split_fails("a:" "x1234567890123456789012345678901234567890123456789"
		    "01234567890123456789012345678901234567890123456789"
		    "0123456789012345678901234567890", "invalid tag");
	split_fails("a@sha512:00", "invalid digest");
	split_fails("a@sha256:" "0123", "invalid digest");
	split_fails("ex-.com:5000/a", "invalid registry");
	split_fails("ex.com:50x0/a", "invalid registry");
	split_fails("ex.com:/a", "invalid registry");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci),
		cmocka_unit_test(test_docker_archive),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_docker_parse),
		cmocka_unit_test(test_normalize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
