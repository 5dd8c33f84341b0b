// SPDX-License-Identifier: MIT
/* Command line parsing: getopt_long, every value checked before the run. */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mcbridge.h>

#include "history.h"
#include "lib/num.h"
#include "lib/opttab.h"
#include "privdrop.h"

/* --format and format=: MCB_FMT_JSON + the index (no "auto" to send). */
static const char *const format_names[] = { "json", "binary", NULL };
_Static_assert(MCB_FMT_BINARY == MCB_FMT_JSON + 1,
	       "format values are MCB_FMT_JSON + indexes of format_names");

const char *mcb_format_name(enum mcb_format f)
{
	return f == MCB_FMT_BINARY ? "binary" : "json";
}


/* Genetlink names: 1..GENL_NAMSIZ-1 bytes, none of our separators. */
static int copy_name(char dst[MCB_WIRE_NAMSIZ], const char *s, size_t len)
{
	if (len == 0 || len >= MCB_WIRE_NAMSIZ)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == '=' || s[i] == ',' ||
		    (unsigned char)s[i] <= ' ')
			return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

struct defaults {
	union mcb_addr group;
	unsigned port;
	struct in_addr iface;
	unsigned ifindex;	/* --iface6 */
	int ttl;
	enum mcb_format format;
	bool no_refill;
};

static void init_map(struct mcb_map_cfg *m, const struct defaults *d)
{
	memset(m, 0, sizeof(*m));
	m->to = d->group;
	m->dest.sin_port = htons((uint16_t)d->port);
	m->iface = d->iface;
	m->ifindex = d->ifindex;
	m->ttl = d->ttl;
	m->format = d->format;
	m->refill = !d->no_refill;
}

/* IPv6 multicast leaves by interface index: the default one, unless an
 * interface was named. */
static int finish_map(struct mcb_map_cfg *m, const char *spec, FILE *err)
{
	if (m->dest.sin_family != AF_INET6 || m->ifindex)
		return 0;
	m->ifindex = if_nametoindex(MCB_DEFAULT_IFACE6);
	if (!m->ifindex) {
		fprintf(err, "mcbridged: %s: no interface " MCB_DEFAULT_IFACE6
			" for its IPv6 group; name one with iface=\n", spec);
		return -1;
	}
	return 0;
}

/* FAMILY/GROUP[=ADDR[:PORT]][,key=value]... */
static int parse_map(const char *spec, const struct defaults *d,
		     struct mcb_map_cfg *m, FILE *err)
{
	char buf[256];
	char *opts, *dest, *slash, *tok, *save;
	uint64_t v;

	init_map(m, d);
	if (strlen(spec) >= sizeof(buf)) {
		fprintf(err, "mcbridged: --map '%s': too long\n", spec);
		return -1;
	}
	strcpy(buf, spec);
	opts = strchr(buf, ',');
	if (opts)
		*opts++ = '\0';
	dest = strchr(buf, '=');
	if (dest)
		*dest++ = '\0';
	slash = strchr(buf, '/');
	if (!slash || copy_name(m->family, buf, (size_t)(slash - buf)) ||
	    copy_name(m->group, slash + 1, strlen(slash + 1))) {
		fprintf(err, "mcbridged: --map '%s': expected FAMILY/GROUP, "
			"names of 1..%d characters\n", spec, MCB_WIRE_NAMSIZ - 1);
		return -1;
	}
	if (dest) {
		char *colon = strrchr(dest, ':');

		if (dest[0] == '[') {		/* [IPV6][:PORT] */
			char *close = strchr(dest, ']');

			colon = close && close[1] == ':' ? close + 1 : NULL;
			if (!close || (close[1] && !colon)) {
				fprintf(err, "mcbridged: --map '%s': expected "
					"[IPV6-ADDRESS][:PORT]\n", spec);
				return -1;
			}
		} else if (colon && strchr(dest, ':') != colon) {
			colon = NULL;		/* a bare IPv6 address */
		}
		if (colon) {
			*colon = '\0';
			if (mcb_parse_u64(colon + 1, 1, 65535, &v)) {
				fprintf(err, "mcbridged: --map '%s': bad port '%s'\n",
					spec, colon + 1);
				return -1;
			}
			m->dest.sin_port = htons((uint16_t)v);
		}
		if (*dest) {
			int r = mcb_mcast_parse(dest, &m->to);

			if (r) {
				fprintf(err, "mcbridged: --map '%s': '%s' is "
					"%s\n", spec, dest,
					mcb_mcast_strerror(dest, r));
				return -1;
			}
		} else if (!colon) {
			fprintf(err, "mcbridged: --map '%s': empty destination\n",
				spec);
			return -1;
		}
	}
	for (tok = opts ? strtok_r(opts, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *val = strchr(tok, '=');

		if (!val) {
			fprintf(err, "mcbridged: --map '%s': expected key=value, "
				"got '%s'\n", spec, tok);
			return -1;
		}
		*val++ = '\0';
		if (strcmp(tok, "format") == 0) {
			int f = mcb_opt_choice(format_names, val);

			if (f < 0) {
				fprintf(err, "mcbridged: --map '%s': format must "
					"be json or binary\n", spec);
				return -1;
			}
			m->format = (enum mcb_format)(MCB_FMT_JSON + f);
		} else if (strcmp(tok, "iface") == 0 &&
			   m->dest.sin_family == AF_INET6) {
			m->ifindex = mcb_ifindex(val);
			if (!m->ifindex) {
				fprintf(err, "mcbridged: --map '%s': no "
					"interface '%s'\n", spec, val);
				return -1;
			}
		} else if (strcmp(tok, "iface") == 0) {
			if (inet_pton(AF_INET, val, &m->iface) != 1) {
				fprintf(err, "mcbridged: --map '%s': iface '%s' "
					"is not an IPv4 address\n", spec, val);
				return -1;
			}
		} else if (strcmp(tok, "ttl") == 0) {
			if (mcb_parse_u64(val, 0, 255, &v)) {
				fprintf(err, "mcbridged: --map '%s': ttl must "
					"be 0..255\n", spec);
				return -1;
			}
			m->ttl = (int)v;
		} else {
			fprintf(err, "mcbridged: --map '%s': unknown key '%s' "
				"(format, iface, ttl)\n", spec, tok);
			return -1;
		}
	}
	return finish_map(m, spec, err);
}

static bool same_dest(const struct mcb_map_cfg *a, const struct mcb_map_cfg *b)
{
	if (a->dest.sin_family != b->dest.sin_family ||
	    a->dest.sin_port != b->dest.sin_port)
		return false;
	if (a->dest.sin_family == AF_INET6)
		return IN6_ARE_ADDR_EQUAL(&a->dest6.sin6_addr,
					  &b->dest6.sin6_addr);
	return a->dest.sin_addr.s_addr == b->dest.sin_addr.s_addr;
}

static int add_map(struct mcb_options *o, const struct mcb_map_cfg *m,
		   FILE *err)
{
	for (size_t i = 0; i < o->n_maps; i++) {
		const struct mcb_map_cfg *x = &o->maps[i];

		char to[MCB_ADDRSTRLEN];

		if (strcmp(x->family, m->family) == 0 &&
		    strcmp(x->group, m->group) == 0 &&
		    same_dest(x, m)) {
			fprintf(err, "mcbridged: mapping %s/%s to %s given "
				"twice\n", m->family, m->group,
				mcb_addr_str(&m->to, to));
			return -1;
		}
	}
	if (o->n_maps == MCB_MAX_MAPS) {
		fprintf(err, "mcbridged: at most %d mappings\n", MCB_MAX_MAPS);
		return -1;
	}
	o->maps[o->n_maps++] = *m;
	return 0;
}

/* What the table's setters fill; mappings are built after all options, so
 * that defaults apply in any order. */
struct parse_state {
	struct mcb_options o;
	struct defaults d;
	const char *specs[MCB_MAX_MAPS];
	size_t n_specs;
	bool want_default;
};

static int set_map(const struct mcb_opt *opt, const char *arg, void *cfg,
		   char *why, size_t why_size)
{
	struct parse_state *st = cfg;

	(void)opt;
	if (st->n_specs == MCB_MAX_MAPS) {
		snprintf(why, why_size, "at most %d mappings", MCB_MAX_MAPS);
		return -E2BIG;
	}
	st->specs[st->n_specs++] = arg;
	return 0;
}

static int set_group(const struct mcb_opt *opt, const char *arg, void *cfg,
		     char *why, size_t why_size)
{
	struct parse_state *st = cfg;

	int r = mcb_mcast_parse(arg, &st->d.group);

	(void)opt;
	if (r) {
		snprintf(why, why_size, "%s", mcb_mcast_strerror(arg, r));
		return -EINVAL;
	}
	return 0;
}

static int set_iface6(const struct mcb_opt *opt, const char *arg, void *cfg,
		      char *why, size_t why_size)
{
	struct parse_state *st = cfg;

	(void)opt;
	st->d.ifindex = mcb_ifindex(arg);
	if (!st->d.ifindex) {
		snprintf(why, why_size, "no interface of that name or index");
		return -EINVAL;
	}
	return 0;
}

/* --repair ADDR:PORT | PORT | off */
static int set_repair(const struct mcb_opt *opt, const char *arg, void *cfg,
		      char *why, size_t why_size)
{
	struct parse_state *st = cfg;

	(void)opt;
	if (!strcmp(arg, "off")) {
		st->o.repair = false;
		return 0;
	}
	if (mcb_hostport_parse(arg, &st->o.repair_addr, &st->o.repair_addr)) {
		snprintf(why, why_size, "expected ADDR:PORT, [IPV6]:PORT, "
			 "PORT or off");
		return -EINVAL;
	}
	st->o.repair = true;
	st->o.repair_given = true;
	return 0;
}

static void print_version(FILE *out)
{
	fprintf(out, "mcbridged %s (wire format %d, mcbridge genl version %d)\n",
		MCB_VERSION, MCB_WIRE_VERSION, MCBRIDGE_GENL_VERSION);
}

#define F(member)	MCB_OPT_FIELD(struct parse_state, member)

static const struct mcb_opt options[] = {
	{ "map", 'm', "FAMILY/GROUP[=ADDR[:PORT]][,format=json|binary]"
	  "[,iface=ADDR|IF][,ttl=N]",
	  "bridge genetlink FAMILY's multicast GROUP (repeatable);\n"
	  "ADDR is IPv4, or IPv6 in brackets ([ff01::4d43:1]),\n"
	  "whose iface= is an interface name or index.\n"
	  "unset parts take the defaults below.  With any --map\n"
	  "the default mapping mcbridge/events is only added\n"
	  "with --default-map", .set = set_map },
	{ "default-map", 'D', NULL,
	  "also bridge mcbridge/events (the default without --map)",
	  mcb_opt_set_flag, F(want_default) },
	{ "group", 'g', "ADDR",
	  "default multicast address, IPv4 or IPv6 ("
	  MCB_DEFAULT_GROUP ")", .set = set_group },
	{ "port", 'p', "PORT",
	  "default UDP port (" MCB_STR(MCB_DEFAULT_PORT) ")",
	  mcb_opt_set_u64, F(d.port), 1, 65535 },
	{ "iface", 'i', "ADDR",
	  "default sending interface by address (" MCB_DEFAULT_IFACE ")",
	  mcb_opt_set_ipv4, F(d.iface) },
	{ "iface6", 'I', "IF",
	  "default interface of IPv6 groups, by name or index\n"
	  "(" MCB_DEFAULT_IFACE6 ")", .set = set_iface6 },
	{ "ttl", 't', "N",
	  "default multicast TTL or IPv6 hop limit, 0..255 ("
	  MCB_STR(MCB_DEFAULT_TTL) ")",
	  mcb_opt_set_u64, F(d.ttl), 0, 255 },
	{ "format", 'f', "FMT", "default wire format: json or binary (json)",
	  mcb_opt_set_choice, F(d.format), .min = MCB_FMT_JSON,
	  .choices = format_names },
	{ "rcvbuf", 'r', "BYTES",
	  "netlink receive buffer, K/M/G suffix allowed (256M)",
	  mcb_opt_set_size, F(o.rcvbuf), 4096, INT_MAX },
	{ "send-queue", 'q', "BYTES",
	  "send from a thread of its own per mapping, through a\n"
	  "queue of encoded datagrams of at most BYTES, K/M/G\n"
	  "suffix allowed (0, the default: send from the reading\n"
	  "thread)",
	  mcb_opt_set_size, F(o.send_queue), 0, 1ull << 34 },
	{ "max-datagram", 's', "N",
	  "largest datagram, " MCB_STR(MCB_MIN_DATAGRAM) ".."
	  MCB_STR(MCB_WIRE_MAX_DATAGRAM) " (" MCB_STR(MCB_WIRE_MAX_DATAGRAM)
	  "); larger events are\ntruncated and flagged",
	  mcb_opt_set_u64, F(o.max_datagram), MCB_MIN_DATAGRAM,
	  MCB_WIRE_MAX_DATAGRAM },
	{ "batch", 'b', "N",
	  "messages per recvmmsg/sendmmsg, 1.." MCB_STR(MCB_MAX_BATCH) " ("
	  MCB_STR(MCB_BRIDGE_DEFAULT_BATCH) ")",
	  mcb_opt_set_u64, F(o.batch), 1, MCB_MAX_BATCH },
	{ "no-refill", 0, NULL,
	  "on a gap in the mcbridge family's kernel seq, do not\n"
	  "fetch the missed events from the module's history\n"
	  "(GET_EVENTS dump) but announce them lost",
	  mcb_opt_set_flag, F(d.no_refill) },
	{ "key", 'k', "FILE",
	  "authenticate every datagram with HMAC-SHA256 under\n"
	  "this key (16..64 bytes, raw or hex; the file must\n"
	  "not be accessible to group or others)",
	  mcb_opt_set_str, F(o.key_file) },
	{ "history", 0, "BYTES",
	  "keep each mapping's last datagrams, up to BYTES\n"
	  "(K/M/G suffix; 0: none, else at least 64K and twice\n"
	  "--max-datagram), for the repair channel (16M)",
	  mcb_opt_set_size, F(o.history), 0, MCB_HISTORY_MAX },
	{ "repair", 0, "ADDR:PORT|off",
	  "answer repair requests on this unicast UDP address\n"
	  "(" MCB_DEFAULT_REPAIR_ADDR ":" MCB_STR(MCB_DEFAULT_REPAIR_PORT)
	  "; [IPV6]:PORT, or a port alone)",
	  .set = set_repair },
	{ "repair-rate", 0, "BYTES",
	  "answers to one requester, bytes per second (32M)",
	  mcb_opt_set_size, F(o.repair_rate), MCB_MIN_REPAIR_RATE,
	  MCB_MAX_REPAIR_RATE },
	{ "repair-rate-total", 0, "BYTES",
	  "answers to all requesters, bytes per second (64M)",
	  mcb_opt_set_size, F(o.repair_rate_total), MCB_MIN_REPAIR_RATE,
	  MCB_MAX_REPAIR_RATE },
	{ "tail-ms", 0, "MS",
	  "an idle mapping sends a tail datagram with its last\n"
	  "bridge_seq after MS of silence, and every MS while\n"
	  "idle (1000; 0: never)",
	  mcb_opt_set_u64, F(o.tail_ms), 0, MCB_MAX_TAIL_MS },
	{ "user", 'u', "NAME",
	  "when started as root, run as NAME once the sockets\n"
	  "are open (default: " MCB_DEFAULT_USER " if it exists, else\n"
	  MCB_FALLBACK_USER "), with no capabilities",
	  mcb_opt_set_name, F(o.user) },
	{ "syslog", 0, NULL, "log to syslog instead of stderr",
	  mcb_opt_set_flag, F(o.use_syslog) },
	{ "verbose", 'v', NULL, "log debug messages",
	  mcb_opt_set_flag, F(o.verbose) },
	{ "help", 'h', NULL, "show this help and exit", .set = mcb_opt_help },
	{ "version", 'V', NULL, "show the version and exit", .set = mcb_opt_version },
	{ NULL },
};

static const struct mcb_opttab table = {
	.prog = "mcbridged",
	.head =
"Usage: mcbridged [OPTION]...\n"
"Bridge generic netlink multicast events to IPv4 or IPv6 multicast UDP\n"
"datagrams.\n"
"\n",
	.tail =
"\n"
"Signals: SIGUSR1 prints statistics to the log; SIGINT/SIGTERM exit cleanly.\n"
"Prints \"mcbridged: ready ...\" on stdout once every mapping is subscribed or\n"
"waiting for its family, and sends READY=1 to $NOTIFY_SOCKET when set.\n"
"Exit status: 0 on a clean exit, 1 on a runtime failure, 2 on bad usage.\n",
	.arg_word = "value",
	.version = print_version,
	.opts = options,
};

enum mcb_opt_result mcb_options_parse(struct mcb_options *o, int argc,
				      char **argv, FILE *out, FILE *err)
{
	struct parse_state st;
	enum mcb_opt_result r;

	memset(&st, 0, sizeof(st));
	st.o.rcvbuf = MCB_BRIDGE_DEFAULT_RCVBUF;
	st.o.send_queue = MCB_BRIDGE_DEFAULT_SEND_QUEUE;
	st.o.max_datagram = MCB_WIRE_MAX_DATAGRAM;
	st.o.batch = MCB_BRIDGE_DEFAULT_BATCH;
	st.d.group.in.sin_family = AF_INET;
	inet_pton(AF_INET, MCB_DEFAULT_GROUP, &st.d.group.in.sin_addr);
	inet_pton(AF_INET, MCB_DEFAULT_IFACE, &st.d.iface);
	st.d.port = MCB_DEFAULT_PORT;
	st.d.ttl = MCB_DEFAULT_TTL;
	st.d.format = MCB_FMT_JSON;
	st.o.history = MCB_BRIDGE_DEFAULT_HISTORY;
	st.o.tail_ms = MCB_BRIDGE_DEFAULT_TAIL_MS;
	st.o.repair = true;
	st.o.repair_addr.in.sin_family = AF_INET;
	st.o.repair_addr.in.sin_port = htons(MCB_DEFAULT_REPAIR_PORT);
	inet_pton(AF_INET, MCB_DEFAULT_REPAIR_ADDR,
		  &st.o.repair_addr.in.sin_addr);
	st.o.repair_rate = MCB_BRIDGE_DEFAULT_REPAIR_RATE;
	st.o.repair_rate_total = MCB_BRIDGE_DEFAULT_REPAIR_RATE_TOTAL;

	r = mcb_opt_parse(&table, argc, argv, &st, out, err);
	*o = st.o;
	if (r != MCB_OPT_RUN)
		return r;

	/* The MAC trailer must fit next to an event's fixed fields. */
	if (o->key_file && o->max_datagram < MCB_MIN_DATAGRAM +
					     MCB_JSON_AUTH_EXTRA)
		return mcb_opt_fail(&table, err, "--max-datagram must be at "
				    "least %zu with --key", MCB_MIN_DATAGRAM +
				    MCB_JSON_AUTH_EXTRA);
	/* Two of the largest datagrams at least: one alone is no history. */
	if (o->history && (o->history < MCB_HISTORY_MIN ||
			   o->history < 2 * mcb_history_rec_size(o->max_datagram)))
		return mcb_opt_fail(&table, err, "--history must be 0, or at "
				    "least %u and twice --max-datagram (%zu)",
				    MCB_HISTORY_MIN,
				    2 * mcb_history_rec_size(o->max_datagram));
	if (st.n_specs == 0 || st.want_default) {
		struct mcb_map_cfg m;

		init_map(&m, &st.d);
		strcpy(m.family, MCBRIDGE_GENL_NAME);
		strcpy(m.group, MCBRIDGE_MCGRP_EVENTS);
		if (finish_map(&m, "the default mapping", err) ||
		    add_map(o, &m, err))
			return MCB_OPT_ERROR;
	}
	for (size_t i = 0; i < st.n_specs; i++) {
		struct mcb_map_cfg m;

		if (parse_map(st.specs[i], &st.d, &m, err) ||
		    add_map(o, &m, err))
			return MCB_OPT_ERROR;
	}
	return MCB_OPT_RUN;
}
