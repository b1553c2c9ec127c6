/*
 * report: the exit channel, a virtio-serial port named "hpc.exit" that
 * the runtime stub gives the VM. The init writes one line an event on it
 * (docs/image-format.md, "The exit channel"); "hpc run" exits with the
 * status of the "pod" line. The host writes requests the other way, one
 * a line: "stop" when "hpc run" got SIGINT or SIGTERM.
 */
#ifndef HPC_INIT_REPORT_H
#define HPC_INIT_REPORT_H

#include "errmsg.h"

#define REPORT_PORT_NAME "hpc.exit"
#define REPORT_REQUEST_MAX 256

enum report_request {
	REPORT_NONE,
	REPORT_STOP,	/* stop the pod as SIGTERM to the init would */
};

/*
 * report_open - find the port by name under /sys/class/virtio-ports,
 * waiting up to timeout_ms for the device to announce it, and open its
 * /dev node (made from its "dev" file when devtmpfs has none). Returns 0,
 * or -ENOENT or -errno with a message in e; -ENOENT at once when the VM
 * has no virtio-serial device to wait for.
 */
int report_open(unsigned timeout_ms, struct errmsg *e);

/* report_use_fd - use fd (a socket in tests) as the port; -1 for none. */
void report_use_fd(int fd);

/* report_is_open - 1 when events go somewhere. */
int report_is_open(void);

/*
 * report_event - write one line on the port, or on the console as
 * "hpc-init: report: LINE" when the port is not open.
 */
void report_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* report_fd_get - the port's fd, to poll for requests; -1 if none. */
int report_fd_get(void);

/* report_parse_request - the request one line (no newline) makes. */
enum report_request report_parse_request(const char *line);

/*
 * report_read_requests - read what the host wrote so far; the last
 * request of its whole lines, or REPORT_NONE. Unknown lines are skipped.
 */
enum report_request report_read_requests(void);

/* report_close - flush the port to the host and close it. */
void report_close(void);

#endif
