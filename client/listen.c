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
	DIAG__COUNT
};

static const char *const diag_names[DIAG__COUNT] = {
	[DIAG_BAD] = "bad datagram",
	[DIAG_GAP] = "gap",
	[DIAG_RESTART] = "restart",
	[DIAG_NOTICE] = "notice",
	[DIAG_EPOCH] = "epoch",
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
	uint64_t overrun_notices, overruns;
	uint64_t lost_notices, lost_events;
	uint64_t bad;
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
	struct diag_limit diag[DIAG__COUNT];
	uint64_t now;		/* receive time of the current datagram */
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

static void check_seq(struct state *s)
{
	const struct mcb_event *ev = &s->ev;
	uint64_t missed;

	switch (mcb_seq_check(&s->seq, ev, &missed)) {
	case MCB_SEQ_GAP:
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
		if (s->c.missing)
			s->c.missing--;
		break;
	case MCB_SEQ_UNTRACKED:
	case MCB_SEQ_FIRST:
	case MCB_SEQ_OK:
		break;
	}
}

static void note_notice(struct state *s)
{
	const struct mcb_event *ev = &s->ev;

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

static void print_event(struct state *s, uint64_t now)
{
	const struct mcb_event *ev = &s->ev;
	struct mcb_render_extra extra = { 0 };

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
	check_seq(s);
	if (s->ev.kind == MCB_KIND_EVENT)
		s->c.events++;
	else
		note_notice(s);
	if (!mcb_filter_match(&s->o->filter, &s->ev))
		return;
	print_event(s, now);
	if (s->ev.kind == MCB_KIND_EVENT)
		s->c.printed++;
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
		" lost_events=%" PRIu64 " bad=%" PRIu64 " late=%" PRIu64 "\n",
		c->received, c->events, c->printed, c->gaps, c->missing,
		c->restarts, c->overrun_notices, c->overruns, c->lost_notices,
		c->lost_events, c->bad, c->late);
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

int listen_run(const struct listen_opts *o, const struct mcb_key *key,
	       volatile sig_atomic_t *stop, const sigset_t *wait_mask)
{
	/* One byte more than the largest datagram, so that a bigger one
	 * shows up as oversized; on the stack: no global state. */
	unsigned char buf[MCB_WIRE_MAX_DATAGRAM + 1];
	struct state s = { .o = o };
	struct mcb_listen_cfg cfg = o->cfg;
	struct pollfd pfd;
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
	if (!o->no_kernel_filter)
		cfg.filter = &o->filter;
	pfd.fd = mcb_listen_open(&cfg, &what);
	pfd.events = POLLIN;
	if (pfd.fd < 0) {
		rc = -errno;
		fprintf(stderr, TAG "%s (group %s port %u interface %s): %s\n",
			what, o->group_str, o->cfg.port, o->iface_str,
			strerror(-rc));
		mcb_receiver_fini(&s.rx);
		return rc;
	}
	rc = announce(o, pfd.fd);
	if (rc < 0) {
		close(pfd.fd);
		mcb_receiver_fini(&s.rx);
		return rc;
	}
	if (o->timeout_ms)
		deadline = mcb_now_ns() + o->timeout_ms * 1000000u;

	while (!done && !*stop) {
		struct timespec ts, *tsp = NULL;
		uint64_t received = s.c.received;
		int r;

		if (deadline) {
			uint64_t now = mcb_now_ns();

			if (now >= deadline)
				break;
			ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
			ts.tv_nsec = (long)((deadline - now) % 1000000000u);
			tsp = &ts;
		}
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
			if (*stop)
				break;
		} else {
			/* Signals are blocked except inside ppoll, so a
			 * SIGTERM between the check of *stop and the wait
			 * is not lost. */
			r = ppoll(&pfd, 1, tsp, wait_mask);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				rc = -errno;
				fprintf(stderr, TAG "poll: %s\n",
					strerror(-rc));
				break;
			}
			if (r == 0)
				continue;	/* the deadline check ends it */
		}
		r = drain(&s, pfd.fd, buf, sizeof(buf) - 1, &done);
		if (r < 0) {
			rc = r;
			break;
		}
		more = r > 0;
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
	mcb_receiver_fini(&s.rx);
	if (close(pfd.fd) < 0 && rc == 0) {
		rc = -errno;
		fprintf(stderr, TAG "close: %s\n", strerror(-rc));
	}
	return rc;
}
