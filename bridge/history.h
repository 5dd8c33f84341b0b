/* SPDX-License-Identifier: MIT */
/*
 * A mapping's history (--history): its last datagrams, as sent, by
 * bridge_seq, for the repair channel.  One buffer allocated at start, the
 * datagrams back to back in it (each after its 32-bit length, 4-aligned),
 * and an index of their offsets by seq; a new datagram drops the oldest
 * ones it would overwrite, so memory stays at the size given.  Held seqs
 * are always one run without holes: first..next-1.
 *
 * Not lib/bytering.c: the bridge keeps every datagram it sends, and a
 * ring that finds the oldest by seq through the index, with no header of
 * its own per record, costs half the instructions per datagram.
 */
#ifndef MCB_HISTORY_H
#define MCB_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of history per index slot: the index holds at most this many
 * fewer records than could fit, and costs 4 bytes per slot. */
#define MCB_HISTORY_BYTES_PER_SLOT	64
/* --history bounds: 0 (off), or this much at least... */
#define MCB_HISTORY_MIN		(64u * 1024)
/* ... and at most this (offsets are 32-bit). */
#define MCB_HISTORY_MAX		(1024ull * 1024 * 1024)

/* Bytes a datagram of len takes in the history: its 32-bit length, the
 * datagram, padding to 4. */
static inline size_t mcb_history_rec_size(size_t len)
{
	return sizeof(uint32_t) + ((len + 3) & ~(size_t)3);
}

struct mcb_history_stats {
	uint64_t stored;	/* datagrams put in */
	uint64_t evicted;	/* dropped to make room */
	uint64_t too_big;	/* larger than a repair answer can carry */
};

struct mcb_history {
	unsigned char *buf;
	size_t size;		/* bytes of buf, a multiple of 4; 0: off */
	size_t head;		/* where the next datagram goes */
	size_t lap_end;		/* where the records before the last wrap end */
	uint32_t *idx;		/* offset of seq's record, at seq & idx_mask */
	uint64_t idx_mask;	/* slots - 1, slots a power of two */
	size_t max_len;		/* largest datagram kept */
	uint64_t first;		/* oldest held; first == next: none */
	uint64_t next;		/* one past the newest held */
	struct mcb_history_stats st;
};

/*
 * bytes of history (0: off, the history keeps nothing), for datagrams of
 * at most max_len bytes.  0 or -ENOMEM.
 */
int mcb_history_init(struct mcb_history *h, size_t bytes, size_t max_len);
void mcb_history_free(struct mcb_history *h);

static inline bool mcb_history_on(const struct mcb_history *h)
{
	return h->size != 0;
}

/* Keep datagram seq (len bytes).  A seq that does not follow the newest
 * starts the history anew at it. */
void mcb_history_put(struct mcb_history *h, uint64_t seq, const void *data,
		     size_t len);

/* Datagram seq, or NULL when not held. */
const void *mcb_history_get(const struct mcb_history *h, uint64_t seq,
			    size_t *len);

/* How many are held; the newest held seq is next - 1. */
static inline uint64_t mcb_history_count(const struct mcb_history *h)
{
	return h->next - h->first;
}

/* Bytes of the held records. */
size_t mcb_history_bytes(const struct mcb_history *h);

/* At most this many are held (the index's slots). */
static inline uint64_t mcb_history_slots(const struct mcb_history *h)
{
	return h->idx_mask + 1;
}

#endif /* MCB_HISTORY_H */
