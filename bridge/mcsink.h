/* SPDX-License-Identifier: MIT */
/* Multicast sink: queues encoded datagrams, sends them with sendmmsg. */
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
	struct mcb_sink_stats st;
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
/* Send everything queued; returns the number of datagrams that failed. */
unsigned mcb_sink_flush(struct mcb_sink *k);

#endif
