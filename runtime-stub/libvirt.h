/*
 * libvirt: a pod image as a libvirt domain, for hosts that run their VMs
 * through libvirt rather than through "hpc run".
 *
 * Boot side of the chain, the one path that ends in a file instead of a
 * running VM: "hpc run --emit libvirt IMG" prints the domain. The host
 * that defines it may have no kernel beside the image, so the domain
 * boots by firmware (SeaBIOS on "pc", or OVMF on "q35"), GRUB and the
 * kernel coming from the image's ESP. The disk is virtio and read-only,
 * as in every boot (the init keeps its writes in memory); the exit
 * channel is a virtio-serial port named "hpc.exit" on a unix socket that
 * libvirt makes; the console is the first serial port.
 */
#ifndef HPC_LIBVIRT_H
#define HPC_LIBVIRT_H

#include <stdio.h>

#include "qemu.h"

/*
 * libvirt_domain - write the domain XML for c to out: c->boot is
 * QEMU_BOOT_BIOS or QEMU_BOOT_UEFI, c->accel ACCEL_KVM ("kvm") or
 * ACCEL_TCG ("qemu"), c->disk an absolute path. A port whose host_port
 * is 0 is published on its container port. Returns 0, or -EIO when out
 * could not be written.
 */
int libvirt_domain(FILE *out, const struct qemu_config *c);

#endif
