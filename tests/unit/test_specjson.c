/*
 * Unit tests for specjson: the pod as the build uses it, with files,
 * volumes and the resolver default, and read back to the same pod.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec.h"
#include "specjson.h"

static const char pod_text[] =
	"{\"name\": \"p\", \"files\": [{\"name\": \"f\", \"content\": \"hi\"},"
	" {\"name\": \"b\", \"encoding\": \"base64\", \"content\": \"AAEC\"}],"
	" \"volumes\": [{\"name\": \"v\", \"size\": \"1536K\"},"
	" {\"name\": \"w\", \"size\": 2}],"
	" \"containers\": [{\"image\": \"busybox:1.36\", \"files\": [{\"path\":"
	" \"/etc/f\", \"filename\": \"f\", \"perm\": \"644\", \"user\": \"1\"}],"
	" \"volumes\": [{\"path\": \"/data\", \"volume\": \"v\","
	" \"readOnly\": true}]}]}";

static char *json_of(const char *text)
{
	struct hpc_err err = { .msg = "" };
	struct spec_pod *pod = NULL;
	cJSON *o;
	char *s;

	if (spec_parse(text, strlen(text), "pod.json", true, &pod, &err))
		fail_msg("unexpected error: %s", err.msg);
	o = specjson_pod(pod);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	spec_free(pod);
	return s;
}

static void storage_and_dns(void **state)
{
	char *s = json_of(pod_text);

	(void)state;
	assert_non_null(strstr(s, "\"dns\":[\"10.0.2.3\"]"));
	assert_non_null(strstr(s, "\"files\":[{\"name\":\"f\",\"content\":"
			       "\"hi\"},{\"name\":\"b\",\"encoding\":\"base64\","
			       "\"content\":\"AAEC\"}]"));
	assert_non_null(strstr(s, "\"volumes\":[{\"name\":\"v\",\"format\":"
			       "\"vfs\",\"size\":\"1536K\"},{\"name\":\"w\","
			       "\"format\":\"vfs\",\"size\":2}]"));
	assert_non_null(strstr(s, "\"files\":[{\"path\":\"/etc/f\","
			       "\"filename\":\"f\",\"perm\":\"0644\","
			       "\"user\":\"1\"}]"));
	assert_non_null(strstr(s, "\"volumes\":[{\"path\":\"/data\","
			       "\"volume\":\"v\",\"readOnly\":true}]"));
	free(s);
}

/* The manifest's copy names a file's bytes by size and digest. */
static void brief_content(void **state)
{
	struct hpc_err err = { .msg = "" };
	struct spec_pod *pod = NULL;
	cJSON *o;
	char *s;

	(void)state;
	assert_int_equal(spec_parse(pod_text, strlen(pod_text), "pod.json",
				    true, &pod, &err), 0);
	o = specjson_pod_brief(pod);
	s = cJSON_PrintUnformatted(o);
	assert_null(strstr(s, "\"content\""));
	assert_non_null(strstr(s, "{\"name\":\"f\",\"contentBytes\":2,"
			       "\"contentDigest\":\"sha256:8f434346648f6b96df89"
			       "dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4\"}"));
	free(s);
	cJSON_Delete(o);
	spec_free(pod);
}

/* What validate --json prints is a pod file that means the same. */
static void reads_back(void **state)
{
	char *once = json_of(pod_text), *twice = json_of(once);

	(void)state;
	assert_string_equal(once, twice);
	free(once);
	free(twice);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(storage_and_dns),
		cmocka_unit_test(reads_back),
		cmocka_unit_test(brief_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
