/*
 * grub: GRUB's images for the pod image, and its BIOS install.
 *
 * Stage "pack". A pod image boots by firmware alone as well as through
 * hpc run: UEFI firmware loads GRUB's EFI image from the ESP's removable
 * path (EFI/BOOT/BOOTX64.EFI), and a BIOS runs the MBR's boot code, which
 * loads GRUB's core image from the BIOS boot partition. Both images carry
 * the same early config: find the FAT filesystem by its label and read
 * grub/grub.cfg there (see bootcfg.h), so one config and one copy of the
 * kernel and initrd serve both. Images are made with grub-mkimage, whose
 * output depends only on its input; the BIOS install is done here,
 * because grub-bios-setup will not write into a plain image file.
 */
#ifndef HPC_GRUB_H
#define HPC_GRUB_H

#include <stdint.h>

#include "util.h"

enum grub_platform {
	GRUB_PC,		/* i386-pc: core.img for BIOS firmware */
	GRUB_EFI,		/* x86_64-efi: BOOTX64.EFI for UEFI */
};

/* GRUB's platform directories are here unless the caller says otherwise. */
#define GRUB_LIB_DIR "/usr/lib/grub"

/*
 * grub_platform_name - grub-mkimage's name for platform ("i386-pc"), also
 * the name of its directory of modules; NULL for an unknown platform.
 */
const char *grub_platform_name(enum grub_platform platform);

/*
 * grub_mkimage - make GRUB's image for platform at out_path (created or
 * replaced), with the modules the pod image's boot needs and an early
 * config that sets the root to the filesystem labelled fs_label (letters,
 * digits, '-' and '_') and the prefix to its /grub. lib_dir holds the
 * platform directories (NULL: GRUB_LIB_DIR). Returns 0, or -errno with a
 * message (grub-mkimage's own when it fails).
 */
int grub_mkimage(enum grub_platform platform, const char *lib_dir,
		 const char *fs_label, const char *out_path,
		 struct hpc_err *err);

/*
 * grub_install_bios - install BIOS GRUB into the disk image at
 * image_path: core_path (a GRUB_PC image) goes at the start of the BIOS
 * boot partition (part_offset, part_size bytes; refused if it does not
 * fit), and GRUB's boot.img, told where the core is, goes into bytes
 * 0..439 of the first sector. The rest of that sector (disk signature,
 * partition entries, 0x55aa) is left as it is, and the GPT writer keeps
 * bytes 0..439, so the GPT may be written before or after. The images'
 * patched fields are checked first; an unexpected GRUB is refused.
 */
int grub_install_bios(const char *image_path, const char *lib_dir,
		      const char *core_path, uint64_t part_offset,
		      uint64_t part_size, struct hpc_err *err);

#endif
