// SPDX-License-Identifier: MIT
/* Multicast sink: one UDP socket per mapping, batches sent by sendmmsg. */
#include "mcsink.h"

#include <arpa/inet.h>
#include <errno.h>
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

void mcb_sink_close(struct mcb_sink *k)
{
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

void *mcb_sink_reserve(struct mcb_sink *k)
{
	if (k->n == k->cap || k->arena_size - k->used < k->max_datagram)
		mcb_sink_flush(k);
	return k->arena + k->used;
}

void mcb_sink_commit(struct mcb_sink *k, size_t len)
{
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

unsigned mcb_sink_flush(struct mcb_sink *k)
{
	unsigned failed;

	if (!k->n)
		return 0;
	failed = k->gso ? send_runs(k) : send_each(k, 0, k->n);
	k->n = 0;
	k->used = 0;
	return failed;
}
