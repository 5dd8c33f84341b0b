/* SPDX-License-Identifier: MIT */
/*
 * A ring of variable-length records in one buffer allocated once: records
 * go in at the head and leave from the tail, oldest first.  The
 * listener's reorder buffer and the NATS forwarder's buffer (refuse when
 * full) are built on it; nothing allocates per record.  The bridge's
 * history has a ring of its own (bridge/history.h): it keeps every
 * datagram sent, and finds them by seq with no header per record.
 */
#ifndef MCB_LIB_BYTERING_H
#define MCB_LIB_BYTERING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every record starts with this; its data follows, padded to 8 bytes. */
struct mcb_ring_rec {
	uint64_t key;		/* the owner's: a bridge_seq */
	uint32_t len;		/* data bytes */
	uint32_t mark;		/* the owner's */
};

struct mcb_ring {
	unsigned char *buf;
	size_t size;		/* a multiple of 8 */
	size_t head;		/* where the next record goes */
	size_t tail;		/* the oldest record */
	size_t wrap;		/* wrapped: records end here, go on at 0 */
	bool wrapped;		/* records are [tail, wrap) and [0, head) */
	size_t count;		/* records held */
	size_t used;		/* their bytes, headers and padding included */
};

/* Bytes a record of len data bytes takes. */
static inline size_t mcb_ring_rec_size(size_t len)
{
	return sizeof(struct mcb_ring_rec) + ((len + 7) & ~(size_t)7);
}

/* size bytes (rounded down to 8), allocated now.  0 or -ENOMEM. */
int mcb_ring_init(struct mcb_ring *r, size_t size);
void mcb_ring_free(struct mcb_ring *r);
/* Forget every record (the buffer stays). */
void mcb_ring_clear(struct mcb_ring *r);

/*
 * A new record of len bytes at the head; its data is to be written at the
 * returned pointer.  When it does not fit: with evict, the oldest records
 * are dropped until it does (*evicted counts them); without, NULL.  NULL
 * too when a record of len can never fit (mcb_ring_rec_size(len) > size).
 */
void *mcb_ring_push(struct mcb_ring *r, uint64_t key, size_t len, bool evict,
		    size_t *evicted);

/* The oldest record, or NULL when empty. */
struct mcb_ring_rec *mcb_ring_oldest(const struct mcb_ring *r);
/* Drop the oldest record. */
void mcb_ring_pop(struct mcb_ring *r);
/* Would a record of len bytes go in now without dropping one? */
bool mcb_ring_fits(const struct mcb_ring *r, size_t len);
/* Walking the records oldest first, by offset (a sender going back over
 * what was not acknowledged): the oldest's, false when empty; the one
 * after *off, false when *off was the newest. */
bool mcb_ring_first(const struct mcb_ring *r, size_t *off);
bool mcb_ring_next(const struct mcb_ring *r, size_t *off);

/* The record at an offset mcb_ring_offset() gave; its data follows it. */
static inline struct mcb_ring_rec *mcb_ring_at(const struct mcb_ring *r,
					       size_t off)
{
	return (struct mcb_ring_rec *)(void *)(r->buf + off);
}

static inline size_t mcb_ring_offset(const struct mcb_ring *r,
				     const void *data)
{
	return (size_t)((const unsigned char *)data - r->buf) -
	       sizeof(struct mcb_ring_rec);
}

static inline void *mcb_ring_data(struct mcb_ring_rec *rec)
{
	return rec + 1;
}

#endif /* MCB_LIB_BYTERING_H */
