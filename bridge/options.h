/* SPDX-License-Identifier: MIT */
/* Command line of mcbridged. */
#ifndef MCB_OPTIONS_H
#define MCB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include <mcbridge/wire.h>

#include "lib/mcaddr.h"
#include "lib/opttab.h"

#define MCB_MAX_MAPS		32
/* The bridge's netlink receive buffer (the listener has its own). */
#define MCB_BRIDGE_DEFAULT_RCVBUF	(256u << 20)
#define MCB_BRIDGE_DEFAULT_BATCH	64
/* Datagrams encoded and not yet sent, per mapping (0: send inline, which
 * took half the CPU per event of a sending thread in the native
 * benchmark). */
#define MCB_BRIDGE_DEFAULT_SEND_QUEUE	0
#define MCB_MAX_BATCH		1024
/* Smallest datagram limit: the binary header plus room for a few attributes,
 * and a JSON object's fixed fields. */
#define MCB_MIN_DATAGRAM	256

struct mcb_map_cfg {
	char family[MCB_WIRE_NAMSIZ];
	char group[MCB_WIRE_NAMSIZ];
	union {			/* the family is dest's */
		struct sockaddr_in dest;
		struct sockaddr_in6 dest6;
		union mcb_addr to;
	};
	struct in_addr iface;	/* IPv4: IP_MULTICAST_IF, by address */
	unsigned ifindex;	/* IPv6: IPV6_MULTICAST_IF, lo's by default */
	int ttl;		/* TTL or hop limit */
	enum mcb_format format;
};

struct mcb_options {
	struct mcb_map_cfg maps[MCB_MAX_MAPS];
	size_t n_maps;
	size_t rcvbuf;
	size_t send_queue;
	size_t max_datagram;
	unsigned batch;
	bool use_syslog;
	bool verbose;
	const char *key_file;	/* --key: sign every datagram */
	const char *user;	/* --user: run as (NULL: the default) */
};


/*
 * Parse argv into *o.  Messages go to out (help, version) or err (errors).
 * Resets getopt state, so it may be called more than once (tests).
 */
enum mcb_opt_result mcb_options_parse(struct mcb_options *o, int argc,
				      char **argv, FILE *out, FILE *err);

const char *mcb_format_name(enum mcb_format f);

#endif
