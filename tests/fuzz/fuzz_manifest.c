/*
 * fuzz_manifest: stage "fetch" under hostile documents. The first byte
 * picks what the rest is read as: an index or manifest (then a platform
 * is picked from it), or an image config.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "manifest.h"

static void as_manifest(const char *text, size_t len)
{
	struct hpc_err err = { .msg = "" };
	struct manifest *m = NULL;
	size_t at;

	if (manifest_parse(text, len, NULL, &m, &err) < 0)
		return;
	if (m->kind == MT_INDEX)
		(void)manifest_select(m, NULL, "linux", "amd64", &at, &err);
	manifest_free(m);
}

static void as_config(const char *text, size_t len)
{
	struct hpc_err err = { .msg = "" };
	struct image_config c = { 0 };
	char **diff_ids = NULL;

	if (manifest_parse_config(text, len, &c, &diff_ids, &err) < 0)
		return;
	manifest_config_release(&c);
	strv_free(diff_ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	log_level = LOG_QUIET;
	text = fuzz_text(data + 1, size - 1);
	if (data[0] & 1)
		as_config(text, size - 1);
	else
		as_manifest(text, size - 1);
	free(text);
	return 0;
}
