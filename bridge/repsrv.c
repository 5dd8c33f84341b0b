// SPDX-License-Identifier: MIT
/*
 * The repair channel's server: requests in, resent datagrams and ENDs out,
 * to the requester only (format and rules: mcbridge/wire.h).  Answers are
 * not sent when asked but pumped, as far as the requester's bucket and
 * the total one allow, between the event batches of the loop; a request
 * replaces its requester's pending answer, so asking again and again buys
 * nothing.  Nothing allocates after mcb_repsrv_open().
 */
#include "repsrv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "loop.h"

/* Best effort: a larger send buffer lets a pump send more at once. */
#define MCB_REPAIR_SNDBUF	(4 * 1024 * 1024)
/* A full socket: try again this much later. */
#define MCB_REPAIR_RETRY_NS	1000000u

int mcb_repsrv_open(struct mcb_repsrv *s, const union mcb_addr *addr,
		    uint64_t rate, uint64_t total, const struct mcb_log *lg)
{
	char a[MCB_ADDRSTRLEN];
	int sndbuf = MCB_REPAIR_SNDBUF, err;
	uint64_t now = mcb_now_ns(), tburst;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->addr = *addr;
	s->log = lg;
	s->rate = rate;
	/* A tenth of a second's worth, and always room for the largest
	 * message: a bucket smaller than a message would never send it. */
	s->burst = rate / 10 > 2 * MCB_WIRE_MAX_DATAGRAM ?
		   rate / 10 : 2 * MCB_WIRE_MAX_DATAGRAM;
	tburst = total / 10 > 2 * MCB_WIRE_MAX_DATAGRAM ?
		 total / 10 : 2 * MCB_WIRE_MAX_DATAGRAM;
	mcb_tb_init(&s->total, total, tburst, now);
	mcb_replay_init(&s->replay);
	s->buf = malloc(MCB_WIRE_MAX_DATAGRAM);
	if (!s->buf) {
		mcb_log(lg, LOG_ERR, "repair: out of memory");
		return -ENOMEM;
	}
	s->fd = socket(addr->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "repair: UDP socket: %s", strerror(-err));
		return err;
	}
	if (bind(s->fd, &addr->sa, mcb_addr_len(addr)) < 0) {
		err = -errno;
		/* In use: the caller says what it makes of it. */
		if (err != -EADDRINUSE)
			mcb_log(lg, LOG_ERR, "repair: bind %s: %s",
				mcb_addr_str(addr, a), strerror(-err));
		return err;
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		       sizeof(sndbuf)) < 0)
		mcb_log(lg, LOG_DEBUG, "repair: SO_SNDBUF: %s", strerror(errno));
	return 0;
}

void mcb_repsrv_close(struct mcb_repsrv *s)
{
	if (s->fd >= 0 && close(s->fd) < 0)
		mcb_log(s->log, LOG_DEBUG, "repair: close: %s", strerror(errno));
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
}

void mcb_repsrv_set_maps(struct mcb_repsrv *s, struct mcb_mapping *maps,
			 size_t n_maps, uint32_t run)
{
	s->maps = maps;
	s->n_maps = n_maps;
	s->run = run;
}

static bool same_addr(const union mcb_addr *a, const union mcb_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family ||
	    a->in.sin_port != b->in.sin_port)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
			       sizeof(a->in6.sin6_addr)) &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id;
	return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

/* The requester's slot: its own, a free one, or the idle one asked least
 * recently; NULL when every slot has an answer pending. */
static struct mcb_repsrv_client *client_get(struct mcb_repsrv *s,
					    const union mcb_addr *from,
					    uint64_t now)
{
	struct mcb_repsrv_client *victim = NULL;

	for (unsigned i = 0; i < MCB_REPAIR_CLIENTS; i++) {
		struct mcb_repsrv_client *c = &s->cl[i];

		if (c->used && same_addr(&c->from, from))
			return c;
		if (!c->used) {
			if (!victim || victim->used)
				victim = c;
		} else if (!c->pending && (!victim || (victim->used &&
				c->active_ns < victim->active_ns))) {
			victim = c;
		}
	}
	if (!victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->from = *from;
	mcb_tb_init(&victim->tb, s->rate, s->burst, now);
	mcb_tb_init(&victim->req, MCB_REPAIR_REQ_RATE, MCB_REPAIR_REQ_BURST,
		    now);
	return victim;
}

/* Does mapping m send where the request says? */
static bool dest_is(const struct mcb_mapping *m, const struct mcb_repair_msg *q)
{
	const union mcb_addr *to = &m->cfg->to;

	if (ntohs(to->in.sin_port) != q->port)
		return false;
	if (q->af == 6)
		return to->sa.sa_family == AF_INET6 &&
		       !memcmp(&to->in6.sin6_addr, q->addr, 16);
	return to->sa.sa_family == AF_INET &&
	       !memcmp(&to->in.sin_addr, q->addr, 4);
}

static uint8_t find_map(const struct mcb_repsrv *s,
			const struct mcb_repair_msg *q,
			struct mcb_mapping **out)
{
	unsigned found = 0;

	for (size_t i = 0; i < s->n_maps; i++) {
		struct mcb_mapping *m = &s->maps[i];

		if (!dest_is(m, q) ||
		    (q->family[0] && strcmp(q->family, m->cfg->family)) ||
		    (q->group[0] && strcmp(q->group, m->cfg->group)))
			continue;
		*out = m;
		found++;
	}
	return found == 0 ? MCB_REPAIR_ST_NO_MAPPING :
	       found > 1 ? MCB_REPAIR_ST_AMBIGUOUS : MCB_REPAIR_OK;
}

/*
 * What to answer: the range asked, cut to what was sent and to
 * MCB_REPAIR_MAX_RANGE; its part no longer held is unrepairable, the rest
 * is resent.  A refusal status otherwise.
 */
static uint8_t plan(struct mcb_repsrv *s, struct mcb_repsrv_client *c,
		    const struct mcb_repair_msg *q)
{
	struct mcb_repair_msg *e = &c->ans;
	struct mcb_mapping *m = NULL;
	const struct mcb_history *h;
	uint64_t newest, held_first, a, b;
	uint8_t st = find_map(s, q, &m);

	if (st)
		return st;
	c->map = m;
	/* Another run's numbers name other datagrams: never answer them. */
	if ((q->type == MCB_REPAIR_RANGE || q->run) && q->run != s->run)
		return MCB_REPAIR_ST_RUN;
	if (m->sign && (q->type == MCB_REPAIR_RANGE || q->epoch) &&
	    q->epoch != m->epoch)
		return MCB_REPAIR_ST_RUN;
	h = &m->hist;
	newest = m->bridge_seq;
	/* Held seqs are a suffix ending at the newest (none: all older). */
	held_first = mcb_history_count(h) ? h->first : newest + 1;
	switch (q->type) {
	case MCB_REPAIR_RANGE:
		if (!q->first || q->first > q->last)
			return MCB_REPAIR_ST_BAD;
		a = q->first;
		b = q->last;
		break;
	case MCB_REPAIR_SINCE:
		if (!q->first)
			return MCB_REPAIR_ST_BAD;
		a = q->first;
		b = newest;
		break;
	default:	/* LAST */
		if (!q->count)
			return MCB_REPAIR_ST_BAD;
		a = newest >= q->count ? newest - q->count + 1 : 1;
		b = newest;
		break;
	}
	if (b > newest)
		b = newest;
	if (b >= a && b - a >= MCB_REPAIR_MAX_RANGE)
		b = a + MCB_REPAIR_MAX_RANGE - 1;
	if (b < a)
		b = a - 1;	/* nothing: first > last */
	e->first = a;
	e->last = b;
	/* What is before the oldest held left the history. */
	e->lost_first = a;
	e->lost_last = held_first - 1 < b ? held_first - 1 : b;
	if (e->lost_last < a) {
		e->lost_first = 1;
		e->lost_last = 0;
	} else {
		s->st.unrepairable += e->lost_last - a + 1;
	}
	c->next = e->lost_last >= a ? e->lost_last + 1 : a;
	c->until = b;
	return MCB_REPAIR_OK;
}

/* Every slot has an answer going: say so at once if the total bucket
 * allows (an END is smaller than the request was), else nothing. */
static void refuse_busy(struct mcb_repsrv *s,
			const struct mcb_repair_msg *q,
			const union mcb_addr *from, uint64_t now)
{
	struct mcb_repair_msg e = {
		.type = MCB_REPAIR_END, .status = MCB_REPAIR_ST_BUSY,
		.run = s->run, .session = q->session, .req_seq = q->req_seq,
		.first = 1, .last = 0, .lost_first = 1, .lost_last = 0,
		.held_first = 1, .held_last = 0,
	};
	size_t len = mcb_repair_encode(&e, s->auth, s->buf,
				       MCB_WIRE_MAX_DATAGRAM);

	if (!len || !mcb_tb_take(&s->total, len, now))
		return;
	if (sendto(s->fd, s->buf, len, MSG_DONTWAIT, &from->sa,
		   mcb_addr_len(from)) < 0) {
		s->st.send_errors++;
		return;
	}
	s->st.messages++;
	s->st.bytes += len;
}

void mcb_repsrv_request(struct mcb_repsrv *s, const void *buf,
			size_t len, const union mcb_addr *from,
			uint64_t now_ns)
{
	struct mcb_repsrv_client *c;
	struct mcb_repair_msg q;
	uint8_t st;

	switch (mcb_repair_parse_req(buf, len, s->auth, &q)) {
	case MCB_RP_OK:
		break;
	case MCB_RP_MALFORMED:
		s->st.malformed++;
		return;
	case MCB_RP_UNSIGNED:
		s->st.unsigned_++;
		return;
	case MCB_RP_BAD_MAC:
		s->st.bad_mac++;
		return;
	case MCB_RP_AUTH_ERROR:
		s->st.auth_errors++;
		return;
	}
	/* Signed: a request is taken once, whoever sends it again. */
	if (s->auth) {
		enum mcb_replay_verdict v = mcb_replay_check(&s->replay,
							     q.session,
							     q.req_seq);

		if (v == MCB_REPLAY_DUP || v == MCB_REPLAY_STALE) {
			s->st.replayed++;
			return;
		}
	}
	c = client_get(s, from, now_ns);
	if (!c) {
		s->st.busy++;
		refuse_busy(s, &q, from, now_ns);
		return;
	}
	if (!mcb_tb_take(&c->req, 1, now_ns)) {
		s->st.throttled++;
		return;
	}
	c->active_ns = now_ns;
	s->st.requests++;
	if (c->pending)
		s->st.superseded++;
	memset(&c->ans, 0, sizeof(c->ans));
	c->map = NULL;
	st = plan(s, c, &q);
	c->ans.type = MCB_REPAIR_END;
	c->ans.status = st;
	c->ans.run = s->run;
	c->ans.session = q.session;
	c->ans.req_seq = q.req_seq;
	if (st) {
		/* A refusal is an END alone, paced like any answer. */
		s->st.refused++;
		c->ans.first = 1;
		c->ans.last = 0;
		c->ans.lost_first = 1;
		c->ans.lost_last = 0;
		c->next = 1;
		c->until = 0;
	}
	c->pending = true;
}

int mcb_repsrv_recv(struct mcb_repsrv *s, uint64_t now_ns)
{
	/* Requests are 152 bytes at most: anything longer is no request. */
	unsigned char req[512];

	for (unsigned i = 0; i < MCB_REPAIR_RECV_BATCH; i++) {
		union mcb_addr from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		memset(&from, 0, sizeof(from));
		n = recvfrom(s->fd, req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC,
			     &from.sa, &fl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)n > sizeof(req) || from.sa.sa_family !=
		    s->addr.sa.sa_family) {
			s->st.malformed++;
			continue;
		}
		mcb_repsrv_request(s, req, (size_t)n, &from, now_ns);
	}
	return 1;
}

/* 1 sent, 0 nothing to send yet (*wait set), -1 the socket is full. */
static int send_msg(struct mcb_repsrv *s, struct mcb_repsrv_client *c,
		    size_t len, uint64_t now)
{
	ssize_t n = sendto(s->fd, s->buf, len, MSG_DONTWAIT, &c->from.sa,
			   mcb_addr_len(&c->from));

	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS || errno == EINTR)
			return -1;
		s->st.send_errors++;
		/* Nowhere to answer: give up this one. */
		c->pending = false;
		return 1;
	}
	mcb_tb_take(&c->tb, len, now);
	mcb_tb_take(&s->total, len, now);
	s->st.messages++;
	s->st.bytes += len;
	return 1;
}

static uint64_t avail(struct mcb_repsrv *s, struct mcb_repsrv_client *c,
		      uint64_t now)
{
	uint64_t a = mcb_tb_avail(&c->tb, now), t = mcb_tb_avail(&s->total, now);

	return a < t ? a : t;
}

static uint64_t wait_for(struct mcb_repsrv *s, struct mcb_repsrv_client *c,
			 uint64_t n, uint64_t now)
{
	uint64_t a = mcb_tb_wait_ns(&c->tb, n, now);
	uint64_t t = mcb_tb_wait_ns(&s->total, n, now);

	return (a > t ? a : t) + 1;
}

/* The next DATA message of c's answer. */
static int send_data(struct mcb_repsrv *s, struct mcb_repsrv_client *c,
		     uint64_t now, uint64_t *wait)
{
	const struct mcb_history *h = &c->map->hist;
	uint64_t room = avail(s, c, now), start;
	size_t len, limit;
	unsigned recs = 0;
	int r;

	/* Left the history while the answer went out: skipped (the END's
	 * held range tells the requester). */
	if (c->next < h->first) {
		uint64_t to = h->first - 1 < c->until ? h->first - 1 : c->until;

		s->st.unrepairable += to - c->next + 1;
		c->next = to + 1;
		if (c->next > c->until)
			return 1;
	}
	start = c->next;
	limit = room < MCB_WIRE_MAX_DATAGRAM ? (size_t)room :
					       MCB_WIRE_MAX_DATAGRAM;
	len = mcb_repair_data_begin(&c->ans, s->buf);
	while (c->next <= c->until && len < MCB_REPAIR_MSG_TARGET) {
		size_t dl, nl;
		const void *d = mcb_history_get(h, c->next, &dl);

		if (!d)
			break;
		nl = mcb_repair_data_add(s->buf, len, limit, d, dl);
		if (!nl) {
			if (!recs)
				*wait = wait_for(s, c, len + MCB_REPAIR_REC_HDR +
						 dl + 3, now);
			break;
		}
		len = nl;
		recs++;
		c->next++;
	}
	if (!recs)
		return 0;
	r = send_msg(s, c, len, now);
	if (r < 0)
		c->next = start;	/* resent next time */
	else
		s->st.resent += recs;
	return r;
}

static int send_end(struct mcb_repsrv *s, struct mcb_repsrv_client *c,
		    uint64_t now, uint64_t *wait)
{
	size_t len;
	int r;

	if (c->map) {
		c->ans.held_first = c->map->hist.first;
		c->ans.held_last = c->map->hist.next - 1;
	}
	len = mcb_repair_encode(&c->ans, s->auth, s->buf,
				MCB_WIRE_MAX_DATAGRAM);
	if (!len) {
		s->st.send_errors++;	/* libcrypto failed */
		c->pending = false;
		return 1;
	}
	if (avail(s, c, now) < len) {
		*wait = wait_for(s, c, len, now);
		return 0;
	}
	r = send_msg(s, c, len, now);
	if (r > 0)
		c->pending = false;
	return r;
}

uint64_t mcb_repsrv_pump(struct mcb_repsrv *s, uint64_t now_ns)
{
	bool progress = true;
	uint64_t wait = 0;

	/* One message per requester per round: a big answer does not hold
	 * up the others. */
	while (progress) {
		progress = false;
		wait = 0;
		for (unsigned k = 0; k < MCB_REPAIR_CLIENTS; k++) {
			struct mcb_repsrv_client *c =
				&s->cl[(s->rr + k) % MCB_REPAIR_CLIENTS];
			uint64_t w = 0;
			int r;

			if (!c->used || !c->pending)
				continue;
			r = c->next <= c->until ? send_data(s, c, now_ns, &w) :
						  send_end(s, c, now_ns, &w);
			if (r < 0)
				return MCB_REPAIR_RETRY_NS;
			if (r > 0)
				progress = true;
			else if (w && (!wait || w < wait))
				wait = w;
		}
		s->rr = (s->rr + 1) % MCB_REPAIR_CLIENTS;
	}
	return mcb_repsrv_pending(s) ? (wait ? wait : MCB_REPAIR_RETRY_NS) : 0;
}

unsigned mcb_repsrv_pending(const struct mcb_repsrv *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MCB_REPAIR_CLIENTS; i++)
		n += s->cl[i].used && s->cl[i].pending;
	return n;
}
