/*
 * virtio: which virtio devices the VM was given, so the init waits only
 * for what can come.
 *
 * Boot side of the chain, inside the VM. "hpc run" gives every pod a
 * virtio NIC and the exit channel's virtio-serial port; a plain
 * "qemu-system-x86_64 -drive file=pod.img" booted by firmware gives
 * neither. The devices are bound when their modules load (the PCI probe
 * runs inside finit_module), so once the plan's modules are in, a device
 * missing from /sys/bus/virtio/devices will not appear later; only what
 * a present device makes (eth0, the named port) is worth waiting for.
 */
#ifndef HPC_INIT_VIRTIO_H
#define HPC_INIT_VIRTIO_H

/* Device IDs of the virtio spec, section 5. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_CONSOLE 3

/*
 * virtio_present - 1 when a virtio device with this device ID is on the
 * virtio bus, 0 when none is (or sysfs cannot say).
 */
int virtio_present(unsigned id);

#endif
