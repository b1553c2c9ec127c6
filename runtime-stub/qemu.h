/*
 * qemu: the QEMU command line that boots a pod image.
 *
 * Boot side of the chain: direct kernel boot (on "-M q35") of the kernel
 * and initrd copied out of the image, or a firmware boot of the disk
 * alone (SeaBIOS on "-M pc", OVMF on "-M q35", GRUB from the image in
 * both), the image itself attached read-only (the init finds its
 * partitions there by GPT name), user-mode networking with the published
 * ports forwarded, the console on the terminal and the exit channel on a
 * virtio-serial port named "hpc.exit".
 */
#ifndef HPC_QEMU_H
#define HPC_QEMU_H

#include <stddef.h>

#include "accel.h"
#include "podimage.h"

#define QEMU_DEFAULT_BINARY "qemu-system-x86_64"
#define QEMU_EXIT_PORT "hpc.exit"
#define QEMU_OVMF_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define QEMU_OVMF_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"

/* How the guest's kernel is started. */
enum qemu_boot {
	QEMU_BOOT_DIRECT,	/* -kernel/-initrd/-append, on -M q35 */
	QEMU_BOOT_BIOS,		/* SeaBIOS boots the disk, on -M pc */
	QEMU_BOOT_UEFI,		/* OVMF boots the disk, on -M q35 */
};

struct qemu_config {
	const char *binary;		/* QEMU_DEFAULT_BINARY or --qemu */
	const char *name;		/* the pod's name, for -name */
	enum accel accel;		/* ACCEL_KVM or ACCEL_TCG */
	unsigned memory;		/* MiB */
	unsigned cpus;
	enum qemu_boot boot;
	const char *kernel;		/* direct boot only */
	const char *initrd;
	const char *cmdline;
	const char *ovmf_vars;		/* UEFI: this boot's own copy */
	const char *disk;		/* the pod image, attached read-only */
	const char *disk_format;	/* "raw" (when NULL) or "qcow2" */
	const char *exit_socket;	/* a listening unix socket */
	const struct podimage_port *ports; /* host_port already chosen */
	size_t n_ports;
};

/*
 * qemu_boot_parse - "direct", "bios" or "uefi" into *ret; 0, or -EINVAL
 * for any other word.
 */
int qemu_boot_parse(const char *s, enum qemu_boot *ret);

/* qemu_boot_name - the word qemu_boot_parse reads for b. */
const char *qemu_boot_name(enum qemu_boot b);

/*
 * qemu_argv - the full argv (binary first) for c, as a NULL-terminated
 * strv the caller frees with strv_free.
 */
char **qemu_argv(const struct qemu_config *c);

/*
 * qemu_opt_escape - s with each ',' doubled, as QEMU option strings want
 * a literal comma in a value. The caller frees the result.
 */
char *qemu_opt_escape(const char *s);

/*
 * qemu_shell_quote - argv as one line a POSIX shell would split back into
 * the same words. The caller frees the result.
 */
char *qemu_shell_quote(char *const *argv);

#endif
