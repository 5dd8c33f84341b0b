/* SPDX-License-Identifier: MIT */
/*
 * mcbridge datagram wire format: the one definition shared by the encoder
 * (bridge/, mcbridged) and the decoder (client/, libmcbridge-client).
 *
 * mcbridged sends each netlink event as one UDP datagram, in one of two
 * formats chosen per mapping:
 *
 * json (default) - one JSON object, UTF-8, terminated by "\n".  Keys are the
 *   MCB_JSON_* names below, "kind" always the first (the object starts
 *   with {"kind":" - what the Wireshark dissector's heuristic looks for,
 *   wireshark/mcbridge.lua).  Every datagram has "kind", "family", "group",
 *   "bridge_seq" and "bridge_time_ns", and "bridge_run" (below).  Events ("kind":"event") add "cmd"
 *   (name, or the number as a string when unknown) and "cmd_id"; for the
 *   mcbridge family every attribute by name ("seq", "timestamp_ns", "type",
 *   "cpu", "ifindex", "ifname", "netdev_event", ...: the keys of
 *   kmod/mcbridge.yaml; enums as their names there, as numbers when a
 *   value has no name);
 *   for other families, and for mcbridge attributes without a key,
 *   "attrs": an array of {"type":N,"len":N, and one of "u8"/"u16"/"u32"/
 *   "u64" (numbers), "str" (text without its NUL), "nested" (array, same
 *   form) or "hex"}, chosen by the rule in include/mcbridge/nla.h.  Strings are escaped per RFC 8259;
 *   bytes that are not valid UTF-8 become \u00XX.  An event that would not
 *   fit MCB_WIRE_MAX_DATAGRAM keeps its fixed fields, drops attributes and
 *   carries "truncated":true.
 *   Notices ("kind":"overrun" / "kind":"lost") carry "count": overruns of
 *   the netlink socket (events lost, number unknown), or events missing from
 *   the kernel sequence (a gap in MCBRIDGE_ATTR_SEQ), with "kernel_seq" the
 *   first seq seen after the gap.
 *
 * Bridge run: a random non-zero 32-bit number drawn when the bridge
 *   starts, the same for all its mappings ("bridge_run" in JSON; hdr.run with MCB_WIRE_F_RUN in
 *   binary).  bridge_seq restarts at 1 with every run, so a receiver tells
 *   a restart from loss or reordering by the run, signed or not.  Bridges
 *   that predate it send neither (hdr.run was a reserved zero); decoders
 *   of wire version 1 ignore both, so the version stays 1.
 *
 * binary - struct mcb_wire_hdr (all fields big-endian), then hdr.attr_len
 *   bytes: the event's netlink attributes exactly as the kernel sent them
 *   (host byte order of the bridge; MCB_WIRE_F_ATTR_BE says which), after
 *   the genetlink header.  A truncated event keeps whole attributes only,
 *   sets MCB_WIRE_F_TRUNCATED and keeps the original length in orig_len.
 *
 * Authentication (mcbridged --key FILE; docs/security.md).  Each datagram
 * then carries a 64-bit epoch and an HMAC-SHA256 under the shared key.  The
 * epoch is random (getrandom), drawn per mapping when the bridge starts;
 * within an epoch bridge_seq only goes up, so (epoch, bridge_seq) names one
 * datagram and a receiver detects replays with a window on bridge_seq.
 *
 *   json:   the object ends in the epoch, then the MAC, as its last keys:
 *             {...,"epoch":"<16 hex>","hmac":"<64 hex>"}\n
 *           exactly so (lower-case hex, no spaces).  The MAC is over every
 *           byte before ,"hmac": - the whole object up to and including the
 *           epoch's closing quote.  Plain JSON readers see two more strings.
 *   binary: MCB_WIRE_F_AUTH in hdr.flags, and struct mcb_wire_auth right
 *           after the attr_len bytes of attributes.  The MAC is over the
 *           header (with the flag set), the attributes and auth.epoch.
 *
 * Key file: MCB_KEY_MIN..MCB_KEY_MAX bytes, either raw or as hex digits
 * (one line, optional trailing newline); the hex form is used when the file
 * is nothing but hex digits of an even count.  It must be a regular file
 * that group and others cannot read or write.
 */
#ifndef MCBRIDGE_WIRE_H
#define MCBRIDGE_WIRE_H

#include <stdint.h>

#define MCB_DEFAULT_GROUP	"225.0.0.1"
#define MCB_DEFAULT_PORT	7788
#define MCB_DEFAULT_IFACE	"127.0.0.1"
/* IPv6 groups (ff01::/16 interface-local, ff02::/16 link-local) go by
 * interface, this one unless told otherwise. */
#define MCB_DEFAULT_IFACE6	"lo"
#define MCB_DEFAULT_TTL		0

/* Largest UDP payload over IPv4; also the decoder's receive buffer. */
#define MCB_WIRE_MAX_DATAGRAM	65507

#define MCB_WIRE_MAGIC		0x4d434252u	/* "MCBR" */
#define MCB_WIRE_VERSION	1
#define MCB_WIRE_NAMSIZ		16		/* GENL_NAMSIZ */

/* The two formats; AUTO: a decoder tells them apart per datagram. */
enum mcb_format {
	MCB_FMT_AUTO = 0,	/* decoders: magic or '{' */
	MCB_FMT_JSON,
	MCB_FMT_BINARY,
};

enum mcb_wire_kind {
	MCB_KIND_EVENT = 1,	/* a netlink event, attributes follow */
	MCB_KIND_OVERRUN = 2,	/* count = netlink receive overruns */
	MCB_KIND_LOST = 3,	/* count = events missing from kernel seq */
};

/* hdr.flags */
#define MCB_WIRE_F_TRUNCATED	0x0001	/* attributes cut to fit */
#define MCB_WIRE_F_KERNEL_SEQ	0x0002	/* kernel_seq is valid */
#define MCB_WIRE_F_KERNEL_TIME	0x0004	/* kernel_time_ns is valid */
#define MCB_WIRE_F_ATTR_BE	0x0008	/* attributes are big-endian */
#define MCB_WIRE_F_AUTH		0x0010	/* struct mcb_wire_auth follows */
#define MCB_WIRE_F_RUN		0x0020	/* run is valid (bridge run: see the top) */

struct mcb_wire_hdr {
	uint32_t magic;			/* MCB_WIRE_MAGIC */
	uint8_t version;		/* MCB_WIRE_VERSION */
	uint8_t kind;			/* enum mcb_wire_kind */
	uint16_t hdr_len;		/* sizeof(struct mcb_wire_hdr) */
	uint16_t flags;			/* MCB_WIRE_F_* */
	uint8_t cmd;			/* genetlink command */
	uint8_t genl_version;		/* genetlink header version */
	uint32_t attr_len;		/* bytes of attributes after the header */
	uint32_t orig_len;		/* attr_len before truncation */
	uint32_t run;			/* MCB_WIRE_F_RUN: the bridge run, else 0 */
	uint64_t bridge_seq;		/* per mapping, +1 per datagram */
	uint64_t bridge_time_ns;	/* CLOCK_MONOTONIC at bridge receive */
	uint64_t kernel_seq;		/* MCBRIDGE_ATTR_SEQ, if flagged */
	uint64_t kernel_time_ns;	/* MCBRIDGE_ATTR_TIMESTAMP_NS, if flagged */
	uint64_t count;			/* notices: overruns or lost events */
	char family[MCB_WIRE_NAMSIZ];	/* NUL-padded genetlink family name */
	char group[MCB_WIRE_NAMSIZ];	/* NUL-padded multicast group name */
};

#define MCB_WIRE_HDR_LEN	((uint16_t)sizeof(struct mcb_wire_hdr))

_Static_assert(sizeof(struct mcb_wire_hdr) == 96,
	       "struct mcb_wire_hdr is part of the wire format");

/* Authentication: see the top of this file. */
#define MCB_WIRE_MAC_LEN	32		/* HMAC-SHA256 */
#define MCB_KEY_MIN		16
#define MCB_KEY_MAX		64		/* SHA-256 block size */

struct mcb_wire_auth {
	uint64_t epoch;				/* big-endian */
	uint8_t mac[MCB_WIRE_MAC_LEN];
};

_Static_assert(sizeof(struct mcb_wire_auth) == 40,
	       "struct mcb_wire_auth is part of the wire format");

/* The JSON form: the plain object's closing "}\n" is replaced by
 * ,"epoch":"<hex>","hmac":"<hex>"}\n (lengths below). */
#define MCB_JSON_EPOCH		"epoch"
#define MCB_JSON_HMAC		"hmac"
#define MCB_JSON_EPOCH_HEX	16
#define MCB_JSON_MAC_HEX	(2 * MCB_WIRE_MAC_LEN)
/* ,"epoch":"<hex>" - covered by the MAC */
#define MCB_JSON_AUTH_EPOCH_LEN	(sizeof(",\"" MCB_JSON_EPOCH "\":\"\"") - 1 + \
				 MCB_JSON_EPOCH_HEX)
/* ,"hmac":"<hex>"}\n - not covered */
#define MCB_JSON_AUTH_MAC_LEN	(sizeof(",\"" MCB_JSON_HMAC "\":\"\"}\n") - 1 + \
				 MCB_JSON_MAC_HEX)
/* Bytes an authenticated JSON datagram has beyond the plain one ("}\n"). */
#define MCB_JSON_AUTH_EXTRA	(MCB_JSON_AUTH_EPOCH_LEN + \
				 MCB_JSON_AUTH_MAC_LEN - 2)

/* JSON keys, shared by encoder and decoder. */
#define MCB_JSON_KIND		"kind"
#define MCB_JSON_FAMILY		"family"
#define MCB_JSON_GROUP		"group"
#define MCB_JSON_CMD		"cmd"
#define MCB_JSON_CMD_ID		"cmd_id"
#define MCB_JSON_BRIDGE_SEQ	"bridge_seq"
#define MCB_JSON_BRIDGE_TIME	"bridge_time_ns"
#define MCB_JSON_BRIDGE_RUN	"bridge_run"
#define MCB_JSON_KERNEL_SEQ	"kernel_seq"
#define MCB_JSON_COUNT		"count"
#define MCB_JSON_TRUNCATED	"truncated"
#define MCB_JSON_ATTRS		"attrs"

/* "kind" values */
#define MCB_JSON_KIND_EVENT	"event"
#define MCB_JSON_KIND_OVERRUN	"overrun"
#define MCB_JSON_KIND_LOST	"lost"

/* The mcbridge family's attributes have the keys of its spec,
 * kmod/mcbridge.yaml (lib/mcb_attr.h). */

#endif /* MCBRIDGE_WIRE_H */
