/* SPDX-License-Identifier: MIT */
/* The receiving socket: bind to the group's port and join the group. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "lib/sockbuf.h"
#include "mcbridge_client.h"

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29	/* linux/in6.h, Linux 4.20 */
#endif

/* Only the groups joined on this socket, not every group some other socket
 * of this host joined on the same port (Linux default); bound to the group
 * address, so unicast sent to the port is not ours; then joined. */
static int join_ipv4(int fd, const struct mcb_listen_cfg *cfg,
		     const char **what)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int zero = 0;

	*what = "IP_MULTICAST_ALL";
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero,
		       sizeof(zero)) < 0)
		return -1;

	*what = "bind";
	sa.sin_addr = cfg->group;
	sa.sin_port = htons(cfg->port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;

	*what = "IP_ADD_MEMBERSHIP";
	if (cfg->iface_index) {
		struct ip_mreqn mr = {
			.imr_multiaddr = cfg->group,
			.imr_ifindex = (int)cfg->iface_index,
		};

		return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				  sizeof(mr));
	} else {
		/* The group goes in imr_multiaddr, the local interface's
		 * address in imr_interface - not the other way round. */
		struct ip_mreq mr = {
			.imr_multiaddr = cfg->group,
			.imr_interface = cfg->iface_addr,
		};

		return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				  sizeof(mr));
	}
}

/* The same for IPv6, by interface index: scoped groups (ff01::, ff02::)
 * can only be bound with the interface as scope. */
static int join_ipv6(int fd, const struct mcb_listen_cfg *cfg,
		     const char **what)
{
	struct sockaddr_in6 sa = {
		.sin6_family = AF_INET6,
		.sin6_addr = cfg->group6,
		.sin6_port = htons(cfg->port),
		.sin6_scope_id = cfg->iface_index,
	};
	struct ipv6_mreq mr = {
		.ipv6mr_multiaddr = cfg->group6,
		.ipv6mr_interface = cfg->iface_index,
	};
	int zero = 0, one = 1;

	*what = "IPV6_V6ONLY";
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return -1;
	/* Older kernels lack it, and deliver as IPv4 did before it. */
	*what = "IPV6_MULTICAST_ALL";
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero,
		       sizeof(zero)) < 0 && errno != ENOPROTOOPT)
		return -1;
	*what = "bind";
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	*what = "IPV6_JOIN_GROUP";
	return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
}

int mcb_listen_open(const struct mcb_listen_cfg *cfg, const char **what)
{
	bool ipv6 = cfg->family == AF_INET6;
	int fd, one = 1, saved, got;
	bool forced;

	*what = "socket";
	fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;

	/* Many listeners (and socat, and scripts) share the port. */
	*what = "SO_REUSEADDR";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	/* The best the kernel gives; the caller reads back what it was. */
	*what = "SO_RCVBUF";
	if (cfg->rcvbuf > 0) {
		got = mcb_set_rcvbuf(fd, cfg->rcvbuf, &forced);
		if (got < 0) {
			errno = -got;
			goto fail;
		}
	}

	if (cfg->filter) {
		int err = mcb_filter_attach(fd, cfg->filter);

		*what = "SO_ATTACH_FILTER";
		if (err < 0) {
			errno = -err;
			goto fail;
		}
	}
	/* Best effort: without it (before Linux 5.0) nothing changes. */
	if (cfg->gro && (!cfg->filter || mcb_filter_wants_all(cfg->filter)) &&
	    setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one)) < 0 &&
	    errno != ENOPROTOOPT) {
		*what = "UDP_GRO";
		goto fail;
	}
	if ((ipv6 ? join_ipv6(fd, cfg, what) : join_ipv4(fd, cfg, what)) < 0)
		goto fail;
	*what = NULL;
	return fd;

fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

size_t mcb_gro_size(const struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c;
	     c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int size;

			memcpy(&size, CMSG_DATA(c), sizeof(size));
			return size > 0 ? (size_t)size : 0;
		}
	}
	return 0;
}

void mcb_listen_group_addr(const struct mcb_listen_cfg *cfg,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (cfg->family == AF_INET6) {
		struct sockaddr_in6 *g = (struct sockaddr_in6 *)ss;

		g->sin6_family = AF_INET6;
		g->sin6_addr = cfg->group6;
		g->sin6_port = htons(cfg->port);
	} else {
		struct sockaddr_in *g = (struct sockaddr_in *)ss;

		g->sin_family = AF_INET;
		g->sin_addr = cfg->group;
		g->sin_port = htons(cfg->port);
	}
}
