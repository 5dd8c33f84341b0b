/* SPDX-License-Identifier: MIT */
/* mcbridge-listen internals: options (options.c) and the receive loop
 * (listen.c), split from main.c so that the tests can drive them. */
#ifndef MCBRIDGE_LISTEN_H
#define MCBRIDGE_LISTEN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <mcbridge/auth.h>

#include "lib/opttab.h"
#include "mcbridge_client.h"

#define MCB_LISTEN_NAME		"mcbridge-listen"
#define MCB_MAX_LINGER_US	100000

/* --type bit for events of other families (no mcbridge type). */
#define MCB_TYPE_OTHER		MCB_FILTER_TYPE_OTHER

struct listen_opts {
	struct mcb_listen_cfg cfg;
	const char *group_str;
	const char *iface_str;
	uint64_t count;		/* events to print, 0 = no limit */
	uint64_t timeout_ms;	/* 0 = none */
	enum mcb_format format;
	/* --type, --family: checked on every event, and (unless
	 * --no-kernel-filter) attached to the socket as a BPF filter */
	struct mcb_filter filter;
	bool no_kernel_filter;
	bool human;
	bool latency;
	int ready_fd;		/* -1 = none */
	uint32_t linger_us;	/* pause after reading, 0 = none */
	const char *key_file;	/* --key: accept only authenticated datagrams */
	/* --repair, --last, --since: lossless, through the bridge's repair
	 * channel (mcbridge_client.h's mcb_repair_*). */
	bool repair;
	const char *repair_addr;	/* --repair-addr, as given */
	struct sockaddr_storage repair_to;
	uint64_t last;		/* --last N: history first */
	uint64_t since;		/* --since SEQ */
	size_t repair_buffer;	/* --repair-buffer */
};

/* listen_opts_parse()'s results (lib/opttab.h's). */
enum {
	OPTS_RUN = MCB_OPT_RUN,
	OPTS_EXIT_OK = MCB_OPT_EXIT_OK,
	OPTS_USAGE = MCB_OPT_ERROR,
};

/* Fills *o.  Help and version go to out, errors to err. */
int listen_opts_parse(struct listen_opts *o, int argc, char **argv,
		      FILE *out, FILE *err);

/* What the signal handlers set: the only global state. */
struct listen_signals {
	volatile sig_atomic_t stop;	/* SIGINT, SIGTERM */
	volatile sig_atomic_t report;	/* SIGUSR1: the summary so far */
};

/* Runs until count, timeout or sig->stop; returns 0, or -errno with the
 * failure reported on stderr.  With a key (NULL: none), datagrams that
 * fail mcb_auth_verify or the replay window are dropped and counted. */
int listen_run(const struct listen_opts *o, const struct mcb_key *key,
	       struct listen_signals *sig, const sigset_t *wait_mask);

#endif /* MCBRIDGE_LISTEN_H */
