/*
 * fat: a reproducible FAT filesystem, written into an existing image file.
 *
 * Stage "pack". The pod image's EFI system partition is a FAT filesystem
 * that both firmware paths read: UEFI firmware loads EFI/BOOT/BOOTX64.EFI
 * from it, and GRUB (BIOS or EFI) reads grub/grub.cfg, the kernel and the
 * initrd from it. The runtime stub boots the same kernel and initrd
 * directly, without reading FAT: each file's clusters are contiguous and
 * fat_layout tells where its bytes land, so the manifest can point there.
 *
 * FAT16 is used while the cluster count allows it, FAT32 past that (about
 * 256 MiB). Times, the volume serial and the label come from the caller,
 * directory entries are sorted by name, so the same inputs give the same
 * bytes. Names that are not upper-case 8.3 names get long (VFAT) names.
 */
#ifndef HPC_FAT_H
#define HPC_FAT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* One file in the filesystem; its directories are made as needed. */
struct fat_file {
	const char *path;	/* inside the filesystem: "EFI/BOOT/BOOTX64.EFI" */
	const char *src;	/* a host file to copy, or NULL for data */
	const void *data;	/* else these len bytes */
	size_t len;
};

struct fat_opts {
	const char *label;	/* up to 11 characters, or NULL for none */
	uint32_t serial;	/* the volume serial number */
	int64_t mtime;		/* every time stamp, in seconds since 1970;
				 * clamped to FAT's 1980..2107 */
};

/*
 * fat_min_size - the smallest filesystem, in bytes and a multiple of
 * align (a power of two, at least 512), that holds files. Host files
 * named by src are measured now. Returns 0 or -errno with a message.
 */
int fat_min_size(const struct fat_file *files, size_t n, uint64_t align,
		 uint64_t *ret_size, struct hpc_err *err);

/*
 * fat_layout - where fat_write would put each file's bytes, for a
 * filesystem of size bytes at byte offset in the image: ret_offsets[i]
 * (n entries, caller's array) is the image offset of files[i]'s first
 * byte, 0 for an empty file. -ENOSPC when the files do not fit.
 */
int fat_layout(const struct fat_file *files, size_t n, uint64_t offset,
	       uint64_t size, uint64_t *ret_offsets, struct hpc_err *err);

/*
 * fat_write - write the filesystem into image_path (which must be at
 * least offset + size bytes long) over bytes offset..offset+size, which
 * end up all filesystem: what was there is zeroed first. offset is a
 * multiple of 512 and the boot sector records offset / 512 as the hidden
 * sectors, as firmware expects of a partition. ret_offsets, if not
 * NULL, is filled as fat_layout fills it.
 */
int fat_write(const char *image_path, uint64_t offset, uint64_t size,
	      const struct fat_file *files, size_t n,
	      const struct fat_opts *o, uint64_t *ret_offsets,
	      struct hpc_err *err);

#endif
