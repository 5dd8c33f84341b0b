/* SPDX-License-Identifier: MIT */
/* mcbridge-nats command lines, by table (lib/opttab.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include "lib/cred.h"
#include "options.h"
#include "url.h"

static const char *const payload_names[] = { "json", "binary", NULL };
/* After MCBN_UNSET, in the order of libnats' jsRetentionPolicy and
 * jsStorageType. */
static const char *const retention_names[] = {
	"limits", "interest", "workqueue", NULL
};
static const char *const storage_names[] = { "file", "memory", NULL };

static void print_version(FILE *out)
{
	fprintf(out, MCBN_NAME " " MCB_VERSION " (wire format %d)\n",
		MCB_WIRE_VERSION);
}

static int add_listen(const struct mcb_opt *opt, const char *arg, void *cfg,
		      char *why, size_t why_size)
{
	struct mcbn_fwd_opts *o = cfg;

	(void)opt;
	if (o->n_listen == MCBN_MAX_LISTEN) {
		snprintf(why, why_size, "at most %d groups", MCBN_MAX_LISTEN);
		return -E2BIG;
	}
	o->listen_arg[o->n_listen++] = arg;
	return 0;
}

/* The connection rows of both commands; T is the options' type. */
#define CONN_ROWS(T)							\
	{ "server", 's', "URLS",					\
	  "NATS servers, comma-separated (default\n"			\
	  MCBN_DEFAULT_SERVER "): nats://, tls://,\n"		\
	  "USER:PASSWORD@ allowed",					\
	  mcb_opt_set_name, MCB_OPT_FIELD(T, conn.servers) },		\
	{ "tls", 0, NULL, "TLS even with nats:// URLs",		\
	  mcb_opt_set_flag, MCB_OPT_FIELD(T, conn.tls) },		\
	{ "tls-ca", 0, "FILE", "CA certificates to check the servers\n"	\
	  "(cred:NAME: a systemd credential, as every FILE)",		\
	  mcb_opt_set_name, MCB_OPT_FIELD(T, conn.tls_ca) },		\
	{ "tls-cert", 0, "FILE", "client certificate chain (with --tls-key)",\
	  mcb_opt_set_name, MCB_OPT_FIELD(T, conn.tls_cert) },		\
	{ "tls-key", 0, "FILE", "the client certificate's private key",	\
	  mcb_opt_set_name, MCB_OPT_FIELD(T, conn.tls_key) },		\
	{ "tls-hostname", 0, "NAME",					\
	  "the name the server certificate must carry",		\
	  mcb_opt_set_name, MCB_OPT_FIELD(T, conn.tls_hostname) },	\
	{ "creds", 0, "FILE",						\
	  "user credentials file (JWT and NKey seed)",		\
	  mcb_opt_set_name, MCB_OPT_FIELD(T, conn.creds) },		\
	{ "nkey", 0, "PUBKEY", "NKey user public key (with --nkey-seed)",	\
	  mcb_opt_set_name, MCB_OPT_FIELD(T, conn.nkey) },		\
	{ "nkey-seed", 0, "FILE", "the NKey's seed file",		\
	  mcb_opt_set_name, MCB_OPT_FIELD(T, conn.nkey_seed) },	\
	{ "name", 0, "NAME",						\
	  "connection name the servers show (default\n"		\
	  "the program's, and the host's)",				\
	  mcb_opt_set_name, MCB_OPT_FIELD(T, conn.name) },		\
	{ "reconnect-min", 0, "MS",					\
	  "first reconnect delay, doubled up to\n"			\
	  "--reconnect-max (default 100)",				\
	  mcb_opt_set_u64, MCB_OPT_FIELD(T, conn.reconnect_min_ms),	\
	  1, 3600000 },							\
	{ "reconnect-max", 0, "MS", "longest reconnect delay (default 5000)",\
	  mcb_opt_set_u64, MCB_OPT_FIELD(T, conn.reconnect_max_ms),	\
	  1, 3600000 }

#define F(member)	MCB_OPT_FIELD(struct mcbn_fwd_opts, member)

static const struct mcb_opt fwd_options[] = {
	{ "listen", 'l', "ADDR[:PORT]",
	  "multicast group to forward, IPv4 or IPv6 in\n"
	  "[brackets] with a port; repeat for more (default\n"
	  MCB_DEFAULT_GROUP ":" MCB_STR(MCB_DEFAULT_PORT) ")", .set = add_listen },
	{ "interface", 'i', "IF",
	  "local address or interface name to join on\n"
	  "(default " MCB_DEFAULT_IFACE "; IPv6: " MCB_DEFAULT_IFACE6 ")",
	  mcb_opt_set_name, F(iface_str) },
	{ "rcvbuf", 'r', "BYTES", "socket receive buffer (default 4M)",
	  mcb_opt_set_size, F(rcvbuf), 1, INT_MAX / 2 },
	{ "key", 'k', "FILE",
	  "forward only datagrams authenticated with this\n"
	  "key (mcbridged --key); others are counted",
	  mcb_opt_set_name, F(key_file) },
	{ "host", 0, "NAME",
	  "the host's subject token (default the host name)",
	  mcb_opt_set_name, F(host) },
	{ "prefix", 0, "SUBJECT",
	  "first tokens of every subject (default " MCBN_DEFAULT_PREFIX ")",
	  mcb_opt_set_name, F(prefix) },
	{ "instance", 0, "NAME",
	  "names the bridge mapping in Nats-Msg-Id (default\n"
	  "the group's ADDR:PORT; one --listen only)",
	  mcb_opt_set_name, F(instance) },
	{ "format", 'f', "F",
	  "payload: json (default; binary datagrams rendered)\n"
	  "or binary (datagrams as the bridge sent them)",
	  mcb_opt_set_choice, F(payload), .choices = payload_names },
	{ "jetstream", 'j', "STREAM",
	  "publish into this JetStream stream, acknowledged,\n"
	  "with Nats-Msg-Id (default: core NATS)",
	  mcb_opt_set_name, F(stream) },
	{ "replicas", 0, "N",
	  "the stream's replicas: created so, checked if set",
	  mcb_opt_set_u64, F(replicas), 1, 5 },
	{ "retention", 0, "POLICY",
	  "limits, interest or workqueue: created so,\n"
	  "checked if set (default limits)",
	  mcb_opt_set_choice, F(retention), 1, .choices = retention_names },
	{ "storage", 0, "TYPE", "file (default) or memory, for a new stream",
	  mcb_opt_set_choice, F(storage), 1, .choices = storage_names },
	{ "max-age", 0, "S", "a new stream keeps messages S seconds (0: no limit)",
	  mcb_opt_set_u64, F(max_age_s), 0, UINT32_MAX },
	{ "max-bytes", 0, "BYTES", "a new stream's size limit (0: none)",
	  mcb_opt_set_size, F(max_bytes), 0, INT64_MAX },
	{ "dup-window", 0, "S",
	  "a new stream's de-duplication window (default\n"
	  "120): longer than any outage the buffer rides out",
	  mcb_opt_set_u64, F(dup_window_s), 1, 604800 },
	{ "no-create", 0, NULL, "the stream must exist: only check it",
	  mcb_opt_set_flag, F(no_create) },
	{ "ack-wait", 0, "MS",
	  "resend what has no acknowledgement after MS\n"
	  "(default 2000)",
	  mcb_opt_set_u64, F(ack_wait_ms), 10, 600000 },
	{ "max-inflight", 0, "N",
	  "unacknowledged publishes at most (default 256)",
	  mcb_opt_set_u64, F(max_inflight), 1, 65536 },
	{ "buffer", 'b', "BYTES",
	  "events held while NATS lags or is away\n"
	  "(default 64M); beyond, events are dropped,\n"
	  "counted and announced",
	  mcb_opt_set_size, F(buffer), 256 << 10, (uint64_t)1 << 40 },
	{ "repair", 0, NULL,
	  "ask the bridge's repair channel for what the\n"
	  "group lost, and (with --jetstream) for what came\n"
	  "after the stream's last event of each group at\n"
	  "start; the default with --jetstream",
	  mcb_opt_set_flag, F(repair) },
	{ "no-repair", 0, NULL,
	  "forward what arrives, count the gaps (the\n"
	  "default for core NATS)",
	  mcb_opt_set_flag, F(no_repair) },
	{ "repair-addr", 0, "ADDR:PORT",
	  "the bridge's repair channel (" MCB_DEFAULT_REPAIR_ADDR ":"
	  MCB_STR(MCB_DEFAULT_REPAIR_PORT) ")",
	  mcb_opt_set_name, F(repair_addr) },
	{ "repair-buffer", 0, "BYTES",
	  "per group, events waiting for a gap to be filled\n"
	  "(8M); more are dropped and asked for again",
	  mcb_opt_set_size, F(repair_buffer), 256 * 1024, 1ull << 30 },
	{ "drain-timeout", 0, "S",
	  "on SIGTERM, publish what is held for at most S\n"
	  "seconds (default 10)",
	  mcb_opt_set_u64, F(drain_timeout_s), 0, 3600 },
	CONN_ROWS(struct mcbn_fwd_opts),
	{ "syslog", 0, NULL, "log to syslog instead of stderr",
	  mcb_opt_set_flag, F(use_syslog) },
	{ "verbose", 'v', NULL, "log debug messages too",
	  mcb_opt_set_flag, F(verbose) },
	{ "help", 'h', NULL, "this help", .set = mcb_opt_help },
	{ "version", 'V', NULL, "version", .set = mcb_opt_version },
	{ NULL },
};

#undef F

static const struct mcb_opttab fwd_table = {
	.prog = MCBN_NAME,
	.head =
"Usage: " MCBN_NAME " [OPTION]...\n"
"       " MCBN_NAME " sub [OPTION]...   (print events from NATS: sub --help)\n"
"Forward the events mcbridged multicasts to NATS, one message per event on\n"
"PREFIX.HOST.FAMILY.GROUP.TYPE, core NATS or JetStream (--jetstream).\n"
"\n",
	.tail =
"\n"
"Once every group is joined, \"" MCBN_NAME ": ready: ...\" goes to stdout and\n"
"READY=1 to $NOTIFY_SOCKET; events are held (--buffer) until NATS takes\n"
"them.  SIGUSR1 logs the counters; SIGTERM stops receiving, publishes what\n"
"is held (--drain-timeout) and exits.  Exit status: 0; 1 on a runtime error\n"
"or when held events could not be published; 2 on bad usage or a stream\n"
"that does not fit the settings.\n",
	.arg_word = "argument",
	.version = print_version,
	.opts = fwd_options,
};

#define S(member)	MCB_OPT_FIELD(struct mcbn_sub_opts, member)

static const struct mcb_opt sub_options[] = {
	{ "subject", 'S', "SUBJECT",
	  "subscribe to this subject, wildcards allowed\n"
	  "(default " MCBN_DEFAULT_PREFIX ".>)",
	  mcb_opt_set_name, S(subject) },
	{ "stream", 0, "STREAM",
	  "replay this JetStream stream from its first\n"
	  "message, then follow it",
	  mcb_opt_set_name, S(stream) },
	{ "count", 'c', "N", "exit after N events (0: no limit, the default)",
	  mcb_opt_set_u64, S(count), 0, UINT64_MAX },
	{ "timeout", 't', "S", "exit after S seconds (0: no limit, the default)",
	  mcb_opt_set_u64, S(timeout_s), 0, 1000000000 },
	{ "human", 'H', NULL, "human-readable lines instead of JSON",
	  mcb_opt_set_flag, S(human) },
	CONN_ROWS(struct mcbn_sub_opts),
	{ "help", 'h', NULL, "this help", .set = mcb_opt_help },
	{ "version", 'V', NULL, "version", .set = mcb_opt_version },
	{ NULL },
};

#undef S

static const struct mcb_opttab sub_table = {
	.prog = MCBN_NAME " sub",
	.head =
"Usage: " MCBN_NAME " sub [OPTION]...\n"
"Print the events mcbridge-nats forwarders publish, one line per event:\n"
"JSON as mcbridge-listen prints it with the \"host\" added, or human-readable.\n"
"\n",
	.tail =
"\n"
"Payloads that are no mcbridge datagram are reported on stderr, with a\n"
"summary at exit.  Exit status: 0 on count, timeout, SIGINT or SIGTERM; 1 on\n"
"a runtime error; 2 on bad usage.\n",
	.arg_word = "argument",
	.version = print_version,
	.opts = sub_options,
};

static void conn_defaults(struct mcbn_conn_opts *c)
{
	c->servers = MCBN_DEFAULT_SERVER;
	c->reconnect_min_ms = 100;
	c->reconnect_max_ms = 5000;
}

/* A file option given as "cred:NAME": the credential's path in buf,
 * which the option then names. */
static int cred_path(const struct mcb_opttab *t, const char *opt,
		     const char **spec, char *buf, size_t size, FILE *err)
{
	char why[256];

	if (!*spec)
		return MCB_OPT_RUN;
	if (mcb_cred_path(*spec, buf, size, why, sizeof(why)) < 0)
		return mcb_opt_fail(t, err, "%s %s", opt, why);
	*spec = buf;
	return MCB_OPT_RUN;
}

static int conn_check(const struct mcb_opttab *t, struct mcbn_conn_opts *c,
		      FILE *err)
{
	char why[256];
	int r;

	r = cred_path(t, "--tls-ca", &c->tls_ca, c->tls_ca_path,
		      sizeof(c->tls_ca_path), err);
	if (r == MCB_OPT_RUN)
		r = cred_path(t, "--tls-cert", &c->tls_cert, c->tls_cert_path,
			      sizeof(c->tls_cert_path), err);
	if (r == MCB_OPT_RUN)
		r = cred_path(t, "--tls-key", &c->tls_key, c->tls_key_path,
			      sizeof(c->tls_key_path), err);
	if (r == MCB_OPT_RUN)
		r = cred_path(t, "--creds", &c->creds, c->creds_path,
			      sizeof(c->creds_path), err);
	if (r == MCB_OPT_RUN)
		r = cred_path(t, "--nkey-seed", &c->nkey_seed,
			      c->nkey_seed_path, sizeof(c->nkey_seed_path),
			      err);
	if (r != MCB_OPT_RUN)
		return r;
	if (mcbn_urls_check(c->servers, why, sizeof(why)))
		return mcb_opt_fail(t, err, "--server: %s", why);
	if (!c->nkey != !c->nkey_seed)
		return mcb_opt_fail(t, err, "--nkey and --nkey-seed go "
				    "together");
	if (c->nkey && c->creds)
		return mcb_opt_fail(t, err, "--creds and --nkey exclude each "
				    "other");
	if (!c->tls_cert != !c->tls_key)
		return mcb_opt_fail(t, err, "--tls-cert and --tls-key go "
				    "together");
	if (c->reconnect_min_ms > c->reconnect_max_ms)
		return mcb_opt_fail(t, err, "--reconnect-min is above "
				    "--reconnect-max");
	return MCB_OPT_RUN;
}

/* Printable ASCII, no space, no excluded character. */
static bool plain(const char *s, const char *excluded)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    strchr(excluded, *s))
			return false;
	return true;
}

/* Group, port and interface of one --listen. */
static int listen_setup(const struct mcbn_fwd_opts *o, const char *arg,
			struct mcbn_listen *l, FILE *err)
{
	union mcb_addr a = { .in = { .sin_family = AF_INET } };
	char buf[MCB_ADDRSTRLEN];
	const char *what, *iface = o->iface_str;
	int bad = mcb_mcast_parse_port(arg, MCB_DEFAULT_PORT, &a, buf, &what);

	if (bad == -ERANGE)
		return mcb_opt_fail(&fwd_table, err, "--listen '%s': bad port "
				    "'%s' (1..65535)", arg, what);
	if (bad)
		return mcb_opt_fail(&fwd_table, err, "--listen '%s': '%s' is %s",
				    arg, what, mcb_mcast_strerror(what, bad));
	mcb_addr_str(&a, l->where);
	l->cfg.rcvbuf = o->rcvbuf;
	if (a.sa.sa_family == AF_INET6) {
		l->cfg.family = AF_INET6;
		l->cfg.group6 = a.in6.sin6_addr;
		l->cfg.port = ntohs(a.in6.sin6_port);
		if (!iface)
			iface = MCB_DEFAULT_IFACE6;
		l->cfg.iface_index = mcb_ifindex(iface);
		if (!l->cfg.iface_index)
			return mcb_opt_fail(&fwd_table, err, "no interface "
					    "'%s' (IPv6 groups join by "
					    "interface name or index)", iface);
	} else {
		l->cfg.group = a.in.sin_addr;
		l->cfg.port = ntohs(a.in.sin_port);
		if (!iface)
			iface = MCB_DEFAULT_IFACE;
		if (inet_pton(AF_INET, iface, &l->cfg.iface_addr) != 1) {
			l->cfg.iface_index = if_nametoindex(iface);
			if (!l->cfg.iface_index)
				return mcb_opt_fail(&fwd_table, err, "no "
						    "interface or local "
						    "address '%s'", iface);
		}
	}
	snprintf(l->instance, sizeof(l->instance), "%s",
		 o->instance ? o->instance : l->where);
	return MCB_OPT_RUN;
}

static int fwd_check(struct mcbn_fwd_opts *o, FILE *err)
{
	int r = conn_check(&fwd_table, &o->conn, err);
	char why[256];

	if (r != MCB_OPT_RUN)
		return r;
	if (strlen(o->prefix) > MCBN_PREFIX_MAX ||
	    mcbn_subject_check(o->prefix, false, why, sizeof(why)))
		return mcb_opt_fail(&fwd_table, err, "--prefix '%s': %s",
				    o->prefix, strlen(o->prefix) >
				    MCBN_PREFIX_MAX ? "too long" : why);
	if (o->stream && !mcbn_stream_name_ok(o->stream))
		return mcb_opt_fail(&fwd_table, err, "--jetstream '%s': not a "
				    "stream name (no '.', '*', '>', '/', "
				    "spaces)", o->stream);
	if (!o->stream && (o->replicas || o->retention || o->storage ||
			   o->max_age_s || o->max_bytes || o->no_create))
		return mcb_opt_fail(&fwd_table, err, "stream settings need "
				    "--jetstream");
	if (o->repair && o->no_repair)
		return mcb_opt_fail(&fwd_table, err, "--repair and --no-repair "
				    "exclude each other");
	/* With JetStream the stream is exactly once: the forwarder's own
	 * losses, and its restarts, are to be filled too.  Core NATS is
	 * at most once: there it is asked for. */
	if (!o->repair && !o->no_repair)
		o->repair = o->stream != NULL;
	if (o->repair) {
		union mcb_addr def = { .in = { .sin_family = AF_INET } }, to;

		if (mcb_hostport_parse(o->repair_addr, &def, &to) ||
		    (to.sa.sa_family == AF_INET && !to.in.sin_addr.s_addr))
			return mcb_opt_fail(&fwd_table, err, "--repair-addr "
					    "'%s': expected ADDR:PORT or "
					    "[IPV6]:PORT", o->repair_addr);
		memset(&o->repair_to, 0, sizeof(o->repair_to));
		memcpy(&o->repair_to, &to, mcb_addr_len(&to));
	}
	if (o->host) {
		if (strlen(o->host) > MCBN_HOST_MAX || !plain(o->host, ""))
			return mcb_opt_fail(&fwd_table, err, "--host '%s': "
					    "expected printable ASCII without "
					    "spaces, at most %d characters",
					    o->host, MCBN_HOST_MAX);
	} else {
		/* The name is the host's; an error here is one of
		 * settings: --host says it instead. */
		if (gethostname(o->host_buf, sizeof(o->host_buf)) < 0)
			return mcb_opt_fail(&fwd_table, err, "no host name "
					    "(%s): give --host", strerror(errno));
		o->host_buf[sizeof(o->host_buf) - 1] = '\0';
		o->host = o->host_buf;
	}
	mcbn_token(o->host_token, sizeof(o->host_token), o->host,
		   strlen(o->host));
	if (o->instance && (strlen(o->instance) > MCBN_INSTANCE_MAX ||
			    !plain(o->instance, "/")))
		return mcb_opt_fail(&fwd_table, err, "--instance '%s': "
				    "expected printable ASCII without spaces "
				    "or '/', at most %d characters",
				    o->instance, MCBN_INSTANCE_MAX);
	if (o->n_listen == 0)
		o->listen_arg[o->n_listen++] =
			MCB_DEFAULT_GROUP ":" MCB_STR(MCB_DEFAULT_PORT);
	if (o->instance && o->n_listen > 1)
		return mcb_opt_fail(&fwd_table, err, "--instance names one "
				    "group: give one --listen");
	for (unsigned i = 0; i < o->n_listen; i++) {
		r = listen_setup(o, o->listen_arg[i], &o->listen[i], err);
		if (r != MCB_OPT_RUN)
			return r;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(o->listen[j].where, o->listen[i].where))
				return mcb_opt_fail(&fwd_table, err, "--listen "
						    "%s given twice",
						    o->listen[i].where);
	}
	return MCB_OPT_RUN;
}

int mcbn_fwd_opts_parse(struct mcbn_fwd_opts *o, int argc, char **argv,
			FILE *out, FILE *err)
{
	int r;

	memset(o, 0, sizeof(*o));
	conn_defaults(&o->conn);
	o->rcvbuf = 4 << 20;
	o->prefix = MCBN_DEFAULT_PREFIX;
	o->payload = MCBN_PAYLOAD_JSON;
	o->dup_window_s = 120;
	o->ack_wait_ms = 2000;
	o->max_inflight = 256;
	o->buffer = 64 << 20;
	o->drain_timeout_s = 10;
	o->repair_addr = MCB_DEFAULT_REPAIR_ADDR ":"
			 MCB_STR(MCB_DEFAULT_REPAIR_PORT);
	o->repair_buffer = MCB_REPAIR_DEFAULT_BUFFER;
	r = mcb_opt_parse(&fwd_table, argc, argv, o, out, err);
	if (r != MCB_OPT_RUN)
		return r;
	return fwd_check(o, err);
}

int mcbn_sub_opts_parse(struct mcbn_sub_opts *o, int argc, char **argv,
			FILE *out, FILE *err)
{
	char why[256];
	int r;

	memset(o, 0, sizeof(*o));
	conn_defaults(&o->conn);
	o->subject = MCBN_DEFAULT_PREFIX ".>";
	r = mcb_opt_parse(&sub_table, argc, argv, o, out, err);
	if (r != MCB_OPT_RUN)
		return r;
	r = conn_check(&sub_table, &o->conn, err);
	if (r != MCB_OPT_RUN)
		return r;
	if (mcbn_subject_check(o->subject, true, why, sizeof(why)))
		return mcb_opt_fail(&sub_table, err, "--subject '%s': %s",
				    o->subject, why);
	if (o->stream && !mcbn_stream_name_ok(o->stream))
		return mcb_opt_fail(&sub_table, err, "--stream '%s': not a "
				    "stream name (no '.', '*', '>', '/', "
				    "spaces)", o->stream);
	return MCB_OPT_RUN;
}
