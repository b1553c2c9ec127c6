/*
 * net: lo and eth0 by ioctl (see net.h), as the boot measurements did;
 * no netlink library is needed for one address and one route.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mono.h"
#include "virtio.h"

static int parse_addr(const char *text, struct sockaddr *ret,
		      struct errmsg *e)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, text, &sin.sin_addr) != 1)
		return errmsg_set(e, -EINVAL, "bad IPv4 address '%s'", text);
	memcpy(ret, &sin, sizeof(sin));
	return 0;
}

static int set_up(int sock, const char *ifname, struct errmsg *e)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return errmsg_set(e, -errno, "cannot read the flags of '%s': "
				  "%s", ifname, strerror(errno));
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		return errmsg_set(e, -errno, "cannot bring '%s' up: %s",
				  ifname, strerror(errno));
	return 0;
}

static int set_addr(int sock, const char *ip, const char *mask,
		    struct errmsg *e)
{
	struct ifreq ifr = { 0 };
	int r;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", NET_IFACE);
	r = parse_addr(ip, &ifr.ifr_addr, e);
	if (r < 0)
		return r;
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
		return errmsg_set(e, -errno, "cannot set address %s on '%s': "
				  "%s", ip, NET_IFACE, strerror(errno));
	r = parse_addr(mask, &ifr.ifr_netmask, e);
	if (r < 0)
		return r;
	if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
		return errmsg_set(e, -errno, "cannot set netmask %s on '%s': "
				  "%s", mask, NET_IFACE, strerror(errno));
	return 0;
}

static int add_default_route(int sock, const char *gateway,
			     struct errmsg *e)
{
	struct rtentry rt = { 0 };
	struct sockaddr_in any = { .sin_family = AF_INET };
	int r;

	memcpy(&rt.rt_dst, &any, sizeof(any));
	memcpy(&rt.rt_genmask, &any, sizeof(any));
	r = parse_addr(gateway, &rt.rt_gateway, e);
	if (r < 0)
		return r;
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	if (ioctl(sock, SIOCADDRT, &rt) < 0 && errno != EEXIST)
		return errmsg_set(e, -errno, "cannot route by way of %s: %s",
				  gateway, strerror(errno));
	return 0;
}

/* No udev renames it, so the first virtio NIC stays eth0. */
static int wait_iface(unsigned timeout_ms, struct errmsg *e)
{
	uint64_t deadline = mono_ms() + timeout_ms;

	while (!if_nametoindex(NET_IFACE)) {
		if (mono_ms() >= deadline)
			return errmsg_set(e, -ENODEV, "no network interface "
					  "'%s' after %u ms", NET_IFACE,
					  timeout_ms);
		mono_sleep_ms(10);
	}
	return 0;
}

int net_up(const char *ip, const char *netmask, const char *gateway,
	   unsigned timeout_ms, struct errmsg *e)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	if (sock < 0)
		return errmsg_set(e, -errno, "cannot open a socket: %s",
				  strerror(errno));
	r = set_up(sock, "lo", e);
	if (r < 0 || !ip)
		goto out;
	if (!virtio_present(VIRTIO_ID_NET)) {
		r = errmsg_set(e, -ENXIO, "no virtio network device");
		goto out;
	}
	r = wait_iface(timeout_ms, e);
	if (r < 0)
		goto out;
	r = set_addr(sock, ip, netmask ? netmask : "255.255.255.0", e);
	if (r < 0)
		goto out;
	r = set_up(sock, NET_IFACE, e);
	if (r < 0 || !gateway)
		goto out;
	r = add_default_route(sock, gateway, e);
out:
	close(sock);
	return r;
}
