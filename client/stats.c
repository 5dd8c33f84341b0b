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

/*
 * Is ev from another bridge run than the stream's?  The run id says so when
 * both are known.  Without it, bridge_time_ns: within one run it never goes
 * down as bridge_seq goes up, so a seq at or below the last one carrying a
 * later time than any seen is a new run, not a late datagram of this one.
 */
static bool new_run(const struct mcb_seq_stream *s,
		    const struct mcb_event *ev)
{
	if ((ev->has & MCB_HAS_RUN_ID) && s->run_id)
		return ev->run_id != s->run_id;
	return ev->bridge_seq <= s->last && ev->bridge_time_ns &&
	       s->last_time && ev->bridge_time_ns > s->last_time;
}

static void start_run(struct mcb_seq_stream *s, const struct mcb_event *ev)
{
	s->last = ev->bridge_seq;
	s->seen = 1;
	s->last_time = ev->bridge_time_ns;
	s->run_id = (ev->has & MCB_HAS_RUN_ID) ? ev->run_id : 0;
}

/*
 * A tail repeats the run's last bridge_seq: beyond the last seen, the
 * datagrams in between are missing (the end of a burst lost).  It moves
 * nothing else: not the time, not the run - a tail of another run than
 * the one followed (a replayed one, say) says nothing about it.
 */
static enum mcb_seq_verdict check_tail(struct mcb_seq_stream *s,
				       const struct mcb_event *ev,
				       bool created, uint64_t *missed)
{
	uint64_t seq = ev->bridge_seq, ahead;

	if (created) {
		/* Joined while idle: the next datagram follows this seq. */
		s->last = seq;
		s->seen = 1;
		s->run_id = (ev->has & MCB_HAS_RUN_ID) ? ev->run_id : 0;
		return MCB_SEQ_FIRST;
	}
	if (!(ev->has & MCB_HAS_RUN_ID) || ev->run_id != s->run_id ||
	    seq <= s->last)
		return MCB_SEQ_OK;
	ahead = seq - s->last;
	*missed = ahead;
	s->seen = ahead >= MCB_SEQ_WINDOW ? 0 : s->seen << ahead;
	/* Bit 0 (seq itself) stays clear: it is missing too. */
	s->last = seq;
	return MCB_SEQ_GAP;
}

enum mcb_seq_verdict mcb_seq_check(struct mcb_seq_tracker *t,
				   const struct mcb_event *ev,
				   uint64_t *missed)
{
	bool created;
	struct mcb_seq_stream *s = find_stream(t, ev, &created);
	uint64_t seq = ev->bridge_seq;

	*missed = 0;
	if (!s)
		return MCB_SEQ_UNTRACKED;
	if (ev->kind == MCB_KIND_TAIL)
		return check_tail(s, ev, created, missed);
	if (created) {
		/* Joined mid-stream: what came before is not ours to miss. */
		start_run(s, ev);
		return MCB_SEQ_FIRST;
	}
	if (new_run(s, ev)) {
		/* Its seqs start at 1: a loss of its first datagrams shows
		 * as seq > 1.  Never the old run's seqs taken as holes. */
		*missed = seq > 0 ? seq - 1 : 0;
		start_run(s, ev);
		return MCB_SEQ_RESTART;
	}
	if (seq > s->last) {
		uint64_t ahead = seq - s->last;

		*missed = ahead - 1;
		s->seen = ahead >= MCB_SEQ_WINDOW ? 0 : s->seen << ahead;
		s->seen |= 1;
		s->last = seq;
		if (ev->bridge_time_ns > s->last_time)
			s->last_time = ev->bridge_time_ns;
		if (!s->run_id && (ev->has & MCB_HAS_RUN_ID))
			s->run_id = ev->run_id;
		return ahead == 1 ? MCB_SEQ_OK : MCB_SEQ_GAP;
	}
	if (s->last - seq < MCB_SEQ_WINDOW &&
	    !(s->seen & (1ull << (s->last - seq)))) {
		/* Loopback multicast reorders when the sender moves between
		 * CPUs (per-CPU backlogs): a hole filled late, not a loss. */
		s->seen |= 1ull << (s->last - seq);
		return MCB_SEQ_LATE;
	}
	/* Further back, or a seq seen already, with no later time to tell:
	 * a new bridge run all the same (the host's clock restarted, or a
	 * bridge that sends no time). */
	*missed = seq > 0 ? seq - 1 : 0;
	start_run(s, ev);
	return MCB_SEQ_RESTART;
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
