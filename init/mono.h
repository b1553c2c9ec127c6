/*
 * mono: the init's clock. Waiting for devices at boot and pacing restarts
 * both need a clock that the guest's wall time cannot move.
 */
#ifndef HPC_INIT_MONO_H
#define HPC_INIT_MONO_H

#include <stdint.h>

/* mono_ms - milliseconds on CLOCK_MONOTONIC. */
uint64_t mono_ms(void);

/* mono_sleep_ms - sleep ms milliseconds, resuming after signals. */
void mono_sleep_ms(unsigned ms);

#endif
