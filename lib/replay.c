// SPDX-License-Identifier: MIT
/* Replay window on (epoch, bridge_seq): see mcbridge/auth.h. */
#include <mcbridge/auth.h>

#include <string.h>

_Static_assert(MCB_REPLAY_WINDOW == 64, "the window is one uint64_t");

void mcb_replay_init(struct mcb_replay *r)
{
	memset(r, 0, sizeof(*r));
}

static struct mcb_replay_slot *find(struct mcb_replay *r, uint64_t epoch,
				    bool *found)
{
	struct mcb_replay_slot *victim = &r->slots[0];

	for (size_t i = 0; i < MCB_REPLAY_EPOCHS; i++) {
		struct mcb_replay_slot *s = &r->slots[i];

		if (s->used && s->epoch == epoch) {
			*found = true;
			return s;
		}
		if (s->used < victim->used)
			victim = s;	/* free (0) or least recently used */
	}
	*found = false;
	return victim;
}

enum mcb_replay_verdict mcb_replay_check(struct mcb_replay *r, uint64_t epoch,
					 uint64_t seq)
{
	bool found;
	struct mcb_replay_slot *s = find(r, epoch, &found);
	uint64_t diff;

	if (!found) {
		s->epoch = epoch;
		s->top = seq;
		s->seen = 1;
		s->used = ++r->clock;
		return MCB_REPLAY_NEW_EPOCH;
	}
	if (seq > s->top) {
		diff = seq - s->top;
		s->seen = diff >= MCB_REPLAY_WINDOW ? 0 : s->seen << diff;
		s->seen |= 1;
		s->top = seq;
	} else {
		diff = s->top - seq;
		if (diff >= MCB_REPLAY_WINDOW)
			return MCB_REPLAY_STALE;
		if (s->seen & (1ull << diff))
			return MCB_REPLAY_DUP;
		s->seen |= 1ull << diff;
	}
	s->used = ++r->clock;
	return MCB_REPLAY_FRESH;
}
