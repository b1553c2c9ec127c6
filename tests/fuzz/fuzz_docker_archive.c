/*
 * fuzz_docker_archive: "docker save" archives under hostile input. The
 * bytes are written as an archive file and opened the way a pod's
 * docker-archive: reference is: the archive's manifest.json (or the
 * legacy repositories file) read, configs and layers copied into a
 * private blob cache and verified.
 */
#include <stdio.h>

#include "fuzz.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hpc_err err = { .msg = "" };
	struct image *img = NULL;
	struct image_opts o = { .os = "linux", .arch = "amd64" };
	char cache[512], ref[600];
	const char *path;

	log_level = LOG_QUIET;
	path = fuzz_file("archive.tar", data, size);
	snprintf(cache, sizeof(cache), "%s/cache", fuzz_dir());
	snprintf(ref, sizeof(ref), "docker-archive:%s", path);
	o.cache_dir = cache;
	if (image_open(ref, &o, &img, &err) == 0)
		image_free(img);
	return 0;
}
