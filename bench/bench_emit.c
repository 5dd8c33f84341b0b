// SPDX-License-Identifier: MIT
/*
 * Event messages as the module builds them, and the native source that
 * multicasts them into a generic netlink group: see bench.h.
 */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/mcbridge.h>

/* Appends one attribute; returns the offset of its payload. */
static size_t put_attr(struct bench_evmsg *m, uint16_t type, const void *data,
		       size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len),
			    .nla_type = type };
	size_t off = m->len + NLA_HDRLEN;

	memcpy(m->buf + m->len, &a, sizeof(a));
	memcpy(m->buf + off, data, len);
	memset(m->buf + off + len, 0, NLA_ALIGN(len) - len);
	m->len = off + NLA_ALIGN(len);
	return off;
}

int bench_evmsg_build(struct bench_evmsg *m, uint16_t family_id,
		      const char *text)
{
	struct nlmsghdr nlh = { .nlmsg_type = family_id };
	struct genlmsghdr g = { .cmd = MCBRIDGE_CMD_EVENT,
				.version = MCBRIDGE_GENL_VERSION };
	size_t tlen = strlen(text) + 1;
	uint64_t zero64 = 0;
	uint32_t type = MCBRIDGE_EVENT_INJECTED, cpu = 0;

	if (tlen > MCBRIDGE_TEXT_MAX + 1)
		return -1;
	memset(m, 0, sizeof(*m));
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	memcpy(m->buf + NLMSG_HDRLEN, &g, sizeof(g));
	/* The module's order: seq, timestamp_ns, type, cpu, text.  This
	 * machine has cheap unaligned access (x86, arm64), so the module's
	 * nla_put_u64_64bit() adds no pad attribute either. */
	m->off_seq = put_attr(m, MCBRIDGE_ATTR_SEQ, &zero64, 8);
	m->off_ts = put_attr(m, MCBRIDGE_ATTR_TIMESTAMP_NS, &zero64, 8);
	m->off_type = put_attr(m, MCBRIDGE_ATTR_TYPE, &type, 4);
	put_attr(m, MCBRIDGE_ATTR_CPU, &cpu, 4);
	put_attr(m, MCBRIDGE_ATTR_TEXT, text, tlen);
	nlh.nlmsg_len = (uint32_t)m->len;
	memcpy(m->buf, &nlh, sizeof(nlh));
	return 0;
}

void bench_evmsg_put(const struct bench_evmsg *m, void *dst, uint64_t seq,
		     uint64_t ts_ns, uint32_t type)
{
	unsigned char *p = dst;

	memcpy(p, m->buf, m->len);
	memcpy(p + m->off_seq, &seq, sizeof(seq));
	memcpy(p + m->off_ts, &ts_ns, sizeof(ts_ns));
	memcpy(p + m->off_type, &type, sizeof(type));
}

int bench_genl_resolve(const char *family_group, uint16_t *family_id,
		       uint32_t *group_id)
{
	char fam[GENL_NAMSIZ];
	const char *slash = strchr(family_group, '/');
	struct nl_sock *sk;
	int f = -1, g = -1;

	if (!slash || slash == family_group ||
	    (size_t)(slash - family_group) >= sizeof(fam) || !slash[1]) {
		fprintf(stderr, "expected FAMILY/GROUP, not %s\n",
			family_group);
		return -1;
	}
	memcpy(fam, family_group, (size_t)(slash - family_group));
	fam[slash - family_group] = '\0';
	sk = nl_socket_alloc();
	if (sk && genl_connect(sk) == 0) {
		f = genl_ctrl_resolve(sk, fam);
		g = genl_ctrl_resolve_grp(sk, fam, slash + 1);
	}
	if (sk)
		nl_socket_free(sk);
	if (f < 0 || g < 0) {
		fprintf(stderr, "generic netlink %s not found\n", family_group);
		return -1;
	}
	*family_id = (uint16_t)f;
	*group_id = (uint32_t)g;
	return 0;
}

int bench_genl_tx_open(struct bench_genl_tx *t, uint32_t group_id,
		       size_t slot)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (group_id < 1 || group_id > 32) {
		fprintf(stderr, "group id %u cannot be sent to (1..32)\n",
			group_id);
		return -1;
	}
	t->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (t->fd < 0) {
		perror("netlink socket");
		return -1;
	}
	/* To the group only: nl_pid 0 would also hand every message to the
	 * kernel's generic netlink, which drops it (not a request), but it
	 * is the same for every path measured. */
	t->dst.nl_family = AF_NETLINK;
	t->dst.nl_groups = 1u << (group_id - 1);
	t->slot = slot;
	t->bufs = calloc(BENCH_BATCH, slot);
	if (!t->bufs) {
		fprintf(stderr, "out of memory\n");
		bench_genl_tx_close(t);
		return -1;
	}
	for (unsigned i = 0; i < BENCH_BATCH; i++) {
		t->iov[i].iov_base = bench_genl_tx_slot(t, i);
		t->msgs[i].msg_hdr.msg_name = &t->dst;
		t->msgs[i].msg_hdr.msg_namelen = sizeof(t->dst);
		t->msgs[i].msg_hdr.msg_iov = &t->iov[i];
		t->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

void bench_genl_tx_close(struct bench_genl_tx *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->bufs);
	t->bufs = NULL;
}

int bench_genl_tx_send(struct bench_genl_tx *t, unsigned n, size_t len)
{
	unsigned done = 0;

	for (unsigned i = 0; i < n; i++)
		t->iov[i].iov_len = len;
	while (done < n) {
		int r = sendmmsg(t->fd, t->msgs + done, n - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (unsigned)r;
	}
	return (int)n;
}
