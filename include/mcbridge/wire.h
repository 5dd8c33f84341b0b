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
 *   Tails ("kind":"tail") are sent by a mapping that sent nothing for
 *   mcbridged --tail-ms, then again every --tail-ms while it stays idle:
 *   "bridge_seq" is the mapping's last datagram's (a tail takes no number
 *   of its own and is not kept in the history) and "count" the datagrams
 *   the bridge's history holds (the oldest is bridge_seq - count + 1), so
 *   a receiver learns of a lost last datagram, and what it can still ask
 *   the repair channel for.  Decoders older than the tail report it as an
 *   unknown kind; plain JSON readers see one more object to skip.
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
	MCB_KIND_TAIL = 4,	/* idle: bridge_seq = the last one sent,
				 * count = datagrams held in the history */
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
#define MCB_JSON_KIND_TAIL	"tail"

/* The mcbridge family's attributes have the keys of its spec,
 * kmod/mcbridge.yaml (lib/mcb_attr.h). */

/*
 * Repair channel (mcbridged --repair; mcbridge-events(7) describes it too).
 *
 * mcbridged keeps the last datagrams of each mapping, as sent (signed when
 * signed), by bridge_seq (--history).  On a unicast UDP socket, by default
 * MCB_DEFAULT_REPAIR_ADDR port MCB_DEFAULT_REPAIR_PORT, a listener asks for
 * a range of them; the bridge sends them to the asking address and port
 * only, each byte for byte as it was multicast (so its MAC still checks),
 * packed into DATA messages, then one END.  Messages are at most
 * MCB_WIRE_MAX_DATAGRAM bytes; every field is big-endian; every message
 * starts with struct mcb_repair_hdr.
 *
 * Request, listener -> bridge: struct mcb_repair_req, hdr.type one of
 *   RANGE  bridge_seq first..last (inclusive) of run hdr.run (required);
 *   SINCE  first..the newest, of hdr.run, or of the current run when 0;
 *   LAST   the newest count datagrams, of hdr.run or the current run.
 *   The mapping is the one sending to af/addr/port (the group the listener
 *   joined) with these family and group names; empty names match the one
 *   mapping of that destination, if there is exactly one.  hdr.run and,
 *   when the mapping signs, epoch must be the bridge's: a request about
 *   another run is refused (status RUN), never answered with this run's
 *   datagrams.  At most MCB_REPAIR_MAX_RANGE datagrams are answered per
 *   request: a longer range is cut at its end (END names what was
 *   answered).  session is random per requester, req_seq +1 per request;
 *   both come back in the answers.  With MCB_REPAIR_F_AUTH, an HMAC-SHA256
 *   (the datagrams' key) of every byte before it follows the request;
 *   a bridge with a key ignores requests without a valid one, and any
 *   (session, req_seq) it accepted before (a replay), without answering.
 *   A new request from the same address and port replaces its pending one.
 *
 * DATA, bridge -> listener: struct mcb_repair_data, then count records:
 *   a 32-bit length, that many bytes of one datagram, zero padding to a
 *   multiple of 4.  first..last is the whole answer's range; the datagrams
 *   come in bridge_seq order, each named by its own bridge_seq.  DATA has
 *   no MAC of its own: signed datagrams carry theirs.
 *
 * END, bridge -> listener: struct mcb_repair_end, hdr.status saying how it
 *   went.  first..last: what was resent (first > last: nothing);
 *   lost_first..lost_last: what was asked but is no longer (or never was)
 *   in the history - unrepairable; held_first..held_last: what the history
 *   holds now.  With a key, followed by its MAC like a request.
 *
 * Answers are paced by a token bucket per requester (bytes/s) and one for
 * all: a request never buys more than its share of the bridge's sending.
 */
#define MCB_REPAIR_MAGIC	0x4d434250u	/* "MCBP" */
#define MCB_REPAIR_VERSION	1
#define MCB_DEFAULT_REPAIR_ADDR	"127.0.0.1"
#define MCB_DEFAULT_REPAIR_PORT	7787
#define MCB_REPAIR_MAX_RANGE	65536

enum mcb_repair_type {
	MCB_REPAIR_RANGE = 1,
	MCB_REPAIR_SINCE = 2,
	MCB_REPAIR_LAST = 3,
	MCB_REPAIR_DATA = 4,
	MCB_REPAIR_END = 5,
};

enum mcb_repair_status {
	MCB_REPAIR_OK = 0,		/* first..last resent; lost_* unrepairable */
	MCB_REPAIR_ST_RUN = 1,		/* another bridge run: refused */
	MCB_REPAIR_ST_NO_MAPPING = 2,	/* no mapping of that destination */
	MCB_REPAIR_ST_AMBIGUOUS = 3,	/* several: name family and group */
	MCB_REPAIR_ST_BUSY = 4,		/* too many requesters: ask later */
	MCB_REPAIR_ST_BAD = 5,		/* a range that names nothing */
};

/* hdr.flags */
#define MCB_REPAIR_F_AUTH	0x01	/* the message ends in its MAC */

struct mcb_repair_hdr {
	uint32_t magic;			/* MCB_REPAIR_MAGIC */
	uint8_t version;		/* MCB_REPAIR_VERSION */
	uint8_t type;			/* enum mcb_repair_type */
	uint8_t status;			/* END: enum mcb_repair_status, else 0 */
	uint8_t flags;			/* MCB_REPAIR_F_* */
	uint32_t run;			/* request: asked; answers: the bridge's */
	uint32_t reserved;		/* 0 */
	uint64_t session;		/* the requester's, echoed */
	uint64_t req_seq;		/* the request's, echoed */
};

struct mcb_repair_req {
	struct mcb_repair_hdr hdr;
	uint64_t first;			/* RANGE, SINCE */
	uint64_t last;			/* RANGE */
	uint64_t count;			/* LAST */
	uint64_t epoch;			/* the mapping's when it signs, else 0 */
	uint8_t addr[16];		/* the group; IPv4 in the first 4 bytes */
	uint16_t port;			/* the group's port */
	uint8_t af;			/* 4 or 6 */
	uint8_t reserved[5];		/* 0 */
	char family[MCB_WIRE_NAMSIZ];	/* NUL-padded; empty: any */
	char group[MCB_WIRE_NAMSIZ];
};

struct mcb_repair_data {
	struct mcb_repair_hdr hdr;
	uint64_t first;			/* the answer's range */
	uint64_t last;
	uint32_t count;			/* records in this message */
	uint32_t reserved;		/* 0 */
};

struct mcb_repair_end {
	struct mcb_repair_hdr hdr;
	uint64_t first;			/* resent */
	uint64_t last;
	uint64_t lost_first;		/* unrepairable */
	uint64_t lost_last;
	uint64_t held_first;		/* the history now */
	uint64_t held_last;
};

_Static_assert(sizeof(struct mcb_repair_hdr) == 32, "repair wire format");
_Static_assert(sizeof(struct mcb_repair_req) == 120, "repair wire format");
_Static_assert(sizeof(struct mcb_repair_data) == 56, "repair wire format");
_Static_assert(sizeof(struct mcb_repair_end) == 80, "repair wire format");

/* Bytes of a DATA record's length field; records are padded to 4. */
#define MCB_REPAIR_REC_HDR	4
/* The largest datagram one DATA message can carry. */
#define MCB_REPAIR_MAX_RECORD	(MCB_WIRE_MAX_DATAGRAM - \
				 sizeof(struct mcb_repair_data) - \
				 MCB_REPAIR_REC_HDR)

#endif /* MCBRIDGE_WIRE_H */
