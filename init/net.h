/*
 * net: the pod's network, shared by all its containers. The plan gives
 * the address; with QEMU's user-mode network that is 10.0.2.15/24, the
 * gateway 10.0.2.2 and the resolver 10.0.2.3. No DHCP: the address is
 * known at build time, and ioctls set it in a few microseconds.
 */
#ifndef HPC_INIT_NET_H
#define HPC_INIT_NET_H

#include "errmsg.h"

#define NET_IFACE "eth0"

/*
 * net_up - bring lo up; when ip is not NULL, wait up to timeout_ms for
 * eth0, give it ip and netmask (255.255.255.0 when NULL), bring it up and
 * route by way of gateway (when not NULL). Returns 0 or -errno; -ENXIO
 * when the VM has no virtio NIC at all (lo is up then).
 */
int net_up(const char *ip, const char *netmask, const char *gateway,
	   unsigned timeout_ms, struct errmsg *e);

#endif
