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

void mcb_mapping_emit(void *ctx, struct mcb_nl_event *ev)
{
	struct mcb_mapping *m = ctx;
	void *buf = mcb_sink_reserve(&m->sink);
	bool binary = m->encode == mcb_encode_binary;
	/* Room for the MAC trailer is kept back from the encoder. */
	size_t extra = !m->sign ? 0 : binary ? sizeof(struct mcb_wire_auth) :
					       MCB_JSON_AUTH_EXTRA;
	bool trunc;
	size_t len;

	ev->bridge_seq = m->bridge_seq + 1;
	ev->bridge_run = m->run;
	ev->prep = m->prep.ready ? &m->prep : NULL;
	len = m->encode(ev, buf, m->max_datagram - extra, &trunc);
	if (len && m->sign)
		len = m->sign(m->auth, buf, len, m->max_datagram, binary,
			      m->epoch);
	if (!len) {
		m->encode_errors++;
		return;
	}
	m->bridge_seq++;
	if (trunc)
		m->truncated++;
	mcb_sink_commit(&m->sink, len);
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
		err = mcb_sink_open(&m->sink, c, o->max_datagram, o->batch, lg);
		if (err < 0)
			return err;
		if (o->send_queue) {
			err = mcb_sink_queue(&m->sink, o->send_queue);
			if (err < 0) {
				mcb_log(lg, LOG_ERR, "%s/%s: send queue: %s",
					c->family, c->group, strerror(-err));
				mcb_sink_close(&m->sink);
				return err;
			}
		}
		err = mcb_nlsrc_open(&m->src, c, o->rcvbuf, o->batch, lg,
				     mcb_mapping_emit, m);
		if (err < 0) {
			mcb_sink_close(&m->sink);
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
			"sent=%llu overruns=%llu lost=%llu send_errors=%llu "
			"truncated=%llu stale=%llu restarts=%llu "
			"resubscribes=%llu rx_dropped=%llu state=%s",
			what, m->cfg->family, m->cfg->group,
			mcb_addr_str(&m->cfg->to, addr),
			(unsigned long long)s->received,
			(unsigned long long)ks.sent,
			(unsigned long long)s->overruns,
			(unsigned long long)s->lost,
			(unsigned long long)ks.send_errors,
			(unsigned long long)m->truncated,
			(unsigned long long)s->stale,
			(unsigned long long)s->restarts,
			(unsigned long long)s->resubscribes,
			(unsigned long long)(s->rx_truncated + s->malformed +
					     m->encode_errors),
			mcb_src_state_name(m->src.state));
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
	struct epoll_event evs[MCB_MAX_MAPS + 2];
	int rc = 0, pending = 0;

	for (;;) {
		bool sig = false, ctrl = false;
		/* Family changes still draining: poll, do not sleep. */
		int n = epoll_wait(l->epfd, evs, MCB_MAX_MAPS + 2,
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
		if (sig && !on_signal(l, &rc)) {
			/* What was read is sent before the final counters. */
			for (size_t i = 0; i < l->n_maps; i++)
				if (l->maps[i].open)
					mcb_sink_sync(&l->maps[i].sink);
			return rc;
		}
	}
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
		m->open = false;
	}
	if (l->ctrl_open)
		mcb_ctrl_close(&l->ctrl);
	l->ctrl_open = false;
	if (l->sigfd >= 0 && close(l->sigfd) < 0)
		mcb_log(l->log, LOG_DEBUG, "close signalfd: %s", strerror(errno));
	if (l->epfd >= 0 && close(l->epfd) < 0)
		mcb_log(l->log, LOG_DEBUG, "close epoll: %s", strerror(errno));
	l->sigfd = -1;
	l->epfd = -1;
}
