// SPDX-License-Identifier: MIT
/* Multicast sink: one UDP socket per mapping, batches sent by sendmmsg,
 * inline or from a thread of its own (see mcsink.h). */
#include "mcsink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <netinet/in.h>
#include <net/if.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Arena beyond one full datagram: many small events per sendmmsg. */
#define MCB_SINK_ARENA_EXTRA	(256 * 1024)
#define MCB_SINK_SNDBUF		(4 * 1024 * 1024)
/* Segments per UDP_SEGMENT message (UDP_MAX_SEGMENTS in 6.1) and their
 * total, below the largest IPv4 UDP payload. */
#define MCB_GSO_MAX_SEGS	64
#define MCB_GSO_MAX_BYTES	65000

/* Queued: chunks of this much beyond one datagram of max_datagram, at
 * most this many datagrams each. */
#define MCB_CHUNK_BYTES		(512 * 1024)
#define MCB_CHUNK_DGRAMS	4096

struct mcb_sink_chunk {
	unsigned char *arena;	/* datagrams back to back */
	size_t used;
	uint32_t *len;
	unsigned n;
};

struct mcb_sink_queue {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* to the thread: a chunk to send, or stop */
	pthread_cond_t done;	/* from it: a chunk sent */
	struct mcb_sink_chunk *chunks;
	unsigned nchunks;
	size_t arena_size;
	/* Chunks [tail, head) are the thread's to send, chunks[head %
	 * nchunks] is being filled; head and tail only count up, but go back
	 * to 0 together whenever the queue is empty, so that a steady stream
	 * keeps to the first chunks (and the memory it touches small). */
	unsigned head, tail;
	bool started, stop;
	bool inline_only;	/* the thread could not be started */
	struct mcb_sink_stats st;	/* the thread's, as of its last chunk */
};

struct mcb_sink_run {
	unsigned first, count;	/* datagrams */
	union {			/* the UDP_SEGMENT control message */
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
};

/* IPv4: the interface by address (loopback has no multicast flag, but
 * 127.0.0.1 works); TTL; loop. */
static int setup_ipv4(int fd, const struct mcb_map_cfg *cfg)
{
	unsigned char loop = 1, ttl = (unsigned char)cfg->ttl;

	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &cfg->iface,
		       sizeof(cfg->iface)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
		       sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop,
		       sizeof(loop)) < 0)
		return -errno;
	return 0;
}

/* IPv6: the interface by index, hop limit (the TTL's rules), loop. */
static int setup_ipv6(int fd, const struct mcb_map_cfg *cfg)
{
	int ifindex = (int)cfg->ifindex, hops = cfg->ttl, loop = 1;

	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
		       sizeof(ifindex)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
		       sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop,
		       sizeof(loop)) < 0)
		return -errno;
	return 0;
}

static void describe_iface(const struct mcb_map_cfg *cfg, char *buf,
			   size_t size)
{
	char name[IF_NAMESIZE];

	if (cfg->dest.sin_family == AF_INET6)
		snprintf(buf, size, "%s", if_indextoname(cfg->ifindex, name) ?
			 name : "(gone)");
	else
		inet_ntop(AF_INET, &cfg->iface, buf, (socklen_t)size);
}

/* An IPv6 group on an interface without the multicast flag (lo) has no
 * route: say the one command that gives it one. */
static void hint_route(const struct mcb_sink *k, const char *ifs)
{
	const uint8_t *a = k->cfg->dest6.sin6_addr.s6_addr;

	mcb_log(k->log, LOG_ERR, "%s/%s: no route to ff%02x::/16 on %s; as "
		"root run: ip -6 route add local ff%02x::/16 dev %s table "
		"local (see mcbridged(8))", k->cfg->family, k->cfg->group,
		a[1], ifs, a[1], ifs);
}

int mcb_sink_open(struct mcb_sink *k, const struct mcb_map_cfg *cfg,
		  size_t max_datagram, unsigned batch,
		  const struct mcb_log *lg)
{
	int af = cfg->dest.sin_family, sndbuf = MCB_SINK_SNDBUF, err;
	union mcb_addr to = cfg->to;
	char ifs[INET_ADDRSTRLEN > IF_NAMESIZE ? INET_ADDRSTRLEN : IF_NAMESIZE];
	char dst[MCB_ADDRSTRLEN];

	memset(k, 0, sizeof(*k));
	k->cfg = cfg;
	k->log = lg;
	k->max_datagram = max_datagram;
	k->cap = batch;
	k->arena_size = max_datagram + MCB_SINK_ARENA_EXTRA;
	describe_iface(cfg, ifs, sizeof(ifs));

	k->fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (k->fd < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "UDP socket: %s", strerror(errno));
		return err;
	}
	err = af == AF_INET6 ? setup_ipv6(k->fd, cfg) : setup_ipv4(k->fd, cfg);
	if (err) {
		mcb_log(lg, LOG_ERR, "%s/%s: interface %s, TTL/hop limit, loop: "
			"%s", cfg->family, cfg->group, ifs, strerror(-err));
		goto fail;
	}
	/* Connected: the route is looked up once, not per datagram.  Scoped
	 * IPv6 groups (ff01::, ff02::) need their interface named. */
	if (af == AF_INET6)
		to.in6.sin6_scope_id = cfg->ifindex;
	if (connect(k->fd, &to.sa, mcb_addr_len(&to)) < 0) {
		err = -errno;
		if (af == AF_INET6 && err == -ENETUNREACH)
			hint_route(k, ifs);
		else
			mcb_log(lg, LOG_ERR, "%s/%s: connect to %s: %s",
				cfg->family, cfg->group,
				mcb_addr_str(&cfg->to, dst), strerror(-err));
		goto fail;
	}
	/* Best effort: a larger send buffer only smooths bursts. */
	if (setsockopt(k->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		       sizeof(sndbuf)) < 0)
		mcb_log(lg, LOG_DEBUG, "SO_SNDBUF: %s", strerror(errno));

	k->arena = malloc(k->arena_size);
	k->msgs = calloc(batch, sizeof(*k->msgs));
	k->iov = calloc(batch, sizeof(*k->iov));
	k->runs = calloc(batch, sizeof(*k->runs));
	k->rmsgs = calloc(batch, sizeof(*k->rmsgs));
	k->riov = calloc(batch, sizeof(*k->riov));
	if (!k->arena || !k->msgs || !k->iov || !k->runs || !k->rmsgs ||
	    !k->riov) {
		mcb_log(lg, LOG_ERR, "out of memory for send buffers");
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < batch; i++) {
		k->msgs[i].msg_hdr.msg_iov = &k->iov[i];
		k->msgs[i].msg_hdr.msg_iovlen = 1;
		k->rmsgs[i].msg_hdr.msg_iov = &k->riov[i];
		k->rmsgs[i].msg_hdr.msg_iovlen = 1;
	}
	k->gso = true;	/* until the kernel says otherwise */
	return 0;
fail:
	mcb_sink_close(k);
	return err;
}

static void queue_free(struct mcb_sink *k)
{
	struct mcb_sink_queue *q = k->q;

	if (!q)
		return;
	if (q->started) {
		pthread_mutex_lock(&q->lock);
		q->stop = true;	/* after what was handed over is sent */
		pthread_cond_signal(&q->work);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->thread, NULL);
		k->st = q->st;
	}
	for (unsigned i = 0; q->chunks && i < q->nchunks; i++) {
		free(q->chunks[i].arena);
		free(q->chunks[i].len);
	}
	free(q->chunks);
	pthread_cond_destroy(&q->work);
	pthread_cond_destroy(&q->done);
	pthread_mutex_destroy(&q->lock);
	free(q);
	k->q = NULL;
}

void mcb_sink_close(struct mcb_sink *k)
{
	queue_free(k);
	if (k->fd >= 0 && close(k->fd) < 0)
		mcb_log(k->log, LOG_DEBUG, "close: %s", strerror(errno));
	k->fd = -1;
	free(k->arena);
	free(k->msgs);
	free(k->iov);
	free(k->runs);
	free(k->rmsgs);
	free(k->riov);
	k->arena = NULL;
	k->msgs = NULL;
	k->iov = NULL;
	k->runs = NULL;
	k->rmsgs = NULL;
	k->riov = NULL;
}

static struct mcb_sink_chunk *filling(struct mcb_sink_queue *q)
{
	return &q->chunks[q->head % q->nchunks];
}

static void publish(struct mcb_sink *k);

void *mcb_sink_reserve(struct mcb_sink *k)
{
	if (k->q) {
		struct mcb_sink_chunk *c = filling(k->q);

		if (c->n == MCB_CHUNK_DGRAMS ||
		    k->q->arena_size - c->used < k->max_datagram) {
			publish(k);
			c = filling(k->q);
		}
		return c->arena + c->used;
	}
	if (k->n == k->cap || k->arena_size - k->used < k->max_datagram)
		mcb_sink_flush(k);
	return k->arena + k->used;
}

void mcb_sink_commit(struct mcb_sink *k, size_t len)
{
	if (k->q) {
		struct mcb_sink_chunk *c = filling(k->q);

		c->len[c->n++] = (uint32_t)len;
		c->used += len;
		return;
	}
	k->iov[k->n].iov_base = k->arena + k->used;
	k->iov[k->n].iov_len = len;
	k->n++;
	k->used += len;
}

static void count_error(struct mcb_sink *k, int err)
{
	k->st.send_errors++;
	/* Log the 1st, 2nd, 4th, ... so a storm stays short. */
	if ((k->st.send_errors & (k->st.send_errors - 1)) == 0)
		mcb_log(k->log, LOG_WARNING, "%s/%s: send: %s (%llu send errors)",
			k->cfg->family, k->cfg->group, strerror(err),
			(unsigned long long)k->st.send_errors);
}

/* Datagrams [from, to) one message each; returns how many failed. */
static unsigned send_each(struct mcb_sink *k, unsigned from, unsigned to)
{
	unsigned off = from, failed = 0;

	while (off < to) {
		int r = sendmmsg(k->fd, k->msgs + off, to - off, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* sendmmsg reports the first failing datagram:
			 * count it, skip it, send the rest. */
			failed++;
			count_error(k, errno);
			off++;
			continue;
		}
		k->st.sent += (unsigned)r;
		k->st.batches++;
		off += (unsigned)r;
	}
	return failed;
}

/* Splits the queue into runs: datagrams of one size, the last of a run
 * possibly shorter (what UDP_SEGMENT allows).  Returns the run count. */
static unsigned make_runs(struct mcb_sink *k)
{
	unsigned nr = 0;

	for (unsigned i = 0; i < k->n; nr++) {
		struct mcb_sink_run *run = &k->runs[nr];
		struct msghdr *mh = &k->rmsgs[nr].msg_hdr;
		size_t seg = k->iov[i].iov_len, total = seg;
		unsigned j = i + 1;

		while (j < k->n && j - i < MCB_GSO_MAX_SEGS &&
		       k->iov[j].iov_len <= seg &&
		       total + k->iov[j].iov_len <= MCB_GSO_MAX_BYTES) {
			total += k->iov[j++].iov_len;
			if (k->iov[j - 1].iov_len < seg)
				break;
		}
		run->first = i;
		run->count = j - i;
		/* Back to back in the arena: one buffer for the run. */
		k->riov[nr].iov_base = k->iov[i].iov_base;
		k->riov[nr].iov_len = total;
		mh->msg_control = NULL;
		mh->msg_controllen = 0;
		if (run->count > 1) {
			struct cmsghdr *c = &run->ctl.align;
			uint16_t gso_size = (uint16_t)seg;

			mh->msg_control = run->ctl.buf;
			mh->msg_controllen = sizeof(run->ctl.buf);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(gso_size));
			memcpy(CMSG_DATA(c), &gso_size, sizeof(gso_size));
		}
		i = j;
	}
	return nr;
}

static unsigned send_runs(struct mcb_sink *k)
{
	unsigned nr = make_runs(k), off = 0, failed = 0;

	while (off < nr) {
		int r = sendmmsg(k->fd, k->rmsgs + off, nr - off, 0);

		if (r < 0) {
			struct mcb_sink_run *run = &k->runs[off];

			if (errno == EINTR)
				continue;
			if (run->count == 1) {
				failed++;
				count_error(k, errno);
			} else {
				/* Without offload here (no checksum offload on
				 * the route's device, an old kernel): once for
				 * all, then these datagrams one by one, so that
				 * errors are counted per datagram. */
				if (k->gso && (errno == EIO || errno == EINVAL ||
					       errno == ENOPROTOOPT ||
					       errno == EOPNOTSUPP)) {
					mcb_log(k->log, LOG_INFO, "%s/%s: UDP "
						"segmentation offload: %s; "
						"sending datagrams one by one",
						k->cfg->family, k->cfg->group,
						strerror(errno));
					k->gso = false;
				}
				failed += send_each(k, run->first,
						    run->first + run->count);
			}
			off++;
			continue;
		}
		for (int i = 0; i < r; i++)
			k->st.sent += k->runs[off + (unsigned)i].count;
		k->st.batches++;
		off += (unsigned)r;
	}
	return failed;
}

/* What is in k->iov[0 .. k->n): as runs, or one by one. */
static unsigned send_queued_iov(struct mcb_sink *k)
{
	unsigned failed;

	if (!k->n)
		return 0;
	failed = k->gso ? send_runs(k) : send_each(k, 0, k->n);
	k->n = 0;
	k->used = 0;
	return failed;
}

unsigned mcb_sink_flush(struct mcb_sink *k)
{
	if (k->q) {
		publish(k);
		return 0;
	}
	return send_queued_iov(k);
}

/* A chunk, cap datagrams per sendmmsg, as the inline sink sends. */
static void send_chunk(struct mcb_sink *k, const struct mcb_sink_chunk *c)
{
	size_t pos = 0;

	for (unsigned i = 0; i < c->n;) {
		k->n = 0;
		for (; i < c->n && k->n < k->cap; i++) {
			k->iov[k->n].iov_base = c->arena + pos;
			k->iov[k->n].iov_len = c->len[i];
			k->n++;
			pos += c->len[i];
		}
		send_queued_iov(k);
	}
}

static void *sink_thread(void *arg)
{
	struct mcb_sink *k = arg;
	struct mcb_sink_queue *q = k->q;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		const struct mcb_sink_chunk *c;

		while (q->tail == q->head && !q->stop)
			pthread_cond_wait(&q->work, &q->lock);
		if (q->tail == q->head)
			break;	/* stopped, and all was sent */
		c = &q->chunks[q->tail % q->nchunks];
		pthread_mutex_unlock(&q->lock);
		send_chunk(k, c);
		pthread_mutex_lock(&q->lock);
		q->tail++;
		q->st = k->st;
		pthread_cond_signal(&q->done);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* The thread, with every signal blocked: the main loop takes them. */
static int start_thread(struct mcb_sink *k)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&k->q->thread, NULL, sink_thread, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		mcb_log(k->log, LOG_WARNING, "%s/%s: sending thread: %s; "
			"sending inline", k->cfg->family, k->cfg->group,
			strerror(err));
		return -err;
	}
	k->q->started = true;
	return 0;
}

/* Hand the chunk being filled to the thread, and take the next free one
 * (waiting while the thread holds them all). */
static void publish(struct mcb_sink *k)
{
	struct mcb_sink_queue *q = k->q;
	struct mcb_sink_chunk *c = filling(q);

	if (!c->n)
		return;
	/* Started here, not at open: after the bridge gave up its
	 * privileges, which a thread started before would keep. */
	if (!q->started && (q->inline_only || start_thread(k) < 0)) {
		q->inline_only = true;
		send_chunk(k, c);
		q->st = k->st;
		c->n = 0;
		c->used = 0;
		return;
	}
	pthread_mutex_lock(&q->lock);
	q->head++;
	pthread_cond_signal(&q->work);
	while (q->head - q->tail >= q->nchunks)
		pthread_cond_wait(&q->done, &q->lock);
	if (q->head == q->tail)
		q->head = q->tail = 0;
	pthread_mutex_unlock(&q->lock);
	c = filling(q);
	c->n = 0;
	c->used = 0;
}

int mcb_sink_queue(struct mcb_sink *k, size_t bytes)
{
	struct mcb_sink_queue *q;
	int err;

	if (k->q)
		return -EALREADY;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->arena_size = MCB_CHUNK_BYTES + k->max_datagram;
	q->nchunks = (unsigned)(bytes / q->arena_size);
	if (q->nchunks < 2)
		q->nchunks = 2;
	q->chunks = calloc(q->nchunks, sizeof(*q->chunks));
	err = pthread_mutex_init(&q->lock, NULL);
	if (!err)
		err = pthread_cond_init(&q->work, NULL);
	if (!err)
		err = pthread_cond_init(&q->done, NULL);
	if (err || !q->chunks) {
		free(q->chunks);
		free(q);
		return err ? -err : -ENOMEM;
	}
	k->q = q;
	/* Address space only: pages are touched as chunks fill. */
	for (unsigned i = 0; i < q->nchunks; i++) {
		q->chunks[i].arena = malloc(q->arena_size);
		q->chunks[i].len = malloc(MCB_CHUNK_DGRAMS *
					  sizeof(*q->chunks[i].len));
		if (!q->chunks[i].arena || !q->chunks[i].len) {
			queue_free(k);
			return -ENOMEM;
		}
	}
	return 0;
}

void mcb_sink_sync(struct mcb_sink *k)
{
	struct mcb_sink_queue *q = k->q;

	if (!q)
		return;
	publish(k);
	pthread_mutex_lock(&q->lock);
	while (q->tail != q->head)
		pthread_cond_wait(&q->done, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

struct mcb_sink_stats mcb_sink_stats(struct mcb_sink *k)
{
	struct mcb_sink_stats st;

	if (!k->q)
		return k->st;
	pthread_mutex_lock(&k->q->lock);
	st = k->q->started ? k->q->st : k->st;
	pthread_mutex_unlock(&k->q->lock);
	return st;
}
