/*
 * channel: the exit channel between hpc-init and "hpc run".
 *
 * End of the chain: the init writes one line an event on the virtio-serial
 * port "hpc.exit" (docs/image-format.md): "started NAME", "exit NAME
 * STATUS RESTARTS", "error MESSAGE", "pod STATUS". QEMU carries the port
 * to a unix socket that "hpc run" listens on, so the host could also
 * talk back on it later. This module owns the socket and the parser.
 */
#ifndef HPC_CHANNEL_H
#define HPC_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

#define CHANNEL_LINE_MAX 4096

struct channel_container {
	char *name;
	bool started;
	bool exited;
	int status;			/* 0..255, valid when exited */
	unsigned restarts;
};

struct channel {
	char line[CHANNEL_LINE_MAX];
	size_t len;
	bool overlong;			/* dropping the rest of a long line */
	struct channel_container *containers; /* in order of first report */
	size_t n_containers;
	char **errors;			/* "error" messages, in order */
	char **bad;			/* lines that made no sense */
	int pod_status;			/* -1 until a "pod" line */
};

void channel_init(struct channel *ch);
void channel_release(struct channel *ch);

/* channel_feed - take len more bytes of the stream; whole lines count. */
void channel_feed(struct channel *ch, const char *data, size_t len);

/* channel_finish - the stream ended; a last line without '\n' counts. */
void channel_finish(struct channel *ch);

/*
 * channel_report - one line on f for each "error", each bad line, and
 * each container: those of plan (the manifest's names, may be NULL) in
 * that order, then any others the channel named.
 */
void channel_report(const struct channel *ch, char *const *plan, FILE *f);

/*
 * channel_listen - a listening unix socket at path (which must not
 * exist) for QEMU to connect to. Returns the fd (close-on-exec), or
 * -errno with a message in err.
 */
int channel_listen(const char *path, struct hpc_err *err);

#endif
