/*
 * manifest: the JSON the compiler writes into the hpc-manifest partition,
 * so the runtime stub can boot an image without reading FAT or ext4
 * (docs/image-format.md). Key order is fixed, so the bytes are
 * reproducible.
 */
#ifndef HPC_MANIFEST_H
#define HPC_MANIFEST_H

#include <stdint.h>

#include "digest.h"
#include "disk.h"
#include "plan.h"

#define MANIFEST_FORMAT 1

struct manifest_blob {
	uint64_t offset;	/* bytes from the start of the disk */
	uint64_t size;
	uint8_t sha256[DIGEST_LEN];
};

struct manifest_input {
	const struct plan *plan;
	const struct spec_pod *pod;
	const char *cmdline;
	struct manifest_blob kernel, initrd;
	const struct disk_part *parts;
	size_t n_parts;
};

/* manifest_json - the manifest's text, newly allocated. */
char *manifest_json(const struct manifest_input *in);

#endif
