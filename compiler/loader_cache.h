/*
 * loader_cache: GRUB's boot images kept in the cache directory, for the
 * boot-files step of stage "pack".
 *
 * grub-mkimage gives the same bytes for the same program, modules,
 * platform and early config, and running it twice costs every build,
 * warm or cold, a tenth of a second of CPU. Its image is kept as
 * CACHE/loaders/KEYHEX, KEY being the digest of the grub-mkimage binary,
 * the name, size, change time and inode of every file in the platform's
 * module directory, the platform, the label and the hpc binary (which
 * holds the module list), followed by the image's SHA-256. Written to a
 * temporary name, then renamed; reused only from a CACHE/loaders that no
 * other user can change, and only when its SHA-256 still matches.
 */
#ifndef HPC_LOADER_CACHE_H
#define HPC_LOADER_CACHE_H

#include "grub.h"
#include "util.h"

/*
 * loader_cache_mkimage - GRUB's image for platform, searching for the
 * FAT label, written to tmp_out: copied from the cache when a whole one
 * is kept there, else made afresh by grub_mkimage (and then kept, best
 * effort; a damaged one is replaced, with a warning). *ret_path is
 * tmp_out, for the caller to free. Returns 0, or -errno with
 * grub_mkimage's message.
 */
int loader_cache_mkimage(const char *cache, enum grub_platform platform,
			 const char *label, const char *tmp_out,
			 char **ret_path, struct hpc_err *err);

#endif
