/* SPDX-License-Identifier: MIT */
/* The forwarder's JetStream stream: create or check (stream.c). */
#ifndef MCBN_STREAM_H
#define MCBN_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <nats/nats.h>

#include "options.h"

/*
 * Make sure o->stream stores pattern (the forwarder's subjects, with
 * wildcards): create it (PREFIX.>, the settings' replicas, retention,
 * storage, limits, de-duplication window) unless it exists or --no-create,
 * else check it.  Blocks for at most about 2 x --ack-wait.  Returns 0
 * (*created says which), -EINVAL for a stream that does not fit the
 * settings, -EAGAIN when JetStream cannot answer now; why says.
 */
int mcbn_stream_ensure(natsConnection *nc, const struct mcbn_fwd_opts *o,
		       const char *pattern, bool *created, char *why,
		       size_t why_size);

/* Where the stream's last message of one mapping left off. */
struct mcbn_last {
	uint64_t run;		/* Mcb-Bridge-Run */
	uint64_t seq;		/* the last bridge_seq it covers: an event's,
				 * or a "lost" record's Mcb-Lost-Last */
	bool open;		/* an announcement of a run's lost end */
};

/*
 * The last message on subject (wildcards allowed) in o->stream, by
 * JetStream's "get last message for subject".  Blocks for at most
 * --ack-wait.  0 (*last set), -ENOENT: the stream has none, -EAGAIN:
 * JetStream cannot answer now, -EBADMSG: its headers are not ours; why
 * says.
 */
int mcbn_stream_last(natsConnection *nc, const struct mcbn_fwd_opts *o,
		     const char *subject, struct mcbn_last *last, char *why,
		     size_t why_size);

#endif
