/*
 * disk: the GPT layout of a pod image.
 *
 * Stage "pack". Partitions are laid out in order, each aligned to 1 MiB;
 * the table is written with libfdisk into an existing image file whose
 * partitions are already filled. Disk and partition GUIDs derive from a
 * seed, so the same inputs give the same table.
 */
#ifndef HPC_DISK_H
#define HPC_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "util.h"

#define DISK_ALIGN (1024 * 1024)

enum disk_part_type {
	DISK_PART_BIOS_BOOT,
	DISK_PART_ESP,
	DISK_PART_LINUX,
};

struct disk_part {
	char name[37];			/* the GPT name, ASCII */
	enum disk_part_type type;
	uint64_t size;			/* bytes, a multiple of DISK_ALIGN */
	uint64_t offset;		/* set by disk_layout */
};

/*
 * disk_layout - give each partition its offset, in order, and return in
 * *ret_size the size of the whole disk, the backup GPT included.
 */
void disk_layout(struct disk_part *parts, size_t n, uint64_t *ret_size);

/*
 * disk_write_gpt - write the protective MBR and both GPT copies for parts
 * into image_path, which must already be disk_size bytes long. Returns 0,
 * or -errno with a message in err.
 */
int disk_write_gpt(const char *image_path, const struct disk_part *parts,
		   size_t n, uint64_t disk_size, const uint8_t seed[DIGEST_LEN],
		   struct hpc_err *err);

#endif
