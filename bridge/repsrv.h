/* SPDX-License-Identifier: MIT */
/*
 * The repair channel's server (format: mcbridge/wire.h): requests on one
 * unicast UDP socket, answered from the mappings' histories to the asking
 * address only, paced by token buckets per requester and in total.
 */
#ifndef MCB_REPSRV_H
#define MCB_REPSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mcbridge/auth.h>
#include <mcbridge/repair.h>

#include "lib/mcaddr.h"
#include "log.h"
#include "tbucket.h"

struct mcb_mapping;

/* Requesters remembered (each with its bucket and pending answer). */
#define MCB_REPAIR_CLIENTS	64
/* DATA messages are filled up to about this many bytes. */
#define MCB_REPAIR_MSG_TARGET	32768
/* Requests one requester may make per second, and in a burst: a listener
 * asks once per gap and per timeout, a flood is dropped. */
#define MCB_REPAIR_REQ_RATE	200
#define MCB_REPAIR_REQ_BURST	50
/* Requests read per wake-up, so a flood cannot hold up the events. */
#define MCB_REPAIR_RECV_BATCH	64

struct mcb_repsrv_stats {
	uint64_t requests;	/* valid requests taken */
	uint64_t malformed;	/* not a request */
	uint64_t unsigned_;	/* --key: no MAC */
	uint64_t bad_mac;	/* --key: forged or altered */
	uint64_t replayed;	/* --key: a (session, req_seq) seen before */
	uint64_t auth_errors;
	uint64_t refused;	/* answered: another run, no mapping, ... */
	uint64_t throttled;	/* dropped: over the requester's request rate */
	uint64_t busy;		/* refused: every requester slot in use */
	uint64_t superseded;	/* answers cut short by a newer request */
	uint64_t resent;	/* datagrams sent again */
	uint64_t unrepairable;	/* asked for, no longer held */
	uint64_t messages;	/* DATA and END sent */
	uint64_t bytes;		/* their bytes */
	uint64_t send_errors;
	uint64_t recv_errors;
};

struct mcb_repsrv_client {
	union mcb_addr from;
	bool used;
	uint64_t active_ns;	/* last request: who is evicted first */
	struct mcb_tbucket tb;	/* answer bytes */
	struct mcb_tbucket req;	/* requests, 1 token each */
	bool pending;		/* an answer is being sent */
	struct mcb_mapping *map;
	struct mcb_repair_msg ans;	/* END as it will be sent */
	uint64_t next;		/* next seq to resend */
	uint64_t until;		/* last seq to resend */
};

struct mcb_repsrv {
	int fd;
	union mcb_addr addr;
	const struct mcb_log *log;
	struct mcb_auth *auth;	/* --key; NULL: requests are not signed */
	struct mcb_replay replay;	/* (session, req_seq) with a key */
	uint64_t rate, burst;
	struct mcb_tbucket total;
	struct mcb_mapping *maps;
	size_t n_maps;
	uint32_t run;
	unsigned rr;		/* round-robin start of the next pump */
	unsigned char *buf;	/* one message, MCB_WIRE_MAX_DATAGRAM */
	struct mcb_repsrv_client cl[MCB_REPAIR_CLIENTS];
	struct mcb_repsrv_stats st;
};

/*
 * Bind the socket (non-blocking).  rate and total: bytes per second of
 * answers per requester and for all.  Returns 0, or -errno logged, but
 * -EADDRINUSE (another process has the port), left to the caller.
 */
int mcb_repsrv_open(struct mcb_repsrv *s, const union mcb_addr *addr,
		    uint64_t rate, uint64_t total, const struct mcb_log *lg);
void mcb_repsrv_close(struct mcb_repsrv *s);
/* The mappings answered for, all of bridge run run. */
void mcb_repsrv_set_maps(struct mcb_repsrv *s, struct mcb_mapping *maps,
			 size_t n_maps, uint32_t run);

/* Take up to MCB_REPAIR_RECV_BATCH requests.  Returns 1 when more may be
 * queued, 0 when drained, -errno on a receive error (logged). */
int mcb_repsrv_recv(struct mcb_repsrv *s, uint64_t now_ns);
/* Handle one request from from (exposed for tests). */
void mcb_repsrv_request(struct mcb_repsrv *s, const void *buf,
			size_t len, const union mcb_addr *from,
			uint64_t now_ns);
/*
 * Send what the buckets allow now.  Returns 0 when no answer is pending,
 * else the nanoseconds until more can go.
 */
uint64_t mcb_repsrv_pump(struct mcb_repsrv *s, uint64_t now_ns);
/* Requesters with an answer pending. */
unsigned mcb_repsrv_pending(const struct mcb_repsrv *s);

#endif /* MCB_REPSRV_H */
