/*
 * test_manifest: OCI and Docker schema 2 manifests, indexes and configs
 * as manifest.c reads them, tag and platform selection, and the
 * documents it must refuse (schema 1, other digest algorithms, artifacts).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333333333333333333333333333"
#define H4 "4444444444444444444444444444444444444444444444444444444444444444"
#define D(h) "\"sha256:" h "\""

static struct manifest *parse_ok(const char *json, const char *desc_type)
{
	struct hpc_err err = { { 0 } };
	struct manifest *m = NULL;

	if (manifest_parse(json, strlen(json), desc_type, &m, &err) < 0)
		fail_msg("manifest_parse: %s", err.msg);
	return m;
}

static void parse_fails(const char *json, int code, const char *text)
{
	struct hpc_err err = { { 0 } };
	struct manifest *m = NULL;

	assert_int_equal(manifest_parse(json, strlen(json), NULL, &m, &err),
			 code);
	assert_null(m);
	if (!strstr(err.msg, text))
		fail_msg("'%s' not in '%s'", text, err.msg);
}

static const char oci_manifest[] =
	"{\"schemaVersion\":2,"
	"\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	"\"digest\":" D(H1) ",\"size\":7023},"
	"\"layers\":["
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
	"\"digest\":" D(H2) ",\"size\":32654},"
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
	"\"digest\":" D(H3) ",\"size\":16724}]}";

static void test_oci_manifest(void **state)
{
	struct manifest *m = parse_ok(oci_manifest, NULL);

	assert_int_equal(m->kind, MT_MANIFEST);
	assert_string_equal(m->config.digest, "sha256:" H1);
	assert_int_equal(m->config.size, 7023);
	assert_int_equal(manifest_class_of(m->config.media_type), MT_CONFIG);
	assert_int_equal(m->n_layers, 2);
	assert_string_equal(m->layers[0].digest, "sha256:" H2);
	assert_string_equal(m->layers[1].media_type,
			    "application/vnd.oci.image.layer.v1.tar");
	assert_int_equal(m->layers[1].size, 16724);
	manifest_free(m);
}

static void test_docker_manifest(void **state)
{
	static const char json[] =
		"{\"schemaVersion\":2,\"mediaType\":"
		"\"application/vnd.docker.distribution.manifest.v2+json\","
		"\"config\":{\"mediaType\":"
		"\"application/vnd.docker.container.image.v1+json\","
		"\"size\":1469,\"digest\":" D(H1) "},"
		"\"layers\":[{\"mediaType\":"
		"\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
		"\"size\":2479,\"digest\":" D(H2) "}]}";
	struct manifest *m = parse_ok(json, NULL);

	assert_int_equal(m->kind, MT_MANIFEST);
	assert_int_equal(manifest_class_of(m->config.media_type), MT_CONFIG);
	assert_int_equal(manifest_class_of(m->layers[0].media_type), MT_LAYER);
	manifest_free(m);
}

/* No mediaType anywhere: the descriptor's, then the shape decides. */
static void test_no_media_type(void **state)
{
	static const char json[] =
		"{\"schemaVersion\":2,\"manifests\":[{\"digest\":" D(H1)
		",\"size\":1}]}";
	struct manifest *m = parse_ok(json, NULL);

	assert_int_equal(m->kind, MT_INDEX);
	assert_null(m->manifests[0].media_type);
	manifest_free(m);
	m = parse_ok(oci_manifest, "application/vnd.oci.image.index.v1+json");
	assert_int_equal(m->kind, MT_MANIFEST);
	manifest_free(m);
}

static void test_schema1_refused(void **state)
{
	parse_fails("{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"latest\","
		    "\"fsLayers\":[{\"blobSum\":" D(H1) "}]}",
		    -ENOTSUP, "schema 1");
	parse_fails("{\"mediaType\":"
		    "\"application/vnd.docker.distribution.manifest.v1+prettyjws\"}",
		    -ENOTSUP, "schema 1");
}

static void test_bad_documents(void **state)
{
	parse_fails("{\"schemaVersion\":2,", -EINVAL, "not valid JSON");
	parse_fails("null", -EINVAL, "not a JSON object");
	parse_fails("{\"mediaType\":\"text/plain\"}", -EINVAL,
		    "not an image manifest or index (media type 'text/plain')");
	parse_fails("{\"schemaVersion\":2,\"manifests\":[{\"digest\":"
		    "\"sha512:abcd\",\"size\":1}]}",
		    -ENOTSUP, "digest algorithm 'sha512' is not supported");
	parse_fails("{\"schemaVersion\":2,\"manifests\":[{\"digest\":"
		    "\"sha256:ABC\",\"size\":1}]}",
		    -EINVAL, "malformed digest 'sha256:ABC'");
	parse_fails("{\"schemaVersion\":2,\"manifests\":[{\"digest\":"
		    D(H1) ",\"size\":-1}]}", -EINVAL, "no valid 'size'");
	parse_fails("{\"schemaVersion\":2,\"manifests\":[{\"digest\":"
		    D(H1) "}]}", -EINVAL, "manifests[0] has no valid 'size'");
	parse_fails("{\"schemaVersion\":2,\"config\":{\"digest\":" D(H1)
		    ",\"size\":1},\"layers\":{}}", -EINVAL, "no 'layers' array");
}

static void test_media_classes(void **state)
{
	assert_int_equal(manifest_class_of(
		"application/vnd.oci.image.layer.v1.tar+gzip+encrypted"),
		MT_ENCRYPTED);
	assert_int_equal(manifest_class_of(
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"),
		MT_LAYER);
	assert_int_equal(manifest_class_of(
		"application/vnd.cncf.helm.config.v1+json"), MT_UNKNOWN);
	assert_int_equal(manifest_class_of(NULL), MT_UNKNOWN);
}

/* Two platforms, an attestation for one, and a variant. */
static const char index_json[] =
	"{\"schemaVersion\":2,"
	"\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	"\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"digest\":" D(H4) ",\"size\":840,"
	"\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"},"
	"\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\","
	"\"vnd.docker.reference.digest\":" D(H1) "}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"digest\":" D(H1) ",\"size\":7143,"
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\","
	"\"variant\":\"v8\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"digest\":" D(H2) ",\"size\":7682,"
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";

static void test_select_platform(void **state)
{
	struct manifest *m = parse_ok(index_json, NULL);
	struct hpc_err err = { { 0 } };
	size_t pick = 99;

	assert_int_equal(m->kind, MT_INDEX);
	assert_true(m->manifests[0].attestation);
	assert_int_equal(manifest_select(m, NULL, "linux", "amd64", &pick,
					 &err), 0);
	assert_int_equal(pick, 2);
	assert_int_equal(manifest_select(m, NULL, "linux", "arm64", &pick,
					 &err), 0);
	assert_int_equal(pick, 1);
	assert_int_equal(manifest_select(m, NULL, "linux", "aarch64", &pick,
					 &err), 0);
	assert_int_equal(pick, 1);
	/* The attestation never counts, even when asked for its platform. */
	assert_int_equal(manifest_select(m, NULL, "unknown", "unknown", &pick,
					 &err), -ENOENT);
	assert_string_equal(err.msg,
			    "no manifest for platform unknown/unknown (platforms: linux/arm64/v8, linux/amd64)");
	manifest_free(m);
}

static const char layout_index[] =
	"{\"schemaVersion\":2,\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"digest\":" D(H1) ",\"size\":1,"
	"\"annotations\":{\"org.opencontainers.image.ref.name\":\"1.0\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	"\"digest\":" D(H2) ",\"size\":2,"
	"\"annotations\":{\"org.opencontainers.image.ref.name\":\"edge\"}}]}";

static void test_select_tag(void **state)
{
	struct manifest *m = parse_ok(layout_index, NULL);
	struct hpc_err err = { { 0 } };
	size_t pick = 99;

	assert_string_equal(m->manifests[1].ref_name, "edge");
	assert_int_equal(manifest_select(m, "edge", "linux", "amd64", &pick,
					 &err), 0);
	assert_int_equal(pick, 1);
	assert_int_equal(manifest_select(m, "1.0", "linux", "amd64", &pick,
					 &err), 0);
	assert_int_equal(pick, 0);
	assert_int_equal(manifest_select(m, "latest", "linux", "amd64", &pick,
					 &err), -ENOENT);
	assert_string_equal(err.msg,
			    "no manifest tagged 'latest' (tags: 1.0, edge)");
	/* Two untagged candidates without platforms cannot be told apart. */
	assert_int_equal(manifest_select(m, NULL, "linux", "amd64", &pick,
					 &err), -ENOENT);
	assert_non_null(strstr(err.msg, "none names a platform"));
	manifest_free(m);
}

static void test_config(void **state)
{
	static const char json[] =
		"{\"architecture\":\"amd64\",\"os\":\"linux\","
		"\"config\":{\"Env\":[\"PATH=/usr/bin:/bin\",\"A=b c\"],"
		"\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":null,"
		"\"WorkingDir\":\"/srv\",\"User\":\"\","
		"\"StopSignal\":\"SIGQUIT\"},"
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" D(H1) ","
		D(H2) "]}}";
	struct image_config c = { 0 };
	struct hpc_err err = { { 0 } };
	char **ids = NULL;

	assert_int_equal(manifest_parse_config(json, strlen(json), &c, &ids,
					       &err), 0);
	assert_int_equal(strv_len(c.env), 2);
	assert_string_equal(c.env[1], "A=b c");
	assert_string_equal(c.entrypoint[0], "/bin/sh");
	assert_string_equal(c.entrypoint[1], "-c");
	assert_null(c.entrypoint[2]);
	assert_null(c.cmd);
	assert_string_equal(c.working_dir, "/srv");
	assert_null(c.user);
	assert_string_equal(c.stop_signal, "SIGQUIT");
	assert_int_equal(strv_len(ids), 2);
	assert_string_equal(ids[1], "sha256:" H2);
	manifest_config_release(&c);
	strv_free(ids);
}

static void config_fails(const char *json, const char *text)
{
	struct image_config c = { 0 };
	struct hpc_err err = { { 0 } };
	char **ids = NULL;

	assert_int_equal(manifest_parse_config(json, strlen(json), &c, &ids,
					       &err), -EINVAL);
	assert_null(ids);
	if (!strstr(err.msg, text))
		fail_msg("'%s' not in '%s'", text, err.msg);
}

static void test_config_errors(void **state)
{
	config_fails("[]", "not a JSON object");
	config_fails("{\"config\":{}}", "no 'rootfs' object");
	config_fails("{\"rootfs\":{\"type\":\"layers\"}}",
		     "no 'rootfs.diff_ids'");
	config_fails("{\"config\":{\"Cmd\":\"ls -l\"},\"rootfs\":"
		     "{\"diff_ids\":[]}}", "'Cmd' is not an array of strings");
	config_fails("{\"config\":{\"Env\":[1]},\"rootfs\":{\"diff_ids\":[]}}",
		     "'Env' is not an array of strings");
	config_fails("{\"rootfs\":{\"diff_ids\":[\"sha256:xyz\"]}}",
		     "rootfs.diff_ids[0]: malformed digest");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci_manifest),
		cmocka_unit_test(test_docker_manifest),
		cmocka_unit_test(test_no_media_type),
		cmocka_unit_test(test_schema1_refused),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_media_classes),
		cmocka_unit_test(test_select_platform),
		cmocka_unit_test(test_select_tag),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
