// SPDX-License-Identifier: MIT
/*
 * mcbridge-ctl: talk to the mcbridge generic netlink family directly.
 *
 *   mcbridge-ctl emit [--count N] [--text TEXT]   inject events (CAP_NET_ADMIN)
 *   mcbridge-ctl stats                           print the module's counters
 *   mcbridge-ctl monitor [options]               subscribe and print events
 *   mcbridge-ctl history [--from SEQ] [--to SEQ] print the module's history
 *
 * monitor is the reference netlink subscriber: the kernel tests assert on
 * what it prints, and the benchmarks use it as the direct-netlink baseline.
 * Attributes are parsed, named and printed from the table generated from
 * the family's spec (lib/mcb_attr.h), replies and events alike.
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
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/mcbridge.h>

#include "mcb_attr.h"

#include "lib/num.h"
#include "lib/sockbuf.h"

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
"       mcbridge-ctl history [--from SEQ] [--to SEQ] [--quiet]\n"
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
"         --quiet prints the summary only.\n"
"history  print the events the module's history still holds (module\n"
"         parameter history), from seq --from (default 1, the oldest\n"
"         kept) to --to (default: the last sent), as monitor prints them,\n"
"         then \"history from=F to=T first=H events=N missing=M\": the\n"
"         range covered, the oldest seq still kept, the events that came\n"
"         back and the seqs of the range that did not (gone from the\n"
"         history, or never sent). Exit status 1 on an error or events\n"
"         out of order.\n",
		MCBRIDGE_TEXT_MAX, MCBRIDGE_EMIT_MAX_COUNT);
}

/* The parsers' end for --help (1: exit 0) and anything unknown. */
static int help_or_usage(int opt)
{
	if (opt == 'h') {
		usage(stdout);
		return 1;
	}
	usage(stderr);
	return -EINVAL;
}

/* Decimal, the rules of every mcbridge program (lib/num.h). */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	return mcb_parse_u64(s, 0, max, out) == 0;
}

/* ---- attributes, by the generated table ---- */

/* Room for the largest set's policy. */
#define ATTR_SET_MAX	63
_Static_assert(MCBRIDGE_ATTR_MAX <= ATTR_SET_MAX &&
	       MCBRIDGE_STATS_MAX <= ATTR_SET_MAX, "attribute set too large");

/* libnl's policy for a set: every attribute's type and size checked. */
static void set_policy(const struct mcb_attr_set *set,
		       struct nla_policy *policy)
{
	for (unsigned id = 0; id <= set->max; id++) {
		static const uint16_t nla_type[] = {
			[MCB_AT_U32] = NLA_U32,
			[MCB_AT_U64] = NLA_U64,
			[MCB_AT_STRING] = NLA_STRING,
			[MCB_AT_NEST] = NLA_NESTED,
		};
		uint8_t t = set->rows[id].type;

		policy[id] = (struct nla_policy){ 0 };
		if (t < sizeof(nla_type) / sizeof(nla_type[0]))
			policy[id].type = nla_type[t];
	}
}

/*
 * The one attribute parser, for replies and events: tb[id] is the
 * attribute of that id, or NULL.  tb has set->max + 1 entries.
 */
static int parse_attrs(const struct mcb_attr_set *set, struct nlattr *head,
		       int len, struct nlattr **tb)
{
	struct nla_policy policy[ATTR_SET_MAX + 1];

	set_policy(set, policy);
	return nla_parse(tb, (int)set->max, head, len, policy) < 0 ?
		-EPROTO : 0;
}

static int parse_msg(struct nl_msg *msg, struct nlattr **tb)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));

	if (!genlmsg_valid_hdr(nlmsg_hdr(msg), 0))
		return -EPROTO;
	return parse_attrs(&mcb_mcbridge_attrs, genlmsg_attrdata(g, 0),
			   genlmsg_attrlen(g, 0), tb);
}

static uint64_t attr_uint(const struct mcb_attr_desc *d,
			  const struct nlattr *a)
{
	return d->type == MCB_AT_U64 ? nla_get_u64((struct nlattr *)a) :
		nla_get_u32((struct nlattr *)a);
}

static void print_text(const char *sep, const char *key,
		       const struct nlattr *attr)
{
	const unsigned char *s = nla_data(attr);
	int len = nla_len(attr);

	printf("%s%s=\"", sep, key);
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

/* One attribute as sep key=value: enums by name, strings quoted. */
static void print_attr(const char *sep, const struct mcb_attr_desc *d,
		       const char *key, const struct nlattr *a)
{
	const char *name;
	uint64_t v;

	if (d->type == MCB_AT_STRING) {
		print_text(sep, key, a);
		return;
	}
	v = attr_uint(d, a);
	name = d->names ? mcb_name(d->names, v) : NULL;
	if (name)
		printf("%s%s=%s", sep, key, name);
	else if (d->hex)
		printf("%s%s=0x%" PRIx64, sep, key, v);
	else
		printf("%s%s=%" PRIu64, sep, key, v);
}

/* ---- netlink plumbing ---- */

struct ctl {
	struct nl_sock *sk;
	int family;
	struct nl_msg *req;	/* the request in flight, for ext-ack */
	/* Filled by the error callback from the kernel's extended ack. */
	char ext_msg[256];
	const char *bad_attr;	/* the attribute it points at */
	const char *missing_attr;	/* a required attribute it missed */
	int error;
	bool done;		/* the request's ack or error arrived */
};

static int ctl_open(struct ctl *ctl)
{
	int one = 1, err;

	memset(ctl, 0, sizeof(*ctl));
	ctl->sk = nl_socket_alloc();
	if (!ctl->sk) {
		fprintf(stderr, "mcbridge-ctl: out of memory\n");
		return -ENOMEM;
	}
	if (genl_connect(ctl->sk) < 0) {
		fprintf(stderr, "mcbridge-ctl: cannot open generic netlink "
			"socket\n");
		err = -EIO;
		goto fail;
	}
	/* Extended acks carry the kernel's reason for an error. */
	if (setsockopt(nl_socket_get_fd(ctl->sk), SOL_NETLINK,
		       NETLINK_EXT_ACK, &one, sizeof(one)) < 0)
		perror("mcbridge-ctl: NETLINK_EXT_ACK");
	ctl->family = genl_ctrl_resolve(ctl->sk, MCBRIDGE_GENL_NAME);
	if (ctl->family < 0) {
		fprintf(stderr, "mcbridge-ctl: generic netlink family \"%s\" "
			"not found: is mcbridge.ko loaded?\n",
			MCBRIDGE_GENL_NAME);
		err = -ENOENT;
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(ctl->sk);
	ctl->sk = NULL;
	return err;
}

static void ctl_close(struct ctl *ctl)
{
	nl_socket_free(ctl->sk);
	ctl->sk = NULL;
}

/* The name of the request's top-level attribute at offset off, or NULL. */
static const char *req_attr_at(const struct ctl *ctl, uint32_t off)
{
	struct nlmsghdr *nlh = nlmsg_hdr(ctl->req);
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem) {
		if ((uint32_t)((char *)a - (char *)nlh) == off &&
		    nla_type(a) <= (int)mcb_mcbridge_attrs.max)
			return mcb_mcbridge_attrs.rows[nla_type(a)].name;
	}
	return NULL;
}

static const char *attr_name(unsigned id)
{
	return id <= mcb_mcbridge_attrs.max ?
		mcb_mcbridge_attrs.rows[id].name : NULL;
}

/*
 * The extended ack's TLVs (as ynl_ext_ack_check() reads them), from off
 * on: the message, and the offending or missing attribute by its spec
 * name.
 */
static void ext_ack_tlvs(struct ctl *ctl, const struct nlmsghdr *nlh,
			 size_t off)
{
	const struct nlattr *tlv;
	size_t total;
	uint32_t v = 0;

	total = nlh->nlmsg_len;
	for (; off + NLA_HDRLEN <= total; off += NLA_ALIGN(tlv->nla_len)) {
		size_t plen;
		const char *p;

		tlv = (const struct nlattr *)((const char *)nlh + off);
		if (tlv->nla_len < NLA_HDRLEN || off + tlv->nla_len > total)
			return;
		p = (const char *)tlv + NLA_HDRLEN;
		plen = tlv->nla_len - NLA_HDRLEN;
		if (plen == sizeof(v))
			memcpy(&v, p, sizeof(v));
		switch (tlv->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			snprintf(ctl->ext_msg, sizeof(ctl->ext_msg), "%.*s",
				 (int)strnlen(p, plen), p);
			break;
		case NLMSGERR_ATTR_OFFS:
			if (plen == sizeof(v) && ctl->req)
				ctl->bad_attr = req_attr_at(ctl, v);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (plen == sizeof(v))
				ctl->missing_attr = attr_name(v);
			break;
		}
	}
}

static void ext_ack_parse(struct ctl *ctl, const struct nlmsgerr *err,
			  const struct nlmsghdr *nlh)
{
	size_t off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* TLVs follow the error and, unless capped, the echoed request. */
	off = NLMSG_HDRLEN + sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	ext_ack_tlvs(ctl, nlh, off);
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct ctl *ctl = arg;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)err - 1;

	(void)nla;
	ctl->error = err->error;
	ctl->done = true;
	ext_ack_parse(ctl, err, nlh);
	return NL_STOP;
}

static void report_error(const struct ctl *ctl, const char *what, int err)
{
	fprintf(stderr, "mcbridge-ctl: %s: %s", what, strerror(-err));
	if (ctl->ext_msg[0])
		fprintf(stderr, ": %s", ctl->ext_msg);
	if (ctl->bad_attr)
		fprintf(stderr, " (attribute %s)", ctl->bad_attr);
	if (ctl->missing_attr)
		fprintf(stderr, " (missing attribute %s)", ctl->missing_attr);
	fputc('\n', stderr);
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct ctl *ctl = arg;

	(void)msg;
	ctl->done = true;
	return NL_STOP;
}

/* Send ctl->req, hand the reply to valid, wait for the ack or error. */
static int send_and_receive(struct ctl *ctl, nl_recvmsg_msg_cb_t valid,
			    void *arg)
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
	ctl->bad_attr = ctl->missing_attr = NULL;

	err = nl_send_auto(ctl->sk, ctl->req);
	if (err < 0) {
		err = -EIO;
		goto out;
	}
	/* The reply, then the ack (or an error): up to the ack, so that the
	 * next request on this socket does not read this one's. */
	do
		err = nl_recvmsgs(ctl->sk, cb);
	while (err >= 0 && !ctl->done);
	if (ctl->error)
		err = ctl->error;
	else
		err = err < 0 ? -EIO : 0;
out:
	nl_cb_put(cb);
	return err;
}

/* A request of cmd, in ctl->req. */
static int request_new(struct ctl *ctl, uint8_t cmd)
{
	ctl->req = nlmsg_alloc();
	if (!ctl->req ||
	    !genlmsg_put(ctl->req, NL_AUTO_PORT, NL_AUTO_SEQ, ctl->family, 0,
			 NLM_F_ACK, cmd, MCBRIDGE_GENL_VERSION)) {
		nlmsg_free(ctl->req);
		ctl->req = NULL;
		fprintf(stderr, "mcbridge-ctl: cannot build request\n");
		return -ENOMEM;
	}
	return 0;
}

static void request_free(struct ctl *ctl)
{
	nlmsg_free(ctl->req);
	ctl->req = NULL;
}

/* ---- emit ---- */

struct emit_args {
	const char *text;
	uint64_t count;
	bool count_given;
};

struct emit_reply {
	uint64_t emitted;
	uint64_t first_seq;
	bool seen;
};

static int on_emit_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];
	struct emit_reply *reply = arg;

	if (parse_msg(msg, tb) < 0 || !tb[MCBRIDGE_ATTR_EMITTED] ||
	    !tb[MCBRIDGE_ATTR_FIRST_SEQ])
		return NL_SKIP;
	reply->emitted = nla_get_u32(tb[MCBRIDGE_ATTR_EMITTED]);
	reply->first_seq = nla_get_u64(tb[MCBRIDGE_ATTR_FIRST_SEQ]);
	reply->seen = true;
	return NL_OK;
}

static int emit_parse(int argc, char **argv, struct emit_args *a)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "text", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int opt;

	a->text = "injected";
	a->count = 1;
	while ((opt = getopt_long(argc, argv, "c:t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			/* The kernel checks the bound: tests send bad ones. */
			if (!parse_u64(optarg, UINT32_MAX, &a->count)) {
				fprintf(stderr, "mcbridge-ctl: bad --count: "
					"%s\n", optarg);
				return -EINVAL;
			}
			a->count_given = true;
			break;
		case 't':
			a->text = optarg;
			break;
		default:
			return help_or_usage(opt);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mcbridge-ctl: emit: unexpected argument: "
			"%s\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/*
 * The kernel takes at most MCBRIDGE_EMIT_MAX_COUNT per request (a request
 * holds genetlink's lock): a larger burst is several requests, and ends at
 * the first that fails.  Up to the cap, one request, as given: the kernel
 * judges the count.
 */
static int emit_run(const struct emit_args *a)
{
	struct emit_reply total = { 0 };
	uint64_t count = a->count, requests = 0;
	struct ctl ctl;
	int err;

	err = ctl_open(&ctl);
	if (err)
		return err;
	do {
		uint32_t chunk = count > MCBRIDGE_EMIT_MAX_COUNT ?
				 MCBRIDGE_EMIT_MAX_COUNT : (uint32_t)count;
		struct emit_reply part = { 0 };

		err = request_new(&ctl, MCBRIDGE_CMD_EMIT);
		if (err)
			goto out;
		if (nla_put_string(ctl.req, MCBRIDGE_ATTR_TEXT, a->text) ||
		    (a->count_given &&
		     nla_put_u32(ctl.req, MCBRIDGE_ATTR_COUNT, chunk))) {
			fprintf(stderr, "mcbridge-ctl: cannot build request\n");
			err = -EMSGSIZE;
			goto out;
		}
		err = send_and_receive(&ctl, on_emit_reply, &part);
		if (!err && !part.seen)
			err = -EPROTO;
		if (err) {
			report_error(&ctl, "emit", err);
			if (requests)
				fprintf(stderr, "mcbridge-ctl: emit: burst cut "
					"short after %" PRIu64 " of %" PRIu64
					" events\n", total.emitted, a->count);
			goto out;
		}
		request_free(&ctl);
		if (!total.first_seq)
			total.first_seq = part.first_seq;
		total.emitted += part.emitted;
		count -= chunk;
		requests++;
	} while (a->count_given && count);

	printf("emitted %" PRIu64 " first_seq %" PRIu64 "\n", total.emitted,
	       total.first_seq);
out:
	request_free(&ctl);
	ctl_close(&ctl);
	return err;
}

/* ---- stats ---- */

static int on_stats_reply(struct nl_msg *msg, void *arg)
{
	const struct mcb_attr_set *set = &mcb_stats_attrs;
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];
	struct nlattr *st[MCBRIDGE_STATS_MAX + 1];
	bool *seen = arg;

	if (parse_msg(msg, tb) < 0 || !tb[MCBRIDGE_ATTR_STATS] ||
	    parse_attrs(set, nla_data(tb[MCBRIDGE_ATTR_STATS]),
			nla_len(tb[MCBRIDGE_ATTR_STATS]), st) < 0)
		return NL_SKIP;
	for (unsigned id = 0; id <= set->max; id++)
		if (st[id] && set->rows[id].type == MCB_AT_U64)
			printf("%s %" PRIu64 "\n",
			       mcb_name(mcb_stats_names, id),
			       nla_get_u64(st[id]));
	*seen = true;
	return NL_OK;
}

static int stats_run(void)
{
	struct ctl ctl;
	bool seen = false;
	int err;

	err = ctl_open(&ctl);
	if (err)
		return err;
	err = request_new(&ctl, MCBRIDGE_CMD_GET_STATS);
	if (err)
		goto out;
	err = send_and_receive(&ctl, on_stats_reply, &seen);
	if (!err && !seen)
		err = -EPROTO;
	if (err)
		report_error(&ctl, "stats", err);
out:
	request_free(&ctl);
	ctl_close(&ctl);
	return err;
}

/* ---- monitor ---- */

struct monitor_args {
	uint64_t count;
	uint64_t timeout_s;
	uint64_t rcvbuf;
	const char *until;	/* stop after an event with this text */
	bool quiet;
	bool allow_gaps;
};

struct monitor {
	const struct monitor_args *args;
	int family;
	bool until_seen;
	uint64_t received;
	uint64_t first_seq;
	uint64_t last_seq;
	uint64_t gaps;		/* events missing between seqs in a row */
	uint64_t reorders;	/* seq not above the previous one */
	uint64_t overruns;
};

/* An event's attributes, in the spec's order: "seq=1 ts=2 type=..." */
static void print_event(struct nlattr **tb)
{
	const struct mcb_attr_set *set = &mcb_mcbridge_attrs;
	const char *sep = "";	/* the line starts with its first key */

	for (unsigned id = 0; id <= set->max; id++) {
		const struct mcb_attr_desc *d = &set->rows[id];

		if (!d->in_event || !tb[id])
			continue;
		print_attr(sep, d, d->ctl_key, tb[id]);
		sep = " ";
	}
	putchar('\n');
}

static void track_seq(struct monitor *mon, uint64_t seq)
{
	if (mon->received == 0) {
		mon->first_seq = seq;
	} else if (seq > mon->last_seq + 1) {
		mon->gaps += seq - mon->last_seq - 1;
		fprintf(stderr, "mcbridge-ctl: gap: %" PRIu64 " events missing "
			"before seq %" PRIu64 "\n", seq - mon->last_seq - 1,
			seq);
	} else if (seq <= mon->last_seq) {
		mon->reorders++;
		fprintf(stderr, "mcbridge-ctl: seq %" PRIu64 " after %" PRIu64
			"\n", seq, mon->last_seq);
	}
	mon->last_seq = seq;
	mon->received++;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];
	struct monitor *mon = arg;
	const char *until = mon->args->until;

	if (nlmsg_hdr(msg)->nlmsg_type != mon->family)
		return NL_SKIP;
	if (parse_msg(msg, tb) < 0 || !tb[MCBRIDGE_ATTR_SEQ] ||
	    !tb[MCBRIDGE_ATTR_TIMESTAMP_NS] || !tb[MCBRIDGE_ATTR_TYPE]) {
		fprintf(stderr, "mcbridge-ctl: malformed event skipped\n");
		return NL_SKIP;
	}
	track_seq(mon, nla_get_u64(tb[MCBRIDGE_ATTR_SEQ]));
	if (!mon->args->quiet)
		print_event(tb);
	if (until && tb[MCBRIDGE_ATTR_TEXT] &&
	    !strcmp(nla_get_string(tb[MCBRIDGE_ATTR_TEXT]), until)) {
		mon->until_seen = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int monitor_parse(int argc, char **argv, struct monitor_args *a)
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
	const char *bad = NULL;
	int opt;

	a->rcvbuf = 4 << 20;
	while ((opt = getopt_long(argc, argv, "c:t:b:u:qgh", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (!parse_u64(optarg, UINT64_MAX, &a->count))
				bad = "--count";
			break;
		case 't':
			if (!parse_u64(optarg, INT_MAX / 1000, &a->timeout_s))
				bad = "--timeout";
			break;
		case 'b':
			if (mcb_parse_size(optarg, 1, INT_MAX, &a->rcvbuf) < 0)
				bad = "--rcvbuf";
			break;
		case 'u':
			a->until = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'g':
			a->allow_gaps = true;
			break;
		default:
			return help_or_usage(opt);
		}
		if (bad) {
			fprintf(stderr, "mcbridge-ctl: bad %s: %s\n", bad,
				optarg);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mcbridge-ctl: monitor: unexpected argument: "
			"%s\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* The family and the events group, resolved on a socket of their own. */
static int monitor_resolve(int *family, int *group)
{
	struct ctl ctl;
	int err;

	err = ctl_open(&ctl);
	if (err)
		return err;
	*family = ctl.family;
	*group = genl_ctrl_resolve_grp(ctl.sk, MCBRIDGE_GENL_NAME,
				       MCBRIDGE_MCGRP_EVENTS);
	if (*group < 0) {
		fprintf(stderr, "mcbridge-ctl: group \"%s\" not found\n",
			MCBRIDGE_MCGRP_EVENTS);
		err = -ENOENT;
	}
	ctl_close(&ctl);
	return err;
}

/* lib/sockbuf.c: FORCE (rmem_max when privileged), else the capped one. */
static int monitor_rcvbuf(int fd, uint64_t want, int *got)
{
	bool forced;
	int n = mcb_set_rcvbuf(fd, (int)want, &forced);

	if (n < 0) {
		fprintf(stderr, "mcbridge-ctl: SO_RCVBUF: %s\n", strerror(-n));
		return n;
	}
	*got = n;
	return 0;
}

/* Receive until done; -errno on a failure, not on gaps (mon says). */
static int monitor_loop(struct nl_sock *sk, struct monitor *mon)
{
	const struct monitor_args *a = mon->args;
	struct pollfd pfd = { .fd = nl_socket_get_fd(sk), .events = POLLIN };
	int timeout_ms = a->timeout_s ? (int)(a->timeout_s * 1000) : -1;
	int n, err;

	while (!stop_requested && !mon->until_seen &&
	       (a->count == 0 || mon->received < a->count)) {
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("mcbridge-ctl: poll");
			return -errno;
		}
		if (n == 0)
			break;
		err = nl_recvmsgs_default(sk);
		/* libnl reports ENOBUFS (an overrun) as NLE_NOMEM. */
		if (err == -NLE_NOMEM) {
			mon->overruns++;
			fprintf(stderr, "mcbridge-ctl: overrun: events lost\n");
		} else if (err < 0 && err != -NLE_AGAIN && err != -NLE_INTR) {
			fprintf(stderr, "mcbridge-ctl: receive: %s\n",
				nl_geterror(err));
			return -EIO;
		}
	}
	return 0;
}

static int monitor_run(const struct monitor_args *a)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct monitor mon = { .args = a };
	struct nl_sock *sk = NULL;
	int group, rcvbuf, err;

	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0) {
		perror("mcbridge-ctl: sigaction");
		return -errno;
	}
	err = monitor_resolve(&mon.family, &group);
	if (err)
		return err;

	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk) < 0) {
		fprintf(stderr, "mcbridge-ctl: cannot open generic netlink "
			"socket\n");
		err = -EIO;
		goto out;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_disable_msg_peek(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &mon);
	err = monitor_rcvbuf(nl_socket_get_fd(sk), a->rcvbuf, &rcvbuf);
	if (err)
		goto out;
	err = nl_socket_add_membership(sk, group);
	if (err < 0) {
		fprintf(stderr, "mcbridge-ctl: cannot join group \"%s\": %s\n",
			MCBRIDGE_MCGRP_EVENTS, nl_geterror(err));
		err = -EACCES;
		goto out;
	}
	fprintf(stderr, "monitor: ready (family %d, group %d, rcvbuf %d)\n",
		mon.family, group, rcvbuf);

	err = monitor_loop(sk, &mon);
	if (err)
		goto out;
	fflush(stdout);
	printf("summary received=%" PRIu64 " first_seq=%" PRIu64
	       " last_seq=%" PRIu64 " gaps=%" PRIu64 " reorders=%" PRIu64
	       " overruns=%" PRIu64 "\n", mon.received, mon.first_seq,
	       mon.last_seq, mon.gaps, mon.reorders, mon.overruns);
	/* A gap is the monitor's finding, not a failure: exit status 1. */
	if (!a->allow_gaps && (mon.gaps || mon.reorders || mon.overruns))
		err = 1;
out:
	nl_socket_free(sk);
	return err;
}

/* ---- history ---- */

struct history_args {
	uint64_t from;
	uint64_t to;		/* 0: up to the last event sent */
	bool quiet;
};

struct history {
	const struct history_args *args;
	struct ctl *ctl;
	uint64_t events;
	uint64_t last_seq;	/* of the last event printed */
	uint64_t from, to, first;	/* the dump's last message */
	bool ended;		/* ... arrived */
	bool disorder;
};

static int on_history_msg(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[MCBRIDGE_ATTR_MAX + 1];
	struct history *h = arg;
	uint64_t seq;

	if (parse_msg(msg, tb) < 0) {
		fprintf(stderr, "mcbridge-ctl: malformed message skipped\n");
		return NL_SKIP;
	}
	if (g->cmd == MCBRIDGE_CMD_GET_EVENTS) {
		if (!tb[MCBRIDGE_ATTR_FROM_SEQ] || !tb[MCBRIDGE_ATTR_TO_SEQ] ||
		    !tb[MCBRIDGE_ATTR_HISTORY_FIRST])
			return NL_SKIP;
		h->from = nla_get_u64(tb[MCBRIDGE_ATTR_FROM_SEQ]);
		h->to = nla_get_u64(tb[MCBRIDGE_ATTR_TO_SEQ]);
		h->first = nla_get_u64(tb[MCBRIDGE_ATTR_HISTORY_FIRST]);
		h->ended = true;
		return NL_OK;
	}
	if (g->cmd != MCBRIDGE_CMD_EVENT || !tb[MCBRIDGE_ATTR_SEQ]) {
		fprintf(stderr, "mcbridge-ctl: unexpected message skipped\n");
		return NL_SKIP;
	}
	seq = nla_get_u64(tb[MCBRIDGE_ATTR_SEQ]);
	/* In order, each once, inside the range asked for. */
	if ((h->events && seq <= h->last_seq) || seq < h->args->from ||
	    (h->args->to && seq > h->args->to)) {
		fprintf(stderr, "mcbridge-ctl: history: seq %" PRIu64
			" out of order or range\n", seq);
		h->disorder = true;
	}
	h->last_seq = seq;
	h->events++;
	if (!h->args->quiet)
		print_event(tb);
	return NL_OK;
}

/* NLMSG_DONE: its error, with its extended ack (a refusal by dumpit). */
static int on_history_done(struct nl_msg *msg, void *arg)
{
	const struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct history *h = arg;
	int err;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(err)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		h->ctl->error = err;
		if (err && (nlh->nlmsg_flags & NLM_F_ACK_TLVS))
			ext_ack_tlvs(h->ctl, nlh, NLMSG_HDRLEN + sizeof(err));
	}
	h->ctl->done = true;
	return NL_STOP;
}

static int history_parse(int argc, char **argv, struct history_args *a)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int opt;

	a->from = 1;
	while ((opt = getopt_long(argc, argv, "f:t:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
		case 't':
			/* The kernel checks the range: tests send bad ones. */
			if (!parse_u64(optarg, UINT64_MAX,
				       opt == 'f' ? &a->from : &a->to)) {
				fprintf(stderr, "mcbridge-ctl: bad --%s: %s\n",
					opt == 'f' ? "from" : "to", optarg);
				return -EINVAL;
			}
			break;
		case 'q':
			a->quiet = true;
			break;
		default:
			return help_or_usage(opt);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mcbridge-ctl: history: unexpected argument: "
			"%s\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int history_run(const struct history_args *a)
{
	struct ctl ctl;
	struct history h = { .args = a, .ctl = &ctl };
	struct nl_cb *cb = NULL;
	uint64_t span;
	int err;

	err = ctl_open(&ctl);
	if (err)
		return err;
	err = request_new(&ctl, MCBRIDGE_CMD_GET_EVENTS);
	if (err)
		goto out;
	nlmsg_hdr(ctl.req)->nlmsg_flags |= NLM_F_DUMP;
	if (nla_put_u64(ctl.req, MCBRIDGE_ATTR_FROM_SEQ, a->from) ||
	    (a->to && nla_put_u64(ctl.req, MCBRIDGE_ATTR_TO_SEQ, a->to))) {
		err = -EMSGSIZE;
		goto out;
	}
	cb = nl_cb_clone(nl_socket_get_cb(ctl.sk));
	if (!cb) {
		err = -ENOMEM;
		goto out;
	}
	/* A refusal comes as an error (start) or in NLMSG_DONE (dumpit). */
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &ctl);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_history_msg, &h);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_history_done, &h);
	if (nl_send_auto(ctl.sk, ctl.req) < 0) {
		err = -EIO;
		goto out;
	}
	do
		err = nl_recvmsgs(ctl.sk, cb);
	while (err >= 0 && !ctl.done);
	if (ctl.error)
		err = ctl.error;
	else if (err < 0)
		err = -EIO;
	else if (!h.ended)
		err = -EPROTO;
	if (err) {
		report_error(&ctl, "history", err);
		goto out;
	}
	fflush(stdout);
	span = h.to >= h.from ? h.to - h.from + 1 : 0;
	printf("history from=%" PRIu64 " to=%" PRIu64 " first=%" PRIu64
	       " events=%" PRIu64 " missing=%" PRIu64 "\n", h.from, h.to,
	       h.first, h.events, span > h.events ? span - h.events : 0);
	if (h.disorder)
		err = -EPROTO;
out:
	nl_cb_put(cb);
	request_free(&ctl);
	ctl_close(&ctl);
	return err;
}

/* ---- main: the only place errors become exit statuses ---- */

int main(int argc, char **argv)
{
	struct monitor_args margs = { 0 };
	struct history_args hargs = { 0 };
	struct emit_args eargs = { 0 };
	const char *cmd;
	int err;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	/* Parsers: 0 to run, 1 after --help, -EINVAL for bad usage. */
	if (!strcmp(cmd, "emit")) {
		err = emit_parse(argc - 1, argv + 1, &eargs);
		if (err)
			return err > 0 ? 0 : EXIT_USAGE;
		err = emit_run(&eargs);
	} else if (!strcmp(cmd, "stats")) {
		if (argc > 2) {
			fprintf(stderr, "mcbridge-ctl: stats takes no "
				"arguments\n");
			return EXIT_USAGE;
		}
		err = stats_run();
	} else if (!strcmp(cmd, "monitor")) {
		err = monitor_parse(argc - 1, argv + 1, &margs);
		if (err)
			return err > 0 ? 0 : EXIT_USAGE;
		err = monitor_run(&margs);
	} else if (!strcmp(cmd, "history")) {
		err = history_parse(argc - 1, argv + 1, &hargs);
		if (err)
			return err > 0 ? 0 : EXIT_USAGE;
		err = history_run(&hargs);
	} else {
		fprintf(stderr, "mcbridge-ctl: unknown command: %s\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Runtime failures, and gaps the monitor saw. */
	return err ? 1 : 0;
}
