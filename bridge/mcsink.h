/* SPDX-License-Identifier: MIT */
/*
 * Multicast sink: queues encoded datagrams, sends them with sendmmsg.
 *
 * Inline by default: mcb_sink_flush() sends.  With a send queue
 * (mcb_sink_queue()), a thread of its own sends: the datagrams are encoded
 * into chunks of a bounded queue, mcb_sink_flush() hands the current chunk
 * over, and the caller goes on reading while the thread sends (and pays
 * for the kernel's delivery to every listener).  A full queue makes
 * mcb_sink_reserve() wait for a chunk to be sent.
 */
#ifndef MCB_MCSINK_H
#define MCB_MCSINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"
#include "options.h"

struct mcb_sink_stats {
	uint64_t sent;		/* datagrams the kernel accepted */
	uint64_t send_errors;	/* datagrams dropped on a send error */
	uint64_t batches;	/* sendmmsg calls that sent something */
};

struct mcb_sink_run;
struct mcb_sink_queue;

struct mcb_sink {
	const struct mcb_map_cfg *cfg;
	const struct mcb_log *log;
	int fd;
	size_t max_datagram;
	/* Datagrams are encoded in place into the arena, then sent from it. */
	unsigned char *arena;
	size_t arena_size;
	size_t used;
	struct mmsghdr *msgs;	/* one per datagram */
	struct iovec *iov;
	unsigned cap;
	unsigned n;
	/* UDP segmentation offload: a run of equal-sized datagrams (they lie
	 * back to back in the arena) goes down the stack as one message. */
	bool gso;
	struct mcb_sink_run *runs;
	struct mmsghdr *rmsgs;	/* one per run */
	struct iovec *riov;
	/* Inline: the counters.  Queued: the sending thread's; read them
	 * with mcb_sink_stats(). */
	struct mcb_sink_stats st;
	struct mcb_sink_queue *q;	/* NULL: inline */
};

/*
 * UDP socket with IP_MULTICAST_IF, TTL and loop set.  Returns 0, or -errno;
 * -EADDRNOTAVAIL means the interface address is not on this host.
 */
int mcb_sink_open(struct mcb_sink *k, const struct mcb_map_cfg *cfg,
		  size_t max_datagram, unsigned batch,
		  const struct mcb_log *lg);
void mcb_sink_close(struct mcb_sink *k);

/* Room for one datagram of max_datagram bytes (flushes when needed). */
void *mcb_sink_reserve(struct mcb_sink *k);
/* Queue the len bytes just written at the reserved place. */
void mcb_sink_commit(struct mcb_sink *k, size_t len);
/* Send everything queued; returns the number of datagrams that failed.
 * Queued: hand it to the sending thread (started at the first call, so
 * after the bridge gave up its privileges); returns 0, failures are
 * counted in the stats. */
unsigned mcb_sink_flush(struct mcb_sink *k);

/*
 * Send from a thread of its own through a queue of at most bytes (rounded
 * to whole chunks, at least two).  Returns 0, or -errno (nothing changed).
 */
int mcb_sink_queue(struct mcb_sink *k, size_t bytes);
/* Wait until everything flushed has been sent (queued; inline: at once). */
void mcb_sink_sync(struct mcb_sink *k);
/* The counters, whichever thread keeps them. */
struct mcb_sink_stats mcb_sink_stats(struct mcb_sink *k);

#endif
