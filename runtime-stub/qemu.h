/*
 * qemu: the QEMU command line that boots a pod image.
 *
 * Boot side of the chain: direct kernel boot of the kernel and initrd
 * copied out of the image, the image itself attached read-only (the init
 * finds its partitions there by GPT name), user-mode networking with the
 * published ports forwarded, the console on the terminal and the exit
 * channel on a virtio-serial port named "hpc.exit".
 */
#ifndef HPC_QEMU_H
#define HPC_QEMU_H

#include <stddef.h>

#include "accel.h"
#include "podimage.h"

#define QEMU_DEFAULT_BINARY "qemu-system-x86_64"
#define QEMU_EXIT_PORT "hpc.exit"

struct qemu_config {
	const char *binary;		/* QEMU_DEFAULT_BINARY or --qemu */
	const char *name;		/* the pod's name, for -name */
	enum accel accel;		/* ACCEL_KVM or ACCEL_TCG */
	unsigned memory;		/* MiB */
	unsigned cpus;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *disk;		/* the pod image, attached read-only */
	const char *exit_socket;	/* a listening unix socket */
	const struct podimage_port *ports; /* host_port already chosen */
	size_t n_ports;
};

/*
 * qemu_argv - the full argv (binary first) for c, as a NULL-terminated
 * strv the caller frees with strv_free.
 */
char **qemu_argv(const struct qemu_config *c);

/*
 * qemu_shell_quote - argv as one line a POSIX shell would split back into
 * the same words. The caller frees the result.
 */
char *qemu_shell_quote(char *const *argv);

#endif
