/* SPDX-License-Identifier: MIT */
/*
 * The connection to NATS (libnats), for the forwarder and the reader.
 *
 * The C client runs its own threads: it connects and reconnects (with our
 * back-off), and calls back on them.  The callbacks here only count, queue
 * JetStream acknowledgements and wake the owner's loop through an eventfd;
 * the loop's thread does all the rest, so the forwarder's state has one
 * owner.
 */
#ifndef MCBN_LINK_H
#define MCBN_LINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <nats/nats.h>

#include "lib/log.h"
#include "options.h"
#include "puback.h"

/* A JetStream acknowledgement, as the loop gets it. */
struct mcbn_ack {
	uint64_t lseq;		/* the forwarder's record it answers */
	bool no_responders;	/* nobody stores the subject (yet) */
	enum mcbn_ack_kind kind;
	uint64_t stream_seq;
	unsigned code, err_code;
	char text[64];
};

struct mcbn_link_counts {
	uint64_t disconnects, reconnects, async_errors, acks_dropped;
	uint64_t wake_errors;
	natsStatus last_async_error;
};

struct mcbn_link {
	const struct mcb_log *log;
	natsOptions *opts;
	natsConnection *nc;
	int wakefd;			/* eventfd: callbacks -> loop */
	uint64_t backoff_min_ms, backoff_max_ms;
	const struct mcbn_conn_opts *conn;	/* to connect again */
	char conn_name[320];
	/* JetStream: the replies come to INBOX.<lseq>. */
	natsSubscription *acksub;
	char inbox[64];
	size_t inbox_len;
	/* Shared with the callbacks' threads, under mu. */
	pthread_mutex_t mu;
	struct mcbn_ack *q;
	unsigned qcap, qhead, qlen;
	struct mcbn_link_counts counts;
};

/*
 * Options, callbacks, connection.  ack_queue: 0 for no acknowledgement
 * subscription, else the acknowledgements held for the loop.  With
 * retry_connect, servers that cannot be reached now are retried in the
 * background (the loop is woken when connected); without, that is an
 * error.  Returns 0, -EINVAL for settings the client refuses (files,
 * keys: why says), -ECONNREFUSED when not connected and not retrying,
 * else -errno.
 */
int mcbn_link_open(struct mcbn_link *l, const struct mcbn_conn_opts *c,
		   const char *conn_name, unsigned ack_queue,
		   bool retry_connect, const struct mcb_log *lg, char *why,
		   size_t why_size);
void mcbn_link_close(struct mcbn_link *l);
/* The connection is closed for good: why, as a new attempt says (blocks
 * for up to 2 s per server). */
void mcbn_link_why_closed(struct mcbn_link *l, char *buf, size_t size);

bool mcbn_link_connected(const struct mcbn_link *l);
/* The server's URL when connected, else "-". */
const char *mcbn_link_url(const struct mcbn_link *l, char *buf, size_t n);

/* The reply subject for record lseq into buf (at least 96 bytes). */
void mcbn_link_reply(const struct mcbn_link *l, uint64_t lseq, char *buf,
		     size_t n);

/* Takes at most max queued acknowledgements, oldest first. */
unsigned mcbn_link_take_acks(struct mcbn_link *l, struct mcbn_ack *out,
			     unsigned max);
/* Wakes the loop (from any thread). */
void mcbn_link_wake(struct mcbn_link *l);
/* Reads the eventfd (after a wake-up).  0 or -errno. */
int mcbn_link_clear_wake(struct mcbn_link *l);
void mcbn_link_get_counts(struct mcbn_link *l, struct mcbn_link_counts *c);

/* min << attempt, at most max, with +-25 % jitter (from seed). */
uint64_t mcbn_backoff_ms(unsigned attempt, uint64_t min, uint64_t max,
			 uint64_t seed);

#endif
