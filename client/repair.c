/* SPDX-License-Identifier: MIT */
/*
 * Repair: one mapping's stream delivered in bridge_seq order, the gaps
 * filled from the bridge's history (mcbridge_client.h says how to use it;
 * the protocol is in mcbridge/wire.h).
 *
 * State: next is the bridge_seq to deliver, top the highest known to
 * exist (from a datagram or a tail).  A datagram after next waits in the
 * reorder buffer (a byte ring, with slots indexed by seq modulo their
 * count); anything missing in [next, top] is asked for, one range at a
 * time.  A datagram arriving as next goes through without a copy, whether
 * from the group (MCB_RO_PASS) or out of an answer; so the buffer only
 * ever holds what waits for a hole, and a hole can always be filled.
 * lost_until: seqs up to it that we do not have are unrepairable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <mcbridge/repair.h>

#include "lib/bytering.h"
#include "lib/sockbuf.h"
#include "mcbridge_client.h"

/* Room kept in the reorder buffer per slot: slots = bytes / this. */
#define BYTES_PER_SLOT		128
#define MIN_SLOTS		1024
#define MAX_SLOTS		(1u << 20)
/* The answer socket's receive buffer: what one request may bring. */
#define REPAIR_RCVBUF		(8 << 20)
/* Before any datagram was seen: a guess of their size. */
#define DGRAM_GUESS		512
/* Ring record marks: done with (the ring may drop it), came repaired. */
#define MARK_RELEASED		1u
#define MARK_REPAIRED		2u

struct slot {
	uint64_t seq;
	uint32_t off;		/* the ring record */
	bool used;
};

struct mcb_repair {
	struct mcb_repair_cfg cfg;
	int fd;
	uint64_t rng;
	size_t ask_bytes;	/* the most one answer should bring */
	uint64_t avg_len;	/* datagram size, a running average */

	/* the stream */
	bool named;
	char family[MCB_WIRE_NAMSIZ];
	char group[MCB_WIRE_NAMSIZ];
	bool known;		/* run and next are set */
	bool joining;		/* waiting for the history (LAST, SINCE) */
	uint32_t run;
	uint64_t epoch;		/* signed streams */
	uint64_t next;
	uint64_t top;
	uint64_t lost_until;
	uint64_t base;		/* joining: the window starts here */

	/* datagrams waiting for their turn */
	struct mcb_ring ring;
	struct slot *slots;
	uint32_t nslots;
	uint64_t nheld;

	/* a new run's first datagram, held until the old run is flushed */
	bool restart;
	unsigned char *rbuf;
	size_t rlen;
	uint32_t rrun;
	uint64_t repoch;

	/* the request */
	uint64_t session;
	uint64_t req_seq;	/* of the last one sent */
	bool req_out;		/* waiting for its END */
	bool req_join;		/* it is the late join's */
	uint64_t req_due;	/* send one then; 0: none due */
	uint64_t req_deadline;
	unsigned tries;
	uint64_t req_first, req_last;

	/* the answer being taken apart */
	unsigned char *abuf;
	struct mcb_repair_msg ans;
	size_t apos;
	bool ans_recs;		/* records left in ans */

	struct mcb_event ev;
	struct mcb_repair_stats st;
};

static uint64_t rnd(struct mcb_repair *r)
{
	/* xorshift64*: only spreads the listeners' requests in time. */
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 0x2545f4914f6cdd1dull;
}

static struct slot *slot_of(struct mcb_repair *r, uint64_t seq)
{
	return &r->slots[seq % r->nslots];
}

static bool held(struct mcb_repair *r, uint64_t seq)
{
	const struct slot *s = slot_of(r, seq);

	return s->used && s->seq == seq;
}

/* Its record can go: the ring frees from its oldest on. */
static void release(struct mcb_repair *r, uint64_t seq)
{
	struct slot *s = slot_of(r, seq);
	struct mcb_ring_rec *rec;

	if (!s->used || s->seq != seq)
		return;
	s->used = false;
	r->nheld--;
	mcb_ring_at(&r->ring, s->off)->mark |= MARK_RELEASED;
	while ((rec = mcb_ring_oldest(&r->ring)) &&
	       (rec->mark & MARK_RELEASED))
		mcb_ring_pop(&r->ring);
}

static void release_all(struct mcb_repair *r)
{
	for (uint32_t i = 0; i < r->nslots; i++)
		r->slots[i].used = false;
	r->nheld = 0;
	mcb_ring_clear(&r->ring);
}

/* Keep a datagram until its turn: HELD, DUP or DROPPED. */
static enum mcb_repair_offer store(struct mcb_repair *r, uint64_t seq,
				   const void *buf, size_t len)
{
	uint64_t base = r->known ? r->next : r->base;
	struct slot *s = slot_of(r, seq);
	void *p;

	if (!r->known && !r->nheld)
		base = r->base = seq;
	if (held(r, seq))
		return MCB_RO_DUP;
	if (seq < base || seq - base >= r->nslots || s->used)
		return MCB_RO_DROPPED;
	p = mcb_ring_push(&r->ring, seq, len, false, NULL);
	if (!p)
		return MCB_RO_DROPPED;
	memcpy(p, buf, len);
	s->seq = seq;
	s->off = (uint32_t)mcb_ring_offset(&r->ring, p);
	s->used = true;
	r->nheld++;
	r->st.held++;
	if (r->nheld > r->st.held_max)
		r->st.held_max = r->nheld;
	return MCB_RO_HELD;
}

int mcb_repair_open(struct mcb_repair **out, const struct mcb_repair_cfg *cfg)
{
	struct mcb_repair *r;
	size_t buffer = cfg->buffer ? cfg->buffer : MCB_REPAIR_DEFAULT_BUFFER;
	socklen_t sl;
	bool forced;
	int got, err;

	*out = NULL;
	if ((cfg->server.ss_family != AF_INET &&
	     cfg->server.ss_family != AF_INET6) ||
	    (cfg->group.ss_family != AF_INET &&
	     cfg->group.ss_family != AF_INET6) ||
	    buffer < 2 * mcb_ring_rec_size(MCB_WIRE_MAX_DATAGRAM) ||
	    (cfg->join != MCB_REPAIR_JOIN_LIVE && !cfg->join_arg))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->cfg = *cfg;
	if (!r->cfg.delay_min_ns && !r->cfg.delay_max_ns) {
		r->cfg.delay_min_ns = MCB_REPAIR_DEFAULT_DELAY_MIN_NS;
		r->cfg.delay_max_ns = MCB_REPAIR_DEFAULT_DELAY_MAX_NS;
	}
	if (r->cfg.delay_max_ns < r->cfg.delay_min_ns)
		r->cfg.delay_max_ns = r->cfg.delay_min_ns;
	if (!r->cfg.timeout_ns)
		r->cfg.timeout_ns = MCB_REPAIR_DEFAULT_TIMEOUT_NS;
	if (!r->cfg.retries)
		r->cfg.retries = MCB_REPAIR_DEFAULT_RETRIES;
	r->named = cfg->family[0] && cfg->group_name[0];
	memcpy(r->family, cfg->family, sizeof(r->family));
	memcpy(r->group, cfg->group_name, sizeof(r->group));
	r->family[sizeof(r->family) - 1] = '\0';
	r->group[sizeof(r->group) - 1] = '\0';
	r->avg_len = DGRAM_GUESS;

	r->nslots = buffer / BYTES_PER_SLOT;
	if (r->nslots < MIN_SLOTS)
		r->nslots = MIN_SLOTS;
	if (r->nslots > MAX_SLOTS)
		r->nslots = MAX_SLOTS;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	r->abuf = malloc(MCB_WIRE_MAX_DATAGRAM + 1);
	r->rbuf = malloc(MCB_WIRE_MAX_DATAGRAM);
	err = mcb_ring_init(&r->ring, buffer);
	if (!r->slots || !r->abuf || !r->rbuf || err) {
		mcb_repair_close(r);
		return -ENOMEM;
	}
	if (getrandom(&r->session, sizeof(r->session), GRND_NONBLOCK) !=
	    sizeof(r->session))
		r->session = mcb_now_ns() ^ ((uint64_t)getpid() << 32);
	r->rng = r->session | 1;

	r->fd = socket(cfg->server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		goto fail;
	/* Connected: only the bridge's address and port get through. */
	sl = cfg->server.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						  sizeof(struct sockaddr_in);
	if (connect(r->fd, (const struct sockaddr *)&cfg->server, sl) < 0)
		goto fail;
	/* What the buffer holds bounds what one request asks for: the
	 * bridge sends an answer in bursts. */
	got = mcb_set_rcvbuf(r->fd, REPAIR_RCVBUF, &forced);
	if (got < 0) {
		errno = -got;
		goto fail;
	}
	r->ask_bytes = (size_t)got / 4;
	if (cfg->join != MCB_REPAIR_JOIN_LIVE) {
		r->joining = true;
		r->req_join = true;
		r->req_due = 1;		/* at the first tick */
	}
	*out = r;
	return 0;
fail:
	err = -errno;
	mcb_repair_close(r);
	return err;
}

void mcb_repair_close(struct mcb_repair *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	mcb_ring_free(&r->ring);
	free(r->slots);
	free(r->abuf);
	free(r->rbuf);
	free(r);
}

int mcb_repair_fd(const struct mcb_repair *r)
{
	return r->fd;
}

const struct mcb_repair_stats *mcb_repair_stats(const struct mcb_repair *r)
{
	return &r->st;
}

static bool ours(const struct mcb_repair *r, const struct mcb_event *ev)
{
	return !strcmp(ev->family, r->family) && !strcmp(ev->group, r->group);
}

/* The seqs the next request asks for: the first hole. */
static bool hole(struct mcb_repair *r, uint64_t *first, uint64_t *last)
{
	uint64_t n, end;

	if (!r->known || r->restart || r->next > r->top ||
	    r->next <= r->lost_until || held(r, r->next))
		return false;
	/* No more than the answer socket holds in one go. */
	n = r->ask_bytes / (r->avg_len + MCB_REPAIR_REC_HDR);
	if (n < 16)
		n = 16;
	if (n > MCB_REPAIR_MAX_RANGE)
		n = MCB_REPAIR_MAX_RANGE;
	end = r->top - r->next < n ? r->top : r->next + n - 1;
	for (uint64_t s = r->next + 1; s <= end; s++)
		if (held(r, s)) {
			end = s - 1;
			break;
		}
	*first = r->next;
	*last = end;
	return true;
}

/* A hole and nothing asked or due: ask after a random delay. */
static void plan(struct mcb_repair *r, uint64_t now)
{
	uint64_t a, b, span = r->cfg.delay_max_ns - r->cfg.delay_min_ns;

	if (r->req_out || r->req_due || !hole(r, &a, &b))
		return;
	r->req_due = now + r->cfg.delay_min_ns + (span ? rnd(r) % span : 0);
}

static void give_up(struct mcb_repair *r, uint64_t last)
{
	if (last > r->lost_until)
		r->lost_until = last;
	if (r->lost_until > r->top)
		r->top = r->lost_until;
}

/* The stream starts at seq (live join, or a late join without history). */
static void start(struct mcb_repair *r, uint32_t run, uint64_t epoch,
		  uint64_t seq)
{
	r->known = true;
	r->joining = false;
	r->run = run;
	r->epoch = epoch;
	r->next = seq;
	if (seq && r->top < seq - 1)
		r->top = seq - 1;
	r->lost_until = 0;
}

/* The late join's request went unanswered: live from what is held. */
static void join_failed(struct mcb_repair *r)
{
	r->st.refused++;
	r->joining = false;
	r->req_join = false;
	if (r->nheld) {
		uint64_t s = r->base;

		while (!held(r, s))
			s++;
		start(r, r->run, r->epoch, s);
	}
}

static int send_request(struct mcb_repair *r, uint64_t now)
{
	struct mcb_repair_msg q;
	unsigned char buf[sizeof(struct mcb_repair_req) + MCB_WIRE_MAC_LEN];
	const struct sockaddr_storage *g = &r->cfg.group;
	size_t len;

	memset(&q, 0, sizeof(q));
	r->req_due = 0;
	if (r->req_join) {
		q.type = r->cfg.join == MCB_REPAIR_JOIN_LAST ? MCB_REPAIR_LAST :
							      MCB_REPAIR_SINCE;
		q.count = r->cfg.join_arg;
		q.first = r->cfg.join_arg;
		if (r->cfg.join == MCB_REPAIR_JOIN_SINCE)
			q.run = r->cfg.join_run;
	} else {
		if (!hole(r, &q.first, &q.last))
			return 0;
		q.type = MCB_REPAIR_RANGE;
		q.run = r->run;
		q.epoch = r->epoch;
	}
	if (r->named) {
		memcpy(q.family, r->family, sizeof(q.family));
		memcpy(q.group, r->group, sizeof(q.group));
	}
	if (g->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)g;

		q.af = 6;
		memcpy(q.addr, &a->sin6_addr, 16);
		q.port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const void *)g;

		q.af = 4;
		memcpy(q.addr, &a->sin_addr, 4);
		q.port = ntohs(a->sin_port);
	}
	q.session = r->session;
	q.req_seq = ++r->req_seq;
	len = mcb_repair_encode(&q, r->cfg.auth, buf, sizeof(buf));
	if (!len)
		return -EIO;
	r->req_out = true;
	r->req_first = q.first;
	r->req_last = q.last;
	r->req_deadline = now + r->cfg.timeout_ns;
	r->st.requests++;
	if (r->tries)
		r->st.retries++;
	/* A lost request is a request without answer: the timeout asks
	 * again.  Only a hard error is one. */
	if (send(r->fd, buf, len, MSG_DONTWAIT) < 0 && errno != EAGAIN &&
	    errno != ENOBUFS && errno != ECONNREFUSED)
		return -errno;
	return 0;
}

int mcb_repair_tick(struct mcb_repair *r, uint64_t now)
{
	if (r->req_out && now >= r->req_deadline) {
		r->req_out = false;
		if (++r->tries > r->cfg.retries) {
			r->tries = 0;
			if (r->req_join)
				join_failed(r);
			else
				give_up(r, r->req_last);
		} else {
			r->req_due = now;
		}
	}
	if (!r->req_out && r->req_due && now >= r->req_due)
		return send_request(r, now);
	return 0;
}

uint64_t mcb_repair_deadline(const struct mcb_repair *r)
{
	if (r->req_out)
		return r->req_deadline;
	return r->req_due;
}

enum mcb_repair_offer mcb_repair_offer(struct mcb_repair *r,
				       const struct mcb_event *ev,
				       const void *buf, size_t len,
				       uint64_t epoch, uint64_t now)
{
	uint64_t seq = ev->bridge_seq;
	uint32_t run = (uint32_t)ev->bridge_run;
	enum mcb_repair_offer v;

	if (!r->named) {
		memcpy(r->family, ev->family, sizeof(r->family));
		memcpy(r->group, ev->group, sizeof(r->group));
		r->named = true;
	}
	if (!ours(r, ev))
		return MCB_RO_PASS;
	r->avg_len = (r->avg_len * 7 + len) / 8;
	if (ev->kind == MCB_KIND_TAIL) {
		/* A tail only speaks for the run we follow. */
		if (!r->known && !r->joining)
			start(r, run, epoch, seq + 1);
		else if (!r->known || run != r->run)
			return MCB_RO_TAIL;
		if (seq > r->top)
			r->top = seq;
		plan(r, now);
		return MCB_RO_TAIL;
	}
	if (r->joining) {
		/* Until the history says where it ends, everything waits. */
		if (!r->run) {
			r->run = run;
			r->epoch = epoch;
		}
		return store(r, seq, buf, len);
	}
	if (!r->known)
		start(r, run, epoch, seq);
	if (run != r->run) {
		/* A new bridge run: the old one is flushed first, its holes
		 * given up (nobody holds its datagrams any more). */
		if (r->restart || len > MCB_WIRE_MAX_DATAGRAM)
			return MCB_RO_DROPPED;
		memcpy(r->rbuf, buf, len);
		r->rlen = len;
		r->rrun = run;
		r->repoch = epoch;
		r->restart = true;
		r->req_out = false;
		r->req_due = 0;
		return MCB_RO_HELD;
	}
	if (seq > r->top)
		r->top = seq;
	if (seq < r->next) {
		r->st.dups++;
		return MCB_RO_DUP;
	}
	if (seq == r->next && !r->restart && !r->ans_recs) {
		r->next++;
		return MCB_RO_PASS;
	}
	v = store(r, seq, buf, len);
	if (v == MCB_RO_DUP)
		r->st.dups++;
	else if (v == MCB_RO_DROPPED)
		r->st.dropped++;
	plan(r, now);
	return v;
}

/* The late join's answer arrived: the seam is at its first seq. */
static void joined(struct mcb_repair *r, const struct mcb_repair_msg *a)
{
	uint32_t run = a->run;

	r->st.joined = true;
	r->st.join_first = a->first;
	r->st.join_last = a->last;
	r->req_join = false;
	/* Held datagrams of the seam's run stay; before it they are had
	 * from the history; another run's cannot be placed. */
	if (r->run && r->run != run)
		release_all(r);
	else
		for (uint32_t i = 0; i < r->nslots; i++) {
			struct slot *s = &r->slots[i];

			if (s->used && (s->seq < a->first ||
					s->seq - a->first >= r->nslots))
				release(r, s->seq);
		}
	start(r, run, r->run == run ? r->epoch : 0, a->first);
	if (a->last > r->top)
		r->top = a->last;
}

int mcb_repair_read(struct mcb_repair *r, uint64_t now)
{
	struct mcb_repair_msg *a = &r->ans;
	ssize_t n;

	if (r->ans_recs)
		return 0;	/* mcb_repair_next() first */
	n = recv(r->fd, r->abuf, MCB_WIRE_MAX_DATAGRAM + 1,
		 MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		/* Nobody on the port yet: the timeout asks again. */
		if (errno == ECONNREFUSED)
			return 1;
		return -errno;
	}
	if ((size_t)n > MCB_WIRE_MAX_DATAGRAM ||
	    mcb_repair_parse_ans(r->abuf, (size_t)n, r->cfg.auth, a) !=
	    MCB_RP_OK) {
		r->st.bad++;
		return 1;
	}
	/* Our session's.  DATA of an earlier request still fills holes (a
	 * listener slow to read may have asked again meanwhile; each
	 * datagram is checked and taken only where one is missing); an END
	 * or the history's first answer only for the request that is out. */
	if (a->session != r->session || a->req_seq > r->req_seq ||
	    (a->req_seq != r->req_seq &&
	     (a->type == MCB_REPAIR_END || r->req_join)) ||
	    (a->type == MCB_REPAIR_END && !r->req_out)) {
		r->st.stale++;
		return 1;
	}
	if (r->req_join && a->type == MCB_REPAIR_END && a->status) {
		r->req_out = false;
		join_failed(r);
		return 1;
	}
	if (r->req_join)
		joined(r, a);
	else if (a->run != r->run && !(a->type == MCB_REPAIR_END &&
				       a->status == MCB_REPAIR_ST_RUN)) {
		r->st.bad++;
		return 1;
	}
	if (a->type == MCB_REPAIR_DATA) {
		r->apos = 0;
		r->ans_recs = true;
		r->tries = 0;
		r->req_deadline = now + r->cfg.timeout_ns;
		return 1;
	}
	r->req_out = false;
	r->tries = 0;
	if (a->status == MCB_REPAIR_ST_BUSY) {
		r->req_due = now + r->cfg.timeout_ns;
		return 1;
	}
	if (a->status) {
		r->st.refused++;
		give_up(r, r->req_last);
		return 1;
	}
	r->st.answers++;
	if (a->lost_first <= a->lost_last)
		give_up(r, a->lost_last);
	/* Left the history while the answer went out. */
	if (a->held_first && a->held_first - 1 >= a->first)
		give_up(r, a->held_first - 1 < a->last ? a->held_first - 1 :
							 a->last);
	/* Asked beyond what the bridge ever sent (a forged datagram's seq),
	 * unless the range was only cut to size. */
	if (a->type == MCB_REPAIR_END && a->last < r->req_last &&
	    a->last + 1 - a->first < MCB_REPAIR_MAX_RANGE)
		give_up(r, r->req_last);
	/* The rest of the hole, if any, at once: the delay was paid. */
	r->req_due = 0;
	if (hole(r, &r->req_first, &r->req_last))
		r->req_due = now;
	return 1;
}

/* A repaired datagram: checked like one from the group, then decoded. */
static bool check_repaired(struct mcb_repair *r, const unsigned char *d,
			   size_t len)
{
	uint64_t epoch = 0;

	if (r->cfg.auth &&
	    mcb_auth_verify(r->cfg.auth, d, len, &epoch) != MCB_AUTH_OK)
		return false;
	if (mcb_decode(d, len, r->cfg.format, &r->ev) != MCB_OK)
		return false;
	/* A late join may hear from the history first: the bridge chose
	 * the mapping by our group, so its names are the stream's. */
	if (!r->named) {
		memcpy(r->family, r->ev.family, sizeof(r->family));
		memcpy(r->group, r->ev.group, sizeof(r->group));
		r->named = true;
	}
	if (!ours(r, &r->ev) || r->ev.bridge_run != r->run ||
	    r->ev.kind == MCB_KIND_TAIL)
		return false;
	if (r->cfg.auth) {
		if (!r->epoch)
			r->epoch = epoch;
		else if (epoch != r->epoch)
			return false;
	}
	return true;
}

static void give_datagram(struct mcb_repair_item *it, struct mcb_repair *r,
			  const unsigned char *d, size_t len, bool repaired)
{
	memset(it, 0, sizeof(*it));
	it->ev = &r->ev;
	it->buf = d;
	it->len = len;
	it->repaired = repaired;
}

/* The next record of the answer that is due now; false when none is. */
static bool from_answer(struct mcb_repair *r, struct mcb_repair_item *it)
{
	const unsigned char *d;
	size_t len;

	while (mcb_repair_data_next(&r->ans, &r->apos, &d, &len)) {
		uint64_t seq;

		if (!check_repaired(r, d, len)) {
			r->st.bad++;
			continue;
		}
		seq = r->ev.bridge_seq;
		if (seq > r->top)
			r->top = seq;
		if (seq == r->next && !held(r, seq)) {
			r->next++;
			r->st.repaired++;
			give_datagram(it, r, d, len, true);
			return true;
		}
		if (seq < r->next || held(r, seq))
			r->st.dups++;
		else if (store(r, seq, d, len) == MCB_RO_HELD)
			/* Out of order: it waits, marked repaired. */
			mcb_ring_at(&r->ring, slot_of(r, seq)->off)->mark |=
				MARK_REPAIRED;
	}
	r->ans_recs = false;
	return false;
}

/* Held datagram next, or the lost range starting at next. */
static bool from_buffer(struct mcb_repair *r, struct mcb_repair_item *it)
{
	while (held(r, r->next)) {
		struct slot *s = slot_of(r, r->next);
		struct mcb_ring_rec *rec = mcb_ring_at(&r->ring, s->off);
		const unsigned char *d = mcb_ring_data(rec);
		bool repaired = rec->mark & MARK_REPAIRED;

		r->next++;
		release(r, s->seq);
		/* Released but still in place until the next push.  It was
		 * decoded when it came: this cannot fail, but is checked. */
		if (mcb_decode(d, rec->len, r->cfg.format, &r->ev) != MCB_OK) {
			r->st.bad++;
			continue;
		}
		if (repaired)
			r->st.repaired++;
		give_datagram(it, r, d, rec->len, repaired);
		return true;
	}
	if (r->next <= r->lost_until) {
		uint64_t end = r->lost_until;

		for (uint64_t s = r->next + 1; s <= end; s++)
			if (held(r, s)) {
				end = s - 1;
				break;
			}
		memset(it, 0, sizeof(*it));
		it->lost = true;
		it->first = r->next;
		it->last = end;
		r->st.unrepairable += end - r->next + 1;
		r->next = end + 1;
		return true;
	}
	return false;
}

bool mcb_repair_next(struct mcb_repair *r, struct mcb_repair_item *it,
		     uint64_t now)
{
	if (r->ans_recs && from_answer(r, it))
		return true;
	if (r->known && !r->joining && from_buffer(r, it))
		return true;
	if (r->restart) {
		/* The old run is over: what it still missed is lost. */
		if (r->known && r->next <= r->top) {
			give_up(r, r->top);
			return from_buffer(r, it);
		}
		/* The new run numbers from 1: what it sent before this
		 * one is a hole like any other. */
		r->restart = false;
		release_all(r);
		r->top = 0;
		start(r, r->rrun, r->repoch, 1);
		if (mcb_decode(r->rbuf, r->rlen, r->cfg.format, &r->ev) !=
		    MCB_OK) {
			r->st.bad++;
			return false;
		}
		r->top = r->ev.bridge_seq;
		if (r->ev.bridge_seq == 1) {
			r->next = 2;
			give_datagram(it, r, r->rbuf, r->rlen, false);
			return true;
		}
		store(r, r->ev.bridge_seq, r->rbuf, r->rlen);
		return mcb_repair_next(r, it, now);
	}
	plan(r, now);
	return false;
}
