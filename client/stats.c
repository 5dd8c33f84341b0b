/* SPDX-License-Identifier: MIT */
/*
 * Stream health: bridge sequence gaps and restarts per (family, group)
 * mapping, and a fixed-size latency histogram.
 */
#include <string.h>

#include "mcbridge_client.h"

void mcb_seq_init(struct mcb_seq_tracker *t)
{
	memset(t, 0, sizeof(*t));
}

static struct mcb_seq_stream *find_stream(struct mcb_seq_tracker *t,
					  const struct mcb_event *ev,
					  bool *created)
{
	*created = false;
	for (unsigned i = 0; i < t->nstreams; i++) {
		struct mcb_seq_stream *s = &t->streams[i];

		if (!strcmp(s->family, ev->family) &&
		    !strcmp(s->group, ev->group))
			return s;
	}
	if (t->nstreams == MCB_MAX_STREAMS)
		return NULL;
	struct mcb_seq_stream *s = &t->streams[t->nstreams++];

	/* Both names fit: the decoder bounds them to MCB_WIRE_NAMSIZ. */
	memcpy(s->family, ev->family, sizeof(s->family));
	memcpy(s->group, ev->group, sizeof(s->group));
	*created = true;
	return s;
}

enum mcb_seq_verdict mcb_seq_check(struct mcb_seq_tracker *t,
				   const struct mcb_event *ev,
				   uint64_t *missed)
{
	bool created;
	struct mcb_seq_stream *s = find_stream(t, ev, &created);
	uint64_t seq = ev->bridge_seq;
	enum mcb_seq_verdict v;

	*missed = 0;
	if (!s)
		return MCB_SEQ_UNTRACKED;
	if (created) {
		/* Joined mid-stream: what came before is not ours to miss. */
		v = MCB_SEQ_FIRST;
	} else if (seq > s->last) {
		uint64_t ahead = seq - s->last;

		v = ahead == 1 ? MCB_SEQ_OK : MCB_SEQ_GAP;
		*missed = ahead - 1;
		s->seen = ahead >= MCB_SEQ_WINDOW ? 0 : s->seen << ahead;
		s->seen |= 1;
		s->last = seq;
		return v;
	} else if (s->last - seq < MCB_SEQ_WINDOW &&
		   !(s->seen & (1ull << (s->last - seq)))) {
		/* Loopback multicast reorders when the sender moves between
		 * CPUs (per-CPU backlogs): a hole filled late, not a loss. */
		s->seen |= 1ull << (s->last - seq);
		return MCB_SEQ_LATE;
	} else {
		/* Further back, or a seq seen already: a new bridge run
		 * (seqs start at 1); a loss of its first datagrams shows
		 * as seq > 1. */
		v = MCB_SEQ_RESTART;
		*missed = seq > 0 ? seq - 1 : 0;
	}
	s->last = seq;
	s->seen = 1;
	return v;
}

void mcb_lat_init(struct mcb_latency *l)
{
	memset(l, 0, sizeof(*l));
}

static unsigned bucket_of(uint64_t v)
{
	unsigned msb, shift;

	if (v < (1u << MCB_LAT_SUB_BITS))
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - MCB_LAT_SUB_BITS;
	return ((msb - MCB_LAT_SUB_BITS + 1) << MCB_LAT_SUB_BITS) |
	       (unsigned)((v >> shift) & ((1u << MCB_LAT_SUB_BITS) - 1));
}

static uint64_t bucket_upper(unsigned i)
{
	unsigned g = i >> MCB_LAT_SUB_BITS, sub, shift;
	uint64_t lower;

	if (g == 0)
		return i;
	sub = i & ((1u << MCB_LAT_SUB_BITS) - 1);
	shift = g - 1;
	lower = (uint64_t)((1u << MCB_LAT_SUB_BITS) + sub) << shift;
	return lower + ((uint64_t)1 << shift) - 1;
}

void mcb_lat_add(struct mcb_latency *l, int64_t ns)
{
	uint64_t v;

	if (ns < 0) {
		/* Clocks of different machines, or a bogus timestamp. */
		l->negative++;
		return;
	}
	v = (uint64_t)ns;
	if (l->count == 0 || v < l->min)
		l->min = v;
	if (v > l->max)
		l->max = v;
	l->sum += v;
	l->count++;
	l->buckets[bucket_of(v)]++;
}

uint64_t mcb_lat_quantile(const struct mcb_latency *l, double q)
{
	uint64_t rank, seen = 0;

	if (l->count == 0)
		return 0;
	if (q <= 0)
		return l->min;
	rank = (uint64_t)(q * (double)l->count);
	if ((double)rank < q * (double)l->count)
		rank++;	/* ceil */
	if (rank > l->count)
		rank = l->count;
	for (unsigned i = 0; i < MCB_LAT_BUCKETS; i++) {
		seen += l->buckets[i];
		if (seen >= rank) {
			uint64_t up = bucket_upper(i);

			return up < l->max ? up : l->max;
		}
	}
	return l->max;
}
