/*
 * Unit tests for the storage keys of the pod spec (spec_storage.c):
 * pod and container files and volumes, their defaults and aliases, every
 * error with its JSON path; and the fetch of pod files (podfiles.c) and
 * the plan's mount lines (plan.c) that follow from them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plan.h"
#include "podfiles.h"
#include "spec.h"
#include "tmpdir.h"

static struct spec_pod *parse_ok(const char *json, bool strict)
{
	struct hpc_err err = { .msg = "" };
	struct spec_pod *pod = NULL;

	if (spec_parse(json, strlen(json), "dir/pod.json", strict, &pod,
		       &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
	return pod;
}

static int parse_bad(const char *json, bool strict, struct hpc_err *err)
{
	struct spec_pod *pod = NULL;
	int rc;

	err->msg[0] = '\0';
	rc = spec_parse(json, strlen(json), "pod.json", strict, &pod, err);
	assert_null(pod);
	return rc;
}

static size_t lines(const char *s)
{
	size_t n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void pod_files(void **state)
{
	struct spec_pod *pod = parse_ok(
		"{\"id\": \"p\", \"files\": ["
		" {\"name\": \"a\", \"encoding\": \"raw\", \"content\": \"x=1\\n\"},"
		" {\"name\": \"b\", \"content\": \"aGVs\\nbG8=\","
		"  \"Encoding\": \"BASE64\"},"
		" {\"name\": \"c\", \"uri\": \"file:c.txt\", \"content\": \"lost\","
		"  \"sha256\": \"SHA256:" "ABCDEF0123456789abcdef0123456789"
		"abcdef0123456789abcdef0123456789\"},"
		" {\"name\": \"d\", \"uri\": \"\", \"content\": \"\"}],"
		" \"containers\": [{\"image\": \"oci:x\"}]}", false);
	const struct spec_storage_pod *st = &pod->storage;

	assert_int_equal(st->n_files, 4);
	assert_string_equal(st->files[0].content, "x=1\n");
	assert_int_equal(st->files[0].content_len, 4);
	assert_null(st->files[0].uri);
	assert_string_equal(st->files[1].content, "hello");
	assert_int_equal(st->files[1].content_len, 5);
	assert_string_equal(st->files[2].uri, "file:c.txt");
	assert_string_equal(st->files[2].sha256,
			    "abcdef0123456789abcdef0123456789"
			    "abcdef0123456789abcdef0123456789");
	assert_null(st->files[3].uri);
	assert_int_equal(st->files[3].content_len, 0);
	spec_free(pod);
}

static void container_files(void **state)
{
	struct spec_pod *pod = parse_ok(
		"{\"id\": \"p\", \"files\": [{\"name\": \"f\", \"content\": \"\"}],"
		" \"containers\": [{\"image\": \"oci:x\", \"files\": ["
		" {\"path\": \"/etc/\", \"filename\": \"f\"},"
		" {\"path\": \"/x\", \"filename\": \"f\", \"perm\": \"0000\","
		"  \"user\": 1000, \"group\": \"staff\"},"
		" {\"path\": \"/y\", \"filename\": \"f\", \"perm\": \"4750\"}]}]}",
		false);
	const struct spec_storage_container *ct = &pod->containers[0].storage;

	assert_int_equal(ct->n_files, 3);
	assert_int_equal(ct->files[0].perm, 0755);
	assert_null(ct->files[0].user);
	assert_int_equal(ct->files[1].perm, 0);
	assert_string_equal(ct->files[1].user, "1000");
	assert_string_equal(ct->files[1].group, "staff");
	assert_int_equal(ct->files[2].perm, 04750);
	spec_free(pod);
}

static void volumes(void **state)
{
	struct spec_pod *pod = parse_ok(
		"{\"id\": \"p\", \"volumes\": ["
		" {\"name\": \"log\", \"source\": \"\", \"format\": \"\"},"
		" {\"name\": \"tmp\", \"source\": \"/tmp\", \"format\": \"vfs\"},"
		" {\"name\": \"r\", \"source\": \"d.img\", \"driver\": \"raw\"},"
		" {\"name\": \"q\", \"source\": \"d.qcow2\", \"driver\": \"QCOW2\"},"
		" {\"name\": \"s\", \"size\": \"2G\"},"
		" {\"name\": \"t\", \"size\": 64, \"fstype\": \"ext4\"}],"
		" \"containers\": [{\"image\": \"oci:x\", \"volumes\": ["
		" {\"path\": \"/var/log\", \"volume\": \"log\"},"
		" {\"path\": \"/mnt\", \"volume\": \"tmp\", \"readOnly\": true}]}]}",
		false);
	const struct spec_storage_pod *st = &pod->storage;
	const struct spec_storage_container *ct = &pod->containers[0].storage;

	assert_int_equal(st->n_volumes, 6);
	assert_int_equal(st->volumes[0].format, SPEC_VOLUME_EMPTY);
	assert_null(st->volumes[0].source);
	assert_int_equal(st->volumes[1].format, SPEC_VOLUME_VFS);
	assert_int_equal(st->volumes[2].format, SPEC_VOLUME_RAW);
	assert_int_equal(st->volumes[3].format, SPEC_VOLUME_QCOW2);
	assert_int_equal(st->volumes[4].size, 2ull << 30);
	assert_int_equal(st->volumes[5].size, 64ull << 20);
	assert_int_equal(ct->n_volumes, 2);
	assert_false(ct->volumes[0].read_only);
	assert_true(ct->volumes[1].read_only);
	assert_string_equal(ct->volumes[1].volume, "tmp");
	spec_free(pod);
}

/* Problems found while reading the objects, all in one run. */
static void parse_errors(void **state)
{
	struct hpc_err err;

	assert_int_equal(parse_bad(
		"{\"id\": \"p\", \"files\": ["
		" {\"name\": \"a\", \"encoding\": \"base64\", \"content\": \"@@\"},"
		" {\"name\": \"b\", \"encoding\": \"gzip\"},"
		" {\"name\": \"c\", \"sha256\": \"abc\"}],"
		" \"volumes\": [{\"name\": \"v\", \"driver\": \"rbd\"},"
		" {\"name\": \"w\", \"format\": \"raw\"},"
		" {\"name\": \"x\", \"size\": \"12Q\"},"
		" {\"name\": \"an-awfully-long-volume-name-0\"}],"
		" \"containers\": [{\"image\": \"oci:x\", \"files\": ["
		" {\"path\": \"/a\", \"filename\": \"a\", \"perm\": \"0999\"},"
		" {\"path\": \"/b\", \"filename\": \"a\", \"perm\": 644}],"
		" \"volumes\": [{\"path\": \"/v\", \"volume\": \"v\","
		" \"readOnly\": \"yes\"}]}]}", false, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "files[0].content: not valid base64"));
	assert_non_null(strstr(err.msg, "files[1].encoding: 'gzip' is not an "
			       "encoding"));
	assert_non_null(strstr(err.msg, "files[2].sha256: 'abc' is not a "
			       "SHA-256"));
	assert_non_null(strstr(err.msg, "volumes[0].driver: volume format "
			       "'rbd' is not supported"));
	assert_non_null(strstr(err.msg, "volumes[1]: a raw volume needs a "
			       "'source'"));
	assert_non_null(strstr(err.msg, "volumes[2].size: expected a size"));
	assert_non_null(strstr(err.msg, "volumes[3]: volume name "));
	assert_non_null(strstr(err.msg, "containers[0].files[0].perm: '0999' "
			       "is not an octal mode"));
	assert_non_null(strstr(err.msg, "containers[0].files[1].perm: expected "
			       "an octal string"));
	assert_non_null(strstr(err.msg, "containers[0].volumes[0].readOnly: "
			       "expected true or false"));
	assert_int_equal(lines(err.msg), 10);
}

/* Problems that need the whole pod: names and references. */
static void reference_errors(void **state)
{
	struct hpc_err err;

	assert_int_equal(parse_bad(
		"{\"id\": \"p\", \"files\": [{\"name\": \"a\"}, {\"name\": \"a\"}],"
		" \"volumes\": [{\"name\": \"v\"}, {\"name\": \"v\"}],"
		" \"containers\": [{\"image\": \"oci:x\", \"files\": ["
		" {\"path\": \"/a\", \"filename\": \"nope\"},"
		" {\"path\": \"rel\", \"filename\": \"a\"}, {\"path\": \"/c\"}],"
		" \"volumes\": [{\"path\": \"/v\", \"volume\": \"none\"},"
		" {\"path\": \"/w\", \"volume\": \"v\"},"
		" {\"path\": \"/w\", \"volume\": \"v\"}]}]}", false, &err),
		-EINVAL);
	assert_non_null(strstr(err.msg, "files[1]: name 'a' is "
			       "already used by files[0]"));
	assert_non_null(strstr(err.msg, "volumes[1]: name 'v' is already used "
			       "by volumes[0]"));
	assert_non_null(strstr(err.msg, "containers[0].files[0]: filename "
			       "'nope' names no pod file"));
	assert_non_null(strstr(err.msg, "containers[0].files[1]: path 'rel' "
			       "is not an absolute path"));
	assert_non_null(strstr(err.msg, "containers[0].files[2]: 'filename' "
			       "is missing"));
	assert_non_null(strstr(err.msg, "containers[0].volumes[0]: volume "
			       "'none' names no pod volume"));
	assert_non_null(strstr(err.msg, "containers[0].volumes[2]: path '/w' "
			       "is already mounted by volumes[1]"));
	assert_int_equal(lines(err.msg), 7);
}

/* A mount point written with '.' or '..', or twice with other slashes. */
static void volume_path_errors(void **state)
{
	struct hpc_err err;

	assert_int_equal(parse_bad(
		"{\"id\": \"p\", \"volumes\": [{\"name\": \"v\"}],"
		" \"containers\": [{\"image\": \"oci:x\", \"volumes\": ["
		" {\"path\": \"/a/../..\", \"volume\": \"v\"},"
		" {\"path\": \"/./x\", \"volume\": \"v\"},"
		" {\"path\": \"/y\", \"volume\": \"v\"},"
		" {\"path\": \"//y/\", \"volume\": \"v\"},"
		" {\"path\": \"/..y/.z\", \"volume\": \"v\"}]}]}",
		false, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "containers[0].volumes[0]: path "
			       "'/a/../..' is not an absolute path below '/' "
			       "(without '.' or '..')"));
	assert_non_null(strstr(err.msg, "containers[0].volumes[1]: path "
			       "'/./x' is not an absolute path"));
	assert_non_null(strstr(err.msg, "containers[0].volumes[3]: path "
			       "'//y/' is already mounted by volumes[2]"));
	assert_int_equal(lines(err.msg), 3);
}

static void unknown_key_strict(void **state)
{
	const char *json = "{\"id\": \"p\", \"files\": [{\"name\": \"a\","
			   " \"contents\": \"x\"}],"
			   " \"containers\": [{\"image\": \"oci:x\"}]}";
	struct spec_pod *pod = parse_ok(json, false);
	struct hpc_err err;

	spec_free(pod);
	assert_int_equal(parse_bad(json, true, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "files[0].contents: unknown key "
			       "'contents' (expected name, encoding, uri, "
			       "content, sha256)"));
}

static void file_uris(void **state)
{
	char *p;

	p = podfiles_file_path("file:///etc/hosts", "pods");
	assert_string_equal(p, "/etc/hosts");
	free(p);
	p = podfiles_file_path("file://localhost/etc/hosts", "pods");
	assert_string_equal(p, "/etc/hosts");
	free(p);
	p = podfiles_file_path("file:conf/a.txt", "pods");
	assert_string_equal(p, "pods/conf/a.txt");
	free(p);
	p = podfiles_file_path("file:a.txt", ".");
	assert_string_equal(p, "a.txt");
	free(p);
	p = podfiles_file_path("file:///srv/my%20file%2Bx", ".");
	assert_string_equal(p, "/srv/my file+x");
	free(p);
	assert_null(podfiles_file_path("file:///bad%2", "."));
	assert_null(podfiles_file_path("file:///nul%00", "."));
	assert_null(podfiles_file_path("file://otherhost/x", "."));
	assert_null(podfiles_file_path("http://x/y", "."));
}

static void fetch(void **state)
{
	const char *dir = *state;
	struct spec_file f = { .name = "f", .content = "abc",
			       .content_len = 3 };
	char *dest = xasprintf("%s/out", dir), *src, *buf;
	struct hpc_err err;
	size_t len;
	FILE *fp;

	/* SHA-256 of "abc" */
	f.sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	assert_int_equal(podfiles_fetch(&f, "files[0]", dir, dest, &err), 0);
	assert_int_equal(read_file(dest, 100, &buf, &len, &err), 0);
	assert_string_equal(buf, "abc");
	free(buf);
	/* the uri wins over the content, relative to the pod's directory */
	src = xasprintf("%s/src.txt", dir);
	fp = fopen(src, "w");
	fputs("abd", fp);
	fclose(fp);
	f.uri = "file:src.txt";
	assert_int_equal(podfiles_fetch(&f, "files[0]", dir, dest, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "files[0].sha256: the fetched file has "
			       "SHA-256 a52d159f"));
	f.sha256 = NULL;
	assert_int_equal(podfiles_fetch(&f, "files[0]", dir, dest, &err), 0);
	assert_int_equal(read_file(dest, 100, &buf, &len, &err), 0);
	assert_string_equal(buf, "abd");
	free(buf);
	f.uri = "file:missing.txt";
	assert_int_equal(podfiles_fetch(&f, "files[3]", dir, dest, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "files[3].uri: cannot read "));
	f.uri = "gopher://x/y";
	assert_int_equal(podfiles_fetch(&f, "files[3]", dir, dest, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "is not a URI hpc can fetch"));
	free(src);
	free(dest);
}

static void plan_mount_lines(void **state)
{
	struct plan_container c = {
		.name = "a", .rootfs = "hpc-root-0",
		.argv = (char *[]){ "sh", NULL },
		.env = (char *[]){ NULL },
		.workdir = "/", .user = "",
	};
	struct plan pl = { .name = "p", .hostname = "p", .containers = &c,
			   .n_containers = 1 };
	char *text;

	plan_container_mount(&c, "data", "/srv/my data", NULL, false);
	plan_container_mount(&c, "conf", "/etc/app.conf", "app.conf", true);
	text = plan_encode(&pl);
	assert_non_null(strstr(text, "mount data\nmountpath /srv/my data\n"
			       "mountro 0\nmount conf\nmountpath /etc/app.conf\n"
			       "mountfile app.conf\nmountro 1\nend\n"));
	free(text);
	for (size_t i = 0; i < c.n_mounts; i++) {
		free(c.mounts[i].volume);
		free(c.mounts[i].path);
		free(c.mounts[i].file);
	}
	free(c.mounts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pod_files),
		cmocka_unit_test(container_files),
		cmocka_unit_test(volumes),
		cmocka_unit_test(parse_errors),
		cmocka_unit_test(reference_errors),
		cmocka_unit_test(volume_path_errors),
		cmocka_unit_test(unknown_key_strict),
		cmocka_unit_test(file_uris),
		cmocka_unit_test_setup_teardown(fetch, setup_tmp, teardown_tmp),
		cmocka_unit_test(plan_mount_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
