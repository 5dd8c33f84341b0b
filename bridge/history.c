// SPDX-License-Identifier: MIT
/* A mapping's history of sent datagrams: see history.h. */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LEN_BYTES	sizeof(uint32_t)

static inline uint32_t rec_len(const struct mcb_history *h, size_t off)
{
	uint32_t len;

	memcpy(&len, h->buf + off, sizeof(len));
	return len;
}

int mcb_history_init(struct mcb_history *h, size_t bytes, size_t max_len)
{
	uint64_t slots = 1;

	memset(h, 0, sizeof(*h));
	h->max_len = max_len;
	h->first = h->next = 1;
	bytes &= ~(size_t)3;
	if (!bytes)
		return 0;
	/* The pages are touched as datagrams reach them, not now. */
	h->buf = malloc(bytes);
	/* A power of two: the slot of a seq is a mask, not a division. */
	while (slots * 2 <= bytes / MCB_HISTORY_BYTES_PER_SLOT)
		slots *= 2;
	h->idx = malloc(slots * sizeof(*h->idx));
	if (!h->buf || !h->idx) {
		free(h->buf);
		free(h->idx);
		h->buf = NULL;
		h->idx = NULL;
		return -ENOMEM;
	}
	h->size = bytes;
	h->idx_mask = slots - 1;
	/* What can never fit is too big, as what is over max_len. */
	if (mcb_history_rec_size(h->max_len) > bytes)
		h->max_len = bytes - sizeof(uint32_t);
	return 0;
}

void mcb_history_free(struct mcb_history *h)
{
	free(h->buf);
	free(h->idx);
	h->buf = NULL;
	h->idx = NULL;
	h->size = 0;
}

static inline void evict_oldest(struct mcb_history *h)
{
	h->first++;
	h->st.evicted++;
}

size_t mcb_history_bytes(const struct mcb_history *h)
{
	size_t oldest;

	if (!mcb_history_count(h))
		return 0;
	oldest = h->idx[h->first & h->idx_mask];
	/* Held: oldest..head, or oldest..lap_end and 0..head. */
	return oldest < h->head ? h->head - oldest :
				  h->lap_end - oldest + h->head;
}

static void clear(struct mcb_history *h, uint64_t seq)
{
	h->st.evicted += mcb_history_count(h);
	h->first = h->next = seq;
	h->head = h->lap_end = 0;
}

void mcb_history_put(struct mcb_history *h, uint64_t seq, const void *data,
		     size_t len)
{
	size_t n = mcb_history_rec_size(len), at, end;
	uint32_t len32 = (uint32_t)len;

	if (!mcb_history_on(h))
		return;
	/* Held seqs stay one run: anything else starts over (a datagram
	 * that could not be kept, or seqs that did not follow). */
	if (seq != h->next || len > h->max_len) {
		/* Starts at seq, or after it when seq cannot be kept. */
		if (len > h->max_len) {
			clear(h, seq + 1);
			h->st.too_big++;
			return;
		}
		clear(h, seq);
	}
	if (mcb_history_count(h) > h->idx_mask)
		evict_oldest(h);
	at = h->head;
	if (h->size - at < n) {
		/* The end is too short: left unused, and what lies there
		 * (the oldest) is dropped. */
		while (h->first != h->next &&
		       h->idx[h->first & h->idx_mask] >= at)
			evict_oldest(h);
		h->lap_end = at;
		at = 0;
	}
	/* The oldest records lie right after the head, if anywhere: drop
	 * those the new one overlaps. */
	end = at + n;
	while (h->first != h->next) {
		size_t off = h->idx[h->first & h->idx_mask];

		if (off < at || off >= end)
			break;
		evict_oldest(h);
	}
	memcpy(h->buf + at, &len32, sizeof(len32));
	memcpy(h->buf + at + LEN_BYTES, data, len);
	h->idx[seq & h->idx_mask] = (uint32_t)at;
	h->head = end;
	h->next = seq + 1;
	h->st.stored++;
}

const void *mcb_history_get(const struct mcb_history *h, uint64_t seq,
			    size_t *len)
{
	size_t off;

	if (seq < h->first || seq >= h->next)
		return NULL;
	off = h->idx[seq & h->idx_mask];
	*len = rec_len(h, off);
	return h->buf + off + LEN_BYTES;
}
