/* SPDX-License-Identifier: MIT */
/*
 * The forwarder's loop.  Datagrams from the groups are checked and decoded
 * by the client library (mcb_receive), turned into records in a bounded
 * ring (lib/bytering.h), and published in order: core NATS takes a record when
 * the client accepts it; JetStream when the stream acknowledges it.
 *
 * JetStream: up to --max-inflight records are in flight, each a request
 * whose reply comes to INBOX.<lseq> (lseq numbers the records of this
 * run).  A refusal, a missing reply (--ack-wait) or a reconnection sends
 * everything not yet acknowledged again from the oldest, in order, after
 * a back-off, the oldest alone until it is stored; Nats-Msg-Id makes the
 * stream drop what it already had.
 *
 * When the ring is full, events are dropped and counted per stream; once
 * there is room again a "lost" record saying which and how many goes in
 * first, so the stream shows the loss where it happened.
 *
 * --repair (the default with JetStream): each group's mapping goes
 * through the client library's repair engine, which asks the bridge's
 * history for what the socket lost and hands the events on in bridge_seq
 * order, or a range it could not have (announced like a drop).  With
 * JetStream a forwarder starts where the stream's last message of the
 * mapping left off: until that is known (the stream answers) the
 * mapping's datagrams are not taken; the engine's first request asks the
 * history for everything after that message in the same bridge run, so
 * those come back too.  Nats-Msg-Id drops the overlap.  While the ring
 * has no room for one more datagram, the mapping's datagrams are left to
 * the history the same way and the engine waits: it asks for them once
 * NATS has taken enough.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <linux/mcbridge.h>
#include <mcbridge/names.h>

#include "fwd.h"
#include "lib/bytering.h"
#include "lib/mcaddr.h"
#include "lib/sdnotify.h"
#include "link.h"
#include "stream.h"
#include "subject.h"

#define RX_BATCH	64	/* datagrams per socket per turn */
#define ACK_BATCH	256
#define MAX_LOSSES	32	/* streams with unannounced drops */
#define TYPE_MAX	40
#define DIAG_BURST	10	/* lines per kind per second */
#define NS_PER_MS	1000000u
#define NS_PER_S	1000000000u
/* "No responders" this long: the stream may be gone, not just electing a
 * leader (seconds); then it is checked (and made) again.  The check
 * blocks the loop for up to 2 x --ack-wait, so not on every refusal. */
#define NO_RESPONDERS_RECHECK_NS	(10ull * NS_PER_S)
/* Binary datagrams rendered as JSON: escapes can make a string six times
 * longer, so the largest rendering fits here. */
#define RENDER_MAX	(8 * MCB_WIRE_MAX_DATAGRAM)

enum rec_flag {
	REC_KSEQ = 1 << 0,	/* kernel_seq is valid */
	REC_KTIME = 1 << 1,	/* kernel_time_ns is valid */
	REC_SENT = 1 << 2,	/* published at least once */
	REC_ACKED = 1 << 3,	/* the stream has it */
	REC_LOST = 1 << 4,	/* the forwarder's own "lost" record */
	REC_MIXED = 1 << 5,	/* ... counting drops of other streams too */
	REC_OPEN = 1 << 6,	/* ... from bridge_seq on, number unknown */
};

/* A record in the ring: what the subject, the headers and the payload
 * are made of. */
struct rec {
	uint64_t lseq;
	uint64_t sent_ns;		/* last publish, CLOCK_MONOTONIC */
	uint64_t bridge_seq, bridge_time_ns, run;
	uint64_t kernel_seq, kernel_time_ns;
	uint64_t wall_ns;		/* CLOCK_REALTIME at receive */
	uint64_t lost_count, lost_last;	/* REC_LOST */
	uint32_t len;			/* payload bytes */
	uint8_t flags;
	uint8_t format;			/* enum mcb_format of the payload */
	uint8_t listen;			/* which group it came from */
	char family[MCB_WIRE_NAMSIZ];	/* subject tokens */
	char group[MCB_WIRE_NAMSIZ];
	char type[TYPE_MAX];
	unsigned char payload[];
};

/* Drops of one stream (group, family, group name, bridge run) waiting to
 * be announced. */
struct loss {
	uint8_t listen;
	bool mixed;
	bool open;	/* an earlier bridge run's end: not counted */
	char family[MCB_WIRE_NAMSIZ], group[MCB_WIRE_NAMSIZ];	/* as sent */
	uint64_t run, first, last, count, first_time_ns, wall_ns;
};

/* --repair, per group: the mapping's resume point looked up in the
 * stream (WAIT, JetStream only), then the engine on (ON). */
enum rep_state { REP_OFF, REP_WAIT, REP_ON };

struct sock {
	int fd;
	struct mcb_receiver rx;
	struct mcb_seq_tracker seq;
	enum rep_state rep_state;
	struct mcb_repair *rep;
	bool mapped;		/* the repaired mapping is known: */
	char family[MCB_WIRE_NAMSIZ], group[MCB_WIRE_NAMSIZ];
	uint64_t run_id;	/* its run, as the headers carry it */
	uint32_t bridge_run;	/* its run, as the repair channel */
	uint64_t first_seq;	/* WAIT: the first one not taken */
	uint64_t look_due;	/* WAIT: look the stream up then */
	unsigned look_attempt;
};

struct counters {
	uint64_t received, bad, events, notices, tails, unconverted;
	uint64_t published, retries, acknowledged, duplicates, nacks;
	uint64_t timeouts, publish_errors, stale_acks, reordered;
	uint64_t lost, lost_records, gaps, missing, restarts;
	size_t buffered_max;
	uint64_t deferred, resumed, resume_fresh, resume_other_run;
};

enum diag { DIAG_BAD, DIAG_GAP, DIAG_NACK, DIAG__COUNT };

struct diag_limit {
	uint64_t start;
	unsigned shown;
	uint64_t suppressed;
};

struct fwd {
	const struct mcbn_fwd_opts *o;
	const struct mcb_log *log;
	int ep, sigfd;
	struct sock socks[MCBN_MAX_LISTEN];
	bool receiving;
	struct mcbn_link link;
	bool js;
	bool stream_ready;
	uint64_t stream_retry_ns;
	unsigned stream_attempt;
	bool was_connected;
	struct mcb_ring ring;	/* key: the record's lseq */
	uint64_t next_lseq;	/* of the next record pushed */
	uint64_t head_lseq;	/* of the ring's first record */
	uint64_t send_lseq;	/* the next record to publish ... */
	size_t send_off;	/* ... at this offset (when < next_lseq) */
	uint64_t sent_hi;	/* highest lseq published + 1 */
	size_t *inflight;	/* JetStream: offset by lseq % max_inflight */
	uint64_t pause_until;	/* back-off after a failure */
	unsigned fail_streak;
	uint64_t no_resp_since;	/* first "no responders" in a row, 0: none */
	uint64_t top_stream_seq, top_lseq;	/* order check */
	struct loss losses[MAX_LOSSES];
	unsigned nlosses;
	bool draining;
	uint64_t drain_deadline;
	char pattern[MCBN_SUBJECT_MAX];	/* PREFIX.HOST.*.*.* */
	struct counters c;
	struct diag_limit diag[DIAG__COUNT];
	struct mcbn_ack acks[ACK_BATCH];
	struct mcb_event ev;		/* the datagram being handled */
	struct mcb_event notice;	/* a "lost" record being made */
	char *render;		/* RENDER_MAX bytes */
	FILE *render_f;		/* writes into render */
	unsigned char dgram[MCB_WIRE_MAX_DATAGRAM + 1];
};

static uint64_t wall_ns(void)
{
	struct timespec ts;

	/* Cannot fail with a valid clock and pointer. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* May a line of this kind be logged now?  Any local process can send to
 * the group, so per-datagram lines are limited; the rest are counted. */
static bool diag_ok(struct fwd *f, enum diag d, uint64_t now)
{
	struct diag_limit *l = &f->diag[d];

	if (now - l->start >= NS_PER_S) {
		if (l->suppressed)
			mcb_log(f->log, LOG_WARNING, "%" PRIu64 " more such "
				"message(s) not shown", l->suppressed);
		l->start = now;
		l->shown = 0;
		l->suppressed = 0;
	}
	if (l->shown < DIAG_BURST) {
		l->shown++;
		return true;
	}
	l->suppressed++;
	return false;
}

static struct rec *rec_at(const struct fwd *f, size_t off)
{
	return mcb_ring_data(mcb_ring_at(&f->ring, off));
}

/* ---- records in ------------------------------------------------------ */

static void type_token(const struct mcb_event *ev, char *buf, size_t n)
{
	const char *name = NULL;
	char num[16];

	if (ev->kind == MCB_KIND_OVERRUN)
		name = MCB_JSON_KIND_OVERRUN;
	else if (ev->kind == MCB_KIND_LOST)
		name = MCB_JSON_KIND_LOST;
	else if (mcb_event_is_mcbridge(ev) && (ev->has & MCB_HAS_TYPE))
		name = mcb_name(mcb_event_type_names, ev->type);
	else if (ev->has & MCB_HAS_CMD_NAME)
		name = ev->cmd_name;
	if (!name) {
		/* Unnamed: the number, as the JSON encoder writes it. */
		snprintf(num, sizeof(num), "%" PRIu32,
			 mcb_event_is_mcbridge(ev) && (ev->has & MCB_HAS_TYPE) ?
			 ev->type : ev->cmd);
		name = num;
	}
	mcbn_token(buf, n, name, strlen(name));
}

/* The record's place in the ring: its payload follows it. */
static struct rec *push(struct fwd *f, size_t len)
{
	struct rec *r = mcb_ring_push(&f->ring, f->next_lseq, sizeof(*r) + len,
				      false, NULL);

	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->lseq = f->next_lseq++;
	r->len = (uint32_t)len;
	if (f->send_lseq == r->lseq)
		f->send_off = mcb_ring_offset(&f->ring, r);
	if (f->ring.used > f->c.buffered_max)
		f->c.buffered_max = f->ring.used;
	return r;
}

/* The payload for the settings: the datagram, or its JSON rendering. */
static const void *payload(struct fwd *f, const struct mcb_event *ev,
			   const unsigned char *buf, size_t *len,
			   uint8_t *format)
{
	long n;

	*format = (uint8_t)ev->format;
	if (f->o->payload != MCBN_PAYLOAD_JSON || ev->format == MCB_FMT_JSON)
		return buf;
	rewind(f->render_f);
	mcb_render_json(f->render_f, ev, NULL);
	n = ftell(f->render_f);
	if (fflush(f->render_f) != 0 || ferror(f->render_f) || n <= 0 ||
	    n >= RENDER_MAX) {
		clearerr(f->render_f);
		f->c.unconverted++;	/* sent as it came: never dropped */
		return buf;
	}
	*format = MCB_FMT_JSON;
	*len = (size_t)n;
	return f->render;
}

/* The pending announcement of one stream's drops, from seq on. */
static struct loss *loss_for(struct fwd *f, unsigned li, uint64_t run,
			     const char *family, const char *group,
			     uint64_t seq, uint64_t time_ns, bool open)
{
	struct loss *l;

	for (unsigned i = 0; i < f->nlosses; i++) {
		l = &f->losses[i];
		if (l->listen == li && l->run == run && l->open == open &&
		    !strcmp(l->family, family) && !strcmp(l->group, group))
			return l;
	}
	if (f->nlosses == MAX_LOSSES) {
		/* More streams than slots: counted with the last one. */
		l = &f->losses[MAX_LOSSES - 1];
		l->mixed = true;
		return l;
	}
	l = &f->losses[f->nlosses++];
	memset(l, 0, sizeof(*l));
	l->listen = (uint8_t)li;
	l->open = open;
	l->run = run;
	snprintf(l->family, sizeof(l->family), "%s", family);
	snprintf(l->group, sizeof(l->group), "%s", group);
	l->first = seq;
	l->last = seq;
	l->first_time_ns = time_ns;
	l->wall_ns = wall_ns();
	return l;
}

/* count events first..last of a stream are not forwarded. */
static void lose(struct fwd *f, unsigned li, uint64_t run, const char *family,
		 const char *group, uint64_t first, uint64_t last,
		 uint64_t count, uint64_t time_ns)
{
	struct loss *l = loss_for(f, li, run, family, group, first, time_ns,
				  false);

	l->count += count;
	if (last > l->last)
		l->last = last;
	if (first < l->first)
		l->first = first;
	f->c.lost += count;
}

static void drop(struct fwd *f, unsigned li, const struct mcb_event *ev)
{
	if (!f->nlosses)
		mcb_log(f->log, LOG_WARNING, "buffer full (%zu events, %zu "
			"bytes): dropping %s/%s events from bridge_seq %"
			PRIu64 ", counted and announced later",
			f->ring.count, f->ring.used, ev->family, ev->group,
			ev->bridge_seq);
	lose(f, li, ev->run_id, ev->family, ev->group, ev->bridge_seq,
	     ev->bridge_seq, 1, ev->bridge_time_ns);
}

/* The announcement of one loss as a record: a "lost" notice, rendered
 * like the bridge's own (JSON), with the range in its headers. */
static bool push_loss(struct fwd *f, const struct loss *l)
{
	struct mcb_event *ev = &f->notice;
	struct rec *r;
	long n;

	mcb_event_reset(ev);
	ev->format = MCB_FMT_JSON;
	ev->kind = MCB_KIND_LOST;
	snprintf(ev->family, sizeof(ev->family), "%s", l->family);
	snprintf(ev->group, sizeof(ev->group), "%s", l->group);
	ev->bridge_seq = l->first;
	ev->bridge_time_ns = l->first_time_ns;
	ev->bridge_run = l->run <= UINT32_MAX ? (uint32_t)l->run : 0;
	ev->count = l->count;
	rewind(f->render_f);
	mcb_render_json(f->render_f, ev, NULL);
	n = ftell(f->render_f);
	if (fflush(f->render_f) != 0 || n <= 0 || n >= RENDER_MAX)
		return false;	/* cannot happen: a notice is short */
	r = push(f, (size_t)n);
	if (!r)
		return false;
	r->flags = REC_LOST | (l->mixed ? REC_MIXED : 0);
	r->format = MCB_FMT_JSON;
	r->listen = l->listen;
	r->bridge_seq = l->first;
	r->bridge_time_ns = l->first_time_ns;
	r->run = l->run;
	r->wall_ns = l->wall_ns;
	if (l->open)
		r->flags |= REC_OPEN;
	r->lost_count = l->count;
	r->lost_last = l->last;
	mcbn_token(r->family, sizeof(r->family), l->family, strlen(l->family));
	mcbn_token(r->group, sizeof(r->group), l->group, strlen(l->group));
	snprintf(r->type, sizeof(r->type), MCB_JSON_KIND_LOST);
	memcpy(r->payload, f->render, (size_t)n);
	return true;
}

/* Announce what was dropped, oldest first, as far as room allows. */
static bool flush_losses(struct fwd *f)
{
	unsigned done = 0;

	while (done < f->nlosses && push_loss(f, &f->losses[done])) {
		const struct loss *l = &f->losses[done];

		if (l->open)
			mcb_log(f->log, LOG_WARNING, "announced: %s/%s run %"
				PRIx64 " from bridge_seq %" PRIu64 " on not "
				"forwarded (the bridge restarted; how many "
				"is unknown)", l->family, l->group, l->run,
				l->first);
		else
			mcb_log(f->log, LOG_WARNING, "announced: %" PRIu64
				" %s/%s event(s) dropped, bridge_seq %" PRIu64
				"..%" PRIu64 "%s", l->count, l->family,
				l->group, l->first, l->last, l->mixed ?
				" (and of other streams)" : "");
		f->c.lost_records++;
		done++;
	}
	if (done) {
		memmove(f->losses, f->losses + done,
			(f->nlosses - done) * sizeof(f->losses[0]));
		f->nlosses -= done;
	}
	return f->nlosses == 0;
}

static void track_seq(struct fwd *f, struct sock *s,
		      const struct mcb_event *ev, uint64_t now)
{
	uint64_t missed;

	switch (mcb_seq_check(&s->seq, ev, &missed)) {
	case MCB_SEQ_GAP:
		f->c.gaps++;
		f->c.missing += missed;
		if (diag_ok(f, DIAG_GAP, now))
			mcb_log(f->log, LOG_WARNING, "gap: %s/%s bridge_seq %"
				PRIu64 ", %" PRIu64 " missing (lost before "
				"the forwarder)", ev->family, ev->group,
				ev->bridge_seq, missed);
		break;
	case MCB_SEQ_RESTART:
		f->c.restarts++;
		f->c.missing += missed;
		mcb_log(f->log, LOG_NOTICE, "%s/%s: bridge restarted (run %"
			PRIx64 ")", ev->family, ev->group, ev->run_id);
		break;
	case MCB_SEQ_LATE:
		if (f->c.missing)
			f->c.missing--;
		break;
	case MCB_SEQ_FIRST:
	case MCB_SEQ_OK:
	case MCB_SEQ_UNTRACKED:
		break;
	}
}

/* An event, in order: into the ring. */
static void take(struct fwd *f, unsigned li, const struct mcb_event *ev,
		 const unsigned char *buf, size_t len, uint64_t now)
{
	struct sock *s = &f->socks[li];
	const void *data;
	uint8_t format;
	struct rec *r;

	track_seq(f, s, ev, now);
	if (ev->kind == MCB_KIND_EVENT)
		f->c.events++;
	else
		f->c.notices++;
	/* Whatever was dropped goes first, so the stream keeps the order. */
	if (f->nlosses && !flush_losses(f)) {
		drop(f, li, ev);
		return;
	}
	data = payload(f, ev, buf, &len, &format);
	r = push(f, len);
	if (!r) {
		drop(f, li, ev);
		return;
	}
	r->format = format;
	r->listen = (uint8_t)li;
	r->bridge_seq = ev->bridge_seq;
	r->bridge_time_ns = ev->bridge_time_ns;
	r->run = ev->run_id;
	r->wall_ns = wall_ns();
	if (ev->has & MCB_HAS_KERNEL_SEQ) {
		r->flags |= REC_KSEQ;
		r->kernel_seq = ev->kernel_seq;
	}
	if (ev->has & MCB_HAS_KERNEL_TIME) {
		r->flags |= REC_KTIME;
		r->kernel_time_ns = ev->kernel_time_ns;
	}
	mcbn_token(r->family, sizeof(r->family), ev->family,
		   strlen(ev->family));
	mcbn_token(r->group, sizeof(r->group), ev->group, strlen(ev->group));
	type_token(ev, r->type, sizeof(r->type));
	memcpy(r->payload, data, len);
}

/* No room for one more record of the largest datagram: the repaired
 * mappings wait (their datagrams are left to the bridge's history). */
static bool full(const struct fwd *f)
{
	return !mcb_ring_fits(&f->ring, sizeof(struct rec) +
			      MCB_WIRE_MAX_DATAGRAM);
}

static bool is_mapping(const struct sock *s, const struct mcb_event *ev)
{
	return !strcmp(ev->family, s->family) && !strcmp(ev->group, s->group);
}

/* WAIT: the mapping's datagrams are left to the history (the engine's
 * first request asks for them); the first one, or a tail, names it.
 * true: taken so. */
static bool wait_resume(struct fwd *f, struct sock *s,
			const struct mcb_event *ev)
{
	if (!s->mapped) {
		s->mapped = true;
		snprintf(s->family, sizeof(s->family), "%s", ev->family);
		snprintf(s->group, sizeof(s->group), "%s", ev->group);
		s->run_id = ev->run_id;
		s->bridge_run = ev->bridge_run;
		s->first_seq = ev->kind == MCB_KIND_TAIL ? ev->bridge_seq + 1 :
							  ev->bridge_seq;
		s->look_due = 0;
	}
	if (!is_mapping(s, ev))
		return false;
	if (ev->kind != MCB_KIND_TAIL)
		f->c.deferred++;
	return true;
}

static void handle(struct fwd *f, unsigned li, size_t len, uint64_t now)
{
	struct sock *s = &f->socks[li];
	struct mcb_event *ev = &f->ev;
	struct mcb_recv_info info;
	enum mcb_recv_result res;

	res = mcb_receive(&s->rx, f->dgram, len, ev, &info);
	if (res == MCB_RECV_OK && !(ev->has & MCB_HAS_RUN_ID))
		ev->run_id = 0;	/* an older bridge: no run to tell */
	/* An idle bridge's tail repeats a bridge_seq: no datagram of the
	 * stream (counted apart, not forwarded); a lost end of the stream
	 * it shows is a gap like any other. */
	if (res == MCB_RECV_OK && ev->kind == MCB_KIND_TAIL) {
		f->c.tails++;
		if (s->rep_state == REP_WAIT)
			wait_resume(f, s, ev);
		else if (s->rep_state == REP_ON && !full(f))
			mcb_repair_offer(s->rep, ev, f->dgram, len,
					 info.epoch, now);
		else
			track_seq(f, s, ev, now);
		return;
	}
	f->c.received++;
	if (res != MCB_RECV_OK) {
		f->c.bad++;
		if (diag_ok(f, DIAG_BAD, now))
			mcb_log(f->log, LOG_WARNING, "%s: bad datagram, %zu "
				"bytes: %s (not forwarded)",
				f->o->listen[li].where, len,
				mcb_recv_strerror(res, &info));
		return;
	}
	if (s->rep_state == REP_WAIT && wait_resume(f, s, ev))
		return;
	/* Full: the engine will see the hole and ask for it later. */
	if (s->rep_state == REP_ON && s->mapped && is_mapping(s, ev) &&
	    full(f)) {
		f->c.deferred++;
		return;
	}
	/* Held, had already, or to be asked for: the engine gives it. */
	if (s->rep_state == REP_ON &&
	    mcb_repair_offer(s->rep, ev, f->dgram, len, info.epoch, now) !=
	    MCB_RO_PASS)
		return;
	take(f, li, ev, f->dgram, len, now);
}

/* ---- the repair channel ------------------------------------------------ */

static int watch(struct fwd *f, int fd, uint32_t tag);

/* What the engine of group li has ready, in order. */
static void rep_drain(struct fwd *f, unsigned li, uint64_t now)
{
	struct sock *s = &f->socks[li];
	struct mcb_repair_item it;

	while (!full(f) && mcb_repair_next(s->rep, &it, now)) {
		if (!it.lost) {
			s->run_id = it.ev->run_id;
			take(f, li, it.ev, it.buf, it.len, now);
			continue;
		}
		if (diag_ok(f, DIAG_GAP, now))
			mcb_log(f->log, LOG_WARNING, "unrepairable: %s/%s "
				"bridge_seq %" PRIu64 "..%" PRIu64 " (not in "
				"the bridge's history): announced",
				s->family, s->group, it.first, it.last);
		lose(f, li, s->run_id, s->family, s->group, it.first, it.last,
		     it.last - it.first + 1, 0);
		flush_losses(f);
	}
}

/* Answers on group li's repair socket, then what is due. */
static int rep_serve(struct fwd *f, unsigned li, uint64_t now)
{
	struct sock *s = &f->socks[li];
	uint64_t due;
	int r;

	if (s->rep_state != REP_ON || full(f))
		return 0;
	for (int i = 0; i < RX_BATCH; i++) {
		r = mcb_repair_read(s->rep, now);
		if (r < 0) {
			mcb_log(f->log, LOG_WARNING, "repair channel: %s",
				strerror(-r));
			break;
		}
		rep_drain(f, li, now);
		if (r == 0)
			break;
	}
	due = mcb_repair_deadline(s->rep);
	if (due && due <= now) {
		r = mcb_repair_tick(s->rep, now);
		if (r < 0)
			mcb_log(f->log, LOG_WARNING, "repair channel: send: %s",
				strerror(-r));
		rep_drain(f, li, now);
	}
	return 0;
}

/* The engine of group li; SINCE since in run (0: live). */
static int rep_open(struct fwd *f, unsigned li, uint64_t since, uint32_t run)
{
	const struct mcbn_listen *l = &f->o->listen[li];
	struct sock *s = &f->socks[li];
	struct mcb_repair_cfg rc;
	int err;

	memset(&rc, 0, sizeof(rc));
	rc.server = f->o->repair_to;
	mcb_listen_group_addr(&l->cfg, &rc.group);
	if (s->mapped) {
		memcpy(rc.family, s->family, sizeof(rc.family));
		memcpy(rc.group_name, s->group, sizeof(rc.group_name));
	}
	rc.format = MCB_FMT_AUTO;
	rc.auth = s->rx.authenticate ? &s->rx.auth : NULL;
	rc.buffer = f->o->repair_buffer;
	rc.join = since ? MCB_REPAIR_JOIN_SINCE : MCB_REPAIR_JOIN_LIVE;
	rc.join_arg = since;
	rc.join_run = run;
	err = mcb_repair_open(&s->rep, &rc);
	if (err) {
		mcb_log(f->log, LOG_ERR, "repair channel %s: %s",
			f->o->repair_addr, strerror(-err));
		return err;
	}
	s->rep_state = REP_ON;
	return watch(f, mcb_repair_fd(s->rep), MCBN_MAX_LISTEN + 2 + li);
}

/* WAIT: where did the stream's last message of the mapping leave off? */
static int resume(struct fwd *f, unsigned li, uint64_t now)
{
	struct sock *s = &f->socks[li];
	char subj[MCBN_SUBJECT_MAX], fam[MCBN_TOKEN_MAX], grp[MCBN_TOKEN_MAX];
	char why[512];
	struct mcbn_last last = { 0 };
	uint64_t since = s->first_seq;
	int err;

	if (s->rep_state != REP_WAIT || !s->mapped || !f->stream_ready ||
	    !f->was_connected || now < s->look_due)
		return 0;
	mcbn_token(fam, sizeof(fam), s->family, strlen(s->family));
	mcbn_token(grp, sizeof(grp), s->group, strlen(s->group));
	snprintf(subj, sizeof(subj), "%s.%s.%s.%s.*", f->o->prefix,
		 f->o->host_token, fam, grp);
	err = mcbn_stream_last(f->link.nc, f->o, subj, &last, why,
			       sizeof(why));
	if (err == -EAGAIN) {
		mcb_log(f->log, LOG_WARNING, "%s; trying again", why);
		s->look_due = mcb_now_ns() +
			mcbn_backoff_ms(s->look_attempt++,
					f->o->conn.reconnect_min_ms,
					f->o->conn.reconnect_max_ms, now) *
			NS_PER_MS;
		return 0;
	}
	if (err == 0 && last.run == s->run_id) {
		since = last.seq + 1;
		f->c.resumed++;
		mcb_log(f->log, LOG_INFO, "%s/%s: the stream has up to "
			"bridge_seq %" PRIu64 " of this bridge run: asking the "
			"bridge for the rest", s->family, s->group, last.seq);
	} else if (err == 0) {
		/* The bridge restarted since: its last run's end is gone
		 * with it; the new run from its start. */
		since = 1;
		f->c.resume_other_run++;
		/* Announced once: a restart finds the announcement. */
		if (!last.open) {
			loss_for(f, li, last.run, s->family, s->group,
				 last.seq + 1, 0, true);
			flush_losses(f);
		}
		mcb_log(f->log, LOG_WARNING, "%s/%s: the stream's last event "
			"is of another bridge run (%" PRIx64 ", bridge_seq %"
			PRIu64 "): announced; this run from its start",
			s->family, s->group, last.run, last.seq);
	} else {
		f->c.resume_fresh++;
		if (err != -ENOENT)
			mcb_log(f->log, LOG_WARNING, "%s", why);
		mcb_log(f->log, LOG_INFO, "%s/%s: nothing of this host in the "
			"stream: from bridge_seq %" PRIu64, s->family,
			s->group, since);
	}
	return rep_open(f, li, since ? since : 1, s->bridge_run);
}

/* Read what is queued on group li, at most RX_BATCH datagrams. */
static int rx_drain(struct fwd *f, unsigned li)
{
	for (int i = 0; i < RX_BATCH; i++) {
		/* MSG_TRUNC: the real length, to tell oversized apart. */
		ssize_t n = recv(f->socks[li].fd, f->dgram, sizeof(f->dgram),
				 MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			mcb_log(f->log, LOG_ERR, "%s: receive: %s",
				f->o->listen[li].where, strerror(errno));
			return -errno;
		}
		handle(f, li, (size_t)n, mcb_now_ns());
	}
	return 0;
}

/* ---- records out ----------------------------------------------------- */

/* One header whose value is a number. */
static natsStatus hdr_u64(natsMsg *m, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return natsMsgHeader_Set(m, key, num);
}

/* The message of a record.  The C client allocates it (its API has no
 * other way to carry headers); nothing of ours is allocated. */
static natsStatus build_msg(struct fwd *f, const struct rec *r,
			    natsMsg **out)
{
	const struct mcbn_fwd_opts *o = f->o;
	char subj[MCBN_SUBJECT_MAX], reply[128], id[512], run[24];
	natsMsg *m = NULL;
	natsStatus s;

	snprintf(subj, sizeof(subj), "%s.%s.%s.%s.%s", o->prefix,
		 o->host_token, r->family, r->group, r->type);
	if (f->js)
		mcbn_link_reply(&f->link, r->lseq, reply, sizeof(reply));
	s = natsMsg_Create(&m, subj, f->js ? reply : NULL,
			   (const char *)r->payload, (int)r->len);
	if (s != NATS_OK)
		return s;
	/* host/instance/family/group/run/seq: the same event forwarded by
	 * any forwarder of this mapping has the same id, and a bridge run
	 * starts its bridge_seq again under a new one. */
	snprintf(run, sizeof(run), "%" PRIx64, r->run);
	if (r->flags & REC_LOST)
		snprintf(id, sizeof(id), "%s/%s/%s/%s/%s/lost-%" PRIu64,
			 o->host_token, o->listen[r->listen].instance,
			 r->family, r->group, run, r->bridge_seq);
	else
		snprintf(id, sizeof(id), "%s/%s/%s/%s/%s/%" PRIu64,
			 o->host_token, o->listen[r->listen].instance,
			 r->family, r->group, run, r->bridge_seq);
	s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
	if (s == NATS_OK && f->js)
		s = natsMsgHeader_Set(m, "Nats-Expected-Stream", o->stream);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Mcb-Host", o->host);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Mcb-Format", r->format ==
				      MCB_FMT_BINARY ? "binary" : "json");
	if (s == NATS_OK)
		s = hdr_u64(m, "Mcb-Bridge-Seq", r->bridge_seq);
	if (s == NATS_OK)
		s = hdr_u64(m, "Mcb-Bridge-Time-Ns", r->bridge_time_ns);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Mcb-Bridge-Run", run);
	if (s == NATS_OK && (r->flags & REC_KSEQ))
		s = hdr_u64(m, "Mcb-Kernel-Seq", r->kernel_seq);
	if (s == NATS_OK && (r->flags & REC_KTIME))
		s = hdr_u64(m, "Mcb-Kernel-Time-Ns", r->kernel_time_ns);
	if (s == NATS_OK)
		s = hdr_u64(m, "Mcb-Forwarded-Ns", r->wall_ns);
	if (s == NATS_OK && (r->flags & REC_LOST)) {
		s = natsMsgHeader_Set(m, "Mcb-Origin", MCBN_NAME);
		if (s == NATS_OK)
			s = hdr_u64(m, "Mcb-Lost-Count", r->lost_count);
		if (s == NATS_OK)
			s = hdr_u64(m, "Mcb-Lost-First", r->bridge_seq);
		if (s == NATS_OK && (r->flags & REC_OPEN))
			s = natsMsgHeader_Set(m, "Mcb-Lost-Open", "1");
		else if (s == NATS_OK)
			s = hdr_u64(m, "Mcb-Lost-Last", r->lost_last);
		if (s == NATS_OK && (r->flags & REC_MIXED))
			s = natsMsgHeader_Set(m, "Mcb-Lost-Mixed", "1");
	}
	if (s != NATS_OK) {
		natsMsg_Destroy(m);
		return s;
	}
	*out = m;
	return NATS_OK;
}

/* Publish the oldest record not yet acknowledged again, and all after. */
static void go_back(struct fwd *f)
{
	if (mcb_ring_first(&f->ring, &f->send_off))
		f->send_lseq = f->head_lseq;
}

static void pause_after_failure(struct fwd *f, uint64_t now)
{
	const struct mcbn_conn_opts *c = &f->o->conn;

	f->pause_until = now + mcbn_backoff_ms(f->fail_streak,
					       c->reconnect_min_ms,
					       c->reconnect_max_ms, now) *
			       NS_PER_MS;
	if (f->fail_streak < 32)
		f->fail_streak++;
}

static void pop_head(struct fwd *f)
{
	mcb_ring_pop(&f->ring);
	f->head_lseq++;
	if (f->send_lseq < f->head_lseq) {
		f->send_lseq = f->head_lseq;
		if (!mcb_ring_first(&f->ring, &f->send_off))
			f->send_off = 0;
	}
}

static bool may_send(const struct fwd *f, uint64_t now)
{
	if (f->send_lseq >= f->next_lseq || now < f->pause_until ||
	    !f->was_connected)
		return false;
	if (!f->js)
		return true;
	/* After a failure one record probes until it is stored: no burst
	 * of refusals, and nothing later can overtake it. */
	return f->stream_ready && f->send_lseq - f->head_lseq <
	       (f->fail_streak ? 1 : f->o->max_inflight);
}

static void pump(struct fwd *f, uint64_t now)
{
	while (may_send(f, now)) {
		struct rec *r = rec_at(f, f->send_off);
		natsMsg *m = NULL;
		natsStatus s = NATS_OK;

		if (!(r->flags & REC_ACKED)) {
			s = build_msg(f, r, &m);
			if (s == NATS_OK)
				s = natsConnection_PublishMsg(f->link.nc, m);
			natsMsg_Destroy(m);
		}
		if (s != NATS_OK) {
			/* Disconnected under us, or the client's buffer is
			 * full: the record stays, and goes again later. */
			f->c.publish_errors++;
			mcb_log(f->log, LOG_DEBUG, "publish: %s",
				natsStatus_GetText(s));
			pause_after_failure(f, now);
			return;
		}
		if (!(r->flags & REC_ACKED)) {
			if (r->flags & REC_SENT)
				f->c.retries++;
			else
				f->c.published++;
			r->flags |= REC_SENT;
		}
		if (!f->js) {
			/* Core NATS: the client has it. */
			pop_head(f);
			continue;
		}
		r->sent_ns = now;
		f->inflight[r->lseq % f->o->max_inflight] = f->send_off;
		if (r->lseq + 1 > f->sent_hi)
			f->sent_hi = r->lseq + 1;
		f->send_lseq++;
		if (f->send_lseq < f->next_lseq &&
		    !mcb_ring_next(&f->ring, &f->send_off))
			f->send_lseq = f->next_lseq;	/* cannot happen */
	}
}

/* Stored records must keep the order they were received in: a record
 * stored after a later one (a refusal or lost reply, then the later one
 * got through) is counted and logged. */
static void check_order(struct fwd *f, uint64_t lseq, uint64_t sseq)
{
	bool wrong = sseq > f->top_stream_seq ? lseq < f->top_lseq :
						lseq > f->top_lseq;

	if (f->top_stream_seq && wrong) {
		f->c.reordered++;
		mcb_log(f->log, LOG_WARNING, "stored out of order: record %"
			PRIu64 " at stream seq %" PRIu64 ", record %" PRIu64
			" at %" PRIu64, lseq, sseq, f->top_lseq,
			f->top_stream_seq);
	}
	if (sseq > f->top_stream_seq) {
		f->top_stream_seq = sseq;
		f->top_lseq = lseq;
	}
}

static void ack(struct fwd *f, const struct mcbn_ack *a, uint64_t now)
{
	struct rec *r;

	if (a->lseq < f->head_lseq || a->lseq >= f->sent_hi) {
		f->c.stale_acks++;	/* answered again after a resend */
		if (a->kind == MCBN_ACK_DUPLICATE)
			f->c.duplicates++;
		return;
	}
	r = rec_at(f, f->inflight[a->lseq % f->o->max_inflight]);
	if (r->lseq != a->lseq) {
		f->c.stale_acks++;	/* cannot happen: the window is W */
		return;
	}
	switch (a->kind) {
	case MCBN_ACK_STORED:
	case MCBN_ACK_DUPLICATE:
		if (a->kind == MCBN_ACK_DUPLICATE)
			f->c.duplicates++;
		if (r->flags & REC_ACKED)
			return;
		r->flags |= REC_ACKED;
		f->c.acknowledged++;
		f->fail_streak = 0;
		f->no_resp_since = 0;
		if (a->kind == MCBN_ACK_STORED)
			check_order(f, a->lseq, a->stream_seq);
		return;
	case MCBN_ACK_ERROR:
	case MCBN_ACK_MALFORMED:
		break;
	}
	if (r->flags & REC_ACKED)
		return;
	f->c.nacks++;
	if (diag_ok(f, DIAG_NACK, now))
		mcb_log(f->log, LOG_WARNING, "not stored (%u %u %s): publishing "
			"again from bridge_seq %" PRIu64 " after a pause",
			a->code, a->err_code, a->kind == MCBN_ACK_MALFORMED ?
			"malformed reply" : a->text,
			rec_at(f, f->ring.tail)->bridge_seq);
	if (a->no_responders) {
		if (!f->no_resp_since) {
			f->no_resp_since = now;
		} else if (now - f->no_resp_since > NO_RESPONDERS_RECHECK_NS) {
			f->stream_ready = false;
			f->no_resp_since = 0;
		}
	}
	go_back(f);
	pause_after_failure(f, now);
}

static void take_acks(struct fwd *f, uint64_t now)
{
	unsigned n;

	while ((n = mcbn_link_take_acks(&f->link, f->acks, ACK_BATCH))) {
		for (unsigned i = 0; i < n; i++)
			ack(f, &f->acks[i], now);
	}
	while (f->ring.count && (rec_at(f, f->ring.tail)->flags & REC_ACKED))
		pop_head(f);
}

/* The oldest record in flight without a reply after --ack-wait. */
static void check_timeout(struct fwd *f, uint64_t now)
{
	struct rec *r;

	/* Away from NATS nothing can come: the reconnection sends again. */
	if (!f->js || !f->was_connected || f->send_lseq == f->head_lseq ||
	    !f->ring.count)
		return;
	r = rec_at(f, f->ring.tail);
	if (!r->sent_ns || now - r->sent_ns < f->o->ack_wait_ms * NS_PER_MS)
		return;
	f->c.timeouts++;
	if (diag_ok(f, DIAG_NACK, now))
		mcb_log(f->log, LOG_WARNING, "no acknowledgement in %" PRIu64
			" ms: publishing again from bridge_seq %" PRIu64,
			f->o->ack_wait_ms, r->bridge_seq);
	r->sent_ns = 0;
	go_back(f);
	pause_after_failure(f, now);
}

/* ---- the connection --------------------------------------------------- */

/* 0, or -EINVAL for a stream that does not fit the settings. */
static int check_stream(struct fwd *f, uint64_t now)
{
	char why[512];
	bool created;
	int err;

	if (!f->js || f->stream_ready || !f->was_connected ||
	    now < f->stream_retry_ns)
		return 0;
	err = mcbn_stream_ensure(f->link.nc, f->o, f->pattern, &created, why,
				 sizeof(why));
	if (err == -EINVAL) {
		mcb_log(f->log, LOG_ERR, "%s", why);
		return err;
	}
	if (err) {
		mcb_log(f->log, LOG_WARNING, "%s; trying again", why);
		f->stream_retry_ns = mcb_now_ns() +
			mcbn_backoff_ms(f->stream_attempt++,
					f->o->conn.reconnect_min_ms,
					f->o->conn.reconnect_max_ms, now) *
			NS_PER_MS;
		return 0;
	}
	mcb_log(f->log, LOG_INFO, "stream %s %s", f->o->stream,
		created ? "created" : "checked");
	f->stream_ready = true;
	f->stream_attempt = 0;
	/* Whatever was sent before went nowhere or was stored: again. */
	go_back(f);
	return 0;
}

/* Follow the connection's state.  -ENOTCONN once it is closed for good. */
static int link_state(struct fwd *f, uint64_t now)
{
	bool up = mcbn_link_connected(&f->link);
	char url[256];

	if (natsConnection_Status(f->link.nc) == NATS_CONN_STATUS_CLOSED) {
		char why[512];

		mcbn_link_why_closed(&f->link, why, sizeof(why));
		mcb_log(f->log, LOG_ERR, "NATS connection closed: %s", why);
		return -ENOTCONN;
	}
	if (up == f->was_connected)
		return 0;
	f->was_connected = up;
	if (up) {
		mcb_log(f->log, LOG_INFO, "connected to %s; %zu event(s) held",
			mcbn_link_url(&f->link, url, sizeof(url)),
			f->ring.count);
		f->fail_streak = 0;
		f->pause_until = 0;
		f->stream_retry_ns = now;
		go_back(f);
	} else {
		mcb_log(f->log, LOG_WARNING, "NATS unreachable: holding events "
			"(%zu held, buffer %" PRIu64 " bytes)", f->ring.count,
			f->o->buffer);
	}
	return 0;
}

/* ---- operation -------------------------------------------------------- */

static void stats(struct fwd *f, const char *what)
{
	const struct counters *c = &f->c;
	struct mcbn_link_counts lc;
	struct mcb_repair_stats rs;

	mcbn_link_get_counts(&f->link, &lc);
	memset(&rs, 0, sizeof(rs));
	for (unsigned i = 0; i < f->o->n_listen; i++) {
		const struct mcb_repair_stats *e;

		if (!f->socks[i].rep)
			continue;
		e = mcb_repair_stats(f->socks[i].rep);
		rs.requests += e->requests;
		rs.retries += e->retries;
		rs.repaired += e->repaired;
		rs.unrepairable += e->unrepairable;
		rs.dropped += e->dropped;
		rs.refused += e->refused;
		rs.bad += e->bad;
	}
	mcb_log(f->log, LOG_INFO, "%s: received=%" PRIu64 " bad=%" PRIu64
		" events=%" PRIu64 " notices=%" PRIu64 " published=%" PRIu64
		" retries=%" PRIu64 " acknowledged=%" PRIu64 " duplicates=%"
		PRIu64 " nacks=%" PRIu64 " timeouts=%" PRIu64 " buffered=%zu"
		" buffered_bytes=%zu buffered_max_bytes=%zu lost=%" PRIu64
		" lost_records=%" PRIu64 " lost_pending=%u gaps=%" PRIu64
		" missing=%" PRIu64 " restarts=%" PRIu64 " reordered=%" PRIu64
		" unconverted=%" PRIu64 " publish_errors=%" PRIu64
		" disconnects=%" PRIu64 " reconnects=%" PRIu64
		" acks_dropped=%" PRIu64 " tails=%" PRIu64 " repaired=%" PRIu64
		" unrepairable=%" PRIu64 " repair_requests=%" PRIu64
		" repair_retries=%" PRIu64 " repair_dropped=%" PRIu64
		" repair_refused=%" PRIu64 " repair_bad=%" PRIu64 " deferred=%"
		PRIu64 " resumed=%" PRIu64 " resumed_fresh=%" PRIu64
		" resumed_other_run=%" PRIu64 " connected=%s",
		what, c->received,
		c->bad, c->events, c->notices, c->published, c->retries,
		c->acknowledged, c->duplicates, c->nacks, c->timeouts,
		f->ring.count, f->ring.used, c->buffered_max, c->lost,
		c->lost_records, f->nlosses, c->gaps, c->missing, c->restarts,
		c->reordered, c->unconverted, c->publish_errors,
		lc.disconnects, lc.reconnects, lc.acks_dropped, c->tails,
		rs.repaired, rs.unrepairable, rs.requests, rs.retries,
		rs.dropped, rs.refused, rs.bad, c->deferred, c->resumed,
		c->resume_fresh, c->resume_other_run,
		f->was_connected ? "yes" : "no");
}

static void stop_receiving(struct fwd *f)
{
	for (unsigned i = 0; i < f->o->n_listen; i++) {
		if (f->socks[i].fd < 0)
			continue;
		if (close(f->socks[i].fd) < 0)
			mcb_log(f->log, LOG_DEBUG, "close: %s", strerror(errno));
		f->socks[i].fd = -1;	/* close() left the epoll set */
	}
	f->receiving = false;
}

/* 1 to go on, 0 to stop now, -errno. */
static int signals(struct fwd *f, uint64_t now)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read(f->sigfd, &si, sizeof(si));

		if (n < 0)
			return errno == EAGAIN ? 1 : -errno;
		if (n != sizeof(si))
			return -EIO;
		if (si.ssi_signo == SIGUSR1) {
			stats(f, "stats");
			continue;
		}
		if (f->draining) {
			mcb_log(f->log, LOG_WARNING, "second stop request: "
				"not waiting for the rest");
			return 0;
		}
		f->draining = true;
		f->drain_deadline = now + f->o->drain_timeout_s * NS_PER_S;
		stop_receiving(f);
		mcb_log(f->log, LOG_INFO, "stopping: publishing %zu held "
			"event(s), for at most %" PRIu64 " s", f->ring.count,
			f->o->drain_timeout_s);
		if (mcb_sd_notify("STOPPING=1") < 0)
			mcb_log(f->log, LOG_DEBUG, "sd_notify failed");
	}
}

/* How long epoll may sleep: until the next thing due, or -1. */
static int next_wait_ms(const struct fwd *f, uint64_t now)
{
	uint64_t due = UINT64_MAX;

	if (f->js && f->send_lseq != f->head_lseq && f->ring.count) {
		const struct rec *r = rec_at(f, f->ring.tail);

		if (r->sent_ns)
			due = r->sent_ns + f->o->ack_wait_ms * NS_PER_MS;
	}
	if (f->send_lseq < f->next_lseq && f->pause_until > now &&
	    f->pause_until < due)
		due = f->pause_until;
	if (f->js && !f->stream_ready && f->was_connected &&
	    f->stream_retry_ns < due)
		due = f->stream_retry_ns;
	if (f->draining && f->drain_deadline < due)
		due = f->drain_deadline;
	for (unsigned i = 0; i < f->o->n_listen; i++) {
		const struct sock *s = &f->socks[i];
		uint64_t d = 0;

		/* Full: what NATS acknowledges wakes the loop. */
		if (s->rep_state == REP_ON && !full(f))
			d = mcb_repair_deadline(s->rep);
		else if (s->rep_state == REP_WAIT && s->mapped &&
			 f->stream_ready && f->was_connected)
			d = s->look_due ? s->look_due : now;
		if (d && d < due)
			due = d;
	}
	if (due == UINT64_MAX)
		return -1;
	if (due <= now)
		return 0;
	/* Rounded up: waking early only loops once more. */
	return (int)((due - now + NS_PER_MS - 1) / NS_PER_MS);
}

/* Nothing left to publish: the buffer and the loss notes are empty, and
 * no repair engine waits on a gap (what it holds comes out repaired, or
 * as a lost range, once the bridge answers or the retries run out). */
static unsigned repairs_pending(const struct fwd *f)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->o->n_listen; i++)
		if (f->socks[i].rep && f->socks[i].rep_state == REP_ON &&
		    mcb_repair_deadline(f->socks[i].rep))
			n++;
	return n;
}

static bool drained(const struct fwd *f)
{
	return f->ring.count == 0 && f->nlosses == 0 && !repairs_pending(f);
}

static int loop(struct fwd *f)
{
	struct epoll_event evs[2 * MCBN_MAX_LISTEN + 2];

	for (;;) {
		uint64_t now = mcb_now_ns();
		int n, err;

		err = link_state(f, now);
		if (err == 0)
			err = check_stream(f, now);
		if (err)
			return err;
		take_acks(f, now);
		check_timeout(f, now);
		for (unsigned i = 0; i < f->o->n_listen && !err; i++)
			err = resume(f, i, now);
		for (unsigned i = 0; i < f->o->n_listen; i++)
			rep_serve(f, i, now);
		if (err)
			return err;
		if (f->nlosses)
			flush_losses(f);
		pump(f, now);
		if (f->draining && drained(f))
			return 0;
		if (f->draining && now >= f->drain_deadline)
			return -EPIPE;
		n = epoll_wait(f->ep, evs, 2 * MCBN_MAX_LISTEN + 2,
			       next_wait_ms(f, now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			mcb_log(f->log, LOG_ERR, "epoll_wait: %s",
				strerror(-err));
			return err;
		}
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;

			if (tag == MCBN_MAX_LISTEN) {
				err = signals(f, mcb_now_ns());
				if (err <= 0)
					return err;
			} else if (tag == MCBN_MAX_LISTEN + 1) {
				err = mcbn_link_clear_wake(&f->link);
			} else if (tag >= MCBN_MAX_LISTEN + 2) {
				err = rep_serve(f, tag - MCBN_MAX_LISTEN - 2,
						mcb_now_ns());
			} else if (f->receiving) {
				err = rx_drain(f, tag);
				/* A hole filled from the group frees more. */
				if (!err && f->socks[tag].rep_state == REP_ON)
					rep_drain(f, tag, mcb_now_ns());
			}
			if (err < 0)
				return err;
		}
	}
}

static int watch(struct fwd *f, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		mcb_log(f->log, LOG_ERR, "epoll_ctl: %s", strerror(-err));
		return err;
	}
	return 0;
}

static int open_groups(struct fwd *f, const struct mcb_key *key)
{
	for (unsigned i = 0; i < f->o->n_listen; i++) {
		const struct mcbn_listen *l = &f->o->listen[i];
		const char *what;
		int err;

		mcb_seq_init(&f->socks[i].seq);
		err = mcb_receiver_init(&f->socks[i].rx, MCB_FMT_AUTO, key);
		if (err) {
			mcb_log(f->log, LOG_ERR, "libcrypto has no HMAC-SHA256");
			return err;
		}
		f->socks[i].fd = mcb_listen_open(&l->cfg, &what);
		if (f->socks[i].fd < 0) {
			err = -errno;
			mcb_log(f->log, LOG_ERR, "%s: %s: %s", l->where, what,
				strerror(-err));
			return err;
		}
		err = watch(f, f->socks[i].fd, i);
		if (err)
			return err;
		/* JetStream: first where the stream left off; core NATS:
		 * from the first datagram on. */
		if (f->o->repair && f->js)
			f->socks[i].rep_state = REP_WAIT;
		else if (f->o->repair)
			err = rep_open(f, i, 0, 0);
		if (err)
			return err;
	}
	f->receiving = true;
	return 0;
}

static int open_signals(struct fwd *f)
{
	sigset_t sigs;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	f->sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (f->sigfd < 0) {
		int err = -errno;

		mcb_log(f->log, LOG_ERR, "signalfd: %s", strerror(-err));
		return err;
	}
	return watch(f, f->sigfd, MCBN_MAX_LISTEN);
}

static int setup(struct fwd *f, const struct mcb_key *key)
{
	const struct mcbn_fwd_opts *o = f->o;
	char why[512], name[MCBN_HOST_MAX + 32];
	int err;

	f->js = o->stream != NULL;
	snprintf(f->pattern, sizeof(f->pattern), "%s.%s.*.*.*", o->prefix,
		 o->host_token);
	f->render = malloc(RENDER_MAX);
	if (f->render)
		f->render_f = fmemopen(f->render, RENDER_MAX, "w");
	if (f->js)
		f->inflight = calloc(o->max_inflight, sizeof(*f->inflight));
	err = mcb_ring_init(&f->ring, o->buffer);
	/* Renderings go straight into render: no stdio buffer between. */
	if (err || !f->render_f || (f->js && !f->inflight) ||
	    setvbuf(f->render_f, NULL, _IONBF, 0) != 0) {
		mcb_log(f->log, LOG_ERR, "out of memory for a %" PRIu64
			"-byte buffer", o->buffer);
		return -ENOMEM;
	}
	f->ep = epoll_create1(EPOLL_CLOEXEC);
	if (f->ep < 0) {
		err = -errno;
		mcb_log(f->log, LOG_ERR, "epoll_create1: %s", strerror(-err));
		return err;
	}
	err = open_signals(f);
	if (err == 0)
		err = open_groups(f, key);
	if (err)
		return err;
	snprintf(name, sizeof(name), MCBN_NAME "@%s", o->host);
	err = mcbn_link_open(&f->link, &o->conn, o->conn.name ? o->conn.name :
			     name, f->js ? (unsigned)o->max_inflight * 2 : 0,
			     true, f->log, why, sizeof(why));
	if (err) {
		mcb_log(f->log, LOG_ERR, "NATS: %s", why);
		return err;
	}
	return watch(f, f->link.wakefd, MCBN_MAX_LISTEN + 1);
}

static void ready(struct fwd *f, FILE *out)
{
	const struct mcbn_fwd_opts *o = f->o;
	int err;

	fprintf(out, MCBN_NAME ": ready:");
	for (unsigned i = 0; i < o->n_listen; i++)
		fprintf(out, " %s", o->listen[i].where);
	fprintf(out, " -> %s as %s.%s.>, %s%s\n", o->conn.servers, o->prefix,
		o->host_token, f->js ? "JetStream stream " : "core NATS",
		f->js ? o->stream : "");
	if (fflush(out) != 0)
		mcb_log(f->log, LOG_DEBUG, "ready line: %s", strerror(errno));
	err = mcb_sd_notify("READY=1");
	if (err < 0)
		mcb_log(f->log, LOG_WARNING, "NOTIFY_SOCKET: %s",
			strerror(-err));
}

static void teardown(struct fwd *f)
{
	stop_receiving(f);
	for (unsigned i = 0; i < f->o->n_listen; i++) {
		mcb_receiver_fini(&f->socks[i].rx);
		mcb_repair_close(f->socks[i].rep);
	}
	mcbn_link_close(&f->link);
	if (f->sigfd >= 0 && close(f->sigfd) < 0)
		mcb_log(f->log, LOG_DEBUG, "close: %s", strerror(errno));
	if (f->ep >= 0 && close(f->ep) < 0)
		mcb_log(f->log, LOG_DEBUG, "close: %s", strerror(errno));
	if (f->render_f && fclose(f->render_f) != 0)
		mcb_log(f->log, LOG_DEBUG, "fclose: %s", strerror(errno));
	free(f->render);
	free(f->inflight);
	mcb_ring_free(&f->ring);
}

int mcbn_fwd_run(const struct mcbn_fwd_opts *o, const struct mcb_key *key,
		 const struct mcb_log *lg, FILE *ready_out)
{
	/* Allocated once: the datagram and event buffers are large. */
	struct fwd *f = calloc(1, sizeof(*f));
	int err;

	if (!f) {
		mcb_log(lg, LOG_ERR, "out of memory");
		return -ENOMEM;
	}
	f->o = o;
	f->log = lg;
	f->ep = f->sigfd = -1;
	f->link.wakefd = -1;
	for (unsigned i = 0; i < MCBN_MAX_LISTEN; i++)
		f->socks[i].fd = -1;
	err = setup(f, key);
	if (err == 0) {
		ready(f, ready_out);
		err = loop(f);
		if (err == -EPIPE || (err == 0 && !drained(f))) {
			mcb_log(lg, LOG_ERR, "%zu held event(s), %u loss "
				"announcement(s) and the events of %u mapping(s) "
				"waiting for a repair not published",
				f->ring.count, f->nlosses, repairs_pending(f));
			err = -EPIPE;
		} else if (err == 0 && !f->js && f->link.nc &&
			   natsConnection_FlushTimeout(f->link.nc, 2000) !=
			   NATS_OK) {
			/* Core NATS: what the client holds must reach the
			 * server before we close. */
			mcb_log(lg, LOG_ERR, "last events not confirmed by the "
				"server (flush)");
			err = -EPIPE;
		}
		stats(f, "final stats");
	}
	teardown(f);
	free(f);
	return err;
}
