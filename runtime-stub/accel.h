/*
 * accel: choose the accelerator QEMU boots a pod image with.
 *
 * Boot side of the chain. A /dev/kvm that opens is not enough: on some
 * hosts KVM runs real-mode code but faults as soon as a guest turns on
 * paging, so every Linux guest hangs. The probe runs a tiny guest with
 * paging on and trusts KVM only if it reaches its "hlt".
 */
#ifndef HPC_ACCEL_H
#define HPC_ACCEL_H

#include <stdbool.h>

#include "util.h"

#define ACCEL_KVM_DEVICE "/dev/kvm"
/* How long the probe guest may take to reach "hlt"; it needs ~1 ms. */
#define ACCEL_PROBE_MS 500

enum accel {
	ACCEL_AUTO,
	ACCEL_KVM,
	ACCEL_TCG,
};

/* accel_parse - "auto", "kvm" or "tcg" into *ret; 0 or -EINVAL. */
int accel_parse(const char *s, enum accel *ret);

/* accel_name - the name QEMU's -accel option takes. */
const char *accel_name(enum accel a);

/*
 * accel_kvm_probe - run a one-instruction guest ("hlt") through the KVM
 * device at dev, with paging on when paging is true (the real test) or
 * off (a control that shows the probe itself is sound). Returns 0 when
 * the guest halted, or -errno with the reason in err: the device cannot
 * be opened or used, the guest faulted, or it did not halt within
 * ACCEL_PROBE_MS.
 */
int accel_kvm_probe(const char *dev, bool paging, struct hpc_err *err);

/*
 * accel_choose - the accelerator to use for want: ACCEL_KVM or ACCEL_TCG
 * as forced, and for ACCEL_AUTO, KVM when accel_kvm_probe(dev, true)
 * passes. When auto falls back to TCG, *ret_fell_back is set and why
 * holds the reason; otherwise it is cleared.
 */
enum accel accel_choose(enum accel want, const char *dev, bool *ret_fell_back,
			struct hpc_err *why);

#endif
