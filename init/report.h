/*
 * report: the exit channel, a virtio-serial port named "hpc.exit" that
 * the runtime stub gives the VM. The init writes one line an event on it
 * (docs/image-format.md, "The exit channel"); "hpc run" exits with the
 * status of the "pod" line.
 */
#ifndef HPC_INIT_REPORT_H
#define HPC_INIT_REPORT_H

#include "errmsg.h"

#define REPORT_PORT_NAME "hpc.exit"

/*
 * report_open - find the port by name under /sys/class/virtio-ports,
 * waiting up to timeout_ms for the device to announce it, and open its
 * /dev node (made from its "dev" file when devtmpfs has none). Returns 0,
 * or -ENOENT or -errno with a message in e; -ENOENT at once when the VM
 * has no virtio-serial device to wait for.
 */
int report_open(unsigned timeout_ms, struct errmsg *e);

/* report_is_open - 1 when events go somewhere. */
int report_is_open(void);

/*
 * report_event - write one line on the port, or on the console as
 * "hpc-init: report: LINE" when the port is not open.
 */
void report_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* report_close - flush the port to the host and close it. */
void report_close(void);

#endif
