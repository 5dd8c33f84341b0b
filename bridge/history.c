// SPDX-License-Identifier: MIT
/* A mapping's history of sent datagrams: see history.h. */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mcb_history_init(struct mcb_history *h, size_t bytes, size_t max_len)
{
	int err;

	memset(h, 0, sizeof(*h));
	h->max_len = max_len;
	h->first = h->next = 1;
	if (!bytes)
		return 0;
	err = mcb_ring_init(&h->ring, bytes);
	if (err)
		return err;
	/* A power of two: the slot of a seq is a mask, not a division. */
	h->idx_cap = 1;
	while (h->idx_cap < h->ring.size / MCB_HISTORY_BYTES_PER_SLOT + 1)
		h->idx_cap <<= 1;
	h->idx = calloc(h->idx_cap, sizeof(*h->idx));
	if (!h->idx) {
		mcb_ring_free(&h->ring);
		return -ENOMEM;
	}
	return 0;
}

void mcb_history_free(struct mcb_history *h)
{
	mcb_ring_free(&h->ring);
	free(h->idx);
	h->idx = NULL;
	h->idx_cap = 0;
}

void mcb_history_put(struct mcb_history *h, uint64_t seq, const void *data,
		     size_t len)
{
	size_t evicted = 0;
	void *p;

	if (!mcb_history_on(h))
		return;
	/* Held seqs stay one run: anything else starts over (a datagram
	 * that could not be kept, or seqs that did not follow). */
	if (seq != h->next || len > h->max_len ||
	    mcb_ring_rec_size(len) > h->ring.size) {
		h->st.evicted += mcb_history_count(h);
		mcb_ring_clear(&h->ring);
		h->first = h->next = seq + 1;
		if (len > h->max_len ||
		    mcb_ring_rec_size(len) > h->ring.size) {
			h->st.too_big++;
			return;
		}
		h->first = h->next = seq;
	}
	/* The index has room for idx_cap: one slot per seq held. */
	if (mcb_history_count(h) == h->idx_cap) {
		mcb_ring_pop(&h->ring);
		h->first++;
		h->st.evicted++;
	}
	p = mcb_ring_push(&h->ring, seq, len, true, &evicted);
	h->first += evicted;
	h->st.evicted += evicted;
	memcpy(p, data, len);
	h->idx[seq & (h->idx_cap - 1)] = (uint32_t)mcb_ring_offset(&h->ring, p);
	h->next = seq + 1;
	h->st.stored++;
}

const void *mcb_history_get(const struct mcb_history *h, uint64_t seq,
			    size_t *len)
{
	struct mcb_ring_rec *rec;

	if (seq < h->first || seq >= h->next)
		return NULL;
	rec = mcb_ring_at(&h->ring, h->idx[seq & (h->idx_cap - 1)]);
	if (rec->key != seq)
		return NULL;	/* cannot happen: the index is one per seq */
	*len = rec->len;
	return mcb_ring_data(rec);
}
