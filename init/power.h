/*
 * power: the end of every boot. PID 1 must never exit (the kernel would
 * panic), so whether the pod finished or the init failed, it ends here:
 * a clean power-off that QEMU turns into its own exit.
 */
#ifndef HPC_INIT_POWER_H
#define HPC_INIT_POWER_H

/*
 * power_off - kill what is left, flush the exit channel, sync, unmount
 * what the init mounted and power the VM off. Never returns.
 */
void power_off(void) __attribute__((noreturn));

#endif
