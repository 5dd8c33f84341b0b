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
/* --history: bytes of datagrams kept per mapping for the repair channel. */
#define MCB_BRIDGE_DEFAULT_HISTORY	(16u << 20)
/* --tail-ms: an idle mapping's tail datagram, this often. */
#define MCB_BRIDGE_DEFAULT_TAIL_MS	1000
#define MCB_MAX_TAIL_MS			3600000
/* --repair-rate, --repair-rate-total: bytes per second of answers. */
#define MCB_BRIDGE_DEFAULT_REPAIR_RATE		(32u << 20)
#define MCB_BRIDGE_DEFAULT_REPAIR_RATE_TOTAL	(64u << 20)
#define MCB_MIN_REPAIR_RATE			(64u * 1024)
#define MCB_MAX_REPAIR_RATE			(16ull << 30)

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
	bool refill;		/* mcbridge family: fetch gaps from the history */
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
	size_t history;		/* --history, per mapping; 0: none */
	uint64_t tail_ms;	/* --tail-ms; 0: no tails */
	bool repair;		/* --repair (not "off") */
	bool repair_given;	/* named by --repair: its port must be had */
	union mcb_addr repair_addr;
	uint64_t repair_rate;	/* per requester, bytes/s */
	uint64_t repair_rate_total;
};


/*
 * Parse argv into *o.  Messages go to out (help, version) or err (errors).
 * Resets getopt state, so it may be called more than once (tests).
 */
enum mcb_opt_result mcb_options_parse(struct mcb_options *o, int argc,
				      char **argv, FILE *out, FILE *err);

const char *mcb_format_name(enum mcb_format f);

#endif
