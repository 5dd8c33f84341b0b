/* SPDX-License-Identifier: MIT */
/*
 * mcbridge-listen receive loop: join, then per datagram decode, check the
 * stream, filter, print; a summary on stderr at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/mcbridge.h>

#include "lib/mcaddr.h"
#include "listen.h"

#define TAG MCB_LISTEN_NAME ": "
#define BAD_SHOW_BYTES	120
/* Any local process can send to the group: every per-datagram line on
 * stderr is rate-limited per class, the rest only counted, so a flood of
 * datagrams (well-formed or not) cannot flood the terminal too. */
#define DIAG_BURST	10		/* lines per class and period */
#define DIAG_PERIOD_NS	1000000000u
/* Datagrams read before looking at signals and the deadline again: a
 * sender faster than we decode must not keep us from stopping. */
#define DRAIN_BATCH	64

enum diag_class {
	DIAG_BAD,
	DIAG_GAP,
	DIAG_RESTART,
	DIAG_NOTICE,
	DIAG_EPOCH,
	DIAG_REPAIR,
	DIAG__COUNT
};

static const char *const diag_names[DIAG__COUNT] = {
	[DIAG_BAD] = "bad datagram",
	[DIAG_GAP] = "gap",
	[DIAG_RESTART] = "restart",
	[DIAG_NOTICE] = "notice",
	[DIAG_EPOCH] = "epoch",
	[DIAG_REPAIR] = "unrepairable",
};

struct diag_limit {
	uint64_t start;		/* of the current period */
	unsigned shown;		/* lines in this period */
	uint64_t suppressed;	/* not shown since the last summary line */
};

struct counters {
	uint64_t received;	/* datagrams, good or bad */
	uint64_t events;	/* kind "event" */
	uint64_t printed;	/* events printed (passed --type) */
	uint64_t gaps, missing, restarts, late;
	/* bridge_seq gaps in a stream the kernel filter thins by type:
	 * filtered out or lost, which the listener cannot tell apart */
	uint64_t unseen;
	uint64_t overrun_notices, overruns;
	uint64_t lost_notices, lost_events;
	uint64_t bad;
	uint64_t tails;		/* idle markers, not printed */
	uint64_t bad_by[MCB_ERR__COUNT + 1];	/* last: oversized */
	/* --key: dropped, by reason */
	uint64_t unsigned_, bad_mac, replayed, auth_errors, epochs;
};

struct state {
	const struct listen_opts *o;
	struct counters c;
	struct mcb_seq_tracker seq;
	struct mcb_latency lat;
	struct mcb_event ev;
	struct mcb_receiver rx;
	struct mcb_repair *rep;	/* --repair */
	struct diag_limit diag[DIAG__COUNT];
	uint64_t now;		/* receive time of the current datagram */
	bool kfilter;		/* a kernel filter is attached */
	bool out_closed;	/* stdout gone (EPIPE): stop quietly */
	bool out_failed;
};

static void diag_flush(struct diag_limit *d, enum diag_class c)
{
	if (d->suppressed)
		fprintf(stderr, TAG "%" PRIu64 " more %s message(s) not shown"
			" (counted in the summary)\n", d->suppressed,
			diag_names[c]);
	d->suppressed = 0;
}

/* May a line of class c go to stderr now? */
static bool diag_ok(struct state *s, enum diag_class c)
{
	struct diag_limit *d = &s->diag[c];

	if (d->shown == 0 || s->now - d->start >= DIAG_PERIOD_NS) {
		diag_flush(d, c);
		d->start = s->now;
		d->shown = 0;
	}
	if (d->shown < DIAG_BURST) {
		d->shown++;
		return true;
	}
	d->suppressed++;
	return false;
}

static void report_bad(struct state *s, const union mcb_addr *src,
		       const unsigned char *buf, size_t len, const char *why)
{
	char addr[MCB_ADDRSTRLEN];

	s->c.bad++;
	if (!diag_ok(s, DIAG_BAD))
		return;
	fprintf(stderr, TAG "bad datagram from %s, %zu bytes, %s: ",
		mcb_addr_str(src, addr), len, why);
	mcb_print_raw(stderr, buf, len, BAD_SHOW_BYTES);
	putc('\n', stderr);
}

/* Every event of ev's stream is kept from the socket by the kernel filter
 * (an unwanted family): its notices and tails still come, with gaps. */
static bool stream_unwanted(const struct state *s, const struct mcb_event *ev)
{
	const struct mcb_filter *f = &s->o->filter;

	if (!s->kfilter)
		return false;
	if (!mcb_filter_has_family(f, ev->family))
		return true;
	return f->types && !mcb_event_is_mcbridge(ev) &&
	       !(f->types & (1u << MCB_FILTER_TYPE_OTHER));
}

/* Some events of ev's stream are kept from the socket by type (binary
 * only): a gap may be those as well as loss. */
static bool stream_thinned(const struct state *s, const struct mcb_event *ev)
{
	return s->kfilter && s->o->filter.types &&
	       ev->format == MCB_FMT_BINARY && mcb_event_is_mcbridge(ev);
}

static void check_seq(struct state *s, const struct mcb_event *ev)
{
	uint64_t missed;

	if (stream_unwanted(s, ev))
		return;
	switch (mcb_seq_check(&s->seq, ev, &missed)) {
	case MCB_SEQ_GAP:
		if (stream_thinned(s, ev)) {
			s->c.unseen += missed;
			break;
		}
		s->c.gaps++;
		s->c.missing += missed;
		if (diag_ok(s, DIAG_GAP))
			fprintf(stderr, TAG "gap: %s/%s bridge_seq %" PRIu64
				", %" PRIu64 " missing\n", ev->family,
				ev->group, ev->bridge_seq, missed);
		break;
	case MCB_SEQ_RESTART:
		s->c.restarts++;
		if (diag_ok(s, DIAG_RESTART))
			fprintf(stderr, TAG "restart: %s/%s bridge_seq back "
				"to %" PRIu64 " (bridge restarted)\n",
				ev->family, ev->group, ev->bridge_seq);
		if (missed) {
			s->c.gaps++;
			s->c.missing += missed;
			if (diag_ok(s, DIAG_GAP))
				fprintf(stderr, TAG "gap: %s/%s %" PRIu64
					" missing after the restart\n",
					ev->family, ev->group, missed);
		}
		break;
	case MCB_SEQ_LATE:
		/* Reported missing when the gap opened: take it back. */
		s->c.late++;
		if (stream_thinned(s, ev) && s->c.unseen)
			s->c.unseen--;
		else if (s->c.missing)
			s->c.missing--;
		break;
	case MCB_SEQ_UNTRACKED:
	case MCB_SEQ_FIRST:
	case MCB_SEQ_OK:
		break;
	}
}

static void note_notice(struct state *s, const struct mcb_event *ev)
{
	if (ev->kind == MCB_KIND_OVERRUN) {
		s->c.overrun_notices++;
		s->c.overruns += ev->count;
		if (diag_ok(s, DIAG_NOTICE))
			fprintf(stderr, TAG "overrun: %s/%s: bridge's "
				"netlink socket overran %" PRIu64 " time(s), "
				"events lost\n", ev->family, ev->group,
				ev->count);
	} else {
		s->c.lost_notices++;
		s->c.lost_events += ev->count;
		if (!diag_ok(s, DIAG_NOTICE))
			return;
		fprintf(stderr, TAG "lost: %s/%s: %" PRIu64 " event(s) missing "
			"from the kernel sequence", ev->family, ev->group,
			ev->count);
		if (ev->has & MCB_HAS_KERNEL_SEQ)
			fprintf(stderr, " before seq %" PRIu64, ev->kernel_seq);
		putc('\n', stderr);
	}
}

static void print_event(struct state *s, const struct mcb_event *ev,
			uint64_t now, bool repaired)
{
	struct mcb_render_extra extra = { .repaired = repaired };

	if (s->o->latency && ev->kind == MCB_KIND_EVENT &&
	    (ev->has & MCB_HAS_KERNEL_TIME)) {
		extra.has_latency = true;
		extra.latency_ns = (int64_t)(now - ev->kernel_time_ns);
		mcb_lat_add(&s->lat, extra.latency_ns);
	}
	if (s->o->human)
		mcb_render_human(stdout, ev, &extra);
	else
		mcb_render_json(stdout, ev, &extra);
	/* One line at a time for pipes and the tests reading them. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			s->out_closed = true;
		else
			s->out_failed = true;
	}
}

/* Counts a datagram mcb_receive() refused, by reason. */
static void refused(struct state *s, enum mcb_recv_result res,
		    const struct mcb_recv_info *info)
{
	switch (res) {
	case MCB_RECV_OK:
		return;
	case MCB_RECV_OVERSIZED:
		s->c.bad_by[MCB_ERR__COUNT]++;
		return;
	case MCB_RECV_BAD:
		s->c.bad_by[info->err]++;
		return;
	case MCB_RECV_UNSIGNED:
		s->c.unsigned_++;
		return;
	case MCB_RECV_BAD_MAC:
		s->c.bad_mac++;
		return;
	case MCB_RECV_AUTH_ERROR:
		s->c.auth_errors++;
		return;
	case MCB_RECV_REPLAYED:
	case MCB_RECV_STALE:
		s->c.replayed++;
		return;
	}
}

/* One datagram in order: stream checks, counts, output. */
static void deliver(struct state *s, const struct mcb_event *ev,
		    bool repaired, uint64_t now)
{
	/* A tail says how far the stream went: a gap at its end shows. */
	if (ev->kind == MCB_KIND_TAIL) {
		s->c.tails++;
		check_seq(s, ev);
		return;
	}
	check_seq(s, ev);
	if (ev->kind == MCB_KIND_EVENT)
		s->c.events++;
	else
		note_notice(s, ev);
	if (!mcb_filter_match(&s->o->filter, ev))
		return;
	print_event(s, ev, now, repaired);
	if (ev->kind == MCB_KIND_EVENT)
		s->c.printed++;
}

static void handle(struct state *s, const unsigned char *buf, size_t len,
		   size_t cap, const union mcb_addr *src)
{
	uint64_t now = mcb_now_ns();
	struct mcb_recv_info info;
	enum mcb_recv_result res;

	s->now = now;
	s->c.received++;
	res = mcb_receive(&s->rx, buf, len, &s->ev, &info);
	if (res != MCB_RECV_OK) {
		refused(s, res, &info);
		report_bad(s, src, buf, len < cap ? len : cap,
			   mcb_recv_strerror(res, &info));
		return;
	}
	if (info.new_epoch) {
		s->c.epochs++;
		if (diag_ok(s, DIAG_EPOCH))
			fprintf(stderr, TAG "epoch %016" PRIx64 ": %s/%s "
				"from bridge_seq %" PRIu64 "\n", info.epoch,
				s->ev.family, s->ev.group, s->ev.bridge_seq);
	}
	if (s->rep) {
		switch (mcb_repair_offer(s->rep, &s->ev, buf, len, info.epoch,
					 now)) {
		case MCB_RO_PASS:
			break;
		case MCB_RO_TAIL:
			s->c.tails++;
			return;
		default:	/* held, had, or to be asked for */
			return;
		}
	}
	deliver(s, &s->ev, false, now);
}

/* What the repair engine has ready, in order; --count stops it. */
static void repair_drain(struct state *s, uint64_t now)
{
	struct mcb_repair_item it;

	while (!s->out_closed && !s->out_failed &&
	       !(s->o->count && s->c.printed >= s->o->count) &&
	       mcb_repair_next(s->rep, &it, now)) {
		if (!it.lost) {
			deliver(s, it.ev, it.repaired, now);
			continue;
		}
		if (diag_ok(s, DIAG_REPAIR))
			fprintf(stderr, TAG "unrepairable: %s/%s bridge_seq "
				"%" PRIu64 "..%" PRIu64 " (%" PRIu64 ")\n",
				s->ev.family, s->ev.group, it.first, it.last,
				it.last - it.first + 1);
	}
}

static void summary(struct state *s)
{
	const struct counters *c = &s->c;

	for (int i = 0; i < DIAG__COUNT; i++)
		diag_flush(&s->diag[i], (enum diag_class)i);
	fprintf(stderr, TAG "summary: received=%" PRIu64 " events=%" PRIu64
		" printed=%" PRIu64 " gaps=%" PRIu64 " missing=%" PRIu64
		" restarts=%" PRIu64 " overrun_notices=%" PRIu64
		" overruns=%" PRIu64 " lost_notices=%" PRIu64
		" lost_events=%" PRIu64 " bad=%" PRIu64 " late=%" PRIu64
		" tails=%" PRIu64, c->received, c->events, c->printed,
		c->gaps, c->missing, c->restarts, c->overrun_notices,
		c->overruns, c->lost_notices, c->lost_events, c->bad, c->late,
		c->tails);
	if (s->kfilter && s->o->filter.types)
		fprintf(stderr, " unseen=%" PRIu64, c->unseen);
	putc('\n', stderr);
	if (s->rep) {
		const struct mcb_repair_stats *r = mcb_repair_stats(s->rep);

		fprintf(stderr, TAG "repair: repaired=%" PRIu64
			" unrepairable=%" PRIu64 " requests=%" PRIu64
			" retries=%" PRIu64 " answers=%" PRIu64 " refused=%"
			PRIu64 " held=%" PRIu64 " held_max=%" PRIu64
			" dropped=%" PRIu64 " dups=%" PRIu64 " bad=%" PRIu64
			" stale=%" PRIu64, r->repaired, r->unrepairable,
			r->requests, r->retries, r->answers, r->refused,
			r->held, r->held_max, r->dropped, r->dups, r->bad,
			r->stale);
		if (r->joined)
			fprintf(stderr, " history=%" PRIu64 "..%" PRIu64,
				r->join_first, r->join_last);
		putc('\n', stderr);
	}
	if (c->bad) {
		fputs(TAG "bad:", stderr);
		for (int i = 1; i <= MCB_ERR__COUNT; i++)
			if (c->bad_by[i])
				fprintf(stderr, " %s=%" PRIu64,
					i == MCB_ERR__COUNT ? "oversized" :
					mcb_strerror((enum mcb_err)i),
					c->bad_by[i]);
		putc('\n', stderr);
	}
	if (s->rx.authenticate)
		fprintf(stderr, TAG "auth: epochs=%" PRIu64 " unsigned=%" PRIu64
			" bad_mac=%" PRIu64 " replayed=%" PRIu64 " errors=%"
			PRIu64 "\n", c->epochs, c->unsigned_, c->bad_mac,
			c->replayed, c->auth_errors);
	if (s->o->latency)
		fprintf(stderr, TAG "latency_ns: count=%" PRIu64 " min=%" PRIu64
			" p50=%" PRIu64 " p99=%" PRIu64 " max=%" PRIu64
			" negative=%" PRIu64 "\n", s->lat.count,
			s->lat.count ? s->lat.min : 0,
			mcb_lat_quantile(&s->lat, 0.50),
			mcb_lat_quantile(&s->lat, 0.99), s->lat.max,
			s->lat.negative);
}

static int announce(const struct listen_opts *o, int fd)
{
	bool v6 = o->cfg.family == AF_INET6;
	int rcvbuf = 0, err;
	socklen_t sl = sizeof(rcvbuf);

	/* The kernel reports twice what it was asked for (bookkeeping).
	 * The default is what it can be (net.core.rmem_max without
	 * CAP_NET_ADMIN): only a size asked for is worth a warning. */
	if (o->cfg.rcvbuf != MCB_LISTEN_DEFAULT_RCVBUF &&
	    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &sl) == 0 &&
	    rcvbuf / 2 < o->cfg.rcvbuf)
		fprintf(stderr, TAG "warning: receive buffer is %d bytes, "
			"not %d (net.core.rmem_max)\n", rcvbuf / 2,
			o->cfg.rcvbuf);
	fprintf(stderr, TAG "listening on %s%s%s:%u via %s\n",
		v6 ? "[" : "", o->group_str, v6 ? "]" : "", o->cfg.port,
		o->iface_str);
	if (o->ready_fd >= 0) {
		static const char ready[] = "ready\n";

		/* Closed after use so a reader sees EOF, unless it is one
		 * of our standard streams. */
		if (write(o->ready_fd, ready, sizeof(ready) - 1) !=
		    (ssize_t)(sizeof(ready) - 1) ||
		    (o->ready_fd > 2 && close(o->ready_fd) < 0)) {
			err = errno ? -errno : -EIO;
			fprintf(stderr, TAG "ready fd %d: %s\n", o->ready_fd,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Read what is queued, at most DRAIN_BATCH datagrams (a receive may hold
 * a run of them: UDP_GRO).  Returns 1 when more may be queued, 0 when
 * empty, -errno on a receive error. */
static int drain(struct state *s, int fd, unsigned char *buf, size_t cap,
		 bool *done)
{
	const struct listen_opts *o = s->o;
	unsigned taken = 0;
	int err;

	while (taken < DRAIN_BATCH && !*done) {
		union mcb_addr src = { 0 };
		struct iovec iov = { .iov_base = buf, .iov_len = cap + 1 };
		union {
			char b[MCB_GRO_CMSG_SPACE];
			struct cmsghdr align;
		} ctl;
		struct msghdr mh = {
			.msg_name = &src, .msg_namelen = sizeof(src),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		/* MSG_TRUNC: the real length, to tell oversized apart. */
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
		size_t seg;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			err = -errno;
			fprintf(stderr, TAG "recv: %s\n", strerror(-err));
			return err;
		}
		/* A run of datagrams of seg bytes (the last may be shorter),
		 * queued as one: each is handled on its own. */
		seg = mcb_gro_size(&mh);
		if (!seg || seg >= (size_t)n || (size_t)n > cap)
			seg = (size_t)n;
		for (size_t off = 0; off == 0 || off < (size_t)n; off += seg) {
			size_t len = (size_t)n - off < seg ? (size_t)n - off : seg;

			handle(s, buf + off, len, cap, &src);
			if (s->rep)
				repair_drain(s, s->now);
			taken++;
			if (s->out_closed || s->out_failed ||
			    (o->count && s->c.printed >= o->count)) {
				*done = true;
				break;
			}
			if (!seg)
				break;
		}
	}
	return 1;
}

/* The repair channel: answers (at most DRAIN_BATCH), then what is due.
 * Returns 1 when more answers may be queued, 0 when not, -errno. */
static int repair_serve(struct state *s, bool *done)
{
	const struct listen_opts *o = s->o;
	uint64_t due;
	int r = 0, err;

	s->now = mcb_now_ns();
	for (int i = 0; i < DRAIN_BATCH && !*done; i++) {
		r = mcb_repair_read(s->rep, s->now);
		if (r < 0) {
			fprintf(stderr, TAG "repair: recv: %s\n", strerror(-r));
			return r;
		}
		if (r == 0)
			break;
		repair_drain(s, s->now);
		if (s->out_closed || s->out_failed ||
		    (o->count && s->c.printed >= o->count))
			*done = true;
	}
	due = mcb_repair_deadline(s->rep);
	if (due && s->now >= due) {
		err = mcb_repair_tick(s->rep, s->now);
		if (err < 0) {
			fprintf(stderr, TAG "repair: send: %s\n",
				strerror(-err));
			return err;
		}
		repair_drain(s, s->now);
	}
	if (s->out_closed || s->out_failed ||
	    (o->count && s->c.printed >= o->count))
		*done = true;
	return r;
}

/* The repair engine on the command line's settings. */
static int repair_open(struct state *s)
{
	const struct listen_opts *o = s->o;
	struct mcb_repair_cfg rc;
	int err;

	memset(&rc, 0, sizeof(rc));
	rc.server = o->repair_to;
	mcb_listen_group_addr(&o->cfg, &rc.group);
	rc.format = o->format;
	rc.auth = s->rx.authenticate ? &s->rx.auth : NULL;
	rc.buffer = o->repair_buffer;
	rc.join = o->last ? MCB_REPAIR_JOIN_LAST :
		  o->since ? MCB_REPAIR_JOIN_SINCE : MCB_REPAIR_JOIN_LIVE;
	rc.join_arg = o->last ? o->last : o->since;
	err = mcb_repair_open(&s->rep, &rc);
	if (err < 0)
		fprintf(stderr, TAG "repair channel %s: %s\n", o->repair_addr,
			strerror(-err));
	return err;
}

/* Until what comes first: --timeout, or the repair engine's next tick. */
static struct timespec *wait_time(const struct state *s, uint64_t deadline,
				  struct timespec *ts)
{
	uint64_t now = mcb_now_ns(), until = deadline, due;

	if (s->rep && (due = mcb_repair_deadline(s->rep)) &&
	    (!until || due < until))
		until = due;
	if (!until)
		return NULL;
	if (until < now)
		until = now;
	ts->tv_sec = (time_t)((until - now) / 1000000000u);
	ts->tv_nsec = (long)((until - now) % 1000000000u);
	return ts;
}

int listen_run(const struct listen_opts *o, const struct mcb_key *key,
	       struct listen_signals *sig, const sigset_t *wait_mask)
{
	/* One byte more than the largest datagram, so that a bigger one
	 * shows up as oversized; on the stack: no global state. */
	unsigned char buf[MCB_WIRE_MAX_DATAGRAM + 1];
	struct state s = { .o = o };
	struct mcb_listen_cfg cfg = o->cfg;
	struct pollfd pfd[2];
	nfds_t nfds = 1;
	const char *what;
	uint64_t deadline = 0;
	bool done = false, more = false;
	int rc = 0;

	mcb_seq_init(&s.seq);
	mcb_lat_init(&s.lat);
	rc = mcb_receiver_init(&s.rx, o->format, key);
	if (rc < 0) {
		fprintf(stderr, TAG "libcrypto has no HMAC-SHA256\n");
		return rc;
	}
	/* Repair must see every bridge_seq to tell what is missing: with it,
	 * the listener filters after receiving. */
	if (!o->no_kernel_filter && !o->repair &&
	    !mcb_filter_wants_all(&o->filter)) {
		cfg.filter = &o->filter;
		s.kfilter = true;
	}
	pfd[0].fd = mcb_listen_open(&cfg, &what);
	pfd[0].events = POLLIN;
	if (pfd[0].fd < 0) {
		rc = -errno;
		fprintf(stderr, TAG "%s (group %s port %u interface %s): %s\n",
			what, o->group_str, o->cfg.port, o->iface_str,
			strerror(-rc));
		goto out_auth;
	}
	/* Joined before asking: what the bridge sends after its answer is
	 * then caught live, with no gap at the seam. */
	if (o->repair) {
		rc = repair_open(&s);
		if (rc < 0)
			goto out_fd;
		pfd[1].fd = mcb_repair_fd(s.rep);
		pfd[1].events = POLLIN;
		nfds = 2;
	}
	rc = announce(o, pfd[0].fd);
	if (rc < 0)
		goto out_fd;
	if (o->timeout_ms)
		deadline = mcb_now_ns() + o->timeout_ms * 1000000u;

	while (!done && !sig->stop) {
		struct timespec ts, *tsp;
		uint64_t received = s.c.received;
		int r, rr = 0;

		if (deadline && mcb_now_ns() >= deadline)
			break;
		if (sig->report) {
			sig->report = 0;
			summary(&s);
		}
		tsp = wait_time(&s, deadline, &ts);
		if (more) {
			/* Still datagrams queued: ppoll on the socket would
			 * return at once without delivering a pending
			 * signal, so poll nothing with a zero timeout, which
			 * does; then read on. */
			const struct timespec zero = { 0 };

			if (ppoll(NULL, 0, &zero, wait_mask) < 0 &&
			    errno != EINTR) {
				rc = -errno;
				fprintf(stderr, TAG "poll: %s\n",
					strerror(-rc));
				break;
			}
			if (sig->stop)
				break;
		} else {
			/* Signals are blocked except inside ppoll, so a
			 * SIGTERM between the check of sig->stop and the wait
			 * is not lost. */
			r = ppoll(pfd, nfds, tsp, wait_mask);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				rc = -errno;
				fprintf(stderr, TAG "poll: %s\n",
					strerror(-rc));
				break;
			}
			/* r == 0: the deadline check ends it, or the repair
			 * engine has something due. */
		}
		r = drain(&s, pfd[0].fd, buf, sizeof(buf) - 1, &done);
		if (r < 0) {
			rc = r;
			break;
		}
		if (s.rep && !done) {
			rr = repair_serve(&s, &done);
			if (rr < 0) {
				rc = rr;
				break;
			}
		}
		more = r > 0 || rr > 0;
		/* Asleep off the socket's wait queue, datagrams of a burst
		 * queue up with no wake-up each (the sender pays for those);
		 * signals still end the pause.  Only once the queue is
		 * empty: pausing while it is full would only lose some. */
		if (o->linger_us && !more && s.c.received != received) {
			/* Below a second: MCB_MAX_LINGER_US. */
			struct timespec pause = {
				.tv_nsec = (long)o->linger_us * 1000,
			};

			if (ppoll(NULL, 0, &pause, wait_mask) < 0 &&
			    errno != EINTR) {
				rc = -errno;
				fprintf(stderr, TAG "pause: %s\n",
					strerror(-rc));
				break;
			}
		}
	}
	if (s.out_failed) {
		fprintf(stderr, TAG "writing output: %s\n", strerror(errno));
		rc = -EIO;
	}
	summary(&s);
out_fd:
	mcb_repair_close(s.rep);
	if (close(pfd[0].fd) < 0 && rc == 0) {
		rc = -errno;
		fprintf(stderr, TAG "close: %s\n", strerror(-rc));
	}
out_auth:
	mcb_receiver_fini(&s.rx);
	return rc;
}
