// SPDX-License-Identifier: MIT
/*
 * mcbridge-ctl: talk to the mcbridge generic netlink family directly.
 *
 *   mcbridge-ctl emit [--count N] [--text TEXT]   inject events (CAP_NET_ADMIN)
 *   mcbridge-ctl stats                           print the module's counters
 *   mcbridge-ctl monitor [options]               subscribe and print events
 *
 * monitor is the reference netlink subscriber: the kernel tests assert on
 * what it prints, and the benchmarks use it as the direct-netlink baseline.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/mcbridge.h>
#include <mcbridge/names.h>

#include "lib/num.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: mcbridge-ctl emit [--count N] [--text TEXT]\n"
		"       mcbridge-ctl stats\n"
		"       mcbridge-ctl monitor [--count N] [--timeout SEC] [--rcvbuf BYTES]\n"
		"                            [--until TEXT] [--quiet] [--allow-gaps]\n"
		"\n"
		"Talks to the mcbridge generic netlink family (kernel module mcbridge.ko).\n"
		"\n"
		"emit     inject N events (default 1) carrying TEXT (at most %d bytes,\n"
		"         default \"injected\"); needs CAP_NET_ADMIN. Prints\n"
		"         \"emitted N first_seq S\". More than %d events are sent as\n"
		"         several requests (the kernel's cap for one); the burst ends\n"
		"         at the first that fails, with an error and the count sent.\n"
		"stats    print the module's counters, one \"name value\" a line.\n"
		"monitor  join the \"events\" group and print each event as a line of\n"
		"         key=value fields; \"monitor: ready\" goes to stderr once joined.\n"
		"         Ends after --count events or --timeout seconds without an event\n"
		"         (default: never), after an event whose text is --until TEXT\n"
		"         (a marker: every event sent before it has arrived), or on\n"
		"         SIGINT/SIGTERM, then prints a summary line.\n"
		"         Exit status 1 if a sequence gap or overrun was seen, unless\n"
		"         --allow-gaps. --rcvbuf sets the socket buffer (default 4 MiB).\n"
		"         --quiet prints the summary only.\n",
		MCBRIDGE_TEXT_MAX, MCBRIDGE_EMIT_MAX_COUNT);
}

/* Decimal, the rules of every mcbridge program (lib/num.h). */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	return mcb_parse_u64(s, 0, max, out) == 0;
}

/* Netlink plumbing */

struct ctl {
	struct nl_sock *sk;
	int family;
	/* Filled by the error callback: the kernel's extack message. */
	char ext_msg[256];
	int error;
	bool done;		/* the request's ack or error arrived */
};

static int ctl_open(struct ctl *ctl)
{
	int one = 1;

	memset(ctl, 0, sizeof(*ctl));
	ctl->sk = nl_socket_alloc();
	if (!ctl->sk) {
		fprintf(stderr, "mcbridge-ctl: out of memory\n");
		return -1;
	}
	if (genl_connect(ctl->sk) < 0) {
		fprintf(stderr, "mcbridge-ctl: cannot open generic netlink socket\n");
		return -1;
	}
	/* Extended acks carry the kernel's reason for an error. */
	if (setsockopt(nl_socket_get_fd(ctl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) < 0)
		perror("mcbridge-ctl: NETLINK_EXT_ACK");
	ctl->family = genl_ctrl_resolve(ctl->sk, MCBRIDGE_GENL_NAME);
	if (ctl->family < 0) {
		fprintf(stderr,
			"mcbridge-ctl: generic netlink family \"%s\" not found: is mcbridge.ko loaded?\n",
			MCBRIDGE_GENL_NAME);
		return -1;
	}
	return 0;
}

static void ctl_close(struct ctl *ctl)
{
	nl_socket_free(ctl->sk);
}

static void ext_ack_msg(const struct nlmsgerr *err, const struct nlmsghdr *nlh,
			char *buf, size_t len)
{
	const struct nlattr *tlv;
	size_t off, total;

	buf[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* TLVs follow the error and, unless capped, the echoed request. */
	off = NLMSG_HDRLEN + sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	total = nlh->nlmsg_len;
	while (off + NLA_HDRLEN <= total) {
		tlv = (const struct nlattr *)((const char *)nlh + off);
		if (tlv->nla_len < NLA_HDRLEN || off + tlv->nla_len > total)
			return;
		if ((tlv->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			snprintf(buf, len, "%.*s",
				 (int)(tlv->nla_len - NLA_HDRLEN),
				 (const char *)tlv + NLA_HDRLEN);
			return;
		}
		off += NLA_ALIGN(tlv->nla_len);
	}
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct ctl *ctl = arg;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)err - 1;

	(void)nla;
	ctl->error = err->error;
	ctl->done = true;
	ext_ack_msg(err, nlh, ctl->ext_msg, sizeof(ctl->ext_msg));
	return NL_STOP;
}

static void report_error(const struct ctl *ctl, const char *what, int err)
{
	fprintf(stderr, "mcbridge-ctl: %s: %s%s%s\n", what, strerror(-err),
		ctl->ext_msg[0] ? ": " : "", ctl->ext_msg);
}

/* emit */

struct emit_reply {
	uint32_t emitted;
	uint64_t first_seq;
	bool seen;
};

/* A burst of several requests, added up. */
struct emit_total {
	uint64_t emitted;
	uint64_t first_seq;	/* of the first event sent; 0: none yet */
};

static int on_emit_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];
	struct emit_reply *reply = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MCBRIDGE_ATTR_MAX, NULL) < 0 ||
	    !tb[MCBRIDGE_ATTR_EMITTED] || !tb[MCBRIDGE_ATTR_FIRST_SEQ])
		return NL_SKIP;
	reply->emitted = nla_get_u32(tb[MCBRIDGE_ATTR_EMITTED]);
	reply->first_seq = nla_get_u64(tb[MCBRIDGE_ATTR_FIRST_SEQ]);
	reply->seen = true;
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct ctl *ctl = arg;

	(void)msg;
	ctl->done = true;
	return NL_STOP;
}

static int send_and_receive(struct ctl *ctl, struct nl_msg *msg,
			    nl_recvmsg_msg_cb_t valid, void *arg)
{
	struct nl_cb *cb;
	int err;

	cb = nl_cb_clone(nl_socket_get_cb(ctl->sk));
	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, ctl);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid, arg);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, ctl);
	ctl->error = 0;
	ctl->done = false;
	ctl->ext_msg[0] = '\0';

	err = nl_send_auto(ctl->sk, msg);
	if (err < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	/* The reply, then the ack (or an error): up to the ack, so that the
	 * next request on this socket does not read this one's. */
	do
		err = nl_recvmsgs(ctl->sk, cb);
	while (err >= 0 && !ctl->done);
	nl_cb_put(cb);
	if (ctl->error)
		return ctl->error;
	return err < 0 ? -EIO : 0;
}

static int cmd_emit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "text", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *text = "injected";
	struct emit_total reply = { 0 };
	uint64_t count = 1, total, requests = 0;
	bool count_given = false;
	struct nl_msg *msg;
	struct ctl ctl;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "c:t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			/* The kernel checks the bound: tests send bad counts. */
			if (!parse_u64(optarg, UINT32_MAX, &count)) {
				fprintf(stderr, "mcbridge-ctl: bad --count: %s\n", optarg);
				return EXIT_USAGE;
			}
			count_given = true;
			break;
		case 't':
			text = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mcbridge-ctl: emit: unexpected argument: %s\n", argv[optind]);
		return EXIT_USAGE;
	}

	total = count;
	if (ctl_open(&ctl) < 0)
		return 1;
	/*
	 * The kernel takes at most MCBRIDGE_EMIT_MAX_COUNT per request (a
	 * request holds genetlink's lock): a larger burst is several requests,
	 * and ends at the first that fails.  Up to the cap, one request, as
	 * given: the kernel judges the count.
	 */
	do {
		uint32_t chunk = count > MCBRIDGE_EMIT_MAX_COUNT ?
				 MCBRIDGE_EMIT_MAX_COUNT : (uint32_t)count;
		struct emit_reply part = { 0 };

		msg = nlmsg_alloc();
		if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctl.family, 0,
					 NLM_F_ACK, MCBRIDGE_CMD_EMIT, MCBRIDGE_GENL_VERSION) ||
		    nla_put_string(msg, MCBRIDGE_ATTR_TEXT, text) ||
		    (count_given && nla_put_u32(msg, MCBRIDGE_ATTR_COUNT, chunk))) {
			fprintf(stderr, "mcbridge-ctl: cannot build request\n");
			nlmsg_free(msg);
			ctl_close(&ctl);
			return 1;
		}
		err = send_and_receive(&ctl, msg, on_emit_reply, &part);
		nlmsg_free(msg);
		if (!err && !part.seen)
			err = -EPROTO;
		if (err) {
			report_error(&ctl, "emit", err);
			if (requests)
				fprintf(stderr, "mcbridge-ctl: emit: burst cut short after "
					"%" PRIu64 " of %" PRIu64 " events\n",
					reply.emitted, total);
			ctl_close(&ctl);
			return 1;
		}
		if (!reply.first_seq)
			reply.first_seq = part.first_seq;
		reply.emitted += part.emitted;
		count -= chunk;
		requests++;
	} while (count_given && count);

	printf("emitted %" PRIu64 " first_seq %" PRIu64 "\n", reply.emitted, reply.first_seq);
	ctl_close(&ctl);
	return 0;
}

/* stats */

static int on_stats_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];
	struct nlattr *attr;
	bool *seen = arg;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MCBRIDGE_ATTR_MAX, NULL) < 0 ||
	    !tb[MCBRIDGE_ATTR_STATS])
		return NL_SKIP;
	nla_for_each_nested(attr, tb[MCBRIDGE_ATTR_STATS], rem) {
		const char *name = mcb_name(mcb_stats_names, nla_type(attr));

		if (!name || nla_len(attr) != sizeof(uint64_t))
			continue;
		printf("%s %" PRIu64 "\n", name, nla_get_u64(attr));
	}
	*seen = true;
	return NL_OK;
}

static int cmd_stats(int argc, char **argv)
{
	struct nl_msg *msg;
	struct ctl ctl;
	bool seen = false;
	int err;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "mcbridge-ctl: stats takes no arguments\n");
		return EXIT_USAGE;
	}
	if (ctl_open(&ctl) < 0)
		return 1;
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctl.family, 0,
				 NLM_F_ACK, MCBRIDGE_CMD_GET_STATS, MCBRIDGE_GENL_VERSION)) {
		fprintf(stderr, "mcbridge-ctl: cannot build request\n");
		return 1;
	}
	err = send_and_receive(&ctl, msg, on_stats_reply, &seen);
	nlmsg_free(msg);
	if (!err && !seen)
		err = -EPROTO;
	if (err)
		report_error(&ctl, "stats", err);
	ctl_close(&ctl);
	return err ? 1 : 0;
}

/* monitor */

struct monitor {
	int family;
	bool quiet;
	const char *until;	/* stop after an event with this text */
	bool until_seen;
	uint64_t received;
	uint64_t first_seq;
	uint64_t last_seq;
	uint64_t gaps;		/* events missing between consecutive seqs */
	uint64_t reorders;	/* seq not above the previous one */
	uint64_t overruns;
};

static void print_text(const char *key, const struct nlattr *attr)
{
	const unsigned char *s = nla_data(attr);
	int len = nla_len(attr);

	printf(" %s=\"", key);
	for (int i = 0; i < len && s[i]; i++) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			printf("\\x%02x", s[i]);
		else
			putchar(s[i]);
	}
	putchar('"');
}

static void print_enum(const char *key, const char *name, uint32_t value)
{
	if (name)
		printf(" %s=%s", key, name);
	else
		printf(" %s=%" PRIu32, key, value);
}

static void print_event(struct nlattr **tb)
{
	uint32_t type = nla_get_u32(tb[MCBRIDGE_ATTR_TYPE]);

	printf("seq=%" PRIu64 " ts=%" PRIu64,
	       nla_get_u64(tb[MCBRIDGE_ATTR_SEQ]),
	       nla_get_u64(tb[MCBRIDGE_ATTR_TIMESTAMP_NS]));
	print_enum("type", mcb_name(mcb_event_type_names, type), type);
	if (tb[MCBRIDGE_ATTR_CPU])
		printf(" cpu=%" PRIu32, nla_get_u32(tb[MCBRIDGE_ATTR_CPU]));
	if (tb[MCBRIDGE_ATTR_IFINDEX])
		printf(" ifindex=%" PRIu32, nla_get_u32(tb[MCBRIDGE_ATTR_IFINDEX]));
	if (tb[MCBRIDGE_ATTR_IFNAME])
		print_text("ifname", tb[MCBRIDGE_ATTR_IFNAME]);
	if (tb[MCBRIDGE_ATTR_NETDEV_EVENT]) {
		uint32_t v = nla_get_u32(tb[MCBRIDGE_ATTR_NETDEV_EVENT]);

		print_enum("netdev_event", mcb_name(mcb_netdev_event_names, v), v);
	}
	if (tb[MCBRIDGE_ATTR_IFFLAGS])
		printf(" ifflags=0x%" PRIx32, nla_get_u32(tb[MCBRIDGE_ATTR_IFFLAGS]));
	if (tb[MCBRIDGE_ATTR_MTU])
		printf(" mtu=%" PRIu32, nla_get_u32(tb[MCBRIDGE_ATTR_MTU]));
	if (tb[MCBRIDGE_ATTR_MODULE_NAME])
		print_text("module", tb[MCBRIDGE_ATTR_MODULE_NAME]);
	if (tb[MCBRIDGE_ATTR_MODULE_STATE]) {
		uint32_t v = nla_get_u32(tb[MCBRIDGE_ATTR_MODULE_STATE]);

		print_enum("module_state", mcb_name(mcb_module_state_names, v), v);
	}
	if (tb[MCBRIDGE_ATTR_TEXT])
		print_text("text", tb[MCBRIDGE_ATTR_TEXT]);
	putchar('\n');
}

static struct nla_policy event_policy[MCBRIDGE_ATTR_MAX + 1] = {
	[MCBRIDGE_ATTR_SEQ] = { .type = NLA_U64 },
	[MCBRIDGE_ATTR_TIMESTAMP_NS] = { .type = NLA_U64 },
	[MCBRIDGE_ATTR_TYPE] = { .type = NLA_U32 },
	[MCBRIDGE_ATTR_CPU] = { .type = NLA_U32 },
	[MCBRIDGE_ATTR_IFINDEX] = { .type = NLA_U32 },
	[MCBRIDGE_ATTR_IFNAME] = { .type = NLA_STRING },
	[MCBRIDGE_ATTR_NETDEV_EVENT] = { .type = NLA_U32 },
	[MCBRIDGE_ATTR_IFFLAGS] = { .type = NLA_U32 },
	[MCBRIDGE_ATTR_MTU] = { .type = NLA_U32 },
	[MCBRIDGE_ATTR_MODULE_NAME] = { .type = NLA_STRING },
	[MCBRIDGE_ATTR_MODULE_STATE] = { .type = NLA_U32 },
	[MCBRIDGE_ATTR_TEXT] = { .type = NLA_STRING },
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct monitor *mon = arg;
	uint64_t seq;

	if (nlh->nlmsg_type != mon->family)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, MCBRIDGE_ATTR_MAX, event_policy) < 0 ||
	    !tb[MCBRIDGE_ATTR_SEQ] || !tb[MCBRIDGE_ATTR_TIMESTAMP_NS] ||
	    !tb[MCBRIDGE_ATTR_TYPE]) {
		fprintf(stderr, "mcbridge-ctl: malformed event skipped\n");
		return NL_SKIP;
	}

	seq = nla_get_u64(tb[MCBRIDGE_ATTR_SEQ]);
	if (mon->received == 0) {
		mon->first_seq = seq;
	} else if (seq > mon->last_seq + 1) {
		mon->gaps += seq - mon->last_seq - 1;
		fprintf(stderr, "mcbridge-ctl: gap: %" PRIu64 " events missing before seq %" PRIu64 "\n",
			seq - mon->last_seq - 1, seq);
	} else if (seq <= mon->last_seq) {
		mon->reorders++;
		fprintf(stderr, "mcbridge-ctl: seq %" PRIu64 " after %" PRIu64 "\n",
			seq, mon->last_seq);
	}
	mon->last_seq = seq;
	mon->received++;
	if (!mon->quiet)
		print_event(tb);
	if (mon->until && tb[MCBRIDGE_ATTR_TEXT] &&
	    !strcmp(nla_get_string(tb[MCBRIDGE_ATTR_TEXT]), mon->until)) {
		mon->until_seen = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rcvbuf", required_argument, NULL, 'b' },
		{ "until", required_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "allow-gaps", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t count = 0, timeout_s = 0, rcvbuf = 4 << 20;
	struct monitor mon = { 0 };
	bool allow_gaps = false;
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct nl_sock *sk;
	struct ctl ctl;
	int opt, fd, grp, err, rcvbuf_int;
	socklen_t optlen = sizeof(rcvbuf_int);

	while ((opt = getopt_long(argc, argv, "c:t:b:u:qgh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (!parse_u64(optarg, UINT64_MAX, &count)) {
				fprintf(stderr, "mcbridge-ctl: bad --count: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (!parse_u64(optarg, INT_MAX / 1000, &timeout_s)) {
				fprintf(stderr, "mcbridge-ctl: bad --timeout: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			if (mcb_parse_size(optarg, 1, INT_MAX, &rcvbuf) < 0) {
				fprintf(stderr, "mcbridge-ctl: bad --rcvbuf: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'u':
			mon.until = optarg;
			break;
		case 'q':
			mon.quiet = true;
			break;
		case 'g':
			allow_gaps = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mcbridge-ctl: monitor: unexpected argument: %s\n", argv[optind]);
		return EXIT_USAGE;
	}

	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
		perror("mcbridge-ctl: sigaction");
		return 1;
	}

	/* Resolve on one socket, receive events on another. */
	if (ctl_open(&ctl) < 0)
		return 1;
	mon.family = ctl.family;
	grp = genl_ctrl_resolve_grp(ctl.sk, MCBRIDGE_GENL_NAME, MCBRIDGE_MCGRP_EVENTS);
	if (grp < 0) {
		fprintf(stderr, "mcbridge-ctl: group \"%s\" not found\n", MCBRIDGE_MCGRP_EVENTS);
		return 1;
	}
	ctl_close(&ctl);

	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk) < 0) {
		fprintf(stderr, "mcbridge-ctl: cannot open generic netlink socket\n");
		return 1;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_disable_msg_peek(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &mon);
	fd = nl_socket_get_fd(sk);
	rcvbuf_int = (int)rcvbuf;
	/* FORCE passes rmem_max when privileged; fall back to the capped one. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_int, sizeof(rcvbuf_int)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_int, sizeof(rcvbuf_int)) < 0) {
		perror("mcbridge-ctl: SO_RCVBUF");
		return 1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_int, &optlen) < 0) {
		perror("mcbridge-ctl: getsockopt SO_RCVBUF");
		return 1;
	}
	err = nl_socket_add_membership(sk, grp);
	if (err < 0) {
		fprintf(stderr, "mcbridge-ctl: cannot join group \"%s\": %s\n",
			MCBRIDGE_MCGRP_EVENTS, nl_geterror(err));
		return 1;
	}
	fprintf(stderr, "monitor: ready (family %d, group %d, rcvbuf %d)\n",
		mon.family, grp, rcvbuf_int);

	while (!stop_requested && !mon.until_seen &&
	       (count == 0 || mon.received < count)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, timeout_s ? (int)(timeout_s * 1000) : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("mcbridge-ctl: poll");
			return 1;
		}
		if (n == 0)
			break;
		err = nl_recvmsgs_default(sk);
		/* libnl reports the socket's ENOBUFS (overrun) as NLE_NOMEM. */
		if (err == -NLE_NOMEM) {
			mon.overruns++;
			fprintf(stderr, "mcbridge-ctl: overrun: events lost\n");
		} else if (err < 0 && err != -NLE_AGAIN && err != -NLE_INTR) {
			fprintf(stderr, "mcbridge-ctl: receive: %s\n", nl_geterror(err));
			return 1;
		}
	}
	fflush(stdout);
	printf("summary received=%" PRIu64 " first_seq=%" PRIu64 " last_seq=%" PRIu64
	       " gaps=%" PRIu64 " reorders=%" PRIu64 " overruns=%" PRIu64 "\n",
	       mon.received, mon.first_seq, mon.last_seq, mon.gaps, mon.reorders,
	       mon.overruns);
	nl_socket_free(sk);
	if (!allow_gaps && (mon.gaps || mon.reorders || mon.overruns))
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "emit"))
		return cmd_emit(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "monitor"))
		return cmd_monitor(argc - 1, argv + 1);
	fprintf(stderr, "mcbridge-ctl: unknown command: %s\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
