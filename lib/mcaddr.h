/* SPDX-License-Identifier: MIT */
/* Multicast group addresses, IPv4 or IPv6, parsed and printed one way by
 * the bridge and the listener. */
#ifndef MCB_LIB_MCADDR_H
#define MCB_LIB_MCADDR_H

#include <netinet/in.h>
#include <sys/socket.h>

union mcb_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* "[ffff:...:255.255.255.255]:65535" and its NUL. */
#define MCB_ADDRSTRLEN	(INET6_ADDRSTRLEN + 8)

/*
 * A multicast group: an IPv4 address, or an IPv6 one, bare or in brackets.
 * Sets the family and the address, keeps the port.  Returns 0, -EINVAL
 * when s is no address, -EDOM when it is not a multicast one.
 */
int mcb_mcast_parse(const char *s, union mcb_addr *a);

/*
 * "ADDR[:PORT]", "[IPV6][:PORT]" or a bare IPv6 address: the group as
 * mcb_mcast_parse() takes it, and the port (default_port when not given).
 * Returns 0, -EINVAL / -EDOM as mcb_mcast_parse(), or -ERANGE for a port
 * outside 1..65535; *what is then the part that is wrong (in buf, which
 * holds a copy of s: MCB_ADDRSTRLEN bytes).
 */
int mcb_mcast_parse_port(const char *s, uint16_t default_port,
			 union mcb_addr *a, char buf[MCB_ADDRSTRLEN],
			 const char **what);

/* What mcb_mcast_parse(s) = err says: "not an IPv4 multicast address"... */
const char *mcb_mcast_strerror(const char *s, int err);

socklen_t mcb_addr_len(const union mcb_addr *a);

/* "225.0.0.1:7788" or "[ff01::4d43:1]:7788"; returns buf. */
const char *mcb_addr_str(const union mcb_addr *a, char buf[MCB_ADDRSTRLEN]);

/* An interface by name or by number: its index, or 0 when there is none. */
unsigned mcb_ifindex(const char *name_or_index);

#endif /* MCB_LIB_MCADDR_H */
