/*
 * tarindex: where each member's bytes lie in an uncompressed tar, read
 * from its headers (ustar, GNU long names, PAX path and size records),
 * so that stage "fetch" can hand an archive's layer to stage "pack" as a
 * byte range of the archive instead of copying it out.
 */
#ifndef HPC_TARINDEX_H
#define HPC_TARINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct tar_member {
	char *name;		/* without "./" or "/" in front */
	uint64_t offset;	/* of the data in the file */
	uint64_t size;
	bool regular;		/* a plain file's bytes, not a link */
};

struct tarindex {
	struct tar_member *members;
	size_t n;
};

/*
 * tarindex_read - index the members of file. Returns 0; -ENOTSUP when
 * file is not an uncompressed tar (a compressed one is read as a stream
 * instead); or -errno with a message.
 */
int tarindex_read(const char *file, struct tarindex *ret, struct hpc_err *err);

/* tarindex_find - the regular member called name, or NULL. */
const struct tar_member *tarindex_find(const struct tarindex *ix,
				       const char *name);

void tarindex_release(struct tarindex *ix);

#endif
