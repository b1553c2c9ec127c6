/*
 * channel: the exit channel between hpc-init and "hpc run".
 *
 * End of the chain: the init writes one line an event on the virtio-serial
 * port "hpc.exit" (docs/image-format.md): "started NAME", "exit NAME
 * STATUS RESTARTS", "error MESSAGE", "pod STATUS", and "time MS EVENT"
 * marks and a "zombies N" count. QEMU carries the port to a unix socket
 * that "hpc run" listens on; the host writes "stop" back on it. This
 * module owns the socket and the parser.
 */
#ifndef HPC_CHANNEL_H
#define HPC_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* A "time MS EVENT" mark: the guest's clock, and ours when it came. */
struct channel_mark {
	int64_t guest_ms;		/* the guest's CLOCK_MONOTONIC */
	int64_t host_ms;		/* ch->now_ms when the line arrived */
	char *what;			/* "init", "started NAME", ... */
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
	int zombies;			/* -1 until a "zombies" line */
	struct channel_mark *marks;	/* in order of arrival */
	size_t n_marks;
	int64_t now_ms;			/* set by the reader before a feed */
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
 * channel_all_started - whether every container of plan (the manifest's
 * names) reported that it started.
 */
bool channel_all_started(const struct channel *ch, char *const *plan);

/* The host's request that the pod stop, a line on the same socket. */
#define CHANNEL_STOP_REQUEST "stop\n"

/*
 * channel_listen - a listening unix socket at path (which must not
 * exist) for QEMU to connect to. Returns the fd (close-on-exec,
 * non-blocking), or -errno with a message in err.
 */
int channel_listen(const char *path, struct hpc_err *err);

#endif
