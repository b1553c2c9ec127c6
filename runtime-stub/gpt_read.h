/*
 * gpt_read: find a partition of a pod image by its GPT name.
 *
 * Boot side of the chain: "hpc run" reads the table that the packer wrote
 * (docs/image-format.md) to reach the manifest, never guessing by index.
 * Read-only; the primary table is checked (signature, header and entry
 * CRC32) before any entry is trusted.
 */
#ifndef HPC_GPT_READ_H
#define HPC_GPT_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* The name field holds 36 UTF-16 units; this is its ASCII rendering. */
#define GPT_NAME_MAX 36

struct gpt_part {
	char name[GPT_NAME_MAX + 1];	/* non-ASCII units read as '?' */
	uint64_t offset;		/* bytes from the start of the disk */
	uint64_t size;			/* bytes */
};

/*
 * gpt_find - look up the partition called name in the GPT of the disk
 * open on fd (path is only for messages). Fills *ret and returns 0;
 * -EINVAL when the disk has no valid GPT, -ENOENT when no partition has
 * that name, -EIO on a read error, each with a message in err.
 */
int gpt_find(int fd, const char *path, const char *name,
	     struct gpt_part *ret, struct hpc_err *err);

/*
 * What a disk must hold: size bytes; whole when fd reads all of them (a
 * raw image), so the backup header itself can be read.
 */
struct gpt_fit {
	uint64_t size;
	const char *unit;		/* "file", or "disk" for qcow2 */
	bool whole;
};

/*
 * gpt_check_fit - check that every partition of the GPT on fd, and the
 * backup header the primary points to, end within fit->size bytes, so a
 * truncated image is refused before anything boots it. Returns 0, or
 * -EIO ("the image is truncated: partition 'x' ends at N, the file has
 * M bytes") or -EINVAL, with a message in err.
 */
int gpt_check_fit(int fd, const char *path, const struct gpt_fit *fit,
		  struct hpc_err *err);

#endif
