/*
 * Unit tests for spec: both pod dialects, case-insensitive keys, numbers
 * as strings, errors with the field's path, and every problem reported.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spec.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct spec_pod *parse_ok(const char *json)
{
	struct hpc_err err = { .msg = "" };
	struct spec_pod *pod = NULL;
	int rc;

	rc = spec_parse(json, strlen(json), "dir/pod.json", false, &pod, &err);
	if (rc != 0)
		fail_msg("unexpected error: %s", err.msg);
	return pod;
}

static int parse_bad(const char *json, struct hpc_err *err)
{
	struct spec_pod *pod = NULL;
	int rc;

	err->msg[0] = '\0';
	rc = spec_parse(json, strlen(json), "pod.json", false, &pod, err);
	assert_null(pod);
	return rc;
}

static void short_dialect(void **state)
{
	struct spec_pod *pod = parse_ok(
		"{\"name\": \"web\", \"resource\": {\"memory\": \"256\"},"
		" \"containers\": [{\"name\": \"a\", \"image\": \"oci:x\","
		" \"entryPoint\": [\"/bin/sh\", \"-c\"], \"command\": [\"true\"],"
		" \"env\": [{\"env\": \"A\", \"value\": \"1\"}]}]}");

	assert_string_equal(pod->name, "web");
	assert_string_equal(pod->hostname, "web");
	assert_int_equal(pod->memory, 256);
	assert_int_equal(pod->vcpu, 1);
	assert_int_equal(pod->n_containers, 1);
	assert_string_equal(pod->containers[0].entrypoint[1], "-c");
	assert_string_equal(pod->containers[0].command[0], "true");
	assert_string_equal(pod->containers[0].env[0], "A=1");
	assert_string_equal(pod->dir, "dir");
	assert_int_equal(pod->containers[0].restart, SPEC_RESTART_NEVER);
	spec_free(pod);
}

static void hyper_dialect(void **state)
{
	struct spec_pod *pod = parse_ok(
		"{\"ID\": \"Test Pod\", \"restartPolicy\": \"onFailure\","
		" \"Containers\": [{\"image\": \"oci:/images/busybox:latest\","
		" \"Entrypoint\": \"sh -c 'echo hi'\","
		" \"envs\": [{\"env\": \"B\", \"value\": \"x y\"}, \"C=3\"],"
		" \"workdir\": \"/tmp\", \"user\": {\"name\": \"nobody\"}}],"
		" \"files\": [], \"volumes\": [], \"tty\": true}");

	assert_string_equal(pod->name, "Test Pod");
	assert_string_equal(pod->hostname, "test-pod");
	assert_true(pod->tty);
	assert_string_equal(pod->containers[0].name, "busybox");
	assert_int_equal(strv_len(pod->containers[0].entrypoint), 3);
	assert_string_equal(pod->containers[0].entrypoint[2], "echo hi");
	assert_string_equal(pod->containers[0].env[1], "C=3");
	assert_string_equal(pod->containers[0].user, "nobody");
	assert_int_equal(pod->containers[0].restart, SPEC_RESTART_ON_FAILURE);
	spec_free(pod);
}

static void every_error_reported(void **state)
{
	struct hpc_err err;
	int rc;

	rc = parse_bad("{\"name\": \"p\", \"resource\": {\"vcpu\": \"many\"},"
		       " \"containers\": [{\"name\": \"a\", \"image\": 5},"
		       " {\"name\": \"b\", \"image\": \"x\","
		       " \"restartPolicy\": \"sometimes\"}]}", &err);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err.msg, "resource.vcpu: expected a whole number"));
	assert_non_null(strstr(err.msg, "containers[0].image: expected a string, found a number"));
	assert_non_null(strstr(err.msg, "containers[1].restartPolicy: 'sometimes'"));
}

static void semantic_errors(void **state)
{
	struct hpc_err err;

	assert_int_equal(parse_bad("{\"name\": \"p\", \"hostname\": \"a_b\","
				   " \"containers\": [{\"name\": \"a\", \"image\": \"x\"},"
				   " {\"name\": \"a\", \"image\": \"y\"}]}", &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "'a_b' is not a hostname"));
	assert_non_null(strstr(err.msg, "containers[1]: name 'a' is already used"));

	assert_int_equal(parse_bad("{\"name\": \"p\", \"containers\": []}", &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "the pod has no containers"));

	assert_int_equal(parse_bad("{\"name\": \"p\", \"containers\": [{\"name\": \"a\","
				   " \"image\": \"x\", \"env\": [\"A=1\", \"A=2\"]}]}", &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "'pod.json':1:65: containers[0].env: variable 'A' is set twice"));
}

static void unnamed_pod_takes_first_container(void **state)
{
	struct spec_pod *pod = parse_ok("{\"containers\": [{\"image\": \"oci:x/web:1\"}]}");

	assert_string_equal(pod->name, "web");
	assert_string_equal(pod->hostname, "web");
	spec_free(pod);
}

static void ports_and_dns(void **state)
{
	struct hpc_err err;
	struct spec_pod *pod = parse_ok(
		"{\"id\": \"p\", \"dns\": [\"1.1.1.1\", \"::1\"],"
		" \"portmappings\": [{\"containerport\": \"1300-1310\","
		" \"hostport\": \"3000-3010\", \"protocol\": \"UDP\"}],"
		" \"containers\": [{\"image\": \"x\", \"ports\":"
		" [{\"containerPort\": \"80\", \"hostPort\": 0}],"
		" \"sysctl\": {\"kernel.domainname\": \"d\"}, \"readonly\": true}]}");

	assert_int_equal(pod->n_ports, 1);
	assert_int_equal(pod->ports[0].container_port, 1300);
	assert_int_equal(pod->ports[0].host_port, 3000);
	assert_int_equal(pod->ports[0].count, 11);
	assert_true(pod->ports[0].udp);
	assert_int_equal(pod->containers[0].ports[0].host_port, 0);
	assert_string_equal(pod->dns[1], "::1");
	assert_string_equal(pod->containers[0].sysctl[0], "kernel.domainname=d");
	assert_true(pod->containers[0].read_only);
	spec_free(pod);

	assert_int_equal(parse_bad("{\"id\": \"p\", \"dns\": [\"8.8.8\"],"
				   " \"portmappings\": [{\"containerPort\": \"1-3\", \"hostPort\": \"5-6\"},"
				   " {\"containerPort\": 70000}, {\"containerPort\": 9, \"hostPort\": 9},"
				   " {\"containerPort\": 10, \"hostPort\": 9}],"
				   " \"containers\": [{\"image\": \"x\"}]}", &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "dns[0]: '8.8.8' is not an IP address"));
	assert_non_null(strstr(err.msg, "portmappings[0]: hostPort has 2 ports and containerPort 3"));
	assert_non_null(strstr(err.msg, "portmappings[1].containerPort: 70000 is not a port (expected 1 to 65535)"));
	assert_non_null(strstr(err.msg, "host port 9/tcp is published twice"));
}

/* One console: at most one container has it; a pod tty names the only one. */
static void tty_rules(void **state)
{
	struct hpc_err err;
	struct spec_pod *pod;

	pod = parse_ok("{\"name\": \"p\", \"tty\": true, \"containers\":"
		       " [{\"image\": \"x\"}]}");
	assert_true(pod->containers[0].tty);
	spec_free(pod);
	pod = parse_ok("{\"name\": \"p\", \"containers\": [{\"name\": \"a\","
		       " \"image\": \"x\"}, {\"name\": \"b\", \"image\": \"x\","
		       " \"tty\": true}]}");
	assert_true(pod->tty);
	assert_false(pod->containers[0].tty);
	assert_true(pod->containers[1].tty);
	spec_free(pod);
	assert_int_equal(parse_bad("{\"name\": \"p\", \"containers\": ["
				   "{\"name\": \"a\", \"image\": \"x\", \"tty\": true},"
				   " {\"name\": \"b\", \"image\": \"x\", \"tty\": true}]}",
				   &err), -EINVAL);
	assert_string_equal(err.msg, "'pod.json':1:107: containers[1].tty: only one "
			    "container can have the terminal, and "
			    "containers[0] has it");
	assert_int_equal(parse_bad("{\"name\": \"p\", \"tty\": true, "
				   "\"containers\": [{\"name\": \"a\", \"image\": \"x\"},"
				   " {\"name\": \"b\", \"image\": \"x\"}]}", &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "tty: a pod of 2 containers must say"));
	assert_int_equal(parse_bad("{\"name\": \"p\", \"containers\": ["
				   "{\"image\": \"x\", \"tty\": 1}]}", &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "containers[0].tty"));
}

static void syntax_error_position(void **state)
{
	struct hpc_err err;

	assert_int_equal(parse_bad("{\n  \"name\": \"p\",\n  \"containers\": [],\n}", &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "'pod.json':4:1: invalid JSON"));
	assert_int_equal(parse_bad("{\"name\": ", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unexpected end of file"));
}

static void strict_unknown_key(void **state)
{
	const char *json = "{\"name\": \"p\", \"containres\": []}";
	struct spec_pod *pod = NULL;
	struct hpc_err err = { .msg = "" };

	assert_int_equal(spec_parse(json, strlen(json), "pod.json", true, &pod,
				    &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown key 'containres' (did you mean 'containers'?)"));
}

/* The default name: last path component, no transport, tag or digest. */
static void default_names(void **state)
{
	static const char *const cases[][2] = {
		{ "busybox:1.36", "busybox" },
		{ "foo:bar", "foo" },
		{ "localhost:5000/foo", "foo" },
		{ "localhost:5000/a/foo:2@sha256:" SHA, "foo" },
		{ "oci:/x/busybox:latest", "busybox" },
		{ "oci:busybox", "busybox" },
		{ "docker-archive:a.tar:foo:1", "foo" },
		{ "docker-archive:/d/app.tar", "app" },
		{ "oci-archive:b.tar.gz:1", "b" },
		{ "docker://quay.io/x/y:3", "y" },
	};
	char json[256];
	struct spec_pod *pod;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(json, sizeof(json), "{\"containers\": [{\"image\":"
			 " \"%s\"}]}", cases[i][0]);
		pod = parse_ok(json);
		assert_string_equal(pod->containers[0].name, cases[i][1]);
		spec_free(pod);
	}
}

/* validate and build share these: an empty image, too many containers. */
static void pod_level_checks(void **state)
{
	struct hpc_err err;
	char json[4096] = "{\"containers\": [";
	size_t i;

	(void)state;
	assert_int_equal(parse_bad("{\"containers\": [{\"image\": \"\"}]}",
				   &err), -EINVAL);
	assert_non_null(strstr(err.msg, "containers[0].image: empty image"));
	assert_null(strstr(err.msg, "(null)"));
	for (i = 0; i < 65; i++)
		snprintf(json + strlen(json), sizeof(json) - strlen(json),
			 "%s{\"name\": \"c%zu\", \"image\": \"x\"}",
			 i ? ", " : "", i);
	snprintf(json + strlen(json), sizeof(json) - strlen(json), "]}");
	assert_int_equal(parse_bad(json, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "containers: 65, over the "
			       "limit of 64 (--max-containers raises it)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(short_dialect),
		cmocka_unit_test(hyper_dialect),
		cmocka_unit_test(every_error_reported),
		cmocka_unit_test(semantic_errors),
		cmocka_unit_test(tty_rules),
		cmocka_unit_test(syntax_error_position),
		cmocka_unit_test(strict_unknown_key),
		cmocka_unit_test(unnamed_pod_takes_first_container),
		cmocka_unit_test(ports_and_dns),
		cmocka_unit_test(default_names),
		cmocka_unit_test(pod_level_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
