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

/* What one root filesystem was made from, for the manifest's "inputs". */
struct podmanifest_rootfs {
	const char *part;		/* its GPT name */
	const char *const *layers;	/* layer digests, base first */
	size_t n_layers;
	const char *key;		/* the result cache's key, or "" */
};

struct podmanifest_input {
	const struct plan *plan;
	const struct spec_pod *pod;
	const char *cmdline;
	struct podmanifest_blob kernel, initrd;
	const struct disk_part *parts;
	size_t n_parts;
	const struct podmanifest_rootfs *rootfs;
	size_t n_rootfs;
};

/*
 * podmanifest_json - the manifest's text, newly allocated. Its "inputs"
 * object lists each root filesystem's layers and key, and "digest", the
 * SHA-256 of the rest of the manifest (kernel, initrd with the init, its
 * modules and plan, the pod) and those keys: one value that changes when
 * anything that went into the image changes.
 */
char *podmanifest_json(const struct podmanifest_input *in);

#endif
