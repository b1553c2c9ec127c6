/*
 * timings: "hpc run --timings", where the time of a boot went.
 *
 * End of the chain, on the host. The init sends "time MS EVENT" marks on
 * the exit channel, MS on the guest's monotonic clock (zero near the
 * kernel's start); the host knows when QEMU started and ended on its own
 * clock, and when each mark arrived. A mark cannot arrive before it was
 * made, so the smallest (arrival - MS) over all marks is the closest
 * bound on where the guest's zero sits on the host's clock; every mark is
 * shown at MS plus that offset, beside the host's own events.
 */
#ifndef HPC_TIMINGS_H
#define HPC_TIMINGS_H

#include <stdint.h>
#include <stdio.h>

#include "channel.h"

struct timings_host {
	int64_t start_ms;	/* QEMU started, on CLOCK_MONOTONIC */
	int64_t stop_ms;	/* the stop request was sent, or 0 */
	int64_t end_ms;		/* QEMU ended */
};

/*
 * timings_offset - the guest's zero on the host's clock: the smallest
 * host_ms - guest_ms of the marks. Returns 0 with it in *ret, -ENOENT
 * when there is no mark.
 */
int timings_offset(const struct channel *ch, int64_t *ret);

/*
 * timings_print - one line a host event and a mark on f, in seconds from
 * QEMU's start, marks with the guest's own clock beside them.
 */
void timings_print(const struct channel *ch, const struct timings_host *h,
		   FILE *f);

#endif
