/* SPDX-License-Identifier: MIT */
/* mcbridge-listen command line. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mcbridge.h>
#include <mcbridge/names.h>
#include <mcbridge/optname.h>

#include "listen.h"

static void usage(FILE *out)
{
	fprintf(out,
"Usage: " MCB_LISTEN_NAME " [OPTION]...\n"
"Receive mcbridge event datagrams from an IPv4 multicast group and print\n"
"one line per event: JSON (default) or human-readable.\n"
"\n"
"  -g, --group ADDR       multicast group (default " MCB_DEFAULT_GROUP ")\n"
"  -p, --port N           UDP port (default %d)\n"
"  -i, --interface IF     local address or interface name to join on\n"
"                         (default " MCB_DEFAULT_IFACE ")\n"
"  -c, --count N          exit after N printed events (0: no limit, the\n"
"                         default)\n"
"  -t, --timeout S        exit after S seconds, fractions allowed (0: no\n"
"                         limit, the default)\n"
"  -f, --format F         accept auto (default), json or binary datagrams\n"
"  -T, --type LIST        print only these event types: netdev, module,\n"
"                         heartbeat, injected, a number, or other (events\n"
"                         of other families); notices are always printed\n"
"  -H, --human            human-readable lines instead of JSON\n"
"  -l, --latency          per-event latency (now - kernel timestamp_ns,\n"
"                         CLOCK_MONOTONIC) and p50/p99/max at exit\n"
"  -r, --rcvbuf BYTES     socket receive buffer, k/M suffixes (default 4M)\n"
"      --ready-fd N       write \"ready\\n\" to fd N once joined, then close it\n"
"      --linger-us US     after reading what was queued, pause US microseconds\n"
"                         (0..%d, default 0) before waiting again: a burst\n"
"                         is read in batches instead of one wake-up per\n"
"                         datagram, which the bridge pays for; adds at most\n"
"                         US of latency while events keep coming\n"
"  -k, --key FILE         accept only datagrams authenticated with this key\n"
"                         (mcbridged --key); forged, altered and replayed\n"
"                         ones are dropped and counted\n"
"  -h, --help             this help\n"
"  -V, --version          version\n"
"\n"
"Once joined, a line \"" MCB_LISTEN_NAME ": listening on GROUP:PORT via IF\"\n"
"goes to stderr.  Gaps, restarts, notices and bad datagrams are reported on\n"
"stderr, with a summary at exit.  Exit status: 0 on count, timeout, SIGINT or\n"
"SIGTERM; 1 on a runtime error; 2 on bad usage.\n",
		MCB_DEFAULT_PORT, MCB_MAX_LINGER_US);
}

__attribute__((format(printf, 2, 3)))
static int bad(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, MCB_LISTEN_NAME ": ");
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fprintf(err, "\nTry '" MCB_LISTEN_NAME " --help' for more.\n");
	return OPTS_USAGE;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_rcvbuf(const char *s, uint64_t *v)
{
	char num[32];
	size_t n = strlen(s);
	uint64_t mult = 1;

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'k': case 'K': mult = 1u << 10; num[--n] = '\0'; break;
	case 'm': case 'M': mult = 1u << 20; num[--n] = '\0'; break;
	}
	/* The kernel doubles the value it is given, into an int. */
	if (!parse_u64(num, v) || *v == 0 || *v > (INT_MAX / 2) / mult)
		return false;
	*v *= mult;
	return true;
}

static bool parse_types(const char *list, uint32_t *mask)
{
	char buf[256];
	char *save = NULL, *tok;

	if (strlen(list) >= sizeof(buf))
		return false;
	strcpy(buf, list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		long t = mcb_value(mcb_event_type_names, tok, strlen(tok));
		uint64_t n;

		if (t < 0 && !strcmp(tok, "other"))
			t = MCB_TYPE_OTHER;
		if (t < 0 && parse_u64(tok, &n) && n < MCB_TYPE_OTHER)
			t = (long)n;
		if (t < 0)
			return false;
		*mask |= 1u << t;
	}
	return *mask != 0;
}

int listen_opts_parse(struct listen_opts *o, int argc, char **argv,
		      FILE *out, FILE *err)
{
	static const struct option longopts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "port", required_argument, NULL, 'p' },
		{ "interface", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 'T' },
		{ "human", no_argument, NULL, 'H' },
		{ "latency", no_argument, NULL, 'l' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "linger-us", required_argument, NULL, 'L' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char name[64];
	uint64_t n;
	double secs;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->group_str = MCB_DEFAULT_GROUP;
	o->iface_str = MCB_DEFAULT_IFACE;
	o->cfg.port = MCB_DEFAULT_PORT;
	o->cfg.rcvbuf = MCB_DEFAULT_RCVBUF;
	o->format = MCB_FMT_AUTO;
	o->ready_fd = -1;

	optind = 0;	/* full re-initialisation: tests parse many times */
	opterr = 0;	/* our own messages, on err */
	while ((c = getopt_long(argc, argv, ":g:p:i:c:t:f:T:Hlr:k:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'g':
			o->group_str = optarg;
			break;
		case 'p':
			if (!parse_u64(optarg, &n) || n == 0 || n > 65535)
				return bad(err, "bad port '%s'", optarg);
			o->cfg.port = (uint16_t)n;
			break;
		case 'i':
			o->iface_str = optarg;
			break;
		case 'c':
			if (!parse_u64(optarg, &o->count))
				return bad(err, "bad count '%s'", optarg);
			break;
		case 't':
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(secs) ||
			    secs < 0 || secs > 1e9)
				return bad(err, "bad timeout '%s'", optarg);
			o->timeout_ms = (uint64_t)ceil(secs * 1000.0);
			break;
		case 'f':
			if (!strcmp(optarg, "auto"))
				o->format = MCB_FMT_AUTO;
			else if (!strcmp(optarg, "json"))
				o->format = MCB_FMT_JSON;
			else if (!strcmp(optarg, "binary"))
				o->format = MCB_FMT_BINARY;
			else
				return bad(err, "bad format '%s' (auto, json, binary)",
					   optarg);
			break;
		case 'T':
			if (!parse_types(optarg, &o->type_mask))
				return bad(err, "bad type list '%s'", optarg);
			break;
		case 'H':
			o->human = true;
			break;
		case 'l':
			o->latency = true;
			break;
		case 'r':
			if (!parse_rcvbuf(optarg, &n))
				return bad(err, "bad receive buffer size '%s'",
					   optarg);
			o->cfg.rcvbuf = (int)n;
			break;
		case 'R':
			if (!parse_u64(optarg, &n) || n > INT_MAX)
				return bad(err, "bad fd '%s'", optarg);
			o->ready_fd = (int)n;
			break;
		case 'L':
			if (!parse_u64(optarg, &n) || n > MCB_MAX_LINGER_US)
				return bad(err, "bad linger '%s' (0..%d us)",
					   optarg, MCB_MAX_LINGER_US);
			o->linger_us = (uint32_t)n;
			break;
		case 'k':
			o->key_file = optarg;
			break;
		case 'h':
			usage(out);
			return OPTS_EXIT_OK;
		case 'V':
			fprintf(out, MCB_LISTEN_NAME " " MCB_VERSION
				" (wire format %d)\n", MCB_WIRE_VERSION);
			return OPTS_EXIT_OK;
		case ':':
			return bad(err, "option '%s' needs an argument",
				   mcb_opt_name(name, sizeof(name), argv,
						longopts));
		default:
			if (optopt && mcb_opt_is_long(argv[optind - 1],
						      longopts, optopt))
				return bad(err, "option '%s' takes no argument",
					   mcb_opt_name(name, sizeof(name),
							argv, longopts));
			return bad(err, "unknown option '%s'",
				   mcb_opt_name(name, sizeof(name), argv,
						longopts));
		}
	}
	if (optind < argc)
		return bad(err, "unexpected argument '%s'", argv[optind]);

	if (inet_pton(AF_INET, o->group_str, &o->cfg.group) != 1 ||
	    !IN_MULTICAST(ntohl(o->cfg.group.s_addr)))
		return bad(err, "'%s' is not an IPv4 multicast group",
			   o->group_str);
	if (inet_pton(AF_INET, o->iface_str, &o->cfg.iface_addr) != 1) {
		o->cfg.iface_index = if_nametoindex(o->iface_str);
		if (o->cfg.iface_index == 0)
			return bad(err, "no interface or local address '%s'",
				   o->iface_str);
	}
	return OPTS_RUN;
}
