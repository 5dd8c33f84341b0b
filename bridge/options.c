// SPDX-License-Identifier: MIT
/* Command line parsing: getopt_long, every value checked before the run. */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mcbridge.h>
#include <mcbridge/optname.h>

#include "privdrop.h"

static const char usage_text[] =
"Usage: mcbridged [OPTION]...\n"
"Bridge generic netlink multicast events to IPv4 multicast UDP datagrams.\n"
"\n"
"  -m, --map FAMILY/GROUP[=ADDR[:PORT]][,format=json|binary][,iface=ADDR][,ttl=N]\n"
"                         bridge genetlink FAMILY's multicast GROUP (repeatable);\n"
"                         unset parts take the defaults below.  With any --map\n"
"                         the default mapping mcbridge/events is only added\n"
"                         with --default-map\n"
"  -D, --default-map      also bridge mcbridge/events (the default without --map)\n"
"  -g, --group ADDR       default multicast address (" MCB_DEFAULT_GROUP ")\n"
"  -p, --port PORT        default UDP port (%d)\n"
"  -i, --iface ADDR       default sending interface by address (" MCB_DEFAULT_IFACE ")\n"
"  -t, --ttl N            default multicast TTL, 0..255 (%d)\n"
"  -f, --format FMT       default wire format: json or binary (json)\n"
"  -r, --rcvbuf BYTES     netlink receive buffer, K/M/G suffix allowed (32M)\n"
"  -s, --max-datagram N   largest datagram, %d..%d (%d); larger events are\n"
"                         truncated and flagged\n"
"  -b, --batch N          messages per recvmmsg/sendmmsg, 1..%d (%d)\n"
"  -k, --key FILE         authenticate every datagram with HMAC-SHA256 under\n"
"                         this key (16..64 bytes, raw or hex; the file must\n"
"                         not be accessible to group or others)\n"
"  -u, --user NAME        when started as root, run as NAME once the sockets\n"
"                         are open (default: " MCB_DEFAULT_USER " if it exists, else\n"
"                         " MCB_FALLBACK_USER "), with no capabilities\n"
"      --syslog           log to syslog instead of stderr\n"
"  -v, --verbose          log debug messages\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Signals: SIGUSR1 prints statistics to the log; SIGINT/SIGTERM exit cleanly.\n"
"Prints \"mcbridged: ready ...\" on stdout once every mapping is subscribed or\n"
"waiting for its family, and sends READY=1 to $NOTIFY_SOCKET when set.\n"
"Exit status: 0 on a clean exit, 1 on a runtime failure, 2 on bad usage.\n";

const char *mcb_format_name(enum mcb_format f)
{
	return f == MCB_FMT_BINARY ? "binary" : "json";
}

/* Parses an unsigned decimal in [min, max]; rejects signs, junk and overflow. */
static int parse_uint(const char *s, unsigned long long min,
		      unsigned long long max, unsigned long long *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		return -1;
	return 0;
}

static int parse_size(const char *s, unsigned long long *v)
{
	char *end;
	unsigned long long mul = 1;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	default: return -1;
	}
	if (*end || *v > ULLONG_MAX / mul)
		return -1;
	*v *= mul;
	return 0;
}

static int parse_mcast(const char *s, struct in_addr *a)
{
	if (inet_pton(AF_INET, s, a) != 1)
		return -1;
	return IN_MULTICAST(ntohl(a->s_addr)) ? 0 : -2;
}

static int parse_format(const char *s, enum mcb_format *f)
{
	if (strcmp(s, "json") == 0)
		*f = MCB_FMT_JSON;
	else if (strcmp(s, "binary") == 0)
		*f = MCB_FMT_BINARY;
	else
		return -1;
	return 0;
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
	struct in_addr group;
	unsigned port;
	struct in_addr iface;
	int ttl;
	enum mcb_format format;
};

static void init_map(struct mcb_map_cfg *m, const struct defaults *d)
{
	memset(m, 0, sizeof(*m));
	m->dest.sin_family = AF_INET;
	m->dest.sin_addr = d->group;
	m->dest.sin_port = htons((uint16_t)d->port);
	m->iface = d->iface;
	m->ttl = d->ttl;
	m->format = d->format;
}

/* FAMILY/GROUP[=ADDR[:PORT]][,key=value]... */
static int parse_map(const char *spec, const struct defaults *d,
		     struct mcb_map_cfg *m, FILE *err)
{
	char buf[256];
	char *opts, *dest, *slash, *tok, *save;
	unsigned long long v;

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

		if (colon) {
			*colon = '\0';
			if (parse_uint(colon + 1, 1, 65535, &v)) {
				fprintf(err, "mcbridged: --map '%s': bad port '%s'\n",
					spec, colon + 1);
				return -1;
			}
			m->dest.sin_port = htons((uint16_t)v);
		}
		if (*dest) {
			int r = parse_mcast(dest, &m->dest.sin_addr);

			if (r) {
				fprintf(err, "mcbridged: --map '%s': '%s' is %s\n",
					spec, dest, r == -1 ?
					"not an IPv4 address" :
					"not an IPv4 multicast address");
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
			if (parse_format(val, &m->format)) {
				fprintf(err, "mcbridged: --map '%s': format must "
					"be json or binary\n", spec);
				return -1;
			}
		} else if (strcmp(tok, "iface") == 0) {
			if (inet_pton(AF_INET, val, &m->iface) != 1) {
				fprintf(err, "mcbridged: --map '%s': iface '%s' "
					"is not an IPv4 address\n", spec, val);
				return -1;
			}
		} else if (strcmp(tok, "ttl") == 0) {
			if (parse_uint(val, 0, 255, &v)) {
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
	return 0;
}

static int add_map(struct mcb_options *o, const struct mcb_map_cfg *m,
		   FILE *err)
{
	for (size_t i = 0; i < o->n_maps; i++) {
		const struct mcb_map_cfg *x = &o->maps[i];

		if (strcmp(x->family, m->family) == 0 &&
		    strcmp(x->group, m->group) == 0 &&
		    x->dest.sin_addr.s_addr == m->dest.sin_addr.s_addr &&
		    x->dest.sin_port == m->dest.sin_port) {
			fprintf(err, "mcbridged: mapping %s/%s to %s:%u given "
				"twice\n", m->family, m->group,
				inet_ntoa(m->dest.sin_addr),
				ntohs(m->dest.sin_port));
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

enum {
	OPT_SYSLOG = 0x100,
};

enum mcb_opt_result mcb_options_parse(struct mcb_options *o, int argc,
				      char **argv, FILE *out, FILE *err)
{
	static const struct option longopts[] = {
		{ "map",	  required_argument, NULL, 'm' },
		{ "default-map",  no_argument,	     NULL, 'D' },
		{ "group",	  required_argument, NULL, 'g' },
		{ "port",	  required_argument, NULL, 'p' },
		{ "iface",	  required_argument, NULL, 'i' },
		{ "ttl",	  required_argument, NULL, 't' },
		{ "format",	  required_argument, NULL, 'f' },
		{ "rcvbuf",	  required_argument, NULL, 'r' },
		{ "max-datagram", required_argument, NULL, 's' },
		{ "batch",	  required_argument, NULL, 'b' },
		{ "key",	  required_argument, NULL, 'k' },
		{ "user",	  required_argument, NULL, 'u' },
		{ "syslog",	  no_argument,	     NULL, OPT_SYSLOG },
		{ "verbose",	  no_argument,	     NULL, 'v' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ "version",	  no_argument,	     NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	/* Mappings are built after all options: defaults apply in any order. */
	const char *specs[MCB_MAX_MAPS];
	size_t n_specs = 0;
	bool want_default = false;
	struct defaults d;
	char name[64];
	unsigned long long v;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->rcvbuf = MCB_DEFAULT_RCVBUF;
	o->max_datagram = MCB_WIRE_MAX_DATAGRAM;
	o->batch = MCB_DEFAULT_BATCH;
	memset(&d, 0, sizeof(d));
	inet_pton(AF_INET, MCB_DEFAULT_GROUP, &d.group);
	inet_pton(AF_INET, MCB_DEFAULT_IFACE, &d.iface);
	d.port = MCB_DEFAULT_PORT;
	d.ttl = MCB_DEFAULT_TTL;
	d.format = MCB_FMT_JSON;

	optind = 0;	/* GNU: full reinitialisation, for repeated calls */
	opterr = 0;	/* our own messages, to err */
	while ((c = getopt_long(argc, argv, ":m:Dg:p:i:t:f:r:s:b:k:u:vhV",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (n_specs == MCB_MAX_MAPS) {
				fprintf(err, "mcbridged: at most %d mappings\n",
					MCB_MAX_MAPS);
				return MCB_OPT_ERROR;
			}
			specs[n_specs++] = optarg;
			break;
		case 'D':
			want_default = true;
			break;
		case 'g':
			r = parse_mcast(optarg, &d.group);
			if (r) {
				fprintf(err, "mcbridged: --group '%s' is %s\n",
					optarg, r == -1 ?
					"not an IPv4 address" :
					"not an IPv4 multicast address");
				return MCB_OPT_ERROR;
			}
			break;
		case 'p':
			if (parse_uint(optarg, 1, 65535, &v)) {
				fprintf(err, "mcbridged: --port '%s': expected "
					"1..65535\n", optarg);
				return MCB_OPT_ERROR;
			}
			d.port = (unsigned)v;
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &d.iface) != 1) {
				fprintf(err, "mcbridged: --iface '%s' is not an "
					"IPv4 address\n", optarg);
				return MCB_OPT_ERROR;
			}
			break;
		case 't':
			if (parse_uint(optarg, 0, 255, &v)) {
				fprintf(err, "mcbridged: --ttl '%s': expected "
					"0..255\n", optarg);
				return MCB_OPT_ERROR;
			}
			d.ttl = (int)v;
			break;
		case 'f':
			if (parse_format(optarg, &d.format)) {
				fprintf(err, "mcbridged: --format '%s': expected "
					"json or binary\n", optarg);
				return MCB_OPT_ERROR;
			}
			break;
		case 'r':
			if (parse_size(optarg, &v) || v < 4096 || v > INT_MAX) {
				fprintf(err, "mcbridged: --rcvbuf '%s': expected "
					"4096..%d bytes (K/M/G suffix)\n",
					optarg, INT_MAX);
				return MCB_OPT_ERROR;
			}
			o->rcvbuf = (size_t)v;
			break;
		case 's':
			if (parse_uint(optarg, MCB_MIN_DATAGRAM,
				       MCB_WIRE_MAX_DATAGRAM, &v)) {
				fprintf(err, "mcbridged: --max-datagram '%s': "
					"expected %d..%d\n", optarg,
					MCB_MIN_DATAGRAM, MCB_WIRE_MAX_DATAGRAM);
				return MCB_OPT_ERROR;
			}
			o->max_datagram = (size_t)v;
			break;
		case 'b':
			if (parse_uint(optarg, 1, MCB_MAX_BATCH, &v)) {
				fprintf(err, "mcbridged: --batch '%s': expected "
					"1..%d\n", optarg, MCB_MAX_BATCH);
				return MCB_OPT_ERROR;
			}
			o->batch = (unsigned)v;
			break;
		case 'k':
			o->key_file = optarg;
			break;
		case 'u':
			if (!*optarg) {
				fprintf(err, "mcbridged: --user: empty name\n");
				return MCB_OPT_ERROR;
			}
			o->user = optarg;
			break;
		case OPT_SYSLOG:
			o->use_syslog = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fprintf(out, usage_text, MCB_DEFAULT_PORT,
				MCB_DEFAULT_TTL, MCB_MIN_DATAGRAM,
				MCB_WIRE_MAX_DATAGRAM, MCB_WIRE_MAX_DATAGRAM,
				MCB_MAX_BATCH, MCB_DEFAULT_BATCH);
			return MCB_OPT_EXIT_OK;
		case 'V':
			fprintf(out, "mcbridged %s (wire format %d, mcbridge "
				"genl version %d)\n", MCB_VERSION,
				MCB_WIRE_VERSION, MCBRIDGE_GENL_VERSION);
			return MCB_OPT_EXIT_OK;
		case ':':
			fprintf(err, "mcbridged: option '%s' needs a value\n",
				mcb_opt_name(name, sizeof(name), argv,
					     longopts));
			fprintf(err, "Try 'mcbridged --help'.\n");
			return MCB_OPT_ERROR;
		default:
			mcb_opt_name(name, sizeof(name), argv, longopts);
			if (optopt && mcb_opt_is_long(argv[optind - 1],
						      longopts, optopt))
				fprintf(err, "mcbridged: option '%s' takes "
					"no value\n", name);
			else
				fprintf(err, "mcbridged: unknown option "
					"'%s'\n", name);
			fprintf(err, "Try 'mcbridged --help'.\n");
			return MCB_OPT_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(err, "mcbridged: unexpected argument '%s'\n",
			argv[optind]);
		fprintf(err, "Try 'mcbridged --help'.\n");
		return MCB_OPT_ERROR;
	}

	/* The MAC trailer must fit next to an event's fixed fields. */
	if (o->key_file && o->max_datagram < MCB_MIN_DATAGRAM +
					     MCB_JSON_AUTH_EXTRA) {
		fprintf(err, "mcbridged: --max-datagram must be at least %zu "
			"with --key\n", MCB_MIN_DATAGRAM + MCB_JSON_AUTH_EXTRA);
		return MCB_OPT_ERROR;
	}
	if (n_specs == 0 || want_default) {
		struct mcb_map_cfg m;

		init_map(&m, &d);
		strcpy(m.family, MCBRIDGE_GENL_NAME);
		strcpy(m.group, MCBRIDGE_MCGRP_EVENTS);
		if (add_map(o, &m, err))
			return MCB_OPT_ERROR;
	}
	for (size_t i = 0; i < n_specs; i++) {
		struct mcb_map_cfg m;

		if (parse_map(specs[i], &d, &m, err) || add_map(o, &m, err))
			return MCB_OPT_ERROR;
	}
	return MCB_OPT_RUN;
}
