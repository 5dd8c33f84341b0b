/* SPDX-License-Identifier: MIT */
/*
 * A bounded FIFO of variable-sized records in one buffer allocated at
 * start: the forwarder's store of what NATS has not taken yet.  Records
 * are added at the tail, freed at the head, and walked by offset in
 * between (a retry goes back over records not acknowledged).  Nothing is
 * allocated per record; every byte used is counted, padding included.
 */
#ifndef MCBN_RING_H
#define MCBN_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mcbn_ring {
	unsigned char *buf;
	size_t cap;		/* bytes, a multiple of 8 */
	size_t head, tail;	/* offsets of the first record and of the
				 * free space after the last one */
	size_t used;		/* bytes taken, padding at a wrap included */
	size_t count;		/* records */
};

/* Bytes one record of len bytes takes (its header and alignment). */
size_t mcbn_ring_footprint(size_t len);

/* cap bytes (rounded down to 8).  0 or -ENOMEM. */
int mcbn_ring_init(struct mcbn_ring *r, size_t cap);
void mcbn_ring_fini(struct mcbn_ring *r);

/* Room for a record of len bytes at the tail, 8-aligned, or NULL when it
 * does not fit now. */
void *mcbn_ring_push(struct mcbn_ring *r, size_t len);

/* The record at off (an offset from mcbn_ring_first/next). */
void *mcbn_ring_at(const struct mcbn_ring *r, size_t off);
/* The first record's offset; false when empty. */
bool mcbn_ring_first(const struct mcbn_ring *r, size_t *off);
/* The offset after off's record; false when off was the last. */
bool mcbn_ring_next(const struct mcbn_ring *r, size_t *off);
/* Frees the first record (the ring must not be empty). */
void mcbn_ring_pop(struct mcbn_ring *r);

#endif
