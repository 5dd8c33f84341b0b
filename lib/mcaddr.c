// SPDX-License-Identifier: MIT
/* Multicast group addresses: parse, measure, print. */
#include "mcaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "num.h"

int mcb_mcast_parse(const char *s, union mcb_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	size_t len = strlen(s);
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		if (!IN_MULTICAST(ntohl(a4.s_addr)))
			return -EDOM;
		a->in.sin_family = AF_INET;
		a->in.sin_addr = a4;
		return 0;
	}
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return -EINVAL;
	if (!IN6_IS_ADDR_MULTICAST(&a6))
		return -EDOM;
	/* The port sits at the same place in both. */
	a->in6.sin6_family = AF_INET6;
	a->in6.sin6_addr = a6;
	a->in6.sin6_flowinfo = 0;
	return 0;
}

int mcb_mcast_parse_port(const char *s, uint16_t default_port,
			 union mcb_addr *a, char buf[MCB_ADDRSTRLEN],
			 const char **what)
{
	char *colon, *addr = buf;
	uint64_t port = default_port;
	int err;

	*what = s;
	if (strlen(s) >= MCB_ADDRSTRLEN)
		return -EINVAL;
	strcpy(buf, s);
	colon = strrchr(buf, ':');
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -EINVAL;
		colon = close[1] ? close + 1 : NULL;
	} else if (colon && strchr(buf, ':') != colon) {
		colon = NULL;		/* a bare IPv6 address */
	}
	if (colon) {
		*colon = '\0';
		if (mcb_parse_u64(colon + 1, 1, 65535, &port)) {
			*what = colon + 1;
			return -ERANGE;
		}
	}
	*what = addr;
	err = mcb_mcast_parse(addr, a);
	if (err)
		return err;
	/* The port sits at the same place in both families. */
	a->in.sin_port = htons((uint16_t)port);
	return 0;
}

const char *mcb_mcast_strerror(const char *s, int err)
{
	bool v6 = strchr(s, ':') != NULL;

	if (err == -EDOM)
		return v6 ? "not an IPv6 multicast address" :
			    "not an IPv4 multicast address";
	return v6 ? "not an IPv6 address" : "not an IPv4 address";
}

socklen_t mcb_addr_len(const union mcb_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

const char *mcb_addr_str(const union mcb_addr *a, char buf[MCB_ADDRSTRLEN])
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, MCB_ADDRSTRLEN, "[%s]:%u", ip,
			 ntohs(a->in6.sin6_port));
	} else {
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
		snprintf(buf, MCB_ADDRSTRLEN, "%s:%u", ip,
			 ntohs(a->in.sin_port));
	}
	return buf;
}

unsigned mcb_ifindex(const char *name_or_index)
{
	char name[IF_NAMESIZE];
	uint64_t n;

	if (!mcb_parse_u64(name_or_index, 1, UINT32_MAX, &n))
		return if_indextoname((unsigned)n, name) ? (unsigned)n : 0;
	return if_nametoindex(name_or_index);
}
