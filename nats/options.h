/* SPDX-License-Identifier: MIT */
/*
 * mcbridge-nats command lines (lib/opttab.h tables): the forwarder's and
 * the reader's (`mcbridge-nats sub`), which share the connection options.
 */
#ifndef MCBN_OPTIONS_H
#define MCBN_OPTIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "mcbridge_client.h"
#include "lib/mcaddr.h"
#include "lib/opttab.h"
#include "subject.h"

#define MCBN_NAME		"mcbridge-nats"
#define MCBN_MAX_LISTEN		8
#define MCBN_DEFAULT_SERVER	"nats://127.0.0.1:4222"
#define MCBN_DEFAULT_PREFIX	"mcbridge"
#define MCBN_INSTANCE_MAX	64
#define MCBN_HOST_MAX		253	/* a DNS name */

/* How the forwarder reaches NATS; the reader too. */
struct mcbn_conn_opts {
	const char *servers;		/* "URL[,URL]..." */
	const char *name;		/* the connection's name, NULL: ours */
	bool tls;			/* tls:// also turns it on */
	const char *tls_ca, *tls_cert, *tls_key, *tls_hostname;
	const char *creds;		/* a .creds file (JWT and NKey seed) */
	const char *nkey, *nkey_seed;	/* an NKey: public key, seed file */
	uint64_t reconnect_min_ms, reconnect_max_ms;	/* back-off */
	/* The files as paths: "cred:NAME" is a systemd credential. */
	char tls_ca_path[PATH_MAX], tls_cert_path[PATH_MAX];
	char tls_key_path[PATH_MAX], creds_path[PATH_MAX];
	char nkey_seed_path[PATH_MAX];
};

/* The payload published: JSON (binary datagrams rendered), or the
 * datagram's bytes as the bridge sent them. */
enum mcbn_payload { MCBN_PAYLOAD_JSON = 0, MCBN_PAYLOAD_BINARY = 1 };

/* A stream setting left out: not checked, JetStream's default. */
#define MCBN_UNSET	0

struct mcbn_listen {
	struct mcb_listen_cfg cfg;
	char where[MCB_ADDRSTRLEN];	/* "ADDR:PORT" for messages */
	char instance[MCBN_INSTANCE_MAX + 1];	/* of Nats-Msg-Id */
};

struct mcbn_fwd_opts {
	struct mcbn_conn_opts conn;
	const char *listen_arg[MCBN_MAX_LISTEN];
	unsigned n_listen;
	struct mcbn_listen listen[MCBN_MAX_LISTEN];
	const char *iface_str;
	int rcvbuf;
	const char *key_file;
	const char *host;		/* as given, or the host name */
	char host_token[MCBN_TOKEN_MAX];	/* its subject token */
	char host_buf[MCBN_HOST_MAX + 1];
	const char *prefix;
	const char *instance;		/* NULL: each group's ADDR:PORT */
	uint8_t payload;		/* enum mcbn_payload */
	/* JetStream: NULL for core NATS. */
	const char *stream;
	uint64_t replicas;		/* MCBN_UNSET or 1..5 */
	uint8_t retention;		/* MCBN_UNSET or 1 + jsRetentionPolicy */
	uint8_t storage;		/* MCBN_UNSET or 1 + jsStorageType */
	uint64_t max_age_s, max_bytes, dup_window_s;
	bool no_create;
	uint64_t ack_wait_ms, max_inflight;
	uint64_t buffer;		/* bytes held while NATS lags */
	/* The bridge's repair channel: on by default with JetStream. */
	bool repair, no_repair;
	const char *repair_addr;
	struct sockaddr_storage repair_to;
	uint64_t repair_buffer;
	uint64_t drain_timeout_s;
	bool use_syslog, verbose;
};

struct mcbn_sub_opts {
	struct mcbn_conn_opts conn;
	const char *subject;
	const char *stream;		/* replay it from its start */
	uint64_t count, timeout_s;
	bool human;
};

/* Fill *o; help and version to out, errors to err; MCB_OPT_* results. */
int mcbn_fwd_opts_parse(struct mcbn_fwd_opts *o, int argc, char **argv,
			FILE *out, FILE *err);
int mcbn_sub_opts_parse(struct mcbn_sub_opts *o, int argc, char **argv,
			FILE *out, FILE *err);

#endif
