/* SPDX-License-Identifier: MIT */
/* The event loop: netlink sources -> encoders -> multicast sinks. */
#ifndef MCB_LOOP_H
#define MCB_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <mcbridge/auth.h>

#include "event.h"
#include "history.h"
#include "log.h"
#include "mcsink.h"
#include "nlctrl.h"
#include "nlsource.h"
#include "options.h"
#include "repsrv.h"

typedef size_t (*mcb_sign_fn)(struct mcb_auth *a, void *buf, size_t len,
			      size_t cap, bool binary, uint64_t epoch);

struct mcb_mapping {
	const struct mcb_map_cfg *cfg;
	size_t max_datagram;
	mcb_encode_fn encode;
	struct mcb_enc_prep prep;	/* the names in their wire forms */
	struct mcb_nlsrc src;
	struct mcb_sink sink;
	uint64_t bridge_seq;	/* last sent; +1 per datagram */
	uint32_t run;		/* random, non-zero, per start (wire.h) */
	/* --key (sign.c): mcb_auth_sign, or NULL for plain datagrams; by
	 * pointer so that users of the loop without keys need no libcrypto. */
	mcb_sign_fn sign;
	struct mcb_auth *auth;
	uint64_t epoch;		/* random per start (mcbridge/wire.h) */
	uint64_t truncated;
	uint64_t encode_errors;
	/* --history: what was sent, for the repair channel (history.h). */
	struct mcb_history hist;
	/* --tail-ms: when the last datagram went, and the tails sent. */
	uint64_t last_tx_ns;
	uint64_t tails;
	uint64_t tail_errors;
	bool check;		/* nlctrl said something about our family */
	bool force;		/* ... that our subscribed family went away */
	unsigned check_drains;	/* bounded drains while checking */
	bool open;
};

struct mcb_loop {
	const struct mcb_options *opt;
	const struct mcb_log *log;
	struct mcb_ctrl ctrl;
	bool ctrl_open;
	struct mcb_nl_ops ops;
	struct mcb_mapping maps[MCB_MAX_MAPS];
	size_t n_maps;
	int epfd;
	int sigfd;
	int tailfd;		/* timerfd: --tail-ms / 4; -1 without tails */
	struct mcb_repsrv rep;	/* --repair */
	bool rep_open;
	int repfd;		/* timerfd: the next paced answer */
};

/*
 * Open every socket and subscribe what exists.  SIGINT, SIGTERM and SIGUSR1
 * must be blocked already.  Returns 0, or -errno with the failure logged;
 * -EADDRNOTAVAIL, -ENODEV and -EINVAL come from a sending interface this
 * host cannot send from (a setting).
 */
int mcb_loop_init(struct mcb_loop *l, const struct mcb_options *o,
		  const struct mcb_log *lg);
/*
 * Sign every mapping's datagrams with auth from now on, each mapping with
 * its own random epoch (sign.c).  Returns 0, or -errno without randomness.
 */
int mcb_loop_auth(struct mcb_loop *l, struct mcb_auth *auth);
/* Readiness line on out (flushed) and READY=1 to $NOTIFY_SOCKET. */
void mcb_loop_ready(struct mcb_loop *l, FILE *out);
/* Until SIGINT/SIGTERM: returns 0, or -errno on a fatal error (logged). */
int mcb_loop_run(struct mcb_loop *l);
void mcb_loop_stats(struct mcb_loop *l, const char *what);
void mcb_loop_fini(struct mcb_loop *l);

/* nlctrl callback (mcb_family_fn): mark the mappings to check (exposed
 * for tests). */
void mcb_loop_on_family(void *ctx, const char *family, int family_id,
			uint8_t cmd);
/*
 * Drain and re-sync the marked mappings, a bounded amount per call
 * (exposed for tests).  Returns 0 when all are synced, 1 when some are
 * still draining (call again soon), -errno on a fatal receive error.
 */
int mcb_loop_families(struct mcb_loop *l);

/* A mapping's settings from the options, before its sockets are opened
 * (exposed for the benchmarks, which open them as the loop does). */
void mcb_mapping_init(struct mcb_mapping *m, const struct mcb_map_cfg *c,
		      size_t max_datagram, uint32_t run);

/* Encode ev and queue it on the mapping's sink (exposed for tests). */
void mcb_mapping_emit(void *ctx, struct mcb_nl_event *ev);
/*
 * Send a tail datagram for every mapping idle for --tail-ms at now_ns
 * (exposed for tests).  Returns how many were sent.
 */
unsigned mcb_loop_tails(struct mcb_loop *l, uint64_t now_ns);

#endif
