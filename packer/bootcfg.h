/*
 * bootcfg: the boot config that both firmware paths read, and the kernel
 * command line every boot path uses.
 *
 * Stage "pack". GRUB, started by a BIOS (from the BIOS boot partition) or
 * by UEFI firmware (EFI/BOOT/BOOTX64.EFI), finds the ESP by its label and
 * reads BOOTCFG_PATH there; that file boots the ESP's kernel and initrd
 * with the same command line that hpc run passes when it boots them
 * directly. The console goes to the screen and to the first serial port,
 * the serial port last, so that it is /dev/console.
 */
#ifndef HPC_BOOTCFG_H
#define HPC_BOOTCFG_H

#include "util.h"

#define BOOTCFG_ESP_LABEL "HPCESP"	/* the FAT label GRUB searches for */
#define BOOTCFG_PATH "grub/grub.cfg"	/* in the ESP; GRUB's prefix is /grub */
#define BOOTCFG_KERNEL "vmlinuz"	/* in the ESP's root */
#define BOOTCFG_INITRD "initrd.img"
#define BOOTCFG_EFI_LOADER "EFI/BOOT/BOOTX64.EFI"
#define BOOTCFG_CMDLINE "console=tty0 console=ttyS0 panic=-1 quiet cryptomgr.notests"

/*
 * bootcfg_grub - the text of grub.cfg: serial and screen terminals, no
 * menu, then linux BOOTCFG_KERNEL with cmdline (words split at spaces,
 * each quoted for GRUB's script where it needs it), initrd
 * BOOTCFG_INITRD, boot. *ret is newly allocated. -EINVAL with a message
 * when cmdline holds a control character, '"' or '\\', which the kernel
 * would not get as written.
 */
int bootcfg_grub(const char *cmdline, char **ret, struct hpc_err *err);

#endif
