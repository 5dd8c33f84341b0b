// SPDX-License-Identifier: MIT
/*
 * Event loop: epoll over the signalfd, the nlctrl notify socket and one
 * event socket per mapping.  Event sockets are drained before family
 * notifications in each round, so events queued before a module unload are
 * bridged before its membership is dropped.
 */
#include "loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/genetlink.h>

#include "lib/clock.h"
#include "sdnotify.h"

/* recvmmsg rounds per wakeup, so one busy mapping cannot starve others. */
#define MCB_DRAIN_ROUNDS	16
/* Bounded drains a family change waits for the old instance's queue. */
#define MCB_CHECK_DRAINS	256

/* epoll tags: mappings are 0..n-1. */
#define TAG_SIGNAL	((uint64_t)-1)
#define TAG_CTRL	((uint64_t)-2)
#define TAG_TAIL	((uint64_t)-3)
#define TAG_REPAIR	((uint64_t)-4)
#define TAG_REPAIR_TIMER ((uint64_t)-5)
#define N_TAGS		5
/* A tail tick every quarter of --tail-ms: a tail goes out between one and
 * one and a quarter --tail-ms after the last datagram. */
#define TAIL_TICKS	4
/* Tails are small: fixed fields, a count, the MAC. */
#define TAIL_MAX	512

/* ev in the mapping's format and signed, into buf: the length, or 0. */
static inline __attribute__((always_inline)) size_t
encode_signed(struct mcb_mapping *m, struct mcb_nl_event *ev, void *buf,
	      size_t cap, bool *trunc)
{
	bool binary = m->encode == mcb_encode_binary;
	/* Room for the MAC trailer is kept back from the encoder. */
	size_t extra = !m->sign ? 0 : binary ? sizeof(struct mcb_wire_auth) :
					       MCB_JSON_AUTH_EXTRA;
	size_t len;

	ev->bridge_run = m->run;
	ev->prep = m->prep.ready ? &m->prep : NULL;
	len = m->encode(ev, buf, cap - extra, trunc);
	if (len && m->sign)
		len = m->sign(m->auth, buf, len, cap, binary, m->epoch);
	return len;
}

void mcb_mapping_emit(void *ctx, struct mcb_nl_event *ev)
{
	struct mcb_mapping *m = ctx;
	void *buf = mcb_sink_reserve(&m->sink);
	bool trunc;
	size_t len;

	ev->bridge_seq = m->bridge_seq + 1;
	len = encode_signed(m, ev, buf, m->max_datagram, &trunc);
	if (!len) {
		m->encode_errors++;
		return;
	}
	m->bridge_seq++;
	if (trunc)
		m->truncated++;
	/* Kept as sent, so that a repair is the very same bytes. */
	mcb_history_put(&m->hist, m->bridge_seq, buf, len);
	m->last_tx_ns = ev->bridge_time_ns;
	mcb_sink_commit(&m->sink, len);
}

/* A tail goes out alone: the sink's queue is empty between batches. */
static void send_tail(struct mcb_mapping *m, uint64_t now)
{
	unsigned char buf[TAIL_MAX];
	struct mcb_nl_event ev;
	bool trunc;
	size_t len;

	memset(&ev, 0, sizeof(ev));
	ev.kind = MCB_KIND_TAIL;
	ev.family = m->cfg->family;
	ev.group = m->cfg->group;
	ev.bridge_seq = m->bridge_seq;
	ev.bridge_time_ns = now;
	ev.count = mcb_history_count(&m->hist);
	m->last_tx_ns = now;
	len = encode_signed(m, &ev, buf, sizeof(buf), &trunc);
	if (!len || send(m->sink.fd, buf, len, MSG_DONTWAIT) < 0)
		m->tail_errors++;
	else
		m->tails++;
}

unsigned mcb_loop_tails(struct mcb_loop *l, uint64_t now_ns)
{
	uint64_t idle = l->opt->tail_ms * 1000000u;
	unsigned n = 0;

	for (size_t i = 0; i < l->n_maps; i++) {
		struct mcb_mapping *m = &l->maps[i];

		/* Nothing sent yet: nothing a listener could have missed. */
		if (!m->open || !m->bridge_seq || now_ns - m->last_tx_ns < idle)
			continue;
		send_tail(m, now_ns);
		n++;
	}
	return n;
}

/* A timerfd: every period_ns (0: one-shot, armed later).  -errno logged. */
static int timer_open(const struct mcb_loop *l, uint64_t period_ns)
{
	struct itimerspec its = { 0 };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0) {
		mcb_log(l->log, LOG_ERR, "timerfd: %s", strerror(errno));
		return -errno;
	}
	its.it_interval.tv_sec = (time_t)(period_ns / 1000000000u);
	its.it_interval.tv_nsec = (long)(period_ns % 1000000000u);
	its.it_value = its.it_interval;
	if (period_ns && timerfd_settime(fd, 0, &its, NULL) < 0) {
		int err = -errno;

		mcb_log(l->log, LOG_ERR, "timerfd_settime: %s", strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

/* Read a timerfd's expirations, so it stops being readable. */
static void timer_ack(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;	/* nothing to do: it fires again */
}

/* The repair pump again in wait_ns (0: not at all). */
static void repair_arm(struct mcb_loop *l, uint64_t wait_ns)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(wait_ns / 1000000000u);
	its.it_value.tv_nsec = (long)(wait_ns % 1000000000u);
	if (timerfd_settime(l->repfd, 0, &its, NULL) < 0)
		mcb_log(l->log, LOG_WARNING, "repair timer: %s",
			strerror(errno));
}

static void repair_serve(struct mcb_loop *l, bool readable)
{
	uint64_t now = mcb_now_ns();

	if (readable) {
		int r = mcb_repsrv_recv(&l->rep, now);

		/* Not fatal: the events go on whatever the repair socket
		 * says.  Rate-limited like send errors. */
		if (r < 0) {
			uint64_t e = ++l->rep.st.recv_errors;

			if ((e & (e - 1)) == 0)
				mcb_log(l->log, LOG_WARNING, "repair: recv: %s "
					"(%llu errors)", strerror(-r),
					(unsigned long long)e);
		}
	}
	repair_arm(l, mcb_repsrv_pump(&l->rep, now));
}

void mcb_mapping_init(struct mcb_mapping *m, const struct mcb_map_cfg *c,
		      size_t max_datagram, uint32_t run)
{
	m->cfg = c;
	m->run = run;
	m->max_datagram = max_datagram;
	m->encode = c->format == MCB_FMT_BINARY ? mcb_encode_binary :
						  mcb_encode_json;
	mcb_enc_prepare(&m->prep, c->family, c->group, run);
}

/*
 * A run id: it only has to differ from the previous start's, so when the
 * pool is not ready yet (early boot) time and pid stand in for it.
 */
static uint32_t draw_run(void)
{
	uint32_t run = 0;

	if (getrandom(&run, sizeof(run), GRND_NONBLOCK) != sizeof(run))
		run = (uint32_t)(mcb_now_ns() ^ ((uint64_t)getpid() << 16));
	return run ? run : 1;
}

/* 0 or -errno, logged. */
static int ep_add(const struct mcb_loop *l, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	int err;

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	err = -errno;
	mcb_log(l->log, LOG_ERR, "epoll_ctl: %s", strerror(-err));
	return err;
}

int mcb_loop_init(struct mcb_loop *l, const struct mcb_options *o,
		  const struct mcb_log *lg)
{
	uint32_t run = draw_run();	/* one per start, every mapping */
	sigset_t sigs;
	int err;

	memset(l, 0, sizeof(*l));
	l->opt = o;
	l->log = lg;
	l->epfd = -1;
	l->sigfd = -1;
	l->tailfd = -1;
	l->repfd = -1;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	l->sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->sigfd < 0 || l->epfd < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "signalfd/epoll: %s", strerror(-err));
		return err;
	}
	err = ep_add(l, l->sigfd, TAG_SIGNAL);
	if (err < 0)
		return err;

	err = mcb_ctrl_open(&l->ctrl, lg);
	if (err < 0)
		return err;
	l->ctrl_open = true;
	mcb_ctrl_ops(&l->ctrl, &l->ops);
	err = ep_add(l, l->ctrl.notify_fd, TAG_CTRL);
	if (err < 0)
		return err;

	for (size_t i = 0; i < o->n_maps; i++) {
		struct mcb_mapping *m = &l->maps[i];
		const struct mcb_map_cfg *c = &o->maps[i];

		mcb_mapping_init(m, c, o->max_datagram, run);
		/* What one repair answer cannot carry is not kept. */
		err = mcb_history_init(&m->hist, o->history,
				       o->max_datagram < MCB_REPAIR_MAX_RECORD ?
				       o->max_datagram : MCB_REPAIR_MAX_RECORD);
		if (err < 0) {
			mcb_log(lg, LOG_ERR, "%s/%s: no memory for a history of "
				"%zu bytes", c->family, c->group, o->history);
			return err;
		}
		err = mcb_sink_open(&m->sink, c, o->max_datagram, o->batch, lg);
		if (err < 0) {
			mcb_history_free(&m->hist);
			return err;
		}
		if (o->send_queue) {
			err = mcb_sink_queue(&m->sink, o->send_queue);
			if (err < 0) {
				mcb_log(lg, LOG_ERR, "%s/%s: send queue: %s",
					c->family, c->group, strerror(-err));
				mcb_sink_close(&m->sink);
				mcb_history_free(&m->hist);
				return err;
			}
		}
		err = mcb_nlsrc_open(&m->src, c, o->rcvbuf, o->batch, lg,
				     mcb_mapping_emit, m);
		if (err < 0) {
			mcb_sink_close(&m->sink);
			mcb_history_free(&m->hist);
			return err;
		}
		m->open = true;
		l->n_maps++;
		err = ep_add(l, m->src.fd, i);
		if (err < 0)
			return err;
		/* A missing family is not an error: we wait for it. */
		err = mcb_nlsrc_sync(&m->src, &l->ops, false);
		if (err < 0)
			return err;
	}
	if (o->tail_ms) {
		uint64_t tick = o->tail_ms * 1000000u / TAIL_TICKS;

		l->tailfd = timer_open(l, tick ? tick : 1);
		if (l->tailfd < 0)
			return l->tailfd;
		err = ep_add(l, l->tailfd, TAG_TAIL);
		if (err < 0)
			return err;
	}
	if (o->repair) {
		char a[MCB_ADDRSTRLEN];

		err = mcb_repsrv_open(&l->rep, &o->repair_addr, o->repair_rate,
				      o->repair_rate_total, lg);
		l->rep_open = true;
		/* The default port taken: another bridge on this host has it
		 * (several may run).  Only one named is a setting to fail. */
		if (err == -EADDRINUSE && !o->repair_given) {
			mcb_log(lg, LOG_WARNING, "repair: %s in use (another "
				"mcbridged?): running without a repair channel;"
				" --repair ADDR:PORT names another",
				mcb_addr_str(&o->repair_addr, a));
			mcb_repsrv_close(&l->rep);
			l->rep_open = false;
			return 0;
		}
		if (err == -EADDRINUSE)
			mcb_log(lg, LOG_ERR, "repair: %s in use (another "
				"mcbridged? choose another with --repair "
				"ADDR:PORT, or --repair off)",
				mcb_addr_str(&o->repair_addr, a));
		if (err < 0)
			return err == -EADDRINUSE || err == -EADDRNOTAVAIL ?
			       -EADDRNOTAVAIL : err;
		mcb_repsrv_set_maps(&l->rep, l->maps, l->n_maps, run);
		l->repfd = timer_open(l, 0);
		if (l->repfd < 0)
			return l->repfd;
		err = ep_add(l, l->rep.fd, TAG_REPAIR);
		if (!err)
			err = ep_add(l, l->repfd, TAG_REPAIR_TIMER);
		if (err < 0)
			return err;
	}
	return 0;
}

static void describe(const struct mcb_mapping *m, char *buf, size_t size)
{
	char addr[MCB_ADDRSTRLEN];
	const struct mcb_map_cfg *c = m->cfg;

	mcb_addr_str(&c->to, addr);
	switch (m->src.state) {
	case MCB_SRC_SUBSCRIBED:
		snprintf(buf, size, "%s/%s -> %s %s subscribed",
			 c->family, c->group, addr, mcb_format_name(c->format));
		break;
	case MCB_SRC_WAIT_FAMILY:
		snprintf(buf, size, "%s/%s -> %s %s waiting for family %s",
			 c->family, c->group, addr, mcb_format_name(c->format),
			 c->family);
		break;
	case MCB_SRC_WAIT_GROUP:
		snprintf(buf, size, "%s/%s -> %s %s waiting for group %s "
			 "of family %s", c->family, c->group, addr,
			 mcb_format_name(c->format), c->group, c->family);
		break;
	}
}

void mcb_loop_ready(struct mcb_loop *l, FILE *out)
{
	char d[256];
	int err;

	fputs("mcbridged: ready", out);
	for (size_t i = 0; i < l->n_maps; i++) {
		describe(&l->maps[i], d, sizeof(d));
		fprintf(out, "%s%s%s", i ? "; " : ": ", d,
			l->maps[i].sign ? " signed" : "");
	}
	if (l->rep_open) {
		char a[MCB_ADDRSTRLEN];

		fprintf(out, "; repair on %s", mcb_addr_str(&l->rep.addr, a));
	}
	fputc('\n', out);
	if (fflush(out) == EOF)
		mcb_log(l->log, LOG_WARNING, "stdout: %s", strerror(errno));
	err = mcb_sd_notify("READY=1");
	if (err < 0)
		mcb_log(l->log, LOG_WARNING, "NOTIFY_SOCKET: %s", strerror(-err));
}

void mcb_loop_stats(struct mcb_loop *l, const char *what)
{
	for (size_t i = 0; i < l->n_maps; i++) {
		struct mcb_mapping *m = &l->maps[i];
		const struct mcb_src_stats *s = &m->src.st;
		struct mcb_sink_stats ks = mcb_sink_stats(&m->sink);
		char addr[MCB_ADDRSTRLEN];

		mcb_log(l->log, LOG_INFO, "%s %s/%s -> %s: received=%llu "
			"sent=%llu overruns=%llu lost=%llu refills=%llu "
			"refilled=%llu refill_dups=%llu refill_errors=%llu "
			"send_errors=%llu "
			"truncated=%llu stale=%llu restarts=%llu "
			"resubscribes=%llu rx_dropped=%llu state=%s "
			"bridge_seq=%llu history=%llu history_bytes=%zu "
			"history_evicted=%llu history_too_big=%llu tails=%llu "
			"tail_errors=%llu",
			what, m->cfg->family, m->cfg->group,
			mcb_addr_str(&m->cfg->to, addr),
			(unsigned long long)s->received,
			(unsigned long long)ks.sent,
			(unsigned long long)s->overruns,
			(unsigned long long)s->lost,
			(unsigned long long)s->refills,
			(unsigned long long)s->refilled,
			(unsigned long long)s->refill_dups,
			(unsigned long long)s->refill_errors,
			(unsigned long long)ks.send_errors,
			(unsigned long long)m->truncated,
			(unsigned long long)s->stale,
			(unsigned long long)s->restarts,
			(unsigned long long)s->resubscribes,
			(unsigned long long)(s->rx_truncated + s->malformed +
					     m->encode_errors),
			mcb_src_state_name(m->src.state),
			(unsigned long long)m->bridge_seq,
			(unsigned long long)mcb_history_count(&m->hist),
			mcb_history_bytes(&m->hist),
			(unsigned long long)m->hist.st.evicted,
			(unsigned long long)m->hist.st.too_big,
			(unsigned long long)m->tails,
			(unsigned long long)m->tail_errors);
	}
	if (l->rep_open) {
		const struct mcb_repsrv_stats *r = &l->rep.st;
		char addr[MCB_ADDRSTRLEN];

		mcb_log(l->log, LOG_INFO, "%s repair %s: requests=%llu "
			"resent=%llu unrepairable=%llu messages=%llu "
			"bytes=%llu refused=%llu busy=%llu throttled=%llu "
			"superseded=%llu malformed=%llu unsigned=%llu "
			"bad_mac=%llu replayed=%llu auth_errors=%llu "
			"send_errors=%llu recv_errors=%llu pending=%u", what,
			mcb_addr_str(&l->rep.addr, addr),
			(unsigned long long)r->requests,
			(unsigned long long)r->resent,
			(unsigned long long)r->unrepairable,
			(unsigned long long)r->messages,
			(unsigned long long)r->bytes,
			(unsigned long long)r->refused,
			(unsigned long long)r->busy,
			(unsigned long long)r->throttled,
			(unsigned long long)r->superseded,
			(unsigned long long)r->malformed,
			(unsigned long long)r->unsigned_,
			(unsigned long long)r->bad_mac,
			(unsigned long long)r->replayed,
			(unsigned long long)r->auth_errors,
			(unsigned long long)r->send_errors,
			(unsigned long long)r->recv_errors,
			mcb_repsrv_pending(&l->rep));
	}
}

/* nlctrl notification: mark mappings; they are synced after the batch. */
void mcb_loop_on_family(void *ctx, const char *family, int family_id,
			uint8_t cmd)
{
	struct mcb_loop *l = ctx;

	for (size_t i = 0; i < l->n_maps; i++) {
		struct mcb_mapping *m = &l->maps[i];

		if (family && strcmp(family, m->cfg->family) != 0)
			continue;
		m->check = true;
		/* Our family instance is going: its memberships are gone.
		 * Lost notifications (!family) may have hidden a reload that
		 * gave back the same ids: join again to be sure. */
		if (m->src.state == MCB_SRC_SUBSCRIBED &&
		    (!family || ((cmd == CTRL_CMD_DELFAMILY ||
				  cmd == CTRL_CMD_DELMCAST_GRP) &&
				 family_id == m->src.family_id)))
			m->force = true;
	}
}

int mcb_loop_families(struct mcb_loop *l)
{
	int pending = 0;

	for (size_t i = 0; i < l->n_maps; i++) {
		struct mcb_mapping *m = &l->maps[i];
		int r;

		if (!m->check)
			continue;
		/* Bridge all the old instance sent before the membership
		 * changes: what is left after the sync is dropped as stale,
		 * unannounced.  The queue ends (a family stops sending before
		 * it is unregistered), but a live family may stream faster
		 * than we drain: one bounded drain per call, like the event
		 * path, so signals and other mappings are served between. */
		r = mcb_nlsrc_drain(&m->src, MCB_DRAIN_ROUNDS);
		mcb_sink_flush(&m->sink);
		if (r < 0)
			return r;
		if (r > 0 && ++m->check_drains < MCB_CHECK_DRAINS) {
			pending = 1;
			continue;
		}
		/* Still streaming after that long: the family is alive and
		 * sending, not a finished instance; its ids decide now. */
		if (r > 0)
			mcb_log(l->log, LOG_INFO, "%s/%s: still streaming; "
				"re-resolving without draining", m->cfg->family,
				m->cfg->group);
		mcb_nlsrc_sync(&m->src, &l->ops, m->force);
		m->check = false;
		m->force = false;
		m->check_drains = 0;
	}
	return pending;
}

/* Returns false to stop. */
static bool on_signal(struct mcb_loop *l, int *rc)
{
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(l->sigfd, &si, sizeof(si));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return true;
			*rc = -errno;
			mcb_log(l->log, LOG_ERR, "signalfd: %s", strerror(-*rc));
			return false;
		}
		if (n != sizeof(si))
			return true;
		if (si.ssi_signo == SIGUSR1) {
			mcb_loop_stats(l, "stats");
		} else {
			mcb_log(l->log, LOG_NOTICE, "signal %u: exiting",
				si.ssi_signo);
			return false;
		}
	}
}

int mcb_loop_run(struct mcb_loop *l)
{
	struct epoll_event evs[MCB_MAX_MAPS + N_TAGS];
	int rc = 0, pending = 0;

	for (;;) {
		bool sig = false, ctrl = false, tail = false, rep = false;
		bool rep_timer = false;
		/* Family changes still draining: poll, do not sleep. */
		int n = epoll_wait(l->epfd, evs, MCB_MAX_MAPS + N_TAGS,
				   pending ? 0 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			mcb_log(l->log, LOG_ERR, "epoll_wait: %s", strerror(-rc));
			return rc;
		}
		/* Events first, then family changes, then signals. */
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_SIGNAL) {
				sig = true;
			} else if (tag == TAG_CTRL) {
				ctrl = true;
			} else if (tag == TAG_TAIL) {
				tail = true;
			} else if (tag == TAG_REPAIR) {
				rep = true;
			} else if (tag == TAG_REPAIR_TIMER) {
				rep_timer = true;
			} else {
				struct mcb_mapping *m = &l->maps[tag];

				rc = mcb_nlsrc_drain(&m->src, MCB_DRAIN_ROUNDS);
				mcb_sink_flush(&m->sink);
				if (rc < 0)
					return rc;
				rc = 0;
			}
		}
		if (ctrl) {
			rc = mcb_ctrl_drain(&l->ctrl, mcb_loop_on_family, l);
			if (rc < 0)
				return rc;
		}
		if (ctrl || pending) {
			pending = mcb_loop_families(l);
			if (pending < 0)
				return pending;
		}
		if (tail) {
			timer_ack(l->tailfd);
			mcb_loop_tails(l, mcb_now_ns());
		}
		/* Answers after the events: a repair never delays them. */
		if (rep_timer)
			timer_ack(l->repfd);
		if (rep || rep_timer)
			repair_serve(l, rep);
		if (sig && !on_signal(l, &rc)) {
			/* What was read is sent before the final counters. */
			for (size_t i = 0; i < l->n_maps; i++)
				if (l->maps[i].open)
					mcb_sink_sync(&l->maps[i].sink);
			return rc;
		}
	}
}

static void close_fd(const struct mcb_loop *l, int *fd, const char *what)
{
	if (*fd >= 0 && close(*fd) < 0)
		mcb_log(l->log, LOG_DEBUG, "close %s: %s", what, strerror(errno));
	*fd = -1;
}

void mcb_loop_fini(struct mcb_loop *l)
{
	for (size_t i = 0; i < l->n_maps; i++) {
		struct mcb_mapping *m = &l->maps[i];

		if (!m->open)
			continue;
		mcb_sink_flush(&m->sink);
		mcb_nlsrc_close(&m->src);
		mcb_sink_close(&m->sink);
		mcb_history_free(&m->hist);
		m->open = false;
	}
	if (l->rep_open)
		mcb_repsrv_close(&l->rep);
	l->rep_open = false;
	close_fd(l, &l->tailfd, "tail timerfd");
	close_fd(l, &l->repfd, "repair timerfd");
	if (l->ctrl_open)
		mcb_ctrl_close(&l->ctrl);
	l->ctrl_open = false;
	close_fd(l, &l->sigfd, "signalfd");
	close_fd(l, &l->epfd, "epoll");
}
