/* SPDX-License-Identifier: MIT */
/* The receiving socket: bind to the group's port and join the group. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lib/sockbuf.h"
#include "mcbridge_client.h"

int mcb_listen_open(const struct mcb_listen_cfg *cfg, const char **what)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1, zero = 0, saved, got;
	bool forced;

	*what = "socket";
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
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

	/* Only the groups joined on this socket, not every group some other
	 * socket of this host joined on the same port (Linux default). */
	*what = "IP_MULTICAST_ALL";
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero,
		       sizeof(zero)) < 0)
		goto fail;

	/* Bound to the group address, unicast sent to the port is not ours. */
	*what = "bind";
	sa.sin_addr = cfg->group;
	sa.sin_port = htons(cfg->port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;

	*what = "IP_ADD_MEMBERSHIP";
	if (cfg->iface_index) {
		struct ip_mreqn mr = {
			.imr_multiaddr = cfg->group,
			.imr_ifindex = (int)cfg->iface_index,
		};

		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)) < 0)
			goto fail;
	} else {
		/* The group goes in imr_multiaddr, the local interface's
		 * address in imr_interface - not the other way round. */
		struct ip_mreq mr = {
			.imr_multiaddr = cfg->group,
			.imr_interface = cfg->iface_addr,
		};

		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)) < 0)
			goto fail;
	}
	*what = NULL;
	return fd;

fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
