// SPDX-License-Identifier: MIT
/* Multicast sink: one UDP socket per mapping, batches sent by sendmmsg. */
#include "mcsink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Arena beyond one full datagram: many small events per sendmmsg. */
#define MCB_SINK_ARENA_EXTRA	(256 * 1024)
#define MCB_SINK_SNDBUF		(4 * 1024 * 1024)

int mcb_sink_open(struct mcb_sink *k, const struct mcb_map_cfg *cfg,
		  size_t max_datagram, unsigned batch,
		  const struct mcb_log *lg)
{
	unsigned char loop = 1, ttl = (unsigned char)cfg->ttl;
	int sndbuf = MCB_SINK_SNDBUF, err;
	char ifs[INET_ADDRSTRLEN];

	memset(k, 0, sizeof(*k));
	k->cfg = cfg;
	k->log = lg;
	k->max_datagram = max_datagram;
	k->cap = batch;
	k->arena_size = max_datagram + MCB_SINK_ARENA_EXTRA;
	inet_ntop(AF_INET, &cfg->iface, ifs, sizeof(ifs));

	k->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (k->fd < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "UDP socket: %s", strerror(errno));
		return err;
	}
	/* By address: loopback has no multicast flag, but 127.0.0.1 works. */
	if (setsockopt(k->fd, IPPROTO_IP, IP_MULTICAST_IF, &cfg->iface,
		       sizeof(cfg->iface)) < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "%s/%s: interface %s: %s", cfg->family,
			cfg->group, ifs, strerror(errno));
		goto fail;
	}
	if (setsockopt(k->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
		       sizeof(ttl)) < 0 ||
	    setsockopt(k->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop,
		       sizeof(loop)) < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "%s/%s: multicast TTL/loop: %s",
			cfg->family, cfg->group, strerror(errno));
		goto fail;
	}
	/* Connected: the route is looked up once, not per datagram. */
	if (connect(k->fd, (const struct sockaddr *)&cfg->dest,
		    sizeof(cfg->dest)) < 0) {
		err = -errno;
		mcb_log(lg, LOG_ERR, "%s/%s: connect: %s", cfg->family,
			cfg->group, strerror(errno));
		goto fail;
	}
	/* Best effort: a larger send buffer only smooths bursts. */
	if (setsockopt(k->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		       sizeof(sndbuf)) < 0)
		mcb_log(lg, LOG_DEBUG, "SO_SNDBUF: %s", strerror(errno));

	k->arena = malloc(k->arena_size);
	k->msgs = calloc(batch, sizeof(*k->msgs));
	k->iov = calloc(batch, sizeof(*k->iov));
	if (!k->arena || !k->msgs || !k->iov) {
		mcb_log(lg, LOG_ERR, "out of memory for send buffers");
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < batch; i++) {
		k->msgs[i].msg_hdr.msg_iov = &k->iov[i];
		k->msgs[i].msg_hdr.msg_iovlen = 1;
	}
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
	k->arena = NULL;
	k->msgs = NULL;
	k->iov = NULL;
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

unsigned mcb_sink_flush(struct mcb_sink *k)
{
	unsigned off = 0, failed = 0;

	while (off < k->n) {
		int r = sendmmsg(k->fd, k->msgs + off, k->n - off, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* sendmmsg reports the first failing datagram:
			 * count it, skip it, send the rest. */
			failed++;
			k->st.send_errors++;
			/* Log the 1st, 2nd, 4th, ... so a storm stays short. */
			if ((k->st.send_errors & (k->st.send_errors - 1)) == 0)
				mcb_log(k->log, LOG_WARNING, "%s/%s: send: %s "
					"(%llu send errors)", k->cfg->family,
					k->cfg->group, strerror(errno),
					(unsigned long long)k->st.send_errors);
			off++;
			continue;
		}
		k->st.sent += (unsigned)r;
		k->st.batches++;
		off += (unsigned)r;
	}
	k->n = 0;
	k->used = 0;
	return failed;
}
