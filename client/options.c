/* SPDX-License-Identifier: MIT */
/* mcbridge-listen command line, by table (lib/opttab.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mcbridge.h>
#include <mcbridge/names.h>

#include "lib/mcaddr.h"
#include "lib/num.h"
#include "lib/opttab.h"
#include "listen.h"

/* Told apart from a given --interface by address: IPv6 has its own. */
static const char default_iface[] = MCB_DEFAULT_IFACE;

static const char *const format_names[] = { "auto", "json", "binary", NULL };

_Static_assert(MCB_FMT_AUTO == 0 && MCB_FMT_JSON == 1 && MCB_FMT_BINARY == 2,
	       "--format values are indexes of format_names");

static int set_timeout(const struct mcb_opt *opt, const char *arg, void *cfg,
		       char *why, size_t why_size)
{
	struct listen_opts *o = cfg;
	double secs;
	char *end;

	(void)opt;
	errno = 0;
	secs = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(secs) || secs < 0 ||
	    secs > 1e9) {
		snprintf(why, why_size, "expected seconds, 0..1000000000");
		return -EINVAL;
	}
	o->timeout_ms = (uint64_t)ceil(secs * 1000.0);
	return 0;
}

static int set_types(const struct mcb_opt *opt, const char *list, void *cfg,
		     char *why, size_t why_size)
{
	struct listen_opts *o = cfg;
	char buf[256];
	char *save = NULL, *tok;

	(void)opt;
	snprintf(why, why_size, "expected a list of netdev, module, "
		 "heartbeat, injected, 0..%d or other", MCB_TYPE_OTHER - 1);
	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	o->filter.types = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		long t = mcb_value(mcb_event_type_names, tok, strlen(tok));
		uint64_t n;

		if (t < 0 && !strcmp(tok, "other"))
			t = MCB_TYPE_OTHER;
		if (t < 0 && !mcb_parse_u64(tok, 0, MCB_TYPE_OTHER - 1, &n))
			t = (long)n;
		if (t < 0)
			return -EINVAL;
		o->filter.types |= 1u << t;
	}
	return o->filter.types ? 0 : -EINVAL;
}

static int set_families(const struct mcb_opt *opt, const char *list,
			void *cfg, char *why, size_t why_size)
{
	struct listen_opts *o = cfg;
	char buf[MCB_FILTER_MAX_FAMILIES * MCB_WIRE_NAMSIZ];
	char *save = NULL, *tok;

	(void)opt;
	snprintf(why, why_size, "expected a list of at most %d generic "
		 "netlink family names of 1..%d characters",
		 MCB_FILTER_MAX_FAMILIES, MCB_WIRE_NAMSIZ - 1);
	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	o->filter.nfamilies = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (mcb_filter_add_family(&o->filter, tok) < 0)
			return -EINVAL;
	return o->filter.nfamilies ? 0 : -EINVAL;
}

static void print_version(FILE *out)
{
	fprintf(out, MCB_LISTEN_NAME " " MCB_VERSION " (wire format %d)\n",
		MCB_WIRE_VERSION);
}

#define F(member)	MCB_OPT_FIELD(struct listen_opts, member)

static const struct mcb_opt options[] = {
	{ "group", 'g', "ADDR",
	  "multicast group, IPv4 or IPv6 (default "
	  MCB_DEFAULT_GROUP ")",
	  mcb_opt_set_str, F(group_str) },
	{ "port", 'p', "N", "UDP port (default " MCB_STR(MCB_DEFAULT_PORT) ")",
	  mcb_opt_set_u64, F(cfg.port), 1, 65535 },
	{ "interface", 'i', "IF",
	  "local address or interface name to join on\n"
	  "(default " MCB_DEFAULT_IFACE "); IPv6 groups join by\n"
	  "interface name or index (default " MCB_DEFAULT_IFACE6 ")",
	  mcb_opt_set_str, F(iface_str) },
	{ "count", 'c', "N",
	  "exit after N printed events (0: no limit, the\ndefault)",
	  mcb_opt_set_u64, F(count), 0, UINT64_MAX },
	{ "timeout", 't', "S",
	  "exit after S seconds, fractions allowed (0: no\n"
	  "limit, the default)", .set = set_timeout },
	{ "format", 'f', "F",
	  "accept auto (default), json or binary datagrams",
	  mcb_opt_set_choice, F(format), .choices = format_names },
	{ "type", 'T', "LIST",
	  "print only these event types: netdev, module,\n"
	  "heartbeat, injected, a number, or other (events\n"
	  "of other families); notices are always printed;\n"
	  "binary datagrams of other types never reach the\n"
	  "socket (a kernel filter; their bridge_seq gaps\n"
	  "are counted as unseen, not missing), JSON ones\n"
	  "are read and skipped", .set = set_types },
	{ "family", 'F', "LIST",
	  "print only events of these generic netlink\n"
	  "families (comma-separated); notices are always\n"
	  "printed; the others never reach the socket (a\n"
	  "kernel filter, both formats)", .set = set_families },
	{ "no-kernel-filter", 0, NULL,
	  "filter --type and --family here only, after\n"
	  "receiving every datagram (so are --repair,\n"
	  "--last and --since, which see every bridge_seq)",
	  mcb_opt_set_flag, F(no_kernel_filter) },
	{ "human", 'H', NULL, "human-readable lines instead of JSON",
	  mcb_opt_set_flag, F(human) },
	{ "latency", 'l', NULL,
	  "per-event latency (now - kernel timestamp_ns,\n"
	  "CLOCK_MONOTONIC) and p50/p99/max at exit",
	  mcb_opt_set_flag, F(latency) },
	/* The kernel doubles the value it is given, into an int. */
	{ "rcvbuf", 'r', "BYTES",
	  "socket receive buffer, k/M suffixes (default 32M)",
	  mcb_opt_set_size, F(cfg.rcvbuf), 1, INT_MAX / 2 },
	{ "ready-fd", 0, "N",
	  "write \"ready\\n\" to fd N once joined, then close it",
	  mcb_opt_set_u64, F(ready_fd), 0, INT_MAX },
	{ "linger-us", 0, "US",
	  "after reading what was queued, pause US microseconds\n"
	  "(0.." MCB_STR(MCB_MAX_LINGER_US) ", default 0) before waiting "
	  "again: a burst\n"
	  "is read in batches instead of one wake-up per\n"
	  "datagram, which the bridge pays for; adds at most\n"
	  "US of latency while events keep coming",
	  mcb_opt_set_u64, F(linger_us), 0, MCB_MAX_LINGER_US },
	{ "repair", 0, NULL,
	  "ask the bridge's repair channel for what is missing:\n"
	  "events come out in bridge_seq order, gaps filled\n"
	  "from its history; what it no longer has is counted\n"
	  "as unrepairable",
	  mcb_opt_set_flag, F(repair) },
	{ "repair-addr", 0, "ADDR:PORT",
	  "the bridge's repair channel (" MCB_DEFAULT_REPAIR_ADDR ":"
	  MCB_STR(MCB_DEFAULT_REPAIR_PORT) ")",
	  mcb_opt_set_str, F(repair_addr) },
	{ "last", 0, "N",
	  "start with the last N events of the bridge's history,\n"
	  "then go on live, with no duplicate and no gap\n"
	  "(implies --repair)",
	  mcb_opt_set_u64, F(last), 1, MCB_REPAIR_MAX_RANGE },
	{ "since", 0, "SEQ",
	  "start with the history from bridge_seq SEQ of the\n"
	  "bridge's current run, then live (implies --repair)",
	  mcb_opt_set_u64, F(since), 1, UINT64_MAX },
	{ "repair-buffer", 0, "BYTES",
	  "events waiting for a gap to be filled, at most BYTES\n"
	  "(8M); more are dropped and asked for again later",
	  mcb_opt_set_size, F(repair_buffer), 256 * 1024, 1ull << 30 },
	{ "key", 'k', "FILE",
	  "accept only datagrams authenticated with this key\n"
	  "(mcbridged --key); forged, altered and replayed\n"
	  "ones are dropped and counted",
	  mcb_opt_set_str, F(key_file) },
	{ "help", 'h', NULL, "this help", .set = mcb_opt_help },
	{ "version", 'V', NULL, "version", .set = mcb_opt_version },
	{ NULL },
};

static const struct mcb_opttab table = {
	.prog = MCB_LISTEN_NAME,
	.head =
"Usage: " MCB_LISTEN_NAME " [OPTION]...\n"
"Receive mcbridge event datagrams from an IPv4 or IPv6 multicast group and\n"
"print one line per event: JSON (default) or human-readable.\n"
"\n",
	.tail =
"\n"
"Once joined, a line \"" MCB_LISTEN_NAME ": listening on GROUP:PORT via IF\"\n"
"goes to stderr.  Gaps, restarts, notices and bad datagrams are reported on\n"
"stderr, with a summary at exit.  Exit status: 0 on count, timeout, SIGINT or\n"
"SIGTERM; 1 on a runtime error; 2 on bad usage.\n",
	.arg_word = "argument",
	.version = print_version,
	.opts = options,
};

int listen_opts_parse(struct listen_opts *o, int argc, char **argv,
		      FILE *out, FILE *err)
{
	enum mcb_opt_result r;
	union mcb_addr group = { .in = { .sin_family = AF_INET } };
	int bad;

	memset(o, 0, sizeof(*o));
	o->group_str = MCB_DEFAULT_GROUP;
	o->iface_str = default_iface;
	o->cfg.port = MCB_DEFAULT_PORT;
	o->cfg.rcvbuf = MCB_LISTEN_DEFAULT_RCVBUF;
	o->cfg.gro = true;
	o->format = MCB_FMT_AUTO;
	o->ready_fd = -1;
	o->repair_addr = MCB_DEFAULT_REPAIR_ADDR ":"
			 MCB_STR(MCB_DEFAULT_REPAIR_PORT);
	o->repair_buffer = MCB_REPAIR_DEFAULT_BUFFER;

	r = mcb_opt_parse(&table, argc, argv, o, out, err);
	if (r != MCB_OPT_RUN)
		return r;
	if (o->last && o->since)
		return mcb_opt_fail(&table, err, "--last and --since exclude "
				    "each other");
	if (o->last || o->since)
		o->repair = true;
	if (o->repair) {
		union mcb_addr def = { .in = { .sin_family = AF_INET } }, to;

		if (mcb_hostport_parse(o->repair_addr, &def, &to) ||
		    (to.sa.sa_family == AF_INET && !to.in.sin_addr.s_addr))
			return mcb_opt_fail(&table, err, "--repair-addr '%s': "
					    "expected ADDR:PORT or [IPV6]:PORT",
					    o->repair_addr);
		memset(&o->repair_to, 0, sizeof(o->repair_to));
		memcpy(&o->repair_to, &to, mcb_addr_len(&to));
	}
	bad = mcb_mcast_parse(o->group_str, &group);
	if (bad)
		return mcb_opt_fail(&table, err, "'%s' is %s", o->group_str,
				    mcb_mcast_strerror(o->group_str, bad));
	if (group.sa.sa_family == AF_INET6) {
		o->cfg.family = AF_INET6;
		o->cfg.group6 = group.in6.sin6_addr;
		if (o->iface_str == default_iface)
			o->iface_str = MCB_DEFAULT_IFACE6;
		o->cfg.iface_index = mcb_ifindex(o->iface_str);
		if (o->cfg.iface_index == 0)
			return mcb_opt_fail(&table, err, "no interface '%s' "
					    "(IPv6 groups join by interface "
					    "name or index)", o->iface_str);
		return OPTS_RUN;
	}
	o->cfg.group = group.in.sin_addr;
	if (inet_pton(AF_INET, o->iface_str, &o->cfg.iface_addr) != 1) {
		o->cfg.iface_index = if_nametoindex(o->iface_str);
		if (o->cfg.iface_index == 0)
			return mcb_opt_fail(&table, err, "no interface or "
					    "local address '%s'", o->iface_str);
	}
	return OPTS_RUN;
}
