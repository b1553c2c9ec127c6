/*
 * podmanifest: the JSON the compiler writes into the hpc-manifest partition,
 * so the runtime stub can boot an image without reading FAT or ext4
 * (docs/image-format.md). Key order is fixed, so the bytes are
 * reproducible.
 */
#ifndef HPC_PODMANIFEST_H
#define HPC_PODMANIFEST_H

#include <stdint.h>

#include "digest.h"
#include "disk.h"
#include "plan.h"

#define PODMANIFEST_FORMAT 1

struct podmanifest_blob {
	uint64_t offset;	/* bytes from the start of the disk */
	uint64_t size;
	uint8_t sha256[DIGEST_LEN];
};

struct podmanifest_input {
	const struct plan *plan;
	const struct spec_pod *pod;
	const char *cmdline;
	struct podmanifest_blob kernel, initrd;
	const struct disk_part *parts;
	size_t n_parts;
};

/* podmanifest_json - the manifest's text, newly allocated. */
char *podmanifest_json(const struct podmanifest_input *in);

#endif
