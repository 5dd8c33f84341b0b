// SPDX-License-Identifier: MIT
/* Ring of variable-length records: see bytering.h. */
#include "lib/bytering.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mcb_ring_init(struct mcb_ring *r, size_t size)
{
	memset(r, 0, sizeof(*r));
	size &= ~(size_t)7;
	if (!size)
		return 0;
	/* The pages are touched as records reach them, not now. */
	r->buf = malloc(size);
	if (!r->buf)
		return -ENOMEM;
	r->size = size;
	mcb_ring_clear(r);
	return 0;
}

void mcb_ring_free(struct mcb_ring *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void mcb_ring_clear(struct mcb_ring *r)
{
	r->head = r->tail = 0;
	r->wrap = r->size;
	r->wrapped = false;
	r->count = 0;
	r->used = 0;
}

struct mcb_ring_rec *mcb_ring_oldest(const struct mcb_ring *r)
{
	return r->count ? mcb_ring_at(r, r->tail) : NULL;
}

void mcb_ring_pop(struct mcb_ring *r)
{
	size_t n;

	if (!r->count)
		return;
	n = mcb_ring_rec_size(mcb_ring_at(r, r->tail)->len);
	r->tail += n;
	r->used -= n;
	if (--r->count == 0) {
		mcb_ring_clear(r);
		return;
	}
	if (r->wrapped && r->tail == r->wrap) {
		/* The records at the end are gone: what is left starts at 0. */
		r->tail = 0;
		r->wrapped = false;
		r->wrap = r->size;
	}
}

bool mcb_ring_fits(const struct mcb_ring *r, size_t len)
{
	size_t n = mcb_ring_rec_size(len);

	if (n > r->size || len > UINT32_MAX)
		return false;
	if (!r->count)
		return true;
	if (r->wrapped)
		return r->tail - r->head >= n;
	return r->size - r->head >= n || r->tail >= n;
}

bool mcb_ring_first(const struct mcb_ring *r, size_t *off)
{
	if (!r->count)
		return false;
	*off = r->tail;
	return true;
}

bool mcb_ring_next(const struct mcb_ring *r, size_t *off)
{
	size_t n = *off + mcb_ring_rec_size(mcb_ring_at(r, *off)->len);

	/* The newest ends at head; the older part, when wrapped, at wrap. */
	if (n == r->head)
		return false;
	if (r->wrapped && n == r->wrap)
		n = 0;
	*off = n;
	return true;
}

/* Where a record of n bytes can go now without dropping one, or -1. */
static long room(struct mcb_ring *r, size_t n)
{
	if (!r->count) {
		mcb_ring_clear(r);
		return 0;
	}
	if (r->wrapped)
		return r->tail - r->head >= n ? (long)r->head : -1;
	if (r->size - r->head >= n)
		return (long)r->head;
	if (r->tail >= n) {
		/* The end is too short: the rest of it is left unused. */
		r->wrap = r->head;
		r->wrapped = true;
		r->head = 0;
		return 0;
	}
	return -1;
}

void *mcb_ring_push(struct mcb_ring *r, uint64_t key, size_t len, bool evict,
		    size_t *evicted)
{
	size_t n = mcb_ring_rec_size(len);
	struct mcb_ring_rec *rec;
	long at;

	if (n > r->size || len > UINT32_MAX)
		return NULL;
	while ((at = room(r, n)) < 0) {
		if (!evict)
			return NULL;
		mcb_ring_pop(r);
		if (evicted)
			(*evicted)++;
	}
	rec = mcb_ring_at(r, (size_t)at);
	rec->key = key;
	rec->len = (uint32_t)len;
	rec->mark = 0;
	r->head = (size_t)at + n;
	r->count++;
	r->used += n;
	return mcb_ring_data(rec);
}
