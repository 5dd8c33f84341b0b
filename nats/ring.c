/* SPDX-License-Identifier: MIT */
/*
 * The record FIFO (ring.h).  Each record is a header giving its size, then
 * its bytes, 8-aligned.  A record that does not fit before the end of the
 * buffer goes to the start; a header of size 0 (or the end itself) marks
 * where the records wrapped, and the bytes skipped there count as used
 * until the head passes them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

struct rec_hdr {
	uint32_t size;		/* header included; 0: wrapped to the start */
	uint32_t unused;
};

#define ALIGN8(n)	(((n) + 7u) & ~(size_t)7u)

size_t mcbn_ring_footprint(size_t len)
{
	return sizeof(struct rec_hdr) + ALIGN8(len);
}

int mcbn_ring_init(struct mcbn_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap & ~(size_t)7u;
	if (r->cap < sizeof(struct rec_hdr))
		return -EINVAL;
	r->buf = malloc(r->cap);
	return r->buf ? 0 : -ENOMEM;
}

void mcbn_ring_fini(struct mcbn_ring *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

static struct rec_hdr *hdr_at(const struct mcbn_ring *r, size_t off)
{
	return (struct rec_hdr *)(void *)(r->buf + off);
}

/* Where a walk at off really is: the start when off is the wrap point. */
static size_t unwrap(const struct mcbn_ring *r, size_t off)
{
	if (off == r->cap || hdr_at(r, off)->size == 0)
		return 0;
	return off;
}

void *mcbn_ring_push(struct mcbn_ring *r, size_t len)
{
	size_t need = mcbn_ring_footprint(len), at, waste = 0;
	struct rec_hdr *h;

	if (len > UINT32_MAX - 16 || need > r->cap)
		return NULL;
	if (r->count == 0)
		r->head = r->tail = r->used = 0;
	if (r->count && r->tail <= r->head) {
		/* Wrapped already: the free space is [tail, head). */
		if (r->head - r->tail < need)
			return NULL;
		at = r->tail;
	} else if (r->cap - r->tail >= need) {
		at = r->tail;
	} else {
		/* Skip the end; the start must leave the head alone (an
		 * empty ring starts at 0, where need fits: checked above). */
		if (r->head < need)
			return NULL;
		waste = r->cap - r->tail;
		if (waste)
			hdr_at(r, r->tail)->size = 0;
		at = 0;
	}
	h = hdr_at(r, at);
	h->size = (uint32_t)need;
	h->unused = 0;
	r->tail = at + need;
	r->used += need + waste;
	r->count++;
	return h + 1;
}

void *mcbn_ring_at(const struct mcbn_ring *r, size_t off)
{
	return hdr_at(r, off) + 1;
}

bool mcbn_ring_first(const struct mcbn_ring *r, size_t *off)
{
	if (r->count == 0)
		return false;
	*off = r->head;
	return true;
}

bool mcbn_ring_next(const struct mcbn_ring *r, size_t *off)
{
	size_t next = *off + hdr_at(r, *off)->size;

	if (next == r->tail)
		return false;
	*off = unwrap(r, next);
	/* The tail can sit at the start after a wrap. */
	return *off != r->tail;
}

void mcbn_ring_pop(struct mcbn_ring *r)
{
	size_t size = hdr_at(r, r->head)->size, next = r->head + size;

	r->used -= size;
	r->count--;
	if (r->count == 0) {
		r->head = r->tail = r->used = 0;
		return;
	}
	if (next != r->tail && unwrap(r, next) != next) {
		r->used -= r->cap - next;	/* the bytes skipped at the end */
		next = 0;
	}
	r->head = next;
}
