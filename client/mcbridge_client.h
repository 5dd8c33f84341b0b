/* SPDX-License-Identifier: MIT */
/*
 * libmcbridge-client: decode mcbridge datagrams (include/mcbridge/wire.h)
 * into a struct mcb_event view, render them, and track a stream's health.
 *
 * Decoding never allocates: the caller owns one struct mcb_event and the
 * datagram buffer.  Strings are copied (unescaped) into the event; generic
 * attributes from a binary datagram point into the caller's buffer, so the
 * view is valid while both live.
 */
#ifndef MCBRIDGE_CLIENT_H
#define MCBRIDGE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/filter.h>

#include <mcbridge/attrs.h>
#include <mcbridge/auth.h>
#include <mcbridge/nla.h>
#include <mcbridge/wire.h>

enum mcb_err {
	MCB_OK = 0,
	MCB_ERR_EMPTY,		/* zero-length datagram */
	MCB_ERR_FORMAT,		/* neither magic nor '{' (or not the expected one) */
	MCB_ERR_MAGIC,		/* binary: wrong magic */
	MCB_ERR_VERSION,	/* binary: version is not MCB_WIRE_VERSION */
	MCB_ERR_HDR_LEN,	/* binary: hdr_len too small or past the end */
	MCB_ERR_TRUNCATED,	/* shorter than its header or attr_len says */
	MCB_ERR_TRAILING,	/* bytes after the attributes / JSON object */
	MCB_ERR_ATTR,		/* binary: malformed netlink attribute */
	MCB_ERR_SYNTAX,		/* JSON: not well-formed */
	MCB_ERR_DEPTH,		/* JSON: nested deeper than MCB_JSON_MAX_DEPTH */
	MCB_ERR_NUMBER,		/* JSON: not an unsigned integer, or > u64 */
	MCB_ERR_TYPE,		/* a known key has a value of the wrong type */
	MCB_ERR_KIND,		/* unknown "kind" */
	MCB_ERR_MISSING,	/* a required field is absent */
	MCB_ERR__COUNT
};

/* Short English text for an error, never NULL. */
const char *mcb_strerror(enum mcb_err err);

#define MCB_JSON_MAX_DEPTH	32
#define MCB_EVENT_MAX_ATTRS	64	/* top-level generic attributes kept */
#define MCB_EVENT_ARENA		4096	/* unescaped generic strings */
#define MCB_CMD_NAMSIZ		32
/* The string fields' sizes (<mcbridge/attrs.h>), by their older names. */
#define MCB_IFNAMSIZ		MCB_IFNAME_SIZE
#define MCB_MODNAMSIZ		MCB_MODULE_SIZE
#define MCB_TEXTSIZ		MCB_TEXT_SIZE

/*
 * Which optional fields a datagram carried (mcb_event.has).  Bits 5 to 28
 * are the event attributes' (<mcbridge/attrs.h>, generated from the spec).
 */
enum {
	MCB_HAS_CMD		= 1u << 0,	/* cmd_id (binary: always) */
	MCB_HAS_CMD_NAME	= 1u << 1,
	MCB_HAS_KERNEL_SEQ	= 1u << 2,
	MCB_HAS_KERNEL_TIME	= 1u << 3,
	MCB_HAS_COUNT		= 1u << 4,
	MCB_HAS_ATTRS		= 1u << 29,	/* generic attribute list */
	MCB_HAS_GENL_VERSION	= 1u << 30,	/* binary only */
	MCB_HAS_RUN_ID		= 1u << 31,	/* run_id: one bridge run */
};


/*
 * One generic attribute.  data/data_len:
 *   json:   STR  - unescaped text in the event's arena (NUL-terminated)
 *           HEX  - the hex digits as sent
 *           NESTED - the JSON array text as sent (validated)
 *   binary: the raw payload inside the datagram (not NUL-terminated)
 * Numbers are in num (binary: already in host order).
 */
struct mcb_attr {
	uint16_t type;
	uint16_t len;		/* declared payload length */
	uint16_t nla_flags;	/* binary: NLA_F_NESTED, NLA_F_NET_BYTEORDER */
	uint8_t kind;		/* enum mcb_attr_kind */
	bool clipped;		/* string did not fit the arena */
	uint64_t num;
	const char *data;
	uint32_t data_len;
};

struct mcb_event {
	enum mcb_format format;		/* what the datagram was */
	enum mcb_wire_kind kind;
	uint32_t has;			/* MCB_HAS_* */
	uint16_t wire_flags;		/* binary: MCB_WIRE_F_* as sent */
	bool truncated;			/* encoder dropped attributes */
	bool clipped;			/* a string did not fit its field */

	char family[MCB_WIRE_NAMSIZ];
	char group[MCB_WIRE_NAMSIZ];
	char cmd_name[MCB_CMD_NAMSIZ];
	uint32_t cmd;			/* genetlink command (cmd_id) */
	uint8_t genl_version;

	uint64_t bridge_seq;
	uint64_t bridge_time_ns;
	uint64_t kernel_seq;		/* "seq" / "kernel_seq" / hdr */
	uint64_t kernel_time_ns;	/* "timestamp_ns" / hdr */
	uint64_t count;			/* notices */
	/* The bridge run the datagram named (mcbridge/wire.h), 0: none (an
	 * older bridge).  The decoders also make it the run_id. */
	uint32_t bridge_run;
	/* Names one run of the bridge, when known (MCB_HAS_RUN_ID): the
	 * bridge run, else the authenticated epoch (set by the receiver after
	 * mcb_auth_verify). */
	uint64_t run_id;
	uint32_t attr_len, orig_len;	/* binary only */

	/* The mcbridge family's event attributes, but seq and timestamp_ns
	 * (kernel_seq, kernel_time_ns above): type, cpu, ifname, ...
	 * (<mcbridge/attrs.h>, generated from kmod/mcbridge.yaml). */
	MCB_EVENT_ATTR_FIELDS

	/* other families (and unknown mcbridge attributes, binary) */
	unsigned nattrs;		/* kept in attrs[] */
	unsigned attrs_total;		/* seen at top level */
	struct mcb_attr attrs[MCB_EVENT_MAX_ATTRS];
	size_t arena_used;
	char arena[MCB_EVENT_ARENA];
};

/* True when the event belongs to the mcbridge family's own events. */
bool mcb_event_is_mcbridge(const struct mcb_event *ev);

/*
 * Decode one datagram.  expect is MCB_FMT_AUTO or the only format accepted.
 * On error *ev is partly filled and must not be used.
 */
enum mcb_err mcb_decode(const void *buf, size_t len, enum mcb_format expect,
			struct mcb_event *ev);
enum mcb_err mcb_decode_json(const char *buf, size_t len,
			     struct mcb_event *ev);
enum mcb_err mcb_decode_binary(const void *buf, size_t len,
			       struct mcb_event *ev);

/* Reset *ev to an empty view (done by the decoders). */
void mcb_event_reset(struct mcb_event *ev);

/* ---- receiving (recv.c) ---- */

/*
 * A datagram source's checks, in the order they must run: size, then with
 * a key the MAC, then decoding, then the replay window (on the decoded
 * bridge_seq).  One per socket; no allocation per datagram.
 */
struct mcb_receiver {
	enum mcb_format format;		/* MCB_FMT_AUTO or the only one */
	bool authenticate;		/* a key was given */
	struct mcb_auth auth;
	struct mcb_replay replay;
};

enum mcb_recv_result {
	MCB_RECV_OK = 0,	/* *ev holds the event */
	MCB_RECV_OVERSIZED,	/* over MCB_WIRE_MAX_DATAGRAM bytes */
	MCB_RECV_BAD,		/* not decodable: info->err */
	MCB_RECV_UNSIGNED,	/* with a key: no epoch/MAC */
	MCB_RECV_BAD_MAC,	/* with a key: forged or altered */
	MCB_RECV_AUTH_ERROR,	/* libcrypto failed */
	MCB_RECV_REPLAYED,	/* with a key: accepted before */
	MCB_RECV_STALE,		/* with a key: older than the window */
};

struct mcb_recv_info {
	enum mcb_err err;	/* MCB_RECV_BAD: why */
	uint64_t epoch;		/* with a key: the datagram's epoch */
	bool new_epoch;		/* with a key: the first of its epoch */
};

/* key NULL: no authentication.  Returns 0, or -EOPNOTSUPP when libcrypto
 * has no HMAC-SHA256. */
int mcb_receiver_init(struct mcb_receiver *r, enum mcb_format format,
		      const struct mcb_key *key);
void mcb_receiver_fini(struct mcb_receiver *r);
/* len is the datagram's real length (recv with MSG_TRUNC).  With a key, a
 * bridge that names no run gets its epoch as the run (MCB_HAS_RUN_ID). */
enum mcb_recv_result mcb_receive(struct mcb_receiver *r, const void *buf,
				 size_t len, struct mcb_event *ev,
				 struct mcb_recv_info *info);
/* Short English text for a result, never NULL. */
const char *mcb_recv_strerror(enum mcb_recv_result res,
			      const struct mcb_recv_info *info);

/* ---- output (format.c) ---- */

/* Escape len bytes as JSON string contents (RFC 8259; bytes that are not
 * UTF-8 become \u00XX, like the encoder). */
void mcb_json_escape(FILE *out, const char *s, size_t len);

/* Print at most max bytes of an unknown datagram, C-escaped and quoted. */
void mcb_print_raw(FILE *out, const void *buf, size_t len, size_t max);

/* Optional extras appended to a rendered event. */
struct mcb_render_extra {
	bool has_latency;
	int64_t latency_ns;
	/* The host the event came from (a fleet's events, mcbridge-nats
	 * sub), NULL: none.  JSON "host" after "kind"; human: "HOST: ". */
	const char *host;
	/* Came by the repair channel, not the group: "repaired":true. */
	bool repaired;
};

/* One line of JSON (same keys as wire.h), ending in "\n". */
void mcb_render_json(FILE *out, const struct mcb_event *ev,
		     const struct mcb_render_extra *extra);
/* One human-readable line, ending in "\n". */
void mcb_render_human(FILE *out, const struct mcb_event *ev,
		      const struct mcb_render_extra *extra);

/* ---- stream health (stats.c) ---- */

#define MCB_MAX_STREAMS 32	/* distinct (family, group) tracked */

enum mcb_seq_verdict {
	MCB_SEQ_FIRST,		/* first datagram of this stream */
	MCB_SEQ_OK,		/* the expected next seq */
	MCB_SEQ_GAP,		/* missed = seqs skipped (a tail: seqs it
				 * shows missing at the end of the run) */
	MCB_SEQ_RESTART,	/* a new bridge run: another run_id, or seq
				 * back with a later bridge_time_ns, or back to
				 * a seq seen before (missed = seqs lost at the
				 * start of the new run) */
	MCB_SEQ_LATE,		/* a seq reported missing arrived after all */
	MCB_SEQ_UNTRACKED,	/* too many streams */
};

/* How far back a seq still counts as late rather than a restart. */
#define MCB_SEQ_WINDOW 64

struct mcb_seq_stream {
	char family[MCB_WIRE_NAMSIZ];
	char group[MCB_WIRE_NAMSIZ];
	uint64_t last;		/* highest seq seen */
	uint64_t seen;		/* bit i: seq last - i arrived */
	uint64_t last_time;	/* latest bridge_time_ns of this run, 0 = none */
	uint64_t run_id;	/* of this run (MCB_HAS_RUN_ID), 0 = unknown */
};

struct mcb_seq_tracker {
	unsigned nstreams;
	struct mcb_seq_stream streams[MCB_MAX_STREAMS];
};

void mcb_seq_init(struct mcb_seq_tracker *t);
enum mcb_seq_verdict mcb_seq_check(struct mcb_seq_tracker *t,
				   const struct mcb_event *ev,
				   uint64_t *missed);

/*
 * Latency histogram, fixed memory: log-linear buckets (16 per power of two),
 * so a percentile is exact to within 1/16 (6.25 %).
 */
#define MCB_LAT_SUB_BITS	4
#define MCB_LAT_BUCKETS		(64 << MCB_LAT_SUB_BITS)

struct mcb_latency {
	uint64_t count;
	uint64_t negative;		/* kernel time after receive time */
	uint64_t min, max, sum;
	uint64_t buckets[MCB_LAT_BUCKETS];
};

void mcb_lat_init(struct mcb_latency *l);
void mcb_lat_add(struct mcb_latency *l, int64_t ns);
/* Upper bound of the bucket holding the q-th quantile (0 < q <= 1), capped
 * by max; 0 when empty. */
uint64_t mcb_lat_quantile(const struct mcb_latency *l, double q);

/* ---- kernel-side filters (filter.c) ---- */

/*
 * What a listener wants, as a classic BPF socket filter (SO_ATTACH_FILTER)
 * that keeps the other event datagrams from ever reaching its socket: no
 * wake-up, no copy.  The filter only drops events it can read and knows to
 * be unwanted; notices of every kind (overrun, lost, and any kind added
 * later), datagrams it cannot read (too short, another format, attributes
 * in the other byte order, a type attribute past the first
 * MCB_FILTER_MAX_ATTRS) reach the socket, so check what arrives with
 * mcb_filter_match() too.
 *
 *   binary: by family (the header's) and by type (the mcbridge family's
 *           type attribute);
 *   json:   by family only, from the prefix every event datagram starts
 *           with, {"kind":"event","family":"NAME" (mcbridge-events(7));
 *           filtering by type needs the binary format (a JSON listener
 *           gets every type and filters in userspace).
 *
 * The kernel counts what a filter drops as drops of the socket
 * (/proc/net/udp "drops", SO_MEMINFO, Udp InErrors): not losses.
 */
#define MCB_FILTER_TYPE_OTHER	31	/* types bit: events of other families */
#define MCB_FILTER_MAX_FAMILIES	8
#define MCB_FILTER_MAX_ATTRS	8	/* attributes walked for the type */
#define MCB_FILTER_MAX_INSNS	1024	/* BPF_MAXINSNS is 4096 */

struct mcb_filter {
	/* bit t: mcbridge events of type t (t < 31); bit 31: events of
	 * other families (or without a type); 0: every type */
	uint32_t types;
	unsigned nfamilies;		/* 0: every family */
	char families[MCB_FILTER_MAX_FAMILIES][MCB_WIRE_NAMSIZ];
};

/* Add a family name: 0, -EINVAL (empty or too long) or -ENOSPC. */
int mcb_filter_add_family(struct mcb_filter *f, const char *name);
/* True when f lets everything through (no program needed). */
bool mcb_filter_wants_all(const struct mcb_filter *f);
/* Does f name this family (or no family at all)?  Types aside. */
bool mcb_filter_has_family(const struct mcb_filter *f, const char *family);
/* Does f want ev?  Notices: always. */
bool mcb_filter_match(const struct mcb_filter *f, const struct mcb_event *ev);
/* The program into prog (cap instructions): its length, or -E2BIG. */
int mcb_filter_build(const struct mcb_filter *f, struct sock_filter *prog,
		     size_t cap);
/* Build and attach to the socket fd: 0 or -errno.  A filter that wants
 * everything attaches nothing. */
int mcb_filter_attach(int fd, const struct mcb_filter *f);

/* ---- sockets (sock.c) ---- */

/* mcbridge-listen's receive buffer (bytes asked for: the kernel doubles
 * it; without CAP_NET_ADMIN net.core.rmem_max caps it). */
#define MCB_LISTEN_DEFAULT_RCVBUF	(32 << 20)

struct mcb_listen_cfg {
	struct in_addr group;
	uint16_t port;
	struct in_addr iface_addr;	/* used when iface_index == 0 */
	unsigned iface_index;		/* from an interface name */
	int rcvbuf;			/* bytes; 0 = leave the default */
	/* AF_INET6: join group6 on iface_index (which must be set);
	 * 0 or AF_INET: the IPv4 group above. */
	sa_family_t family;
	struct in6_addr group6;
	/* Attached (mcb_filter_attach) before the group is joined, so that
	 * no unwanted datagram is ever queued; NULL: none. */
	const struct mcb_filter *filter;
	/* Take a sender's run of equal-sized datagrams (mcbridged sends them
	 * as one UDP_SEGMENT message) in one receive, as the kernel queued it
	 * (UDP_GRO): no wake-up or copy per datagram.  Split what arrives
	 * with mcb_gro_size().  Not with a filter, which would judge a run by
	 * its first datagram: then ignored.  Best effort: kernels without it
	 * deliver one datagram per receive. */
	bool gro;
};

/* Control buffer room for the UDP_GRO segment size (recvmsg). */
#define MCB_GRO_CMSG_SPACE	CMSG_SPACE(sizeof(int))

/* The size of the datagrams a receive holds back to back (the last may be
 * shorter), from its UDP_GRO control message; 0: one datagram. */
size_t mcb_gro_size(const struct msghdr *mh);

/* Open, bind and join.  Returns the fd, or -1 with errno set and *what the
 * failing step. */
int mcb_listen_open(const struct mcb_listen_cfg *cfg, const char **what);

/* The group and port cfg joins, as a socket address (a repair request
 * names them: mcb_repair_cfg.group). */
void mcb_listen_group_addr(const struct mcb_listen_cfg *cfg,
			   struct sockaddr_storage *ss);

/* Current monotonic time in ns (CLOCK_MONOTONIC, like timestamp_ns). */
uint64_t mcb_now_ns(void);

/* ---- repair (repair.c) ---- */

/*
 * Lossless delivery of one mapping's stream through the bridge's repair
 * channel (mcbridge/wire.h, mcbridge-events(7)).  On a gap in bridge_seq,
 * seen from a later datagram or a tail, the missing range is asked for
 * after a small random delay (so that listeners who lost the same
 * datagrams do not all ask at once); later datagrams wait in a bounded
 * reorder buffer; everything comes out in bridge_seq order, each datagram
 * once; what the bridge no longer holds comes out as a lost range.  A late
 * joiner may first get the last N datagrams, or all since a bridge_seq,
 * from the history, then the live stream, with no duplicate and no gap at
 * the seam.  Memory is allocated by mcb_repair_open() only.
 *
 * Use: for every datagram received from the group, decode it (and check
 * its MAC and replay window with a key, except for tails, which repeat a
 * bridge_seq), then mcb_repair_offer(); handle it yourself when that says
 * MCB_RO_PASS.  When mcb_repair_fd() is readable, mcb_repair_read(); at
 * mcb_repair_deadline(), mcb_repair_tick().  After each of these calls,
 * take mcb_repair_next() until it returns false.
 *
 * One stream is repaired: the (family, group) named in the configuration,
 * or else of the first datagram offered; others pass through.
 */
enum mcb_repair_join {
	MCB_REPAIR_JOIN_LIVE = 0,	/* from the first datagram seen */
	MCB_REPAIR_JOIN_LAST,		/* the last join_arg datagrams first */
	MCB_REPAIR_JOIN_SINCE,		/* from bridge_seq join_arg on */
};

struct mcb_repair_cfg {
	struct sockaddr_storage server;	/* the bridge's repair address */
	struct sockaddr_storage group;	/* the group (and port) joined */
	char family[MCB_WIRE_NAMSIZ];	/* "": the first datagram's */
	char group_name[MCB_WIRE_NAMSIZ];
	enum mcb_format format;		/* as mcb_decode()'s expect */
	struct mcb_auth *auth;		/* with a key: sign requests, check
					 * repaired datagrams; NULL: none */
	size_t buffer;			/* reorder bytes; 0: the default */
	uint64_t delay_min_ns;		/* random wait before asking, */
	uint64_t delay_max_ns;		/* 0 and 0: the defaults */
	uint64_t timeout_ns;		/* for an answer; 0: the default */
	unsigned retries;		/* before giving up; 0: the default */
	enum mcb_repair_join join;
	uint64_t join_arg;
	/* SINCE: only in this bridge run (0: the current one, whichever);
	 * another run's numbers name other datagrams. */
	uint32_t join_run;
};

#define MCB_REPAIR_DEFAULT_BUFFER	(8u << 20)
#define MCB_REPAIR_DEFAULT_DELAY_MIN_NS	2000000u	/* 2 ms */
#define MCB_REPAIR_DEFAULT_DELAY_MAX_NS	20000000u	/* 20 ms */
#define MCB_REPAIR_DEFAULT_TIMEOUT_NS	500000000u	/* 0.5 s */
#define MCB_REPAIR_DEFAULT_RETRIES	5

enum mcb_repair_offer {
	MCB_RO_PASS,		/* handle it now: next in order, or not ours */
	MCB_RO_HELD,		/* kept: mcb_repair_next() gives it */
	MCB_RO_DUP,		/* had it already */
	MCB_RO_DROPPED,		/* no room: it will be asked for */
	MCB_RO_TAIL,		/* a tail of the stream, taken in */
};

struct mcb_repair_item {
	bool lost;			/* else a datagram */
	uint64_t first, last;		/* lost: bridge_seqs, unrepairable */
	const struct mcb_event *ev;	/* a datagram, decoded, */
	const unsigned char *buf;	/* its bytes (valid until the next */
	size_t len;			/* call) */
	bool repaired;			/* came by the repair channel */
};

struct mcb_repair_stats {
	uint64_t requests;	/* sent, retries included */
	uint64_t retries;	/* asked again: no answer in time */
	uint64_t answers;	/* ENDs taken */
	uint64_t refused;	/* ENDs refusing (another run, ...) */
	uint64_t repaired;	/* datagrams delivered from answers */
	uint64_t unrepairable;	/* bridge_seqs given up */
	uint64_t held;		/* datagrams that waited for order */
	uint64_t held_max;	/* the most waiting at once */
	uint64_t dropped;	/* no room to wait: asked for later */
	uint64_t dups;		/* a datagram had already */
	uint64_t bad;		/* answers or repaired datagrams refused */
	uint64_t stale;		/* answers to an older request */
	bool joined;		/* a late join's history arrived: */
	uint64_t join_first;	/* its range (first > last: empty) */
	uint64_t join_last;
};

struct mcb_repair;

/*
 * Open the repair socket (connected to cfg->server) and the buffers; with
 * a join other than LIVE, the history is asked for at the first tick.
 * Returns 0, or -errno (-EINVAL: a bad configuration).
 */
int mcb_repair_open(struct mcb_repair **r, const struct mcb_repair_cfg *cfg);
void mcb_repair_close(struct mcb_repair *r);
int mcb_repair_fd(const struct mcb_repair *r);

/* A datagram from the group, decoded into ev, with its epoch (0: not
 * signed). */
enum mcb_repair_offer mcb_repair_offer(struct mcb_repair *r,
				       const struct mcb_event *ev,
				       const void *buf, size_t len,
				       uint64_t epoch, uint64_t now_ns);
/* Read one answer.  1: read one, 0: nothing queued, -errno. */
int mcb_repair_read(struct mcb_repair *r, uint64_t now_ns);
/* Send what is due and give up on what timed out.  0 or -errno. */
int mcb_repair_tick(struct mcb_repair *r, uint64_t now_ns);
/* When to call mcb_repair_tick() next (CLOCK_MONOTONIC ns), 0: no need. */
uint64_t mcb_repair_deadline(const struct mcb_repair *r);
/* The next datagram in order, or lost range; false when none is ready. */
bool mcb_repair_next(struct mcb_repair *r, struct mcb_repair_item *it,
		     uint64_t now_ns);
const struct mcb_repair_stats *mcb_repair_stats(const struct mcb_repair *r);

#endif /* MCBRIDGE_CLIENT_H */
